"""Neighbours of a region across its facets, found without comparing regions.

Let F be a facet of the activation region R, p a point in the relative interior of
F and a the outward normal. Every pre-activation is continuous, so at p it has the
value it has on the closure of R. A unit whose pre-activation on R does not vanish
on all of F is nonzero at p and keeps its state across F. A unit whose
pre-activation on R vanishes on F (its hyperplane on R is F's hyperplane, or it is
identically zero on R) is *ambiguous*: just across F its state is the sign of its
derivative along a, computed with the neighbour's own states of the earlier layers.
Near p the other side of F is a single region (each pre-activation there is affine
and either nonzero at p or vanishing on F's hyperplane), so this gives the pattern of
the unique neighbour across F. The cost is a comparison of hyperplane keys per unit,
and a derivative pass through the later layers only when a later unit is ambiguous.
"""

from __future__ import annotations

from math import lcm
from typing import Iterator

from ..errors import PolyregionsError
from ..core.sparse import SparseRows
from ..geometry.polyhedron import dot, dots
from .activations import FacetKey
from .regions import Region
from .stages import StageTrace

__all__ = ["neighbor_pattern", "facet_neighbors"]


def neighbor_pattern(region: Region, row: int) -> tuple[str, ...] | None:
    """The pattern of the region across the facet *row* of *region*, or None at the domain boundary.

    *row* indexes the region's cell rows and must be a facet (see
    :meth:`~polyregions.search.regions.Region.facet_rows`).
    """
    cell = region.cell
    tag = cell.tags[row]
    if isinstance(tag, tuple) and tag and tag[0] == "domain":
        return None
    key = FacetKey.of(cell.row_key(row))
    direction, _ = cell.inequality(row)  # the outward normal
    trace = region.trace
    ambiguous = [m for m, t in enumerate(trace) if t.stage.rules.ambiguous(t, key)]  # type: ignore[union-attr]
    if not ambiguous:
        raise PolyregionsError(f"facet {row} of {region!r} matches no unit (internal error)")
    first, last = ambiguous[0], ambiguous[-1]
    states = [t.states for t in trace]
    if last == first:  # the usual case: no derivative to carry through later layers
        t = trace[first]
        states[first] = t.rules.crossed_states(t, key, direction)
        return tuple(states)
    normal = direction + (0,)
    d = dots(normal, trace[first].rows)  # derivatives of stage `first` (the constant left out)
    scale = trace[first].den  # d is the derivative of the true pre-activations times scale
    post: list[int] = []
    for m in range(first, last + 1):
        t = trace[m]
        if m > first:  # propagate the previous stage's output derivatives through the affine map
            weight = t.stage.weight
            if weight is None:
                d = post
            elif isinstance(weight, SparseRows):
                d, scale = _across_sparse(trace[m - 1], t, normal, post, scale)
            elif weight is not None:
                d = [dot(w, post) for w in weight]
                scale *= t.stage.den
        states[m], post = t.rules.crossed(t, key, d)
        scale *= t.rules.derivative_scale
    return tuple(states)


def _across_sparse(before: StageTrace, t: StageTrace, normal: tuple[int, ...], post: list[int], scale: int
                   ) -> tuple[list[int], int]:
    """The derivatives of stage *t*'s pre-activations across the facet, and their scale, when
    its weight is sparse: those on this side (from *t*'s rows) plus the weight times the
    change of the previous stage's output derivatives (*post*, with *scale*, against the
    same on this side), which is nonzero only near the units that changed. The full
    product with the weight is never formed."""
    weight, columns = t.stage.weight, t.stage.columns
    assert isinstance(weight, SparseRows) and columns is not None
    rules = before.rules
    # this side's output derivatives of the previous stage, at the scale of post
    common = lcm(scale // rules.derivative_scale, before.den)
    own = rules.derivative(before, [v * (common // before.den) for v in dots(normal, before.rows)])
    factor = common // (scale // rules.derivative_scale)
    change = [(u, b * factor - a) for u, (b, a) in enumerate(zip(post, own)) if b * factor != a]
    # change is at scale common * derivative_scale; the weight multiplies by t.stage.den
    change_scale = common * rules.derivative_scale * t.stage.den
    total = lcm(change_scale, t.den)
    mine, theirs = total // t.den, total // change_scale
    d = [v * mine for v in dots(normal, t.rows)]
    for u, delta in change:
        delta *= theirs
        for i, w in columns[u]:
            d[i] += w * delta
    return d, total


def facet_neighbors(region: Region) -> Iterator[tuple[int, tuple[str, ...] | None]]:
    """For each facet of *region*: its row index and the neighbour's pattern (None at the boundary)."""
    for row in region.facet_rows():
        yield row, neighbor_pattern(region, row)
