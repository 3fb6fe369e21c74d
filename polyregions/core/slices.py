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

__all__ = ["slice_network", "parse_point"]


def parse_point(text: str, dim: int, place: str) -> tuple[Fraction, ...]:
    """Comma-separated rationals with *dim* entries."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != dim:
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
    n = network.input_dim
    points = []
    for name, p in (("p0", p0), ("p1", p1), ("p2", p2)):
        if len(p) != n:
            raise DomainError(f"slice {name} has {len(p)} coordinates, the network has {n} inputs")
        try:
            points.append([to_rational(v, f"slice {name}[{i}]") for i, v in enumerate(p)])
        except NumberError as exc:
            raise DomainError(str(exc)) from None
    base, first, second = points
    u = [a - b for a, b in zip(first, base)]
    v = [a - b for a, b in zip(second, base)]
    if not any(ui * vj != uj * vi for i, (ui, vi) in enumerate(zip(u, v)) for uj, vj in list(zip(u, v))[i + 1:]):
        raise DomainError("slice points are collinear: p1 - p0 and p2 - p0 must be independent")
    lift = Affine(tuple((ui, vi) for ui, vi in zip(u, v)), tuple(base))
    return Network.from_layers(2, (lift,) + network.layers)
