"""Bounds of a network's outputs over a subtree of the search, by linear relaxation.

At a node of the search (:class:`~polyregions.search.engine.Node`) the units decided so far
fix the pre-activations of the current stage as exact affine functions of the input
on the node's cell. Every region below the node lies in that cell, so an upper bound
of a linear objective ``g . y`` of the network's output ``y`` over the cell bounds it
over the whole subtree. :func:`node_bounds` computes such bounds in three steps, in
exact integer arithmetic (no float is used anywhere):

1. *Intervals.* The current stage's pre-activations are exact affine functions on the
   cell, so their extremes over the cell are attained at the cell's vertices (or are
   infinite along a ray or a line). Each interval is rounded outward to the grid of
   ``2^-e`` (``e`` chosen from the magnitudes), which keeps the numbers short.
   Later stages get intervals by interval arithmetic (outward rounding again).
2. *Relaxation.* A unit whose interval lies in one linear piece of its activation is
   that piece exactly; a decided unit is the piece of its state. Any other unit gets a
   lower and an upper line ``s z + t`` valid on its interval (the chord on one side,
   a tangent through the breakpoint on the other, as in DeepPoly and CROWN); a maxout
   unit is bounded below by the candidate with the largest lower end and above by a
   candidate that dominates the others or by the largest upper end.
3. *Back-substitution.* The objective is pulled back through the layers, taking at
   each unit the upper line where its coefficient is positive and the lower line where
   it is negative (Zhang et al. 2018, "Efficient Neural Network Robustness
   Certification with General Activation Functions", CROWN), down to an affine
   function of the input that bounds the objective on the cell; its maximum over the
   cell (a vertex, or infinite) is the bound.

The result keeps what a certificate needs (:meth:`NodeBound.certificate_data`): the
intervals of the current stage with the vertices that attain them, the piece or the
lines of every unit, and the final affine function with its maximising vertex. The
standalone checker (:mod:`polyregions.checker`) recomputes the later intervals and the
back-substitution itself, validates every line on its interval, and checks the
interval ends and the final bound with LP multipliers on the node's inequalities.

References
----------
Zhang, Weng, Chen, Hsieh, Daniel 2018, NeurIPS ("CROWN"); Singh, Gehr, Puschel, Vechev
2019, POPL ("DeepPoly"); Gowal et al. 2018 (interval bound propagation).
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from operator import mul
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from .engine import Node, Search
    from ..geometry.polyhedron import Cell

__all__ = ["NodeBound", "node_bounds", "cell_maximum", "SLOPE_BITS"]

#: Bits of the relaxation slopes (a slope is a multiple of ``2^-SLOPE_BITS``).
SLOPE_BITS = 20
#: Bits kept below the largest interval end of the current stage.
INTERVAL_BITS = 48

_ONE = 1 << SLOPE_BITS


def _floor_div(a: int, b: int) -> int:
    return a // b


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def cell_maximum(row: Sequence[int], cell: "Cell") -> tuple[int, int, int] | None:
    """The maximum of ``row . (x, 1)`` over the cell, or None when it is unbounded.

    Returns ``(value numerator, vertex t, vertex index)``: the maximum is
    ``numerator / t`` (``t > 0``), attained at ``cell.vecs[index]``.
    """
    lin = row[:-1]
    for line in cell.lines:
        if sum(map(mul, lin, line)):
            return None
    best_num = best_t = None
    best_k = -1
    for k, vec in enumerate(cell.vecs):
        t = vec[-1]
        value = sum(map(mul, row, vec))
        if not t:
            if value > 0:
                return None
            continue
        if best_t is None or value * best_t > best_num * t:
            best_num, best_t, best_k = value, t, k
    if best_t is None:  # pragma: no cover - a cell has a vertex
        return None
    return best_num, best_t, best_k


class _Family:
    """One activation family's relaxation in integers: see :func:`node_bounds`."""

    __slots__ = ("kind", "pl", "pr", "q", "low", "high", "rank")

    def __init__(self, rules: Any) -> None:
        self.kind = rules.family if rules.family != "sign" else rules.kind
        self.low = self.high = None
        self.rank = getattr(rules, "rank", 1)
        if rules.family == "sign":
            if rules.kind == "relu":
                slope = Fraction(0)
            elif rules.kind == "abs":
                slope = Fraction(-1)
            else:
                slope = rules.slope
            self.q = slope.denominator
            self.pl, self.pr = slope.numerator, self.q  # slopes pl / q (left), pr / q (right: 1)
        elif rules.family == "threshold":
            self.q = 1
            self.pl = self.pr = 0
            self.low, self.high = rules.low, rules.high
        else:
            self.q = 1
            self.pl = self.pr = 0


