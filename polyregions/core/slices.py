"""Two-dimensional affine slices through three input points.

The slice through ``p0, p1, p2`` is ``x = p0 + s (p1 - p0) + t (p2 - p0)``; the
restricted network takes ``(s, t)`` and prepends that affine map to the network,
so counts, graphs and plots on a slice are those of the restricted network, exact.
This is how SplineCam looks at image classifiers.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from ..errors import DomainError, NumberError
from .layers import Affine
from .network import Network
from ..rationals import to_rational

__all__ = ["slice_network", "parse_point", "plane_vectors", "PlaneSizeError"]


class PlaneSizeError(DomainError):
    """A slice point with another number of coordinates than the network has inputs: which
    point (``index``, 0 to 2) and the network's input size (``inputs``), for a caller that
    names the point its own way (the CLI's ``--slice P0``)."""

    def __init__(self, message: str, index: int, inputs: int) -> None:
        super().__init__(message)
        self.index = index
        self.inputs = inputs


def parse_point(text: str, dim: int | None, place: str) -> tuple[Fraction, ...]:
    """Comma-separated rationals with *dim* entries (any number when *dim* is None)."""
    parts = [p.strip() for p in text.split(",")]
    if dim is not None and len(parts) != dim:
        raise DomainError(f"{place}: {len(parts)} coordinates in {text!r}, the network has {dim} inputs")
    try:
        return tuple(to_rational(p, f"{place}[{i}]") for i, p in enumerate(parts))
    except NumberError as exc:
        raise DomainError(str(exc)) from None


def slice_network(network: Network, p0: Sequence[Any], p1: Sequence[Any], p2: Sequence[Any]) -> Network:
    """The network restricted to the plane through *p0*, *p1*, *p2*, as a function of ``(s, t)``.

    Examples
    --------
    >>> net = Network.mlp([[[1, 0, 0], [0, 1, 0], [0, 0, 1]]], [[0, 0, 0]], final_activation="relu")
    >>> sliced = slice_network(net, [0, 0, 1], [1, 0, 1], [0, 1, 1])
    >>> sliced.input_dim, sliced.layers[0].weight
    (2, ((Fraction(1, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(1, 1)), (Fraction(0, 1), Fraction(0, 1))))
    """
    base, u, v = plane_vectors(network.input_dim, p0, p1, p2)
    lift = Affine(tuple((ui, vi) for ui, vi in zip(u, v)), tuple(base))
    return Network.from_layers(2, (lift,) + network.layers)


def plane_vectors(n: int, p0: Sequence[Any], p1: Sequence[Any], p2: Sequence[Any]
                  ) -> tuple[list[Fraction], list[Fraction], list[Fraction]]:
    """The base point ``p0`` and the directions ``p1 - p0``, ``p2 - p0`` of a plane in ``R^n``, exactly.

    Examples
    --------
    >>> plane_vectors(2, [0, 1], [1, 1], ["1/2", 0])
    ([Fraction(0, 1), Fraction(1, 1)], [Fraction(1, 1), Fraction(0, 1)], [Fraction(1, 2), Fraction(-1, 1)])
    """
    points = []
    for index, (name, p) in enumerate((("p0", p0), ("p1", p1), ("p2", p2))):
        if len(p) != n:
            raise PlaneSizeError(f"slice {name} has {len(p)} coordinates, the network has {n} inputs", index, n)
        try:
            points.append([to_rational(v, f"slice {name}[{i}]") for i, v in enumerate(p)])
        except NumberError as exc:
            raise DomainError(str(exc)) from None
    base, first, second = points
    u = [a - b for a, b in zip(first, base)]
    v = [a - b for a, b in zip(second, base)]
    k = next((i for i, ui in enumerate(u) if ui), None)  # v is a multiple of u (or u = 0): one pass
    if k is None or all(vi * u[k] == ui * v[k] for ui, vi in zip(u, v)):
        raise DomainError("slice points are collinear: p1 - p0 and p2 - p0 must be independent")
    return base, u, v
