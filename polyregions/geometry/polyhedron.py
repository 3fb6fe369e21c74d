"""Exact polyhedra in double description: both inequalities and generators.

A :class:`Cell` is a full-dimensional polyhedron in R^n held in homogeneous integer
coordinates. Its generators are vectors ``(x_1, ..., x_n, t)`` of the cone
``{(x, t) : a.x <= b t, t >= 0}``: vertices have ``t > 0`` (the point ``x / t``), rays
have ``t = 0``, and lines span the lineality space. Each vertex and ray carries the
bitmask of the inequalities it satisfies with equality (bit 0 is the face at
infinity ``t >= 0``, bit ``i + 1`` the ``i``-th row).

Cutting a cell by a hyperplane is one step of the double description method
(Motzkin et al. 1953; Fukuda and Prodon 1996): evaluate the hyperplane on the
generators, keep those on each side, and make one new generator on the hyperplane
from every adjacent pair on opposite sides. Adjacency is decided combinatorially
from the incidence bitmasks. Every decision is an exact integer sign; no LP is
solved. Whether a side is full-dimensional is read off the signs: a full-dimensional
cell meets ``h > 0`` in an open set exactly when some generator has ``h > 0``.

Rows are stored in *slack form*: a vector ``s`` such that ``s . (x, 1) >= 0`` on the
cell, so the public row ``a . x <= b`` is ``s = (-a, b)``. The translation happens
in :meth:`Cell.inequalities`; everything else in the package uses ``a . x <= b``.

Two kernels do the cutting, pruning and facet tests, and build the same cells (same
rows, generators, bitmasks, in the same order): the pure-Python one below, the
reference, and the compiled one, ``polyregions.geometry._kernel`` (``_kernel.c``, C against
GMP), the default when built (:func:`use_kernel`). The compiled kernel keeps the
generators packed as GMP integers (``Cell.exact``) with a float image of each
(``Cell.image``), and takes the sign of ``h . v`` from floats only where the float
value exceeds a proven bound on its error: with ``w = dim + 1``, both vectors scaled
by powers of two so that every entry is below 1 and truncated to 53 bits, the
computed dot product is within ``w (w + 2) 2^-52`` of the exact scaled value, in
any order of evaluation and with underflow (the derivation is at the top of
``_kernel.c``). Elsewhere the exact integer decides; exact values are also computed
for the ends of every new generator. :func:`kernel_counters` counts both kinds of
decision.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from operator import mul, neg as neg_
from typing import Callable, Hashable, Iterator, Literal, Sequence

from ..errors import InputError

try:
    from . import _kernel as _built_kernel
except ImportError:  # not compiled: the pure-Python kernel only
    _built_kernel = None

__all__ = ["Cell", "Planes", "whole_space", "primitive", "oriented_key", "oriented_keys", "hyperplane_prints", "dot",
           "dots", "use_kernel", "kernel_name", "kernel_counters", "LazyValues"]

Vector = tuple[int, ...]

#: The compiled kernel in use (``polyregions.geometry._kernel``), or None for the pure-Python one.
_kernel = None if os.environ.get("POLYREGIONS_KERNEL", "c") == "python" else _built_kernel


def use_kernel(name: str) -> str:
    """Select the kernel of :meth:`Cell.cut`, :meth:`Cell.pruned` and :meth:`Cell.facet_indices`.

    Parameters
    ----------
    name
        ``"c"``: the compiled kernel (GMP integers and a float sign filter, see
        ``polyregions/geometry/_kernel.c``); ``"python"``: the pure-Python reference. Both
        build the same cells (same rows, generators, bitmasks, in the same order).
        The environment variable ``POLYREGIONS_KERNEL=python`` selects the reference
        at import time (in worker processes too); the default is ``"c"`` when built.

    Returns
    -------
    str
        The name of the kernel selected before.

    Raises
    ------
    InputError
        For another name, or ``"c"`` when the extension is not built.

    Examples
    --------
    >>> previous = use_kernel("python")
    >>> kernel_name()
    'python'
    >>> _ = use_kernel(previous)
    """
    global _kernel
    previous = kernel_name()
    if name == "python":
        _kernel = None
    elif name == "c":
        if _built_kernel is None:
            raise InputError("the compiled kernel polyregions.geometry._kernel is not built (run make setup)")
        _kernel = _built_kernel
    else:
        raise InputError(f"unknown kernel {name!r}, expected 'c' or 'python'")
    return previous


def kernel_name() -> str:
    """The kernel in use: ``"c"`` or ``"python"`` (see :func:`use_kernel`)."""
    return "python" if _kernel is None else "c"


def kernel_counters(reset: bool = False) -> dict[str, int]:
    """The compiled kernel's counters: signs settled by the float filter (``filter``),
    signs the filter left to the exact integer (``exact``), and exact values of
    ``h . v`` computed (``values``: the fallbacks and the ends of new generators).
    All 0 when the extension is not built. With *reset*, set them to 0 afterwards."""
    if _built_kernel is None:
        return {"filter": 0, "exact": 0, "values": 0}
    found = _built_kernel.counters()
    if reset:
        _built_kernel.reset_counters()
    return found


class LazyValues(Sequence[int]):
    """``h . v`` for the generators ``vecs``, computed exactly on first use.

    The compiled kernel decides signs without these values (its float filter); the
    few callers that need them (certificates, on dropped branches) get them from here.
    """

    __slots__ = ("_h", "_cell", "_values")

    def __init__(self, h: Vector, cell: "Cell") -> None:
        self._h = h
        self._cell = cell
        self._values: list[int] | None = None

    def _list(self) -> list[int]:
        if self._values is None:
            self._values = _evaluator(len(self._h))(self._h, self._cell.vecs)
        return self._values

    def __getitem__(self, index):  # type: ignore[override]
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._cell.tights)

    def __iter__(self) -> Iterator[int]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyValues):
            other = other._list()
        return self._list() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyValues({self._list()!r})"


def dot(u: Sequence[int], v: Sequence[int]) -> int:
    """Integer dot product."""
    return sum(map(mul, u, v))


_EVALUATORS: dict[int, Callable[[Sequence[int], Sequence[Vector]], list[int]]] = {}


def _evaluator(width: int) -> Callable[[Sequence[int], Sequence[Vector]], list[int]]:
    """A function ``(h, vecs) -> [h . v for v in vecs]`` for vectors of length *width*.

    For small widths the dot product is written out (``h0 * v0 + h1 * v1 + ...``),
    compiled once per width: it avoids a call, ``map`` and ``sum`` per generator,
    which cost more than the integer arithmetic on the small cells of the search.
    """
    found = _EVALUATORS.get(width)
    if found is None:
        if width > 12:
            def found(h: Sequence[int], vecs: Sequence[Vector]) -> list[int]:
                return [sum(map(mul, h, v)) for v in vecs]
        else:
            hs = "".join(f"h{k}, " for k in range(width))
            vs = "".join(f"v{k}, " for k in range(width))
            terms = " + ".join(f"h{k} * v{k}" for k in range(width))
            namespace: dict = {}
            exec(f"def evaluate(h, vecs):\n    {hs}= h\n    return [{terms} for {vs}in vecs]", namespace)
            found = namespace["evaluate"]
        _EVALUATORS[width] = found
    return found


def dots(h: Sequence[int], vecs: Sequence[Sequence[int]]) -> list[int]:
    """``[h . v for v in vecs]`` (every ``v`` as long as ``h``), fast for short vectors.

    Examples
    --------
    >>> dots((1, -1, 0), [(2, 1, 5), (0, 3, 1)])
    [1, -3]
    """
    return _evaluator(len(h))(h, vecs)


def primitive(vec: Sequence[int]) -> Vector:
    """Divide an integer vector by the gcd of its entries (zero stays zero).

    Examples
    --------
    >>> primitive([4, -6, 0])
    (2, -3, 0)
    """
    g = gcd(*vec)
    if g > 1:
        return tuple(v // g for v in vec)
    return tuple(vec)


def oriented_key(vec: Sequence[int]) -> Vector:
    """The primitive vector of the hyperplane ``vec . (x, 1) = 0``, first nonzero entry positive.

    Two affine functions vanish on the same hyperplane exactly when their keys are equal.

    Examples
    --------
    >>> oriented_key((0, -2, 4)) == oriented_key((0, 1, -2))
    True
    """
    p = primitive(vec)
    for v in p:
        if v:
            return p if v > 0 else tuple(-w for w in p)
    return p


class Planes:
    """Many hyperplanes ``h . (x, 1) = 0`` of one width, prepared once for :meth:`Cell.sides`.

    An entry None is no hyperplane (skipped). The compiled kernel packs the rows for
    GMP with their float images, so that one call tests a cell against many of them.
    """

    __slots__ = ("_rows", "skip", "starts", "_packed", "_width")

    def __init__(self, rows: Sequence[Vector | None], width: int, starts: Sequence[int] | None = None) -> None:
        self._rows: list | None = list(rows)
        self._width = width
        #: where a caller's item begins among the rows (e.g. the first hyperplane of each
        #: unit, when units have several); None when each row is one item
        self.starts = None if starts is None else list(starts)
        self.skip = bytes(1 if h is None else 0 for h in self._rows)
        self._packed: tuple[bytes, bytes] | None = None
        if width and self._rows:
            zero = tuple([0] * width)
            self._packed = None if _built_kernel is None else _built_kernel.pack(
                [zero if h is None else tuple(h) for h in self._rows], width)

    @classmethod
    def packed(cls, exact: bytes, image: bytes, count: int, width: int,
               starts: Sequence[int] | None = None) -> "Planes":
        """*count* hyperplanes (none of them None) already packed by the compiled kernel; their
        rows are unpacked when someone reads :attr:`rows`."""
        planes = cls.__new__(cls)
        planes._rows = None
        planes._width = width
        planes.starts = None if starts is None else list(starts)
        planes.skip = bytes(count)
        planes._packed = (exact, image) if width and count else None
        return planes

    @property
    def rows(self) -> list:
        """The hyperplanes (tuples of ints, or None for no hyperplane)."""
        rows = self._rows
        if rows is None:
            assert _built_kernel is not None
            rows = self._rows = _built_kernel.unpack(self._packed[0], self._width) if self._packed else []
        return rows

    def __len__(self) -> int:
        return len(self.skip)


def oriented_keys(rows: Sequence[Sequence[int]]) -> list[Vector]:
    """:func:`oriented_key` of every row (one call of the compiled kernel when built).

    Examples
    --------
    >>> oriented_keys([[0, -2, 4], [3, 6, 0]])
    [(0, 1, -2), (1, 2, 0)]
    """
    if _built_kernel is not None:
        return _built_kernel.keys(rows if type(rows) is list else list(rows))
    return [oriented_key(row) for row in rows]


#: The prime of :func:`hyperplane_prints` (2^61 - 1)
_PRINT_PRIME = (1 << 61) - 1


def hyperplane_prints(rows: Sequence[Sequence[int]]) -> list[int]:
    """A fingerprint of each row's hyperplane ``row . (x, 1) = 0``: equal for two rows that
    are multiples of each other, so unequal prints mean unequal hyperplanes (equal prints
    must be confirmed, e.g. by :func:`oriented_key`). -1 where there is none (the first
    nonzero entry is divisible by the prime 2^61 - 1): compare those exactly. One call of
    the compiled kernel when built; the pure-Python twin gives the same numbers.

    Examples
    --------
    >>> a, b, c = hyperplane_prints([[0, 2, 4], [0, -3, -6], [1, 2, 4]])
    >>> a == b != c
    True
    """
    if _built_kernel is not None:
        return _built_kernel.prints(rows if type(rows) is list else list(rows))
    out = []
    mask = (1 << 64) - 1
    for row in rows:
        p = next((k for k, v in enumerate(row) if v), None)
        if p is None:
            out.append(0)
            continue
        lead = row[p] % _PRINT_PRIME
        if not lead:
            out.append(-1)
            continue
        inverse = pow(lead, -1, _PRINT_PRIME)
        h = p + 1
        for v in row[p + 1:]:
            h = (h * 0x9E3779B97F4A7C15 + v % _PRINT_PRIME * inverse % _PRINT_PRIME + 1) & mask
        out.append(h)
    return out


@dataclass(slots=True, eq=False)
class Cell:
    """A full-dimensional polyhedron with its double description.

    Attributes
    ----------
    dim
        The ambient dimension n.
    rows
        Inequalities in slack form (see the module docstring).
    tags
        One hashable source label per row (which unit or domain face made it).
    vecs
        Vertices and rays in homogeneous integer coordinates, each primitive (a
        property: the compiled kernel keeps them packed in ``exact`` and makes the
        Python integers on first reading).
    tights
        For each of ``vecs``, the bitmask of rows it lies on (bit 0: ``t = 0``).
    lines
        A basis of the lineality space (``t = 0``).
    image
        The float images of ``vecs`` for the compiled kernel's sign filter (bytes of
        C doubles), made on first use; None until then and in the pure-Python kernel.
    exact
        ``vecs`` packed for the compiled kernel (bytes of GMP limbs), or None.

    A vertex has ``t > 0`` and so never lies on the face at infinity: bit 0 of its
    bitmask is clear, and set for every ray. Equality compares ``dim``, ``rows``,
    ``tags``, ``vecs``, ``tights`` and ``lines``.
    """

    dim: int
    rows: list[Vector]
    tags: list[Hashable]
    _vecs: list[Vector] | None
    tights: list[int]
    lines: list[Vector]
    image: bytes | None = None
    exact: bytes | None = None

    @property
    def vecs(self) -> list[Vector]:
        """The vertices and rays as tuples of Python integers (unpacked once from
        ``exact`` when the compiled kernel made the cell)."""
        vecs = self._vecs
        if vecs is None:
            assert _built_kernel is not None and self.exact is not None
            vecs = self._vecs = _built_kernel.unpack(self.exact, self.dim + 1)
        return vecs

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cell):
            return NotImplemented
        return ((self.dim, self.rows, self.tags, self.tights, self.lines, self.vecs)
                == (other.dim, other.rows, other.tags, other.tights, other.lines, other.vecs))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        rays = sum(t & 1 for t in self.tights)
        return (f"Cell(dim={self.dim}, rows={len(self.rows)}, vertices={len(self.tights) - rays}, "
                f"rays={rays}, lines={len(self.lines)})")

    # -- the splitting step -------------------------------------------------------------

    def cut(self, h: Vector, tag: Hashable,
            want: int = 3) -> tuple["Cell | None", "Cell | None", list[int] | None]:
        """Split by the hyperplane ``h . (x, 1) = 0``.

        Parameters
        ----------
        h
            Integer vector of length ``dim + 1`` (coefficients, then the constant).
        tag
            Source label of the new rows.
        want
            Bit 1: build the side ``h >= 0``; bit 2: build the side ``h <= 0``.

        Returns
        -------
        (pos, neg, values)
            ``pos`` is the cell cut down to ``h >= 0`` when that side has interior
            (the cell itself when it lies wholly there), else None; ``neg`` likewise
            for ``h <= 0`` (both are None when ``h`` vanishes on the whole cell).
            When the hyperplane cuts the cell properly, a side that *want* does not
            ask for is not built and comes back as None. ``values`` are
            ``h . v`` for the generators ``vecs``, in order (a list, or with the
            compiled kernel a :class:`LazyValues` computed on first use), or None
            when ``h`` is not constant along a line (then both sides have interior).

        Notes
        -----
        Cost: one dot product per generator, plus for a proper cut one bitmask test
        per pair of generators on opposite sides. The compiled kernel (see
        :func:`use_kernel`) takes most signs from floats with a proven error bound
        and computes exact values only where the bound does not settle the sign and
        for the ends of new generators.
        """
        lines = self.lines
        if lines:
            for index, line in enumerate(lines):
                hl = dot(h, line)
                if hl:
                    return self._cut_through_line(h, tag, want, index, hl)
        kernel = _kernel
        if kernel is not None:  # the compiled kernel (see _cut_compiled for the proper cuts)
            if type(h) is not tuple:
                h = tuple(h)
            if self.exact is None or self.image is None:  # made in Python: pack once
                self.exact, self.image = kernel.pack(self.vecs, self.dim + 1)
            out = kernel.cut(h, self.exact, self.tights, self.image, len(self.rows), self.dim - 1 - len(lines), want)
            if type(out) is int:
                if out == 1:
                    return self, None, LazyValues(h, self)
                if out == 2:
                    return None, self, LazyValues(h, self)
                return None, None, LazyValues(h, self)
            return self._cut_compiled(h, tag, out)
        vals = _evaluator(len(h))(h, self.vecs)
        has_pos = has_neg = False
        for value in vals:
            if value > 0:
                has_pos = True
            elif value < 0:
                has_neg = True
        if not has_neg:
            return (self if has_pos else None), None, vals
        if not has_pos:
            return None, self, vals
        return self._cut_proper(h, tag, want, vals)

    def sides(self, planes: Planes, start: int = 0) -> tuple[int, bytes]:
        """The side of the cell of each hyperplane of *planes* from *start* on, up to the
        first that cuts it.

        Returns ``(stop, codes)``: ``stop`` is the index of the first hyperplane from
        *start* with generators strictly on both sides (``len(planes)`` when there is
        none), and ``codes[k]`` says where the cell lies for hyperplane ``start + k``:
        1 (``h >= 0`` on the cell and not identically 0: :meth:`cut` would return the
        cell as its ``pos``), 2 (``h <= 0`` likewise, ``neg``), 0 (``h`` vanishes on the
        cell) or 3 (the entry is None). A hyperplane not constant along a line of the
        cell cuts it. The same answers as :meth:`cut`, one call for many hyperplanes.
        """
        stop = len(planes)
        kernel = _kernel
        if kernel is not None and planes._packed is not None and not self.lines:
            if self.exact is None or self.image is None:
                self.exact, self.image = kernel.pack(self.vecs, self.dim + 1)
            exact, image = planes._packed
            return kernel.sides(exact, image, planes.skip, start, self.exact, self.image)
        rows = planes.rows  # read here only: packed planes are unpacked on first read
        codes = bytearray()
        lines = self.lines
        evaluate = _evaluator(self.dim + 1)
        vecs = self.vecs
        for u in range(start, stop):
            h = rows[u]
            if h is None:
                codes.append(3)
                continue
            if any(dot(h, line) for line in lines):
                return u, bytes(codes)
            has_pos = has_neg = False
            for value in evaluate(h, vecs):
                if value > 0:
                    has_pos = True
                elif value < 0:
                    has_neg = True
            if has_pos and has_neg:
                return u, bytes(codes)
            codes.append(1 if has_pos else 2 if has_neg else 0)
        return stop, bytes(codes)

    def _cut_compiled(self, h: Vector, tag: Hashable,
                      out: tuple) -> tuple["Cell | None", "Cell | None", "LazyValues"]:
        """The sides of a proper cut from what the compiled kernel made of them."""
        plus, minus = out
        pos = neg = None
        if plus is not None:
            pos = Cell(self.dim, self.rows + [h], self.tags + [tag], None, plus[1], list(self.lines), plus[2],
                       plus[0])
        if minus is not None:
            neg = Cell(self.dim, self.rows + [tuple(map(neg_, h))], self.tags + [tag], None, minus[1],
                       list(self.lines), minus[2], minus[0])
        return pos, neg, LazyValues(h, self)

    def _cut_through_line(self, h: Vector, tag: Hashable, want: int, index: int,
                          hl: int) -> tuple["Cell | None", "Cell | None", None]:
        line = self.lines[index]
        if hl < 0:
            line = tuple(-v for v in line)
            hl = -hl
        new_lines = []
        for j, other in enumerate(self.lines):
            if j != index:
                hm = dot(h, other)
                new_lines.append(primitive([hl * a - hm * b for a, b in zip(other, line)]) if hm else other)
        bit = 1 << (len(self.rows) + 1)
        all_old = bit - 1
        vecs = []
        tights = []
        for vec, tight in zip(self.vecs, self.tights):
            hv = dot(h, vec)
            vecs.append(primitive([hl * a - hv * b for a, b in zip(vec, line)]) if hv else vec)
            tights.append(tight | bit)
        pos = neg = None
        if want & 1:
            pos = Cell(self.dim, self.rows + [h], self.tags + [tag], vecs + [line],
                       tights + [all_old], new_lines)
        if want & 2:
            neg_h = tuple(-v for v in h)
            neg = Cell(self.dim, self.rows + [neg_h], self.tags + [tag],
                       vecs + [tuple(-v for v in line)], tights + [all_old], list(new_lines))
        return pos, neg, None

    def _cut_proper(self, h: Vector, tag: Hashable, want: int,
                    vals: list[int]) -> tuple["Cell | None", "Cell | None", list[int]]:
        vecs, tights = self.vecs, self.tights
        plus = [i for i, v in enumerate(vals) if v > 0]
        minus = [i for i, v in enumerate(vals) if v < 0]
        zero = [i for i, v in enumerate(vals) if v == 0]
        bit = 1 << (len(self.rows) + 1)
        need = self.dim - 1 - len(self.lines)  # tight rows an edge needs: d - 2, d = n + 1 - lines
        columns = _columns(tights, len(self.rows) + 1)
        every = (1 << len(vecs)) - 1
        new_vecs: list[Vector] = []
        new_tights: list[int] = []
        for i in plus:
            ti = tights[i]
            vi = vecs[i]
            hi = vals[i]
            pair_i = 1 << i
            for j in minus:
                common = ti & tights[j]
                if common.bit_count() < need:
                    continue
                # the generators on every row of common: adjacent when only i and j
                on = every
                rest = common
                while rest:
                    low = rest & -rest
                    on &= columns[low.bit_length() - 1]
                    rest ^= low
                if on != pair_i | 1 << j:
                    continue
                hj = vals[j]
                vj = vecs[j]
                new_vecs.append(primitive([hi * b - hj * a for a, b in zip(vi, vj)]))
                new_tights.append(common | bit)
        zero_vecs = [vecs[i] for i in zero]
        zero_tights = [tights[i] | bit for i in zero]
        pos = neg = None
        if want & 1:
            pos = Cell(self.dim, self.rows + [h], self.tags + [tag],
                       [vecs[i] for i in plus] + zero_vecs + new_vecs,
                       [tights[i] for i in plus] + zero_tights + new_tights, list(self.lines))
        if want & 2:
            neg = Cell(self.dim, self.rows + [tuple(-v for v in h)], self.tags + [tag],
                       [vecs[i] for i in minus] + zero_vecs + new_vecs,
                       [tights[i] for i in minus] + zero_tights + list(new_tights), list(self.lines))
        return pos, neg, vals

    # -- reading the cell ---------------------------------------------------------------

    def is_bounded(self) -> bool:
        """True when the cell has no rays and no lines."""
        return not self.lines and not any(t & 1 for t in self.tights)

    def _incidence(self) -> list[int]:
        """For row ``i``, the bitmask over ``vecs`` of the generators lying on it."""
        return _columns(self.tights, len(self.rows) + 1)

    def facet_indices(self) -> list[int]:
        """Indices of the rows that are facets (irredundant), in row order.

        A row is a facet exactly when the set of generators on it is maximal among
        those of all rows and of the face at infinity: every proper face lies in a
        facet and every facet is cut out by some row. Duplicate rows cannot occur,
        since a row is only added when it cuts the cell properly.
        """
        if _kernel is not None:
            return _kernel.facets(self.tights, len(self.rows))
        columns = self._incidence()
        result = []
        for i in range(1, len(columns)):
            mine = columns[i]
            if not any(other != mine and other & mine == mine for other in columns):
                result.append(i - 1)
        return result

    def pruned(self) -> "Cell":
        """The same cell with redundant rows removed and bitmasks renumbered."""
        if _kernel is not None:
            found = _kernel.prune(self.tights, len(self.rows))
            if found is None:
                return self
            keep, tights = found
            return Cell(self.dim, [self.rows[i] for i in keep], [self.tags[i] for i in keep],
                        self._vecs, tights, list(self.lines), self.image, self.exact)
        keep = self.facet_indices()
        if len(keep) == len(self.rows):
            return self
        mapping = [(i + 1, new + 1) for new, i in enumerate(keep)]
        tights = []
        for tight in self.tights:
            new = tight & 1
            for old_bit, new_bit in mapping:
                if tight >> old_bit & 1:
                    new |= 1 << new_bit
            tights.append(new)
        return Cell(self.dim, [self.rows[i] for i in keep], [self.tags[i] for i in keep],
                    list(self.vecs), tights, list(self.lines))

    def inequalities(self, indices: Sequence[int] | None = None) -> list[tuple[Vector, int]]:
        """Rows as ``(a, b)`` meaning ``a . x <= b`` (all rows, or those at *indices*)."""
        chosen = self.rows if indices is None else [self.rows[i] for i in indices]
        return [(tuple(-v for v in s[:-1]), s[-1]) for s in chosen]

    def inequality(self, row: int) -> tuple[Vector, int]:
        """Row *row* as ``(a, b)`` meaning ``a . x <= b`` (``a`` is the outward normal)."""
        s = self.rows[row]
        return tuple(-v for v in s[:-1]), s[-1]

    def row_key(self, row: int) -> Vector:
        """The :func:`oriented_key` of row *row*'s hyperplane (equal for every affine
        function that vanishes exactly there)."""
        return oriented_key(self.rows[row])

    def vertices(self) -> list[tuple[Fraction, ...]]:
        """The vertices as exact points (rays and lines are left out)."""
        return [tuple(Fraction(v, vec[-1]) for v in vec[:-1]) for vec in self.vecs if vec[-1]]

    def tight_rows(self, k: int) -> list[int]:
        """The indices of the rows that generator ``vecs[k]`` lies on, in row order.

        Read from its bitmask ``tights[k]``; the face at infinity (bit 0) is not a row
        and is left out. Time is linear in the number of rows it lies on.

        Examples
        --------
        >>> cell, _, _ = whole_space(2).cut((1, 0, 0), "x")  # x >= 0
        >>> cell, _, _ = cell.cut((0, 1, 0), "y")  # y >= 0: a quadrant
        >>> [(vec, cell.tight_rows(k)) for k, vec in enumerate(cell.vecs)]
        [((0, 0, 1), [0, 1]), ((1, 0, 0), [1]), ((0, 1, 0), [0])]
        """
        bits = self.tights[k] >> 1
        rows = []
        while bits:
            low = bits & -bits
            rows.append(low.bit_length() - 1)
            bits ^= low
        return rows

    def _homogeneous_sum(self, members: Sequence[int]) -> list[int]:
        """The sum of the given generators in homogeneous coordinates.

        It is a strictly positive combination of them (the vertex ``x / t`` with
        weight ``t``, each ray with weight 1), so the sum of all the generators of a
        face lies in the relative interior of that face.
        """
        vecs = self.vecs
        return [sum(column) for column in zip(*(vecs[k] for k in members))] or [0] * (self.dim + 1)

    def interior_point(self, simplest: bool = True) -> tuple[Fraction, ...]:
        """An exact point of the interior, cheap to find but often close to a facet.

        The sum of all generators in homogeneous coordinates is a strictly positive
        combination of them, hence interior; it is then moved to nearby simplest
        rationals within a proven safe radius (see :meth:`_simplified`). With
        ``simplest=False`` each coordinate is instead the binary fraction with the
        fewest digits there: about twice as many digits, found several times faster.
        The sum weights a vertex ``x / t`` by its ``t``, so a few generators can pull
        it to within a hair of a facet; :meth:`central_point` is the point to show.
        """
        return self._simplified(self._homogeneous_sum(range(len(self.vecs))), simplest)

    def central_point(self) -> tuple[Fraction, ...]:
        """A short exact point well inside: the vertex centroid moved to short rationals.

        The point keeps more than half of every row's slack at the (rounded) vertex
        centroid, so it stays well away from every facet: rounded to floats, it stays
        inside unless the cell is tiny against its coordinates.

        Notes
        -----
        The vertices ``x / t`` are rounded down to multiples of ``2^-B`` and averaged
        with equal weights: the rounded centroid ``c'`` is within ``2^-B`` of the exact
        one ``c`` in every coordinate. An unbounded cell adds, to stay strictly inside,
        the mean of its rays scaled to l-infinity norm 1 (rounded the same way), times
        the spread of the vertices (their largest l-infinity distance from ``c'``; 1 for
        a single vertex). With ``eps`` the safe radius at ``c'`` (see
        :meth:`_simplified`), ``B`` starts at 64 and doubles until ``c'`` is inside and
        ``2^-B <= eps / 8``. Each coordinate then moves by less than ``eps / 2``, to the
        rational nearest ``c'`` among those with the smallest denominator found that close
        (see :func:`_short_rationals`). So every row ``i`` (``a_i . x <= b_i``) keeps more than
        half its slack ``s_i(c')``; and for a bounded cell, since ``s_i(c) <= s_i(c') +
        |a_i|_1 2^-B <= 9/8 s_i(c')``, more than 4/9 of its slack ``s_i(c)`` at the exact
        centroid. Time: one division per vertex coordinate and one dot product per row
        (more only for cells so small that ``B`` must grow).

        Examples
        --------
        >>> cell = whole_space(2)
        >>> for h in [(1, 0, 0), (0, 1, 0), (-1, -8, 8)]:  # x >= 0, y >= 0, x + 8 y <= 8
        ...     cell = cell.cut(h, h, want=1)[0]
        >>> cell.vecs      # the vertices (0, 0), (8, 0) and (0, 1)
        [(0, 0, 1), (8, 0, 1), (0, 1, 1)]
        >>> cell.central_point(), cell.interior_point()
        ((Fraction(8, 3), Fraction(1, 3)), (Fraction(5, 2), Fraction(1, 2)))
        """
        bits = 64
        while True:
            total = self._centroid_sum(bits)
            radius = self._safe_radius(total)
            if radius is None:
                return tuple(Fraction(v, total[-1]) for v in total[:-1])
            num, den = radius
            if num > 0 and 8 * den <= num << bits:
                return _short_rationals(total, num, 2 * den, "centred")
            bits *= 2

    def _centroid_sum(self, bits: int) -> list[int]:
        """The rounded vertex centroid (plus the ray term if unbounded) in homogeneous
        coordinates, with vertices and rays rounded down to multiples of ``2^-bits``
        (see :meth:`central_point`)."""
        n = self.dim
        centre = [0] * n   # the sum of the rounded vertices, in units of 2^-bits
        rounded = []
        rays = []
        for vec in self.vecs:
            t = vec[-1]
            if t:
                point = [(v << bits) // t for v in vec[:-1]]
                rounded.append(point)
                centre = [a + b for a, b in zip(centre, point)]
            else:
                rays.append(vec)
        count = len(rounded) << bits   # the centroid is centre / count
        if not rays:
            return centre + [count]
        spread = max(abs(len(rounded) * v - c) for point in rounded for v, c in zip(point, centre))
        spread = spread or count   # the spread is spread / count
        direction = [0] * n        # the sum of the rays of l-infinity norm 1, in units of 2^-bits
        for ray in rays:
            top = max(map(abs, ray[:-1]))
            direction = [a + (v << bits) // top for a, v in zip(direction, ray)]
        # centre / count + (spread / count) (direction / (len(rays) 2^bits))
        scale = len(rays) << bits
        return [c * scale + spread * d for c, d in zip(centre, direction)] + [count * scale]

    def _safe_radius(self, total: Sequence[int]) -> tuple[int, int] | None:
        """``(num, den)`` with ``num / den = min_i s_i / sum_j |a_ij|`` over the rows with a
        nonzero ``a_i``, ``s_i`` the slack of row ``i`` at ``total[:-1] / total[-1]``
        (``total[-1] > 0``); None when there is no such row."""
        q = total[-1]
        best: tuple[int, int] | None = None  # eps = num / den
        for row in self.rows:
            weight = sum(map(abs, row[:-1]))
            if weight:
                slack = dot(row, total)
                if best is None or slack * best[1] < best[0] * weight * q:
                    best = (slack, weight * q)
        return best

    def _simplified(self, total: Sequence[int], simplest: bool = True) -> tuple[Fraction, ...]:
        """Simple rationals near the interior point ``total[:-1] / total[-1]``, still interior.

        With slack ``s_i > 0`` of row ``i`` at the point, moving every coordinate by
        less than ``eps = min_i s_i / sum_j |a_ij|`` keeps every row strict (see
        :func:`_short_rationals`).
        """
        radius = self._safe_radius(total)
        if radius is None:
            return tuple(Fraction(0) for _ in total[:-1])
        return _short_rationals(total, *radius, "simplest" if simplest else "binary")

    def face_point(self, row: int) -> tuple[Fraction, ...]:
        """An exact point in the relative interior of the face cut out by row *row*."""
        bit = 1 << (row + 1)
        total = self._homogeneous_sum([k for k, t in enumerate(self.tights) if t & bit])
        return tuple(Fraction(v, total[-1]) for v in total[:-1])


def _short_rationals(total: Sequence[int], num: int, den: int,
                     kind: Literal["simplest", "centred", "binary"]) -> tuple[Fraction, ...]:
    """Short rationals less than ``eps = num / den > 0`` from ``total[:-1] / total[-1]`` in
    every coordinate.

    Each coordinate ``x`` is first rounded to ``X / 2^B`` with ``2^B eps >= 4``; the
    interval ``((X + 1 - E) / 2^B, (X + E) / 2^B)``, ``E = floor(2^B eps)``, lies
    within ``eps`` of ``x``, and the coordinate becomes, by *kind*:

    - ``"simplest"``: the simplest rational in it (small integers throughout, however
      long ``x``'s digits are);
    - ``"centred"``: of the rationals with the simplest one's denominator ``q``, the
      nearest to ``x`` (``round(x q) / q``: no farther from ``x`` than the simplest one,
      so less than ``eps`` from ``x`` too, though maybe just outside the interval);
    - ``"binary"``: the multiple of ``1 / 2^B`` in it with the most factors of 2.
    """
    t = total[-1]
    shift = max(0, den.bit_length() - num.bit_length() + 3)
    reach = (num << shift) // den  # E: at least 4
    out = []
    for x in total[:-1]:
        rounded = (x << shift) // t   # X
        low = rounded + 1 - reach     # the open interval (low, high) / 2^shift
        high = low + 2 * reach - 1
        if kind == "binary":
            out.append(Fraction(_roundest(low, high), 1 << shift))
            continue
        if low < 0 < high:
            p, q = 0, 1
        elif low >= 0:
            p, q = _simplest(low, 1 << shift, high, 1 << shift)
        else:
            p, q = _simplest(-high, 1 << shift, -low, 1 << shift)
            p = -p
        if kind == "centred":   # round(x q / t)
            p = (2 * x * q + t) // (2 * t)
        out.append(Fraction(p, q))
    return tuple(out)


def _columns(tights: Sequence[int], count: int) -> list[int]:
    """Transpose bitmasks: entry ``r`` has bit ``k`` set when ``tights[k]`` has bit ``r``."""
    columns = [0] * count
    for k, tight in enumerate(tights):
        flag = 1 << k
        while tight:
            low = tight & -tight
            columns[low.bit_length() - 1] |= flag
            tight ^= low
    return columns


def simplest_between(low: Fraction, high: Fraction) -> Fraction:
    """The rational with the smallest denominator (then numerator) in the open interval.

    Continued fractions in integer arithmetic (the Stern-Brocot descent).

    Examples
    --------
    >>> simplest_between(Fraction(1, 3), Fraction(1, 2))
    Fraction(2, 5)
    >>> simplest_between(Fraction(-7, 2), Fraction(1, 9))
    Fraction(0, 1)
    """
    if not low < high:
        raise ValueError("empty interval")
    if low < 0 < high:
        return Fraction(0)
    if high <= 0:
        return -simplest_between(-high, -low)
    return Fraction(*_simplest(low.numerator, low.denominator, high.numerator, high.denominator))


def _roundest(low: int, high: int) -> int:
    """The integer strictly between *low* and *high* with the most trailing zero bits.

    Examples
    --------
    >>> _roundest(5, 13), _roundest(-13, -5), _roundest(6, 8)
    (8, -8, 7)
    """
    a, b = low + 1, high - 1
    if a <= 0 <= b:
        return 0
    if b < 0:
        return -_roundest(-high, -low)
    top = (a ^ b).bit_length()  # a and b agree above this bit; b has a 1 at bit top - 1
    if a >> top << top == a:
        return a
    return b >> (top - 1) << (top - 1)


def _simplest(a: int, b: int, c: int, d: int) -> tuple[int, int]:
    """Simplest p/q with a/b < p/q < c/d, for 0 <= a/b < c/d (b, d > 0).

    While both ends share the integer part ``whole``, the interval is replaced by
    ``(1 / (c/d - whole), 1 / (a/b - whole))`` and ``whole`` becomes the next partial
    quotient; ``(h1, h0; k1, k0)`` composes the maps ``t -> whole + 1/t`` so far.
    """
    h1, h0, k1, k0 = 1, 0, 0, 1
    while True:
        whole = a // b
        if (whole + 1) * d < c:
            p, q = whole + 1, 1
            break
        if a == whole * b:
            # (whole, c/d) with c/d <= whole + 1: whole + 1/m with the least m > d / (c - whole d)
            m = d // (c - whole * d) + 1
            p, q = whole * m + 1, m
            break
        h1, h0, k1, k0 = whole * h1 + h0, h1, whole * k1 + k0, k1
        a, b, c, d = d, c - whole * d, b, a - whole * b
    return h1 * p + h0 * q, k1 * p + k0 * q


def whole_space(n: int) -> Cell:
    """All of R^n: one vertex at the origin and the n unit lines.

    Examples
    --------
    >>> cell = whole_space(2)
    >>> left, right, _ = cell.cut((1, 0, 0), "x")
    >>> left.interior_point(), right.interior_point()
    ((Fraction(1, 1), Fraction(0, 1)), (Fraction(-1, 1), Fraction(0, 1)))
    """
    origin = tuple([0] * n + [1])
    lines = [tuple(1 if i == j else 0 for j in range(n + 1)) for i in range(n)]
    return Cell(n, [], [], [origin], [0], lines)