class NodeBound:
    """Upper bounds of objectives over a node's subtree, with what a certificate needs.

    Attributes
    ----------
    bounds
        One upper bound per objective (a Fraction), or None when none is finite.
    """

    __slots__ = ("bounds", "e", "intervals", "entries", "finals")

    def __init__(self) -> None:
        self.bounds: list[Fraction | None] = []
        self.e = 0
        self.intervals: list[tuple] = []
        self.entries: list[list] = []
        self.finals: list[Any] = []

    def certificate_data(self) -> dict[str, Any]:
        """The node's relaxation as exact numbers (see :mod:`polyregions.certificates.queries`)."""
        scale = 1 << self.e
        intervals = [[None if lo is None else Fraction(lo, scale), None if hi is None else Fraction(hi, scale),
                      klo, khi] for lo, hi, klo, khi in self.intervals]
        return {"intervals": intervals, "entries": self.entries, "finals": self.finals}


def node_bounds(search: "Search", node: "Node", objectives: Sequence[Sequence[Fraction]],
                keep: bool = False) -> NodeBound:
    """Upper bounds of ``g . y`` over the subtree of *node*, for each objective *g*.

    Parameters
    ----------
    search, node
        The search and one of its nodes.
    objectives
        Vectors over the network's outputs (exact rationals).
    keep
        Keep what a certificate needs (the pieces, lines and vertices).

    Returns
    -------
    NodeBound
        ``bounds[i]`` bounds ``objectives[i] . y`` from above on the closure of the
        node's cell (None: no finite bound was found).

    Notes
    -----
    Cost: one dot product per row of the current stage and generator of the cell,
    then a few integer operations per weight of each later layer, per objective.
    """
    result = NodeBound()
    layers = _forward(search, node, result, keep)
    cell = node.cell
    ctx = node.ctx
    e = result.e
    for g in objectives:
        bound, final = _backward(layers, g, ctx.rows, ctx.den, cell, e, keep)
        result.bounds.append(bound)
        if keep:
            result.finals.append(final)
    return result


