"""Exact piecewise-linear networks and the ``polyregions-network/1`` format.

A :class:`Network` is an input dimension and a tuple of layers. Every number in it
is a :class:`~fractions.Fraction`; the constructors validate shapes and types and
raise :class:`~polyregions.errors.NetworkError` naming the layer at fault.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence, TypeVar, Union

from . import fileformat
from .atomic import write_text_atomic
from .errors import InputError, NetworkError, NumberError
from .fileformat import MAX_INPUT_DIM, MAX_LAYERS, MAX_PARAMETERS, MAX_RANK, MAX_WIDTH, FormatError
from .numbers import format_rational, to_rational

if TYPE_CHECKING:
    from .forward import PointPattern

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "FORMAT",
    "Affine",
    "ReLU",
    "LeakyReLU",
    "Abs",
    "HardTanh",
    "Maxout",
    "Identity",
    "Layer",
    "Activation",
    "Network",
    "load_network",
    "parse_json_exact",
]

FORMAT = "polyregions-network/1"

#: Limits beyond which a network is taken to be a mistake rather than a request
#: (defined in :mod:`polyregions.fileformat`, which the checker reads models with too):
#: MAX_INPUT_DIM, MAX_WIDTH, MAX_PARAMETERS.


@dataclass(frozen=True, slots=True)
class Affine:
    """``y = weight @ x + bias``; weight is out x in, exact rationals."""

    weight: tuple[tuple[Fraction, ...], ...]
    bias: tuple[Fraction, ...]

    @classmethod
    def from_lists(cls, weight: Sequence[Sequence[Any]], bias: Sequence[Any] | None = None,
                   place: str = "affine") -> "Affine":
        """Build from nested lists of numbers (see :func:`~polyregions.numbers.to_rational`).

        NumPy arrays, PyTorch tensors and anything else with a ``tolist()`` method are
        read through it; their floats become the exact binary values they hold.

        Examples
        --------
        >>> Affine.from_lists([[1, "1/2"]], [0]).weight
        ((Fraction(1, 1), Fraction(1, 2)),)
        """
        weight = _as_lists(weight)
        if isinstance(weight, (str, bytes)) or not isinstance(weight, Sequence) or not weight:
            raise NetworkError(f"{place}: weight must be a non-empty list of rows, got {_shown(weight)}")
        rows = []
        for i, row in enumerate(weight):
            row = _as_lists(row)
            if isinstance(row, (str, bytes)) or not isinstance(row, Sequence) or not row:
                raise NetworkError(f"{place}: weight[{i}] must be a non-empty list of numbers")
            rows.append(tuple(to_rational(v, f"{place}: weight[{i}][{j}]") for j, v in enumerate(row)))
        width = len(rows[0])
        for i, row in enumerate(rows):
            if len(row) != width:
                raise NetworkError(f"{place}: weight row {i} has {len(row)} entries, row 0 has {width}")
        if bias is None:
            b = tuple(Fraction(0) for _ in rows)
        else:
            bias = _as_lists(bias)
            if isinstance(bias, (str, bytes)) or not isinstance(bias, Sequence):
                raise NetworkError(f"{place}: bias must be a list of numbers")
            b = tuple(to_rational(v, f"{place}: bias[{i}]") for i, v in enumerate(bias))
            if len(b) != len(rows):
                raise NetworkError(f"{place}: bias has {len(b)} entries, weight has {len(rows)} rows")
        return cls(tuple(rows), b)

    @property
    def in_dim(self) -> int:
        return len(self.weight[0])

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

_SIGN_STATES = "+-0"


@dataclass(frozen=True, slots=True)
class Network:
    """A validated piecewise-linear network with exact rational parameters.

    Build it with :meth:`from_layers`, :meth:`mlp`, :meth:`from_json` or
    :func:`load_network`; ``__init__`` does not validate.

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> net
    Network(input_dim=2, layers=[Affine(2->2), ReLU(), Affine(2->1)])
    >>> net.output_dim
    1
    """

    input_dim: int
    layers: tuple[Layer, ...]

    @classmethod
    def from_layers(cls, input_dim: int, layers: Iterable[Layer]) -> "Network":
        """Validate layer shapes against *input_dim* and build the network."""
        if isinstance(input_dim, bool) or not isinstance(input_dim, int):
            raise NetworkError(f"input_dim must be an integer, got {input_dim!r}")
        if not 1 <= input_dim <= MAX_INPUT_DIM:
            raise NetworkError(f"input_dim must be between 1 and {MAX_INPUT_DIM}, got {input_dim}")
        if isinstance(layers, (str, bytes, dict)) or not isinstance(layers, Iterable):
            raise NetworkError(f"layers: expected a sequence of layers, got {type(layers).__name__}")
        layers = tuple(layers)
        if len(layers) > MAX_LAYERS:
            raise NetworkError(f"layers: {len(layers)} layers, more than the limit of {MAX_LAYERS:,}")
        width = input_dim
        parameters = 0
        for index, layer in enumerate(layers):
            place = f"layers[{index}]"
            if isinstance(layer, Affine):
                if layer.in_dim != width:
                    raise NetworkError(
                        f"{place}: weight has {layer.in_dim} columns, expected {width}")
                if len(layer.bias) != layer.out_dim:
                    raise NetworkError(
                        f"{place}: bias has {len(layer.bias)} entries, expected {layer.out_dim}")
                width = layer.out_dim
                parameters += layer.out_dim * (layer.in_dim + 1)
            elif isinstance(layer, Maxout):
                if isinstance(layer.rank, bool) or not isinstance(layer.rank, int) or layer.rank < 1:
                    raise NetworkError(f"{place}: maxout rank must be a positive integer, got {layer.rank!r}")
                if layer.rank > MAX_RANK:
                    raise NetworkError(f"{place}: maxout rank {layer.rank} exceeds the limit {MAX_RANK}")
                if width % layer.rank:
                    raise NetworkError(
                        f"{place}: maxout rank {layer.rank} does not divide the width {width}")
                width //= layer.rank
            elif isinstance(layer, HardTanh):
                if not layer.low < layer.high:
                    raise NetworkError(
                        f"{place}: hardtanh needs min < max, got min={format_rational(layer.low)} "
                        f"max={format_rational(layer.high)}")
            elif not isinstance(layer, (ReLU, LeakyReLU, Abs, Identity)):
                raise NetworkError(f"{place}: unknown layer {layer!r}")
            if width > MAX_WIDTH:
                raise NetworkError(f"{place}: width {width} exceeds the limit {MAX_WIDTH}")
            if parameters > MAX_PARAMETERS:
                raise NetworkError(f"{place}: more than {MAX_PARAMETERS} parameters")
        return cls(input_dim, layers)

    @classmethod
    def mlp(cls, weights: Sequence[Sequence[Sequence[Any]]], biases: Sequence[Sequence[Any]],
            activation: str = "relu", final_activation: str | None = None,
            **options: Any) -> "Network":
        """Affine layers with *activation* between them (and after the last if asked).

        *weights* are out x in matrices (nested lists, or NumPy arrays, PyTorch
        tensors and anything with ``tolist()``; floats are taken as the exact binary
        values they hold); *activation* is a layer type name of the file format
        (``"relu"``, ``"leaky_relu"``, ``"abs"``, ``"hardtanh"``, ``"maxout"``) and
        *options* its fields (``slope=...``, ``rank=...``). Each option goes to every
        activation layer whose type has that field (so ``activation="leaky_relu",
        slope="1/100", final_activation="relu"`` works); an option that neither type
        has is an error.

        Examples
        --------
        >>> import numpy as np
        >>> net = Network.mlp([np.eye(2), np.array([[0.5, -1.0]])], [np.zeros(2), [0]])
        >>> net.layers[2].weight
        ((Fraction(1, 2), Fraction(-1, 1)),)
        """
        weights, biases = _as_lists(weights), _as_lists(biases)
        for what, value in (("weights", weights), ("biases", biases)):
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
                raise NetworkError(f"mlp: {what} must be a list with one entry per affine layer, "
                                   f"got {_shown(value)}")
        if len(weights) != len(biases):
            raise NetworkError(f"mlp: {len(weights)} weight matrices but {len(biases)} bias vectors")
        if not weights:
            raise NetworkError("mlp: no layers")
        kinds = [activation] + ([final_activation] if final_activation is not None else [])
        fields = set().union(*(_FIELDS.get(kind, set()) for kind in kinds if isinstance(kind, str)))
        unused = sorted(set(options) - fields - {"type"})
        if unused and all(isinstance(kind, str) and kind in _FIELDS for kind in kinds):
            raise NetworkError(f"mlp: option(s) {', '.join(unused)} belong to no activation asked for "
                               f"({' and '.join(kinds)})")

        def activation_layer(kind: str, index: int) -> Activation:
            own = {k: v for k, v in options.items() if k in _FIELDS.get(kind, set()) or k not in fields}
            return _activation_from_json({"type": kind, **own}, index)

        layers: list[Layer] = []
        for i, (w, b) in enumerate(zip(weights, biases)):
            layers.append(Affine.from_lists(w, b, place=f"layers[{len(layers)}]"))
            if i < len(weights) - 1:
                layers.append(activation_layer(activation, len(layers)))
        if final_activation is not None:
            layers.append(activation_layer(final_activation, len(layers)))
        input_dim = layers[0].in_dim  # type: ignore[union-attr]
        return cls.from_layers(input_dim, layers)

    @classmethod
    def from_json(cls, obj: Any) -> "Network":
        """Build from a parsed ``polyregions-network/1`` object.

        Parse files with :func:`parse_json_exact` so that decimals stay exact.
        The file format is read by :func:`polyregions.fileformat.read_model`, the
        reader of the standalone checker too.
        """
        try:
            input_dim, layers = fileformat.read_model(obj, to_rational)
        except (FormatError, NumberError) as exc:
            raise NetworkError(str(exc)) from None
        return cls.from_layers(input_dim, [_from_tuple(layer) for layer in layers])

    def to_json(self) -> dict[str, Any]:
        """The ``polyregions-network/1`` object; numbers as exact ``"p/q"`` strings or ints."""
        return {"format": FORMAT, "input_dim": self.input_dim,
                "layers": [_layer_to_json(layer) for layer in self.layers]}

    def save(self, path: str | Path) -> None:
        """Write the JSON file atomically (temporary file, then rename)."""
        write_text_atomic(path, json.dumps(self.to_json()) + "\n")

    @property
    def output_dim(self) -> int:
        width = self.input_dim
        for layer in self.layers:
            if isinstance(layer, Affine):
                width = layer.out_dim
            elif isinstance(layer, Maxout):
                width //= layer.rank
        return width

    def widths(self) -> tuple[int, ...]:
        """Input dimension followed by the width after every affine layer."""
        out = [self.input_dim]
        for layer in self.layers:
            if isinstance(layer, Affine):
                out.append(layer.out_dim)
        return tuple(out)

    def __call__(self, x: Any) -> tuple[Fraction, ...]:
        """The outputs at the point *x*, exactly (see :func:`polyregions.forward.evaluate`).

        Examples
        --------
        >>> Network.mlp([[[1, -1]], [[2]]], [[0], ["1/2"]])([1, "1/3"])
        (Fraction(11, 6),)
        """
        from .forward import evaluate

        return evaluate(self, x)

    def pattern(self, x: Any) -> "PointPattern":
        """The activation pattern at *x* and the units on a breakpoint there.

        See :func:`polyregions.forward.point_pattern`.

        Examples
        --------
        >>> net = Network.mlp([[[1, -1]], [[2]]], [[0], ["1/2"]])
        >>> net.pattern([1, "1/3"]).key, net.pattern([1, 1]).ties
        ('+', (Tie(layer=1, unit=0, states=('+', '-'), index=1),))
        """
        from .forward import point_pattern

        return point_pattern(self, x)

    def __repr__(self) -> str:
        return f"Network(input_dim={self.input_dim}, layers=[{', '.join(map(repr, self.layers))}])"


def _as_lists(value: Any) -> Any:
    """Nested lists from an array-like (NumPy arrays, PyTorch tensors: anything with ``tolist()``)."""
    if not isinstance(value, (list, tuple, str, bytes)) and callable(getattr(value, "tolist", None)):
        return value.tolist()
    return value


def _shown(value: Any) -> str:
    """A short description of a value for an error message."""
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _json_type(value: Any) -> str:
    return fileformat.json_type(value)


_FIELDS = fileformat._FIELDS


def _from_tuple(layer: tuple) -> Layer:
    """A layer of :func:`polyregions.fileformat.read_model` as a layer object."""
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


def as_network(model: Any) -> "Network":
    """*model* as a :class:`Network`: a Network itself, else whatever
    :func:`polyregions.load_model` reads (a path to ``.json``, ``.onnx``, ``.pt``; a
    parsed JSON object; an ONNX model; a torch module)."""
    if isinstance(model, Network):
        return model
    from .io.models import load_model

    return load_model(model)


def takes_models(*names: str) -> Callable[[F], F]:
    """Let the parameters *names* of a library function be given as anything
    :func:`as_network` reads (so ``count_regions("model.onnx")`` works in a notebook)."""
    def wrap(func: F) -> F:
        params = list(inspect.signature(func).parameters)
        places = [(name, params.index(name)) for name in names]
        domain_place = params.index("domain") if "domain" in params else None

        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if places:
                args_list = list(args)
                for name, place in places:
                    if place < len(args_list):
                        args_list[place] = as_network(args_list[place])
                    elif name in kwargs:
                        kwargs[name] = as_network(kwargs[name])
                args = tuple(args_list)
            if domain_place is not None:
                domain = args[domain_place] if domain_place < len(args) else kwargs.get("domain")
                _check_domain_argument(domain)
            return func(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def _check_domain_argument(domain: Any) -> None:
    """A library call's *domain* must be None (all of R^n0) or a Domain."""
    if domain is None:
        return
    from .domain import Domain

    if not isinstance(domain, Domain):
        raise InputError(f"domain: expected a Domain (Domain.box, Domain.from_inequalities, load_domain) or None, "
                         f"got {type(domain).__name__}")


