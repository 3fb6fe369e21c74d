"""The checker of count certificates (``polyregions-certificate/1``): the walk over the
decision tree (:class:`_Checker`, which the query certificates extend) and the branches
of one unit, recomputed from the weights in integer rows (:func:`unit_branches`).

The tree is walked with an explicit stack in time and memory linear in its size. Domain
rows must have a nonzero coefficient (``0 . x <= b`` is refused: its strict form is not
the interior).

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
"""

from __future__ import annotations

from fractions import Fraction
from operator import mul

from .common import CheckFailure, _integer, _lcm, _list_of, _num, _primitive, _show, _text, large_certificate
from .domains import compare_domains
from .models import _affine, _integer_affine, _read_model, _reduce, model_digest

FORMAT = "polyregions-certificate/1"


def _strict(coeffs, const):
    """The canonical strict row a . x < b for  coeffs . x + const < 0: primitive integers."""
    return tuple(_primitive([*coeffs, -const]))


def _threshold(row, den, value):
    """Integer row of (z - value) times a positive integer, z = row / den."""
    return [c * value.denominator for c in row[:-1]] + [row[-1] * value.denominator - value.numerator * den]


def unit_branches(kind, layer, funcs, den):
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
        branches = unit_branches(layer[0], layer, funcs[u], den)
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


def check_count(cert, model, domain):
    """The counts a count certificate proves on *domain* (None: not compared), or
    :class:`CheckFailure` (see :func:`.check.check_certificate`)."""
    with large_certificate():
        checker = _Checker(cert, model)
        checker.keep_maps = "merges" in cert
        if domain is not None:
            compare_domains(cert["domain"], domain, checker.n, "the count")
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
