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

from ..checker.fileformat import MAX_RANK
from ..errors import InputError, NetworkError
from ..core.layers import Abs, Affine, HardTanh, LeakyReLU, Layer, Maxout, ReLU
from ..core.network import Network
from ..core.sparse import SparseRows, product_rows, terms_of
from ..core.slices import plane_vectors
from ..rationals import format_rational, matrix_vectors, to_rational
from .imagemaps import ImageMap, Window, channel_map, selection_map

__all__ = ["Fold", "compose", "finalize", "restrict", "on_plane", "batchnorm_affine", "rational_sqrt",
           "rationalize_network", "check_input_dim", "max_pool", "batchnorm_layer", "SQRT_BITS"]

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
    if first.is_sparse or second.is_sparse:
        return _compose_sparse(first, second)
    # the columns of *first* as sparse lists: a bias add or batch norm is diagonal, so its products are few
    columns = [[(k, c) for k, c in enumerate(column) if c] for column in zip(*first.weight)]
    shift = [(k, c) for k, c in enumerate(first.bias) if c]
    zero = Fraction(0)
    weight = tuple(tuple(sum((row[k] * c for k, c in column if row[k]), zero) for column in columns)
                   for row in second.weight)
    bias = tuple(sum((row[k] * c for k, c in shift if row[k]), zero) + b
                 for row, b in zip(second.weight, second.bias))
    return Affine(weight, bias)


def _compose_sparse(first: Affine, second: Affine) -> Affine:
    """:func:`compose` keeping the nonzero weights only (either layer sparse)."""
    rows, biases = zip(*product_rows(zip(terms_of(second.weight), second.bias), terms_of(first.weight),
                                     first.bias)) if second.out_dim else ((), ())
    return Affine(SparseRows(first.in_dim, tuple(rows)), tuple(biases))


