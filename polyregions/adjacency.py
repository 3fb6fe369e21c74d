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

from typing import Iterator, Sequence

from .engine import StageTrace, maxout_states, threshold_row
from .errors import PolyregionsError
from .network import Abs, HardTanh, Identity, LeakyReLU, Maxout, ReLU
from .polyhedron import dot, oriented_key
from .regions import Region

__all__ = ["neighbor_pattern", "facet_neighbors"]


def _keys(trace: StageTrace) -> list:
    """Per unit, the oriented keys of the hyperplanes where its state changes (cached)."""
    keys = trace.cache.get("keys")
    if keys is not None:
        return keys
    activation = trace.stage.activation
    rows, den = trace.rows, trace.den
    if isinstance(activation, HardTanh):
        lo, hi = activation.low, activation.high
        keys = [(oriented_key(threshold_row(row, den, lo)), oriented_key(threshold_row(row, den, hi)))
                for row in rows]
    elif isinstance(activation, Maxout):
        keys = {}
    else:
        keys = [oriented_key(row) for row in rows]
    trace.cache["keys"] = keys
    return keys


def _maxout_ties(trace: StageTrace, unit: int, winner: int, key: tuple) -> list[int]:
    """Candidates other than *winner* that equal it on the whole facet with hyperplane *key*."""
    k = trace.stage.activation.rank  # type: ignore[union-attr]
    cache = _keys(trace)
    diffs = cache.get((unit, winner))
    group = trace.rows[unit * k:(unit + 1) * k]
    if diffs is None:
        diffs = [None if i == winner else oriented_key([a - b for a, b in zip(group[winner], group[i])])
                 for i in range(k)]
        cache[(unit, winner)] = diffs
    return [i for i, d in enumerate(diffs) if d is not None and (d == key or not any(d))]


def _ambiguous(trace: StageTrace, key: tuple) -> bool:
    activation = trace.stage.activation
    if isinstance(activation, Identity):
        return False
    if isinstance(activation, Maxout):
        return any(_maxout_ties(trace, u, j, key) for u, j in enumerate(maxout_states(trace.states)))
    keyset = trace.cache.get("keyset")
    if keyset is None:
        keys = _keys(trace)
        keyset = {k for pair in keys for k in pair} if isinstance(activation, HardTanh) else set(keys)
        trace.cache["keyset"] = keyset
    if isinstance(activation, HardTanh):
        return key in keyset or "l" in trace.states or "h" in trace.states
    return key in keyset or "0" in trace.states


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _new_states(trace: StageTrace, key: tuple, d: Sequence[int]) -> tuple[str, list[int]]:
    """States just across the facet for one stage, and the derivative after the activation."""
    activation = trace.stage.activation
    states = trace.states
    if isinstance(activation, Identity):
        return states, list(d)
    if isinstance(activation, Maxout):
        k = activation.rank
        chosen = []
        for u, j in enumerate(maxout_states(states)):
            ties = _maxout_ties(trace, u, j, key)
            if ties:
                best = max(d[u * k + i] for i in ties + [j])
                j = min(i for i in ties + [j] if d[u * k + i] == best)
            chosen.append(j)
        return ",".join(map(str, chosen)), [d[u * k + j] for u, j in enumerate(chosen)]
    keys = _keys(trace)
    out = []
    if isinstance(activation, HardTanh):
        for s, (k_lo, k_hi), dv in zip(states, keys, d):
            sg = _sign(dv)
            if s == "l" or (s in "LM" and k_lo == key):
                s = "L" if sg < 0 else "M" if sg > 0 else "l"
            elif s == "h" or (s in "MH" and k_hi == key):
                s = "M" if sg < 0 else "H" if sg > 0 else "h"
            out.append(s)
        text = "".join(out)
        return text, [dv if s == "M" else 0 for s, dv in zip(text, d)]
    for s, k, dv in zip(states, keys, d):
        if s == "0" or k == key:
            s = "+" if dv > 0 else "-" if dv < 0 else "0"
        out.append(s)
    text = "".join(out)
    if isinstance(activation, ReLU):
        return text, [dv if s == "+" else 0 for s, dv in zip(text, d)]
    if isinstance(activation, Abs):
        return text, [dv if s == "+" else -dv if s == "-" else 0 for s, dv in zip(text, d)]
    if isinstance(activation, LeakyReLU):
        p, q = activation.slope.numerator, activation.slope.denominator
        return text, [dv * q if s == "+" else dv * p if s == "-" else 0 for s, dv in zip(text, d)]
    raise PolyregionsError(f"unsupported activation {activation!r}")


def neighbor_pattern(region: Region, row: int) -> tuple[str, ...] | None:
    """The pattern of the region across the facet *row* of *region*, or None at the domain boundary.

    *row* indexes the region's cell rows and must be a facet (see
    :meth:`~polyregions.regions.Region.facet_rows`).
    """
    cell = region.cell
    tag = cell.tags[row]
    if isinstance(tag, tuple) and tag and tag[0] == "domain":
        return None
    slack = cell.rows[row]
    key = oriented_key(slack)
    direction = [-v for v in slack[:-1]]
    trace = region.trace
    first = next((m for m, t in enumerate(trace) if _ambiguous(t, key)), None)
    if first is None:
        raise PolyregionsError(f"facet {row} of {region!r} matches no unit (internal error)")
    last = max(m for m, t in enumerate(trace) if m == first or _ambiguous(t, key))
    states = [t.states for t in trace]
    d = [dot(r[:-1], direction) for r in trace[first].rows]  # derivatives of stage `first`
    for m in range(first, last + 1):
        t = trace[m]
        if m > first:  # propagate the previous stage's output derivatives through the affine map
            weight = t.stage.weight
            d = [dot(w, post) for w in weight] if weight is not None else post
        states[m], post = _new_states(t, key, d)
    return tuple(states)


def facet_neighbors(region: Region) -> Iterator[tuple[int, tuple[str, ...] | None]]:
    """For each facet of *region*: its row index and the neighbour's pattern (None at the boundary)."""
    for row in region.facet_rows():
        yield row, neighbor_pattern(region, row)
