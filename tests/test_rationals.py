"""Tests of :mod:`polyregions.rationals`: the single coercion point to exact rationals."""

from __future__ import annotations

import numbers
import sys
from decimal import Decimal
from fractions import Fraction as F
from math import gcd

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from polyregions.errors import InputError, NumberError, PolyregionsError
from polyregions.rationals import (MAX_EXPONENT, approximate, approximate_point, format_rational, is_short,
                                  primitive_row, to_float, to_floats, to_rational, to_rationals, with_approximation)


# ---------------------------------------------------------------- accepted values

@pytest.mark.parametrize("value, expected", [
    (0, F(0)),
    (7, F(7)),
    (-3, F(-3)),
    (10**50, F(10**50)),
    (F(-3, 6), F(-1, 2)),
    (F(5), F(5)),
])
def test_ints_and_fractions(value, expected):
    result = to_rational(value)
    assert result == expected
    assert type(result) is F


def test_fraction_is_returned_unchanged():
    f = F(2, 3)
    assert to_rational(f) is f


@pytest.mark.parametrize("value, expected", [
    (sympy.Rational(3, 4), F(3, 4)),
    (sympy.Rational(-6, 4), F(-3, 2)),
    (sympy.Integer(5), F(5)),
    (sympy.Integer(-12), F(-12)),
    (sympy.Rational(0), F(0)),
    (sympy.S.Half, F(1, 2)),
])
def test_sympy_rationals(value, expected):
    result = to_rational(value)
    assert result == expected
    assert type(result) is F
    assert type(result.numerator) is int and type(result.denominator) is int


@pytest.mark.parametrize("value, kind", [
    (sympy.Float("0.5"), "Float"),
    (sympy.sqrt(2), "Pow"),
    (sympy.pi, "Pi"),
    (sympy.Symbol("x"), "Symbol"),
])
def test_sympy_non_rationals_rejected(value, kind):
    with pytest.raises(NumberError, match=rf"^w: expected an exact rational, got sympy {kind} "):
        to_rational(value, "w")


@pytest.mark.parametrize("text, expected", [
    ("3/4", F(3, 4)),
    ("-3/6", F(-1, 2)),
    ("3/-4", F(-3, 4)),
    ("-3/-4", F(3, 4)),
    ("+5/10", F(1, 2)),
    ("  3 / 4  ", F(3, 4)),
    ("\t-1/3\n", F(-1, 3)),
    ("0/7", F(0)),
    ("12/1", F(12)),
])
def test_fraction_strings(text, expected):
    assert to_rational(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("0.1", F(1, 10)),
    ("1e-3", F(1, 1000)),
    ("-2.5E2", F(-250)),
    ("  42  ", F(42)),
    ("-0", F(0)),
    ("0.333", F(333, 1000)),
    ("1e400", F(10**400)),
    ("+.5", F(1, 2)),
    ("1.", F(1)),
    ("123456789012345678901234567890.000000000000000000001",
     F(123456789012345678901234567890) + F(1, 10**21)),
])
def test_decimal_strings_are_exact(text, expected):
    assert to_rational(text) == expected


def test_decimal_string_point_one_is_exactly_one_tenth():
    assert to_rational("0.1") == F(1, 10)
    assert to_rational("0.1") != F(0.1)


@pytest.mark.parametrize("value, expected", [
    (Decimal("0.1"), F(1, 10)),
    (Decimal("-2.5E2"), F(-250)),
    (Decimal("1e-3"), F(1, 1000)),
    (Decimal(7), F(7)),
    (Decimal("0E+5"), F(0)),
])
def test_decimals(value, expected):
    assert to_rational(value) == expected


@pytest.mark.parametrize("value, expected", [
    (0.5, F(1, 2)),
    (-0.75, F(-3, 4)),
    (0.0, F(0)),
    (-0.0, F(0)),
    (3.0, F(3)),
    (0.1, F(3602879701896397, 36028797018963968)),
    (1e300, F(int(1e300))),
    (5e-324, F(1, 2**1074)),
])
def test_floats_are_their_exact_binary_value(value, expected):
    assert to_rational(value) == expected


