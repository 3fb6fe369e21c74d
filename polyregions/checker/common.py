"""What every part of the checker shares: :class:`CheckFailure`, the limits on a
certificate's numbers and size, the settings for a large certificate
(:func:`large_certificate`), and the readers of exact numbers, nonnegative integers and
lists that turn a bad item into a :class:`CheckFailure` naming its place.

Limits: numbers of at most :data:`MAX_CERTIFICATE_DIGITS` digits and decimal exponents of
at most 4,000 (as in model files), certificate files of at most
:data:`MAX_CERTIFICATE_BYTES` bytes, JSON nested no deeper than Python's recursion limit;
past them the certificate is INVALID.
"""

from __future__ import annotations

import functools
import gc
import reprlib
import sys
from contextlib import contextmanager
from decimal import Decimal
from math import gcd as _gcd

from .fileformat import FormatError, read_number

#: Most digits of any number in a certificate (multipliers, points, domain rows):
#: past it the check stops with INVALID instead of spending minutes on one number.
MAX_CERTIFICATE_DIGITS = 100_000
#: Largest certificate file read.
MAX_CERTIFICATE_BYTES = 1 << 32

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict = 3, 60, 60, 6, 4


class CheckFailure(Exception):
    """The certificate does not prove what it claims; the message says where."""


@contextmanager
def long_integers():
    """Python's limit on turning integers of more than 4,300 digits into text and back,
    lifted inside (multipliers of networks with long weights exceed it)."""
    digits = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
    if digits is not None:
        sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        if digits is not None:
            sys.set_int_max_str_digits(digits)


@contextmanager
def paused_collector():
    """Python's cycle collector paused inside, restored afterwards.

    Certificates and the search make many containers and no reference cycles; the
    collector would walk every retained list again and again (a quarter of a check's
    time). On the way out the objects made meanwhile join the oldest generation
    (``gc.freeze`` then ``gc.unfreeze``, both constant time), so switching the collector
    back on does not make it walk them all at once as young objects.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


@contextmanager
def large_certificate():
    """Settings for building, reading or walking a large certificate, restored afterwards:
    the cycle collector paused (:func:`paused_collector`) and Python's limit on integers
    of more than 4,300 digits in text lifted (:func:`long_integers`)."""
    with paused_collector(), long_integers():
        yield


def _show(value) -> str:
    """A short repr that never recurses deeply nor renders a huge value."""
    try:
        return _SHORT.repr(value)
    except (RecursionError, ValueError):
        return f"<{type(value).__name__}>"


def _num(value, place):
    if isinstance(value, float):
        raise CheckFailure(f"{place}: not an exact number: {value!r}")
    try:
        return read_number(value, place, MAX_CERTIFICATE_DIGITS)
    except FormatError as exc:
        raise CheckFailure(str(exc)) from None


def _list_of(value, kind, place):
    """Raise unless *value* is a list whose items all have type *kind* (any type when None)."""
    if type(value) is not list or (kind is not None and any(type(v) is not kind for v in value)):
        what = "a list" if kind is None else f"a list of {kind.__name__}"
        raise CheckFailure(f"{place}: expected {what}, got {_show(value)}")


@functools.lru_cache(maxsize=1)
def _too_long():
    """``10 ** MAX_CERTIFICATE_DIGITS``, computed on first use: about 7 ms, which a count
    (it imports this module for the checkpoint's digit limit) should not pay at start-up."""
    return 10 ** MAX_CERTIFICATE_DIGITS


def _integer(value, place):
    """A nonnegative integer of at most MAX_CERTIFICATE_DIGITS digits, else CheckFailure."""
    if type(value) is int and 0 <= value:
        if value < _too_long():
            return value
    elif not (isinstance(value, Decimal) and value.is_finite() and value >= 0
              and len(value.as_tuple().digits) > MAX_CERTIFICATE_DIGITS):
        raise CheckFailure(f"{place} is not a nonnegative integer ({_show(value)})")
    raise CheckFailure(f"{place} is too long: more than {MAX_CERTIFICATE_DIGITS:,} digits")


def _text(q):
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _lcm(values):
    out = 1
    for v in values:
        out = out * v // _gcd(out, v)
    return out


def _primitive(values):
    g = 0
    for v in values:
        g = _gcd(g, v)
    return [v // g for v in values] if g > 1 else list(values)

