"""The checkers of query certificates: maxima (``polyregions-max-certificate/1``) and
properties (``polyregions-verify-certificate/1``), on the count certificate's tree.

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
"""

from __future__ import annotations

from fractions import Fraction

from .common import CheckFailure, _integer, _lcm, _list_of, _num, _primitive, _show, _text
from .boxes import BOXES_FORMAT, check_boxes
from .domains import compare_domains
from .models import _affine, _read_model, _reduce, model_digest
from .pieces import _forward, _line_ok, _piece, _range, _inter, _stage_list
from .regions import _activate, _Checker, unit_branches

MAX_FORMAT = "polyregions-max-certificate/1"
__all__ = ["MAX_FORMAT", "VERIFY_FORMAT", "BOXES_FORMAT", "UNION_FORMAT", "VERIFY_FORMATS", "check_max",
           "check_verify", "check_verify_boxes", "check_verify_union", "read_disjuncts"]
VERIFY_FORMAT = "polyregions-verify-certificate/1"
#: A property that holds on a union of input sets: one certificate per set.
UNION_FORMAT = "polyregions-verify-union-certificate/1"
#: The certificates about a property (their domain is the property's input set or sets).
VERIFY_FORMATS = (VERIFY_FORMAT, BOXES_FORMAT, UNION_FORMAT)


class _QueryChecker(_Checker):
    """max and verify certificates: the count certificate's tree, where each leaf carries
    the query's proof and the walk stops at bounded subtrees (see :func:`check_certificate`).

    A bounded subtree carries the relaxation of :mod:`polyregions.search.relax`: the intervals of
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
            branches = unit_branches(kind, layer, funcs[u], vec[1])
            if state not in branches:
                raise CheckFailure(f"{where}: {_show(state)} is not a branch of layer {index} unit {u}")
            rows.extend(branches[state])
        pos += len(funcs)
        vec = _reduce(*_activate(kind, layer, funcs, mine, vec[1]))
    if pos != len(states):
        raise CheckFailure(f"{where}: {len(states)} states, the path has {pos}")
    return rows, vec


def check_max(cert, model, domain):
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
        compare_domains(cert["domain"], domain, checker.n, "it")
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
    compare_domains(cert["domain"], domain, checker.n, "it")
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


def _property(cert, model, domain, prop):
    """The certificate's unsafe set as disjuncts (the same as *prop*'s, when given, or
    CheckFailure) and the domain to compare with (*prop*'s inputs when *domain* is None: a
    list of input sets for a union)."""
    n, layers = _read_model(model)
    outputs = len(_forward(layers, [Fraction(0)] * n))
    disjuncts = read_disjuncts(cert["property"]["unsafe"], outputs, "property.unsafe")
    if prop is not None:
        asked = read_disjuncts(prop["unsafe"], outputs, "expected property.unsafe")
        if _canonical_disjuncts(asked) != _canonical_disjuncts(disjuncts):
            raise CheckFailure("property: the certificate is about another unsafe set of outputs")
        if domain is None:
            domain = prop.get("input")  # (None: the parts of a union checked on their own sets)
    return n, layers, disjuncts, domain


def _one_set(domain, n):
    """*domain* unless it is a union of input sets (a list), which a proof that the property
    holds on one set does not cover (CheckFailure)."""
    if isinstance(domain, list):
        raise CheckFailure(f"domain: the property's inputs are a union of {len(domain)} sets; a proof that it "
                           f"holds covers each set ({UNION_FORMAT})")
    return domain


def check_verify(cert, model, domain, prop):
    n, layers, disjuncts, domain = _property(cert, model, domain, prop)
    result = cert["result"]
    if result == "violated":
        checker = _Header(cert, model, VERIFY_FORMAT)
        if isinstance(domain, list):  # a union: the counterexample's set is one of them
            for one in domain[:-1]:
                try:
                    compare_domains(cert["domain"], one, checker.n, "it")
                    break
                except CheckFailure:
                    continue
            else:
                compare_domains(cert["domain"], domain[-1], checker.n, "it")
        else:
            compare_domains(cert["domain"], domain, checker.n, "it")
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
    compare_domains(cert["domain"], _one_set(domain, checker.n), checker.n, "it")
    checker.run()
    return {"property": "holds", "regions_visited": len(checker.leaves)}


def check_verify_boxes(cert, model, domain, prop, jobs=1):
    """Check a ``polyregions-verify-boxes-certificate/1`` (:mod:`.boxes`): the property holds
    on the certificate's box, which must be the input set asked for (its leaves on *jobs*
    worker processes)."""
    n, _, disjuncts, domain = _property(cert, model, domain, prop)
    unsafe = cert["property"]["unsafe"]
    compare_domains(cert["domain"], _one_set(domain, n), n, "the property")

    def regions(sub, model, sub_domain):
        if type(sub) is not dict or sub.get("format") != VERIFY_FORMAT:
            raise CheckFailure(f"expected a {VERIFY_FORMAT!r} certificate")
        if check_verify(sub, model, sub_domain, {"unsafe": unsafe}).get("property") != "holds":
            raise CheckFailure("the region search's certificate does not prove that the property holds")

    leaves = check_boxes(cert, model, cert["domain"], disjuncts, regions, jobs)
    return {"property": "holds", "boxes_closed": leaves}


def check_verify_union(cert, model, domain, prop, jobs=1):
    """Check a ``polyregions-verify-union-certificate/1``: the property holds on a union of
    input sets, one certificate per set in ``parts`` (each a verify or boxes certificate
    that it holds there, about the same unsafe set and model). With *prop* the parts must
    be about its input sets, in its order, and as many; *domain* (a list of input sets)
    the same; with neither, each part proves it on its own input set."""
    _, _, _, asked = _property(cert, model, domain, prop)
    if cert.get("model_sha256") != model_digest(model):
        raise CheckFailure("model_sha256: the certificate is about another model")
    if asked is not None and not isinstance(asked, list):
        asked = [asked]
    parts = cert["parts"]
    _list_of(parts, dict, "parts")
    if len(parts) < 2:
        raise CheckFailure(f"parts: a union of {len(parts)} input sets (at least 2)")
    if asked is not None and len(asked) != len(parts):
        raise CheckFailure(f"parts: {len(parts)} input sets, the property has {len(asked)}")
    if cert.get("result") != "holds":
        raise CheckFailure(f"result: expected 'holds', got {_show(cert.get('result'))}")
    unsafe = {"unsafe": cert["property"]["unsafe"]}
    for i, part in enumerate(parts):
        one = None if asked is None else asked[i]
        try:
            if part.get("format") == BOXES_FORMAT:
                proved = check_verify_boxes(part, model, one, unsafe, jobs)
            elif part.get("format") == VERIFY_FORMAT:
                proved = check_verify(part, model, one, unsafe)
            else:
                raise CheckFailure(f"expected a {VERIFY_FORMAT!r} or {BOXES_FORMAT!r} certificate, got "
                                   f"{_show(part.get('format'))}")
            if proved.get("property") != "holds":
                raise CheckFailure("it does not prove that the property holds")
        except CheckFailure as exc:
            raise CheckFailure(f"parts[{i}]: {exc}") from None
    return {"property": "holds", "input_sets": len(parts)}