def _activation_from_json(raw: dict[str, Any], index: int) -> Activation:
    """An activation layer from its file-format object (for :meth:`Network.mlp`)."""
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS or kind == "affine":
        known = ", ".join(sorted(_FIELDS))
        raise NetworkError(f"layers[{index}]: unknown layer type {kind!r} (known: {known})")
    try:
        return _from_tuple(fileformat._layer(raw, index, to_rational))  # type: ignore[return-value]
    except (FormatError, NumberError) as exc:
        raise NetworkError(str(exc)) from None


def layer_type(layer: Layer) -> str:
    """The file format's name of a layer's type (``"affine"``, ``"leaky_relu"``, ...)."""
    return "affine" if isinstance(layer, Affine) else _layer_to_json(layer)["type"]


def _layer_to_json(layer: Layer) -> dict[str, Any]:
    def num(v: Fraction) -> Any:
        text = format_rational(v)
        # json.dumps cannot print ints longer than sys.get_int_max_str_digits(); a string is exact too.
        return v.numerator if v.denominator == 1 and len(text) <= 4000 else text

    if isinstance(layer, Affine):
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


def parse_json_exact(text: str, source: str = "input") -> Any:
    """Parse JSON text with decimals read as exact :class:`~decimal.Decimal`.

    The non-standard tokens ``NaN``, ``Infinity`` and ``-Infinity`` are read as the
    non-finite Decimals, which :func:`~polyregions.numbers.to_rational` rejects with
    a message naming the place (``layers[0] (affine): weight[0][1]``). Syntax errors
    name *source*, the line and the column. This is
    :func:`polyregions.fileformat.loads`, which the checker reads models with too.
    """
    try:
        return fileformat.loads(text, source)
    except FormatError as exc:
        raise InputError(str(exc)) from None


