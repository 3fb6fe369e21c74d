"""Exact piecewise-linear networks and the ``polyregions-network/1`` format.

A :class:`Network` is an input dimension and a tuple of layers. Every number in it
is a :class:`~fractions.Fraction`; the constructors validate shapes and types and
raise :class:`~polyregions.errors.NetworkError` naming the layer at fault.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..checker import fileformat
from ..checker.fileformat import MAX_INPUT_DIM, MAX_LAYERS, MAX_PARAMETERS, MAX_RANK, MAX_WIDTH, FormatError
from ..errors import NetworkError, NumberError
from ..files import parse_json_exact, read_text, write_text_atomic
from ..rationals import format_rational, to_rational
from .forward import PointPattern, evaluate, point_pattern
from .sparse import SparseRows
from .layers import (FIELDS, Abs, Activation, Affine, HardTanh, Identity, Layer, LeakyReLU, Maxout, ReLU,
                     activation_from_json, as_lists, layer_from_tuple, layer_to_json, shown)

__all__ = ["FORMAT", "Affine", "ReLU", "LeakyReLU", "Abs", "HardTanh", "Maxout", "Identity", "Layer", "Activation",
           "Network", "load_network"]

FORMAT = "polyregions-network/1"

#: Limits beyond which a network is taken to be a mistake rather than a request
#: (defined in :mod:`polyregions.checker.fileformat`, which the checker reads models with too):
#: MAX_INPUT_DIM, MAX_WIDTH, MAX_PARAMETERS.


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
                weight = layer.weight
                weights = weight.nonzeros if isinstance(weight, SparseRows) else layer.out_dim * layer.in_dim
                parameters += weights + layer.out_dim
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
        weights, biases = as_lists(weights), as_lists(biases)
        for what, value in (("weights", weights), ("biases", biases)):
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
                raise NetworkError(f"mlp: {what} must be a list with one entry per affine layer, "
                                   f"got {shown(value)}")
        if len(weights) != len(biases):
            raise NetworkError(f"mlp: {len(weights)} weight matrices but {len(biases)} bias vectors")
        if not weights:
            raise NetworkError("mlp: no layers")
        kinds = [activation] + ([final_activation] if final_activation is not None else [])
        fields = set().union(*(FIELDS.get(kind, set()) for kind in kinds if isinstance(kind, str)))
        unused = sorted(set(options) - fields - {"type"})
        if unused and all(isinstance(kind, str) and kind in FIELDS for kind in kinds):
            raise NetworkError(f"mlp: option(s) {', '.join(unused)} belong to no activation asked for "
                               f"({' and '.join(kinds)})")

        def activation_layer(kind: str, index: int) -> Activation:
            own = {k: v for k, v in options.items() if k in FIELDS.get(kind, set()) or k not in fields}
            return activation_from_json({"type": kind, **own}, index)

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
        The file format is read by :func:`polyregions.checker.fileformat.read_model`, the
        reader of the standalone checker too.
        """
        try:
            input_dim, layers = fileformat.read_model(obj, to_rational)
        except (FormatError, NumberError) as exc:
            raise NetworkError(str(exc)) from None
        return cls.from_layers(input_dim, [layer_from_tuple(layer) for layer in layers])

    def to_json(self) -> dict[str, Any]:
        """The ``polyregions-network/1`` object; numbers as exact ``"p/q"`` strings or ints."""
        return {"format": FORMAT, "input_dim": self.input_dim,
                "layers": [_layer_json(index, layer) for index, layer in enumerate(self.layers)]}

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
        """The outputs at the point *x*, exactly (see :func:`polyregions.core.forward.evaluate`).

        Examples
        --------
        >>> Network.mlp([[[1, -1]], [[2]]], [[0], ["1/2"]])([1, "1/3"])
        (Fraction(11, 6),)
        """
        return evaluate(self, x)

    def pattern(self, x: Any) -> PointPattern:
        """The activation pattern at *x* and the units on a breakpoint there.

        See :func:`polyregions.core.forward.point_pattern`.

        Examples
        --------
        >>> net = Network.mlp([[[1, -1]], [[2]]], [[0], ["1/2"]])
        >>> net.pattern([1, "1/3"]).key, net.pattern([1, 1]).ties
        ('+', (Tie(layer=1, unit=0, states=('+', '-'), index=1),))
        """
        return point_pattern(self, x)

    def __repr__(self) -> str:
        return f"Network(input_dim={self.input_dim}, layers=[{', '.join(map(repr, self.layers))}])"


def load_network(path: str | Path) -> Network:
    """Read a ``polyregions-network/1`` file; errors name the file and the place."""
    obj = parse_json_exact(read_text(path, "model file"), str(path))
    try:
        return Network.from_json(obj)
    except NetworkError as exc:
        raise NetworkError(f"{path}: {exc}") from None


def _layer_json(index: int, layer: Layer) -> dict[str, Any]:
    """:func:`layer_to_json`, its refusal naming the layer."""
    try:
        return layer_to_json(layer)
    except NetworkError as exc:
        raise NetworkError(f"layers[{index}]: {exc}") from None
