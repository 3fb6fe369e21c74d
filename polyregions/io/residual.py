"""Residual connections: the sum of two branches of one network as one chain of layers.

The ONNX reader hands :func:`residual_sum` the layer lists that compute the two
tensors an ``Add``, ``Sub`` or ``Sum`` adds; they share a prefix up to the tensor
where the graph forks. After the fork the branches run side by side, and a branch
with fewer activation layers has its value carried through the other's activations
by units of their own, where that is exact and adds no region.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from ..errors import InputError
from ..core.layers import Abs, Activation, Affine, HardTanh, Identity, LeakyReLU, Layer, Maxout, ReLU, layer_type
from ..core.network import Network  # noqa: F401  (doctests)
from .imagemaps import ImageMap
from .layers import Fold, compose, finalize

__all__ = ["residual_sum", "output_width"]

_AFFINE_LIKE = (Affine, Fold, ImageMap)


def output_width(layers: Sequence[Any], input_dim: int) -> int:
    """The number of values that *layers* (affine layers, folds, image maps, activations) compute."""
    width = input_dim
    for layer in layers:
        if isinstance(layer, (Affine, ImageMap)):
            width = layer.out_dim
        elif isinstance(layer, Fold):
            width = layer.affine.out_dim
        elif isinstance(layer, Maxout):
            width //= layer.rank
    return width


def _identity(width: int, copies: int = 1) -> Affine:
    """The identity of R^width, each row *copies* times in a row (the candidates of a maxout)."""
    one, zero = Fraction(1), Fraction(0)
    rows = tuple(tuple(one if c == r else zero for c in range(width)) for r in range(width) for _ in range(copies))
    return Affine(rows, (zero,) * len(rows))


def _stages(layers: Sequence[Layer], width: int) -> tuple[list[tuple[Affine, Activation]], Affine]:
    """A branch as (affine, activation) stages and a last affine map (identities where none is)."""
    stages: list[tuple[Affine, Activation]] = []
    pending: Affine | None = None
    for layer in layers:
        if isinstance(layer, Affine):
            pending = layer if pending is None else compose(pending, layer)
            width = layer.out_dim
        elif not isinstance(layer, Identity):
            stages.append((_identity(width) if pending is None else pending, layer))
            pending = None
            if isinstance(layer, Maxout):
                width //= layer.rank
    return stages, _identity(width) if pending is None else pending


def _keeps_nonnegative(layer: Any) -> bool:
    """Whether an affine layer (or fold, or image map) has no negative weight nor bias."""
    if isinstance(layer, ImageMap):
        return layer.is_nonnegative()
    affine = layer.affine if isinstance(layer, Fold) else layer
    return all(b >= 0 for b in affine.bias) and all(w >= 0 for row in affine.weight for w in row)


def _nonnegative(layers: Sequence[Any]) -> bool:
    """Whether every value that *layers* compute is >= 0 (so ReLU, leaky ReLU and abs leave it
    unchanged): the output of a ReLU, abs or hard-tanh with ``min >= 0``, or of maps that keep
    values >= 0 (affine maps with no negative weight nor bias, such as a pool's selection or
    average; leaky ReLU; a maxout) applied to such an output."""
    for layer in reversed(layers):
        if isinstance(layer, (ReLU, Abs)):
            return True
        if isinstance(layer, HardTanh):
            return layer.low >= 0
        if isinstance(layer, _AFFINE_LIKE):
            if not _keeps_nonnegative(layer):
                return False
        elif not isinstance(layer, (Identity, LeakyReLU, Maxout)):
            return False
    return False  # the input itself


def _activation_text(layer: Activation) -> str:
    """``relu``, ``maxout of rank 4``: an activation as a message names it."""
    return f"maxout of rank {layer.rank}" if isinstance(layer, Maxout) else layer_type(layer)


def _stacked(first: Affine, second: Affine, shared: bool) -> tuple[list[tuple[Fraction, ...]], list[Fraction]]:
    """The rows of two maps side by side: of one input (*shared*) or of the two inputs one after the other."""
    if shared:
        return list(first.weight) + list(second.weight), list(first.bias) + list(second.bias)
    left, right = (Fraction(0),) * first.in_dim, (Fraction(0),) * second.in_dim
    rows = [row + right for row in first.weight] + [left + row for row in second.weight]
    return rows, list(first.bias) + list(second.bias)


def residual_sum(first: Sequence[Any], second: Sequence[Any], input_dim: int, place: str, sign: int = 1
                 ) -> list[Any]:
    """The layers of ``first + sign * second`` for two branches of one network (a residual connection).

    *first* and *second* are the layer lists that compute the two tensors from the
    input; they share a prefix up to the tensor where the graph forks. After the fork
    the two branches run side by side in one chain: their units at the same depth
    form one layer, and the last affine maps are added. Where one branch has fewer
    activation layers, the value it has computed is carried through the other
    branch's remaining activations by units of their own: exactly, and without a
    breakpoint of their own, when the value is >= 0 (an output of ReLU, abs or hard-tanh
    with ``min >= 0``, or a max or average pool of one: see :func:`_nonnegative`) and
    the activation carrying it is ReLU, leaky ReLU or abs (the identity on values >= 0;
    on each activation region the value is an affine function >= 0, so identically 0
    or positive inside it, and the carrying unit never changes sign there), or when
    the activation is a maxout (the value as all its candidates). So the activation
    regions are those of the model's own units:
    the carrying units add characters to the pattern, never a region. Anything else
    is refused (one line naming the node): both branches must apply the same
    activation at the same depth, and a value that may be negative is never carried
    through a ReLU.

    Examples
    --------
    >>> from polyregions.core.layers import ReLU
    >>> stem = [Affine.from_lists([[1], [-1]]), ReLU()]
    >>> block = stem + [Affine.from_lists([[1, 1]], [-1]), ReLU(), Affine.from_lists([[2], [3]])]
    >>> layers = residual_sum(block, stem, 1, "add")
    >>> Network.from_layers(1, layers)(["5/2"]), layers[2].weight
    ((Fraction(11, 2), Fraction(9, 2)), ((Fraction(1, 1), Fraction(1, 1)), (Fraction(1, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(1, 1))))
    """
    a, b = list(first), list(second)
    fork = 0
    while fork < min(len(a), len(b)) and (a[fork] is b[fork] or a[fork] == b[fork]):
        fork += 1
    while fork and isinstance(a[fork - 1], _AFFINE_LIKE):  # fork at an activation's output (or the input)
        fork -= 1
    prefix = a[:fork]
    width = output_width(prefix, input_dim)
    stages_a, last_a = _stages(finalize(a[fork:]), width)
    stages_b, last_b = _stages(finalize(b[fork:]), width)
    if last_a.out_dim != last_b.out_dim:
        raise InputError(f"{place}: adds tensors of {last_a.out_dim} and {last_b.out_dim} values")
    signs = (Fraction(1), Fraction(sign))
    if len(stages_a) < len(stages_b):
        stages_a, stages_b, last_a, last_b, signs = stages_b, stages_a, last_b, last_a, signs[::-1]
    carried_nonnegative = _nonnegative(prefix + [layer for stage in stages_b for layer in stage])
    layers: list[Any] = list(prefix)
    shared = True
    width_b = width
    for depth, (affine_a, activation) in enumerate(stages_a):
        if depth < len(stages_b):
            affine_b, other = stages_b[depth]
            if other != activation:
                raise InputError(f"{place}: the two branches apply {_activation_text(activation)} and "
                                 f"{_activation_text(other)} at the same depth; a residual connection is read "
                                 "where both apply the same activation")
        elif isinstance(activation, Maxout):
            affine_b = _identity(width_b, activation.rank)
        elif isinstance(activation, (ReLU, LeakyReLU, Abs)) and carried_nonnegative:
            affine_b = _identity(width_b)
        else:
            why = ("a value that may be negative" if isinstance(activation, (ReLU, LeakyReLU, Abs))
                   else "a value")
            raise InputError(f"{place}: the shorter branch would carry {why} through a {layer_type(activation)} "
                             "layer of the other, which is not exact without extra regions; residual connections "
                             "are read where the skipped value is >= 0 (a ReLU or abs output, or a pool of one)")
        rows, bias = _stacked(affine_a, affine_b, shared)
        layers += [Affine(tuple(rows), tuple(bias)), activation]
        shared = False
        width_b = affine_b.out_dim // (activation.rank if isinstance(activation, Maxout) else 1)
    scaled = [Affine(tuple(tuple(s * w for w in row) for row in last.weight), tuple(s * c for c in last.bias))
              for s, last in zip(signs, (last_a, last_b))]
    if shared:  # no activation on either branch: one affine map of the fork's value
        weight = tuple(tuple(x + y for x, y in zip(ra, rb)) for ra, rb in zip(scaled[0].weight, scaled[1].weight))
    else:
        weight = tuple(ra + rb for ra, rb in zip(scaled[0].weight, scaled[1].weight))
    bias = tuple(x + y for x, y in zip(scaled[0].bias, scaled[1].bias))
    layers.append(Fold(Affine(weight, bias), "residual sum") if shared else Affine(weight, bias))
    return layers
