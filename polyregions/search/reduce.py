"""Reducers: counts and linear regions, from one search or merged from many subtrees.

Linear regions are the connected components of the graph whose nodes are the
activation regions and whose edges join two regions that share a facet and have
the identical output map. :class:`LinearRegions` is the one union-find that
counting, certificates and the region graph use. Each region arrives with its
pattern key, its output map (as :func:`map_text`) and the keys of its facet
neighbours; an edge is merged when its second endpoint arrives, so no pair of
regions is ever compared and memory holds a key and two integers per region.

Keys are held as their differences from one reference key (the first one seen): a
wide network's pattern has one character per unit (about 25,000 for an MNIST-shaped
CNN), while the regions of a small slice or box differ in few of them (:class:`KeyCoder`).

Subtrees searched apart (in other processes or on other machines) each fill a
:class:`LinearRegions` of their own with ``track=True``: a neighbour not seen in
the subtree is remembered. :meth:`LinearRegions.to_partial` exports that state as
plain data and :meth:`LinearRegions.absorb` merges it into another reducer, in any
order: every same-map edge between two subtrees is seen from both sides, so the
second side to be absorbed finds the first. The count is the serial one.
"""

from __future__ import annotations

from math import gcd
from typing import Any, Callable, Iterable, Sequence

from ..errors import PolyregionsError
from ..rationals import int_text

__all__ = ["UnionFind", "LinearRegions", "KeyCoder", "map_text", "key_code", "code_key"]

#: Keys shorter than this are held whole.
_SHORT = 64
#: Byte 0 stays 0, every other byte becomes 1 (bytes.translate).
_NONZERO = bytes([0] + [1] * 255)


class KeyCoder:
    """Keys held as their differences from a reference key *ref*: :meth:`code` gives
    ``"~"`` and the differences of the keys' UTF-8 bytes (``position:byte`` joined by
    ``;``) when the keys have one length and the differences take less room than the
    key, else ``"="`` and the key; a function of the key and *ref* alone, so equal keys
    have equal codes in every process. :meth:`key` undoes it.

    Examples
    --------
    >>> coder = KeyCoder("+" * 100)
    >>> coder.code("+" * 99 + "-"), coder.code("+" * 100), coder.code("+-")
    ('~99:45', '~', '=+-')
    >>> coder.key(coder.code("-" + "+" * 99)) == "-" + "+" * 99
    True
    """

    __slots__ = ("ref", "_bytes", "_int")

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self._bytes = ref.encode()
        self._int = int.from_bytes(self._bytes, "little")

    def code(self, key: str) -> str:
        data = key.encode()
        n = len(data)
        if n != len(self._bytes) or n < _SHORT:
            return "=" + key
        # the bytes where key and ref differ, found by C loops (xor, translate, find)
        marks = (int.from_bytes(data, "little") ^ self._int).to_bytes(n, "little").translate(_NONZERO)
        budget = n // 8  # "p:b;" takes at least 4 characters per difference: past this, the key is shorter
        parts: list[str] = []
        p = marks.find(1)
        while p >= 0:
            if len(parts) == budget:
                return "=" + key
            parts.append(f"{p}:{data[p]}")
            p = marks.find(1, p + 1)
        return "~" + ";".join(parts)

    def key(self, code: str) -> str:
        if code[0] == "=":
            return code[1:]
        if code[0] != "~":
            raise ValueError(f"a region key's code starts with {code[:1]!r}")
        data = bytearray(self._bytes)
        if len(code) > 1:
            for item in code[1:].split(";"):
                p, b = item.split(":")
                data[int(p)] = int(b)
        return data.decode()


def key_code(key: str, ref: str) -> str:
    """:meth:`KeyCoder.code` of *key* beside the reference key *ref*."""
    return KeyCoder(ref).code(key)


def code_key(code: str, ref: str) -> str:
    """:meth:`KeyCoder.key`: the key of *code* beside the reference key *ref*."""
    return KeyCoder(ref).key(code)


def map_text(rows: Sequence[Sequence[int]], den: int) -> str:
    """A text equal for two integer maps ``rows / den`` exactly when they are the same map.

    Examples
    --------
    >>> map_text([[2, 4]], 2) == map_text([[1, 2]], 1)
    True
    """
    values = [den]
    for row in rows:
        values += row
    g = gcd(*values)
    if g > 1:
        values = [v // g for v in values]
    try:
        return ",".join(map(str, values))
    except ValueError:  # an int beyond str's digit limit
        return ",".join(map(int_text, values))


class UnionFind:
    """Union-find over 0, 1, 2, ... with path halving.

    Examples
    --------
    >>> uf = UnionFind()
    >>> for _ in range(4):
    ...     _ = uf.add()
    >>> uf.union(0, 2), uf.union(2, 0), uf.components
    (True, False, 3)
    """

    __slots__ = ("parent", "components")

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.components = 0

    def add(self) -> int:
        """A new singleton; returns its index."""
        index = len(self.parent)
        self.parent.append(index)
        self.components += 1
        return index

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, i: int, j: int) -> bool:
        """Join the sets of *i* and *j*; True when they were apart."""
        a, b = self.find(i), self.find(j)
        if a == b:
            return False
        self.parent[a] = b
        self.components -= 1
        return True


