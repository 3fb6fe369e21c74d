"""The single coercion point from user values to exact rationals.

Everything numeric that enters polyregions passes through :func:`to_rational`.
It accepts ints, :class:`~fractions.Fraction`, sympy Rationals, ``"p/q"`` and
decimal strings, :class:`~decimal.Decimal` (how JSON decimals are read) and Python
floats, each converted to the exact rational it denotes. NaN, infinities, booleans
and anything else are rejected with a message that names the value and its place.
"""

from __future__ import annotations

import numbers
from decimal import Decimal
from fractions import Fraction
from math import gcd, lcm
from typing import Any, Iterable, Sequence

from .errors import NumberError
from .checker.fileformat import MAX_DIGITS, MAX_EXPONENT, FormatError, read_number

__all__ = ["to_rational", "to_rationals", "format_rational", "int_text", "primitive_row", "reduce_rows", "counted",
           "MAX_EXPONENT", "MAX_DIGITS"]


def _where(place: str) -> str:
    return f"{place}: " if place else ""


def to_rational(value: Any, place: str = "") -> Fraction:
    """Return the exact rational that *value* denotes.

    Ints, Fractions, floats, Decimals and strings are read by
    :func:`polyregions.checker.fileformat.read_number`, the reader that the standalone
    checker uses too (so both accept and refuse the same numbers, with the same
    limits on digits and exponents); sympy Rationals and other numbers are converted
    here and then checked by it.

    Parameters
    ----------
    value
        An int, Fraction, sympy Rational, ``"p/q"`` or decimal string, Decimal or
        Python float (taken as the exact binary value it holds).
    place
        Where the value came from, for the error message (``"layers[2]: weight[0][1]"``).

    Raises
    ------
    NumberError
        For NaN, infinities, booleans, non-numeric strings, other types, and numbers
        beyond the limits (:data:`MAX_DIGITS` digits, exponents beyond
        :data:`MAX_EXPONENT`).

    Examples
    --------
    >>> to_rational("0.1")
    Fraction(1, 10)
    >>> to_rational("-3/6")
    Fraction(-1, 2)
    >>> to_rational(0.5)
    Fraction(1, 2)
    >>> to_rational(0.1) == Fraction(3602879701896397, 36028797018963968)
    True
    """
    try:
        if isinstance(value, (bool, int, Fraction, float, Decimal, str)):
            return read_number(value, place)
        if type(value).__module__.startswith("sympy"):
            if getattr(value, "is_Rational", False):
                return read_number(Fraction(int(value.p), int(value.q)), place)
            raise NumberError(
                f"{_where(place)}expected an exact rational, got sympy {type(value).__name__} {value!r}"
            )
        if isinstance(value, numbers.Integral):
            return read_number(Fraction(int(value)), place)
        if isinstance(value, numbers.Rational):
            return read_number(Fraction(int(value.numerator), int(value.denominator)), place)
        if isinstance(value, numbers.Real):
            return read_number(float(value), place)
        return read_number(value, place)
    except FormatError as exc:
        raise NumberError(str(exc)) from None


def int_text(value: int) -> str:
    """``str(value)``, also beyond Python's limit on the digits of int/str conversion.

    Exact arithmetic makes long numbers (weights multiply through the layers), and
    ``str`` refuses ints of more than ``sys.get_int_max_str_digits()`` digits.
    """
    try:
        return str(value)
    except ValueError:
        return str(Decimal(value))


def to_rationals(values: Any, place: str = "") -> tuple[Fraction, ...]:
    """Coerce a list of numbers; the message names the index of a bad entry."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise NumberError(f"{_where(place)}expected a list of numbers, got {type(values).__name__}")
    return tuple(to_rational(v, f"{place}[{i}]") for i, v in enumerate(values))


def format_rational(value: Fraction) -> str:
    """Exact text of a rational: ``"3"`` or ``"-1/2"``.

    Examples
    --------
    >>> format_rational(Fraction(-1, 2)), format_rational(Fraction(4))
    ('-1/2', '4')
    """
    if value.denominator == 1:
        return int_text(value.numerator)
    return f"{int_text(value.numerator)}/{int_text(value.denominator)}"


def counted(count: int, noun: str) -> str:
    """``"1 linear region"``, ``"2 linear regions"``: a count with its noun in the right number.

    Examples
    --------
    >>> counted(1, "linear region"), counted(0, "adjacency"), counted(2, "pruned branch")
    ('1 linear region', '0 adjacencies', '2 pruned branches')
    >>> counted(3, "inequality"), counted(2, "key")
    ('3 inequalities', '2 keys')
    """
    if count == 1:
        return f"{count} {noun}"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return f"{count} {noun[:-1]}ies"
    if noun.endswith(("ch", "sh", "s", "x")):
        return f"{count} {noun}es"
    return f"{count} {noun}s"


def primitive_row(row: Sequence[Fraction]) -> tuple[int, ...]:
    """Scale a rational vector by a positive factor to a primitive integer vector.

    The zero vector stays zero.

    Examples
    --------
    >>> primitive_row([Fraction(1, 2), Fraction(-3, 4), Fraction(0)])
    (2, -3, 0)
    """
    den = lcm(*(Fraction(v).denominator for v in row)) if row else 1
    ints = [int(Fraction(v) * den) for v in row]
    g = gcd(*ints) if ints else 0
    if g > 1:
        ints = [v // g for v in ints]
    return tuple(ints)


def reduce_rows(rows: list[list[int]], den: int) -> tuple[list[list[int]], int]:
    """Integer rows over a positive denominator, in lowest terms (one common gcd divided out).

    Examples
    --------
    >>> reduce_rows([[2, 4], [6, 0]], 8)
    ([[1, 2], [3, 0]], 4)
    """
    g = gcd(den, *(v for row in rows for v in row))
    if g > 1:
        rows = [[v // g for v in row] for row in rows]
        den //= g
    return rows, den
