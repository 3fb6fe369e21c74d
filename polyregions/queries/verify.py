"""Exact verification of a property: no input of the domain maps into the unsafe set.

:func:`verify_property` decides, for a :class:`~polyregions.io.vnnlib.Property` (an input
domain and an unsafe set of outputs, a disjunction of conjunctions of ``c . y <= d``),
whether some input ``x`` of the (closed) domain has ``network(x)`` in the unsafe set.
It walks the decision tree of the search (:mod:`polyregions.search.engine`) depth first, as
:func:`polyregions.queries.optimize.maximize` does:

- first the domain's vertices and an interior point are tried (exact forward passes);
- at a node, each disjunct is *refuted* on the subtree when one of its rows has an
  exact lower bound ``c . y > d`` there (:func:`polyregions.search.relax.node_bounds` bounds
  ``-c . y`` from above); a node where every disjunct is refuted is dropped;
- at a region the output is affine: a one-row disjunct is decided by the minimum of
  ``c . y`` over the region's closure (a vertex); a disjunct of several rows by an
  exact LP (:mod:`polyregions.geometry.lp`) over the closure and the rows. A point found there
  is a counterexample, checked by an exact forward pass.

The answer is ``holds`` (no counterexample anywhere, on boundaries included) or
``violated`` with an exact counterexample. With ``certificate=True`` a certificate for
the standalone checker is built too: the region tree (:mod:`polyregions.certificates.queries`)
or, from input splitting, the bisection tree (:mod:`polyregions.certificates.boxes`).

Boxes go to the input-splitting search first (:mod:`polyregions.queries.splitting`:
rigorous bounds, bisection, attacks, and this exact search on the boxes that bounds
cannot close) when the network is affine and ReLU layers; ``method="regions"`` forces
the region search. Inputs that a box fixes
(``low == high``) are substituted into the first layer, so the search runs on the
remaining inputs (the input set is the image of that lower-dimensional box). A
union of input sets (VNN-LIB's ``or`` over inputs) is decided part by part; a
counterexample names its part. With a *timeout* the answer may be ``unknown``.

Input splitting runs on the task executors (:func:`polyregions.run.executors.run_search`,
as a :class:`SplitJob`): in this process, on ``jobs`` worker processes or on a Dask
cluster, with a checkpoint of the finished boxes if asked; the first counterexample ends
the run. The region search runs in this process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import partial
from math import lcm
from pathlib import Path
from typing import Any, Sequence

from ..geometry import lp
from ..search.engine import Node, Search
from ..errors import InputError, SolverError
from ..core.domain import Domain
from ..core.layers import Affine
from ..core.network import Network
from ..io.models import takes_models
from ..rationals import approximate, format_rational, to_floats
from ..search.regions import Region
from ..search.relax import cell_maximum, node_bounds
from ..io.vnnlib import Property, as_property
from ..certificates.boxes import BoxCertifier
from ..certificates.queries import QueryRecorder
from ..certificates.queries import holds_certificate
from ..certificates.queries import union_certificate, violated_certificate
from ..search.symbolic import supports
from ..run.executors import MAX_JOBS, run_search
from ..run.jobs import Collector, JobSpec, ProgressCallback, Reducer
from .splitting import BoxSearch, SplitStats, Timeout, fits_doubles, split_verify

__all__ = ["VerifyResult", "verify_property", "decimal_text", "METHODS"]

#: The searches verify_property can use ("auto": input splitting where it applies).
METHODS = ("auto", "split", "regions")

#: The most domain vertices tried first.
MAX_START_POINTS = 1024


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The answer of :func:`verify_property`.

    Attributes
    ----------
    result
        ``"holds"``, ``"violated"``, or ``"unknown"`` (the time limit passed first).
    counterexample
        An input of the domain whose outputs satisfy every row of one disjunct, or None.
    disjunct
        The index of that disjunct, or None.
    outputs
        The network's outputs at the counterexample (exact), or None.
    regions_visited, nodes_visited, subtrees_dropped
        As for :class:`polyregions.queries.optimize.MaxResult`.
    certificate
        The certificate (``certificate=True``), else None.
    part
        The input set (of a union; 0 for one set) holding the counterexample, or where
        the time ran out; None for ``holds``.
    boxes, exact_leaves
        Boxes visited by the input-splitting search, and boxes of them decided by the
        region search (0 when only the region search ran).
    """

    result: str
    counterexample: tuple[Fraction, ...] | None
    disjunct: int | None
    outputs: tuple[Fraction, ...] | None
    regions_visited: int
    nodes_visited: int
    subtrees_dropped: int
    certificate: dict | None = field(default=None, repr=False)
    part: int | None = None
    boxes: int = 0
    exact_leaves: int = 0

    @property
    def holds(self) -> bool:
        return self.result == "holds"

    def to_json(self) -> dict[str, Any]:
        """The JSON keys of ``polyregions verify --json``: exact strings, with a float copy ``<key>_float``
        beside each exact result (``counterexample``, ``outputs``)."""
        def text(values: Sequence[Fraction] | None) -> list[str] | None:
            return None if values is None else [format_rational(v) for v in values]

        return {"result": self.result, "counterexample": text(self.counterexample),
                "counterexample_float": to_floats(self.counterexample), "disjunct": self.disjunct,
                "outputs": text(self.outputs), "outputs_float": to_floats(self.outputs),
                "part": self.part, "regions_visited": self.regions_visited,
                "nodes_visited": self.nodes_visited, "subtrees_dropped": self.subtrees_dropped,
                "boxes": self.boxes, "exact_leaves": self.exact_leaves}

    def vnncomp(self) -> str:
        """The result file of VNN-COMP: ``unsat`` (holds), ``sat`` with the counterexample as
        ``((X_0 v) ... (Y_0 v) ...)``, or ``timeout``. A value is written as the exact
        decimal it is when it has one (every binary fraction does), else to 20 significant
        digits (:func:`decimal_text`)."""
        if self.result == "holds":
            return "unsat\n"
        if self.result != "violated" or self.counterexample is None or self.outputs is None:
            return "timeout\n"
        pairs = [f"(X_{i} {decimal_text(v)})" for i, v in enumerate(self.counterexample)]
        pairs += [f"(Y_{j} {decimal_text(v)})" for j, v in enumerate(self.outputs)]
        return "sat\n(" + "\n ".join(pairs) + ")\n"

    def __repr__(self) -> str:
        return f"VerifyResult({self.result}, regions_visited={self.regions_visited})"