def _forward(search: "Search", node: "Node", result: NodeBound, keep: bool) -> list[tuple[_Family, list, Any]]:
    """The relaxation of every activation layer from the node's stage on: per layer its
    family, per unit its piece, lines or candidates, and the stage of the next map.
    Sets ``result.e`` and, with *keep*, the intervals and entries of ``result``."""
    cell = node.cell
    ctx = node.ctx
    stages = search.stages
    rows = ctx.rows
    skip = 0
    if not any(st.rules is not None and st.rules.family != "identity" for st in stages[ctx.index + 1:]):
        # no later layer needs the ranges of the decided units (their pieces are known)
        skip = len(rows) // max(1, ctx.units) * node.unit
    exact = [(None, -1, None, -1)] * skip + _exact_intervals(cell, rows[skip:], ctx.den)
    e = _grid_exponent(exact)
    result.e = e
    scale = 1 << e
    ivals: list[tuple[int | None, int | None]] = []
    for lo, lo_k, hi, hi_k in exact:
        lo_i = None if lo is None else _floor_div(lo[0] << e, lo[1])
        hi_i = None if hi is None else _ceil_div(hi[0] << e, hi[1])
        ivals.append((lo_i, hi_i))
        if keep:
            result.intervals.append((lo_i, hi_i, lo_k, hi_k))
    layers: list[tuple[_Family, list, Any]] = []
    index = ctx.index
    decided: Sequence[str] = node.tokens
    same: Any = ctx.rows
    while True:
        stage = stages[index]
        rules = stage.rules
        fam = _Family(rules)
        if rules.family == "argmax":
            relax, out = _relax_argmax(ivals, rules.rank, decided, same)
        elif rules.family == "identity":
            relax, out = [], ivals
        elif rules.family == "threshold":
            relax, out = _relax_threshold(fam, ivals, decided, e)
        else:
            relax, out = _relax_sign(fam, ivals, decided)
        if keep:
            result.entries.append([_entry_data(fam, r, e) for r in relax[len(decided):]])
        index += 1
        nxt = stages[index] if index < len(stages) else None
        layers.append((fam, relax, nxt))
        if nxt is None or nxt.rules is None:
            break
        if nxt.weight is not None:
            ivals = _affine_intervals(nxt, out, scale)
            same = [tuple(w) + (b,) for w, b in zip(nxt.weight, nxt.bias)]
        else:
            ivals = out
            same = None
        decided = ()
    return layers


def _exact_intervals(cell: "Cell", rows: Sequence[Sequence[int]], den: int) -> list[tuple]:
    """Per row, ``(min, vertex index, max, vertex index)`` over the cell: each end a pair
    ``(numerator, denominator)`` with a positive denominator, or None when infinite."""
    vecs = cell.vecs
    lines = cell.lines
    out = []
    for row in rows:
        lin = row[:-1]
        if any(sum(map(mul, lin, line)) for line in lines):
            out.append((None, -1, None, -1))
            continue
        lo_num = lo_t = hi_num = hi_t = None
        lo_k = hi_k = -1
        lo_inf = hi_inf = False
        for k, vec in enumerate(vecs):
            t = vec[-1]
            value = sum(map(mul, row, vec))
            if not t:
                if value > 0:
                    hi_inf = True
                elif value < 0:
                    lo_inf = True
                continue
            if hi_t is None or value * hi_t > hi_num * t:
                hi_num, hi_t, hi_k = value, t, k
            if lo_t is None or value * lo_t < lo_num * t:
                lo_num, lo_t, lo_k = value, t, k
        out.append((None if lo_inf else (lo_num, lo_t * den), -1 if lo_inf else lo_k,
                    None if hi_inf else (hi_num, hi_t * den), -1 if hi_inf else hi_k))
    return out


def _grid_exponent(exact: list) -> int:
    """``e`` such that ``2^-e`` is about ``2^-INTERVAL_BITS`` times the largest finite end."""
    top = 0
    for lo, _, hi, _ in exact:
        for end in (lo, hi):
            if end is not None and end[0]:
                top = max(top, abs(end[0]).bit_length() - end[1].bit_length() + 1)
    return max(0, INTERVAL_BITS - top)


# -- relaxations ------------------------------------------------------------------------
#
# Sign family (relu, leaky_relu, abs): f(z) = (pr / q) z for z >= 0 and (pl / q) z for
# z <= 0, with pr = q. Intervals are numerators over 2^e. A unit's relaxation is
# (S_lo, T_lo, S_up, T_up, kind): lines (S / (q 2^K)) z + T / (q 2^(K+e)), None for an
# infinite side; kind "+", "-", "0" (an exact piece) or "lines".


