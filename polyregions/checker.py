"""Standalone checker of certificates: region counts (``polyregions-certificate/1``), maxima
(``polyregions-max-certificate/1``) and properties (``polyregions-verify-certificate/1``).

Uses only Python's standard library (json, hashlib, fractions, decimal, math,
operator, reprlib; gc, sys and contextlib for the settings of
:func:`large_certificate`), the model file, and :mod:`fileformat` beside it (the
package's one reader of numbers, JSON and model files, standard library only too,
which ``polyregions count`` reads models with): no cdd, no sympy, no floats and no
engine code. Every pre-activation is recomputed here from the weights along the
decision tree, which is walked with an explicit stack in time and memory linear in
its size.

Limits: numbers of at most :data:`MAX_CERTIFICATE_DIGITS` digits and decimal
exponents of at most 4,000 (as in model files), certificate files of at most
:data:`MAX_CERTIFICATE_BYTES` bytes, JSON nested no deeper than Python's recursion
limit; past them the certificate is INVALID. Domain rows must have a nonzero
coefficient (``0 . x <= b`` is refused: its strict form is not the interior).

What is proved. The units are decided one after another (layers in order, units in
order). At a node of the tree the states of the earlier units are fixed, so the
current unit's pre-activation is an affine function of the input, computed here. Its
branches are the open sets ``z > 0`` and ``z < 0`` (relu, leaky relu, abs),
``z < min``, ``min < z < max``, ``z > max`` (hardtanh), or ``f_j > f_i`` for all
``i`` that differ from ``f_j`` (maxout candidate ``j``, skipping a candidate identical
to an earlier one); a constant pre-activation has one forced state. The branches
cover the node up to finitely many hyperplanes, so every full-dimensional activation
region lies in exactly one leaf. Each branch is either kept (a subtree) or dropped
with multipliers ``y >= 0``, not all zero, on its strict inequalities ``a . x < b``
with ``sum y a = 0`` and ``sum y b <= 0``: then no point satisfies them all (it would
give ``0 < 0``), so the branch holds no region. Each leaf has a point satisfying all
its strict inequalities and the domain's strictly, so it is a full-dimensional
region. Hence the leaves are exactly the activation regions.

A merge (``--linear``) names two regions and a point ``p``: both regions' closures
contain ``p``, every inequality tight at ``p`` lies on one hyperplane and each region
has one, so near ``p`` the regions are the two sides of that hyperplane and share an
(n0-1)-dimensional face; their output maps are recomputed and must be identical.
Merges prove that regions belong to one linear region, so the certified number of
linear regions is an upper bound: regions not joined by a listed merge are counted
apart.

Maxima and properties (:class:`_QueryChecker`). The same tree, but a subtree may end at a
*bounded* node: there the certificate gives the intervals of the current layer's
pre-activations over the node (each end proved by multipliers ``y >= 0`` on the node's
strict rows: ``sum y a = D h`` and ``sum y b <= D (bound - h0)`` for the function ``h``),
the piece, the two lines or the candidates of each later unit, and multipliers for the
final bound; the checker recomputes the later intervals by interval arithmetic, checks
each line against the activation at the ends and breakpoints of its interval (and its
slope at an infinite end), each piece and dominant candidate against the intervals,
pulls the objective back through the layers (the upper line where its coefficient is
positive, the lower where negative) and checks that the resulting affine function is at
most the bound on the node. A leaf carries multipliers showing that the objective is at
most its bound (max) or Farkas multipliers on its rows and a disjunct's rows showing
that its closure misses the disjunct (verify). The maximiser, a counterexample and an
unbounded ray are checked by an exact forward pass.

What it is about. The counts hold on the certificate's own domain, for the model whose
digest it names. A valid proof about a smaller box proves nothing about the domain
someone asks for, so :func:`check_certificate` compares the certificate's domain with
the expected one (the same inequalities up to order, positive scaling, duplicates and
trivial rows; ``main`` takes ``--box LO HI``, ``--domain FILE`` or, without either,
all of R^n0), and :func:`report` prints the domain proved and the model's digest and
architecture beside the counts.
"""

from __future__ import annotations

import os
import sys

if not __package__:
    # Run as ``python polyregions/checker.py`` or imported from its own folder: the
    # package's numbers.py would shadow the standard library's (fractions imports it),
    # so the standard modules are imported with this folder off the path.
    _here, _path = os.path.dirname(os.path.abspath(__file__)), sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
    try:
        import numbers  # noqa: F401
    finally:
        sys.path[:] = _path

import gc
import hashlib
import json
import reprlib
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from math import gcd as _gcd
from operator import mul

if __package__:
    from .fileformat import FormatError, UnreadableFile, loads, read_file, read_model, read_number
else:  # beside this file (run as a script, or both files copied elsewhere)
    from fileformat import FormatError, UnreadableFile, loads, read_file, read_model, read_number

__all__ = ["check_certificate", "model_digest", "read_certificate", "parse_certificate", "CheckFailure",
           "describe_domain", "describe_model", "report", "domain_rows", "box_domain"]

FORMAT = "polyregions-certificate/1"

#: Most digits of any number in a certificate (multipliers, points, domain rows):
#: past it the check stops with INVALID instead of spending minutes on one number.
MAX_CERTIFICATE_DIGITS = 100_000
#: Largest certificate file read.
MAX_CERTIFICATE_BYTES = 1 << 32

_TOO_LONG = 10 ** MAX_CERTIFICATE_DIGITS
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 3, 60, 60, 6, 4


class CheckFailure(Exception):
    """The certificate does not prove what it claims; the message says where."""


@contextmanager
def large_certificate():
    """Settings for building, reading or walking a large certificate, restored afterwards.

    The cycle collector is paused: certificates are large trees without cycles, and
    the collector would walk every retained list again and again (a quarter of the
    time). On the way out the objects made meanwhile join the oldest generation
    (``gc.freeze`` then ``gc.unfreeze``, both constant time), so switching the
    collector back on does not make it walk them all at once as young objects.
    Python's limit on turning integers of more than 4,300 digits into text and back
    is lifted: multipliers of networks with long weights exceed it.
    """
    enabled = gc.isenabled()
    digits = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
    gc.disable()
    if digits is not None:
        sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        if digits is not None:
            sys.set_int_max_str_digits(digits)
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _show(value) -> str:
    """A short repr that never recurses deeply nor renders a huge value."""
    try:
        return _SHORT.repr(value)
    except (RecursionError, ValueError):
        return f"<{type(value).__name__}>"


def _num(value, place):
    if isinstance(value, float):
        raise CheckFailure(f"{place}: not an exact number: {value!r}")
    try:
        return read_number(value, place, MAX_CERTIFICATE_DIGITS)
    except FormatError as exc:
        raise CheckFailure(str(exc)) from None


def _list_of(value, kind, place):
    """Raise unless *value* is a list whose items all have type *kind* (any type when None)."""
    if type(value) is not list or (kind is not None and any(type(v) is not kind for v in value)):
        what = "a list" if kind is None else f"a list of {kind.__name__}"
        raise CheckFailure(f"{place}: expected {what}, got {_show(value)}")


def _integer(value, place):
    """A nonnegative integer of at most MAX_CERTIFICATE_DIGITS digits, else CheckFailure."""
    if type(value) is int and 0 <= value:
        if value < _TOO_LONG:
            return value
    elif not (isinstance(value, Decimal) and value.is_finite() and value >= 0
              and len(value.as_tuple().digits) > MAX_CERTIFICATE_DIGITS):
        raise CheckFailure(f"{place} is not a nonnegative integer ({_show(value)})")
    raise CheckFailure(f"{place} is too long: more than {MAX_CERTIFICATE_DIGITS:,} digits")


def _text(q):
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _read_model(model):
    """Layers as tuples: ('affine', W, b), ('relu',), ('leaky_relu', s), ('abs',),
    ('hardtanh', lo, hi), ('maxout', k), ('identity',); read by the package's one
    model reader (:func:`fileformat.read_model`), so a model the checker accepts is
    one ``polyregions count`` accepts, and the other way round."""
    try:
        return read_model(model)
    except FormatError as exc:
        raise CheckFailure(f"model: {exc}") from None


