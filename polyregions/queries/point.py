"""The activation region that contains one point, without enumerating the others.

:func:`region_containing` cuts the domain by the inequalities of the pattern at the
point (from the exact forward pass, :mod:`polyregions.core.forward`), one unit after
another, exactly as the engine cuts a piece (one
:meth:`~polyregions.geometry.polyhedron.Cell.cut` per unit, no LP).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..core.domain import Domain
from ..core.forward import exact_point, shown_point, walk_units
from ..core.layers import HardTanh, Maxout
from ..core.maps import AffineMap, pattern_key
from ..core.network import Network
from ..errors import BreakpointError, InputError, SolverError
from ..io.models import takes_models
from ..rationals import primitive_row
from ..search.engine import initial_cell

__all__ = ["PointRegion", "region_containing"]

#: An affine function of the input: coefficients, then the constant.
_Row = tuple[Fraction, ...]


@dataclass(frozen=True, slots=True)
class PointRegion:
    """The activation region containing a point (the fields of an engine Region).

    Attributes
    ----------
    pattern
        One string per activation layer.
    inequalities
        Irredundant rows ``(a, b)`` meaning ``a . x <= b``, primitive integers.
    interior_point
        An exact point well inside (as for engine regions: the vertex centroid moved to
        short rationals, keeping at least half of every facet's slack).
    output_map
        The exact affine map of the network output on the region.
    bounded
        True when the region is a bounded polytope.
    point
        The point it was asked for.
    """

    pattern: tuple[str, ...]
    inequalities: tuple[tuple[tuple[int, ...], int], ...]
    interior_point: tuple[Fraction, ...]
    output_map: AffineMap
    bounded: bool
    point: tuple[Fraction, ...]

    @property
    def key(self) -> str:
        """The stable string of the pattern, e.g. ``'+-0|1'``."""
        return pattern_key(self.pattern)

    @property
    def dim(self) -> int:
        return len(self.point)

    def __repr__(self) -> str:
        return f"PointRegion(pattern={self.key}, dim={self.dim}, bounded={self.bounded})"


def _cut(cell, row: _Row, side: int, tag):
    """The part of *cell* where ``row . (x, 1) >= 0`` (side 1) or ``<= 0`` (side 2)."""
    h = primitive_row(row)
    pos, neg, _ = cell.cut(h, tag, want=side)
    piece = pos if side == 1 else neg
    if piece is None:  # the point is strictly on this side: only broken cell arithmetic gets here
        raise SolverError(f"region_containing: unit {tag} left no interior around the point")
    return piece


@takes_models("network")
def region_containing(network: Network, x: Any, domain: Domain | None = None) -> PointRegion:
    """The activation region of *network* on *domain* that contains the point *x*.

    Nothing else is enumerated: the pattern at *x* comes from the exact forward pass,
    and the region is the domain cut by the inequalities of that pattern, unit by
    unit (the pieces the engine would have made along the way to this region).

    Parameters
    ----------
    network : Network
    x : sequence of numbers
        A point of the domain (on its boundary is fine), on no breakpoint.
    domain : Domain, optional
        Default: all of R^n0.

    Returns
    -------
    PointRegion
        Pattern and key, irredundant inequalities, an interior point, the output
        map and boundedness, equal to those of the engine's region with that key.

    Raises
    ------
    BreakpointError
        When a unit sits on a breakpoint at *x*: then *x* is on the boundary of
        several regions; the error's ``ties`` name the units and their states.
    InputError
        When *x* is outside the domain, has the wrong length or a bad entry, or
        the domain has another dimension.

    Notes
    -----
    One forward pass with the affine function of every unit near *x* (a vector of
    ``n0 + 1`` rationals per unit), then one cell cut per unit and hyperplane of the
    pattern: the cost of one path of the engine's search. (``network.pattern(x)``
    alone computes values only, unless some value sits exactly at a breakpoint.)

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]], [[0, 0, 0], [0]])
    >>> region = region_containing(net, [1, "-1/2"])
    >>> region.key, region.inequalities, region.bounded
    ('+-+', (((0, 1), 0), ((-1, -1), 0)), False)
    >>> region.output_map([2, -1])   # x + (x + y) on this region
    (Fraction(3, 1),)
    """
    point = exact_point(network, x)
    if domain is None:
        domain = Domain.whole(network.input_dim)
    elif domain.dim != network.input_dim:
        raise InputError(f"domain has dimension {domain.dim}, the network input_dim is {network.input_dim}")
    if not domain.contains(point):
        raise InputError(f"x = {shown_point(point)} is outside the domain ({domain.describe()})")
    pattern, ties, units, out = walk_units(network, point)
    if ties:
        shown = ", ".join(t.describe() for t in ties[:4]) + (", ..." if len(ties) > 4 else "")
        raise BreakpointError(
            f"x = {shown_point(point)} lies on a breakpoint of {len(ties)} unit{'s' if len(ties) > 1 else ''} "
            f"({shown}), so on the boundary of several activation regions; take a point off "
            "the breakpoints (network.pattern(x).ties names the units)", ties)
    cell = initial_cell(domain)
    for layer, unit, state, functions, _ in units:
        kind = network.layers[layer]
        if isinstance(kind, Maxout):
            j = int(state)
            for i, other in enumerate(functions):
                if other != functions[j]:
                    cell = _cut(cell, tuple(a - b for a, b in zip(functions[j], other)), 1,
                                (layer, unit, j, i))
            continue
        z = functions[0]
        if not any(z[:-1]):
            continue   # constant near x: it cuts nothing
        if isinstance(kind, HardTanh):
            low = z[:-1] + (z[-1] - kind.low,)
            high = z[:-1] + (z[-1] - kind.high,)
            if state == "L":
                cell = _cut(cell, low, 2, (layer, unit, "min"))
            elif state == "M":
                cell = _cut(cell, low, 1, (layer, unit, "min"))
                cell = _cut(cell, high, 2, (layer, unit, "max"))
            else:
                cell = _cut(cell, low, 1, (layer, unit, "min"))
                cell = _cut(cell, high, 1, (layer, unit, "max"))
            continue
        cell = _cut(cell, z, 1 if state == "+" else 2, (layer, unit))
    cell = cell.pruned()
    return PointRegion(pattern, tuple(cell.inequalities()), cell.central_point(),
                       AffineMap(tuple(r[:-1] for r in out), tuple(r[-1] for r in out)),
                       cell.is_bounded(), point)