def _relax_sign(fam: _Family, ivals: list, decided: Sequence[str]) -> tuple[list, list]:
    pl, pr, q = fam.pl, fam.pr, fam.q
    left, right = pl * _ONE, pr * _ONE
    relax = []
    out = []
    for u, (lo, hi) in enumerate(ivals):
        if u < len(decided):
            state = decided[u]
            kind = state if state in "+-" else "0"
        elif hi is not None and hi <= 0:
            kind = "-"
        elif lo is not None and lo >= 0:
            kind = "+"
        else:
            kind = "lines"
        if kind == "+":
            relax.append((right, 0, right, 0, "+"))
        elif kind == "-":
            relax.append((left, 0, left, 0, "-"))
        elif kind == "0":
            relax.append((0, 0, 0, 0, "0"))
        else:
            relax.append(_sign_lines(pl, pr, lo, hi))
        out.append(_sign_range(pl, pr, q, lo, hi, kind))
    return relax, out


def _sign_range(pl: int, pr: int, q: int, lo: int | None, hi: int | None, kind: str
                ) -> tuple[int | None, int | None]:
    """The range of ``f`` on [lo, hi] (restricted to the piece *kind*), rounded outward."""
    if kind == "0":
        return 0, 0
    points = [p for p in (lo, hi) if p is not None]
    if kind == "+":
        points = [p for p in points if p >= 0] or [0]
    elif kind == "-":
        points = [p for p in points if p <= 0] or [0]
    else:
        points.append(0)
    low = min(_floor_div((pr if p >= 0 else pl) * p, q) for p in points)
    high = max(_ceil_div((pr if p >= 0 else pl) * p, q) for p in points)
    if lo is None and kind != "+":  # z -> -infinity along the left piece
        if pl > 0:
            low = None
        elif pl < 0:
            high = None
    if hi is None and kind != "-":  # z -> +infinity along the right piece (slope 1)
        high = None
    return low, high


def _sign_lines(pl: int, pr: int, lo: int | None, hi: int | None) -> tuple:
    """Lower and upper lines on an interval with 0 strictly inside (ends may be infinite)."""
    left, right = pl * _ONE, pr * _ONE
    chord = [] if lo is None or hi is None else [_floor_div(_ONE * (pr * hi - pl * lo), hi - lo)]
    wide = hi is None or (lo is not None and hi > -lo)
    tangents = [right, left] if wide else [left, right]
    if pl <= pr:  # convex: the chord above, a tangent through 0 below
        upper = _line(pl, pr, lo, hi, chord + tangents, True)
        lower = _line(pl, pr, lo, hi, tangents, False)
    else:  # concave: the other way round
        upper = _line(pl, pr, lo, hi, tangents, True)
        lower = _line(pl, pr, lo, hi, chord + tangents, False)
    return (*(lower or (None, None)), *(upper or (None, None)), "lines")


def _line(pl: int, pr: int, lo: int | None, hi: int | None, candidates: list, upper: bool
          ) -> tuple[int, int] | None:
    """The first slope among *candidates* valid at the infinite ends, with its offset."""
    left, right = pl * _ONE, pr * _ONE
    for s in candidates:
        if upper and ((lo is None and s > left) or (hi is None and s < right)):
            continue
        if not upper and ((lo is None and s < left) or (hi is None and s > right)):
            continue
        values = [0]
        for p in (lo, hi):
            if p is not None:
                values.append(((pr if p >= 0 else pl) * _ONE - s) * p)
        return s, (max(values) if upper else min(values))
    return None


