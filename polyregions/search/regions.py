"""Region records: what the engine yields for every activation region."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Hashable, Sequence

from ..core.html import point_text, table
from ..core.maps import AffineMap, canonical_map_key, format_affine, pattern_key
from ..geometry.volume import polytope_volume
from ..rationals import format_rational

if TYPE_CHECKING:
    from ..geometry.polyhedron import Cell
    from .stages import StageTrace

__all__ = ["AffineMap", "Region", "pattern_key", "region_volume", "region_html", "output_text", "MAX_VOLUME_DIM"]


@dataclass(frozen=True, slots=True, eq=False)
class Region:
    """One activation region, as the engine yields it (immutable).

    The cheap facts are attributes; the geometric ones are computed on demand from
    the exact double description, so counting never pays for them.

    Attributes
    ----------
    pattern : tuple of str
        One string per activation layer (see the README for the states).
    cell
        The region's exact double description (:class:`~polyregions.geometry.polyhedron.Cell`).
    trace
        What each stage computed on the region (pre-activations and states).
    """

    pattern: tuple[str, ...]
    cell: "Cell"
    map_rows: Sequence[Sequence[int]]
    map_den: int
    trace: tuple["StageTrace", ...]
    _facets: list = field(default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]
    _point: tuple = field(default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]

    @property
    def key(self) -> str:
        """The stable string of the pattern, e.g. ``'+-0|1'``."""
        return pattern_key(self.pattern)

    @property
    def bounded(self) -> bool:
        return self.cell.is_bounded()

    @property
    def dim(self) -> int:
        return self.cell.dim

    def facet_rows(self) -> list[int]:
        """Indices (into the cell's rows) of the facets."""
        facets = self._facets
        if facets is None:
            facets = self.cell.facet_indices()
            object.__setattr__(self, "_facets", facets)
        return facets

    @property
    def inequalities(self) -> tuple[tuple[tuple[int, ...], int], ...]:
        """Irredundant H-representation: rows ``(a, b)`` meaning ``a . x <= b``, primitive integers."""
        return tuple(self.cell.inequalities(self.facet_rows()))

    @property
    def interior_point(self) -> tuple[Fraction, ...]:
        """An exact point well inside: the vertex centroid moved to short rationals,
        keeping at least half of every facet's slack
        (:meth:`~polyregions.geometry.polyhedron.Cell.central_point`); computed once."""
        point = self._point
        if point is None:
            point = self.cell.central_point()
            object.__setattr__(self, "_point", point)
        return point

    @property
    def output_map(self) -> AffineMap:
        """The exact affine map of the network output on this region."""
        return AffineMap.from_integer_rows(self.map_rows, self.map_den)

    def map_key(self) -> tuple:
        """Hashable key of the output map, equal exactly for identical maps."""
        return canonical_map_key(self.map_rows, self.map_den)

    def source(self, row: int) -> Hashable:
        """The label of what made row *row*: ``('domain', i)`` or ``(layer, unit, ...)``."""
        return self.cell.tags[row]

    def _repr_html_(self) -> str:
        return region_html(self)

    def __repr__(self) -> str:
        try:
            return f"Region(pattern={self.key}, dim={self.dim}, bounded={self.bounded})"
        except Exception:  # repr never raises
            return "Region(?)"


#: Largest dimension in which exact volumes are computed.
MAX_VOLUME_DIM = 3


def region_volume(region: "Region") -> Fraction | None:
    """The exact volume of a bounded region in dimension 1 to 3; None otherwise.

    Examples
    --------
    >>> from polyregions import Domain, Network, enumerate_regions
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> sorted(region_volume(r) for r in enumerate_regions(net, Domain.box(2, 0, "1/2")))
    [Fraction(1, 4)]
    """
    if not region.bounded or region.dim > MAX_VOLUME_DIM:
        return None
    return polytope_volume(region.cell.vertices(), region.inequalities)


def output_text(region: Region, names: Sequence[str]) -> list[str]:
    """The output map on the region as text, one affine function per output (``3/2 x1 - x2``)."""
    m = region.output_map
    return [format_affine(row, b, names) for row, b in zip(m.weight, m.bias)]


def region_html(region: "Region") -> str:
    """A small HTML table of one region: pattern, boundedness, interior point, output map, facets."""
    names = [f"x{i + 1}" for i in range(region.dim)]
    maps = output_text(region, names)
    rows: list[tuple[str, Any]] = [("pattern", region.key), ("bounded", region.bounded),
                                   ("interior point", point_text(region.interior_point))]
    rows += [(f"output {k}" if len(maps) > 1 else "output", text) for k, text in enumerate(maps[:8])]
    if len(maps) > 8:
        rows.append(("outputs", f"... {len(maps) - 8} more"))
    rows.append(("facets", len(region.inequalities)))
    volume = region_volume(region)
    if volume is not None:
        rows.append(("volume", format_rational(volume)))
    return table(rows, "activation region")
