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


def _walk(network: Network, x: Sequence[Fraction]):
    """Pattern, output, and whether no unit sits on a breakpoint at *x*."""
    v = [Fraction(c) for c in x]
    pattern = []
    generic = True
    for layer in network.layers:
        if isinstance(layer, Affine):
            v = [sum((w * c for w, c in zip(row, v)), Fraction(0)) + b
                 for row, b in zip(layer.weight, layer.bias)]
        elif isinstance(layer, (ReLU, LeakyReLU, Abs)):
            pattern.append("".join("+" if z > 0 else "-" if z < 0 else "0" for z in v))
            generic = generic and all(v)
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
            generic = generic and not any(z in (lo, hi) for z in v)
            v = [min(max(z, lo), hi) for z in v]
        elif isinstance(layer, Maxout):
            k = layer.rank
            groups = [v[i:i + k] for i in range(0, len(v), k)]
            pattern.append(",".join(str(g.index(max(g))) for g in groups))
            generic = generic and all(g.count(max(g)) == 1 for g in groups)
            v = [max(g) for g in groups]
        elif isinstance(layer, Identity):
            pattern.append("")
    return tuple(pattern), tuple(v), generic


def evaluate(network: Network, x: Sequence[Fraction]) -> tuple[tuple[str, ...], tuple[Fraction, ...]]:
    """The pattern at *x* and the network output at *x*."""
    pattern, output, _ = _walk(network, x)
    return pattern, output


def is_generic(pattern: Sequence[str], network: Network, x: Sequence[Fraction]) -> bool:
    """True when no unit sits on a breakpoint at *x* (so *x* is interior to its region).

    A maxout tie counts as a breakpoint: from one point it cannot be told whether
    the tied candidates are the same affine function nearby.
    """
    return _walk(network, x)[2]
