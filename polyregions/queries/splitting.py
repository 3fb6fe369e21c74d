"""Verification on an input box by splitting the box: bounds, bisection, attacks, exact leaves.

:func:`split_verify` decides whether some input of a box ``[low, high]`` maps into an
unsafe set (a disjunction of conjunctions of rows ``c . y <= d``), for a network of
affine and ReLU layers. It is the fast path of :func:`polyregions.queries.verify.verify_property`
for boxes with few inputs (ReluVal, Neurify and VeriNet split the inputs the same way):

- *Bounds.* :class:`~polyregions.search.symbolic.BoxBounds` gives a rigorous lower bound
  of every row over a box; a disjunct is refuted on the box when one of its rows has a
  bound above its threshold (an exact comparison of the bound, a binary fraction, with
  the exact threshold). A box where every disjunct is refuted is closed.
- *Branching.* An open box is bisected at the midpoint (exact rationals) of an input:
  with up to :data:`TRY_INPUTS` inputs, each is tried (both halves' bounds computed) and
  the one whose halves' gaps have the largest sum wins, a closed half counting 0; on
  ties, with more inputs and while a certificate is written, the one with the largest
  *smear* (ReluVal): the open rows' lower linear functions' coefficient of that input
  times its width, among the inputs whose share of their range is at least
  1/:data:`BALANCE` of the largest share. The halves inherit the box's unit intervals
  (they hold on a smaller box too; not while a certificate is written). Depth first, the
  half whose bounds come closer to the unsafe set first (where a counterexample is
  likelier).
- *Attacks.* At the root, the centre and (up to 6 inputs) the vertices, exactly; then
  random points; after :data:`DESCENT_AFTER` boxes (or when a walk is cut short
  before them: the search was not decided quickly), projected sign-gradient descent
  (floats) on the sum of each disjunct's positive row gaps, from the random points of a
  larger pool nearest to the disjunct and from the farthest, with coarse and with fine
  steps; at every open box its centre and, for every open row, the box vertex where the
  row's lower linear function
  is smallest. A float forward pass proposes; a point counts only once the exact
  forward pass (rational arithmetic) puts its outputs in the unsafe set; a point found
  in floats is replaced by one with short decimals nearby when that one is unsafe too.
- *Affine leaves.* Where the bounds fix the sign of every unit, the network is one
  affine map on the box: each row's exact minimum (integer arithmetic, at a vertex)
  refutes or gives a counterexample; no float is involved.
- *Pieces.* A box with few open units (:data:`PIECE_UNITS`, or :data:`PIECE_UNITS_DEEP`
  after :data:`PIECE_DEPTH` bisections) is decided exactly: for each on/off choice of
  them the network is one affine map on a polytope; per open disjunct, Farkas
  multipliers (proposed by a float simplex, checked exactly) prove that the polytope and
  the disjunct's rows meet nowhere, or else an exact LP finds a point of it satisfying
  them (a counterexample, confirmed by the exact forward pass) or proves there is none.
  Ties are decided here: no margin is needed.
- *Exact leaves.* A box that is still open after :data:`EXACT_DEPTH` bisections (bounds
  stall near ties, where the property holds with no margin or fails on a boundary) is
  decided by the exact region search (*exact_leaf*), which never needs a margin.

The answer is as exact as the region search's: no floating-point number decides it.

*Certificates.* With a :class:`~polyregions.certificates.boxes.BoxCertifier` a box is
closed only once the checker's exact bounds refute it (else it is split further) and
every split and leaf is written to the certificate (:mod:`polyregions.checker.boxes`).
When the certifier checks on worker processes, a box counts as closed while its check
runs and comes back to the stack (:meth:`BoxSearch.walk`) if the check fails.

*Tasks.* :class:`BoxSearch` is the same search as a walk over a stack of :class:`Box`
records, each named by its path of bisections from the root (0: the lower half, 1: the
upper half). A box is rebuilt from its path alone (:meth:`BoxSearch.replay`: the same
bounds, bit for bit, since a half's bounds depend only on its ends and its parent's), so
the task executors of :mod:`polyregions.run` run the open boxes on worker processes or a
Dask cluster, split them while they run and record finished ones in a checkpoint, as they
do for the region search; every box is decided there exactly as here.
"""

from __future__ import annotations

import math
import random
import time
from array import array
from dataclasses import astuple, dataclass, fields, replace
from fractions import Fraction
from typing import Callable, Iterator, Sequence

