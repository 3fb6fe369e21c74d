"""The exact maximum (or minimum) of a linear function of a network's outputs over a domain.

:func:`maximize` walks the decision tree of the search (:mod:`polyregions.search.engine`)
depth first, in the serial order, with its own stack, as a branch and bound:

- the *incumbent* is the best value seen so far, with its point: first the best of
  the domain's vertices and an interior point (exact forward passes), then the best
  vertex of each region reached;
- at a node (every ``bound_every``-th decision of a layer) an exact upper bound of the
  objective over the node's subtree (:func:`polyregions.search.relax.node_bounds`) that does
  not beat the incumbent drops the subtree;
- at a region the objective is one affine function, whose maximum over the region is
  attained at a vertex (compared exactly) or is unbounded along a ray or a line of the
  region; then the answer is ``unbounded``, with the region and the ray.

Every region lies in exactly one leaf or dropped subtree (the branches of a unit
cover its node up to hyperplanes, as for counting), so the incumbent at the end is
the maximum over the closed domain. The maximiser is a vertex of a region (or a
vertex of the domain), and its value is recomputed by an exact forward pass.

With ``certificate=True`` the walk also records a certificate
(:mod:`polyregions.certificates.queries`) that the standalone checker verifies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm
from operator import mul
from typing import Any, Sequence

from ..core.domain import Domain
from ..search.engine import Node, Search
from ..errors import InputError, SolverError
from ..core.network import Network
from ..io.models import takes_models
from ..rationals import counted, format_rational, to_float, to_floats, to_rational
from ..search.regions import Region
from ..search.relax import cell_maximum, node_bounds
from ..certificates.queries import QueryRecorder
from ..certificates.queries import max_certificate
from ..certificates.queries import unbounded_certificate

__all__ = ["MaxResult", "maximize", "objective_vector"]

#: The most domain vertices tried as first incumbents.
MAX_START_POINTS = 1024


@dataclass(frozen=True, slots=True)
class MaxResult:
    """The exact optimum of ``c . y`` over the domain.

    Attributes
    ----------
    status
        ``"optimal"`` or ``"unbounded"``.
    sense
        ``"max"`` or ``"min"``.
    objective
        The coefficients ``c`` over the outputs.
    value
        The optimum (None when unbounded).
    point
        A point where the optimum is attained (a vertex of *region*); when unbounded, a
        point of *region* from which the objective grows without bound along *ray*.
    region
        The pattern key of an activation region whose closure holds *point*.
    ray
        When unbounded: a direction ``r`` with ``point + t r`` in the closure of the
        region for every ``t >= 0``, along which the objective grows (falls for min).
    regions_visited
        Activation regions reached by the search; the others lie in dropped subtrees.
    nodes_visited, subtrees_dropped
        Nodes of the decision tree expanded, and subtrees dropped by their bound.
    certificate
        The certificate (``certificate=True``), else None.
    """

    status: str
    sense: str
    objective: tuple[Fraction, ...]
    value: Fraction | None
    point: tuple[Fraction, ...]
    region: str
    ray: tuple[Fraction, ...] | None
    regions_visited: int
    nodes_visited: int
    subtrees_dropped: int
    certificate: dict | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The JSON keys of ``polyregions max --json``: exact strings, with a float copy ``<key>_float``
        beside each exact result (``value``, ``point``, ``ray``)."""
        return {"status": self.status, "sense": self.sense,
                "objective": [format_rational(v) for v in self.objective],
                "value": None if self.value is None else format_rational(self.value),
                "value_float": None if self.value is None else to_float(self.value),
                "point": [format_rational(v) for v in self.point], "point_float": to_floats(self.point),
                "region": self.region,
                "ray": None if self.ray is None else [format_rational(v) for v in self.ray],
                "ray_float": to_floats(self.ray),
                "regions_visited": self.regions_visited, "nodes_visited": self.nodes_visited,
                "subtrees_dropped": self.subtrees_dropped}

    def __repr__(self) -> str:
        what = format_rational(self.value) if self.value is not None else "unbounded"
        return f"MaxResult({self.sense}={what}, region={self.region}, regions_visited={self.regions_visited})"


