"""Pointwise evaluation of a network in exact rationals, for checking regions.

Independent of the engine: it evaluates the layers at one point and reports the
state of every unit there, with the same symbols as the region patterns (a state
that is exactly on a breakpoint at the point is reported as ``0``, ``l`` or ``h``;
for maxout, the smallest index among the maxima).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from polyregions.network import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, Network, ReLU


def evaluate(network: Network, x: Sequence[Fraction]) -> tuple[tuple[str, ...], tuple[Fraction, ...]]:
    """The pattern at *x* and the network output at *x*."""
    v = [Fraction(c) for c in x]
    pattern = []
    for layer in network.layers:
        if isinstance(layer, Affine):
            v = [sum((w * c for w, c in zip(row, v)), Fraction(0)) + b
                 for row, b in zip(layer.weight, layer.bias)]
        elif isinstance(layer, (ReLU, LeakyReLU, Abs)):
            pattern.append("".join("+" if z > 0 else "-" if z < 0 else "0" for z in v))
            if isinstance(layer, ReLU):
                v = [max(z, Fraction(0)) for z in v]
            elif isinstance(layer, Abs):
                v = [abs(z) for z in v]
            else:
                v = [z if z >= 0 else layer.slope * z for z in v]
        elif isinstance(layer, HardTanh):
            lo, hi = layer.low, layer.high
            pattern.append("".join("L" if z < lo else "l" if z == lo else "M" if z < hi
                                   else "h" if z == hi else "H" for z in v))
            v = [min(max(z, lo), hi) for z in v]
        elif isinstance(layer, Maxout):
            k = layer.rank
            groups = [v[i:i + k] for i in range(0, len(v), k)]
            idx = [g.index(max(g)) for g in groups]
            pattern.append(",".join(map(str, idx)))
            v = [max(g) for g in groups]
        elif isinstance(layer, Identity):
            pattern.append("")
    return tuple(pattern), tuple(v)


def is_generic(pattern: Sequence[str], network: Network, x: Sequence[Fraction]) -> bool:
    """True when no unit sits on a breakpoint at *x* (so *x* is interior to its region).

    For maxout, the point is generic when the maximum of each group is attained
    only by candidates that are the same affine function near *x*; that cannot be
    seen from one point, so maxout ties make the point non-generic here.
    """
    v = [Fraction(c) for c in x]
    for layer in network.layers:
        if isinstance(layer, Affine):
            v = [sum((w * c for w, c in zip(row, v)), Fraction(0)) + b
                 for row, b in zip(layer.weight, layer.bias)]
        elif isinstance(layer, Maxout):
            k = layer.rank
            groups = [v[i:i + k] for i in range(0, len(v), k)]
            if any(g.count(max(g)) > 1 for g in groups):
                return False
            v = [max(g) for g in groups]
        elif isinstance(layer, HardTanh):
            if any(z in (layer.low, layer.high) for z in v):
                return False
            v = [min(max(z, layer.low), layer.high) for z in v]
        elif isinstance(layer, (ReLU, LeakyReLU, Abs)):
            if any(z == 0 for z in v):
                return False
            if isinstance(layer, ReLU):
                v = [max(z, Fraction(0)) for z in v]
            elif isinstance(layer, Abs):
                v = [abs(z) for z in v]
            else:
                v = [z if z >= 0 else layer.slope * z for z in v]
    return True