def model_digest(model) -> str:
    """sha256 of the model's canonical text: exact numbers as "p/q" strings, sorted keys."""
    dim, layers = _read_model(model)
    fields = {"affine": ("weight", "bias"), "leaky_relu": ("slope",), "hardtanh": ("min", "max"),
              "maxout": ("rank",)}
    canon = []
    for layer in layers:
        entry = {"type": layer[0]}
        for name, value in zip(fields.get(layer[0], ()), layer[1:]):
            if name == "weight":
                entry[name] = [[_text(v) for v in row] for row in value]
            elif name == "bias":
                entry[name] = [_text(v) for v in value]
            else:
                entry[name] = _text(Fraction(value))
        canon.append(entry)
    text = json.dumps({"input_dim": dim, "layers": canon}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _lcm(values):
    out = 1
    for v in values:
        out = out * v // _gcd(out, v)
    return out


def _primitive(values):
    g = 0
    for v in values:
        g = _gcd(g, v)
    return [v // g for v in values] if g > 1 else list(values)


# The current vector is (rows, den): row i is the affine function (c . x + c0) / den
# of the input, stored as the integers [c_1, ..., c_n, c0], with den > 0.

def _integer_affine(layer):
    """('affine', W, b) as integers over one positive denominator: (W', b', scale)."""
    _, w, b = layer
    scale = _lcm(v.denominator for v in [*b, *(x for r in w for x in r)])
    return [[int(v * scale) for v in row] for row in w], [int(v * scale) for v in b], scale


def _affine(layer, vec):
    """Compose y = W v + b with the current vector; layer is (W', b', scale) from _integer_affine."""
    w, b, scale = layer
    rows, den = vec
    width = len(rows[0])
    live = [(j, row) for j, row in enumerate(rows) if any(row)]
    out = []
    for wrow, bias in zip(w, b):
        acc = [0] * width
        for j, row in live:
            f = wrow[j]
            if f:
                acc = [a + f * r for a, r in zip(acc, row)]
        acc[-1] += bias * den
        out.append(acc)
    return _reduce(out, den * scale)


def _reduce(rows, den):
    g = den
    for row in rows:
        for v in row:
            g = _gcd(g, v)
    return ([[v // g for v in row] for row in rows], den // g) if g > 1 else (rows, den)


def _strict(coeffs, const):
    """The canonical strict row a . x < b for  coeffs . x + const < 0: primitive integers."""
    return tuple(_primitive([*coeffs, -const]))


def _threshold(row, den, value):
    """Integer row of (z - value) times a positive integer, z = row / den."""
    return [c * value.denominator for c in row[:-1]] + [row[-1] * value.denominator - value.numerator * den]


def _branches(kind, layer, funcs, den):
    """{state: canonical strict rows} for one unit; funcs are integer rows over den."""
    if kind == "maxout":
        out = {}
        for j, fj in enumerate(funcs):
            if fj not in funcs[:j]:
                diffs = ([a - b for a, b in zip(fi, fj)] for fi in funcs if fi != fj)
                out[str(j)] = [_strict(d[:-1], d[-1]) for d in diffs]
        return out
    z = funcs[0]
    if kind == "hardtanh":
        lo, hi = _threshold(z, den, layer[1]), _threshold(z, den, layer[2])
        if not any(z[:-1]):
            c = Fraction(z[-1], den)
            return {"L" if c < layer[1] else "l" if c == layer[1] else "M" if c < layer[2]
                    else "h" if c == layer[2] else "H": []}
        above_lo = _strict([-v for v in lo[:-1]], -lo[-1])
        return {"L": [_strict(lo[:-1], lo[-1])], "M": [above_lo, _strict(hi[:-1], hi[-1])],
                "H": [_strict([-v for v in hi[:-1]], -hi[-1])]}
    if not any(z[:-1]):
        return {"+" if z[-1] > 0 else "-" if z[-1] < 0 else "0": []}
    return {"+": [_strict([-v for v in z[:-1]], -z[-1])], "-": [_strict(z[:-1], z[-1])]}


def _activate(kind, layer, funcs_per_unit, states, den):
    width = len(funcs_per_unit[0][0]) if funcs_per_unit else 1
    zero = [0] * width
    if kind == "maxout":
        return [funcs[int(s)] for funcs, s in zip(funcs_per_unit, states)], den
    zs = [funcs[0] for funcs in funcs_per_unit]
    if kind == "hardtanh":
        lo, hi = layer[1], layer[2]
        q = _lcm([lo.denominator, hi.denominator])
        return [[q * v for v in z] if s == "M" else
                zero[:-1] + [int((lo if s in "Ll" else hi) * q) * den]
                for z, s in zip(zs, states)], den * q
    if kind == "leaky_relu":
        p, q = layer[1].numerator, layer[1].denominator
        return [[q * v for v in z] if s == "+" else [p * v for v in z] if s == "-" else zero
                for z, s in zip(zs, states)], den * q
    if kind == "abs":
        return [z if s == "+" else [-v for v in z] if s == "-" else zero for z, s in zip(zs, states)], den
    return [z if s == "+" else zero for z, s in zip(zs, states)], den


class _Checker:
    """The walk over the decision tree, in time and memory linear in its size.

    Query certificates (:class:`_QueryChecker`) walk the same tree; they stop at bounded
    subtrees (:meth:`_stop`) and check more at each leaf (:meth:`_leaf`).

    The kept part of the tree is a trie of dicts, state -> subtree; a node also holds
    the index of the region that ends there (key 0) and of the pruned branches that
    leave it (key None: state -> index), so no key is rebuilt along the walk. The
    walk keeps one path (states and strict rows per depth) as stacks, and an
    explicit stack of units instead of recursion.
    """

    FORMAT = FORMAT

    def __init__(self, cert, model):
        self._header(cert, model)
        self.trie = {}  # the kept part of the tree: state -> subtree; 0: region; None: pruned
        self._tree(cert)

    def _header(self, cert, model):
        """The model, the format, the model's digest and the domain."""
        self.n, self.layers = _read_model(model)
        self.affine = {i: _integer_affine(layer) for i, layer in enumerate(self.layers) if layer[0] == "affine"}
        if cert.get("format") != self.FORMAT:
            raise CheckFailure(f"format: expected {self.FORMAT!r}, got {_show(cert.get('format'))}")
        if cert.get("model_sha256") != model_digest(model):
            raise CheckFailure("model_sha256: the certificate is for another model")
        dom = cert["domain"]
        if len(dom["A"]) != len(dom["b"]):
            raise CheckFailure(f"domain: A has {len(dom['A'])} rows but b has {len(dom['b'])} entries")
        self.domain = []
        for i, (a, b) in enumerate(zip(dom["A"], dom["b"])):
            _list_of(a, None, f"domain A[{i}]")
            if len(a) != self.n:
                raise CheckFailure(f"domain A[{i}]: {len(a)} coefficients, expected {self.n}")
            row = [_num(v, f"domain A[{i}]") for v in a] + [_num(b, f"domain b[{i}]")]
            if not any(row[:-1]):
                # 0 . x <= b is all of space or empty; its strict form 0 < b would be
                # neither when b = 0 (it would prune every branch), so no such rows.
                raise CheckFailure(f"domain A[{i}]: every coefficient is zero (a domain row must be a hyperplane)")
            scale = _lcm(v.denominator for v in row)
            self.domain.append(tuple(_primitive([int(v * scale) for v in row])))

    def _tree(self, cert):
        """The regions and the pruned branches, as a trie."""
        self.regions = {}
        for i, region in enumerate(cert["regions"]):
            _list_of(region["states"], str, f"regions[{i}].states")
            _list_of(region["point"], None, f"regions[{i}].point")
            key = tuple(region["states"])
            if key in self.regions:
                raise CheckFailure(f"regions[{i}]: pattern {' '.join(key)} listed twice")
            self.regions[key] = ([_num(v, f"regions[{i}].point") for v in region["point"]], i)
            node = self.trie
            for state in key:
                child = node.get(state)
                if child is None:
                    child = node[state] = {}
                node = child
            node[0] = i
        self.region_list = list(self.regions.items())
        self.pruned = []
        seen = set()
        for i, item in enumerate(cert["pruned"]):
            _list_of(item["prefix"], str, f"pruned[{i}].prefix")
            if type(item["state"]) is not str:
                raise CheckFailure(f"pruned[{i}].state: expected a string, got {_show(item['state'])}")
            _list_of(item["multipliers"], list, f"pruned[{i}].multipliers")
            key = tuple(item["prefix"]) + (item["state"],)
            if key in seen:
                raise CheckFailure(f"pruned[{i}]: branch {' '.join(key)} listed twice")
            seen.add(key)
            self.pruned.append((key, item["multipliers"]))
            node = self.trie
            for state in item["prefix"]:
                node = node.get(state)
                if node is None:
                    break  # not on a kept path: never reached, reported after the walk
            else:
                node.setdefault(None, {})[item["state"]] = i
        self.used_regions = bytearray(len(self.region_list))
        self.used_pruned = bytearray(len(self.pruned))
        self.maps = {}  # region index -> (output map, strict rows), when merges need them
        self.keep_maps = False

    def run(self):
        # The tree's path: path[d] is the state of the unit at depth d and rows[d] its
        # strict rows on that branch. A frame is one unit of one activation layer
        # with its branches still to try; see _open_layer for the layer context.
        path, rows, stack = [], [], []
        vec = ([[int(i == j) for j in range(self.n)] + [0] for i in range(self.n)], 1)
        self._open_layer(0, vec, self.trie, path, rows, stack)
        while stack:
            frame = stack[-1]
            context, u, node, items, depth, pos = frame
            del path[depth:], rows[depth:]
            if pos == len(items):
                stack.pop()
                continue
            frame[5] = pos + 1
            state, new_rows = items[pos]
            path.append(state)
            rows.append(new_rows)  # rows[depth][m]: the m-th strict row of the unit at depth
            pruned = node.get(None)
            dropped = pruned is not None and state in pruned
            kept = state in node
            if kept and dropped:
                raise CheckFailure(f"branch {' '.join(path)} is both kept and pruned")
            if dropped:
                self.used_pruned[pruned[state]] = 1
                self._farkas(pruned[state], path, rows)
            elif kept:
                self._next_unit(context, u + 1, node[state], path, rows, stack)
            else:
                raise CheckFailure(f"branch {' '.join(path) or '(root)'} is neither kept nor pruned")
        for i, (key, _) in enumerate(self.region_list):
            if not self.used_regions[i]:
                raise CheckFailure(f"regions[{i}]: pattern {' '.join(key)} is not a leaf of the tree")
        for i, (key, _) in enumerate(self.pruned):
            if not self.used_pruned[i]:
                raise CheckFailure(f"pruned[{i}]: branch {' '.join(key)} is not in the tree")

    def _open_layer(self, index, vec, node, path, rows, stack):
        """Apply the affine layers from *index* on; then a leaf, or the next layer's first unit."""
        while index < len(self.layers) and self.layers[index][0] in ("affine", "identity"):
            if self.layers[index][0] == "affine":
                vec = _affine(self.affine[index], vec)
            index += 1
        if index == len(self.layers):
            self._leaf(node, path, rows, vec)
            return
        layer = self.layers[index]
        k = layer[1] if layer[0] == "maxout" else 1
        units = [vec[0][u * k:(u + 1) * k] for u in range(len(vec[0]) // k)]
        # context: the layer's index, its tuple, its units' functions, their denominator
        # and the depth of its first unit
        self._next_unit((index, layer, units, vec[1], len(path)), 0, node, path, rows, stack)

    def _next_unit(self, context, u, node, path, rows, stack):
        index, layer, funcs, den, start = context
        if u == len(funcs):
            vec = _reduce(*_activate(layer[0], layer, funcs, path[start:], den))
            self._open_layer(index + 1, vec, node, path, rows, stack)
            return
        if self._stop(context, u, node, path, rows):
            return
        branches = _branches(layer[0], layer, funcs[u], den)
        extra = [state for state in node if type(state) is str and state not in branches]
        if extra:
            raise CheckFailure(f"branch {' '.join(path + [sorted(extra)[0]])} is not a branch of the tree")
        stack.append([context, u, node, list(branches.items()), len(path), 0])

    def _stop(self, context, u, node, path, rows):
        """True when the walk stops at this node (query certificates: a bounded subtree)."""
        return False

    def _row(self, ref, rows, where):
        if type(ref) is not list or len(ref) != 2:
            raise CheckFailure(f"{where()}: no inequality {_show(ref)} on this branch")
        depth, m = ref
        if depth == "domain":
            if type(m) is not int or not 0 <= m < len(self.domain):
                raise CheckFailure(f"{where()}: no domain row {_show(m)}")
            return self.domain[m]
        if type(depth) is not int or type(m) is not int or not 0 <= depth < len(rows) \
                or not 0 <= m < len(rows[depth]):
            raise CheckFailure(f"{where()}: no inequality {_show(ref)} on this branch")
        return rows[depth][m]

    def _farkas(self, i, path, rows):
        multipliers = self.pruned[i][1]

        def where():  # built only for a message: the path is as long as the tree is deep
            return f"pruned[{i}] (branch {' '.join(path)})"

        ys, used = [], []
        for j, pair in enumerate(multipliers):
            if len(pair) != 2:
                raise CheckFailure(f"{where()}: multiplier {j} is not a pair [inequality, y]")
            ref, y = pair
            ys.append(_integer(y, f"{where()}: multiplier {j}"))
            used.append(self._row(ref, rows, where))
        if not ys:
            raise CheckFailure(f"{where()}: no multipliers")
        if not any(ys):
            raise CheckFailure(f"{where()}: all multipliers are zero")
        total = [sum(map(mul, ys, column)) for column in zip(*used)]
        if any(total[:-1]):
            raise CheckFailure(f"{where()}: the combination has nonzero linear part {_show(total[:-1])}")
        if total[-1] > 0:
            raise CheckFailure(f"{where()}: the combination has positive constant {_show(total[-1])}")

    def _leaf(self, node, path, rows, vec):
        i = node.get(0)
        if i is None:
            raise CheckFailure(f"leaf {' '.join(path)} is kept but no region lists it")
        point = self.region_list[i][1][0]
        if len(point) != self.n:
            raise CheckFailure(f"regions[{i}]: point has {len(point)} coordinates, expected {self.n}")
        den = _lcm(v.denominator for v in point)
        numerators = [int(v * den) for v in point]  # the point is numerators / den, den > 0
        for depth, unit_rows in enumerate(rows):
            for m, row in enumerate(unit_rows):
                self._strictly_inside(row, numerators, den, i, [depth, m])
        for d, row in enumerate(self.domain):
            self._strictly_inside(row, numerators, den, i, ["domain", d])
        self.used_regions[i] = 1
        if self.keep_maps:
            self.maps[i] = (vec, [row for unit_rows in rows for row in unit_rows])

    @staticmethod
    def _strictly_inside(row, numerators, den, i, ref):
        value = sum(map(mul, row, numerators))
        if not value < row[-1] * den:
            raise CheckFailure(f"regions[{i}]: point violates inequality {ref}: "
                               f"{_text(Fraction(value, den))} is not < {row[-1]}")

    def linear(self, merges):
        parent = list(range(len(self.region_list)))

        def find(k):
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        _list_of(merges, dict, "merges")
        for i, merge in enumerate(merges):
            where = f"merges[{i}]"
            _list_of(merge["first"], None, f"{where}.first")
            _list_of(merge["second"], None, f"{where}.second")
            _list_of(merge["point"], None, f"{where}.point")
            found = [self.regions.get(tuple(merge[side])) for side in ("first", "second")]
            if None in found or any(f[1] not in self.maps for f in found):
                raise CheckFailure(f"{where}: unknown region")
            (_, a), (_, b) = found
            if self.maps[a][0] != self.maps[b][0]:
                raise CheckFailure(f"{where}: the two output maps differ")
            p = [_num(v, f"{where}.point") for v in merge["point"]]
            if len(p) != self.n:
                raise CheckFailure(f"{where}: point has {len(p)} coordinates, expected {self.n}")
            den = _lcm(v.denominator for v in p)
            numerators = [int(v * den) for v in p]  # p = numerators / den, den > 0
            planes = []
            for index, side in ((a, "first"), (b, "second")):
                tight = []
                for row in self.maps[index][1] + self.domain:
                    value, bound = sum(map(mul, row, numerators)), row[-1] * den
                    if value > bound:
                        raise CheckFailure(f"{where}: point outside the closure of {' '.join(merge[side])}")
                    if value == bound:
                        tight.append(row)
                if not tight:
                    raise CheckFailure(f"{where}: point is interior to {' '.join(merge[side])}")
                planes += tight
            base = planes[0]
            pivot = next(j for j, v in enumerate(base) if v)
            if any(any(q[pivot] * v != base[pivot] * w for v, w in zip(base, q)) for q in planes):
                raise CheckFailure(f"{where}: the point lies on more than one hyperplane")
            parent[find(a)] = find(b)
        return sum(1 for k in range(len(parent)) if find(k) == k)


# -- query certificates: max and verify ------------------------------------------------------

MAX_FORMAT = "polyregions-max-certificate/1"
VERIFY_FORMAT = "polyregions-verify-certificate/1"

# The activations with one input per unit, as pieces: breakpoints, the slope left of the
# first and right of the last, and the function itself.


def _act(layer, z):
    kind = layer[0]
    if kind == "relu":
        return z if z > 0 else Fraction(0)
    if kind == "leaky_relu":
        return z if z >= 0 else layer[1] * z
    if kind == "abs":
        return abs(z)
    return min(max(z, layer[1]), layer[2])  # hardtanh


def _breaks(layer):
    return [layer[1], layer[2]] if layer[0] == "hardtanh" else [Fraction(0)]


def _end_slopes(layer):
    """The slopes of the activation left of its first breakpoint and right of its last."""
    kind = layer[0]
    if kind == "hardtanh":
        return Fraction(0), Fraction(0)
    if kind == "leaky_relu":
        return layer[1], Fraction(1)
    return (Fraction(-1) if kind == "abs" else Fraction(0)), Fraction(1)


def _piece(layer, state):
    """(slope, offset, lowest z, highest z) of the linear piece named *state* (None: infinite)."""
    kind = layer[0]
    if kind == "hardtanh":
        lo, hi = layer[1], layer[2]
        if state in ("L", "l"):
            return Fraction(0), lo, None, lo
        if state in ("H", "h"):
            return Fraction(0), hi, hi, None
        if state == "M":
            return Fraction(1), Fraction(0), lo, hi
        return None
    if state == "+":
        return Fraction(1), Fraction(0), Fraction(0), None
    if state == "-":
        return _end_slopes(layer)[0], Fraction(0), None, Fraction(0)
    if state == "0":
        return Fraction(0), Fraction(0), Fraction(0), Fraction(0)
    return None


def _inter(lo, hi, a, b):
    """[lo, hi] cut down to [a, b] (None: infinite)."""
    lo = a if lo is None else lo if a is None else max(lo, a)
    hi = b if hi is None else hi if b is None else min(hi, b)
    return lo, hi


def _range(layer, lo, hi):
    """The range of the activation over [lo, hi] (None: infinite ends)."""
    points = [p for p in (lo, hi) if p is not None]
    points += [b for b in _breaks(layer) if (lo is None or b > lo) and (hi is None or b < hi)]
    values = [_act(layer, p) for p in points]
    low, high = (min(values), max(values)) if values else (None, None)
    left, right = _end_slopes(layer)
    if lo is None:
        if left > 0:
            low = None
        elif left < 0:
            high = None
    if hi is None:
        if right > 0:
            high = None
        elif right < 0:
            low = None
    return low, high


def _line_ok(layer, line, lo, hi, upper):
    """True when s z + t is above (below) the activation on [lo, hi]."""
    s, t = line
    points = [p for p in (lo, hi) if p is not None]
    points += [b for b in _breaks(layer) if (lo is None or b > lo) and (hi is None or b < hi)]
    left, right = _end_slopes(layer)
    if upper:
        if (lo is None and s > left) or (hi is None and s < right):
            return False
        return all(s * p + t >= _act(layer, p) for p in points)
    if (lo is None and s < left) or (hi is None and s > right):
        return False
    return all(s * p + t <= _act(layer, p) for p in points)


def _compose(first, second):
    """The affine map second o first; each is (W, b) with Fraction entries, or None (identity)."""
    if first is None:
        return second
    w1, b1 = first
    w2, b2 = second
    weight = [[sum((row[k] * w1[k][j] for k in range(len(row))), Fraction(0)) for j in range(len(w1[0]))]
              for row in w2]
    bias = [sum((row[k] * b1[k] for k in range(len(row))), Fraction(0)) + c for row, c in zip(w2, b2)]
    return weight, bias


def _stage_list(layers):
    """Consecutive affine layers composed and paired with the activation after them, as the
    engine compiles them: ``([(map or None, activation index), ...], final map or None)``."""
    stages, pending = [], None
    for index, layer in enumerate(layers):
        if layer[0] == "affine":
            pending = _compose(pending, ([list(r) for r in layer[1]], list(layer[2])))
        else:
            stages.append((pending, index))
            pending = None
    return stages, pending


def _forward(layers, x):
    """The network's outputs at the point *x* (exact)."""
    v = list(x)
    for layer in layers:
        kind = layer[0]
        if kind == "affine":
            v = [sum((w * c for w, c in zip(row, v)), Fraction(0)) + b for row, b in zip(layer[1], layer[2])]
        elif kind == "maxout":
            k = layer[1]
            v = [max(v[i:i + k]) for i in range(0, len(v), k)]
        elif kind != "identity":
            v = [_act(layer, z) for z in v]
    return v


class _QueryChecker(_Checker):
    """max and verify certificates: the count certificate's tree, where each leaf carries
    the query's proof and the walk stops at bounded subtrees (see :func:`check_certificate`).

    A bounded subtree carries the relaxation of :mod:`polyregions.relax`: the intervals of
    the current layer's pre-activations over the node (each end proved by multipliers),
    the piece, lines or candidates of each later unit, and the multipliers of the final
    bound. The later intervals and the back-substitution are recomputed here; every line
    is checked on its interval, every piece and dominant candidate against the intervals.
    """

    def __init__(self, cert, model, fmt):
        self.FORMAT = fmt
        self._header(cert, model)
        self.trie = {}
        self.bounded = cert["bounded"]
        _list_of(self.bounded, dict, "bounded")
        for i, item in enumerate(self.bounded):
            _list_of(item["path"], str, f"bounded[{i}].path")
            node = self.trie
            for state in item["path"]:
                node = node.setdefault(state, {})
            if 1 in node:
                raise CheckFailure(f"bounded[{i}]: node {' '.join(item['path']) or '(root)'} listed twice")
            node[1] = i
        self._tree(cert)  # after the bounded paths: a pruned branch may leave one
        self.stages, self.final = _stage_list(self.layers)
        self.stage_of = {act: i for i, (_, act) in enumerate(self.stages)}
        self.used_bounded = bytearray(len(self.bounded))
        self.leaves = cert["regions"]

    def run(self):
        super().run()
        for i, item in enumerate(self.bounded):
            if not self.used_bounded[i]:
                raise CheckFailure(f"bounded[{i}]: node {' '.join(item['path']) or '(root)'} is not in the tree")

    # -- the claims ------------------------------------------------------------------------

    def objectives(self, i):
        """The objectives a bounded subtree must bound: [(name, g, limit, strict)]."""
        raise NotImplementedError

    def _leaf(self, node, path, rows, vec):
        if 1 in node:
            raise CheckFailure(f"bounded[{node[1]}]: node {' '.join(path)} is a leaf, not a subtree")
        super()._leaf(node, path, rows, vec)
        self.leaf_claim(node[0], path, rows, vec)

    def _stop(self, context, u, node, path, rows):
        i = node.get(1)
        if i is None:
            return False
        if 0 in node or None in node or any(type(k) is str for k in node):
            raise CheckFailure(f"bounded[{i}]: node {' '.join(path) or '(root)'} is bounded and expanded")
        self.used_bounded[i] = 1
        self._bounded(i, context, u, path, rows)
        return True

    # -- multipliers --------------------------------------------------------------------------

    def _proof(self, proof, h_lin, h0, limit, rows, where, strict=False):
        """Check multipliers proving h(x) = h_lin . x + h0 <= limit (< with *strict*) on the node."""
        if type(proof) is not dict:
            raise CheckFailure(f"{where}: expected multipliers, got {_show(proof)}")
        _list_of(proof["multipliers"], list, f"{where}: multipliers")
        scale = _integer(proof["scale"], f"{where}: scale")
        if not scale:
            raise CheckFailure(f"{where}: scale is zero")
        total = [0] * (self.n + 1)
        for j, pair in enumerate(proof["multipliers"]):
            if len(pair) != 2:
                raise CheckFailure(f"{where}: multiplier {j} is not a pair [inequality, y]")
            y = _integer(pair[1], f"{where}: multiplier {j}")
            row = self._row(pair[0], rows, lambda: where)
            total = [t + y * c for t, c in zip(total, row)]
        if [Fraction(t) for t in total[:-1]] != [scale * c for c in h_lin]:
            raise CheckFailure(f"{where}: the combination's linear part is not the scale times the bounded function's")
        room = scale * (limit - h0)
        if total[-1] > room or (strict and total[-1] == room):
            raise CheckFailure(f"{where}: the multipliers do not prove the bound {_text(limit)}")

    # -- a bounded subtree --------------------------------------------------------------------

    def _bounded(self, i, context, u, path, rows):
        item = self.bounded[i]
        where = f"bounded[{i}] (node {' '.join(path) or '(root)'})"
        index, layer, funcs, den, start = context
        decided = path[start:]
        flat = [f for unit in funcs for f in unit]
        _list_of(item["intervals"], list, f"{where}.intervals")
        _list_of(item["interval_multipliers"], list, f"{where}.interval_multipliers")
        if len(item["intervals"]) != len(flat) or len(item["interval_multipliers"]) != len(flat):
            raise CheckFailure(f"{where}: {len(item['intervals'])} intervals for {len(flat)} pre-activations")
        ivals = []
        for r, (row, pair, proof) in enumerate(zip(flat, item["intervals"], item["interval_multipliers"])):
            if len(pair) != 2 or len(proof) != 2:
                raise CheckFailure(f"{where}: interval {r} is not a pair")
            lo = None if pair[0] is None else _num(pair[0], f"{where}: interval {r}")
            hi = None if pair[1] is None else _num(pair[1], f"{where}: interval {r}")
            lin = [Fraction(c, den) for c in row[:-1]]
            const = Fraction(row[-1], den)
            if lo is not None:
                self._proof(proof[0], [-c for c in lin], -const, -lo, rows, f"{where}: lower end of interval {r}")
            if hi is not None:
                self._proof(proof[1], lin, const, hi, rows, f"{where}: upper end of interval {r}")
            ivals.append((lo, hi))
        pos = self.stage_of[index]
        relax = item["relaxation"]
        _list_of(relax, list, f"{where}.relaxation")
        if len(relax) != len(self.stages) - pos:
            raise CheckFailure(f"{where}: relaxation for {len(relax)} layers, expected {len(self.stages) - pos}")
        plan = []
        for depth, entries in enumerate(relax):
            _, act = self.stages[pos + depth]
            lay = self.layers[act]
            if depth:
                rule = self.stages[pos + depth][0]
                ivals = ivals if rule is None else self._affine_ivals(rule, ivals)
                same = None if rule is None else [tuple(w) + (b,) for w, b in zip(*rule)]
            else:
                same = [tuple(f) for f in flat]
            units, out = self._relax(lay, ivals, decided if depth == 0 else [], entries, same,
                                     f"{where}: layer {act}")
            plan.append((lay, units))
            ivals = out
        self.bound_claims(i, item, plan, pos, flat, den, rows, where)

    def _affine_ivals(self, rule, ivals):
        out = []
        for wrow, b in zip(*rule):
            lo = hi = b
            for w, (a_lo, a_hi) in zip(wrow, ivals):
                if w > 0:
                    lo = None if lo is None or a_lo is None else lo + w * a_lo
                    hi = None if hi is None or a_hi is None else hi + w * a_hi
                elif w < 0:
                    lo = None if lo is None or a_hi is None else lo + w * a_hi
                    hi = None if hi is None or a_lo is None else hi + w * a_lo
            out.append((lo, hi))
        return out

    def _relax(self, lay, ivals, decided, entries, same, where):
        """Per unit: ('lines', lower, upper) with (s, t) pairs or None, or ('maxout', j_lo, j_up,
        top); and the intervals of the outputs."""
        kind = lay[0]
        if kind == "identity":
            if entries:
                raise CheckFailure(f"{where}: an identity layer has no units")
            return [], ivals
        k = lay[1] if kind == "maxout" else 1
        count = len(ivals) // k
        _list_of(entries, None, f"{where}: relaxation")
        if len(entries) != count - len(decided):
            raise CheckFailure(f"{where}: {len(entries)} relaxed units, expected {count - len(decided)}")
        units, out = [], []
        for u in range(count):
            group = ivals[u * k:(u + 1) * k]
            if kind == "maxout":
                if u < len(decided):
                    j = int(decided[u])
                    units.append(("maxout", j, j, None))
                    out.append(group[j])
                    continue
                entry = entries[u - len(decided)]
                if type(entry) is not list or len(entry) != 2 or type(entry[0]) is not int \
                        or not 0 <= entry[0] < k or not (entry[1] is None or (type(entry[1]) is int and 0 <= entry[1] < k)):
                    raise CheckFailure(f"{where} unit {u}: expected [candidate, candidate or null], got {_show(entry)}")
                j_lo, j_up = entry
                rows_of = same[u * k:(u + 1) * k] if same is not None else None
                if j_up is not None:
                    lo_j = group[j_up][0]
                    for c, (_, hi_c) in enumerate(group):
                        if c == j_up or (rows_of is not None and rows_of[c] == rows_of[j_up]):
                            continue
                        if lo_j is None or hi_c is None or lo_j < hi_c:
                            raise CheckFailure(f"{where} unit {u}: candidate {j_up} does not dominate candidate {c}")
                    out.append(group[j_up])
                    top = None
                else:
                    top = None if any(h is None for _, h in group) else max(h for _, h in group)
                    finite = [lo for lo, _ in group if lo is not None]
                    out.append((max(finite) if finite else None, top))
                units.append(("maxout", j_lo, j_up, top))
                continue
            lo, hi = group[0]
            if u < len(decided):
                state = decided[u]
            else:
                state = entries[u - len(decided)]
            if type(state) is str:
                piece = _piece(lay, state)
                if piece is None:
                    raise CheckFailure(f"{where} unit {u}: no piece {_show(state)}")
                s, t, a, b = piece
                if u >= len(decided) and ((a is not None and (lo is None or lo < a))
                                          or (b is not None and (hi is None or hi > b))):
                    raise CheckFailure(f"{where} unit {u}: the interval does not lie in piece {state}")
                units.append(("lines", (s, t), (s, t)))
                out.append(_range(lay, *_inter(lo, hi, a, b)))
                continue
            if type(state) is not list or len(state) != 4:
                raise CheckFailure(f"{where} unit {u}: expected a piece or four numbers, got {_show(state)}")
            values = [None if v is None else _num(v, f"{where} unit {u}") for v in state]
            lines = []
            for side, (s, t) in (("lower", values[:2]), ("upper", values[2:])):
                if (s is None) != (t is None):
                    raise CheckFailure(f"{where} unit {u}: half a {side} line")
                if s is not None and not _line_ok(lay, (s, t), lo, hi, side == "upper"):
                    raise CheckFailure(f"{where} unit {u}: the {side} line {_text(s)} z + {_text(t)} "
                                       f"does not hold on the unit's interval")
                lines.append(None if s is None else (s, t))
            units.append(("lines", lines[0], lines[1]))
            out.append(_range(lay, lo, hi))
        return units, out

    def _back(self, g, plan, pos, flat, den, where):
        """Back-substitution of g . y to h(x) = h_lin . x + h0, an upper bound on the node."""
        lam = list(g)
        const = Fraction(0)
        if self.final is not None:
            weight, bias = self.final
            const += sum((l * b for l, b in zip(lam, bias)), Fraction(0))
            lam = [sum((lam[v] * weight[v][j] for v in range(len(weight))), Fraction(0)) for j in range(len(weight[0]))]
        for depth in range(len(plan) - 1, -1, -1):
            lay, units = plan[depth]
            if lay[0] == "maxout":
                k = lay[1]
                new = [Fraction(0)] * (len(units) * k)
                for u, (l, (_, j_lo, j_up, top)) in enumerate(zip(lam, units)):
                    if l > 0:
                        if j_up is not None:
                            new[u * k + j_up] += l
                        elif top is None:
                            raise CheckFailure(f"{where}: unit {u} of layer {self.stages[pos + depth][1]} "
                                               "has no upper bound")
                        else:
                            const += l * top
                    elif l < 0:
                        new[u * k + j_lo] += l
                lam = new
            elif lay[0] != "identity":
                new = []
                for u, (l, (_, lower, upper)) in enumerate(zip(lam, units)):
                    line = upper if l > 0 else lower
                    if not l:
                        new.append(Fraction(0))
                        continue
                    if line is None:
                        raise CheckFailure(f"{where}: unit {u} of layer {self.stages[pos + depth][1]} has no "
                                           f"{'upper' if l > 0 else 'lower'} line")
                    new.append(l * line[0])
                    const += l * line[1]
                lam = new
            if depth:
                rule = self.stages[pos + depth][0]
                if rule is not None:
                    weight, bias = rule
                    const += sum((l * b for l, b in zip(lam, bias)), Fraction(0))
                    lam = [sum((lam[v] * weight[v][j] for v in range(len(weight))), Fraction(0))
                           for j in range(len(weight[0]))]
        h_lin = [sum((l * f[j] for l, f in zip(lam, flat)), Fraction(0)) / den for j in range(self.n)]
        h0 = sum((l * f[-1] for l, f in zip(lam, flat)), Fraction(0)) / den + const
        return h_lin, h0



def _map_rows(vec):
    """A leaf's output map as Fraction rows (coefficients, then the constant)."""
    rows, den = vec
    return [[Fraction(c, den) for c in row] for row in rows]


class _Header(_Checker):
    """The model, format, digest and domain of a certificate without a tree."""

    def __init__(self, cert, model, fmt):
        self.FORMAT = fmt
        self._header(cert, model)


class _MaxChecker(_QueryChecker):
    """An optimum: the point attains the value; every leaf and bounded subtree is at most it."""

    def __init__(self, cert, model, g, limit):
        super().__init__(cert, model, MAX_FORMAT)
        self.g = g
        self.limit = limit

    def leaf_claim(self, i, path, rows, vec):
        leaf = self.leaves[i]
        where = f"regions[{i}]"
        bound = _num(leaf["bound"], f"{where}.bound")
        if bound > self.limit:
            raise CheckFailure(f"{where}: bound {_text(bound)} is above the optimum {_text(self.limit)}")
        rows_out = _map_rows(vec)
        h = [sum((gi * r[j] for gi, r in zip(self.g, rows_out)), Fraction(0)) for j in range(self.n + 1)]
        self._proof(leaf, h[:-1], h[-1], bound, rows, f"{where}: bound")

    def bound_claims(self, i, item, plan, pos, flat, den, rows, where):
        claims = item["bounds"]
        _list_of(claims, dict, f"{where}.bounds")
        if len(claims) != 1:
            raise CheckFailure(f"{where}: expected one bound, got {len(claims)}")
        bound = _num(claims[0]["bound"], f"{where}: bound")
        if bound > self.limit:
            raise CheckFailure(f"{where}: bound {_text(bound)} is above the optimum {_text(self.limit)}")
        h_lin, h0 = self._back(self.g, plan, pos, flat, den, where)
        self._proof(claims[0], h_lin, h0, bound, rows, f"{where}: bound")


class _VerifyChecker(_QueryChecker):
    """A property that holds: no leaf's closure and no bounded subtree meets a disjunct."""

    def __init__(self, cert, model, disjuncts):
        super().__init__(cert, model, VERIFY_FORMAT)
        self.disjuncts = disjuncts

    def leaf_claim(self, i, path, rows, vec):
        leaf = self.leaves[i]
        where = f"regions[{i}]"
        refutations = leaf["refutations"]
        _list_of(refutations, list, f"{where}.refutations")
        if len(refutations) != len(self.disjuncts):
            raise CheckFailure(f"{where}: {len(refutations)} refutations for {len(self.disjuncts)} disjuncts")
        out = _map_rows(vec)
        for k, (conj, multipliers) in enumerate(zip(self.disjuncts, refutations)):
            # the disjunct's rows on the leaf: (c . M) x <= d - c . m
            extra = []
            for c, d in conj:
                coeffs = [sum((ci * r[j] for ci, r in zip(c, out)), Fraction(0)) for j in range(self.n + 1)]
                extra.append(coeffs[:-1] + [d - coeffs[-1]])
            total = [Fraction(0)] * (self.n + 1)
            used = 0
            for j, pair in enumerate(multipliers):
                if type(pair) is not list or len(pair) != 2:
                    raise CheckFailure(f"{where}: disjunct {k}: multiplier {j} is not a pair [inequality, y]")
                ref, y = pair
                y = _integer(y, f"{where}: disjunct {k}: multiplier {j}")
                used += y
                if type(ref) is list and len(ref) == 2 and ref[0] == "property":
                    if type(ref[1]) is not int or not 0 <= ref[1] < len(extra):
                        raise CheckFailure(f"{where}: disjunct {k}: no property row {_show(ref[1])}")
                    row = extra[ref[1]]
                else:
                    row = self._row(ref, rows, lambda: f"{where}: disjunct {k}")
                total = [t + y * c for t, c in zip(total, row)]
            if not used:
                raise CheckFailure(f"{where}: disjunct {k}: all multipliers are zero")
            if any(total[:-1]) or total[-1] >= 0:
                raise CheckFailure(f"{where}: disjunct {k}: the multipliers do not refute it on the region")

    def bound_claims(self, i, item, plan, pos, flat, den, rows, where):
        claims = item["bounds"]
        _list_of(claims, dict, f"{where}.bounds")
        covered = set()
        for claim in claims:
            k, j = claim["disjunct"], claim["row"]
            if type(k) is not int or not 0 <= k < len(self.disjuncts) or type(j) is not int \
                    or not 0 <= j < len(self.disjuncts[k]):
                raise CheckFailure(f"{where}: no row {_show(j)} of disjunct {_show(k)}")
            c, d = self.disjuncts[k][j]
            bound = _num(claim["bound"], f"{where}: bound")
            if not bound < -d:
                raise CheckFailure(f"{where}: disjunct {k} row {j}: bound {_text(bound)} of -(c . y) is not "
                                   f"below {_text(-d)}")
            h_lin, h0 = self._back([-v for v in c], plan, pos, flat, den, where)
            self._proof(claim, h_lin, h0, bound, rows, f"{where}: disjunct {k} row {j}")
            covered.add(k)
        if len(covered) != len(self.disjuncts):
            missing = min(set(range(len(self.disjuncts))) - covered)
            raise CheckFailure(f"{where}: disjunct {missing} is not refuted on the subtree")


def _query_domain(checker, domain, cert):
    if domain is not None:
        proved, asked = domain_rows(cert["domain"], checker.n), domain_rows(domain, checker.n, "expected domain")
        if proved != asked:
            raise CheckFailure(f"domain: the certificate proves it on {describe_domain(cert['domain'], checker.n)}, "
                               f"not on the domain asked for ({describe_domain(domain, checker.n)})")


def _in_domain(checker, x, where):
    if len(x) != checker.n:
        raise CheckFailure(f"{where}: {len(x)} coordinates, expected {checker.n}")
    for d, row in enumerate(checker.domain):
        if sum((c * v for c, v in zip(row, x)), Fraction(0)) > row[-1]:
            raise CheckFailure(f"{where}: outside the domain (row {d})")


def _follow(checker, states, where):  # checker: a _Header or a _Checker
    """The strict rows and the output map of the leaf reached by *states* (a path from the root)."""
    vec = ([[int(i == j) for j in range(checker.n)] + [0] for i in range(checker.n)], 1)
    rows, pos = [], 0
    for index, layer in enumerate(checker.layers):
        kind = layer[0]
        if kind == "affine":
            vec = _affine(checker.affine[index], vec)
            continue
        if kind == "identity":
            continue
        k = layer[1] if kind == "maxout" else 1
        funcs = [vec[0][u * k:(u + 1) * k] for u in range(len(vec[0]) // k)]
        mine = states[pos:pos + len(funcs)]
        if len(mine) != len(funcs):
            raise CheckFailure(f"{where}: {len(states)} states, the path needs more")
        for u, state in enumerate(mine):
            branches = _branches(kind, layer, funcs[u], vec[1])
            if state not in branches:
                raise CheckFailure(f"{where}: {_show(state)} is not a branch of layer {index} unit {u}")
            rows.extend(branches[state])
        pos += len(funcs)
        vec = _reduce(*_activate(kind, layer, funcs, mine, vec[1]))
    if pos != len(states):
        raise CheckFailure(f"{where}: {len(states)} states, the path has {pos}")
    return rows, vec


def _check_max(cert, model, domain):
    n, layers = _read_model(model)
    where = "objective"
    _list_of(cert["objective"], None, "objective")
    c = [_num(v, where) for v in cert["objective"]]
    outputs = len(_forward(layers, [Fraction(0)] * n))
    if len(c) != outputs:
        raise CheckFailure(f"objective: {len(c)} coefficients, the model has {outputs} outputs")
    sense = cert["sense"]
    if sense not in ("max", "min"):
        raise CheckFailure(f"sense: expected 'max' or 'min', got {_show(sense)}")
    g = c if sense == "max" else [-v for v in c]
    name = "maximum" if sense == "max" else "minimum"
    _list_of(cert["point"], None, "point")
    x = [_num(v, "point") for v in cert["point"]]
    if cert["status"] == "unbounded":
        checker = _Header(cert, model, MAX_FORMAT)
        _query_domain(checker, domain, cert)
        _list_of(cert["region"], str, "region")
        _list_of(cert["ray"], None, "ray")
        ray = [_num(v, "ray") for v in cert["ray"]]
        if len(ray) != n:
            raise CheckFailure(f"ray: {len(ray)} coordinates, expected {n}")
        rows, vec = _follow(checker, cert["region"], "region")
        for r, row in enumerate(rows + checker.domain):
            if sum((a * v for a, v in zip(row, x)), Fraction(0)) > row[-1]:
                raise CheckFailure(f"point: outside the closure of the region (inequality {r})")
            if sum((a * v for a, v in zip(row, ray)), Fraction(0)) > 0:
                raise CheckFailure(f"ray: leaves the region (inequality {r})")
        out = _map_rows(vec)
        slope = sum((gi * sum((r[j] * ray[j] for j in range(n)), Fraction(0)) for gi, r in zip(g, out)), Fraction(0))
        if not slope > 0:
            raise CheckFailure(f"ray: the objective does not {'grow' if sense == 'max' else 'fall'} along it")
        return {name: "unbounded"}
    if cert["status"] != "optimal":
        raise CheckFailure(f"status: expected 'optimal' or 'unbounded', got {_show(cert['status'])}")
    value = _num(cert["value"], "value")
    limit = value if sense == "max" else -value
    checker = _MaxChecker(cert, model, g, limit)
    _query_domain(checker, domain, cert)
    _in_domain(checker, x, "point")
    at = sum((gi * yi for gi, yi in zip(g, _forward(layers, x))), Fraction(0))
    if at != limit:
        raise CheckFailure(f"point: the objective there is {_text(at if sense == 'max' else -at)}, "
                           f"not {_text(value)}")
    checker.run()
    return {name: _text(value), "regions_visited": len(checker.leaves)}


def read_disjuncts(unsafe, outputs, place="unsafe"):
    """The unsafe set ``[[{"c": [...], "d": ...}, ...], ...]`` (a disjunction of conjunctions of
    ``c . y <= d``) as lists of (c, d) with exact numbers."""
    _list_of(unsafe, list, place)
    if not unsafe:
        raise CheckFailure(f"{place}: no disjunct")
    out = []
    for k, conj in enumerate(unsafe):
        _list_of(conj, dict, f"{place}[{k}]")
        if not conj:
            raise CheckFailure(f"{place}[{k}]: an empty conjunction (every output would be unsafe)")
        rows = []
        for j, item in enumerate(conj):
            _list_of(item["c"], None, f"{place}[{k}][{j}].c")
            if len(item["c"]) != outputs:
                raise CheckFailure(f"{place}[{k}][{j}].c: {len(item['c'])} coefficients, the model has {outputs} outputs")
            rows.append(([_num(v, f"{place}[{k}][{j}].c") for v in item["c"]], _num(item["d"], f"{place}[{k}][{j}].d")))
        out.append(rows)
    return out


def _canonical_disjuncts(disjuncts):
    """The disjuncts as a set of sets of primitive integer rows (order, scaling and repeats ignored)."""
    out = set()
    for conj in disjuncts:
        rows = set()
        for c, d in conj:
            row = list(c) + [d]
            scale = _lcm(v.denominator for v in row)
            rows.add(tuple(_primitive([int(v * scale) for v in row])))
        out.add(frozenset(rows))
    return out


def _check_verify(cert, model, domain, prop):
    n, layers = _read_model(model)
    outputs = len(_forward(layers, [Fraction(0)] * n))
    disjuncts = read_disjuncts(cert["property"]["unsafe"], outputs, "property.unsafe")
    if prop is not None:
        asked = read_disjuncts(prop["unsafe"], outputs, "expected property.unsafe")
        if _canonical_disjuncts(asked) != _canonical_disjuncts(disjuncts):
            raise CheckFailure("property: the certificate is about another unsafe set of outputs")
        if domain is None:
            domain = prop["input"]
    result = cert["result"]
    if result == "violated":
        checker = _Header(cert, model, VERIFY_FORMAT)
        _query_domain(checker, domain, cert)
        _list_of(cert["counterexample"], None, "counterexample")
        x = [_num(v, "counterexample") for v in cert["counterexample"]]
        _in_domain(checker, x, "counterexample")
        y = _forward(layers, x)
        k = cert["disjunct"]
        if type(k) is not int or not 0 <= k < len(disjuncts):
            raise CheckFailure(f"disjunct: no disjunct {_show(k)}")
        for j, (c, d) in enumerate(disjuncts[k]):
            if sum((a * b for a, b in zip(c, y)), Fraction(0)) > d:
                raise CheckFailure(f"counterexample: the outputs there do not satisfy row {j} of disjunct {k}")
        return {"property": "violated"}
    if result != "holds":
        raise CheckFailure(f"result: expected 'holds' or 'violated', got {_show(result)}")
    checker = _VerifyChecker(cert, model, disjuncts)
    _query_domain(checker, domain, cert)
    checker.run()
    return {"property": "holds", "regions_visited": len(checker.leaves)}


def domain_rows(domain, n, place="domain"):
    """The canonical rows of ``{"A": [...], "b": [...]}``: a set of primitive integer tuples
    ``(a_1, ..., a_n, b)`` for ``a . x <= b``, trivial rows ``0 <= b`` (b >= 0) left out."""
    _list_of(domain["A"], list, f"{place}.A")
    _list_of(domain["b"], None, f"{place}.b")
    if len(domain["A"]) != len(domain["b"]):
        raise CheckFailure(f"{place}: A has {len(domain['A'])} rows but b has {len(domain['b'])} entries")
    rows = set()
    for i, (a, b) in enumerate(zip(domain["A"], domain["b"])):
        if len(a) != n:
            raise CheckFailure(f"{place} A[{i}]: {len(a)} coefficients, expected {n}")
        row = [_num(v, f"{place} A[{i}]") for v in a] + [_num(b, f"{place} b[{i}]")]
        if not any(row[:-1]) and row[-1] >= 0:
            continue
        scale = _lcm(v.denominator for v in row)
        rows.add(tuple(_primitive([int(v * scale) for v in row])))
    return rows


def box_domain(low, high, n):
    """``{"A": ..., "b": ...}`` of the box ``low_i <= x_i <= high_i``; *low* and *high* are one
    exact number (text such as ``-1/2`` or ``0.25``) or one per coordinate (a comma-separated text)."""
    bounds = []
    for name, text in (("low", low), ("high", high)):
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) == 1:
            parts = parts * n
        if len(parts) != n:
            raise CheckFailure(f"--box: {len(parts)} values in {text!r}, the model has {n} inputs")
        bounds.append([_num(v, f"--box {name}") for v in parts])
    rows, rhs = [], []
    for i, (lo, hi) in enumerate(zip(*bounds)):
        if not lo < hi:
            raise CheckFailure(f"--box: coordinate {i}: low {_text(lo)} must be below high {_text(hi)}")
        rows += [[-int(i == j) for j in range(n)], [int(i == j) for j in range(n)]]
        rhs += [-lo, hi]
    return {"A": rows, "b": rhs}


def _row_text(row):
    terms = []
    for i, c in enumerate(row[:-1]):
        if c:
            sign = "-" if c < 0 else "+"
            size = "" if abs(c) == 1 else f"{abs(c)} "
            terms.append(f"{sign} {size}x{i + 1}")
    lhs = " ".join(terms).lstrip("+ ") if terms else "0"
    if lhs.startswith("- "):
        lhs = "-" + lhs[2:]
    return f"{lhs} <= {row[-1]}"


def describe_domain(domain, n):
    """One line for humans: ``all of R^2``, ``box [-1, 1]^2``, ``box [0, 1] x [-1/2, 2]``, or
    ``polyhedron in R^2: x1 + x2 <= 1, -x1 <= 0, -x2 <= 0`` (every row)."""
    rows = sorted(domain_rows(domain, n))
    if not rows:
        return f"all of R^{n}"
    low, high = {}, {}
    for row in rows:
        axes = [i for i, c in enumerate(row[:-1]) if c]
        if len(axes) != 1:
            break
        c = row[axes[0]]
        side = high if c > 0 else low
        if axes[0] in side:
            break
        side[axes[0]] = Fraction(row[-1], c)
    else:
        if len(low) == len(high) == n and all(low[i] < high[i] for i in range(n)):
            if len(set(low.values())) == 1 and len(set(high.values())) == 1:
                return f"box [{_text(low[0])}, {_text(high[0])}]^{n}"
            return "box " + " x ".join(f"[{_text(low[i])}, {_text(high[i])}]" for i in range(n))
    return f"polyhedron in R^{n}: " + ", ".join(_row_text(row) for row in rows)


def describe_model(model):
    """The architecture of a model: ``2 -> 8 -> 8 -> 1, relu`` (the input dimension, the width
    after each affine layer, and the activation types in order of appearance)."""
    dim, layers = _read_model(model)
    widths, kinds = [dim], []
    for layer in layers:
        if layer[0] == "affine":
            widths.append(len(layer[1]))
        elif layer[0] not in kinds:
            kinds.append(layer[0])
    return f"{' -> '.join(map(str, widths))}, {', '.join(kinds) or 'affine'}"


def check_certificate(cert, model, domain=None, prop=None):
    """Return what the certificate proves, or raise :class:`CheckFailure` at the first failing item.

    A count certificate (``polyregions-certificate/1``) proves counts; a max certificate
    (``polyregions-max-certificate/1``) an optimum (``{"maximum": "7/2", ...}``, or
    ``"unbounded"``); a verify certificate (``polyregions-verify-certificate/1``) that a
    property holds or is violated. *prop* (verify certificates only: ``{"input": {"A":
    ..., "b": ...}, "unsafe": [...]}``) is the property the proof must be about: the
    same unsafe rows up to order, scaling and repeats, and the same input domain.

    *domain* (``{"A": [...], "b": [...]}``, rows ``a . x <= b`` of exact numbers; no rows for
    all of R^n0) is the domain the count must be about: the certificate's domain must be
    the same set of inequalities, up to order, positive scaling, duplicates and trivial
    rows, or the check fails (a valid proof about another domain is not a proof about
    this one). With None the domain is not compared: read it from :func:`describe_domain`.
    """
    fmt = cert.get("format") if type(cert) is dict else None
    if fmt in (MAX_FORMAT, VERIFY_FORMAT):
        try:
            with large_certificate():
                if fmt == MAX_FORMAT:
                    return _check_max(cert, model, domain)
                return _check_verify(cert, model, domain, prop)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise CheckFailure(f"malformed certificate or model: {type(exc).__name__}: {str(exc)[:200]}") from None
        except RecursionError:
            raise CheckFailure("malformed certificate or model: nested too deeply") from None
    try:
        with large_certificate():
            checker = _Checker(cert, model)
            checker.keep_maps = "merges" in cert
            if domain is not None:
                proved, asked = domain_rows(cert["domain"], checker.n), domain_rows(domain, checker.n, "expected domain")
                if proved != asked:
                    raise CheckFailure(f"domain: the certificate proves the count on "
                                       f"{describe_domain(cert['domain'], checker.n)}, not on the domain "
                                       f"asked for ({describe_domain(domain, checker.n)})")
            checker.run()
        counts = {"activation_regions": len(checker.regions)}
        if "merges" in cert:
            counts["linear_regions_at_most"] = checker.linear(cert["merges"])
        claimed = cert.get("counts", {})
        for name in ("activation_regions", "linear_regions"):
            if name in claimed and type(claimed[name]) is not int:
                raise CheckFailure(f"counts.{name}: expected an integer, got {claimed[name]!r:.80}")
        if "activation_regions" in claimed and claimed["activation_regions"] != counts["activation_regions"]:
            raise CheckFailure(f"counts: the certificate claims {claimed['activation_regions']} activation "
                               f"regions, the tree proves {counts['activation_regions']}")
        if "linear_regions" in claimed and claimed["linear_regions"] != counts.get("linear_regions_at_most"):
            raise CheckFailure(f"counts: the certificate claims {claimed['linear_regions']} linear regions, "
                               f"the merges prove at most {counts.get('linear_regions_at_most')}")
        return counts
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise CheckFailure(f"malformed certificate or model: {type(exc).__name__}: {str(exc)[:200]}") from None
    except RecursionError:
        raise CheckFailure("malformed certificate or model: nested too deeply") from None


USAGE = "usage: python -m polyregions.checker CERT.json MODEL.json [--box LO HI | --domain FILE]"


#: Said under a valid verify certificate checked without a property to compare with.
OWN_PROPERTY = ("property: the one stored in the certificate (compare it with yours: "
                "polyregions check CERT MODEL --property FILE)")


def _arguments(args):
    """(certificate path, model path, box or None, domain path or None) from the command line."""
    positional, box, domain = [], None, None
    i = 0
    while i < len(args):
        if args[i] == "--box" and i + 2 < len(args) and box is None:
            box = (args[i + 1], args[i + 2])
            i += 3
        elif args[i] == "--domain" and i + 1 < len(args) and domain is None:
            domain = args[i + 1]
            i += 2
        else:
            positional.append(args[i])
            i += 1
    if len(positional) != 2 or any(a.startswith("--") for a in positional) or (box and domain):
        return None
    return positional[0], positional[1], box, domain


def report(counts, cert, model, seconds=None):
    """The lines printed for a valid certificate: the counts, then what they are about."""
    n = int(model["input_dim"])
    timing = "" if seconds is None else f" ({seconds:.3f} s)"
    return ["VALID " + " ".join(f"{k}={v}" for k, v in counts.items()) + timing,
            f"domain: {describe_domain(cert['domain'], n)}",
            f"model:  sha256 {model_digest(model)} ({describe_model(model)})"]


def main(argv=None):
    """``python -m polyregions.checker CERT.json MODEL.json [--box LO HI | --domain FILE]``.

    Prints VALID with the counts, the domain proved and the model's digest and
    architecture (exit 0), or INVALID with the reason (exit 1): the certificate was read
    and proves nothing here (its file is not a certificate, or an item fails). The count
    must be about the domain given: ``--box LO HI`` (numbers, or one per coordinate,
    comma-separated), ``--domain FILE`` (``{"A": [[...]], "b": [...]}``) or, without
    either, all of R^n0. Inputs that cannot be used (a file that cannot be opened, a model
    or domain that is not one, a bad --box) are an error on stderr (exit 2), as for
    ``polyregions check``.
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        print("Verifies a certificate written by `polyregions certify`, `max -o` or `verify -o` against a "
              "polyregions JSON model (convert others with `polyregions convert`): VALID (exit 0), INVALID "
              "(exit 1), unusable input such as a missing file or a malformed model (exit 2). Counts must be "
              "about the domain given (--box, --domain, or all of R^n0); a verify certificate proves the "
              "property stored in it (compare it with yours: polyregions check CERT MODEL --property FILE).")
        return 0
    parsed = _arguments(argv)
    if parsed is None:
        print(USAGE, file=sys.stderr)
        return 2
    cert_path, model_path, box, domain_path = parsed
    try:
        try:
            model, domain = _inputs(model_path, box, domain_path)
            text = read_file(cert_path, "certificate file", MAX_CERTIFICATE_BYTES)
        except (UnreadableFile, _BadInput) as exc:
            print(f"checker: error: {exc}", file=sys.stderr)
            return 2
        except FormatError as exc:  # the certificate file's content: too large, binary, not UTF-8
            print(f"INVALID: {exc}")
            return 1
        try:
            cert = parse_certificate(text, str(cert_path))
            if domain is None and not (type(cert) is dict and cert.get("format") == VERIFY_FORMAT):
                domain = {"A": [], "b": []}  # (a verify certificate's domain is its property's inputs)
            counts = check_certificate(cert, model, domain)
            lines = report(counts, cert, model)
            if cert.get("format") == VERIFY_FORMAT:
                lines.append(OWN_PROPERTY)
        except (FormatError, CheckFailure) as exc:
            print(f"INVALID: {exc}")
            return 1
        except (KeyError, TypeError, ValueError) as exc:
            print(f"INVALID: malformed certificate: {type(exc).__name__}: {exc}")
            return 1
    except KeyboardInterrupt:
        print("checker: interrupted", file=sys.stderr)
        return 130
    print("\n".join(lines))
    return 0


class _BadInput(Exception):
    """A model, domain or --box the checker cannot use (exit 2, not INVALID)."""


def _inputs(model_path, box, domain_path):
    """The model (validated) and the domain asked for (None: not given), or _BadInput."""
    model = None
    try:
        model = loads(read_file(model_path, "model file"), model_path)
        n, _ = read_model(model)
    except UnreadableFile:
        raise
    except FormatError as exc:
        where = "" if model is None else f"{model_path}: "  # (the JSON reader names the file)
        raise _BadInput(f"{where}{exc} (this checker reads polyregions JSON models: convert an ONNX or PyTorch model "
                        "with `polyregions convert MODEL -o MODEL.json`)") from None
    try:
        if box is not None:
            return model, box_domain(box[0], box[1], n)
        if domain_path is None:
            return model, None
        domain = loads(read_file(domain_path, "domain file"), domain_path)
        if type(domain) is not dict or not {"A", "b"} <= set(domain) <= {"A", "b", "description"}:
            raise CheckFailure(f"{domain_path}: expected an object with keys A and b (and description)")
        domain_rows(domain, n, domain_path)
        return model, domain
    except UnreadableFile:
        raise
    except (FormatError, CheckFailure) as exc:
        raise _BadInput(str(exc)) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise _BadInput(f"{domain_path}: malformed domain: {type(exc).__name__}: {exc}") from None


def read_certificate(path):
    """A certificate file parsed with exact numbers and the certificate limits, or FormatError."""
    return parse_certificate(read_file(path, "certificate file", MAX_CERTIFICATE_BYTES), str(path))


def parse_certificate(text, source="certificate"):
    """Certificate JSON text parsed with exact numbers and the certificate limits, or FormatError."""
    with large_certificate():
        return loads(text, source, MAX_CERTIFICATE_DIGITS)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
