"""Exact affine maps and pattern keys: what a region's output is and how it is named.

:class:`AffineMap` is ``x -> weight @ x + bias`` with exact rational entries (the
network's output on one activation region); :func:`pattern_key` is the stable string
of an activation pattern; :func:`format_affine` writes an affine function as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Any, Sequence

from ..rationals import approximate, format_rational

__all__ = ["AffineMap", "pattern_key", "canonical_map_key", "format_affine", "short_text"]


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


def short_text(value: Fraction, digits: int | None) -> str:
    """Exact text, or ``~`` and 6 significant digits (:func:`polyregions.rationals.approximate`) when
    the exact text is longer than *digits*."""
    text = format_rational(value)
    if digits is None or len(text) <= digits:
        return text
    return f"~{approximate(value)}"


def format_affine(weight: Sequence[Fraction], bias: Fraction, names: Sequence[str], digits: int | None = None
                  ) -> str:
    """An affine function as exact text: ``3/2 x1 - x2 + 1/4``.

    With *digits*, a coefficient whose exact text is longer is shown as ``~`` and six
    significant digits (for hover labels; weights read from float32 files compose into
    long exact fractions).

    Examples
    --------
    >>> F = Fraction
    >>> format_affine([F(3, 2), F(-1)], F(1, 4), ["x1", "x2"])
    '3/2 x1 - x2 + 1/4'
    >>> format_affine([F(0), F(0)], F(-2), ["s", "t"])
    '-2'
    >>> format_affine([F(1, 3), F(10**9, 7)], F(0), ["x1", "x2"], digits=8)
    '1/3 x1 + ~1.42857e+08 x2'
    """
    parts: list[str] = []
    for w, name in zip(weight, names):
        if w == 0:
            continue
        size = abs(w)
        term = name if size == 1 else f"{short_text(size, digits)} {name}"
        parts.append(("- " if w < 0 else "+ ") + term if parts else ("-" if w < 0 else "") + term)
    if bias != 0 or not parts:
        text = short_text(abs(bias), digits)
        parts.append(("- " if bias < 0 else "+ ") + text if parts else short_text(bias, digits))
    return " ".join(parts)
