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

from fractions import Fraction
from typing import Iterator

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
    return _across(region, row, FacetKey.of(cell.row_key(row)), None)


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
    for row in rows:
        key = facet_keys.get(row)
        if key is None:
            yield row, None
            continue
        fp = key.print
        asked = [m for m, f in enumerate(filters) if f is None or fp == -1 or fp in f]
        if len(asked) == 1 and filters[asked[0]] is not None:  # the usual case: one stage, units that flip
            m = asked[0]
            flipped = trace[m].stage.rules.flipped(trace[m], key)  # type: ignore[union-attr]
            if flipped is not None:
                yield row, tuple(flipped if k == m else t.states for k, t in enumerate(trace))
                continue
        yield row, _across(region, row, key, filters)


def _on_domain(tag: object) -> bool:
    return isinstance(tag, tuple) and bool(tag) and tag[0] == "domain"


def _across(region: Region, row: int, key: FacetKey, filters: list | None) -> tuple[str, ...]:
    """:func:`neighbor_pattern` of an inner facet whose key is *key*; *filters* are the
    stages' :meth:`facet_prints` (None: ask every stage)."""
    cell = region.cell
    direction, _ = cell.inequality(row)  # the outward normal
    trace = region.trace
    if filters is None:
        asked = range(len(trace))
    else:
        fp = key.print
        asked = [m for m, f in enumerate(filters) if f is None or fp == -1 or fp in f]
    ambiguous = [m for m in asked if trace[m].stage.rules.ambiguous(trace[m], key)]  # type: ignore[union-attr]
    if not ambiguous:
        raise PolyregionsError(f"facet {row} of {region!r} matches no unit (internal error)")
    first, last = ambiguous[0], ambiguous[-1]
    states = [t.states for t in trace]
    if last == first:  # the usual case: no derivative to carry through later layers
        t = trace[first]
        states[first] = t.rules.crossed_states(t, key, direction)
        return tuple(states)
    if any(isinstance(trace[m].stage.weight, SparseRows) for m in range(first + 1, last + 1)):
        return _crossed_sparse(trace, first, last, key, direction, states)
    d = dots(direction + (0,), trace[first].rows)  # derivatives of stage `first` (the constant left out)
    post: list[int] = []
    for m in range(first, last + 1):
        t = trace[m]
        if m > first:  # propagate the previous stage's output derivatives through the affine map
            weight = t.stage.weight
            d = [dot(w, post) for w in weight] if weight is not None else post
        states[m], post = t.rules.crossed(t, key, d)
    return tuple(states)


def _crossed_sparse(trace: tuple[StageTrace, ...], first: int, last: int, key: tuple, direction: tuple[int, ...],
                    states: list[str]) -> tuple[str, ...]:
    """:func:`neighbor_pattern`'s stages *first* to *last* through a sparse layer: unit by unit.

    Across the facet only the units of :meth:`changing_units` change state; a unit's
    derivative differs from this side's only where an earlier output derivative did, and
    through a sparse layer that change reaches the units near it only. So each stage
    visits the units that decide a state or see a change: their derivatives on this side
    (from the stage's rows) plus the change carried through the weights (exact
    fractions), never the whole product.
    """
    change: dict[int, Fraction] = {}  # by row of the current stage: the derivative across minus this side's
    for m in range(first, last + 1):
        t = trace[m]
        rules = t.rules
        if m > first:
            change = _carried(t.stage, change)
        if rules.family == "identity":  # no units: the derivatives pass unchanged
            continue
        tokens = rules.tokens(t.states)
        touched = {rules.unit_of(r) for r in change}
        deciding = set(rules.changing_units(t, key, touched))
        out: dict[int, Fraction] = {}
        for u in deciding.union(touched):
            rows = rules.unit_rows(u)
            here = [Fraction(dot(t.rows[r][:-1], direction), t.den) for r in rows]
            there = [h + change.get(r, 0) for h, r in zip(here, rows)]
            token = rules.unit_across(t, u, key, there) if u in deciding else tokens[u]
            delta = rules.unit_derivative(token, there) - rules.unit_derivative(tokens[u], here)
            tokens[u] = token
            if delta:
                out[u] = delta
        states[m] = rules.join(tokens)
        change = out
    return tuple(states)


def _carried(stage: Stage, change: dict[int, Fraction]) -> dict[int, Fraction]:
    """The change of the stage's pre-activation derivatives, given the change of its inputs'."""
    weight = stage.weight
    if weight is None:
        return change
    out: dict[int, Fraction] = {}
    if isinstance(weight, SparseRows):
        assert stage.columns is not None
        for j, delta in change.items():
            for i, w in stage.columns[j]:
                out[i] = out.get(i, 0) + w * delta
    else:
        for i, row in enumerate(weight):
            total = sum((row[j] * delta for j, delta in change.items() if row[j]), Fraction(0))
            if total:
                out[i] = total
    return {i: v / stage.den for i, v in out.items() if v}