def test_float_point_one_is_not_one_tenth():
    assert to_rational(0.1) == F(3602879701896397, 36028797018963968)
    assert to_rational(0.1) != F(1, 10)


class _Seven:
    """An integral type that is not int (as numpy's integers are)."""

    def __int__(self) -> int:
        return 7


class _TwoThirds:
    """A rational type that is not Fraction."""

    numerator = 2
    denominator = 3


class _Quarter:
    """A real type that is not float (as numpy's floats are)."""

    def __float__(self) -> float:
        return 0.25


class _NotANumber:
    def __float__(self) -> float:
        return float("nan")


numbers.Integral.register(_Seven)
numbers.Rational.register(_TwoThirds)
numbers.Real.register(_Quarter)
numbers.Real.register(_NotANumber)


def test_other_number_types_through_the_numbers_abcs():
    assert to_rational(_Seven()) == F(7)
    assert to_rational(_TwoThirds()) == F(2, 3)
    assert to_rational(_Quarter()) == F(1, 4)
    with pytest.raises(NumberError, match=r"^x: expected a finite number, got nan$"):
        to_rational(_NotANumber(), "x")


def test_numbers_longer_than_the_int_str_limit():
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
    digits = "7" * (limit + 100)
    assert to_rational(digits + "/3") == F(int(digits[:limit]) * 10**100 + int(digits[limit:]), 3)
    assert to_rational(digits) == F(int(Decimal(digits)))
    big = F(10**(limit + 10) + 1, 3)
    text = format_rational(big)
    assert text.startswith("1" + "0" * (limit + 9) + "1/3")
    assert to_rational(text) == big
    assert format_rational(F(-(10**(limit + 1)))) == "-1" + "0" * (limit + 1)


# ---------------------------------------------------------------- rejected values

@pytest.mark.parametrize("value, shown", [
    (float("nan"), "nan"),
    (float("inf"), "inf"),
    (float("-inf"), "-inf"),
])
def test_non_finite_floats_rejected(value, shown):
    with pytest.raises(NumberError, match=rf"^layers\[2\]: weight\[0\]\[1\]: expected a finite number, got {shown}$"):
        to_rational(value, "layers[2]: weight[0][1]")


@pytest.mark.parametrize("value, shown", [
    (Decimal("NaN"), "NaN"),
    (Decimal("sNaN"), "sNaN"),
    (Decimal("Infinity"), "Infinity"),
    (Decimal("-Infinity"), "-Infinity"),
])
def test_non_finite_decimals_rejected(value, shown):
    with pytest.raises(NumberError, match=rf"^bias\[3\]: expected a finite number, got {shown}$"):
        to_rational(value, "bias[3]")


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", " infinity "])
def test_non_finite_strings_rejected(text):
    with pytest.raises(NumberError, match=rf"^slope: expected a finite number, got {text!r}$"):
        to_rational(text, "slope")


@pytest.mark.parametrize("value, shown", [(True, "True"), (False, "False")])
def test_booleans_rejected(value, shown):
    with pytest.raises(NumberError, match=rf"^min: expected a number, got boolean {shown}$"):
        to_rational(value, "min")


@pytest.mark.parametrize("value, shown", [
    (None, r"NoneType None"),
    ([1, 2], r"list \[1, 2\]"),
    ((1,), r"tuple \(1,\)"),
    ({"a": 1}, r"dict \{'a': 1\}"),
    (b"1", r"bytes b'1'"),
    (1j, r"complex 1j"),
])
def test_other_types_rejected(value, shown):
    with pytest.raises(NumberError, match=rf"^b\[0\]: expected a number, got {shown}$"):
        to_rational(value, "b[0]")


def test_plain_object_rejected():
    with pytest.raises(NumberError, match=r"^A\[1\]\[0\]: expected a number, got object <object object at "):
        to_rational(object(), "A[1][0]")


def test_long_repr_is_shortened():
    with pytest.raises(NumberError) as info:
        to_rational(list(range(100)), "w")
    message = str(info.value)
    assert message.startswith("w: expected a number, got list [0, 1, 2,")
    assert message.endswith("...")
    assert len(message) < 120


