"""The layers of a network: exact affine maps and the piecewise-linear activations.

Each layer is a small frozen dataclass with exact :class:`~fractions.Fraction`
parameters; :func:`layer_to_json` and :func:`layer_from_json` translate them to and
from the ``polyregions-network/1`` layer objects, which
:mod:`polyregions.checker.fileformat` reads (the standalone checker reads them too).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence, Union

from ..checker import fileformat
from ..checker.fileformat import FormatError
from ..errors import NetworkError, NumberError
from ..rationals import format_rational, to_rational
from .sparse import SparseRows

__all__ = ["Affine", "ReLU", "LeakyReLU", "Abs", "HardTanh", "Maxout", "Identity", "Layer", "Activation",
           "layer_type", "layer_to_json", "layer_from_tuple", "activation_from_json", "FIELDS", "as_lists",
           "shown"]


@dataclass(frozen=True, slots=True)
class Affine:
    """``y = weight @ x + bias``; weight is out x in, exact rationals.

    The weight is a tuple of rows, or a :class:`~polyregions.core.sparse.SparseRows` (a
    convolution after an activation, too large to store dense: only its nonzero entries),
    which reads as a tuple of rows too.
    """

    weight: tuple[tuple[Fraction, ...], ...] | SparseRows
    bias: tuple[Fraction, ...]

    @classmethod
    def from_lists(cls, weight: Sequence[Sequence[Any]], bias: Sequence[Any] | None = None,
                   place: str = "affine") -> "Affine":
        """Build from nested lists of numbers (see :func:`~polyregions.rationals.to_rational`).

        NumPy arrays, PyTorch tensors and anything else with a ``tolist()`` method are
        read through it; their floats become the exact binary values they hold.

        Examples
        --------
        >>> Affine.from_lists([[1, "1/2"]], [0]).weight
        ((Fraction(1, 1), Fraction(1, 2)),)
        """
        rows, b = fileformat.read_affine(weight, bias, place, to_rational, is_list=_is_sequence, error=NetworkError,
                                         as_list=as_lists)
        return cls(rows, b)

    @property
    def in_dim(self) -> int:
        return self.weight.columns if isinstance(self.weight, SparseRows) else len(self.weight[0])

    @property
    def is_sparse(self) -> bool:
        return isinstance(self.weight, SparseRows)

    def times(self, x: Sequence[Fraction]) -> list[Fraction]:
        """``weight @ x + bias``, exactly (a sparse weight's zeros are never visited)."""
        if isinstance(self.weight, SparseRows):
            return [v + b for v, b in zip(self.weight.times(x), self.bias)]
        return [sum((w * c for w, c in zip(row, x)), Fraction(0)) + b for row, b in zip(self.weight, self.bias)]

    @property
    def out_dim(self) -> int:
        return len(self.weight)

    def __repr__(self) -> str:
        return f"Affine({self.in_dim}->{self.out_dim})"


@dataclass(frozen=True, slots=True)
class ReLU:
    """``max(0, z)`` per unit; pattern states ``+``, ``-``, ``0``."""

    def __repr__(self) -> str:
        return "ReLU()"


@dataclass(frozen=True, slots=True)
class LeakyReLU:
    """``z`` where ``z >= 0``, ``slope * z`` elsewhere; pattern states ``+``, ``-``, ``0``."""

    slope: Fraction


@dataclass(frozen=True, slots=True)
class Abs:
    """``|z|`` per unit; pattern states ``+``, ``-``, ``0``."""

    def __repr__(self) -> str:
        return "Abs()"


@dataclass(frozen=True, slots=True)
class HardTanh:
    """``min(max(z, low), high)`` per unit, ``low < high``.

    Pattern states: ``L`` (z < low), ``l`` (z identically low), ``M`` (low < z < high),
    ``h`` (z identically high), ``H`` (z > high).
    """

    low: Fraction
    high: Fraction


@dataclass(frozen=True, slots=True)
class Maxout:
    """Maximum over groups of ``rank`` consecutive units; the state is the argmax index.

    Where several candidates attain the maximum everywhere on a region (they are the
    same affine function there), the state is the smallest such index.
    """

    rank: int


@dataclass(frozen=True, slots=True)
class Identity:
    """The identity; it splits nothing."""

    def __repr__(self) -> str:
        return "Identity()"


Activation = Union[ReLU, LeakyReLU, Abs, HardTanh, Maxout, Identity]
Layer = Union[Affine, Activation]


def _is_sequence(value: Any) -> bool:
    return not isinstance(value, (str, bytes)) and isinstance(value, Sequence)


def as_lists(value: Any) -> Any:
    """Nested lists from an array-like (NumPy arrays, PyTorch tensors: anything with ``tolist()``)."""
    if not isinstance(value, (list, tuple, str, bytes)) and callable(getattr(value, "tolist", None)):
        return value.tolist()
    return value


def shown(value: Any) -> str:
    """A short description of a value for an error message."""
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


FIELDS = fileformat.LAYER_FIELDS

#: Largest sparse affine layer (rows times columns) written out as dense rows.
MAX_DENSE_ENTRIES = 4_000_000


def layer_from_tuple(layer: tuple) -> Layer:
    """A layer of :func:`polyregions.checker.fileformat.read_model` as a layer object."""
    kind = layer[0]
    if kind == "affine":
        return Affine(layer[1], layer[2])
    if kind == "leaky_relu":
        return LeakyReLU(layer[1])
    if kind == "hardtanh":
        return HardTanh(layer[1], layer[2])
    if kind == "maxout":
        return Maxout(layer[1])
    return {"relu": ReLU, "abs": Abs, "identity": Identity}[kind]()


def activation_from_json(raw: dict[str, Any], index: int) -> Activation:
    """An activation layer from its file-format object (for :meth:`Network.mlp`)."""
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in FIELDS or kind == "affine":
        known = ", ".join(sorted(FIELDS))
        raise NetworkError(f"layers[{index}]: unknown layer type {kind!r} (known: {known})")
    try:
        return layer_from_tuple(fileformat.read_layer(raw, index, to_rational))  # type: ignore[return-value]
    except (FormatError, NumberError) as exc:
        raise NetworkError(str(exc)) from None


def layer_type(layer: Layer) -> str:
    """The file format's name of a layer's type (``"affine"``, ``"leaky_relu"``, ...)."""
    return "affine" if isinstance(layer, Affine) else layer_to_json(layer)["type"]


def layer_to_json(layer: Layer) -> dict[str, Any]:
    def num(v: Fraction) -> Any:
        text = format_rational(v)
        # json.dumps cannot print ints longer than sys.get_int_max_str_digits(); a string is exact too.
        return v.numerator if v.denominator == 1 and len(text) <= 4000 else text

    if isinstance(layer, Affine):
        if layer.is_sparse and layer.out_dim * layer.in_dim > MAX_DENSE_ENTRIES:
            raise NetworkError(f"an affine layer of {layer.out_dim} x {layer.in_dim} entries (a convolution kept "
                               f"sparse) is more than the {MAX_DENSE_ENTRIES:,} that polyregions-network/1 (dense "
                               "weights) is written with")
        return {"type": "affine", "weight": [[num(v) for v in row] for row in layer.weight],
                "bias": [num(v) for v in layer.bias]}
    if isinstance(layer, ReLU):
        return {"type": "relu"}
    if isinstance(layer, LeakyReLU):
        return {"type": "leaky_relu", "slope": num(layer.slope)}
    if isinstance(layer, Abs):
        return {"type": "abs"}
    if isinstance(layer, HardTanh):
        return {"type": "hardtanh", "min": num(layer.low), "max": num(layer.high)}
    if isinstance(layer, Maxout):
        return {"type": "maxout", "rank": layer.rank}
    return {"type": "identity"}