class LinearRegions:
    """Activation regions merged into linear regions across same-map facets.

    Parameters
    ----------
    track
        Remember neighbours that have not been added (yet), so that the state can be
        merged with other subtrees' (:meth:`to_partial`, :meth:`absorb`).

    Examples
    --------
    The identity as ``relu(x) - relu(-x)``: two activation regions, one map.

    >>> lin = LinearRegions()
    >>> lin.add("+-", "1,1,0", ["-+"]), lin.add("-+", "1,1,0", ["+-"])
    ([], [0])
    >>> lin.activation_regions, lin.linear_regions
    (2, 1)
    """

    __slots__ = ("_index", "_keys", "_map_of", "_maps", "_names", "_uf", "_lookups", "_track", "_coder")

    def __init__(self, track: bool = False) -> None:
        self._coder: KeyCoder | None = None  # beside the first key seen: keys are held as its codes
        self._index: dict[str, int] = {}  # by code
        self._keys: list[str] = []  # codes
        self._map_of: list[int] = []
        self._maps: dict[str, int] = {}
        self._names: list[str] = []
        self._uf = UnionFind()
        self._lookups: list[tuple[int, str]] = []
        self._track = track

    @property
    def activation_regions(self) -> int:
        return len(self._keys)

    @property
    def linear_regions(self) -> int:
        return self._uf.components

    def _code(self, key: str) -> str:
        """*key*'s code; the first key coded becomes the reference."""
        if self._coder is None:
            self._coder = KeyCoder(key)
        return self._coder.code(key)

    def _place(self, key: str) -> int | None:
        """The index of the region *key*, or None (a question: it sets no reference)."""
        return None if self._coder is None else self._index.get(self._coder.code(key))

    def __contains__(self, key: str) -> bool:
        return self._place(key) is not None

    def map_of(self, key: str) -> str | None:
        """The map text of the region *key*, or None when it has not been added."""
        i = self._place(key)
        return None if i is None else self._names[self._map_of[i]]

    def _map_id(self, text: str) -> int:
        found = self._maps.get(text)
        if found is None:
            found = self._maps[text] = len(self._names)
            self._names.append(text)
        return found

    def add(self, key: str, map_key: str, neighbours: Iterable[str | None]) -> list[int]:
        """Add one region; return the places in *neighbours* of the regions it merged with.

        Those are the neighbours added before with the same map: a merge of two
        distinct components or not, every such place is listed (certificates record
        each as a merge). ``None`` stands for the domain boundary.
        """
        code = self._code(key)
        if code in self._index:
            raise PolyregionsError(f"region {key} added twice (internal error)")
        i = len(self._keys)
        map_id = self._map_id(map_key)
        self._index[code] = i
        self._keys.append(code)
        self._map_of.append(map_id)
        self._uf.add()
        matched = []
        for place, other in enumerate(neighbours):
            if other is None:
                continue
            other = self._code(other)
            j = self._index.get(other)
            if j is None:
                if self._track:
                    self._lookups.append((i, other))
                continue
            if self._map_of[j] == map_id:
                self._uf.union(i, j)
                matched.append(place)
        return matched

    def component(self, key: str) -> int:
        """An index shared by the regions of one linear region (the root's place)."""
        i = self._place(key)
        if i is None:
            raise KeyError(key)
        return self._uf.find(i)

    def to_partial(self) -> dict[str, Any]:
        """The state as plain data (lists, strings and ints) for :meth:`absorb`."""
        index = self._index
        find = self._uf.find
        return {"ref": None if self._coder is None else self._coder.ref,
                "keys": list(self._keys),
                "maps": list(self._names),
                "map_of": list(self._map_of),
                "root": [find(i) for i in range(len(self._keys))],
                "lookups": [[i, other] for i, other in self._lookups if other not in index]}

    def absorb(self, partial: dict[str, Any]) -> None:
        """Merge the state of another reducer (see :meth:`to_partial`), in any order. Its keys
        are codes beside its reference key (``ref``; whole keys where it has none, as
        partials written before keys were coded), translated to this reducer's."""
        keys, names, map_of, roots = partial["keys"], partial["maps"], partial["map_of"], partial["root"]
        if not (len(keys) == len(map_of) == len(roots)):
            raise PolyregionsError("a partial result with lists of different lengths (internal error)")
        ref = partial.get("ref")
        if ref is not None and not isinstance(ref, str):
            raise TypeError(f"a partial result's reference key is a {type(ref).__name__}")
        if self._coder is None and ref is not None:
            self._coder = KeyCoder(ref)
        translate: Callable[[str], str] | None
        if ref is None and "ref" in partial:  # an empty reducer's
            if keys or partial["lookups"]:
                raise ValueError("a partial result with keys and no reference key")
            translate = None
        elif ref is None:
            translate = self._code
        elif self._coder is not None and ref == self._coder.ref:
            translate = None
        else:
            theirs, mine = KeyCoder(ref), self._coder
            assert mine is not None

            def translate(code: str) -> str:
                return mine.code(theirs.key(code))
        if translate is not None:
            keys = [translate(k) for k in keys]
        ids = [self._map_id(text) for text in names]
        base = len(self._keys)
        uf = self._uf
        for offset, (key, local_map) in enumerate(zip(keys, map_of)):
            if key in self._index:
                shown = key if self._coder is None else self._coder.key(key)
                raise PolyregionsError(f"region {shown} found in two subtrees (internal error)")
            self._index[key] = base + offset
            self._keys.append(key)
            self._map_of.append(ids[local_map])
            uf.add()
        for offset, root in enumerate(roots):
            if root != offset:
                uf.union(base + offset, base + root)
        for offset, other in partial["lookups"]:
            if translate is not None:
                other = translate(other)
            j = self._index.get(other)
            if j is None:
                if self._track:
                    self._lookups.append((base + offset, other))
                continue
            i = base + offset
            if self._map_of[i] == self._map_of[j]:
                uf.union(i, j)
