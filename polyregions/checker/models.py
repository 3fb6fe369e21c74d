"""The model as the checker sees it: read by the package's one model reader
(:func:`.fileformat.read_model`), its digest (:func:`model_digest`, which certificates
and checkpoints name), its architecture in one line (:func:`describe_model`), and the
integer arithmetic of affine layers that the tree walks with.

The current vector is ``(rows, den)``: row ``i`` is the affine function ``(c . x + c0) /
den`` of the input, stored as the integers ``[c_1, ..., c_n, c0]``, with ``den > 0``.
"""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from math import gcd as _gcd

from .common import CheckFailure, _lcm, _text
from .fileformat import FormatError, read_model


def _read_model(model):
    """Layers as tuples: ('affine', W, b), ('relu',), ('leaky_relu', s), ('abs',),
    ('hardtanh', lo, hi), ('maxout', k), ('identity',); read by the package's one
    model reader (:func:`fileformat.read_model`), so a model the checker accepts is
    one ``polyregions count`` accepts, and the other way round."""
    try:
        return read_model(model)
    except FormatError as exc:
        raise CheckFailure(f"model: {exc}") from None


def model_digest(model) -> str:
    """sha256 of the model's canonical text: exact numbers as "p/q" strings, sorted keys."""
    dim, layers = _read_model(model)
    fields = {"affine": ("weight", "bias"), "leaky_relu": ("slope",), "hardtanh": ("min", "max"),
              "maxout": ("rank",)}
    canon = []
    for layer in layers:
        entry = {"type": layer[0]}
        for name, value in zip(fields.get(layer[0], ()), layer[1:]):
            if name == "weight":
                entry[name] = [[_text(v) for v in row] for row in value]
            elif name == "bias":
                entry[name] = [_text(v) for v in value]
            else:
                entry[name] = _text(Fraction(value))
        canon.append(entry)
    text = json.dumps({"input_dim": dim, "layers": canon}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def describe_model(model):
    """The architecture of a model: ``2 -> 8 -> 8 -> 1, relu`` (the input dimension, the width
    after each affine layer, and the activation types in order of appearance)."""
    dim, layers = _read_model(model)
    widths, kinds = [dim], []
    for layer in layers:
        if layer[0] == "affine":
            widths.append(len(layer[1]))
        elif layer[0] not in kinds:
            kinds.append(layer[0])
    return f"{' -> '.join(map(str, widths))}, {', '.join(kinds) or 'affine'}"


def _integer_affine(layer):
    """('affine', W, b) as integers over one positive denominator: (W', b', scale)."""
    _, w, b = layer
    scale = _lcm(v.denominator for v in [*b, *(x for r in w for x in r)])
    return [[int(v * scale) for v in row] for row in w], [int(v * scale) for v in b], scale


def _affine(layer, vec):
    """Compose y = W v + b with the current vector; layer is (W', b', scale) from _integer_affine."""
    w, b, scale = layer
    rows, den = vec
    width = len(rows[0])
    live = [(j, row) for j, row in enumerate(rows) if any(row)]
    out = []
    for wrow, bias in zip(w, b):
        acc = [0] * width
        for j, row in live:
            f = wrow[j]
            if f:
                acc = [a + f * r for a, r in zip(acc, row)]
        acc[-1] += bias * den
        out.append(acc)
    return _reduce(out, den * scale)


def _reduce(rows, den):
    g = den
    for row in rows:
        for v in row:
            g = _gcd(g, v)
    return ([[v // g for v in row] for row in rows], den // g) if g > 1 else (rows, den)
