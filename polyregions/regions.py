"""Region records: what the engine yields for every activation region."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd
from typing import TYPE_CHECKING, Any, Hashable, Sequence

from .numbers import format_rational

if TYPE_CHECKING:
    from .polyhedron import Cell
    from .stages import StageTrace

__all__ = ["AffineMap", "Region", "pattern_key"]


def pattern_key(pattern: Sequence[str]) -> str:
    """The stable string of a pattern: layer strings joined by ``|``.

    Examples
    --------
    >>> pattern_key(("+-0", "1,0"))
    '+-0|1,0'
    """
    return "|".join(pattern)


@dataclass(frozen=True, slots=True)
class AffineMap:
    """``x -> weight @ x + bias`` with exact rational entries."""

    weight: tuple[tuple[Fraction, ...], ...]
    bias: tuple[Fraction, ...]

    @classmethod
    def from_integer_rows(cls, rows: Sequence[Sequence[int]], den: int) -> "AffineMap":
        """From rows ``(c_1, ..., c_n, c_0)`` meaning ``(c . x + c_0) / den``."""
        return cls(tuple(tuple(Fraction(c, den) for c in row[:-1]) for row in rows),
                   tuple(Fraction(row[-1], den) for row in rows))

    def __call__(self, x: Sequence[Any]) -> tuple[Fraction, ...]:
        return tuple(sum((w * Fraction(v) for w, v in zip(row, x)), Fraction(0)) + c
                     for row, c in zip(self.weight, self.bias))

    def to_json(self) -> dict[str, Any]:
        return {"weight": [[format_rational(v) for v in row] for row in self.weight],
                "bias": [format_rational(v) for v in self.bias]}


def canonical_map_key(rows: Sequence[Sequence[int]], den: int) -> tuple:
    """A hashable key equal for two integer maps exactly when they are the same map."""
    g = gcd(den, *(v for row in rows for v in row))
    return (den // g,) + tuple(v // g for row in rows for v in row)


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
        The region's exact double description (:class:`~polyregions.polyhedron.Cell`).
    trace
        What each stage computed on the region (pre-activations and states).
    """

    pattern: tuple[str, ...]
    cell: "Cell"
    map_rows: Sequence[Sequence[int]]
    map_den: int
    trace: tuple["StageTrace", ...]
    _facets: list = field(default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]

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
        """An exact point satisfying every inequality strictly."""
        return self.cell.interior_point()

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
        from .display import region_html

        return region_html(self)

    def __repr__(self) -> str:
        try:
            return f"Region(pattern={self.key}, dim={self.dim}, bounded={self.bounded})"
        except Exception:  # repr never raises
            return "Region(?)"
