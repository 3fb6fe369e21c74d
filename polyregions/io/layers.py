"""Building exact networks from the layers of other formats (ONNX, PyTorch).

The importers translate each operator into the layers of :mod:`polyregions.core.network`
and leave two kinds of affine pieces to be merged: a bias added after a matrix
product (ONNX ``MatMul`` + ``Add``) and a batch normalisation in inference form.
Both are :class:`Fold` markers here; :func:`finalize` merges each into the affine
layer before it, or else into the one after it, exactly (rational arithmetic), so
``Linear -> BatchNorm1d -> ReLU`` becomes one affine layer and a ReLU.

Batch normalisation divides by ``sqrt(running_var + eps)``, which is rational only
when ``running_var + eps`` is the square of a rational. Otherwise no network with
rational weights equals the model: :func:`batchnorm_affine` refuses, naming the
channel, unless the caller asked for rounded weights (``--rationalize D``); then
the square root is taken to 256 bits before every weight is snapped to a
denominator of at most ``D`` (:func:`rationalize_network`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import isqrt
from typing import Any, Sequence

from ..errors import InputError, NetworkError
from ..core.layers import Affine, HardTanh, LeakyReLU, Layer
from ..core.network import Network
from ..rationals import format_rational, to_rational

__all__ = ["Fold", "compose", "finalize", "batchnorm_affine", "rational_sqrt", "rationalize_network",
           "check_input_dim", "SQRT_BITS"]

#: Bits of an irrational square root kept before rounding (only with ``--rationalize``).
SQRT_BITS = 256


@dataclass(frozen=True, slots=True)
class Fold:
    """An affine piece to merge into a neighbouring affine layer (bias add, batch norm)."""

    affine: Affine
    what: str


def compose(first: Affine, second: Affine) -> Affine:
    """``second(first(x))`` as one affine map, exactly.

    Examples
    --------
    >>> a = Affine.from_lists([[1, 2]], [1])
    >>> b = Affine.from_lists([[3], [-1]], [0, "1/2"])
    >>> compose(a, b).weight, compose(a, b).bias
    (((Fraction(3, 1), Fraction(6, 1)), (Fraction(-1, 1), Fraction(-2, 1))), (Fraction(3, 1), Fraction(-1, 2)))
    """
    columns = list(zip(*first.weight))
    # zero terms are skipped: a bias add or batch norm is diagonal, so its products are few
    weight = tuple(tuple(sum((w * c for w, c in zip(row, column) if w and c), Fraction(0)) for column in columns)
                   for row in second.weight)
    bias = tuple(sum((w * c for w, c in zip(row, first.bias) if w and c), Fraction(0)) + b
                 for row, b in zip(second.weight, second.bias))
    return Affine(weight, bias)


def finalize(layers: Sequence[Any]) -> list[Layer]:
    """Merge every :class:`Fold` into the affine layer before it, else the one after it.

    A fold with no affine neighbour stays as an affine layer of its own.

    Examples
    --------
    >>> from polyregions.core.layers import ReLU
    >>> shift = Fold(Affine.from_lists([[1]], [5]), "Add")
    >>> finalize([Affine.from_lists([[2]]), shift, ReLU()])[0].bias
    (Fraction(5, 1),)
    >>> [type(layer).__name__ for layer in finalize([ReLU(), shift, Affine.from_lists([[2]])])]
    ['ReLU', 'Affine']
    """
    out: list[Any] = []
    for layer in layers:
        if isinstance(layer, Fold):
            if out and isinstance(out[-1], Affine):
                out[-1] = compose(out[-1], layer.affine)
            elif out and isinstance(out[-1], Fold):
                out[-1] = Fold(compose(out[-1].affine, layer.affine), layer.what)
            else:
                out.append(layer)
        elif isinstance(layer, Affine) and out and isinstance(out[-1], Fold):
            out[-1] = compose(out[-1].affine, layer)
        else:
            out.append(layer)
    return [layer.affine if isinstance(layer, Fold) else layer for layer in out]


def rational_sqrt(value: Fraction, bits: int | None = None) -> Fraction | None:
    """The square root of a non-negative rational: exact when rational, else None.

    With *bits*, an irrational root is returned rounded down to a multiple of
    ``2**-bits`` instead.

    Examples
    --------
    >>> rational_sqrt(Fraction(9, 4)), rational_sqrt(Fraction(2))
    (Fraction(3, 2), None)
    >>> float(rational_sqrt(Fraction(2), bits=64))
    1.4142135623730951
    """
    p, q = value.numerator, value.denominator
    rp, rq = isqrt(p), isqrt(q)
    if rp * rp == p and rq * rq == q:
        return Fraction(rp, rq)
    if bits is None:
        return None
    return Fraction(isqrt((p << (2 * bits)) // q), 1 << bits)


def batchnorm_affine(mean: Sequence[Any], var: Sequence[Any], gamma: Sequence[Any] | None,
                     beta: Sequence[Any] | None, eps: Any, place: str, approximate: bool = False) -> Fold:
    """``gamma * (x - mean) / sqrt(var + eps) + beta`` per channel, as a diagonal affine fold.

    Every number is taken exactly. A square root that is not rational is refused
    (no exact rational network equals the model) unless *approximate*, when it is
    taken to :data:`SQRT_BITS` bits (the caller then rounds the network).

    Examples
    --------
    >>> fold = batchnorm_affine([1], ["5/4"], [2], [0], "-1/4", "bn")
    >>> fold.affine.weight, fold.affine.bias
    (((Fraction(2, 1),),), (Fraction(-2, 1),))
    >>> batchnorm_affine([0], [2], None, None, 0, "bn")
    Traceback (most recent call last):
    ...
    polyregions.errors.InputError: bn: sqrt(running_var + eps) = sqrt(2) is irrational for channel 0, so no network with rational weights equals this one; pass --rationalize D (rationalize=D) to snap the weights to denominators <= D (a different network, and every output says so)
    """
    n = len(mean)
    if len(var) != n or (gamma is not None and len(gamma) != n) or (beta is not None and len(beta) != n):
        raise NetworkError(f"{place}: batch norm parameters of different lengths")
    epsilon = to_rational(eps, f"{place}: epsilon")
    weight, bias = [], []
    for i in range(n):
        m = to_rational(mean[i], f"{place}: mean[{i}]")
        v = to_rational(var[i], f"{place}: var[{i}]") + epsilon
        g = Fraction(1) if gamma is None else to_rational(gamma[i], f"{place}: scale[{i}]")
        b = Fraction(0) if beta is None else to_rational(beta[i], f"{place}: bias[{i}]")
        if v <= 0:
            raise NetworkError(f"{place}: running_var + eps = {format_rational(v)} is not positive "
                               f"for channel {i}")
        root = rational_sqrt(v, SQRT_BITS if approximate else None)
        if root is None:
            raise InputError(f"{place}: sqrt(running_var + eps) = sqrt({format_rational(v)}) is irrational "
                             f"for channel {i}, so no network with rational weights equals this one; pass "
                             "--rationalize D (rationalize=D) to snap the weights to denominators <= D "
                             "(a different network, and every output says so)")
        scale = g / root
        row = [Fraction(0)] * n
        row[i] = scale
        weight.append(tuple(row))
        bias.append(b - scale * m)
    return Fold(Affine(tuple(weight), tuple(bias)), "batch norm")


def _snap(value: Fraction, limit: int) -> Fraction:
    return value.limit_denominator(limit)


def rationalize_network(network: Network, limit: int) -> Network:
    """Every number of *network* snapped to the nearest rational with denominator <= *limit*.

    Weights, biases, leaky-ReLU slopes and hard-tanh bounds are rounded with
    :meth:`fractions.Fraction.limit_denominator` (exact, no floats). The result is a
    different network; say so wherever it is used.

    Examples
    --------
    >>> net = Network.mlp([[[0.1, -2/3]]], [[1e-9]])
    >>> rationalize_network(net, 100).layers[0].weight, rationalize_network(net, 100).layers[0].bias
    (((Fraction(1, 10), Fraction(-2, 3)),), (Fraction(0, 1),))
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InputError(f"--rationalize: expected a positive integer denominator limit, got {limit!r}")
    layers: list[Layer] = []
    for layer in network.layers:
        if isinstance(layer, Affine):
            layer = Affine(tuple(tuple(_snap(v, limit) for v in row) for row in layer.weight),
                           tuple(_snap(v, limit) for v in layer.bias))
        elif isinstance(layer, LeakyReLU):
            layer = LeakyReLU(_snap(layer.slope, limit))
        elif isinstance(layer, HardTanh):
            layer = HardTanh(_snap(layer.low, limit), _snap(layer.high, limit))
        layers.append(layer)
    return Network.from_layers(network.input_dim, layers)


def check_input_dim(found: int | None, given: int | None, what: str) -> int:
    """The input dimension: the model's own (*found*), which *given* must equal when both are known."""
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, int) or given < 1:
            raise InputError(f"--input-dim: expected a positive integer, got {given!r}")
        if found is not None and found != given:
            raise InputError(f"{what} has {found} inputs, but --input-dim is {given}")
        return given
    if found is None:
        raise InputError(f"{what}: the input size is not recorded in the model; pass --input-dim N "
                         "(input_dim=N)")
    return found