def read_text(path: str | Path, what: str = "file", limit: int = fileformat.MAX_MODEL_BYTES) -> str:
    """Read a UTF-8 file of at most *limit* bytes, turning OS errors into :class:`InputError`."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"{what}: expected a file path (str or Path), got {type(path).__name__}")
    try:
        return fileformat.read_file(path, what, limit)
    except FormatError as exc:
        message = str(exc)
        if "not a text file" in message or "not UTF-8 text" in message:
            kind = _binary_kind(path)
            if kind:
                message += f"; this looks like {kind}"
                if what == "model file":
                    message += ("; polyregions reads its own JSON format (polyregions-network/1): build the "
                                "network from the weights with Network.mlp(weights, biases) and save it "
                                "(README: 'Models from PyTorch and NumPy')")
        raise InputError(message) from None


#: Leading bytes of the binary files that people hand over first, and what they are.
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (a PyTorch .pt/.pth file saved by torch.save, or a .npz)"),
    (b"\x80", "a Python pickle (a PyTorch file in the legacy format, or a pickled object)"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"\x89HDF", "an HDF5 file (a Keras .h5 model)"),
)


def _binary_kind(path: str | Path) -> str | None:
    """What a binary file looks like from its first bytes (or its .onnx suffix), if known."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if Path(path).suffix.lower() == ".onnx":
        return "an ONNX model (protocol buffers)"
    return None


def load_network(path: str | Path) -> Network:
    """Read a ``polyregions-network/1`` file; errors name the file and the place."""
    obj = parse_json_exact(read_text(path, "model file"), str(path))
    try:
        return Network.from_json(obj)
    except NetworkError as exc:
        raise NetworkError(f"{path}: {exc}") from None
