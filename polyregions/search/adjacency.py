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

from typing import Any, Iterator, Sequence

from ..errors import PolyregionsError
from ..core.sparse import SparseRows
from ..geometry.polyhedron import dot, dots, hyperplane_prints, oriented_keys
from .activations import FacetKey
from .regions import Region
from .stages import Stage, StageTrace

__all__ = ["neighbor_pattern", "facet_neighbors"]


def neighbor_pattern(region: Region, row: int) -> tuple[str, ...] | None:
    """The pattern of the region across the facet *row* of *region*, or None at the domain boundary.

    *row* indexes the region's cell rows and must be a facet (see
    :meth:`~polyregions.search.regions.Region.facet_rows`).
    """
    cell = region.cell
    if _on_domain(cell.tags[row]):
        return None
    return _across(region, row, FacetKey.of(cell.row_key(row)), range(len(region.trace)), None)


def facet_neighbors(region: Region) -> Iterator[tuple[int, tuple[str, ...] | None]]:
    """For each facet of *region*: its row index and the neighbour's pattern (None at the boundary).

    The same answers as :func:`neighbor_pattern` facet by facet; the facets' keys and
    fingerprints are made in one call each, and a stage is asked about a facet only when
    its units' fingerprints (:meth:`~polyregions.search.activations.ActivationRules.facet_prints`)
    do not rule the facet out.
    """
    cell = region.cell
    rows = region.facet_rows()
    inner = [r for r in rows if not _on_domain(cell.tags[r])]
    keys = oriented_keys([cell.rows[r] for r in inner]) if inner else []
    facet_keys = dict(zip(inner, map(FacetKey.with_print, keys, hyperplane_prints(keys) if keys else [])))
    trace = region.trace
    filters = [t.stage.rules.facet_prints(t) for t in trace]  # type: ignore[union-attr]
    vanishing = [t.stage.rules.vanishing(t) for t in trace]  # type: ignore[union-attr]
    # the stages after which no stage can follow a change (none of them vanishing)
    quiet = [not any(vanishing[m + 1:]) for m in range(len(trace))]
    pairs = list(enumerate(filters))
    states = [t.states for t in trace]
    for row in rows:
        key = facet_keys.get(row)
        if key is None:
            yield row, None
            continue
        fp = key.print
        asked = [m for m, f in pairs if f is None or fp in f] if fp != -1 else list(range(len(filters)))
        if len(asked) == 1:
            m = asked[0]
            if filters[m] is not None and quiet[m]:  # the usual case: the units of one stage flip
                flipped = trace[m].stage.rules.flipped(trace[m], key)  # type: ignore[union-attr]
                if flipped is not None:
                    across = states.copy()
                    across[m] = flipped
                    yield row, tuple(across)
                    continue
        yield row, _across(region, row, key, asked, vanishing)


def _on_domain(tag: object) -> bool:
    return isinstance(tag, tuple) and bool(tag) and tag[0] == "domain"


def _across(region: Region, row: int, key: FacetKey, asked: Sequence[int],
            vanishing: list[bool] | None) -> tuple[str, ...]:
    """:func:`neighbor_pattern` of an inner facet whose key is *key*; *asked* are the stages
    that may have a unit on it (the others' fingerprints rule it out), *vanishing* the
    stages' :meth:`vanishing` (None: ask).

    The first stage that may change is the first with a unit on the facet (before it no
    derivative changes, so no unit at a breakpoint on the whole piece changes either);
    the last is the last with a unit on the facet or at a breakpoint on the whole piece."""
    cell = region.cell
    direction, _ = cell.inequality(row)  # the outward normal
    trace = region.trace
    if vanishing is None:
        vanishing = [t.stage.rules.vanishing(t) for t in trace]  # type: ignore[union-attr]
    own = [m for m in asked if trace[m].stage.rules.on_facet(trace[m], key)]  # type: ignore[union-attr]
    if not own:
        raise PolyregionsError(f"facet {row} of {region!r} matches no unit (internal error)")
    first = own[0]
    last = max([own[-1]] + [m for m in range(first + 1, len(trace)) if vanishing[m]])
    states = [t.states for t in trace]
    if any(isinstance(trace[m].stage.weight, SparseRows) or len(trace[m].rows) > _WIDE
           for m in range(first, last + 1)):
        return _crossed_sparse(trace, first, last, key, direction, states)
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


#: Stages with more rows than this are crossed unit by unit (:func:`_crossed_sparse`), which
#: visits only the units that may change, rather than with every derivative at once.
_WIDE = 256


def _crossed_sparse(trace: tuple[StageTrace, ...], first: int, last: int, key: tuple, direction: tuple[int, ...],
                    states: list[str]) -> tuple[str, ...]:
    """:func:`neighbor_pattern`'s stages *first* to *last* through a sparse or wide layer: unit by unit.

    Across the facet only the units of :meth:`changing_units` change state; a unit's
    derivative differs from this side's only where an earlier output derivative did, and
    through a sparse layer that change reaches the units near it only. So each stage
    visits the units that decide a state or see a change: their derivatives on this side
    (from the stage's rows) plus the change carried through the weights, never the whole
    product. Derivatives are exact integers over one positive scale per stage (the rules
    decide by signs and comparisons, and a unit's derivative is linear in its rows'), so
    no fraction is reduced on the way; a leaky slope makes fractions, exact as well.
    """
    change: dict[int, Any] = {}  # by row of the current stage: the derivative across minus this side's, over scale
    scale = 1
    for m in range(first, last + 1):
        t = trace[m]
        rules = t.rules
        if m > first and t.stage.weight is not None:
            change = _carried(t.stage, change)
            scale *= t.stage.den
        if rules.family == "identity":  # no units: the derivatives pass unchanged
            continue
        tokens = rules.tokens(t.states)
        touched = {rules.unit_of(r) for r in change}
        deciding = set(rules.changing_units(t, key, touched))
        out: dict[int, Any] = {}
        den = t.den  # this side's derivative of row r is dot(row, direction) / den: all over den * scale
        for u in deciding.union(touched):
            rows = rules.unit_rows(u)
            here = [dot(t.rows[r][:-1], direction) * scale for r in rows]
            there = [h + change.get(r, 0) * den for h, r in zip(here, rows)]
            token = rules.unit_across(t, u, key, there) if u in deciding else tokens[u]
            delta = rules.unit_derivative(token, there) - rules.unit_derivative(tokens[u], here)
            tokens[u] = token
            if delta:
                out[u] = delta
        states[m] = rules.join(tokens)
        change = out
        scale *= den
    return tuple(states)


def _carried(stage: Stage, change: dict[int, Any]) -> dict[int, Any]:
    """The change of the stage's pre-activation derivatives times ``stage.den``, given the
    change of its inputs' (the weights are integers over ``stage.den``)."""
    weight = stage.weight
    out: dict[int, Any] = {}
    if isinstance(weight, SparseRows):
        assert stage.columns is not None
        for j, delta in change.items():
            for i, w in stage.columns[j]:
                out[i] = out.get(i, 0) + w * delta
    else:
        assert weight is not None
        for i, row in enumerate(weight):
            total = sum(row[j] * delta for j, delta in change.items() if row[j])
            if total:
                out[i] = total
    return {i: v for i, v in out.items() if v}


