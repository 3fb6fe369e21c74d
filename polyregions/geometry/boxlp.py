"""Proofs that a box and a few rows meet nowhere, proposed in floats and decided exactly.

:func:`box_refuted` answers whether ``{x : low <= x <= high, A x <= b}`` is empty, for a
box and a few rows, without an exact LP in the common case. A small simplex in floating
point proposes multipliers ``y >= 0`` of the rows (the dual of ``min t`` subject to
``A x - t <= b`` on the box); the proof is then checked in exact rational arithmetic:
for every ``x`` of the set, ``(y A) x <= y b``, so when the minimum of ``(y A) x`` over the
box (at a vertex, exactly) exceeds ``y b`` the set is empty. The floats only choose
``y``; a proposal that does not survive the exact check proves nothing (the answer is
then False: not refuted here, and the caller decides otherwise, e.g. by an exact LP).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

__all__ = ["box_farkas", "box_refuted", "propose_multipliers", "refutes"]

#: Pivots after which the float simplex gives up (it only proposes).
MAX_PIVOTS = 200
_EPS = 1e-12


def _floats(values: Sequence[Fraction]) -> list[float] | None:
    try:
        return [float(v) for v in values]
    except OverflowError:
        return None


def propose_multipliers(A: Sequence[Sequence[Fraction]], b: Sequence[Fraction], low: Sequence[Fraction],
                        high: Sequence[Fraction]) -> list[float] | None:
    """Nonnegative multipliers of the rows (floats, summing to about 1) that maximise
    ``min over the box of (y A) x - y b`` by the float simplex, or None (numbers beyond
    doubles, or no optimum within :data:`MAX_PIVOTS` pivots). A proposal only."""
    m, n = len(A), len(low)
    if m == 0:
        return None
    lo, hi = _floats(low), _floats(high)
    if lo is None or hi is None:
        return None
    rows: list[list[float]] = []
    rhs: list[float] = []
    scales: list[float] = []
    for a, beta in zip(A, b):
        fa, fb = _floats(a), _floats([beta])
        if fa is None or fb is None:
            return None
        scale = max(max((abs(v) for v in fa), default=0.0), abs(fb[0]), 1e-300)
        rows.append([v / scale for v in fa])
        rhs.append(fb[0] / scale)
        scales.append(scale)
    # variables: y_0..y_{m-1}, u_0..u_{n-1}, v_0..v_{n-1}; maximise sum_p (u_p lo_p - v_p hi_p) - y . b
    # subject to sum_i y_i A_ip - u_p + v_p = 0 (p < n) and sum_i y_i = 1, everything >= 0
    width = m + 2 * n
    cost = [-r for r in rhs] + list(lo) + [-h for h in hi]
    table = [[rows[i][p] for i in range(m)] + [-float(q == p) for q in range(n)] + [float(q == p) for q in range(n)]
             + [0.0] for p in range(n)]
    table.append([1.0] * m + [0.0] * (2 * n) + [1.0])
    # a first basis: y_0 = 1, and u_p or v_p = |A_0p|, by its sign
    basis = [m + p if rows[0][p] >= 0 else m + n + p for p in range(n)] + [0]
    for r, j in enumerate(basis):
        _pivot(table, r, j)
    for _ in range(MAX_PIVOTS):
        # reduced costs of the nonbasic columns: cost_j - c_B . column_j
        prices = [cost[basis[r]] for r in range(n + 1)]
        entering = -1
        for j in range(width):
            if j in basis:
                continue
            reduced = cost[j] - sum(prices[r] * table[r][j] for r in range(n + 1))
            if reduced > _EPS:
                entering = j  # Bland: the first improving column
                break
        if entering < 0:
            values = [0.0] * width
            for r, j in enumerate(basis):
                values[j] = table[r][width]
            return [max(values[i], 0.0) / scales[i] for i in range(m)]
        leaving, ratio = -1, 0.0
        for r in range(n + 1):
            a = table[r][entering]
            if a > _EPS:
                t = table[r][width] / a
                if leaving < 0 or t < ratio - _EPS or (abs(t - ratio) <= _EPS and basis[r] < basis[leaving]):
                    leaving, ratio = r, t
        if leaving < 0:  # unbounded: cannot happen on a box; the floats misled
            return None
        _pivot(table, leaving, entering)
        basis[leaving] = entering
    return None


def _pivot(table: list[list[float]], r: int, j: int) -> None:
    row = table[r]
    a = row[j]
    if a == 0.0:
        raise ZeroDivisionError
    row[:] = [v / a for v in row]
    for k, other in enumerate(table):
        if k != r and other[j] != 0.0:
            f = other[j]
            other[:] = [v - f * w for v, w in zip(other, row)]


def box_refuted(A: Sequence[Sequence[Fraction]], b: Sequence[Fraction], low: Sequence[Fraction],
                high: Sequence[Fraction]) -> bool:
    """True when the box ``[low, high]`` and the rows ``A x <= b`` (exact) are proved to meet
    nowhere: multipliers proposed in floats (:func:`propose_multipliers`), the proof
    checked exactly. False proves nothing (the set may or may not be empty)."""
    return box_farkas(A, b, low, high) is not None


def box_farkas(A: Sequence[Sequence[Fraction]], b: Sequence[Fraction], low: Sequence[Fraction],
               high: Sequence[Fraction]) -> list[Fraction] | None:
    """As :func:`box_refuted`, with the proof: Farkas multipliers (exact, ``>= 0``) of the box's
    rows, input by input ``x_p <= high_p`` then ``-x_p <= -low_p``, followed by the rows of
    *A*: they sum to ``0 . x <= (a negative number)``. None when no proof was found."""
    try:
        y = propose_multipliers(A, b, low, high)
    except ZeroDivisionError:  # a degenerate pivot in floats: no proposal
        return None
    combined = None if y is None else _combined_if_refuting(y, A, b, low, high)
    if combined is None:
        return None
    out: list[Fraction] = []
    for c in combined:  # c x is cancelled by -c on x_p <= high_p (c < 0) or c on -x_p <= -low_p (c > 0)
        out += [-c, Fraction(0)] if c < 0 else [Fraction(0), c]
    return out + [Fraction(v) if v > 0 else Fraction(0) for v in y]


def refutes(y: Sequence[float], A: Sequence[Sequence[Fraction]], b: Sequence[Fraction], low: Sequence[Fraction],
            high: Sequence[Fraction]) -> bool:
    """The exact check: with ``y >= 0`` (finite floats, taken exactly), the minimum over the
    box of ``(y A) x`` exceeds ``y b``, so no point of the box satisfies every row."""
    return _combined_if_refuting(y, A, b, low, high) is not None


def _combined_if_refuting(y: Sequence[float], A: Sequence[Sequence[Fraction]], b: Sequence[Fraction],
                          low: Sequence[Fraction], high: Sequence[Fraction]) -> list[Fraction] | None:
    """``y A`` (exact) when *y* passes :func:`refutes`' check, else None."""
    if any(not math.isfinite(v) or v < 0 for v in y):
        return None
    weights = [(Fraction(v), a, beta) for v, a, beta in zip(y, A, b) if v > 0]
    if not weights:
        return None
    combined = [sum((w * a[p] for w, a, _ in weights), Fraction(0)) for p in range(len(low))]
    least = sum((c * (lo if c > 0 else hi) for c, lo, hi in zip(combined, low, high) if c), Fraction(0))
    return combined if least > sum((w * beta for w, _, beta in weights), Fraction(0)) else None
