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

from typing import Iterator

from ..errors import PolyregionsError
from ..geometry.polyhedron import dot, dots
from .activations import FacetKey
from .regions import Region

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
    d = dots(direction + (0,), trace[first].rows)  # derivatives of stage `first` (the constant left out)
    post: list[int] = []
    for m in range(first, last + 1):
        t = trace[m]
        if m > first:  # propagate the previous stage's output derivatives through the affine map
            weight = t.stage.weight
            d = [dot(w, post) for w in weight] if weight is not None else post
        states[m], post = t.rules.crossed(t, key, d)
    return tuple(states)


def facet_neighbors(region: Region) -> Iterator[tuple[int, tuple[str, ...] | None]]:
    """For each facet of *region*: its row index and the neighbour's pattern (None at the boundary)."""
    for row in region.facet_rows():
        yield row, neighbor_pattern(region, row)