def _relax_threshold(fam: _Family, ivals: list, decided: Sequence[str], e: int) -> tuple[list, list]:
    """hardtanh: as the sign family with q = 1; exact pieces ``L``, ``M``, ``H``, offsets
    rounded outward to the grid ``2^-(K+e)``."""
    low, high = fam.low, fam.high
    assert low is not None and high is not None
    scale = 1 << e
    big = 1 << (SLOPE_BITS + e)

    def f(z: Fraction) -> Fraction:
        return low if z < low else high if z > high else z

    def grid(value: Fraction, up: bool, unit: int) -> int:
        v = value * unit
        return _ceil_div(v.numerator, v.denominator) if up else _floor_div(v.numerator, v.denominator)

    relax = []
    out = []
    for u, (lo_i, hi_i) in enumerate(ivals):
        lo = None if lo_i is None else Fraction(lo_i, scale)
        hi = None if hi_i is None else Fraction(hi_i, scale)
        state = decided[u] if u < len(decided) else None
        if state is None:
            if hi is not None and hi <= low:
                state = "L"
            elif lo is not None and lo >= high:
                state = "H"
            elif lo is not None and hi is not None and low <= lo and hi <= high:
                state = "M"
        if state in ("L", "l", "H", "h"):
            c = low if state in "Ll" else high
            relax.append((0, grid(c, False, big), 0, grid(c, True, big), state.upper()))
            out.append((grid(c, False, scale), grid(c, True, scale)))
            continue
        if state == "M":
            relax.append((_ONE, 0, _ONE, 0, "M"))
            out.append((lo_i, hi_i))
            continue
        points = [p for p in (lo, hi) if p is not None]
        points += [b for b in (low, high) if (lo is None or b > lo) and (hi is None or b < hi)]
        s = 0
        if lo is not None and hi is not None:
            chord = (f(hi) - f(lo)) / (hi - lo)
            s = _floor_div(chord.numerator * _ONE, chord.denominator)
        slope = Fraction(s, _ONE)
        t_up = max(f(p) - slope * p for p in points)
        t_lo = min(f(p) - slope * p for p in points)
        relax.append((s, grid(t_lo, False, big), s, grid(t_up, True, big), "lines"))
        values = [f(p) for p in points]
        out.append((grid(min(values), False, scale), grid(max(values), True, scale)))
    return relax, out


