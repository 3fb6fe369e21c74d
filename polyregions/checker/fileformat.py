"""Reading numbers, JSON and model files: one reader for the engine and the checker.

``polyregions count`` (through :mod:`polyregions.rationals` and
:mod:`polyregions.core.network`) and the standalone checker (:mod:`polyregions.checker`)
both read their input through this module, so they accept and reject exactly the
same numbers and model files. Like the checker, it uses only Python's standard
library (``json``, ``re``, ``decimal``, ``fractions``) and can be copied out of the
package beside it.

Numbers. An integer, a ``"p/q"`` string (signed integers, ASCII digits, blanks
around the parts allowed: ``" 3 / -4 "``) or a decimal (a JSON decimal or a string
such as ``"0.1"``, ``"-2.5E2"``), each read as the exact rational it spells. NaN,
infinities, booleans and anything else are refused.

Limits (checked on the text, before any conversion, so that a short text cannot
make a huge number): at most :data:`MAX_DIGITS` digits in an integer, in each part
of ``"p/q"`` and in a decimal's digits, and in the numerator and the denominator of
the value; a decimal exponent (after moving the point) of at most
:data:`MAX_EXPONENT` either way; files of at most :data:`MAX_MODEL_BYTES` bytes;
JSON nested at most as deep as Python's recursion limit allows.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction

__all__ = ["FormatError", "read_number", "loads", "read_file", "unreadable", "read_model", "read_affine",
           "json_type", "FORMAT", "MAX_DIGITS", "MAX_EXPONENT", "MAX_MODEL_BYTES", "MAX_INPUT_DIM",
           "MAX_WIDTH", "MAX_PARAMETERS", "MAX_LAYERS", "MAX_RANK"]

FORMAT = "polyregions-network/1"

#: Most digits of an integer, of each part of "p/q", of a decimal's digits, and of
#: the numerator and the denominator of any number read from a model or domain.
MAX_DIGITS = 10_000
#: Largest decimal exponent accepted in a number ("1e400" is fine, "1e100000" is absurd).
MAX_EXPONENT = 4000
#: Largest model or domain file read (a larger file, or a device without end, is refused).
MAX_MODEL_BYTES = 1 << 30

#: Limits beyond which a network is taken to be a mistake rather than a request.
MAX_INPUT_DIM = 1_000
MAX_WIDTH = 100_000
MAX_PARAMETERS = 10_000_000
MAX_LAYERS = 5_000
MAX_RANK = 256

_BLANKS = " \t\n\r\f\v"
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_NON_FINITE = re.compile(r"[+-]?(?:inf|infinity|s?nan[0-9]*)", re.IGNORECASE)
_CHUNK = 1000  # digits converted by int() at once: far below Python's 4,300-digit limit
_POWERS: dict[int, int] = {}


class FormatError(ValueError):
    """Input that is not a number, a JSON text or a model file of the expected form."""


class UnreadableFile(FormatError):
    """A file that cannot be opened or read at all (missing, a directory, no permission),
    as opposed to one whose content is wrong."""


def _where(place: str) -> str:
    return f"{place}: " if place else ""


def _shown(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _brief(value) -> str:
    """A repr of at most 60 characters (also of ints past Python's int/str digit limit)."""
    try:
        return _shown(repr(value))
    except (ValueError, RecursionError):  # an int past the limit, or a deeply nested list
        return _shown(_int_text(value)) if isinstance(value, int) else f"<{type(value).__name__}>"


def json_type(value) -> str:
    """The JSON name of a parsed value's type (``number`` for ints and Decimals)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _power(digits: int) -> int:
    found = _POWERS.get(digits)
    if found is None:
        found = _POWERS[digits] = 10 ** digits
    return found


def int_from_digits(text: str) -> int:
    """``int(text)`` for ``[+-]?[0-9]+``, at any length and in subquadratic time.

    Python refuses ``int()`` of more than 4,300 digits by default and converts in
    quadratic time; halving the digits until the pieces are short does neither.
    """
    sign = -1 if text[:1] == "-" else 1
    digits = text.lstrip("+-")
    if len(digits) <= _CHUNK:
        return sign * int(digits)
    pieces = [int(digits[i:i + _CHUNK]) for i in range(0, len(digits), _CHUNK)]
    widths = [_CHUNK] * (len(pieces) - 1) + [len(digits) - _CHUNK * (len(pieces) - 1)]
    while len(pieces) > 1:  # join neighbours: value = left * 10^width(right) + right
        joined, joined_widths = [], []
        for i in range(0, len(pieces) - 1, 2):
            joined.append(pieces[i] * _power(widths[i + 1]) + pieces[i + 1])
            joined_widths.append(widths[i] + widths[i + 1])
        if len(pieces) % 2:
            joined.append(pieces[-1])
            joined_widths.append(widths[-1])
        pieces, widths = joined, joined_widths
    return sign * pieces[0]


def _too_long(value: int, max_digits: int) -> bool:
    return value >= _power(max_digits) or -value >= _power(max_digits)


def _long_number(place: str, max_digits: int) -> FormatError:
    return FormatError(f"{_where(place)}number too long: more than {max_digits:,} digits")


def read_number(value, place: str = "", max_digits: int = MAX_DIGITS) -> Fraction:
    """The exact rational that *value* spells; :class:`FormatError` otherwise.

    *value* is an int, a Fraction, a float (its exact binary value), a Decimal (how
    JSON decimals are read) or a string; *place* names it in the message.

    Examples
    --------
    >>> read_number(" 3 / -4 "), read_number("0.1"), read_number(7)
    (Fraction(-3, 4), Fraction(1, 10), Fraction(7, 1))
    """
    if isinstance(value, bool):
        raise FormatError(f"{_where(place)}expected a number, got boolean {value!r}")
    if isinstance(value, Fraction):
        if _too_long(value.numerator, max_digits) or value.denominator >= _power(max_digits):
            raise _long_number(place, max_digits)
        return value
    if isinstance(value, int):
        if _too_long(value, max_digits):
            raise _long_number(place, max_digits)
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise FormatError(f"{_where(place)}expected a finite number, got {value!r}")
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise FormatError(f"{_where(place)}expected a finite number, got {value}")
        sign, digits, exponent = value.as_tuple()
        return _decimal("-" if sign else "", "".join(map(str, digits)), int(exponent), value,
                        place, max_digits)
    if isinstance(value, str):
        return _from_string(value, place, max_digits)
    raise FormatError(f"{_where(place)}expected a number, got {type(value).__name__} "
                      f"{_brief(value)}")


def _decimal(sign: str, digits: str, exponent: int, shown, place: str, max_digits: int) -> Fraction:
    """sign digits * 10^exponent, after the limits on the digits and the exponent."""
    if len(digits) > max_digits:
        raise _long_number(place, max_digits)
    if abs(exponent) > MAX_EXPONENT:
        raise FormatError(f"{_where(place)}number {shown} has an absurd exponent")
    mantissa = int_from_digits(sign + (digits or "0"))
    if exponent >= 0:
        value = Fraction(mantissa * _power(exponent))
    else:
        value = Fraction(mantissa, _power(-exponent))
    if _too_long(value.numerator, max_digits) or value.denominator >= _power(max_digits):
        raise _long_number(place, max_digits)
    return value


def _from_string(text: str, place: str, max_digits: int) -> Fraction:
    stripped = text.strip(_BLANKS)
    if "/" in stripped:
        num, _, den = stripped.partition("/")
        num, den = num.strip(_BLANKS), den.strip(_BLANKS)
        if not (_INTEGER.fullmatch(num) and _INTEGER.fullmatch(den)):
            raise FormatError(f"{_where(place)}expected a rational 'p/q', got {_shown(text)!r}")
        if len(num.lstrip("+-")) > max_digits or len(den.lstrip("+-")) > max_digits:
            raise _long_number(place, max_digits)
        p, q = int_from_digits(num), int_from_digits(den)
        if q == 0:
            raise FormatError(f"{_where(place)}zero denominator in {_shown(text)!r}")
        value = Fraction(p, q)
        if _too_long(value.numerator, max_digits) or value.denominator >= _power(max_digits):
            raise _long_number(place, max_digits)
        return value
    match = _DECIMAL.fullmatch(stripped)
    if match is None or not (match.group(2) or match.group(3)):
        if _NON_FINITE.fullmatch(stripped):
            raise FormatError(f"{_where(place)}expected a finite number, got {_shown(text)!r}")
        raise FormatError(f"{_where(place)}expected a number, got {_shown(text)!r}")
    sign, whole, fraction, exponent = match.groups()
    fraction = fraction or ""
    digits = (whole + fraction).lstrip("0")
    if len(whole) + len(fraction) > max_digits:
        raise _long_number(place, max_digits)
    if exponent is not None and len(exponent.lstrip("+-").lstrip("0")) > 9:
        raise FormatError(f"{_where(place)}number {_shown(stripped)} has an absurd exponent")
    shift = (int(exponent) if exponent is not None else 0) - len(fraction)
    shown = Decimal(stripped) if abs(shift) > MAX_EXPONENT else stripped
    return _decimal(sign if sign == "-" else "", digits, shift, shown, place, max_digits)


def loads(text: str, source: str = "input", max_digits: int = MAX_DIGITS):
    """Parse JSON text with exact numbers.

    Integers become ints; decimals, ``NaN`` and ``Infinity`` become Decimals (the
    non-finite ones are refused by :func:`read_number`, which names their place).
    An integer literal longer than *max_digits* stays a Decimal, which
    :func:`read_number` refuses as too long without converting it.

    Raises
    ------
    FormatError
        For malformed JSON (naming *source*, the line and the column), for a key
        repeated in one object (JSON leaves its meaning open), and for JSON nested
        deeper than Python's recursion limit.
    """
    def integer(literal: str):
        if len(literal) > max_digits + 1:
            return Decimal(literal)
        return int_from_digits(literal)

    def unique(pairs: list) -> dict:
        obj = dict(pairs)
        if len(obj) < len(pairs):  # {"input_dim": 2, "input_dim": 3}: which one is meant?
            seen = set()
            for key, _ in pairs:
                if key in seen:
                    raise FormatError(f"{source}: the key {_shown(repr(key))} appears twice in one JSON object")
                seen.add(key)
        return obj

    try:
        return json.loads(text, parse_float=Decimal, parse_int=integer, parse_constant=Decimal,
                          object_pairs_hook=unique)
    except json.JSONDecodeError as exc:
        # some of json's messages end in "at" ("Unterminated string starting at"): the place follows once
        what = exc.msg[:-3] if exc.msg.endswith(" at") else exc.msg
        raise FormatError(f"{source}: malformed JSON: {what} at line {exc.lineno} "
                          f"column {exc.colno}") from None
    except RecursionError:
        raise FormatError(f"{source}: JSON nested too deeply") from None


def unreadable(path, what: str, exc: OSError) -> str:
    """Why the file *path* (a *what*, such as "model file") cannot be opened or read:
    missing, a directory, or the system's reason."""
    if isinstance(exc, FileNotFoundError):
        return f"{path}: no such {what}"
    if isinstance(exc, IsADirectoryError):
        return f"{path}: is a directory, expected a {what}"
    return f"{path}: cannot read: {exc.strerror}"


def read_file(path, what: str = "file", limit: int = MAX_MODEL_BYTES) -> str:
    """The UTF-8 text of *path*, read in pieces: at most *limit* bytes and no NUL byte.

    A device such as ``/dev/zero`` or a pipe without end is refused at the first
    NUL byte or past *limit* bytes instead of filling memory.
    """
    pieces, size = [], 0
    try:
        # unbuffered: each piece is one read(), and Python acts on a Ctrl-C between two
        # (a buffered read of a pipe loops inside C and would sleep through it)
        with open(path, "rb", buffering=0) as handle:
            while True:
                piece = handle.read(1 << 20)
                if not piece:
                    break
                nul = piece.find(b"\0")
                if nul >= 0:
                    raise FormatError(f"{path}: not a text file (a NUL byte at offset {size + nul:,})")
                size += len(piece)
                if size > limit:
                    raise FormatError(f"{path}: larger than {limit:,} bytes, the limit for a {what}")
                pieces.append(piece)
    except OSError as exc:
        raise UnreadableFile(unreadable(path, what, exc)) from None
    try:
        return b"".join(pieces).decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not UTF-8 text") from None


# --------------------------------------------------------------------------- model files

LAYER_FIELDS = {
    "affine": {"weight", "bias"},
    "relu": set(),
    "leaky_relu": {"slope"},
    "abs": set(),
    "hardtanh": {"min", "max"},
    "maxout": {"rank"},
    "identity": set(),
}


def _is_list(value) -> bool:
    return isinstance(value, (list, tuple))


def read_model(obj, number=read_number):
    """Validate a parsed ``polyregions-network/1`` object; return ``(input_dim, layers)``.

    Layers are tuples: ``("affine", weight, bias)`` (tuples of Fractions, weight out x
    in), ``("relu",)``, ``("leaky_relu", slope)``, ``("abs",)``, ``("hardtanh", min,
    max)``, ``("maxout", rank)`` and ``("identity",)``. Every number goes through
    *number* ``(value, place) -> Fraction`` (default :func:`read_number`).

    Raises
    ------
    FormatError
        Naming the layer and the field at fault (errors of *number* pass through).
    """
    if not isinstance(obj, dict):
        raise FormatError(f"expected a JSON object, got {json_type(obj)}")
    if "format" not in obj:
        tensors = [key for key in obj if isinstance(key, str) and key.rsplit(".", 1)[-1] in ("weight", "bias")]
        if tensors:
            shown = ", ".join(repr(key) for key in tensors[:3]) + (", ..." if len(tensors) > 3 else "")
            raise FormatError(f"this looks like a PyTorch state dict (keys {shown}), not a {FORMAT} object; "
                              "build the network from the tensors with Network.mlp(weights, biases, "
                              "activation=...) (README: 'Models from PyTorch and NumPy')")
        raise FormatError(f"format: missing; expected a {FORMAT} object with keys 'format' "
                          f"({FORMAT!r}), 'input_dim' and 'layers'")
    fmt = obj.get("format")
    if fmt != FORMAT:
        raise FormatError(f"format: expected {FORMAT!r}, got {fmt!r}")
    unknown = set(obj) - {"format", "input_dim", "layers", "name", "description"}
    if unknown:
        raise FormatError(f"unknown top-level key(s): {', '.join(sorted(map(str, unknown)))}")
    if "input_dim" not in obj:
        raise FormatError("missing 'input_dim'")
    input_dim = obj["input_dim"]
    if isinstance(input_dim, bool) or not isinstance(input_dim, int):
        raise FormatError(f"input_dim: expected an integer, got {json_type(input_dim)} "
                          f"{_brief(input_dim)}")
    raw_layers = obj.get("layers")
    if not isinstance(raw_layers, list):
        raise FormatError(f"layers: expected a list, got {json_type(raw_layers)}")
    if len(raw_layers) > MAX_LAYERS:
        raise FormatError(f"layers: {len(raw_layers)} layers, more than the limit of {MAX_LAYERS:,}")
    layers = [read_layer(raw, i, number) for i, raw in enumerate(raw_layers)]
    _check_shapes(input_dim, layers)
    return input_dim, layers


def read_layer(raw, index: int, number):
    place = f"layers[{index}]"
    if not isinstance(raw, dict):
        raise FormatError(f"{place}: expected an object, got {json_type(raw)}")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in LAYER_FIELDS:
        known = ", ".join(sorted(LAYER_FIELDS))
        raise FormatError(f"{place}: unknown layer type {_brief(kind)} (known: {known})")
    extra = set(raw) - {"type"} - LAYER_FIELDS[kind]
    if extra:
        raise FormatError(f"{place} ({kind}): unknown field(s) {', '.join(sorted(map(str, extra)))}")
    if kind == "affine":
        if "weight" not in raw:
            raise FormatError(f"{place} (affine): missing 'weight'")
        return _affine(raw["weight"], raw.get("bias"), f"{place} (affine)", number)
    missing = LAYER_FIELDS[kind] - set(raw) - ({"slope"} if kind == "leaky_relu" else set())
    if missing:
        raise FormatError(f"{place} ({kind}): missing {', '.join(sorted(missing))}")
    if kind == "leaky_relu":
        return ("leaky_relu", number(raw.get("slope", "1/100"), f"{place} (leaky_relu): slope"))
    if kind == "hardtanh":
        return ("hardtanh", number(raw["min"], f"{place} (hardtanh): min"),
                number(raw["max"], f"{place} (hardtanh): max"))
    if kind == "maxout":
        rank = raw["rank"]
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            raise FormatError(f"{place} (maxout): rank must be a positive integer, got "
                              f"{_brief(rank)}")
        return ("maxout", rank)
    return (kind,)


def _affine(weight, bias, place: str, number):
    return ("affine", *read_affine(weight, bias, place, number))


def read_affine(weight, bias, place: str, number=read_number, is_list=_is_list, error=FormatError,
                as_list=None):
    """``(weight rows, bias)`` as tuples of the numbers *number* reads (bias None: zeros).

    The one check of an affine layer's shape, for model files and for
    :meth:`polyregions.core.layers.Affine.from_lists`, which passes its own *is_list*
    (any sequence but text), *error* class and *as_list* (applied to the weight, each row
    and the bias first: arrays to lists).
    """
    if as_list is not None:
        weight = as_list(weight)
    if not is_list(weight) or not weight:
        text = repr(weight)
        shown = f"{type(weight).__name__} {text if len(text) <= 40 else text[:37] + '...'}"
        raise error(f"{place}: weight must be a non-empty list of rows, got {shown}")
    rows = []
    for i, row in enumerate(weight):
        if as_list is not None:
            row = as_list(row)
        if not is_list(row) or not row:
            raise error(f"{place}: weight[{i}] must be a non-empty list of numbers")
        rows.append(tuple(number(v, f"{place}: weight[{i}][{j}]") for j, v in enumerate(row)))
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise error(f"{place}: weight row {i} has {len(row)} entries, row 0 has {width}")
    if bias is None:
        return tuple(rows), tuple(Fraction(0) for _ in rows)
    if as_list is not None:
        bias = as_list(bias)
    if not is_list(bias):
        raise error(f"{place}: bias must be a list of numbers")
    b = tuple(number(v, f"{place}: bias[{i}]") for i, v in enumerate(bias))
    if len(b) != len(rows):
        raise error(f"{place}: bias has {len(b)} entries, weight has {len(rows)} rows")
    return tuple(rows), b


def _int_text(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        return str(Decimal(value))


def _text(q: Fraction) -> str:
    if q.denominator == 1:
        return _int_text(q.numerator)
    return f"{_int_text(q.numerator)}/{_int_text(q.denominator)}"


def _check_shapes(input_dim: int, layers) -> None:
    """The checks of ``Network.from_layers``, with the same messages."""
    if not 1 <= input_dim <= MAX_INPUT_DIM:
        raise FormatError(f"input_dim must be between 1 and {MAX_INPUT_DIM}, got {_brief(input_dim)}")
    width, parameters = input_dim, 0
    for index, layer in enumerate(layers):
        place = f"layers[{index}]"
        kind = layer[0]
        if kind == "affine":
            _, w, b = layer
            if len(w[0]) != width:
                raise FormatError(f"{place}: weight has {len(w[0])} columns, expected {width}")
            width = len(w)
            parameters += len(w) * (len(w[0]) + 1)
        elif kind == "maxout":
            if layer[1] > MAX_RANK:
                raise FormatError(f"{place}: maxout rank {layer[1]} exceeds the limit {MAX_RANK}")
            if width % layer[1]:
                raise FormatError(f"{place}: maxout rank {layer[1]} does not divide the width {width}")
            width //= layer[1]
        elif kind == "hardtanh":
            if not layer[1] < layer[2]:
                raise FormatError(f"{place}: hardtanh needs min < max, got min={_text(layer[1])} "
                                  f"max={_text(layer[2])}")
        if width > MAX_WIDTH:
            raise FormatError(f"{place}: width {width} exceeds the limit {MAX_WIDTH}")
        if parameters > MAX_PARAMETERS:
            raise FormatError(f"{place}: more than {MAX_PARAMETERS} parameters")
