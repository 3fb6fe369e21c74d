"""Pointwise evaluation for checking regions: the public exact forward pass.

``network(x)`` and ``network.pattern(x)`` (:mod:`polyregions.core.forward`) compute the
outputs and the pattern from the weights alone, independently of the engine, with
the same symbols as the region patterns. A unit that crosses a breakpoint at the
point is a tie (reported as ``0``, ``l``, ``h`` or the smallest tied maxout index);
a unit that is identically at a breakpoint near the point (a zero pre-activation,
maxout candidates that are the same affine function) is not.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from polyregions.core.network import Network


def evaluate(network: Network, x: Sequence[Fraction]) -> tuple[tuple[str, ...], tuple[Fraction, ...]]:
    """The pattern at *x* and the network output at *x*."""
    at = network.pattern(x)
    return at.pattern, at.output


def is_generic(pattern: Sequence[str], network: Network, x: Sequence[Fraction]) -> bool:
    """True when no unit crosses a breakpoint at *x* (so *x* is interior to its region)."""
    return network.pattern(x).is_generic
