"""Verification on an input box by splitting the box: bounds, bisection, attacks, exact leaves.

:func:`split_verify` decides whether some input of a box ``[low, high]`` maps into an
unsafe set (a disjunction of conjunctions of rows ``c . y <= d``), for a network of
affine and ReLU layers. It is the fast path of :func:`polyregions.queries.verify.verify_property`
for boxes with few inputs (ReluVal, Neurify and VeriNet split the inputs the same way):

- *Bounds.* :class:`~polyregions.search.symbolic.BoxBounds` gives a rigorous lower bound
  of every row over a box; a disjunct is refuted on the box when one of its rows has a
  bound above its threshold (an exact comparison of the bound, a binary fraction, with
  the exact threshold). A box where every disjunct is refuted is closed.
- *Branching.* An open box is bisected at the midpoint (exact rationals) of the input
  with the largest *smear* (ReluVal): the open rows' lower linear functions' coefficient
  of that input times its width, among the inputs whose share of their range is at
  least 1/:data:`BALANCE` of the largest share. The halves inherit the box's unit
  intervals (they hold on a smaller box too). Depth first, the half whose bounds come
  closer to the unsafe set first (where a counterexample is likelier).
- *Attacks.* At the root, the centre and (up to 6 inputs) the vertices, exactly; then
  random points; after :data:`DESCENT_AFTER` boxes, projected sign-gradient descent
  (floats) on each disjunct's worst row from the best of them; at every open box its
  centre and, for every open row, the box vertex where the row's lower linear function
  is smallest. A float forward pass proposes; a point counts only once the exact
  forward pass (rational arithmetic) puts its outputs in the unsafe set; a point found
  in floats is replaced by one with short decimals nearby when that one is unsafe too.
- *Affine leaves.* Where the bounds fix the sign of every unit, the network is one
  affine map on the box: each row's exact minimum (integer arithmetic, at a vertex)
  refutes or gives a counterexample; no float is involved.
- *Pieces.* A box with few open units (:data:`PIECE_UNITS`, or :data:`PIECE_UNITS_DEEP`
  after :data:`PIECE_DEPTH` bisections) is decided exactly: for each on/off choice of
  them the network is one affine map on a polytope, and an exact LP per open disjunct
  finds a point of it satisfying the disjunct's rows (a counterexample, confirmed by
  the exact forward pass) or proves there is none. Ties are decided here: no margin is
  needed.
- *Exact leaves.* A box that is still open after :data:`EXACT_DEPTH` bisections (bounds
  stall near ties, where the property holds with no margin or fails on a boundary) is
  decided by the exact region search (*exact_leaf*), which never needs a margin.

The answer is as exact as the region search's: no floating-point number decides it.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

from ..certificates.boxes import BoxCertifier
from ..core.network import Network
from ..errors import PolyregionsError, SolverError
from ..geometry import lp
from ..search.symbolic import BoxBounds, round_down, round_up

__all__ = ["split_verify", "fits_doubles", "SplitStats", "Timeout", "EXACT_DEPTH", "MAX_COORDINATE"]

#: Bisections after which an open box goes to the exact region search.
EXACT_DEPTH = 40
#: An input is only split while its share of its range is at least the largest share
#: divided by this (the best-looking input would otherwise be split again and again).
BALANCE = 16
#: Starts and steps of the gradient attack from the root's samples, per disjunct; it runs
#: once DESCENT_AFTER boxes have been visited (most properties are decided before).
DESCENT_AFTER = 200
DESCENT_STARTS = 16
DESCENT_STEPS = 60
#: A box with at most this many open units is decided exactly, piece by piece (an LP per
#: on/off choice of them and open disjunct); after PIECE_DEPTH bisections, with at most
#: PIECE_UNITS_DEEP.
PIECE_UNITS = 0
PIECE_DEPTH = 24
PIECE_UNITS_DEEP = 4
#: Up to this many inputs the box's vertices are tried exactly at the root.
ROOT_VERTEX_DIMENSIONS = 6
#: Random points tried at the root.
ROOT_SAMPLES = 4096
#: The largest |coordinate| of a box this search takes (its floats must stay finite).
MAX_COORDINATE = 2 ** 512

Rows = Sequence[Sequence[tuple[Sequence[Fraction], Fraction]]]


class Timeout(PolyregionsError):
    """The time limit passed before an answer (the caller answers ``unknown``); ``stats``:
    what the input-splitting search had done (None from the region search)."""

    def __init__(self, message: str, stats: "SplitStats | None" = None) -> None:
        super().__init__(message)
        self.stats = stats


@dataclass
class SplitStats:
    """What :func:`split_verify` did: boxes visited, bound computations, exact leaves."""

    boxes: int = 0
    bounds: int = 0
    exact_leaves: int = 0
    affine_leaves: int = 0
    piece_leaves: int = 0
    max_depth: int = 0


def fits_doubles(low: Sequence[Fraction], high: Sequence[Fraction]) -> bool:
    """Whether every coordinate of the box is at most :data:`MAX_COORDINATE` in size (the
    search proposes points and widths as doubles; larger boxes go to the region search)."""
    return all(-MAX_COORDINATE <= lo and hi <= MAX_COORDINATE for lo, hi in zip(low, high))


def _dot(c: Sequence[Fraction], y: Sequence[Fraction]) -> Fraction:
    return sum((a * b for a, b in zip(c, y) if a), Fraction(0))


def split_verify(network: Network, low: Sequence[Fraction], high: Sequence[Fraction], unsafe: Rows, *,
                 exact_leaf: Callable[[tuple[Fraction, ...], tuple[Fraction, ...]], tuple[Fraction, ...] | None],
                 deadline: float | None = None, seed: int = 0, certifier: BoxCertifier | None = None
                 ) -> tuple[tuple[Fraction, ...] | None, SplitStats]:
    """A counterexample in the box (exact, confirmed), or None when there is none.

    *exact_leaf(low, high)* decides a box exactly: a counterexample or None. *deadline*
    (a :func:`time.monotonic` value) raises :class:`Timeout` when passed. With a
    *certifier* every box is closed through it (exact bounds, pieces with Farkas
    multipliers; *exact_leaf* records its own certificate there) and every split is
    written to it: the search then writes a boxes certificate as it goes.
    """
    stats = SplitStats()
    first_row = [sum(len(conj) for conj in unsafe[:k]) for k in range(len(unsafe))]
    rows = [c for conj in unsafe for c, _ in conj]
    limits = [d for conj in unsafe for _, d in conj]
    owner = [k for k, conj in enumerate(unsafe) for _ in conj]
    floats = [float(d) for d in limits]
    bounds = BoxBounds(network, rows)
    width = [h - l for l, h in zip(low, high)]

    def unsafe_at(x: Sequence[Fraction]) -> bool:
        """An exact forward pass (integer arithmetic) puts *x*'s outputs in the unsafe set."""
        values = bounds.exact_rows(x)
        return any(all(values[i] <= limits[i] for i in range(len(rows)) if owner[i] == k)
                   for k in range(len(unsafe)))

    def confirmed(points: Sequence[Sequence[float]], box_low: Sequence[Fraction], box_high: Sequence[Fraction]
                  ) -> tuple[Fraction, ...] | None:
        values = bounds.evaluate(points)
        for point, value in zip(points, values):
            near = {k for k in range(len(unsafe))}
            for i, v in enumerate(value):
                if v > floats[i] + 1e-9 * (1 + abs(floats[i])):
                    near.discard(owner[i])
            if near:
                x = tuple(min(max(Fraction(v), lo), hi) for v, lo, hi in zip(point, box_low, box_high))
                if unsafe_at(x):
                    return x
        return None

    def affine_leaf(states: bytes, box_low: Sequence[Fraction], box_high: Sequence[Fraction],
                    alive: frozenset[int]) -> tuple[bool, tuple[Fraction, ...] | None]:
        """On a box where the network is one affine map: (decided, counterexample). Each row's
        exact minimum is at a vertex; a disjunct is refuted when a row's minimum exceeds its
        threshold; a one-row disjunct that is not refuted has its minimising vertex as a
        counterexample; a disjunct of several rows whose vertices all miss is left undecided."""
        maps = bounds.affine_rows(states)
        for k in alive:
            refuted = False
            for i in (i for i in range(len(rows)) if owner[i] == k):
                a, b = maps[i]
                vertex = tuple(lo if v >= 0 else hi for v, lo, hi in zip(a, box_low, box_high))
                if _dot(a, vertex) + b > limits[i]:
                    refuted = True
                    break
                if unsafe_at(vertex):
                    return True, vertex
            if not refuted:
                return False, None
        return True, None

    def descend(starts: Sequence[Sequence[float]], box_low: Sequence[Fraction], box_high: Sequence[Fraction]
                ) -> tuple[Fraction, ...] | None:
        """Projected sign-gradient descent (floats) on each disjunct's worst row, from the
        starts where that row is smallest; the points it ends at are checked exactly."""
        lo = [float(v) for v in box_low]
        hi = [float(v) for v in box_high]
        span = [b - a for a, b in zip(lo, hi)]
        values = bounds.evaluate(starts)
        ends = []
        for k in range(len(unsafe)):
            mine = [i for i in range(len(rows)) if owner[i] == k]

            def worst(value: Sequence[float]) -> tuple[float, int]:
                return max((value[i] - floats[i], i) for i in mine)
            ranked = sorted(range(len(starts)), key=lambda s: worst(values[s])[0])[:DESCENT_STARTS]
            for s in ranked:
                x = list(starts[s])
                for step in range(DESCENT_STEPS):
                    rate = 0.02 * (1 - step / DESCENT_STEPS) + 0.0005
                    value, gradients = bounds.gradient(x)
                    gap, i = worst(value)
                    if gap <= 0:
                        break
                    x = [min(max(v - rate * w * (1.0 if g > 0 else -1.0 if g < 0 else 0.0), a), b)
                         for v, g, w, a, b in zip(x, gradients[i], span, lo, hi)]
                ends.append(x)
        return confirmed(ends, box_low, box_high) if ends else None

    def pieces_leaf(states: bytes, box_low: Sequence[Fraction], box_high: Sequence[Fraction],
                    alive: frozenset[int]) -> tuple[Fraction, ...] | None:
        """Decide a box with few open units exactly: for every on/off choice of them the network
        is one affine map on a polytope (the box and the choice's sides); an exact LP per open
        disjunct finds a point there satisfying its rows, or proves there is none."""
        n = len(box_low)
        where = [i for i, state in enumerate(states) if state == 2]
        box_A: list[list[Fraction]] = []
        box_b: list[Fraction] = []
        for p in range(n):
            e = [Fraction(0)] * n
            e[p] = Fraction(1)
            box_A.append(e)
            box_b.append(box_high[p])
            box_A.append([-v for v in e])
            box_b.append(-box_low[p])
        # depth first over the open units in network order; a choice whose sides (with the
        # box) are infeasible is dropped with everything below it
        pending: list[tuple[int, ...]] = [()]
        while pending:
            if deadline is not None and time.monotonic() > deadline:
                raise Timeout("the time limit passed", stats)
            choice = pending.pop()
            chosen = bytearray(states)
            for index, on in zip(where, choice):
                chosen[index] = 2 + on
            spec, sides = bounds.piece(bytes(chosen))
            A = list(box_A)
            b = list(box_b)
            for a, c, on in sides[:len(choice)]:  # off: a . x + c <= 0; on: -(a . x + c) <= 0
                A.append(list(a) if not on else [-v for v in a])
                b.append(-c if not on else c)
            if len(choice) < len(where):
                if not choice or lp.maximize([0] * n, 0, A, b, dim=n).status != "infeasible":
                    pending.extend([choice + (0,), choice + (1,)])
                continue
            for k in sorted(alive):
                rows_A = [list(spec[i][0]) for i in range(len(rows)) if owner[i] == k]
                rows_b = [limits[i] - spec[i][1] for i in range(len(rows)) if owner[i] == k]
                answer = lp.maximize([0] * n, 0, A + rows_A, b + rows_b, dim=n)
                if answer.status != "infeasible":
                    x = tuple(answer.point)
                    if not unsafe_at(x):
                        raise SolverError("an exact LP point that the forward pass does not confirm (internal error)")
                    return x
        return None

    def order(result) -> list[list[int]]:
        """Per disjunct, its rows by the search's bound, largest first (certificates try them so)."""
        return [sorted(range(len(conj)), key=lambda r: -result.lower[first_row[k] + r])
                for k, conj in enumerate(unsafe)]

    def tick() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise Timeout("the time limit passed", stats)

    def compute(box_low: Sequence[Fraction], box_high: Sequence[Fraction], parent=None):
        stats.bounds += 1
        return bounds.bounds_float([round_down(v) for v in box_low], [round_up(v) for v in box_high],
                                   parent=parent)

    def gap(result, alive: frozenset[int]) -> dict[int, float]:
        """Per open disjunct: its best row's bound minus the threshold (refuted when > 0)."""
        out: dict[int, float] = {}
        for i, bound in enumerate(result.lower):
            k = owner[i]
            if k in alive:
                out[k] = max(out.get(k, -math.inf), bound - floats[i])
        return out

    def still_open(result, alive: frozenset[int]) -> frozenset[int]:
        refuted = {owner[i] for i, bound in enumerate(result.lower)
                   if owner[i] in alive and math.isfinite(bound) and Fraction(bound) > limits[i]}
        return alive - refuted

    def simplified(x: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
        """A counterexample with short decimals near *x* when one is (checked exactly), else *x*."""
        for digits in range(1, 18):
            step = Fraction(1, 10 ** digits)
            y = tuple(min(max(round(v / step) * step, lo), hi) for v, lo, hi in zip(x, low, high))
            if y != x and unsafe_at(y):
                return y
        return x

    low, high = tuple(low), tuple(high)
    rng = random.Random(seed)
    # the centre and (in few dimensions) the vertices first, exact: simple counterexamples
    simple = [tuple((lo + hi) / 2 for lo, hi in zip(low, high))]
    if len(low) <= ROOT_VERTEX_DIMENSIONS:
        simple += [tuple(hi if (corner >> p) & 1 else lo for p, (lo, hi) in enumerate(zip(low, high)))
                   for corner in range(1 << len(low))]
    for x in simple:
        if unsafe_at(x):
            return x, stats
    samples = [[float(lo + (hi - lo) * Fraction(rng.random())) for lo, hi in zip(low, high)]
               for _ in range(ROOT_SAMPLES)]
    found = confirmed(samples, low, high)
    if found is not None:
        return simplified(found), stats
    stack = [(low, high, compute(low, high), frozenset(range(len(unsafe))), 0)]
    while stack:
        if deadline is not None and time.monotonic() > deadline:
            raise Timeout(f"the time limit passed ({stats.boxes} boxes, {stats.bounds} bounds, "
                          f"{stats.exact_leaves} exact leaves, depth {stats.max_depth}, {len(stack)} open)", stats)
        box_low, box_high, result, alive, depth = stack.pop()
        stats.boxes += 1
        if stats.boxes == DESCENT_AFTER:  # not decided quickly: the gradient attack
            found = descend(samples, low, high)
            if found is not None:
                return simplified(found), stats
        stats.max_depth = max(stats.max_depth, depth)
        alive = still_open(result, alive)
        if not alive:
            if certifier is None or certifier.close(box_low, box_high, order(result)):
                continue
            alive = frozenset(range(len(unsafe)))  # the exact bounds do not refute it yet: split on
        points = [[float((lo + hi) / 2) for lo, hi in zip(box_low, box_high)]]
        for i, coefficients in enumerate(result.coefficients):
            if owner[i] in alive:
                points.append([float(lo if a >= 0 else hi) for a, lo, hi in zip(coefficients, box_low, box_high)])
        found = confirmed(points, box_low, box_high)
        if found is not None:
            return simplified(found), stats
        if 2 not in result.states:  # one affine map on the box: decide exactly
            decided, found = affine_leaf(result.states, box_low, box_high, alive)
            if found is not None:
                return found, stats
            if decided and (certifier is None or certifier.close(box_low, box_high, order(result))):
                stats.affine_leaves += 1
                continue
        opened = sum(result.open_units)
        if opened <= PIECE_UNITS or (depth >= PIECE_DEPTH and opened <= PIECE_UNITS_DEEP):
            if certifier is None:
                found = pieces_leaf(result.states, box_low, box_high, alive)
                closed = True
            else:
                closed, found = certifier.pieces(box_low, box_high, order(result), tick)
            if found is not None:
                return found, stats
            if closed:
                stats.piece_leaves += 1
                continue
        relative = [(box_high[p] - box_low[p]) / width[p] for p in range(len(box_low))]
        widest = max(relative)
        dims = [p for p in range(len(box_low)) if relative[p] * BALANCE >= widest]
        if depth >= EXACT_DEPTH or not dims:
            stats.exact_leaves += 1
            try:
                found = exact_leaf(box_low, box_high)
            except Timeout:
                raise Timeout("the time limit passed in the region search of a box", stats) from None
            if found is not None:
                return found, stats
            continue
        # the input with the largest smear: |coefficient of the open rows' lower functions| x width
        score = [0.0] * len(box_low)
        for i, coefficients in enumerate(result.coefficients):
            if owner[i] in alive:
                for p in dims:
                    score[p] += abs(coefficients[p]) * float(box_high[p] - box_low[p])
        p = max(dims, key=lambda p: score[p])
        mid = (box_low[p] + box_high[p]) / 2
        left_high = box_high[:p] + (mid,) + box_high[p + 1:]
        right_low = box_low[:p] + (mid,) + box_low[p + 1:]
        halves = [(box_low, left_high, compute(box_low, left_high, result)),
                  (right_low, box_high, compute(right_low, box_high, result))]
        # the half whose rows come closest to the unsafe set is searched first (the last pushed)
        halves.sort(key=lambda half: min(gap(half[2], alive).values()), reverse=True)
        if certifier is not None:
            certifier.split(p, halves[1][0] == box_low)
        for half in halves:
            stack.append(half + (alive, depth + 1))
    return None, stats