def objective_vector(network: Network, output: int | None = None, objective: Sequence[Any] | None = None
                     ) -> tuple[Fraction, ...]:
    """The coefficients over the outputs: ``e_output``, the given *objective*, or ``e_0`` for
    a network with one output.

    Raises
    ------
    InputError
        When both or neither are given for a network with several outputs, or they do
        not fit the outputs.

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]]], [[0, 0]])
    >>> objective_vector(net, output=1)
    (Fraction(0, 1), Fraction(1, 1))
    >>> objective_vector(net, objective=["1/2", 2])
    (Fraction(1, 2), Fraction(2, 1))
    """
    m = network.output_dim
    if output is not None and objective is not None:
        raise InputError("give either an output index or an objective, not both")
    if objective is not None:
        values = list(objective)
        if len(values) != m:
            raise InputError(f"objective has {counted(len(values), 'coefficient')}, the network has "
                             f"{counted(m, 'output')}")
        return tuple(to_rational(v, f"objective[{i}]") for i, v in enumerate(values))
    if output is None:
        if m != 1:
            raise InputError(f"the network has {m} outputs: choose one (--output I, 0-based) "
                             "or a linear function of them (--objective c1,...,cm)")
        output = 0
    if isinstance(output, bool) or not isinstance(output, int) or not 0 <= output < m:
        raise InputError(f"output {output!r}: expected an index from 0 to {m - 1}")
    return tuple(Fraction(int(i == output)) for i in range(m))


def _integer_objective(g: Sequence[Fraction]) -> tuple[list[int], int]:
    den = lcm(*(v.denominator for v in g))
    return [int(v * den) for v in g], den


def _value(g: Sequence[Fraction], y: Sequence[Fraction]) -> Fraction:
    return sum((a * b for a, b in zip(g, y)), Fraction(0))


def _objective_row(region: Region, gint: Sequence[int]) -> list[int]:
    rows = region.map_rows
    width = len(rows[0]) if rows else region.cell.dim + 1
    out = [0] * width
    for c, r in zip(gint, rows):
        if c:
            for j, v in enumerate(r):
                out[j] += c * v
    return out


def _growing_direction(row: Sequence[int], cell: Any) -> tuple[int, ...]:
    """A ray or a line of the cell along which ``row`` grows (the cell has one)."""
    lin = row[:-1]
    for line in cell.lines:
        value = sum(map(mul, lin, line))
        if value:
            return tuple(line[:-1]) if value > 0 else tuple(-v for v in line[:-1])
    for vec in cell.vecs:
        if not vec[-1] and sum(map(mul, lin, vec[:-1])) > 0:
            return tuple(vec[:-1])
    raise SolverError("an unbounded region without a growing ray (internal error)")  # pragma: no cover


def _vertex(cell: Any, k: int) -> tuple[Fraction, ...]:
    vec = cell.vecs[k]
    return tuple(Fraction(v, vec[-1]) for v in vec[:-1])


def _any_vertex(cell: Any) -> tuple[Fraction, ...]:
    return next(_vertex(cell, k) for k, vec in enumerate(cell.vecs) if vec[-1])


def region_at(search: Search, point: Sequence[Fraction]) -> str:
    """The key of a region whose closure holds *point* (a point of the domain), found by
    descending the tree through children whose closure holds it (no enumeration)."""
    den = lcm(*(Fraction(v).denominator for v in point))
    homogeneous = [int(Fraction(v) * den) for v in point] + [den]

    def holds(cell: Any) -> bool:
        return all(sum(map(mul, row, homogeneous)) >= 0 for row in cell.rows)

    node: Node | Region = search.root()
    while not isinstance(node, Region):
        for child in search.children(node):
            if holds(child.cell):
                node = child
                break
        else:  # pragma: no cover - the children's closures cover the node's
            raise SolverError("no child holds the point (internal error)")
    return node.key