def test_no_place_gives_no_prefix():
    with pytest.raises(NumberError, match=r"^expected a number, got NoneType None$"):
        to_rational(None)


@pytest.mark.parametrize("text", ["", "   ", "abc", "1,5", "0x10", "1.2.3", "--1", "one"])
def test_non_numeric_strings_rejected(text):
    with pytest.raises(NumberError, match=rf"^input: expected a number, got {text!r}$"):
        to_rational(text, "input")


@pytest.mark.parametrize("text", ["1/0", " 3 / 0 ", "-1/0", "0/0"])
def test_zero_denominator_rejected(text):
    with pytest.raises(NumberError, match=rf"^w\[1\]: zero denominator in {text!r}$"):
        to_rational(text, "w[1]")


@pytest.mark.parametrize("text", ["1/2/3", "a/b", "1.5/2", "1/2.5", "/2", "1/", "1e3/2", "nan/1"])
def test_malformed_fraction_strings_rejected(text):
    with pytest.raises(NumberError, match=rf"^w: expected a rational 'p/q', got {text!r}$"):
        to_rational(text, "w")


def test_long_string_is_shortened_in_the_message():
    text = "x" * 100
    with pytest.raises(NumberError, match=r"^w: expected a number, got 'x{57}\.\.\.'$"):
        to_rational(text, "w")


@pytest.mark.parametrize("value", ["1e100000", "-1e100000", "1e-100000", Decimal("1e100000"),
                                   f"1e{MAX_EXPONENT + 1}", Decimal(f"1e-{MAX_EXPONENT + 1}")])
def test_absurd_exponent_rejected(value):
    with pytest.raises(NumberError, match=r"^layers\[0\]: bias\[0\]: number .* has an absurd exponent$"):
        to_rational(value, "layers[0]: bias[0]")


def test_exponent_at_the_limit_accepted():
    assert to_rational(f"1e{MAX_EXPONENT}") == F(10**MAX_EXPONENT)
    assert to_rational(f"1e-{MAX_EXPONENT}") == F(1, 10**MAX_EXPONENT)


def test_number_error_is_an_input_error_and_value_error():
    assert issubclass(NumberError, InputError)
    assert issubclass(NumberError, ValueError)
    assert issubclass(NumberError, PolyregionsError)
    with pytest.raises(ValueError):
        to_rational("nan")


# ---------------------------------------------------------------- to_rationals

def test_to_rationals():
    assert to_rationals([1, "1/2", "0.25", Decimal("2"), 0.5]) == (F(1), F(1, 2), F(1, 4), F(2), F(1, 2))
    assert to_rationals(()) == ()
    assert to_rationals(iter([3])) == (F(3),)


def test_to_rationals_names_the_index():
    with pytest.raises(NumberError, match=r"^b\[2\]: expected a number, got NoneType None$"):
        to_rationals([1, 2, None], "b")


@pytest.mark.parametrize("value, kind", [("12", "str"), (b"12", "bytes"), (5, "int"), (None, "NoneType")])
def test_to_rationals_needs_a_list(value, kind):
    with pytest.raises(NumberError, match=rf"^b: expected a list of numbers, got {kind}$"):
        to_rationals(value, "b")


# ---------------------------------------------------------------- format_rational

@pytest.mark.parametrize("value, text", [
    (F(0), "0"),
    (F(4), "4"),
    (F(-4), "-4"),
    (F(1, 2), "1/2"),
    (F(-1, 2), "-1/2"),
    (F(6, 4), "3/2"),
    (F(10**30, 7), "1000000000000000000000000000000/7"),
])
def test_format_rational(value, text):
    assert format_rational(value) == text


def test_format_rational_accepts_ints():
    assert format_rational(5) == "5"  # ints have numerator and denominator too
    assert format_rational(-12) == "-12"


# ---------------------------------------------------------------- primitive_row