def _relax_argmax(ivals: list, rank: int, decided: Sequence[str], functions: Any) -> tuple[list, list]:
    """maxout: per unit ``(j_lo, j_up, top, kind)``: below by candidate ``j_lo``; above by
    candidate ``j_up`` when it dominates every candidate with another function, else by the
    constant ``top`` (None: infinite)."""
    relax = []
    out = []
    for u in range(len(ivals) // rank):
        group = ivals[u * rank:(u + 1) * rank]
        if u < len(decided):
            j = int(decided[u])
            relax.append((j, j, None, "decided"))
            out.append(group[j])
            continue
        same = None
        if functions is not None:
            rows = [tuple(r) for r in functions[u * rank:(u + 1) * rank]]
            same = [rows.index(r) for r in rows]
        los = [lo for lo, _ in group]
        his = [hi for _, hi in group]
        finite = [j for j in range(rank) if los[j] is not None]
        j_lo = max(finite, key=lambda j: (los[j], -j)) if finite else 0
        j_up = None
        for j in finite:
            if all(i == j or (same is not None and same[i] == same[j])
                   or (his[i] is not None and los[j] >= his[i]) for i in range(rank)):
                j_up = j
                break
        top = None if any(h is None for h in his) else max(his)
        relax.append((j_lo, j_up, top, "maxout"))
        if j_up is not None:
            out.append(group[j_up])
        else:
            out.append((max(los[j] for j in finite) if finite else None, top))
    return relax, out


def _affine_intervals(stage: Any, ivals: list, scale: int) -> list[tuple[int | None, int | None]]:
    """Interval arithmetic through ``(W v + b) / den`` on the grid ``1 / scale``, rounded outward."""
    den = stage.den
    out = []
    for wrow, b in zip(stage.weight, stage.bias):
        lo_acc = hi_acc = b * scale
        lo_inf = hi_inf = False
        for w, (lo, hi) in zip(wrow, ivals):
            if w > 0:
                if lo is None:
                    lo_inf = True
                elif not lo_inf:
                    lo_acc += w * lo
                if hi is None:
                    hi_inf = True
                elif not hi_inf:
                    hi_acc += w * hi
            elif w < 0:
                if hi is None:
                    lo_inf = True
                elif not lo_inf:
                    lo_acc += w * hi
                if lo is None:
                    hi_inf = True
                elif not hi_inf:
                    hi_acc += w * lo
        out.append((None if lo_inf else _floor_div(lo_acc, den), None if hi_inf else _ceil_div(hi_acc, den)))
    return out


# -- back-substitution -------------------------------------------------------------------

def _backward(layers: list, g: Sequence[Fraction], rows: Sequence[Sequence[int]], den: int,
              cell: "Cell", e: int, keep: bool) -> tuple[Fraction | None, Any]:
    """Pull ``g . y`` back to an affine function of the input; its maximum over the cell."""
    lam_den = 1
    for v in g:
        lam_den = lam_den * Fraction(v).denominator // gcd(lam_den, Fraction(v).denominator)
    lam = [int(Fraction(v) * lam_den) for v in g]
    const = Fraction(0)
    for fam, relax, nxt in reversed(layers):
        if nxt is not None and nxt.weight is not None:
            const += Fraction(sum(map(mul, lam, nxt.bias)), lam_den * nxt.den)
            width = len(nxt.weight[0])
            acc = [0] * width
            for l, wrow in zip(lam, nxt.weight):
                if l:
                    for j, w in enumerate(wrow):
                        if w:
                            acc[j] += l * w
            lam = acc
            lam_den *= nxt.den
        if fam.kind == "identity":
            continue
        if fam.kind == "argmax":
            new, top_num = _back_argmax(relax, lam, fam.rank)
            if new is None:
                return None, None
            if top_num:
                const += Fraction(top_num, lam_den << e)
            lam = new
            lam_den <<= SLOPE_BITS
        else:
            new = []
            t_num = 0
            for l, (s_lo, t_lo, s_up, t_up, _) in zip(lam, relax):
                if not l:
                    new.append(0)
                    continue
                s, t = (s_up, t_up) if l > 0 else (s_lo, t_lo)
                if s is None:
                    return None, None
                new.append(l * s)
                t_num += l * t
            if t_num:
                const += Fraction(t_num, (lam_den * fam.q) << (SLOPE_BITS + e))
            lam = new
            lam_den = (lam_den * fam.q) << SLOPE_BITS
        common = gcd(lam_den, *lam)
        if common > 1:
            lam = [v // common for v in lam]
            lam_den //= common
    width = len(rows[0])
    row = [0] * width
    for l, r in zip(lam, rows):
        if l:
            for j, c in enumerate(r):
                if c:
                    row[j] += l * c
    row_den = lam_den * den
    # the constant: row / row_den + const, as one integer row over a common denominator
    scale = const.denominator // gcd(const.denominator, row_den)
    row = [v * scale for v in row]
    row_den *= scale
    row[-1] += const.numerator * (row_den // const.denominator)
    best = cell_maximum(row, cell)
    if best is None:
        return None, None
    num, t, k = best
    bound = Fraction(num, t * row_den)
    return bound, ((row, row_den, k) if keep else None)


def _back_argmax(relax: list, lam: list, rank: int) -> tuple[list | None, int]:
    """Through a maxout layer: the coefficients of the candidate rows (times ``2^K``) and the
    numerator of the constant (over ``2^e`` times the current denominator)."""
    new = [0] * (len(relax) * rank)
    top_num = 0
    for u, (l, (j_lo, j_up, top, _)) in enumerate(zip(lam, relax)):
        if l > 0:
            if j_up is not None:
                new[u * rank + j_up] = l * _ONE
            elif top is None:
                return None, 0
            else:
                top_num += l * top
        elif l < 0:
            new[u * rank + j_lo] = l * _ONE
    return new, top_num


def _entry_data(fam: _Family, r: tuple, e: int) -> Any:
    """One unit's relaxation for a certificate: a piece name, four numbers or a pair of indices."""
    if fam.kind == "argmax":
        return [r[0], r[1]]
    if r[4] != "lines":
        return r[4]
    unit = fam.q << SLOPE_BITS
    big = unit << e
    s_lo, t_lo, s_up, t_up, _ = r
    return [None if s_lo is None else Fraction(s_lo, unit), None if s_lo is None else Fraction(t_lo, big),
            None if s_up is None else Fraction(s_up, unit), None if s_up is None else Fraction(t_up, big)]


# -- the Jacobian over a subtree ---------------------------------------------------------------

def node_jacobian_bounds(search: "Search", node: "Node") -> tuple[list[list[int]], list[list[int]], int]:
    """Entrywise bounds ``lo / den <= J <= hi / den`` of the Jacobian of the network's output
    with respect to the input, valid in every region below *node*.

    The current stage's pre-activations are exact affine functions of the input; each unit
    then multiplies by its activation's slope, exact when the unit is decided or its range
    (as in :func:`node_bounds`) lies in one piece, else the interval of the slopes it can
    take (``[0, 1]`` for relu); a maxout unit takes the row of its dominant candidate, or
    the entrywise hull of its candidates' rows. Interval matrix products, exact integers.

    Returns
    -------
    (lo, hi, den)
        Integer matrices (outputs x inputs) and their common positive denominator.
    """
    layers = _forward(search, node, NodeBound(), False)
    ctx = node.ctx
    lo = [list(r[:-1]) for r in ctx.rows]
    hi = [list(r) for r in lo]
    den = ctx.den
    for fam, relax, nxt in layers:
        if fam.kind == "argmax":
            rank = fam.rank
            new_lo, new_hi = [], []
            for u, (j_lo, j_up, _, kind) in enumerate(relax):
                if j_up is not None:
                    new_lo.append(lo[u * rank + j_up])
                    new_hi.append(hi[u * rank + j_up])
                else:
                    group = range(u * rank, (u + 1) * rank)
                    new_lo.append([min(lo[i][j] for i in group) for j in range(len(lo[0]))])
                    new_hi.append([max(hi[i][j] for i in group) for j in range(len(hi[0]))])
            lo, hi = new_lo, new_hi
        elif fam.kind != "identity":
            q = fam.q
            if fam.kind == "threshold":
                slopes = {"L": (0, 0), "H": (0, 0), "M": (1, 1), "lines": (0, 1)}
            else:
                slopes = {"+": (q, q), "-": (fam.pl, fam.pl), "0": (0, 0), "lines": (min(fam.pl, q), max(fam.pl, q))}
            new_lo, new_hi = [], []
            for (a_row, b_row), entry in zip(zip(lo, hi), relax):
                a, b = slopes[entry[4]]
                row_lo, row_hi = [], []
                for x, y in zip(a_row, b_row):
                    products = (x * a, x * b, y * a, y * b)
                    row_lo.append(min(products))
                    row_hi.append(max(products))
                new_lo.append(row_lo)
                new_hi.append(row_hi)
            lo, hi = new_lo, new_hi
            den *= q
        if nxt is None or nxt.weight is None:
            continue
        width = len(lo[0]) if lo else 0
        out_lo, out_hi = [], []
        for wrow in nxt.weight:
            acc_lo = [0] * width
            acc_hi = [0] * width
            for w, r_lo, r_hi in zip(wrow, lo, hi):
                if w > 0:
                    for j in range(width):
                        acc_lo[j] += w * r_lo[j]
                        acc_hi[j] += w * r_hi[j]
                elif w < 0:
                    for j in range(width):
                        acc_lo[j] += w * r_hi[j]
                        acc_hi[j] += w * r_lo[j]
            out_lo.append(acc_lo)
            out_hi.append(acc_hi)
        lo, hi, den = out_lo, out_hi, den * nxt.den
        common = gcd(den, *(v for row in lo for v in row), *(v for row in hi for v in row))
        if common > 1:
            lo = [[v // common for v in row] for row in lo]
            hi = [[v // common for v in row] for row in hi]
            den //= common
    return lo, hi, den
