"""2-D convolutions as dense affine maps (for small inputs).

A convolution is linear in its input, so on an input of known size it is one affine
layer: row ``(m, i, j)`` holds the kernel weights at the columns of the input values
that output position ``(i, j)`` of channel ``m`` reads. The map has
``(out channels * out height * out width) * (channels * height * width)`` entries,
so this is practical for small inputs only: a Conv2d with 8 channels on a 1 x 8 x 8
image gives a 288 x 64 map (a 3 x 3 kernel, no padding); a 3 x 32 x 32 input already
gives millions of entries, and the region count of such a network is out of reach
anyway. Maps beyond :data:`MAX_CONV_ENTRIES` entries are refused.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from ..errors import InputError
from ..core.layers import Affine
from ..rationals import to_rational

__all__ = ["conv2d_affine", "MAX_CONV_ENTRIES"]

#: Largest dense map a convolution is unrolled into (rows times columns).
MAX_CONV_ENTRIES = 4_000_000


def conv2d_affine(shape: Sequence[int], weight: Sequence[Any], bias: Sequence[Any] | None, *, place: str,
                  strides: Sequence[int] = (1, 1), pads: Sequence[int] = (0, 0, 0, 0),
                  dilations: Sequence[int] = (1, 1), groups: int = 1, auto_pad: Any = b"NOTSET"
                  ) -> tuple[Affine, tuple[int, int, int]]:
    """The convolution of an input of *shape* ``(C, H, W)`` as an affine map, and the output shape.

    *weight* is ``(M, C / groups, kH, kW)`` nested lists, *pads* ``(top, left,
    bottom, right)`` as in ONNX; numbers are taken exactly.

    Examples
    --------
    >>> affine, out = conv2d_affine((1, 2, 2), [[[[1, 2]]]], [3], place="conv")
    >>> out, affine.weight, affine.bias
    ((1, 2, 1), ((Fraction(1, 1), Fraction(2, 1), Fraction(0, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(0, 1), Fraction(1, 1), Fraction(2, 1))), (Fraction(3, 1), Fraction(3, 1)))
    """
    if isinstance(auto_pad, bytes):
        auto_pad = auto_pad.decode()
    if auto_pad not in ("NOTSET", "VALID", ""):
        raise InputError(f"{place}: auto_pad {auto_pad} is not supported; give explicit pads")
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
    if len(strides) != 2 or len(dilations) != 2 or len(pads) != 4:
        raise InputError(f"{place}: expected 2 strides, 2 dilations and 4 pads for a 2-D convolution, got "
                         f"{list(strides)}, {list(dilations)}, {list(pads)}")
    if min(strides) < 1 or min(dilations) < 1 or min(pads) < 0:
        raise InputError(f"{place}: strides and dilations must be at least 1 and pads at least 0, got "
                         f"strides {list(strides)}, dilations {list(dilations)}, pads {list(pads)}")
    sh, sw = strides
    dh, dw = dilations
    top, left, bottom, right = pads
    out_h = (height + top + bottom - dh * (kh - 1) - 1) // sh + 1
    out_w = (width + left + right - dw * (kw - 1) - 1) // sw + 1
    if out_h < 1 or out_w < 1:
        raise InputError(f"{place}: the kernel does not fit the {height} x {width} input")
    rows, cols = out_channels * out_h * out_w, channels * height * width
    if rows * cols > MAX_CONV_ENTRIES:
        raise InputError(f"{place}: as a dense map this convolution has {rows} x {cols} entries, more than "
                         f"the limit of {MAX_CONV_ENTRIES:,}; polyregions unrolls convolutions for small "
                         "inputs only")
    b = [Fraction(0)] * out_channels if bias is None else [to_rational(v, f"{place}: bias[{m}]")
                                                          for m, v in enumerate(bias)]
    if len(b) != out_channels:
        raise InputError(f"{place}: bias has {len(b)} entries, expected {out_channels}")
    zero = Fraction(0)
    matrix = []
    biases = []
    per_out = out_channels // groups
    for m in range(out_channels):
        group = m // per_out
        for i in range(out_h):
            for j in range(out_w):
                row = [zero] * cols
                for c in range(per_group):
                    channel = group * per_group + c
                    for a in range(kh):
                        y = i * sh - top + a * dh
                        if not 0 <= y < height:
                            continue
                        for bb in range(kw):
                            x = j * sw - left + bb * dw
                            if 0 <= x < width:
                                row[(channel * height + y) * width + x] += kernel[m][c][a][bb]
                matrix.append(tuple(row))
                biases.append(b[m])
    return Affine(tuple(matrix), tuple(biases)), (out_channels, out_h, out_w)
