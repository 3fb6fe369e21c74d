"""The single coercion point from user values to exact rationals.

Everything numeric that enters polyregions passes through :func:`to_rational`.
It accepts ints, :class:`~fractions.Fraction`, sympy Rationals, ``"p/q"`` and
decimal strings, :class:`~decimal.Decimal` (how JSON decimals are read) and Python
floats, each converted to the exact rational it denotes. NaN, infinities, booleans
and anything else are rejected with a message that names the value and its place.
"""

from __future__ import annotations

import numbers
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Decimal, Inexact, localcontext
from fractions import Fraction
from math import gcd, lcm
from operator import mul
from typing import Any, Iterable, Sequence

from .errors import NumberError
from .checker.fileformat import MAX_DIGITS, MAX_EXPONENT, FormatError, read_number

__all__ = ["to_rational", "to_rationals", "format_rational", "int_text", "primitive_row", "reduce_rows", "counted",
           "approximate", "is_short", "with_approximation", "approximate_point", "to_float", "to_floats",
           "MAX_EXPONENT", "MAX_DIGITS", "DIGITS", "SHORT"]

#: Significant digits of the decimals shown beside exact values (:func:`approximate`).
DIGITS = 6

#: Exact texts of at most this many characters (``"-7/16"``) are read at a glance: no decimal beside them.
SHORT = 5


def _where(place: str) -> str:
    return f"{place}: " if place else ""


#: Fractions whose numerator and denominator have fewer bits than this are far within
#: read_number's limit of MAX_DIGITS (10,000) decimal digits: 2^33,000 < 10^9,934.
_FAST_BITS = 33_000


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
    kind = type(value)
    if kind is float and value - value == 0:  # finite: always within the limits (at most 1,075 bits)
        return Fraction(value)
    if kind is Fraction and value.numerator.bit_length() < _FAST_BITS and value.denominator.bit_length() < _FAST_BITS:
        return value  # read_number would return it unchanged
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


def _exact(value: Any) -> Fraction:
    """An int or Fraction as it is (computed values may be longer than input limits allow), else :func:`to_rational`."""
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return Fraction(value)
    return to_rational(value)