@takes_models("network")
def maximize(network: Network, domain: Domain | None = None, *, output: int | None = None,
             objective: Sequence[Any] | None = None, minimize: bool = False, certificate: bool = False,
             prune: bool = True, bound_every: int = 2) -> MaxResult:
    """The exact maximum (or with *minimize*, minimum) of ``c . network(x)`` over the domain.

    Parameters
    ----------
    network, domain
        The network and the domain (default: all of R^n0).
    output, objective
        One output (0-based), or coefficients ``c`` over the outputs (default: the only
        output).
    minimize
        Find the minimum instead.
    certificate
        Also build a certificate (:mod:`polyregions.certificates.queries`) for ``polyregions check``.
    prune
        Drop subtrees by their bound (False: visit every region, for comparisons).
    bound_every
        Bound a node when its unit's index in its layer is a multiple of this.

    Returns
    -------
    MaxResult

    Notes
    -----
    Branch and bound over the decision tree; each bound costs one dot product per row
    of the current layer and generator of the node's cell, plus a few integer
    operations per later weight (:mod:`polyregions.search.relax`). With ``prune=False`` it is
    a full enumeration with one vertex scan per region.

    Examples
    --------
    |x1 - x2| on the box [-1, 2]^2:

    >>> net = Network.mlp([[[1, -1], [-1, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> result = maximize(net, Domain.box(2, -1, 2))
    >>> result.value, result.point, net(result.point), result.region
    (Fraction(3, 1), (Fraction(2, 1), Fraction(-1, 1)), (Fraction(3, 1),), '+-')
    >>> maximize(net, Domain.box(2, -1, 2), minimize=True).value
    Fraction(0, 1)
    >>> maximize(net).status
    'unbounded'
    """
    if isinstance(bound_every, bool) or not isinstance(bound_every, int) or bound_every < 1:
        raise InputError(f"bound_every must be a positive integer, got {bound_every!r}")
    c = objective_vector(network, output, objective)
    g = tuple(-v for v in c) if minimize else c
    gint, gden = _integer_objective(g)
    search = Search(network, domain)
    sense = "min" if minimize else "max"
    recorder = None
    if certificate:
        recorder = QueryRecorder(search)
    on_drop = recorder.dropped if recorder is not None else None

    # first incumbent: the domain's vertices and an interior point
    best_value: Fraction | None = None
    best_point: tuple[Fraction, ...] = ()
    best_region: str | None = None
    starts = search.cell.vertices()[:MAX_START_POINTS] + [search.cell.interior_point()]
    for x in starts:
        value = _value(g, network(x))
        if best_value is None or value > best_value:
            best_value, best_point = value, tuple(x)
    assert best_value is not None

    regions = nodes = dropped = 0

    def drop(item: Node) -> bool:
        """True when the subtree's bound cannot beat the incumbent."""
        nonlocal nodes, dropped
        nodes += 1
        if prune and item.unit % bound_every == 0:
            nb = node_bounds(search, item, [g], keep=recorder is not None)
            bound = nb.bounds[0]
            if bound is not None and bound <= best_value:
                dropped += 1
                if recorder is not None:
                    recorder.bounded_node(search, item, nb, [{"index": 0}])
                return True
        return False

    for item in search.walk([search.root()], on_drop, skip=drop):
        regions += 1
        row = _objective_row(item, gint)
        top = cell_maximum(row, item.cell)
        if top is None:
            ray = _growing_direction(row, item.cell)
            point = _any_vertex(item.cell)
            if _value(g, network([p + r for p, r in zip(point, ray)])) <= _value(g, network(point)):
                raise SolverError("the objective does not grow along the ray (internal error)")
            cert = None
            if recorder is not None:
                cert = unbounded_certificate(search, recorder, item, c, sense, point, ray)
            return MaxResult("unbounded", sense, c, None, point, item.key, tuple(Fraction(v) for v in ray),
                             regions, nodes, dropped, cert)
        num, t, k = top
        value = Fraction(num, t * gden * item.map_den)
        if recorder is not None:
            recorder.leaf(item, {"bound": format_rational(value),
                                 **recorder.multipliers(item.cell, recorder.region_context(item)[0], row,
                                                        gden * item.map_den, k, value)})
        if value > best_value:
            best_value, best_point, best_region = value, _vertex(item.cell, k), item.key

    if _value(g, network(best_point)) != best_value:
        raise SolverError("the maximiser's forward pass disagrees with its region (internal error)")
    if best_region is None:
        best_region = region_at(search, best_point)
    value = -best_value if minimize else best_value
    cert = None
    if recorder is not None:
        cert = max_certificate(search, recorder, c, sense, value, best_point, regions)
    return MaxResult("optimal", sense, c, value, best_point, best_region, None, regions, nodes, dropped, cert)