@pytest.mark.parametrize("row, expected", [
    ([F(1, 2), F(-3, 4), F(0)], (2, -3, 0)),
    ([F(0), F(0)], (0, 0)),
    ([], ()),
    ([6, 9], (2, 3)),
    ([-2, -4], (-1, -2)),
    ([F(2, 3), F(4, 9)], (3, 2)),
    ([F(-5)], (-1,)),
    ([F(0), F(7, 3)], (0, 1)),
    ([1, 1, 1], (1, 1, 1)),
    ([F(1, 6), F(1, 10), F(1, 15)], (5, 3, 2)),
])
def test_primitive_row(row, expected):
    result = primitive_row(row)
    assert result == expected
    assert all(type(v) is int for v in result)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.fractions(max_denominator=10**6), min_size=1, max_size=6),
       st.fractions(min_value=F(1, 1000), max_value=1000))
def test_primitive_row_is_invariant_under_positive_scaling(row, factor):
    result = primitive_row(row)
    assert primitive_row([v * factor for v in row]) == result
    nonzero = [v for v in result if v]
    if nonzero:
        assert gcd(*result) == 1
        # same direction: result is a positive multiple of row
        ratio = F(nonzero[0]) / next(v for v in row if v)
        assert ratio > 0
        assert all(F(r) == ratio * v for r, v in zip(result, row))
    else:
        assert all(v == 0 for v in row)


# ---------------------------------------------------------------- properties

@settings(max_examples=300, deadline=None)
@given(st.fractions())
def test_format_then_parse_is_identity(f):
    assert to_rational(format_rational(f)) == f


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_exact(x):
    assert to_rational(x) == F(x)
    assert float(to_rational(x)) == x


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None))
def test_decimal_text_is_exact(d):
    if abs(d.as_tuple().exponent) > MAX_EXPONENT:
        return
    assert to_rational(str(d)) == F(d)
    assert to_rational(d) == F(d)


# ---------------------------------------------------------------- decimals beside exact numbers (issue 22)

def rounded_reference(q: F, digits: int) -> tuple[int, int, int, bool]:
    """(sign, m, e, exact) with q rounded half to even to *digits* significant digits equal to
    sign * m * 10**(e - digits + 1), 10**(digits - 1) <= m < 10**digits: integer arithmetic only,
    independent of the decimal module that approximate uses."""
    a = abs(q)
    e = int((a.numerator.bit_length() - a.denominator.bit_length()) * 0.30103)  # a first guess, then exact steps
    while F(10) ** e > a:
        e -= 1
    while F(10) ** (e + 1) <= a:
        e += 1
    scaled = a * F(10) ** (digits - 1 - e)
    m, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and m % 2):
        m += 1
    if m == 10 ** digits:
        m, e = m // 10, e + 1
    return (-1 if q < 0 else 1), m, e, rest == 0


def check_approximation(q: F, digits: int) -> str:
    text = approximate(q, digits)
    if q == 0:
        assert text == "0"
        return text
    sign, m, e, exact = rounded_reference(q, digits)
    assert Decimal(text) == Decimal(sign * m).scaleb(e - digits + 1), (q, digits, text)
    assert text.startswith("-") == (q < 0)
    number = text.lstrip("-").split("e")[0]
    mantissa = number.replace(".", "").lstrip("0")
    if exact:   # no trailing zeros after a decimal point
        assert mantissa.rstrip("0") == str(m).rstrip("0") and not ("." in number and number.endswith("0")), text
    else:       # rounded: every digit shown, trailing zeros too
        assert mantissa == str(m), (q, text)
    assert ("e" in text) == (not -4 <= e < digits), (q, text)
    return text