from ..certificates.boxes import BoxCertifier
from ..checker.boxes import SLOPE_BITS
from ..core.domain import Domain
from ..core.network import Network
from ..errors import InputError, PolyregionsError, SolverError
from ..geometry import lp
from ..geometry.boxlp import box_refuted
from ..search.symbolic import BoxBounds, BoxResult, round_down, round_up

__all__ = ["split_verify", "BoxSearch", "Box", "fits_doubles", "SplitStats", "Timeout", "EXACT_DEPTH",
           "MAX_COORDINATE"]

#: Bisections after which an open box goes to the exact region search.
EXACT_DEPTH = 40
#: An input is only split while its share of its range is at least the largest share
#: divided by this (the best-looking input would otherwise be split again and again).
BALANCE = 16
#: Starts and steps of the gradient attack from the root's samples, per disjunct; it runs once
#: DESCENT_AFTER boxes have been visited or a walk is cut short before (most properties are
#: decided before).
DESCENT_AFTER = 200
DESCENT_STARTS = 16
DESCENT_STEPS = 200
#: Random points the gradient attack ranks its starts from, per disjunct: the DESCENT_STARTS
#: nearest the disjunct (its largest row gap smallest) and the DESCENT_FAR farthest (another
#: basin: descents from the nearest points often all end in the same local optimum).
DESCENT_POOL = 8192
DESCENT_FAR = 16
#: The descent's step schedules (each start descends once with each), as shares of the
#: box's width per input: from the first number down to the second, linearly. Coarse steps
#: jump out of shallow basins, fine ones reach counterexamples of tiny margin.
DESCENT_RATES = ((0.02, 0.0005), (0.01, 0.0001))
#: A box with at most this many open units is decided exactly, piece by piece (per on/off
#: choice of them and open disjunct: checked multipliers, else an exact LP); after
#: PIECE_DEPTH bisections, with at most PIECE_UNITS_DEEP.
PIECE_UNITS = 0
PIECE_DEPTH = 24
PIECE_UNITS_DEEP = 4
#: Up to this many inputs each box is bisected along the input whose halves have the best
#: bounds, all of them tried; beyond, along the largest smear.
TRY_INPUTS = 8
#: The inputs tried are those whose share of their range is at least 1/TRY_BALANCE of the
#: largest share (far less balanced than the smear's :data:`BALANCE`: on ACAS Xu the best
#: split often halves one input again and again; with BALANCE there, 3_3 prop_2 is not
#: decided in 116 s).
TRY_BALANCE = 1024
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

    def __init__(self, message: str, stats: SplitStats | None = None) -> None:
        super().__init__(message)
        self.stats = stats

    def __reduce__(self) -> tuple:  # the figures travel back from a worker process too
        return (Timeout, (str(self), self.stats))


@dataclass
class SplitStats:
    """What :func:`split_verify` did: boxes visited, bound computations, exact leaves."""

    boxes: int = 0
    bounds: int = 0
    exact_leaves: int = 0
    affine_leaves: int = 0
    piece_leaves: int = 0
    max_depth: int = 0

    def since(self, before: SplitStats) -> SplitStats:
        """The figures of what was done after *before* (the deepest box stays the deepest)."""
        return SplitStats(*(a - b for a, b in zip(astuple(self)[:-1], astuple(before)[:-1])), self.max_depth)

    def add(self, other: SplitStats) -> None:
        """Add *other*'s figures to these (the parts of one search)."""
        for f in fields(self)[:-1]:
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        self.max_depth = max(self.max_depth, other.max_depth)

    def to_list(self) -> list[int]:
        return list(astuple(self))

    @classmethod
    def from_list(cls, values: Sequence[int]) -> SplitStats:
        """From :meth:`to_list` (ValueError for anything else: a damaged checkpoint)."""
        if (not isinstance(values, list) or len(values) != len(fields(cls))
                or not all(type(v) is int and v >= 0 for v in values)):
            raise ValueError("expected the figures of a search")
        return cls(*values)


def fits_doubles(low: Sequence[Fraction], high: Sequence[Fraction]) -> bool:
    """Whether every coordinate of the box is at most :data:`MAX_COORDINATE` in size (the
    search proposes points and widths as doubles; larger boxes go to the region search)."""
    return all(-MAX_COORDINATE <= lo and hi <= MAX_COORDINATE for lo, hi in zip(low, high))