def approximate(value: Any, digits: int = DIGITS) -> str:
    """A decimal of *value* rounded to *digits* significant digits, for reading only.

    The rounding is exact (half to even, on the exact rational: one correctly rounded
    decimal division), so the text is the same on every machine; nothing should decide
    anything by it. Trailing zeros stay where digits were rounded off (``"-1.00000"`` is
    not -1) and go where the decimal is exact (``"0.25"``). Exponents from -4 to
    ``digits - 1`` print positionally, others in scientific notation (``"3.33333e-11"``),
    as Python's ``%g`` does.

    Raises
    ------
    NumberError
        For *digits* below 1, and for values :func:`to_rational` refuses.

    Examples
    --------
    >>> approximate(Fraction(1, 3)), approximate(Fraction(-2, 3)), approximate(Fraction(1, 4))
    ('0.333333', '-0.666667', '0.25')
    >>> approximate(Fraction(2282187423322957176360226194844421, 99705663730982138415188585480192))
    '22.8892'
    >>> approximate(Fraction(-1099511627775, 1099511627776)), approximate(Fraction(1, 3 * 10 ** 10))
    ('-1.00000', '3.33333e-11')
    >>> approximate(10 ** 20 + 1), approximate(Fraction(2, 3), digits=2)
    ('1.00000e+20', '0.67')
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise NumberError(f"digits: expected a positive integer, got {digits!r}")
    q = _exact(value)
    if q == 0:
        return "0"
    with localcontext() as ctx:
        ctx.prec, ctx.rounding, ctx.Emax, ctx.Emin = digits, ROUND_HALF_EVEN, MAX_EMAX, MIN_EMIN
        ctx.clear_flags()
        rounded = Decimal(q.numerator) / Decimal(q.denominator)
        inexact = bool(ctx.flags[Inexact])
    sign, coefficient, _ = rounded.as_tuple()
    text = "".join(map(str, coefficient))
    if not inexact:
        text = text.rstrip("0") or "0"
    exponent = rounded.adjusted()
    if -4 <= exponent < digits:
        if exponent < 0:
            body = "0." + "0" * (-exponent - 1) + text
        else:
            whole = text[:exponent + 1].ljust(exponent + 1, "0")
            body = whole + ("." + text[exponent + 1:] if len(text) > exponent + 1 else "")
    else:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        body = f"{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return ("-" if sign else "") + body


def is_short(value: Any) -> bool:
    """Whether the exact text of *value* is read at a glance: an integer, or at most :data:`SHORT` characters.

    Examples
    --------
    >>> is_short(10 ** 30), is_short(Fraction(-7, 16)), is_short(Fraction(17, 280))
    (True, True, False)
    """
    q = _exact(value)
    return q.denominator == 1 or len(format_rational(q)) <= SHORT


def with_approximation(value: Any, digits: int = DIGITS) -> str:
    """The exact text of *value*, then its rounded decimal marked ``~`` unless it is short (:func:`is_short`).

    Examples
    --------
    >>> with_approximation(Fraction(6985, 32)), with_approximation(Fraction(1, 2)), with_approximation(-3)
    ('6985/32 (~218.281)', '1/2', '-3')
    """
    q = _exact(value)
    text = format_rational(q)
    return text if is_short(q) else f"{text} (~{approximate(q, digits)})"


def approximate_point(values: Iterable[Any], digits: int = DIGITS) -> str | None:
    """The rounded decimals of a point, vector or matrix row as a tuple, or ``None`` when every
    entry is short (:func:`is_short`) and the exact tuple reads well by itself.

    Examples
    --------
    >>> approximate_point([Fraction(17, 280), -1]), approximate_point([Fraction(1, 2), 3])
    ('(0.0607143, -1)', None)
    """
    qs = [_exact(v) for v in values]
    if all(is_short(q) for q in qs):
        return None
    return "(" + ", ".join(approximate(q, digits) for q in qs) + ")"


def to_float(value: Any) -> float | None:
    """The float nearest to *value* (correctly rounded), for JSON consumers and plots; ``None``
    beyond the range of a double (about 1.8e308). Never decide anything by it.

    Examples
    --------
    >>> to_float(Fraction(1, 3)), to_float(Fraction(-5, 28)), to_float(10 ** 400)
    (0.3333333333333333, -0.17857142857142858, None)
    """
    try:
        return float(_exact(value))
    except OverflowError:
        return None


def to_floats(values: Iterable[Any] | None) -> list[float | None] | None:
    """:func:`to_float` of each entry (``None`` stays ``None``)."""
    return None if values is None else [to_float(v) for v in values]


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


def over_one_denominator(values: Sequence[Fraction]) -> tuple[list[int], int]:
    """Integer numerators over one positive denominator (the least common one).

    Examples
    --------
    >>> over_one_denominator([Fraction(1, 2), Fraction(-1, 3), Fraction(2)])
    ([3, -2, 12], 6)
    """
    den = lcm(*{v.denominator for v in values}) if values else 1
    return [v.numerator * (den // v.denominator) for v in values], den


def matrix_vectors(weight: Sequence[Sequence[Fraction]], xs: Sequence[Sequence[Fraction]]
                   ) -> list[list[Fraction]]:
    """``weight @ x`` for each vector of *xs*, exactly, in integer arithmetic.

    Each row of *weight* and each vector are brought over one denominator, so a product
    costs one integer dot product instead of a Fraction sum (tens of times faster on
    large layers of float weights).

    Examples
    --------
    >>> matrix_vectors([[Fraction(1, 2), 1]], [[2, Fraction(1, 3)], [0, 1]])
    [[Fraction(4, 3)], [Fraction(1, 1)]]
    """
    vectors = [over_one_denominator([Fraction(v) for v in x]) for x in xs]
    out: list[list[Fraction]] = [[] for _ in xs]
    for row in weight:
        nums, den = over_one_denominator(row)
        for k, (x, x_den) in enumerate(vectors):
            out[k].append(Fraction(sum(map(mul, nums, x)), den * x_den))
    return out

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