@pytest.mark.parametrize("value, digits, expected", [
    (F(1, 3), 6, "0.333333"),
    (F(-2, 3), 6, "-0.666667"),
    (F(2, 3), 1, "0.7"),
    (F(1, 4), 6, "0.25"),                                   # exact: no trailing zeros
    (F(-1099511627775, 1099511627776), 6, "-1.00000"),       # rounded: the zeros say so
    (F(2282187423322957176360226194844421, 99705663730982138415188585480192), 6, "22.8892"),
    (F(10 ** 200, 3), 6, "3.33333e+199"),
    (F(1, 3 * 10 ** 50), 6, "3.33333e-51"),
    (F(-1, 7 * 10 ** 400), 6, "-1.42857e-401"),               # below a double's range
    (F(19999995, 20), 6, "1.00000e+06"),                     # 999999.75 carries into the exponent
    (F(1999999, 2), 6, "1.00000e+06"),                       # 999999.5: a tie, to the even 1000000
    (F(1999997, 2), 6, "999998"),                            # 999998.5: a tie, to the even 999998
    (F(5, 2), 1, "2"), (F(7, 2), 1, "4"), (F(-5, 2), 1, "-2"),
    (F(1, 10000), 6, "0.0001"), (F(1, 20000), 6, "5e-05"), (F(12345, 100000000), 3, "0.000123"),
    (F(123456), 6, "123456"), (F(1234567), 6, "1.23457e+06"), (F(10 ** 20 + 1), 6, "1.00000e+20"),
    (F(10 ** 20), 6, "1e+20"), (F(-120), 6, "-120"), (F(0), 6, "0"),
    (F(1, 10 ** 10), 6, "1e-10"), (F(15, 100), 1, "0.2"), (F(25, 100), 1, "0.2"),
])
def test_approximate(value, digits, expected):
    assert approximate(value, digits) == expected
    check_approximation(value, digits)


def test_approximate_takes_numbers_longer_than_the_input_limits():
    """Computed values may be longer than any input may be (10,000 digits) or than int/str converts."""
    q = F(10 ** 5000 + 7, 3 * 10 ** 4990)
    assert check_approximation(q, 6) == "3.33333e+09"
    assert approximate(-q) == "-3.33333e+09" and to_float(q) == pytest.approx(3.33333333e9)
    assert is_short(10 ** 5000) and not is_short(q)


def test_approximate_of_other_numbers_goes_through_to_rational():
    assert approximate("1/3") == "0.333333" and approximate(0.5) == "0.5" and approximate(Decimal("0.1")) == "0.1"
    with pytest.raises(NumberError, match=r"^expected a number, got 'x'$"):
        approximate("x")


@pytest.mark.parametrize("digits", [0, -1, True, 2.0, "6"])
def test_approximate_refuses_bad_digits(digits):
    with pytest.raises(NumberError, match=r"^digits: expected a positive integer, got "):
        approximate(F(1, 3), digits)


@settings(max_examples=400, deadline=None)
@given(st.integers(-10 ** 40, 10 ** 40), st.integers(1, 10 ** 40), st.integers(1, 12))
def test_approximate_is_the_exact_rounding(n, d, digits):
    check_approximation(F(n, d), digits)


def test_short_values_get_no_decimal():
    assert [is_short(v) for v in (F(3), F(-10 ** 40), F(1, 3), F(-7, 16), F(17, 280), F(1641, 16))] == \
        [True, True, True, True, False, False]
    assert with_approximation(F(1641, 16)) == "1641/16 (~102.562)"
    assert with_approximation(F(-7, 16)) == "-7/16" and with_approximation(F(10 ** 30)) == str(10 ** 30)
    assert with_approximation(F(2, 3), digits=3) == "2/3"
    assert with_approximation(F(2000, 3), digits=3) == "2000/3 (~667)"


def test_approximate_point():
    assert approximate_point([F(1, 2), -3, F(1, 3)]) is None
    assert approximate_point([F(17, 280), -1, F(1, 2)]) == "(0.0607143, -1, 0.5)"
    assert approximate_point([]) is None
    assert approximate_point([F(-1099511627775, 1099511627776)]) == "(-1.00000)"


def test_to_float_is_the_nearest_double():
    for q in (F(1, 3), F(-2, 3), F(2282187423322957176360226194844421, 99705663730982138415188585480192),
              F(1, 10 ** 400), F(-5, 28), F(10 ** 300, 7)):
        assert to_float(q) == float(q)     # Fraction's float is correctly rounded
    assert to_float(F(1, 3)) == 0.3333333333333333 and to_float(F(1, 10 ** 400)) == 0.0
    assert to_float(10 ** 400) is None and to_float(F(-10 ** 400, 3)) is None
    assert to_floats(None) is None and to_floats([F(1, 2), 10 ** 400]) == [0.5, None]