def finalize(layers: Sequence[Any]) -> list[Layer]:
    """Merge every :class:`Fold` into the affine layer before it, else the one after it.

    A fold with no affine neighbour stays as an affine layer of its own. An
    :class:`~polyregions.io.imagemaps.ImageMap` becomes a dense affine layer (a convolution)
    or a fold (pooling, batch norm, max-pool selections); one after an affine layer is
    applied to that layer's columns, never made dense itself. A selection that only
    reorders the values of an elementwise activation (a max pool whose windows cover
    every unit of a ReLU exactly once) reorders the rows of the affine layer before the
    activation instead: the same units, so the same activation regions, with no dense
    selection layer.

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
        if isinstance(layer, ImageMap):
            if (layer.fold and len(out) > 1 and isinstance(out[-1], _ELEMENTWISE)
                    and isinstance(out[-2], (Affine, Fold))):
                order = layer.permutation()
                if order is not None:  # a reordering commutes with the activation: reorder its units instead
                    out[-2] = _reordered(out[-2], order)
                    continue
            if layer.fold and out and isinstance(out[-1], Affine):
                out[-1] = layer.after(out[-1])
                continue
            if out and isinstance(out[-1], Fold):
                merged = layer.after(out[-1].affine)
                out[-1] = Fold(merged, layer.what) if layer.fold else merged
                continue
            layer = Fold(layer.affine(), layer.what) if layer.fold else layer.affine()
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


#: Activations that act on each value alone (they commute with a reordering of the values).
_ELEMENTWISE = (ReLU, LeakyReLU, Abs, HardTanh)


def _reordered(layer: Affine | Fold, order: Sequence[int]) -> Affine | Fold:
    """*layer* with its rows in *order*."""
    affine = layer.affine if isinstance(layer, Fold) else layer
    weight = affine.weight
    rows = weight.reordered(order) if isinstance(weight, SparseRows) else tuple(weight[c] for c in order)
    reordered = Affine(rows, tuple(affine.bias[c] for c in order))
    return Fold(reordered, layer.what) if isinstance(layer, Fold) else reordered


def _affine_images(layer: Any, xs: Sequence[Sequence[Fraction]], biases: Sequence[bool]) -> list[list[Fraction]]:
    """*layer* (affine, fold or image map) at the vectors *xs*, each with or without its bias."""
    if isinstance(layer, ImageMap):
        return layer.apply_all(xs, biases)
    affine = layer.affine if isinstance(layer, Fold) else layer
    products = matrix_vectors(affine.weight, xs)
    return [[p + b for p, b in zip(product, affine.bias)] if bias else product
            for product, bias in zip(products, biases)]


def restrict(layers: Sequence[Any], input_dim: int, p0: Sequence[Any], p1: Sequence[Any], p2: Sequence[Any]
             ) -> list[Layer]:
    """The layers of the network restricted to the plane through *p0*, *p1*, *p2*, as a
    function of ``(s, t)`` (see :func:`polyregions.core.slices.slice_network`).

    The affine layers before the first activation (dense, folds and image maps:
    convolutions, pooling, batch norm) act on the plane's base point and its two
    directions only, and become one affine layer with two columns; no layer of the
    block is made dense, so the input may be of any size. The rest is :func:`finalize`d.

    Examples
    --------
    >>> from polyregions.core.layers import ReLU
    >>> layers = restrict([Affine.from_lists([[1, 1, 1]], [1]), ReLU()], 3, [0, 0, 0], [1, 0, 0], [0, 0, 2])
    >>> layers[0].weight, layers[0].bias
    (((Fraction(1, 1), Fraction(2, 1)),), (Fraction(1, 1),))
    """
    base, u, v = plane_vectors(input_dim, p0, p1, p2)
    index = 0
    while index < len(layers) and isinstance(layers[index], (Affine, Fold, ImageMap)):
        base, u, v = _affine_images(layers[index], (base, u, v), (True, False, False))
        index += 1
    lift = Affine(tuple(zip(u, v)), tuple(base))
    return finalize([lift, *layers[index:]])


def on_plane(layers: Sequence[Any], input_dim: int, plane: Sequence[Sequence[Any]]) -> Network:
    """The network of *layers* (on *input_dim* inputs) restricted to *plane*, three input points:
    :func:`restrict` as a network of ``(s, t)``."""
    return Network.from_layers(2, restrict(layers, input_dim, *plane))


def max_pool(windows: Sequence[Window], width: int, place: str) -> list[Any]:
    """The layers of a max pool over *windows* of *width* values: a selection of each
    window's entries, then a maxout over each window.

    The pool is read as written: a ``ReLU`` before or after it stays a layer of its own
    (its units are activation units of their own, DESIGN.md), never merged into the
    maxout. Windows cut by padding are filled up to the largest by repeating their first
    entry, which adds no region (candidates that are the same function count once).

    Examples
    --------
    >>> layers = max_pool([Window((0, 1), 2), Window((1, 2), 2), Window((2,), 2)], 3, "pool")
    >>> layers[-1], Network.from_layers(3, finalize(layers))([-1, -2, "1/2"])
    (Maxout(rank=2), (Fraction(-1, 1), Fraction(1, 2), Fraction(1, 2)))
    """
    k = max(len(w.entries) for w in windows)
    if k > MAX_RANK:
        raise InputError(f"{place}: a window of {k} entries is a maxout of rank {k}, more than the limit of "
                         f"{MAX_RANK}")
    groups = [list(w.entries) + [w.entries[0]] * (k - len(w.entries)) for w in windows]
    return [selection_map(width, groups, place=place), Maxout(k)]


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


def batchnorm_layer(shape: Sequence[int], mean: Sequence[Any], var: Sequence[Any], gamma: Sequence[Any] | None,
                    beta: Sequence[Any] | None, eps: Any, place: str, approximate: bool = False) -> Fold | ImageMap:
    """A batch norm of a tensor of *shape* (channels first): a diagonal :class:`Fold`
    (:func:`batchnorm_affine`) for a vector, or for an image (``(C, H, W)`` with more than one
    position) a per-channel :class:`~polyregions.io.imagemaps.ImageMap` that is never made dense.

    Examples
    --------
    >>> batchnorm_layer((2, 1, 2), [0, 1], [4, 1], None, None, 0, "bn").apply([2, 2, 3, 3])
    [Fraction(1, 1), Fraction(1, 1), Fraction(2, 1), Fraction(2, 1)]
    """
    fold = batchnorm_affine(mean, var, gamma, beta, eps, place, approximate)
    positions = 1
    for d in shape[1:]:
        positions *= d
    if positions == 1:
        return fold
    w, b = fold.affine.weight, fold.affine.bias
    return channel_map(shape, [w[c][c] for c in range(len(w))], list(b), place=place)


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
            weight = layer.weight
            snapped = (weight.mapped(lambda v: _snap(v, limit)) if isinstance(weight, SparseRows)
                       else tuple(tuple(_snap(v, limit) for v in row) for row in weight))
            layer = Affine(snapped, tuple(_snap(v, limit) for v in layer.bias))
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