def _dot(c: Sequence[Fraction], y: Sequence[Fraction]) -> Fraction:
    return sum((a * b for a, b in zip(c, y) if a), Fraction(0))


@dataclass(frozen=True, slots=True)
class Box:
    """An open box of the search (picklable: it travels to worker processes).

    ``path`` names it by its bisections from the root box (0: the lower half, 1: the upper
    half), so :meth:`BoxSearch.replay` rebuilds it from the path alone; ``result`` holds
    its bounds, ``alive`` the disjuncts not yet refuted on the box that it was cut from,
    ``gap`` the smallest of their gaps (each disjunct's best row's bound minus its
    threshold: the box is closed once every gap is positive).
    """

    path: tuple[int, ...]
    low: tuple[Fraction, ...]
    high: tuple[Fraction, ...]
    result: BoxResult
    alive: frozenset[int]
    gap: float

    @property
    def depth(self) -> int:
        return len(self.path)

    def __repr__(self) -> str:
        return f"Box(depth={len(self.path)}, gap={self.gap:.3g})"


class BoxSearch:
    """The input-splitting search of one box and unsafe set, as a walk over a stack of boxes.

    :func:`split_verify` walks it from the root in one go. The task executors
    (:mod:`polyregions.run.executors`) run it as they run the region search: through
    :meth:`replay_many` (boxes from their paths) and :meth:`walk` (depth first, yielding
    once per box visited: the counterexample found there or None, stopping when asked and
    leaving the open boxes on the stack), so that workers decide their boxes exactly as
    the serial search does. The root's attacks run where the root box is visited; the
    gradient attack runs once per instance, after :data:`DESCENT_AFTER` boxes or when a
    walk is cut short before them (so a run that goes on to workers runs it here, before
    they are forked, and no forked worker repeats it).

    Parameters are those of :func:`split_verify`.
    """

    def __init__(self, network: Network, low: Sequence[Fraction], high: Sequence[Fraction], unsafe: Rows, *,
                 exact_leaf: Callable[[tuple[Fraction, ...], tuple[Fraction, ...]], tuple[Fraction, ...] | None],
                 deadline: float | None = None, seed: int = 0, certifier: BoxCertifier | None = None) -> None:
        self.network = network
        self.certifier = certifier
        self.low, self.high = tuple(low), tuple(high)
        self.domain = Domain.box(len(self.low), self.low, self.high)
        self.unsafe = unsafe
        self.exact_leaf = exact_leaf
        self.deadline = deadline
        self.seed = seed
        self.stats = SplitStats()
        self.rows = [c for conj in unsafe for c, _ in conj]
        self.limits = [d for conj in unsafe for _, d in conj]
        self.owner = [k for k, conj in enumerate(unsafe) for _ in conj]
        self.first_row = [sum(len(conj) for conj in unsafe[:k]) for k in range(len(unsafe))]
        self.floats = [float(d) for d in self.limits]
        self.bounds = BoxBounds(network, self.rows)
        self.width = [h - l for l, h in zip(self.low, self.high)]
        self._samples: list[list[float]] | None = None
        self._root: Box | None = None
        self.descended = False
        #: the paths a walk started from and the open boxes it left (path, gap): progress displays
        self.taken: list[tuple[int, ...]] = []
        self.left: list[tuple[tuple[int, ...], float]] = []

    # -- exact checks and attacks ---------------------------------------------------------

    def unsafe_at(self, x: Sequence[Fraction]) -> bool:
        """An exact forward pass (integer arithmetic) puts *x*'s outputs in the unsafe set."""
        values = self.bounds.exact_rows(x)
        limits, owner = self.limits, self.owner
        return any(all(values[i] <= limits[i] for i in range(len(self.rows)) if owner[i] == k)
                   for k in range(len(self.unsafe)))

    def confirmed(self, points: Sequence[Sequence[float]], box_low: Sequence[Fraction],
                  box_high: Sequence[Fraction]) -> tuple[Fraction, ...] | None:
        values = self.bounds.evaluate(points)
        for point, value in zip(points, values):
            near = {k for k in range(len(self.unsafe))}
            for i, v in enumerate(value):
                if v > self.floats[i] + 1e-9 * (1 + abs(self.floats[i])):
                    near.discard(self.owner[i])
            if near:
                x = tuple(min(max(Fraction(v), lo), hi) for v, lo, hi in zip(point, box_low, box_high))
                if self.unsafe_at(x):
                    return x
        return None

    def samples(self) -> list[list[float]]:
        """The root's random points (the same in every process: seeded)."""
        if self._samples is None:
            rng = random.Random(self.seed)
            self._samples = [[float(lo + (hi - lo) * Fraction(rng.random())) for lo, hi in zip(self.low, self.high)]
                             for _ in range(ROOT_SAMPLES)]
        return self._samples

    def attack_root(self) -> tuple[Fraction, ...] | None:
        """The centre and (in few dimensions) the vertices, exactly; then the random points."""
        low, high = self.low, self.high
        simple = [tuple((lo + hi) / 2 for lo, hi in zip(low, high))]
        if len(low) <= ROOT_VERTEX_DIMENSIONS:
            simple += [tuple(hi if (corner >> p) & 1 else lo for p, (lo, hi) in enumerate(zip(low, high)))
                       for corner in range(1 << len(low))]
        for x in simple:
            if self.unsafe_at(x):
                return x
        found = self.confirmed(self.samples(), low, high)
        return None if found is None else self.simplified(found)

    def simplified(self, x: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
        """A counterexample with short decimals near *x* when one is (checked exactly), else *x*."""
        for digits in range(1, 18):
            step = Fraction(1, 10 ** digits)
            y = tuple(min(max(round(v / step) * step, lo), hi) for v, lo, hi in zip(x, self.low, self.high))
            if y != x and self.unsafe_at(y):
                return y
        return x

    def affine_leaf(self, states: bytes, box_low: Sequence[Fraction], box_high: Sequence[Fraction],
                    alive: frozenset[int]) -> tuple[bool, tuple[Fraction, ...] | None]:
        """On a box where the network is one affine map: (decided, counterexample). Each row's
        exact minimum is at a vertex; a disjunct is refuted when a row's minimum exceeds its
        threshold; a one-row disjunct that is not refuted has its minimising vertex as a
        counterexample; a disjunct of several rows whose vertices all miss is left undecided."""
        maps = self.bounds.affine_rows(states)
        for k in alive:
            refuted = False
            for i in (i for i in range(len(self.rows)) if self.owner[i] == k):
                a, b = maps[i]
                vertex = tuple(lo if v >= 0 else hi for v, lo, hi in zip(a, box_low, box_high))
                if _dot(a, vertex) + b > self.limits[i]:
                    refuted = True
                    break
                if self.unsafe_at(vertex):
                    return True, vertex
            if not refuted:
                return False, None
        return True, None

    def pool(self) -> list[list[float]]:
        """The gradient attack's random points (:data:`DESCENT_POOL`; seeded: the same in every
        process). Floats: only proposals."""
        rng = random.Random(self.seed + 1)
        lo = [float(v) for v in self.low]
        hi = [float(v) for v in self.high]
        return [[min(max(a + (b - a) * rng.random(), a), b) for a, b in zip(lo, hi)] for _ in range(DESCENT_POOL)]

    def descend(self, pool: Sequence[Sequence[float]], box_low: Sequence[Fraction], box_high: Sequence[Fraction]
                ) -> tuple[Fraction, ...] | None:
        """Projected sign-gradient descent (floats) on the sum of each disjunct's positive row
        gaps (value minus threshold), from the :data:`DESCENT_STARTS` points of *pool* nearest
        the disjunct and the :data:`DESCENT_FAR` farthest, each with the step schedules of
        :data:`DESCENT_RATES`; the points it ends at are checked exactly, those of each
        disjunct as soon as its descents end."""
        lo = [float(v) for v in box_low]
        hi = [float(v) for v in box_high]
        span = [b - a for a, b in zip(lo, hi)]
        values = self.bounds.evaluate(pool)
        floats = self.floats
        dims = range(len(lo))
        for k in range(len(self.unsafe)):
            mine = [i for i in range(len(self.rows)) if self.owner[i] == k]
            ranked = sorted(range(len(pool)), key=lambda s: max(values[s][i] - floats[i] for i in mine))
            chosen = ranked[:DESCENT_STARTS] + ranked[max(DESCENT_STARTS, len(ranked) - DESCENT_FAR):]
            ends = []
            for s in chosen:
                for first, last in DESCENT_RATES:
                    self._check_time()
                    x = list(pool[s])
                    for step in range(DESCENT_STEPS):
                        rate = (first - last) * (1 - step / DESCENT_STEPS) + last
                        value, gradients = self.bounds.gradient(x)
                        above = [gradients[i] for i in mine if value[i] > floats[i]]
                        if not above:
                            break
                        total = [sum(g[p] for g in above) for p in dims] if len(above) > 1 else above[0]
                        x = [min(max(v - rate * w * (1.0 if g > 0 else -1.0 if g < 0 else 0.0), a), b)
                             for v, g, w, a, b in zip(x, total, span, lo, hi)]
                    ends.append(x)
            found = self.confirmed(ends, box_low, box_high)
            if found is not None:
                return found
        return None

    def pieces_leaf(self, states: bytes, box_low: Sequence[Fraction], box_high: Sequence[Fraction],
                    alive: frozenset[int]) -> tuple[Fraction, ...] | None:
        """Decide a box with few open units exactly: for every on/off choice of them the network
        is one affine map on a polytope (the box and the choice's sides); per open disjunct,
        the polytope and the disjunct's rows meet nowhere (a proof by multipliers that a float
        simplex proposes and exact arithmetic checks, :func:`~polyregions.geometry.boxlp.box_refuted`,
        else an exact LP), or the exact LP finds a point there (a counterexample)."""
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

        def side_rows(sides: Sequence[tuple[Sequence[Fraction], Fraction, int]]
                      ) -> tuple[list[list[Fraction]], list[Fraction]]:
            # off: a . x + c <= 0; on: -(a . x + c) <= 0
            return ([list(a) if not on else [-v for v in a] for a, _, on in sides],
                    [-c if not on else c for _, c, on in sides])

        # depth first over the open units in network order; a choice whose sides (with the
        # box) are proved to meet nowhere is dropped with everything below it
        pending: list[tuple[int, ...]] = [()]
        while pending:
            self._check_time()
            choice = pending.pop()
            chosen = bytearray(states)
            for index, on in zip(where, choice):
                chosen[index] = 2 + on
            if len(choice) < len(where):
                if choice:
                    _, sides = self.bounds.piece(bytes(chosen), sides_only=len(choice))
                    A, b = side_rows(sides[:len(choice)])
                    if box_refuted(A, b, box_low, box_high):
                        continue
                pending.extend([choice + (0,), choice + (1,)])
                continue
            spec, sides = self.bounds.piece(bytes(chosen))
            A, b = side_rows(sides[:len(choice)])
            for k in sorted(alive):
                rows_A = [list(spec[i][0]) for i in range(len(self.rows)) if self.owner[i] == k]
                rows_b = [self.limits[i] - spec[i][1] for i in range(len(self.rows)) if self.owner[i] == k]
                if box_refuted(A + rows_A, b + rows_b, box_low, box_high):
                    continue
                answer = lp.maximize([0] * n, 0, box_A + A + rows_A, box_b + b + rows_b, dim=n)
                if answer.status != "infeasible":
                    x = tuple(answer.point)
                    if not self.unsafe_at(x):
                        raise SolverError("an exact LP point that the forward pass does not confirm (internal error)")
                    return x
        return None

    # -- boxes ----------------------------------------------------------------------------

    def _order(self, result: BoxResult) -> list[list[int]]:
        """Per disjunct, its rows by the search's bound, largest first (a certificate tries them so)."""
        return [sorted(range(len(conj)), key=lambda r: -result.lower[self.first_row[k] + r])
                for k, conj in enumerate(self.unsafe)]

    def _slopes(self, result: BoxResult) -> list[list[dict[int, int] | None]] | None:
        """Per disjunct and row, the slopes that the search optimised for that row's bound, for
        a certificate: ``{unit: s}`` (s over ``2^SLOPE_BITS``) for the units open on the box
        whose slope is not DeepPoly's 0 or 1; None where there are none."""
        if result.slopes is None or result.intervals is None or not any(result.slopes):
            return None
        total = len(result.states)
        ends = array("d")
        ends.frombytes(result.intervals)
        scale = 1 << SLOPE_BITS
        opened = [u for u in range(total) if result.states[u] == 2]
        out = []
        for k, conj in enumerate(self.unsafe):
            per_row: list[dict[int, int] | None] = []
            for r in range(len(conj)):
                raw = result.slopes[self.first_row[k] + r]
                if raw is None:
                    per_row.append(None)
                    continue
                alpha = array("d")
                alpha.frombytes(raw)
                chosen = {u: min(max(round(alpha[u] * scale), 0), scale) for u in opened
                          if alpha[u] != (1.0 if ends[total + u] > -ends[u] else 0.0)}
                per_row.append(chosen or None)
            out.append(per_row)
        return out

    def _check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Timeout("the time limit passed", self.stats)

    def _compute(self, box_low: Sequence[Fraction], box_high: Sequence[Fraction], alive: frozenset[int],
                 parent: BoxResult | None = None) -> BoxResult:
        """The box's bounds; the rows of the open disjuncts get slopes optimised for their
        thresholds (the others need nothing). The box takes its *parent*'s intervals too,
        unless a certificate is written: the checker computes each box's bounds from the box
        alone, and bounds the checker's do not reproduce would only send boxes back (on ACAS
        Xu 1_1 prop_3 with -o: 3,263 boxes with the parent's intervals, 2,681 without)."""
        if self.certifier is not None:
            parent = None
        self.stats.bounds += 1
        need = [f if k in alive else -math.inf for f, k in zip(self.floats, self.owner)]
        return self.bounds.bounds_float([round_down(v) for v in box_low], [round_up(v) for v in box_high],
                                        parent=parent, need=need)

    def _gaps(self, result: BoxResult, alive: frozenset[int]) -> dict[int, float]:
        """Per open disjunct: its best row's bound minus the threshold (refuted when > 0)."""
        out: dict[int, float] = {}
        for i, bound in enumerate(result.lower):
            k = self.owner[i]
            if k in alive:
                out[k] = max(out.get(k, -math.inf), bound - self.floats[i])
        return out

    def _box(self, path: tuple[int, ...], box_low: tuple[Fraction, ...], box_high: tuple[Fraction, ...],
             result: BoxResult, alive: frozenset[int]) -> Box:
        return Box(path, box_low, box_high, result, alive, min(self._gaps(result, alive).values(), default=math.inf))

    def _still_open(self, result: BoxResult, alive: frozenset[int]) -> frozenset[int]:
        refuted = {self.owner[i] for i, bound in enumerate(result.lower)
                   if self.owner[i] in alive and math.isfinite(bound) and Fraction(bound) > self.limits[i]}
        return alive - refuted

    def _inputs(self, box: Box) -> list[int]:
        """The inputs the box may be bisected along: those whose share of their range is at
        least 1/:data:`BALANCE` of the largest share (none past :data:`EXACT_DEPTH`)."""
        box_low, box_high = box.low, box.high
        relative = [(box_high[p] - box_low[p]) / self.width[p] for p in range(len(box_low))]
        widest = max(relative)
        if box.depth >= EXACT_DEPTH or not widest:
            return []
        return [p for p in range(len(box_low)) if relative[p] * BALANCE >= widest]

    def _split_input(self, box: Box, alive: frozenset[int], dims: Sequence[int]) -> int:
        """Of *dims*, the input with the largest smear (|coefficient of the open rows' lower
        functions| x width)."""
        score = [0.0] * len(box.low)
        for i, coefficients in enumerate(box.result.coefficients):
            if self.owner[i] in alive:
                for p in dims:
                    score[p] += abs(coefficients[p]) * float(box.high[p] - box.low[p])
        return max(dims, key=lambda p: score[p])

    def _split(self, box: Box, alive: frozenset[int]) -> tuple[int, tuple[Box, Box]] | None:
        """The input to bisect and the two halves; None when the box goes to the exact search
        instead (too deep, or nothing wide enough).

        With up to :data:`TRY_INPUTS` inputs every input whose share of its range is at
        least 1/:data:`TRY_BALANCE` of the largest is tried, and the one whose halves' gaps
        have the largest sum wins, a closed half counting 0 (ties: the largest smear among
        the inputs wide enough, :meth:`_inputs` and :meth:`_split_input`, tried first). The
        worse half's gap alone does as well on ACAS Xu, but where a box holds
        counterexamples it keeps splitting inputs that are already thin, for tiny gains.
        With more inputs, and while a certificate is written, the largest smear: on ACAS Xu
        the tried splits made certified trees ten times larger (4_5 prop_10: 819 -> 8,144
        boxes, undecided in 116 s, no box refused by the exact checks): certified bounds
        come from each box alone, without its ancestors' intervals, and the thin boxes the
        tried splits make have poor bounds of their own."""
        dims = self._inputs(box)
        if not dims:
            return None
        first = self._split_input(box, alive, dims)
        if len(box.low) > TRY_INPUTS or self.certifier is not None:
            return first, self._halves(box, alive, first)
        best: tuple[float, int, tuple[Box, Box]] | None = None
        share = [(box.high[q] - box.low[q]) / self.width[q] for q in range(len(box.low))]
        widest = max(share)
        for p in [first] + [q for q in range(len(box.low)) if q != first and share[q] * TRY_BALANCE >= widest]:
            halves = self._halves(box, alive, p)
            score = sum(min(half.gap, 0.0) for half in halves)  # a closed half counts 0
            if score != score:  # nan
                score = -math.inf
            if best is None or score > best[0]:
                best = (score, p, halves)
        assert best is not None
        return best[1], best[2]

    def _halves(self, box: Box, alive: frozenset[int], p: int) -> tuple[Box, Box]:
        """The two halves of *box* cut at the midpoint of input *p* (paths ending 0 and 1)."""
        mid = (box.low[p] + box.high[p]) / 2
        left_high = box.high[:p] + (mid,) + box.high[p + 1:]
        right_low = box.low[:p] + (mid,) + box.low[p + 1:]
        return (self._box(box.path + (0,), box.low, left_high, self._compute(box.low, left_high, alive, box.result),
                          alive),
                self._box(box.path + (1,), right_low, box.high, self._compute(right_low, box.high, alive, box.result),
                          alive))

    def root(self) -> Box:
        """The root box (its bounds computed once)."""
        if self._root is None:
            every = frozenset(range(len(self.unsafe)))
            self._root = self._box((), self.low, self.high, self._compute(self.low, self.high, every), every)
        return self._root

    def replay(self, path: Sequence[int]) -> Box:
        """The box at *path*, rebuilt by the bisection rule (the same bounds, bit for bit)."""
        return next(self.replay_many([path]))

    def replay_many(self, paths: Sequence[Sequence[int]]) -> Iterator[Box]:
        """The boxes at *paths*, in order, sharing the bounds of common ancestors."""
        made: dict[tuple[int, ...], Box] = {(): self.root()}
        for path in paths:
            path = tuple(path)
            depth = max(d for d in range(len(path) + 1) if path[:d] in made)
            box = made[path[:depth]]
            while depth < len(path):
                alive = self._still_open(box.result, box.alive)
                split = self._split(box, alive) if alive else None
                if split is None or path[depth] not in (0, 1):
                    raise InputError(f"no box at path {list(path)}: a damaged checkpoint? delete it to start over")
                halves = split[1]
                for half in halves:
                    made[half.path] = half
                box = halves[path[depth]]
                depth += 1
            yield box

    def walk(self, stack: list[Box], on_drop: object = None, stop: Callable[[], bool] | None = None
             ) -> Iterator[tuple[Fraction, ...] | None]:
        """Visit the boxes of *stack* (the next one last) depth first: yield once per box, the
        counterexample found there (then end) or None. When *stop* returns True (asked after
        each box) the walk ends with the open boxes on *stack*. :class:`Timeout` carries the
        figures of this walk alone. (*on_drop* is for the executors' signature; unused.)"""
        before = replace(self.stats)
        self.taken = [box.path for box in stack]
        certifier = self.certifier
        try:
            while True:
                if certifier is not None and certifier.pending:
                    # boxes whose exact check failed on a worker are searched again (counted once)
                    reopened = certifier.reopened(block=not stack)
                    self.stats.boxes -= len(reopened)
                    stack.extend(reopened)
                    if not stack:
                        self._check_time()
                        continue
                if not stack:
                    break
                self._check_time()
                found = self._visit(stack.pop(), stack)
                yield found
                if found is not None:
                    break
                if stop is not None and stop():
                    if stack and not self.descended:  # cut short before the gradient attack: now
                        found = self.gradient_attack()
                        if found is not None:
                            yield found
                    break
        except Timeout as exc:
            raise Timeout(str(exc), self.stats.since(before)) from None
        finally:
            self.left = [(box.path, box.gap) for box in stack]

    def gradient_attack(self) -> tuple[Fraction, ...] | None:
        """The gradient attack from random points of the box, once (:meth:`descend`)."""
        self.descended = True
        found = self.descend(self.pool(), self.low, self.high)
        return None if found is None else self.simplified(found)

    def _visit(self, box: Box, stack: list[Box]) -> tuple[Fraction, ...] | None:
        """Decide *box* or bisect it (the halves go on *stack*); a counterexample, or None."""
        stats = self.stats
        if self.certifier is not None:
            self.certifier.visiting(box.path, box)
        if not box.path:
            found = self.attack_root()
            if found is not None:
                return found
        stats.boxes += 1
        if stats.boxes >= DESCENT_AFTER and not self.descended:  # not decided quickly
            found = self.gradient_attack()
            if found is not None:
                return found
        stats.max_depth = max(stats.max_depth, box.depth)
        result = box.result
        alive = self._still_open(result, box.alive)
        certifier = self.certifier
        box_low, box_high = box.low, box.high
        if not alive:
            if certifier is None or certifier.close(box_low, box_high, self._order(result), self._slopes(result)):
                return None
            alive = frozenset(range(len(self.unsafe)))  # the exact bounds do not refute it yet: split on
        points = [[float((lo + hi) / 2) for lo, hi in zip(box_low, box_high)]]
        for i, coefficients in enumerate(result.coefficients):
            if self.owner[i] in alive:
                points.append([float(lo if a >= 0 else hi) for a, lo, hi in zip(coefficients, box_low, box_high)])
        found = self.confirmed(points, box_low, box_high)
        if found is not None:
            return self.simplified(found)
        if 2 not in result.states:  # one affine map on the box: decide exactly
            decided, found = self.affine_leaf(result.states, box_low, box_high, alive)
            if found is not None:
                return found
            if decided and (certifier is None
                            or certifier.close(box_low, box_high, self._order(result), self._slopes(result))):
                stats.affine_leaves += 1
                return None
        opened = sum(result.open_units)
        if opened <= PIECE_UNITS or (box.depth >= PIECE_DEPTH and opened <= PIECE_UNITS_DEEP):
            if certifier is None:
                stats.piece_leaves += 1
                return self.pieces_leaf(result.states, box_low, box_high, alive)
            closed, found = certifier.pieces(box_low, box_high, self._order(result), self._check_time,
                                             self._slopes(result))
            if closed or found is not None:
                stats.piece_leaves += 1
                return found
        split = self._split(box, alive)
        if split is None:
            stats.exact_leaves += 1
            try:
                return self.exact_leaf(box_low, box_high)
            except Timeout:
                raise Timeout("the time limit passed in the region search of a box", stats) from None
        # the half whose rows come closest to the unsafe set is searched first (pushed last)
        p, pair = split
        halves = sorted(pair, key=lambda half: half.gap, reverse=True)
        if certifier is not None:
            certifier.split(p, halves[1].path[-1] == 0)
        stack.extend(halves)
        return None


def split_verify(network: Network, low: Sequence[Fraction], high: Sequence[Fraction], unsafe: Rows, *,
                 exact_leaf: Callable[[tuple[Fraction, ...], tuple[Fraction, ...]], tuple[Fraction, ...] | None],
                 deadline: float | None = None, seed: int = 0, certifier: BoxCertifier | None = None
                 ) -> tuple[tuple[Fraction, ...] | None, SplitStats]:
    """A counterexample in the box (exact, confirmed), or None when there is none.

    *exact_leaf(low, high)* decides a box exactly: a counterexample or None. *deadline*
    (a :func:`time.monotonic` value) raises :class:`Timeout` when passed. One process;
    :func:`polyregions.queries.verify.verify_property` runs :class:`BoxSearch` on the
    task executors for ``jobs > 1``. With a *certifier*
    (:class:`~polyregions.certificates.boxes.BoxCertifier`) every box is closed through it
    (its exact bounds, pieces with Farkas multipliers; *exact_leaf* records its own
    certificate there) and every split is written to it, so the search writes a boxes
    certificate as it goes; the tree then follows the exact bounds, not the bisection rule
    alone, so such a search is not replayed on workers.
    """
    search = BoxSearch(network, low, high, unsafe, exact_leaf=exact_leaf, deadline=deadline, seed=seed,
                       certifier=certifier)
    stack = [search.root()]
    for found in search.walk(stack):
        if found is not None:
            return found, search.stats
    return None, search.stats
