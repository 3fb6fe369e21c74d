"""Convolutions, pooling and per-channel maps of images, as affine maps computed on demand.

A convolution is linear in its input, so on an input of known size it is one affine
layer: row ``(m, i, j)`` holds the kernel weights at the columns of the input values
that output position ``(i, j)`` of channel ``m`` reads. So are an average pool (row
``(c, i, j)`` averages one window), a batch normalisation of an image (one scale and
shift per channel) and the selection of window entries that a max pool takes its
maximum over. Tensors are laid out as ONNX and PyTorch lay them out: value ``(c, y, x)``
of a ``(C, H, W)`` image is entry ``(c H + y) W + x``.

An :class:`ImageMap` gives such a map by its sparse rows, computed when asked for, so
that it can act on a few vectors (:meth:`ImageMap.apply`: the base point and two
directions of a 2-D slice, or the columns of the affine layer before it) without ever
being a dense matrix. As a dense matrix (:meth:`ImageMap.dense`) it has ``rows x
columns`` entries, which is practical for small inputs only: a Conv2d with 8 channels
on a 1 x 8 x 8 image gives a 288 x 64 map (a 3 x 3 kernel, no padding); a 3 x 32 x 32
input already gives millions of entries. A map beyond :data:`MAX_CONV_ENTRIES` entries
becomes an affine layer that keeps its nonzero weights only (:meth:`ImageMap.affine`,
a :class:`~polyregions.core.sparse.SparseRows` weight): a Conv 32@3x3 on 16 x 14 x 14
values has 144 nonzero weights in each of its 6,272 rows, not 3,136.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

from ..errors import InputError
from ..core.layers import Affine
from ..core.sparse import SparseRows, product_rows, terms_of
from ..rationals import to_rational

__all__ = ["ImageMap", "Window", "conv2d_map", "conv2d_affine", "average_pool_map", "pool_windows", "selection_map",
           "channel_map", "MAX_CONV_ENTRIES", "MAX_SPARSE_ENTRIES"]

#: Largest dense map a convolution is unrolled into (rows times columns); larger ones are kept sparse.
MAX_CONV_ENTRIES = 4_000_000

#: Most nonzero weights of a map kept sparse (about 150 bytes each in memory).
MAX_SPARSE_ENTRIES = 8_000_000

#: One sparse row: the (column, weight) pairs of its nonzero weights, and its bias.
SparseRow = tuple[tuple[tuple[int, Fraction], ...], Fraction]

_ZERO = Fraction(0)


@dataclass(frozen=True, slots=True, eq=False)
class ImageMap:
    """An affine map ``R^in_dim -> R^out_dim`` given by a function of the row index.

    ``row(r)`` (a picklable object: the rows listed, or the geometry they are computed
    from) is the sparse row ``r``: the (column, weight) pairs of its nonzero
    weights and its bias. ``fold`` says how a dense importer places the map: merged
    into the affine layer next to it (pooling, batch norm, selections) or as an
    affine layer of its own (a convolution after an activation). ``place`` names the
    node or module in messages.
    """

    in_dim: int
    out_dim: int
    row: Callable[[int], SparseRow]
    place: str
    what: str
    fold: bool = False

    def apply(self, x: Sequence[Fraction], bias: bool = True) -> list[Fraction]:
        """The map at *x* (with *bias*), or its linear part at *x* (a direction)."""
        return self.apply_all([x], [bias])[0]

    def apply_all(self, xs: Sequence[Sequence[Fraction]], biases: Sequence[bool]) -> list[list[Fraction]]:
        """:meth:`apply` at several vectors, each row computed once (a slice's base point and directions)."""
        outs: list[list[Fraction]] = [[] for _ in xs]
        for r in range(self.out_dim):
            terms, b = self.row(r)
            for x, bias, out in zip(xs, biases, outs):
                total = sum((w * x[c] for c, w in terms if x[c]), _ZERO)
                out.append(total + b if bias else total)
        return outs

    def _check_size(self, cols: int) -> None:
        rows = self.out_dim
        if rows * cols > MAX_CONV_ENTRIES:
            raise InputError(f"{self.place}: as a dense map this {self.what} has {rows} x {cols} entries, more "
                             f"than the limit of {MAX_CONV_ENTRIES:,}")

    def is_nonnegative(self) -> bool:
        """Whether every weight and bias is >= 0 (so the map keeps values >= 0 so)."""
        for r in range(self.out_dim):
            terms, b = self.row(r)
            if b < 0 or any(w < 0 for _, w in terms):
                return False
        return True

    def permutation(self) -> list[int] | None:
        """The column each row copies, when the map reorders its input (each entry once, no
        bias); else None."""
        if self.out_dim != self.in_dim:
            return None
        order = []
        for r in range(self.out_dim):
            terms, b = self.row(r)
            if b or len(terms) != 1 or terms[0][1] != 1:
                return None
            order.append(terms[0][0])
        return order if len(set(order)) == self.in_dim else None

    def dense(self) -> Affine:
        """The map as a dense affine layer; refused beyond :data:`MAX_CONV_ENTRIES` entries."""
        rows, cols = self.out_dim, self.in_dim
        self._check_size(cols)
        weight, biases = [], []
        for r in range(rows):
            terms, b = self.row(r)
            line = [_ZERO] * cols
            for c, w in terms:
                line[c] += w
            weight.append(tuple(line))
            biases.append(b)
        return Affine(tuple(weight), tuple(biases))

    def sparse(self) -> Affine:
        """The map as an affine layer that keeps its nonzero weights only (:class:`SparseRows`);
        refused beyond :data:`MAX_SPARSE_ENTRIES` of them."""
        rows, biases = [], []
        count = 0
        for r in range(self.out_dim):
            terms, b = self.row(r)
            count += len(terms)
            if count > MAX_SPARSE_ENTRIES:
                raise InputError(f"{self.place}: this {self.what} has more than {MAX_SPARSE_ENTRIES:,} nonzero "
                                 "weights, the limit")
            rows.append(terms)
            biases.append(b)
        return Affine(SparseRows.from_terms(self.in_dim, rows), tuple(biases))

    def affine(self) -> Affine:
        """The map as an affine layer: dense up to :data:`MAX_CONV_ENTRIES` entries, else sparse."""
        return self.dense() if self.out_dim * self.in_dim <= MAX_CONV_ENTRIES else self.sparse()

    def after(self, first: Affine) -> Affine:
        """``self(first(x))`` as one affine layer: the map at every column of *first* and at its
        bias, each of its rows computed once; dense up to :data:`MAX_CONV_ENTRIES` entries, else
        (or when *first* is sparse) sparse: each row the combination of *first*'s rows it reads."""
        if first.is_sparse or self.out_dim * first.in_dim > MAX_CONV_ENTRIES:
            return self._sparse_after(first)
        *columns, bias = self.apply_all([*zip(*first.weight), first.bias], [False] * first.in_dim + [True])
        return Affine(tuple(zip(*columns)) if columns else tuple(() for _ in range(self.out_dim)), tuple(bias))

    def _sparse_after(self, first: Affine) -> Affine:
        rows, biases = [], []
        count = 0
        for row, b in product_rows((self.row(r) for r in range(self.out_dim)), terms_of(first.weight), first.bias):
            count += len(row)
            if count > MAX_SPARSE_ENTRIES:
                raise InputError(f"{self.place}: this {self.what} after the affine layer before it has more than "
                                 f"{MAX_SPARSE_ENTRIES:,} nonzero weights, the limit")
            rows.append(row)
            biases.append(b)
        return Affine(SparseRows(first.in_dim, tuple(rows)), tuple(biases))

    def __repr__(self) -> str:
        return f"ImageMap({self.what}, {self.in_dim}->{self.out_dim})"


@dataclass(frozen=True, slots=True)
class Window:
    """One window of a 2-D pooling: the input entries it covers (padding left out) and its
    full size (``kH * kW``, padding included)."""

    entries: tuple[int, ...]
    size: int


@dataclass(frozen=True, slots=True)
class _ListedRows:
    """The rows of a map, listed (pooling, selections): ``rows(r)`` is row ``r``."""

    rows: tuple[SparseRow, ...]

    def __call__(self, r: int) -> SparseRow:
        return self.rows[r]


@dataclass(frozen=True, slots=True)
class _ChannelRows:
    """The rows of a per-channel scale and shift, with *per* positions in each channel."""

    scale: tuple[Fraction, ...]
    shift: tuple[Fraction, ...]
    per: int

    def __call__(self, r: int) -> SparseRow:
        c = r // self.per
        return (((r, self.scale[c]),) if self.scale[c] else ()), self.shift[c]


@dataclass(frozen=True, slots=True)
class _ConvRows:
    """The rows of a 2-D convolution, computed when asked for (see :func:`conv2d_map`)."""

    kernel: tuple  # (M, C / groups, kH, kW) rationals
    bias: tuple[Fraction, ...]
    shape: tuple[int, int, int]  # the input's (C, H, W)
    out: tuple[int, int]  # the output's (H, W)
    strides: tuple[int, int]
    start: tuple[int, int]  # the top and left padding
    dilations: tuple[int, int]
    per_group: int  # input channels per group
    per_out: int  # filters per group

    def __call__(self, r: int) -> SparseRow:
        _, height, width = self.shape
        out_h, out_w = self.out
        (sh, sw), (top, left), (dh, dw) = self.strides, self.start, self.dilations
        m, rest = divmod(r, out_h * out_w)
        i, j = divmod(rest, out_w)
        group = m // self.per_out
        filt = self.kernel[m]
        terms: dict[int, Fraction] = {}
        for c in range(self.per_group):
            channel = group * self.per_group + c
            for a, line in enumerate(filt[c]):
                y = i * sh - top + a * dh
                if not 0 <= y < height:
                    continue
                for bb, value in enumerate(line):
                    x = j * sw - left + bb * dw
                    if 0 <= x < width and value:
                        column = (channel * height + y) * width + x
                        terms[column] = terms.get(column, _ZERO) + value
        return tuple(sorted(terms.items())), self.bias[m]


def _geometry(place: str, what: str, strides: Sequence[int], pads: Sequence[int], dilations: Sequence[int]
              ) -> None:
    if len(strides) != 2 or len(dilations) != 2 or len(pads) != 4:
        raise InputError(f"{place}: expected 2 strides, 2 dilations and 4 pads for a 2-D {what}, got "
                         f"{list(strides)}, {list(dilations)}, {list(pads)}")
    if min(strides) < 1 or min(dilations) < 1 or min(pads) < 0:
        raise InputError(f"{place}: strides and dilations must be at least 1 and pads at least 0, got "
                         f"strides {list(strides)}, dilations {list(dilations)}, pads {list(pads)}")


def _out_size(size: int, low: int, high: int, dilation: int, kernel: int, stride: int) -> int:
    return (size + low + high - dilation * (kernel - 1) - 1) // stride + 1


def _auto_pad(auto_pad: Any, place: str) -> None:
    if isinstance(auto_pad, bytes):
        auto_pad = auto_pad.decode()
    if auto_pad not in ("NOTSET", "VALID", ""):
        raise InputError(f"{place}: auto_pad {auto_pad} is not supported; give explicit pads")


def conv2d_map(shape: Sequence[int], weight: Sequence[Any], bias: Sequence[Any] | None, *, place: str,
               strides: Sequence[int] = (1, 1), pads: Sequence[int] = (0, 0, 0, 0),
               dilations: Sequence[int] = (1, 1), groups: int = 1, auto_pad: Any = b"NOTSET"
               ) -> tuple[ImageMap, tuple[int, int, int]]:
    """The convolution of an input of *shape* ``(C, H, W)`` as an :class:`ImageMap`, and the output shape.

    *weight* is ``(M, C / groups, kH, kW)`` nested lists, *pads* ``(top, left,
    bottom, right)`` as in ONNX; numbers are taken exactly.

    Examples
    --------
    >>> conv, out = conv2d_map((1, 2, 2), [[[[1, 2]]]], [3], place="conv")
    >>> out, conv.apply([1, 10, 100, 1000]), conv.row(1)
    ((1, 2, 1), [Fraction(24, 1), Fraction(2103, 1)], (((2, Fraction(1, 1)), (3, Fraction(2, 1))), Fraction(3, 1)))
    """
    _auto_pad(auto_pad, place)
    channels, height, width = shape
    out_channels = len(weight)
    if not out_channels or groups < 1 or channels % groups or out_channels % groups:
        raise InputError(f"{place}: {out_channels} filters and {groups} groups do not fit {channels} channels")
    per_group = channels // groups
    kernel = [[[[to_rational(v, f"{place}: weight[{m}][{c}][{a}][{b}]") for b, v in enumerate(row)]
                for a, row in enumerate(plane)] for c, plane in enumerate(filt)] for m, filt in enumerate(weight)]
    if any(len(filt) != per_group for filt in kernel):
        raise InputError(f"{place}: the weight has {len(kernel[0])} input channels per filter, "
                         f"expected {per_group}")
    kh, kw = len(kernel[0][0]), len(kernel[0][0][0])
    _geometry(place, "convolution", strides, pads, dilations)
    sh, sw = strides
    dh, dw = dilations
    top, left, bottom, right = pads
    out_h = _out_size(height, top, bottom, dh, kh, sh)
    out_w = _out_size(width, left, right, dw, kw, sw)
    if out_h < 1 or out_w < 1:
        raise InputError(f"{place}: the kernel does not fit the {height} x {width} input")
    b = [_ZERO] * out_channels if bias is None else [to_rational(v, f"{place}: bias[{m}]")
                                                     for m, v in enumerate(bias)]
    if len(b) != out_channels:
        raise InputError(f"{place}: bias has {len(b)} entries, expected {out_channels}")

    rows = _ConvRows(tuple(tuple(tuple(tuple(line) for line in plane) for plane in filt) for filt in kernel),
                     tuple(b), (channels, height, width), (out_h, out_w), (sh, sw), (top, left), (dh, dw),
                     per_group, out_channels // groups)
    out = (out_channels, out_h, out_w)
    return ImageMap(channels * height * width, out_channels * out_h * out_w, rows, place, "convolution"), out


def conv2d_affine(shape: Sequence[int], weight: Sequence[Any], bias: Sequence[Any] | None, *, place: str,
                  strides: Sequence[int] = (1, 1), pads: Sequence[int] = (0, 0, 0, 0),
                  dilations: Sequence[int] = (1, 1), groups: int = 1, auto_pad: Any = b"NOTSET"
                  ) -> tuple[Affine, tuple[int, int, int]]:
    """The convolution of :func:`conv2d_map` as a dense affine layer, and the output shape.

    Examples
    --------
    >>> affine, out = conv2d_affine((1, 2, 2), [[[[1, 2]]]], [3], place="conv")
    >>> out, affine.weight, affine.bias
    ((1, 2, 1), ((Fraction(1, 1), Fraction(2, 1), Fraction(0, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(0, 1), Fraction(1, 1), Fraction(2, 1))), (Fraction(3, 1), Fraction(3, 1)))
    """
    conv, out = conv2d_map(shape, weight, bias, place=place, strides=strides, pads=pads, dilations=dilations,
                           groups=groups, auto_pad=auto_pad)
    return conv.dense(), out


def pool_windows(shape: Sequence[int], kernel: Sequence[int], *, place: str, strides: Sequence[int] | None = None,
                 pads: Sequence[int] = (0, 0, 0, 0), dilations: Sequence[int] = (1, 1), ceil_mode: int = 0,
                 auto_pad: Any = b"NOTSET") -> tuple[list[Window], tuple[int, int, int]]:
    """The windows of a 2-D pooling of a ``(C, H, W)`` input, and the output shape.

    ``ceil_mode = 1`` is accepted only where it gives the same windows as ``0`` (no
    window that starts past the input's end).

    Examples
    --------
    >>> pool_windows((1, 2, 3), (2, 2), place="pool", strides=(1, 1))
    ([Window(entries=(0, 1, 3, 4), size=4), Window(entries=(1, 2, 4, 5), size=4)], (1, 1, 2))
    """
    _auto_pad(auto_pad, place)
    if len(kernel) != 2 or min(kernel) < 1:
        raise InputError(f"{place}: expected a 2-D kernel_shape of positive sizes, got {list(kernel)}")
    strides = tuple(strides) if strides is not None else (1, 1)
    _geometry(place, "pooling", strides, pads, dilations)
    channels, height, width = shape
    kh, kw = kernel
    sh, sw = strides
    dh, dw = dilations
    top, left, bottom, right = pads
    out_h = _out_size(height, top, bottom, dh, kh, sh)
    out_w = _out_size(width, left, right, dw, kw, sw)
    if ceil_mode not in (0, 1):
        raise InputError(f"{place}: ceil_mode must be 0 or 1, got {ceil_mode}")
    if ceil_mode:
        ceil_h = -(-(height + top + bottom - dh * (kh - 1) - 1) // sh) + 1
        ceil_w = -(-(width + left + right - dw * (kw - 1) - 1) // sw) + 1
        if (ceil_h, ceil_w) != (out_h, out_w):
            raise InputError(f"{place}: ceil_mode 1 adds windows past the input's end here (output "
                             f"{ceil_h} x {ceil_w} instead of {out_h} x {out_w}); it is not supported")
    if out_h < 1 or out_w < 1:
        raise InputError(f"{place}: the kernel does not fit the {height} x {width} input")
    windows = []
    for c in range(channels):
        for i in range(out_h):
            for j in range(out_w):
                entries = tuple((c * height + y) * width + x
                           for y in (i * sh - top + a * dh for a in range(kh)) if 0 <= y < height
                                for x in (j * sw - left + b * dw for b in range(kw)) if 0 <= x < width)
                if not entries:
                    raise InputError(f"{place}: the window at ({c}, {i}, {j}) covers padding only")
                windows.append(Window(entries, kh * kw))
    return windows, (channels, out_h, out_w)


def average_pool_map(shape: Sequence[int], windows: Sequence[Window], *, place: str,
                     count_include_pad: int = 0) -> ImageMap:
    """The average over each window (:func:`pool_windows`): over the entries it covers, or with
    *count_include_pad* over its full size (the padding counts as zeros), as ONNX defines it.

    Examples
    --------
    >>> windows, out = pool_windows((1, 1, 3), (1, 2), place="pool", strides=(1, 2), pads=(0, 1, 0, 0))
    >>> average_pool_map((1, 1, 3), windows, place="pool").apply([2, 4, 8])
    [Fraction(2, 1), Fraction(6, 1)]
    >>> average_pool_map((1, 1, 3), windows, place="pool", count_include_pad=1).apply([2, 4, 8])
    [Fraction(1, 1), Fraction(6, 1)]
    """
    n = shape[0] * shape[1] * shape[2]
    rows = [(tuple((e, Fraction(1, w.size if count_include_pad else len(w.entries))) for e in w.entries), _ZERO)
            for w in windows]
    return ImageMap(n, len(rows), _ListedRows(tuple(rows)), place, "average pool", fold=True)


def selection_map(in_dim: int, groups: Sequence[Sequence[int | None]], *, place: str) -> ImageMap:
    """The entries each group names, one after another (``None`` is the constant 0): the
    candidates of a maxout that takes the maximum over each group.

    Examples
    --------
    >>> selection_map(3, [[None, 0, 2], [None, 1, 1]], place="pool").apply([5, 6, 7])
    [Fraction(0, 1), Fraction(5, 1), Fraction(7, 1), Fraction(0, 1), Fraction(6, 1), Fraction(6, 1)]
    """
    one = Fraction(1)
    rows = [(() if e is None else ((e, one),), _ZERO) for group in groups for e in group]
    return ImageMap(in_dim, len(rows), _ListedRows(tuple(rows)), place, "max pool", fold=True)


def channel_map(shape: Sequence[int], scale: Sequence[Fraction], shift: Sequence[Fraction], *, place: str
                ) -> ImageMap:
    """``scale[c] * v + shift[c]`` for every value ``v`` of channel ``c`` (a batch norm of an image).

    Examples
    --------
    >>> channel_map((2, 1, 2), [2, 3], [0, 1], place="bn").apply([1, 1, 1, 1])
    [Fraction(2, 1), Fraction(2, 1), Fraction(4, 1), Fraction(4, 1)]
    """
    per = 1
    for d in shape[1:]:
        per *= d
    n = shape[0] * per

    rows = _ChannelRows(tuple(Fraction(s) for s in scale), tuple(Fraction(s) for s in shift), per)
    return ImageMap(n, n, rows, place, "batch norm", fold=True)