def decimal_text(value: Fraction) -> str:
    """*value* as a decimal: exact when the denominator has no prime but 2 and 5 (every
    binary fraction), else rounded to 20 significant digits (:func:`approximate`).

    >>> decimal_text(Fraction(-3, 8)), decimal_text(Fraction(5)), decimal_text(Fraction(1, 3))
    ('-0.375', '5', '0.33333333333333333333')
    """
    value = Fraction(value)
    rest, places = value.denominator, 0
    for prime in (2, 5):
        count = 0
        while rest % prime == 0:
            rest //= prime
            count += 1
        places = max(places, count)
    if rest != 1:
        return approximate(value, 20)
    # exact: as many significant digits as the integer value * 10^places has
    return approximate(value, max(1, len(str(abs(value.numerator) * 10 ** places // value.denominator))))


def _bad(prop: Property, y: Sequence[Fraction]) -> int | None:
    """The first disjunct whose rows all hold at the outputs *y*, or None."""
    for k, conj in enumerate(prop.unsafe):
        if all(sum((a * b for a, b in zip(c, y)), Fraction(0)) <= d for c, d in conj):
            return k
    return None


def _leaf_rows(region: Region, conj: Sequence[tuple[Sequence[Fraction], Fraction]]
               ) -> list[tuple[list[Fraction], Fraction]]:
    """The disjunct's rows on the region as rows of x: (c . M) x <= d - c . m."""
    out = []
    rows, den = region.map_rows, region.map_den
    n = region.cell.dim
    for c, d in conj:
        coeffs = [sum((ci * r[j] for ci, r in zip(c, rows)), Fraction(0)) / den for j in range(n + 1)]
        out.append((coeffs[:-1], d - coeffs[-1]))
    return out


@takes_models("network")
def verify_property(network: Network, prop: Property, *, certificate: bool = False, prune: bool = True,
                    bound_every: int = 2, timeout: float | None = None, method: str = "auto", jobs: int = 1,
                    scheduler: Any = None, checkpoint: str | Path | None = None,
                    progress: ProgressCallback | None = None, task_seconds: float | None = None) -> VerifyResult:
    """Decide whether some input of ``prop.domain`` maps into ``prop.unsafe``.

    Parameters
    ----------
    network, prop
        The network and the property (see :mod:`polyregions.io.vnnlib`): a
        :class:`~polyregions.io.vnnlib.Property`, the path of a ``.vnnlib`` or JSON property
        file, or a parsed ``polyregions-property/1`` object.
    certificate
        Also build a certificate for ``polyregions check`` (with fixed inputs, only where
        input splitting applies). On a union of input sets: where it holds, a
        ``polyregions-verify-union-certificate/1`` with one certificate per set; where it
        fails, the counterexample's certificate, about its set.
    prune
        Drop subtrees where every disjunct is refuted (False: visit every region).
    bound_every
        Bound a node when its unit's index in its layer is a multiple of this.
    timeout
        Seconds; when they pass the answer is ``unknown``.
    method
        ``"auto"`` (input splitting on boxes of affine/ReLU networks, else the region
        search), ``"split"`` (input splitting, refused where it does not apply) or
        ``"regions"`` (the region search).
    jobs, scheduler, checkpoint, progress, task_seconds
        Where and how input splitting runs, as for
        :func:`polyregions.run.executors.run_search`: *jobs* worker processes (the open
        boxes are tasks; the first counterexample ends every worker), a Dask
        *scheduler*, a *checkpoint* file of finished boxes that a rerun resumes (one
        input set only), *progress* reports whose ``status`` gives the boxes visited,
        the open boxes and the worst gap. The region search runs in this process only.

    Returns
    -------
    VerifyResult

    Examples
    --------
    |x| >= -1/2 everywhere on [-1, 1], and |x| <= 1/2 somewhere:

    >>> from polyregions.io.vnnlib import parse_vnnlib
    >>> net = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])
    >>> head = "(declare-const X_0 Real) (declare-const Y_0 Real) (assert (<= X_0 1)) (assert (>= X_0 -1))"
    >>> verify_property(net, parse_vnnlib(head + "(assert (<= Y_0 -0.5))", 1, 1)).result
    'holds'
    >>> found = verify_property(net, parse_vnnlib(head + "(assert (<= Y_0 0.5))", 1, 1))
    >>> found.result, found.outputs
    ('violated', (Fraction(0, 1),))
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if isinstance(bound_every, bool) or not isinstance(bound_every, int) or bound_every < 1:
        raise InputError(f"bound_every must be a positive integer, got {bound_every!r}")
    prop = as_property(prop, network)
    if prop.outputs != network.output_dim or prop.domain.dim != network.input_dim:
        raise InputError(f"the property is about {prop.domain.dim} inputs and {prop.outputs} outputs, "
                         f"the network has {network.input_dim} and {network.output_dim}")
    if checkpoint is not None and prop.others:
        raise InputError("a checkpoint for a union of input sets is not supported yet: "
                         "verify each input set as a property of its own")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= MAX_JOBS:
        raise InputError(f"jobs must be a positive integer (at most {MAX_JOBS}), got {jobs!r}")
    run = {"jobs": jobs, "scheduler": scheduler, "checkpoint": checkpoint, "progress": progress,
           "task_seconds": task_seconds}
    deadline = None if timeout is None else time.monotonic() + timeout
    regions = nodes = dropped = boxes = leaves = 0
    parts: list[dict] = []  # a union's certificates, one per input set
    for index, domain in enumerate(prop.domains):
        try:
            result = _verify_part(network, domain, prop, certificate, prune, bound_every, deadline, method, run)
        except Timeout as exc:
            if exc.stats is not None:
                boxes += exc.stats.boxes
                leaves += exc.stats.exact_leaves
            return VerifyResult("unknown", None, None, None, regions, nodes, dropped, None, index, boxes, leaves)
        regions += result.regions_visited
        nodes += result.nodes_visited
        dropped += result.subtrees_dropped
        boxes += result.boxes
        leaves += result.exact_leaves
        if not result.holds:  # (a counterexample's certificate is about its input set alone)
            return replace(result, part=index, regions_visited=regions, nodes_visited=nodes,
                           subtrees_dropped=dropped, boxes=boxes, exact_leaves=leaves)
        if certificate:
            if not prop.others:
                return result
            assert result.certificate is not None
            parts.append(result.certificate)
    union = None
    if certificate:  # the property holds on each input set: one certificate per set
        union = union_certificate(parts, prop)
    return VerifyResult("holds", None, None, None, regions, nodes, dropped, union, None, boxes, leaves)


def _restricted(network: Network, domain: Domain
                ) -> tuple[Network, Domain | None, list[int], tuple[Fraction, ...]]:
    """Fixed inputs of a box substituted into the first layer: the network on the free
    inputs, the box of those (None when every input is fixed), their indices, and the
    full input with the free ones at 0."""
    bounds = domain.bounds
    assert bounds is not None
    free = [i for i, (lo, hi) in enumerate(bounds) if lo < hi]
    base = tuple(Fraction(0) if lo < hi else lo for lo, hi in bounds)
    if not free:
        return network, None, free, base
    if len(free) == len(bounds):
        return network, domain, free, base
    lift = Affine(tuple(tuple(Fraction(int(i == j)) for j in free) for i in range(network.input_dim)), base)
    restricted = Network.from_layers(len(free), (lift,) + network.layers)
    box = Domain.box(len(free), [bounds[i][0] for i in free], [bounds[i][1] for i in free])
    return restricted, box, free, base


def _verify_part(network: Network, domain: Domain, prop: Property, certificate: bool, prune: bool,
                 bound_every: int, deadline: float | None, method: str, run: dict[str, Any]) -> VerifyResult:
    """The answer on one input set; *run*: the executor options of input splitting."""
    is_box = domain.kind == "box" and domain.bounds is not None
    fixed = is_box and any(lo == hi for lo, hi in domain.bounds or ())
    unsafe = prop.unsafe

    def lifted(z: Sequence[Fraction] | None, stats: VerifyResult) -> VerifyResult:
        """The answer for the full inputs, from a counterexample *z* of the free ones."""
        if z is None:
            return replace(stats, result="holds", counterexample=None, disjunct=None, outputs=None)
        x = list(base)
        for i, v in zip(free, z):
            x[i] = v
        y = network(x)
        k = _bad(prop, y)
        if k is None or not domain.contains(x):
            raise SolverError("a counterexample that the forward pass does not confirm (internal error)")
        cert = stats.certificate
        if certifier is not None:
            cert = certifier.violated(x, k, prop.unsafe_json())
        return replace(stats, result="violated", counterexample=tuple(x), disjunct=k, outputs=tuple(y),
                       certificate=cert)

    certifier = None

    if is_box:
        inner, box, free, base = _restricted(network, domain)
        if box is None:  # one point
            empty = VerifyResult("holds", None, None, None, 0, 0, 0)
            bad = _bad(prop, network(base)) is not None
            if certificate and supports(network):
                certifier = BoxCertifier(network, (), (), unsafe, [], base)
                if not bad:
                    if not certifier.close((), (), [range(len(conj)) for conj in unsafe]):
                        raise SolverError("the exact bounds at a point miss its outputs (internal error)")
                    empty = replace(empty, certificate=certifier.certificate(prop.unsafe_json()))
            elif certificate:
                raise InputError("certificates for inputs fixed by the property need a network of affine and "
                                 "ReLU layers: not supported here yet")
            return lifted(() if bad else None, empty)
    else:
        inner, box, free, base = network, domain, list(range(network.input_dim)), (Fraction(0),) * network.input_dim
    inner_prop = Property(box, unsafe)
    splittable = is_box and supports(inner) and fits_doubles([lo for lo, _ in box.bounds or ()],
                                                              [hi for _, hi in box.bounds or ()])
    if method == "split" and not splittable:
        raise InputError("input splitting needs a box of inputs (coordinates at most 2^512 in size) and a network "
                         "of affine layers with ReLUs between them, ending with an affine layer "
                         "(--method regions takes any)")
    if fixed and certificate and (method == "regions" or not splittable):
        raise InputError("certificates for inputs fixed by the property need input splitting (a box of at most "
                         "2^512 in size, a network of affine and ReLU layers): not supported here yet")
    if certificate and run["checkpoint"] is not None:
        raise InputError("a certificate is written by one run from start to end: it takes no checkpoint")
    if method == "regions" or not splittable:
        if run["checkpoint"] is not None:
            raise InputError("a checkpoint needs input splitting (a box of inputs, a network of affine and ReLU "
                             "layers); the region search keeps none")
        result = _region_search(inner, inner_prop, certificate, prune, bound_every, deadline)
        if fixed or result.counterexample is None:
            return lifted(result.counterexample, result)
        return result
    if certificate:  # the tree written as the search goes; the exact checks on --jobs workers
        low = tuple(lo for lo, _ in box.bounds or ())
        high = tuple(hi for _, hi in box.bounds or ())
        certifier = BoxCertifier(network, low, high, unsafe, free, base, jobs=run["jobs"])
        try:
            return lifted(*_certified_split(inner, low, high, prop, certifier, fixed, prune, bound_every, deadline))
        finally:
            certifier.shutdown()
    wall = None if deadline is None else time.time() + (deadline - time.monotonic())
    spec = SplitJob(tuple(tuple((tuple(c), d) for c, d in conj) for conj in unsafe), prune, bound_every, wall)
    search = spec.make_search(inner, box)
    reducer = SplitReducer(search)
    try:
        run_search(search, spec, reducer, **run)
    except Timeout as exc:  # the figures of the finished tasks and of the one that timed out
        stats = replace(reducer.stats)
        if exc.stats is not None:
            stats.add(exc.stats)
        raise Timeout(str(exc), stats) from None
    stats = reducer.stats
    summary = VerifyResult("holds", None, None, None, 0, 0, 0, None, None, stats.boxes, stats.exact_leaves)
    return lifted(reducer.counterexample, summary)


def _certified_split(network: Network, low: tuple[Fraction, ...], high: tuple[Fraction, ...], prop: Property,
                     certifier: BoxCertifier, fixed: bool, prune: bool, bound_every: int, deadline: float | None
                     ) -> tuple[tuple[Fraction, ...] | None, VerifyResult]:
    """Input splitting in this process with *certifier* writing the tree: a counterexample of
    the free inputs (or None), and the figures with the certificate when the property holds."""
    unsafe = prop.unsafe

    def exact_leaf(leaf_low: tuple[Fraction, ...], leaf_high: tuple[Fraction, ...]) -> tuple[Fraction, ...] | None:
        if fixed:
            raise InputError("certificate: a box needed the region search, whose certificates are not written "
                             "for inputs fixed by the property yet")
        leaf = Property(Domain.box(len(low), leaf_low, leaf_high), unsafe)
        found = _region_search(network, leaf, True, prune, bound_every, deadline, start_points=False)
        if found.counterexample is None:
            assert found.certificate is not None
            certifier.regions(found.certificate)
        return found.counterexample

    z, stats = split_verify(network, low, high, unsafe, exact_leaf=exact_leaf, deadline=deadline, certifier=certifier)
    summary = VerifyResult("holds", None, None, None, 0, 0, 0, None, None, stats.boxes, stats.exact_leaves)
    if z is None:
        summary = replace(summary, certificate=certifier.certificate(prop.unsafe_json()))
    return z, summary


#: The version of the bisection rule that a checkpoint's box paths follow.
SPLIT_RULE = 1


@dataclass(frozen=True)
class SplitJob(JobSpec):
    """Input splitting as a job of the task executors: the search is a
    :class:`~polyregions.queries.splitting.BoxSearch` of the network's box, each task
    reports its figures, a counterexample if it found one, and its open boxes' gaps.

    *deadline* is a :func:`time.time` value (workers may run on other machines).
    """

    unsafe: tuple
    prune: bool
    bound_every: int
    deadline: float | None

    def identity(self) -> dict[str, Any]:
        return {"job": "verify-split", "rule": SPLIT_RULE, "prune": self.prune, "bound_every": self.bound_every,
                "unsafe": [[{"c": [format_rational(v) for v in c], "d": format_rational(d)} for c, d in conj]
                           for conj in self.unsafe]}

    def make_search(self, network: Network, domain: Domain) -> BoxSearch:
        deadline = None if self.deadline is None else time.monotonic() + (self.deadline - time.time())
        bounds = domain.bounds or ()
        leaf = partial(_exact_leaf, network, self.unsafe, self.prune, self.bound_every, deadline)
        return BoxSearch(network, [lo for lo, _ in bounds], [hi for _, hi in bounds], self.unsafe,
                         exact_leaf=leaf, deadline=deadline)

    def collector(self, search: BoxSearch) -> Collector:  # type: ignore[override]
        return SplitCollector(search)


def _exact_leaf(network: Network, unsafe: Any, prune: bool, bound_every: int, deadline: float | None,
                low: tuple[Fraction, ...], high: tuple[Fraction, ...]) -> tuple[Fraction, ...] | None:
    """A box that bounds cannot close, decided by the region search."""
    leaf = Property(Domain.box(len(low), low, high), unsafe)
    return _region_search(network, leaf, False, prune, bound_every, deadline, start_points=False).counterexample


class SplitCollector(Collector):
    """One task of input splitting: its figures, counterexample and open boxes (plain data)."""

    def __init__(self, search: BoxSearch) -> None:
        self.search = search
        self.before = replace(search.stats)
        self.found: tuple[Fraction, ...] | None = None

    def add(self, item: tuple[Fraction, ...] | None) -> None:  # type: ignore[override]
        if item is not None:
            self.found = item

    def partial(self) -> dict[str, Any]:
        search = self.search
        return {"stats": search.stats.since(self.before).to_list(),
                "counterexample": None if self.found is None else [format_rational(v) for v in self.found],
                "taken": [list(p) for p in search.taken], "left": [[list(p), gap] for p, gap in search.left]}


class SplitReducer(Reducer):
    """The figures of every task, the first counterexample (which stops the run), and the
    open boxes with their gaps (for progress displays)."""

    def __init__(self, search: BoxSearch) -> None:
        super().__init__()
        self.search = search
        self.stats = SplitStats()
        self.counterexample: tuple[Fraction, ...] | None = None
        self.open: dict[tuple[int, ...], float] = {}

    def absorb(self, partial: Any) -> None:
        self.stats.add(SplitStats.from_list(partial["stats"]))
        for path in partial["taken"]:
            self.open.pop(tuple(path), None)
        for path, gap in partial["left"]:
            self.open[tuple(path)] = float(gap)
        found = partial["counterexample"]
        if found is not None and self.counterexample is None:
            point = tuple(Fraction(v) for v in found)
            search = self.search
            if len(point) != len(search.low) or not search.domain.contains(point) or not search.unsafe_at(point):
                raise ValueError("a counterexample that the exact forward pass does not confirm")
            self.counterexample = point
            self.stopped = True

    def status(self) -> dict[str, Any]:
        """``boxes`` visited, ``open`` boxes, and their worst ``gap`` (None when none is open)."""
        return {"boxes": self.stats.boxes, "open": len(self.open), "gap": min(self.open.values(), default=None)}


def _region_search(network: Network, prop: Property, certificate: bool, prune: bool, bound_every: int,
                   deadline: float | None, start_points: bool = True) -> VerifyResult:
    """The exact region search (the module docstring) on ``prop.domain``; *start_points*
    False skips trying the domain's vertices first (input splitting has tried its own)."""
    search = Search(network, prop.domain)
    recorder = None
    if certificate:
        recorder = QueryRecorder(search)
    on_drop = recorder.dropped if recorder is not None else None
    objectives = []  # -c for every row of every disjunct: an upper bound below -d refutes the row
    where = []
    for k, conj in enumerate(prop.unsafe):
        for j, (c, d) in enumerate(conj):
            objectives.append([-v for v in c])
            where.append((k, j, -d))

    def violated(x: Sequence[Fraction], regions: int, nodes: int, dropped: int) -> VerifyResult:
        y = network(x)
        k = _bad(prop, y)
        if k is None or not prop.domain.contains(x):
            raise SolverError("a counterexample that the forward pass does not confirm (internal error)")
        cert = None
        if recorder is not None:
            cert = violated_certificate(search, prop, x, k)
        return VerifyResult("violated", tuple(x), k, tuple(y), regions, nodes, dropped, cert)

    starts = search.cell.vertices()[:MAX_START_POINTS] + [search.cell.interior_point()] if start_points else []
    for x in starts:
        if _bad(prop, network(x)) is not None:
            return violated(x, 0, 0, 0)

    regions = nodes = dropped = 0

    def drop(item: Node) -> bool:
        """True when every disjunct has a row whose bound refutes it on the whole subtree."""
        nonlocal nodes, dropped
        nodes += 1
        if deadline is not None and time.monotonic() > deadline:
            raise Timeout("the time limit passed")
        if prune and item.unit % bound_every == 0:
            nb = node_bounds(search, item, objectives, keep=recorder is not None)
            chosen: dict[int, int] = {}
            for index, ((k, j, limit), bound) in enumerate(zip(where, nb.bounds)):
                if k not in chosen and bound is not None and bound < limit:
                    chosen[k] = index
            if len(chosen) == len(prop.unsafe):
                dropped += 1
                if recorder is not None:
                    recorder.bounded_node(search, item, nb, [{"index": index, "disjunct": where[index][0],
                                                              "row": where[index][1]}
                                                             for index in chosen.values()])
                return True
        return False

    for item in search.walk([search.root()], on_drop, skip=drop):
        regions += 1
        if deadline is not None and time.monotonic() > deadline:
            raise Timeout("the time limit passed")
        here = recorder.region_context(item)[0] if recorder is not None else None
        refutations = []
        for conj in prop.unsafe:
            point, proof = _decide_leaf(item, conj, recorder, here)
            if point is not None:
                return violated(point, regions, nodes, dropped)
            refutations.append(proof)
        if recorder is not None:
            recorder.leaf(item, {"refutations": refutations})
    cert = None
    if recorder is not None:
        cert = holds_certificate(search, recorder, prop, regions)
    return VerifyResult("holds", None, None, None, regions, nodes, dropped, cert)


def _decide_leaf(region: Region, conj: Sequence[tuple[Sequence[Fraction], Fraction]], recorder: Any,
                 here: Any) -> tuple[tuple[Fraction, ...] | None, list | None]:
    """A point of the region's closure whose outputs satisfy every row of *conj*, or None with
    (when recording) Farkas multipliers refuting the conjunction on the closure."""
    cell = region.cell
    rows, den = region.map_rows, region.map_den
    for j, (c, d) in enumerate(conj):
        # the minimum of c . y on the closure: -max of (-c) . y
        scale = lcm(*(Fraction(v).denominator for v in c))
        gint = [-int(Fraction(v) * scale) for v in c]
        row = [sum(g * r[i] for g, r in zip(gint, rows)) for i in range(cell.dim + 1)]
        top = cell_maximum(row, cell)
        if top is None:
            continue  # c . y is unbounded below on the region
        num, t, k = top
        low = -Fraction(num, t * den * scale)
        if low > d:  # refuted by this row
            if recorder is None:
                return None, None
            proof = recorder.multipliers(cell, here, row, den * scale, k, -low)
            return None, proof["multipliers"] + [[["property", j], proof["scale"]]]
        if len(conj) == 1:
            vec = cell.vecs[k]
            return tuple(Fraction(v, vec[-1]) for v in vec[:-1]), None
    if len(conj) == 1:  # one row, unbounded below: any point far enough along the ray
        return _far_point(region, conj[0]), None
    extra = _leaf_rows(region, conj)
    if recorder is not None:
        proof = recorder.farkas(cell, here, extra)
        if proof is not None:
            return None, proof
    A = [list(a) for a, _ in cell.inequalities()] + [a for a, _ in extra]
    b = [bb for _, bb in cell.inequalities()] + [bb for _, bb in extra]
    result = lp.maximize([0] * cell.dim, 0, A, b, dim=cell.dim)
    if result.status == "infeasible":
        return None, None
    assert result.point is not None
    return tuple(result.point), None


def _far_point(region: Region, row: tuple[Sequence[Fraction], Fraction]) -> tuple[Fraction, ...]:
    """A point of the region's closure with c . y <= d, where c . y is unbounded below there."""
    cell = region.cell
    ((c_lin, d_rhs),) = _leaf_rows(region, [row])
    # a ray or a line along which c_lin . x decreases, from a vertex
    start = next(tuple(Fraction(v, vec[-1]) for v in vec[:-1]) for vec in cell.vecs if vec[-1])
    direction = None
    for line in cell.lines:
        slope = sum((a * b for a, b in zip(c_lin, line)), Fraction(0))
        if slope:
            direction = [Fraction(v) if slope < 0 else -Fraction(v) for v in line[:-1]]
            break
    if direction is None:
        direction = next([Fraction(v) for v in vec[:-1]] for vec in cell.vecs
                         if not vec[-1] and sum((a * b for a, b in zip(c_lin, vec[:-1])), Fraction(0)) < 0)
    value = sum((a * b for a, b in zip(c_lin, start)), Fraction(0))
    slope = sum((a * b for a, b in zip(c_lin, direction)), Fraction(0))
    t = max(Fraction(0), (d_rhs - value) / slope)
    return tuple(s + t * r for s, r in zip(start, direction))
