"""How far inside its region a point is, and what a float64 forward pass sees there.

Measurements for the tests and ``benchmarks/points.py``, not decisions: the Euclidean
Chebyshev radius of a region (the radius of the largest ball inside it) is an exact LP
whose row norms ``|a_i|_2`` are the nearest doubles to the irrational square roots, so
it is exact up to those roundings; distances are floats.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Sequence

from polyregions.core.layers import Abs, Affine, Identity, LeakyReLU, ReLU
from polyregions.core.network import Network
from polyregions.geometry import lp

Rows = Sequence[tuple[Sequence[int], int]]


def _norm(a: Sequence[int]) -> Fraction:
    return Fraction(math.sqrt(sum(v * v for v in a)))


def chebyshev_radius(inequalities: Rows) -> Fraction | None:
    """The radius of the largest Euclidean ball inside ``{x : a . x <= b}``; None when
    balls of every radius fit (the LP ``max r : a . x + r |a|_2 <= b`` is unbounded)."""
    n = len(inequalities[0][0])
    A = [list(a) + [_norm(a)] for a, _ in inequalities]
    b = [bb for _, bb in inequalities]
    res = lp.maximize([0] * n + [1], 0, A, b)
    return res.value if res.status == "optimal" else None


def facet_distance(inequalities: Rows, point: Sequence[Fraction]) -> float:
    """The Euclidean distance from *point* (inside) to the nearest facet's hyperplane."""
    return min(float((b - sum(Fraction(v) * x for v, x in zip(a, point))) / _norm(a)) for a, b in inequalities)


def float_pattern(network: Network, x: Sequence[Fraction]) -> tuple[str, ...]:
    """The activation pattern of a plain float64 forward pass at ``float(x)`` (relu,
    leaky relu, abs and identity layers): ``+`` where the pre-activation is > 0, ``-``
    where < 0, ``0`` where it is exactly 0."""
    values = [float(v) for v in x]
    pattern = []
    for layer in network.layers:
        if isinstance(layer, Affine):
            values = [sum(float(w) * v for w, v in zip(row, values)) + float(c)
                      for row, c in zip(layer.weight, layer.bias)]
        elif isinstance(layer, (ReLU, LeakyReLU, Abs)):
            pattern.append("".join("+" if z > 0 else "-" if z < 0 else "0" for z in values))
            if isinstance(layer, ReLU):
                values = [max(z, 0.0) for z in values]
            elif isinstance(layer, LeakyReLU):
                values = [z if z >= 0 else float(layer.slope) * z for z in values]
            else:
                values = [abs(z) for z in values]
        elif isinstance(layer, Identity):
            pattern.append("")
        else:
            raise NotImplementedError(f"float_pattern: no float forward pass for {layer!r}")
    return tuple(pattern)


def same_pattern(region_pattern: Sequence[str], seen: Sequence[str]) -> bool:
    """Whether a float pattern is the region's (a unit identically zero on the region,
    state ``0``, may show any sign in floats)."""
    return all(len(r) == len(s) and all(a == b or a == "0" for a, b in zip(r, s))
               for r, s in zip(region_pattern, seen))


def float_weight_network(seed: int, widths: list[int]) -> Network:
    """A ReLU network with float64 weights, as trained networks have (read exactly)."""
    rng = random.Random(seed)
    weights = [[[rng.gauss(0, 1 / widths[i] ** 0.5) for _ in range(widths[i])] for _ in range(widths[i + 1])]
               for i in range(len(widths) - 1)]
    biases = [[rng.gauss(0, 0.1) for _ in range(widths[i + 1])] for i in range(len(widths) - 1)]
    return Network.mlp(weights, biases)
