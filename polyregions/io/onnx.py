"""Reading ONNX models into exact networks.

Supported operators (a chain from the one graph input to the one graph output,
plus the branches of an elementwise ``Max``):

- ``Gemm`` (``transA = 0``; ``alpha``, ``beta``, ``transB`` honoured), ``MatMul``
  with a constant matrix, and ``Add`` / ``Sub`` of a constant vector (merged into
  the affine layer before it);
- ``Relu``, ``LeakyRelu`` (``alpha``), ``Clip`` with both bounds (hard-tanh),
  ``Abs``;
- ``Identity``, ``Dropout`` (the identity at inference), ``Flatten``, ``Reshape``
  and ``Squeeze``;
- ``BatchNormalization`` in inference form, folded into the neighbouring affine
  layer (see :func:`polyregions.io.layers.batchnorm_affine` about square roots);
- maxout written as ``Reshape`` to ``(units, k)`` then ``ReduceMax`` over an axis,
  or as ``Max`` of ``k`` affine maps of one tensor;
- ``Conv`` (2-D, with ``pads``, ``strides``, ``dilations`` and ``group``) on an
  input of known size, an affine map (see :mod:`polyregions.io.imagemaps`): dense for the
  whole input space (practical for small inputs: an 8x8 image with a few channels),
  never dense on a slice before the first activation (``plane``);
- ``AveragePool`` and ``GlobalAveragePool`` (affine; ``count_include_pad`` as ONNX
  defines it), ``MaxPool`` (2-D, with ``pads``, ``strides``, ``dilations``;
  ``ceil_mode = 1`` only where it adds no window) and ``GlobalMaxPool`` (windows of
  at most 256 entries, the maxout rank limit): a maxout over each window. A ``Relu``
  before or after it stays a layer of its own (its units are activation units, as
  DESIGN.md defines the pattern), so the activation regions of a Conv-ReLU-MaxPool
  block are those of the literal network: the sign of every ReLU unit and the
  largest entry of every window;
- ``Add``, ``Sub`` and ``Sum`` of tensors computed from the input (residual
  connections), where that is exact without extra regions (see
  :func:`polyregions.io.residual.residual_sum`).

Every number is taken exactly: a float32 weight is the rational it denotes. Any
other operator is refused in one line naming the node and the operator. The
``onnx`` package is imported inside :func:`from_onnx` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError, NetworkError, NumberError, PolyregionsError, naming
from ..checker.fileformat import MAX_MODEL_BYTES, unreadable
from ..core.layers import Abs, Affine, HardTanh, LeakyReLU, Maxout, ReLU
from ..core.network import Network
from ..rationals import to_rational
from .imagemaps import Window, average_pool_map, conv2d_map, pool_windows
from .layers import Fold, batchnorm_layer, check_input_dim, finalize, max_pool, on_plane
from .residual import residual_sum

__all__ = ["from_onnx", "onnx_input_shape", "SUPPORTED_OPS", "require_onnx"]

SUPPORTED_OPS = ("Gemm", "MatMul", "Add", "Sub", "Relu", "LeakyRelu", "Clip", "Abs", "Identity",
                 "Dropout", "Flatten", "Reshape", "Squeeze", "BatchNormalization", "ReduceMax", "Max",
                 "Conv", "MaxPool", "GlobalMaxPool", "AveragePool", "GlobalAveragePool", "Sum", "Constant")

_MISSING = "reading ONNX models needs the onnx package: pip install -e '.[onnx]' (from the clone)"

#: The type of each attribute the reader reads (ONNX's names): a model giving another is refused.
_ATTRIBUTE_TYPES = {
    **dict.fromkeys(("transA", "transB", "axis", "keepdims", "training_mode", "group", "ceil_mode",
                     "count_include_pad", "storage_order"), "INT"),
    **dict.fromkeys(("strides", "pads", "dilations", "kernel_shape", "axes"), "INTS"),
    **dict.fromkeys(("alpha", "beta", "epsilon", "min", "max"), "FLOAT"),
    "auto_pad": "STRING", "value": "TENSOR"}
_TYPE_TEXT = {"INT": "an integer", "INTS": "a list of integers", "FLOAT": "a number", "STRING": "a string",
              "TENSOR": "a tensor"}
#: Attributes that are flags: 0 or 1.
_FLAGS = ("transA", "transB", "keepdims", "training_mode", "ceil_mode", "count_include_pad")
#: The inputs each operator needs (1 where not listed; the optional ones are not counted).
_MIN_INPUTS = {"Constant": 0, "Add": 2, "Sub": 2, "Gemm": 2, "MatMul": 2, "Reshape": 2, "Conv": 2,
               "BatchNormalization": 5}

def require_onnx() -> Any:
    """The ``onnx`` module, or :class:`InputError` with the install hint."""
    try:
        import onnx
    except ImportError:
        raise InputError(_MISSING) from None
    return onnx


@dataclass(frozen=True, slots=True)
class _Value:
    """A tensor of the graph: the layers that compute it from the input, and its shape.

    The shape leaves out the batch axis when the tensor has one (``batched``).
    """

    layers: tuple
    shape: tuple[int, ...]
    batched: bool


def _size(shape: Sequence[int]) -> int:
    out = 1
    for d in shape:
        out *= d
    return out


def _transposed(rows: list[list[Fraction]], columns: int) -> list[list[Fraction]]:
    """The transpose of a matrix of *columns* columns (given, so that no row keeps its size)."""
    return [[row[j] for row in rows] for j in range(columns)]


class _Reader:
    def __init__(self, model: Any, input_dim: int | None, approximate: bool, source: str,
                 plane: Sequence[Sequence[Any]] | None = None) -> None:
        from onnx import numpy_helper

        self.numpy_helper = numpy_helper
        self.source = source
        self.approximate = approximate
        self.plane = plane
        graph = model.graph
        self.graph = graph
        self.constants: dict[str, Any] = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.initializers = set(self.constants)  # the others come from Constant nodes
        inputs = [i for i in graph.input if i.name not in self.constants]
        if len(inputs) != 1:
            raise InputError(f"{source}: expected one graph input, found {len(inputs)} "
                             f"({', '.join(repr(i.name) for i in inputs) or 'none'})")
        first = self._input_value(inputs[0], input_dim)
        self.values: dict[str, _Value] = {inputs[0].name: first}
        self.input_shape = first.shape
        if len(graph.output) != 1:
            raise InputError(f"{source}: expected one graph output, found {len(graph.output)}")
        self.output = graph.output[0].name
        self.place = source  # the node being read, for messages

    # ---------------------------------------------------------------- helpers

    def _input_value(self, info: Any, input_dim: int | None) -> _Value:
        dims: list[int | None] = []
        tensor = info.type.tensor_type
        if tensor.HasField("shape"):
            for d in tensor.shape.dim:
                dims.append(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None)
        else:
            dims = [None, None]
        if len(dims) <= 1:
            found = dims[0] if dims else None
            return _Value((), (check_input_dim(found, input_dim, f"{self.source}: input {info.name!r}"),), False)
        rest = dims[1:]
        if len(rest) == 1:
            n = check_input_dim(rest[0], input_dim, f"{self.source}: input {info.name!r}")
            return _Value((), (n,), True)
        if any(d is None for d in rest):
            raise InputError(f"{self.source}: input {info.name!r} has shape {dims} with unknown sizes; "
                             "polyregions needs the size of every axis but the batch axis")
        shape = tuple(int(d) for d in rest)  # type: ignore[arg-type]
        check_input_dim(_size(shape), input_dim, f"{self.source}: input {info.name!r}")
        return _Value((), shape, True)

    def _place(self, node: Any, index: int) -> str:
        name = f"{node.name!r}" if node.name else f"#{index}"
        return f"node {name} ({node.op_type})"

    def _attr(self, node: Any, name: str, default: Any = None) -> Any:
        """Attribute *name* of *node* (else *default*), of the type ONNX defines for it."""
        from onnx import AttributeProto, helper

        for attribute in node.attribute:
            if attribute.name == name:
                wanted = _ATTRIBUTE_TYPES.get(name)
                got = AttributeProto.AttributeType.Name(attribute.type)
                if wanted is not None and got != wanted and not (wanted == "FLOAT" and got == "INT"):
                    raise InputError(f"{self.source}: {self.place}: attribute {name} must be {_TYPE_TEXT[wanted]} "
                                     f"({wanted}), got {got}")
                value = helper.get_attribute_value(attribute)
                if name in _FLAGS and value not in (0, 1):
                    raise InputError(f"{self.source}: {self.place}: attribute {name} must be 0 or 1, got {value}")
                return value
        return default

    def _const(self, name: str, place: str) -> Any:
        if name not in self.constants:
            raise InputError(f"{place}: input {name!r} must be a constant (an initializer), "
                             "not computed from the model's input")
        return self.constants[name]

    def _matrix(self, name: str, place: str, scale: Fraction = Fraction(1)) -> list[list[Fraction]]:
        """The constant matrix *name*, exactly (times *scale*), in its own layout: a bad
        entry is named by the tensor's name and its own indices, ``'W1'[2][3]``, however
        the operator transposes it."""
        matrix = self._const(name, place)
        what = "initializer" if name in self.initializers else "constant"
        values = matrix.tolist()
        try:
            rows = [[to_rational(v) for v in row] for row in values]
        except NumberError:  # again, naming the entry
            rows = [[to_rational(v, f"{place}: {what} {name!r}[{i}][{j}]") for j, v in enumerate(row)]
                    for i, row in enumerate(values)]
        return rows if scale == 1 else [[scale * v for v in row] for row in rows]

    def _value(self, name: str, place: str) -> _Value:
        if name not in self.values:
            if name in self.constants:
                raise InputError(f"{place}: input {name!r} is a constant where the data was expected")
            raise InputError(f"{place}: input {name!r} is not computed by any node before it")
        return self.values[name]

    def _vector(self, value: _Value, place: str) -> int:
        if len(value.shape) != 1:
            raise InputError(f"{place}: expected a vector input, got shape {list(value.shape)}; "
                             "flatten it first (Flatten, or Reshape to a vector)")
        return value.shape[0]

    # ---------------------------------------------------------------- operators

    def run(self) -> Network:
        for index, node in enumerate(self.graph.node):
            place = self._place(node, index)
            handler = getattr(self, f"_op_{node.op_type}", None)
            if handler is None or node.domain not in ("", "ai.onnx"):
                raise InputError(f"{self.source}: {place}: unsupported operator {node.op_type}"
                                 f"{' of domain ' + node.domain if node.domain not in ('', 'ai.onnx') else ''} "
                                 f"(supported: {', '.join(SUPPORTED_OPS)})")
            need = _MIN_INPUTS.get(node.op_type, 1)
            if len(node.input) < need or not all(node.input[:need]):
                raise InputError(f"{self.source}: {place}: {node.op_type} needs at least {need} input"
                                 f"{'s' if need > 1 else ''}, got {sum(1 for name in node.input if name)}")
            self.place = place
            try:
                result = handler(node, place)
            except PolyregionsError as exc:  # every message names the file, once
                raise naming(exc, self.source) from None
            if result is not None and node.output:
                self.values[node.output[0]] = result
        if self.output not in self.values:
            raise InputError(f"{self.source}: the graph output {self.output!r} is not computed from the input "
                             "(a truncated or incomplete model?)")
        value = self.values[self.output]
        if len(value.shape) != 1 and _size(value.shape) != max(value.shape):
            raise InputError(f"{self.source}: the output has shape {list(value.shape)}, expected a vector")
        input_dim = _size(self.input_shape)
        try:
            if self.plane is not None:
                return on_plane(value.layers, input_dim, self.plane)
            return Network.from_layers(input_dim, finalize(value.layers))
        except NetworkError as exc:
            raise NetworkError(f"{self.source}: {exc}") from None

    def _unary(self, node: Any, place: str, layer: Any) -> _Value:
        value = self._value(node.input[0], place)
        if layer is None:
            return value
        return _Value(value.layers + (layer,), value.shape, value.batched)

    def _op_Constant(self, node: Any, place: str) -> None:
        tensor = self._attr(node, "value")
        if tensor is None:
            raise InputError(f"{self.source}: {place}: only constants given as a tensor 'value' are supported")
        self.constants[node.output[0]] = self.numpy_helper.to_array(tensor)
        return None

    def _op_Relu(self, node: Any, place: str) -> _Value:
        return self._unary(node, place, ReLU())

    def _op_Abs(self, node: Any, place: str) -> _Value:
        return self._unary(node, place, Abs())

    def _op_LeakyRelu(self, node: Any, place: str) -> _Value:
        alpha = to_rational(self._attr(node, "alpha", 0.01), f"{place}: alpha")
        return self._unary(node, place, LeakyReLU(alpha))

    def _op_Clip(self, node: Any, place: str) -> _Value:
        bounds = []
        for position, name in ((1, "min"), (2, "max")):
            if len(node.input) > position and node.input[position]:
                bounds.append(self._const(node.input[position], place).reshape(-1).tolist()[0])
            else:
                bounds.append(self._attr(node, name))
        if bounds[0] is None or bounds[1] is None:
            raise InputError(f"{self.source}: {place}: Clip needs both min and max (it is read as hard-tanh)")
        low = to_rational(bounds[0], f"{place}: min")
        high = to_rational(bounds[1], f"{place}: max")
        if not low < high:
            raise InputError(f"{self.source}: {place}: Clip needs min < max, got {low} and {high}")
        return self._unary(node, place, HardTanh(low, high))

    def _op_Identity(self, node: Any, place: str) -> _Value:
        return self._unary(node, place, None)

    def _op_Dropout(self, node: Any, place: str) -> _Value:
        return self._unary(node, place, None)

    def _op_Flatten(self, node: Any, place: str) -> _Value:
        value = self._value(node.input[0], place)
        axis = self._attr(node, "axis", 1)
        if value.batched and axis not in (1, -len(value.shape)):
            raise InputError(f"{self.source}: {place}: only Flatten with axis 1 (keep the batch axis) is supported")
        return _Value(value.layers, (_size(value.shape),), value.batched)

    def _op_Squeeze(self, node: Any, place: str) -> _Value:
        value = self._value(node.input[0], place)
        if len(node.input) > 1 and node.input[1]:  # opset 13 on: the axes are an input
            axes = [int(v) for v in self._const(node.input[1], place).reshape(-1).tolist()]
        else:
            axes = self._attr(node, "axes", None)
        if axes is None:  # every axis of size 1 (the batch axis is kept)
            return _Value(value.layers, tuple(d for d in value.shape if d != 1) or (1,), value.batched)
        offset = 1 if value.batched else 0
        rank = len(value.shape) + offset
        drop = set()
        for axis in axes:
            if not -rank <= axis < rank:
                raise InputError(f"{self.source}: {place}: Squeeze axis {axis} is out of range for a tensor "
                                 f"of rank {rank}")
            axis %= rank
            if axis < offset:
                raise InputError(f"{self.source}: {place}: Squeeze axis {axis} would remove the batch axis")
            if value.shape[axis - offset] != 1:
                raise InputError(f"{self.source}: {place}: Squeeze axis {axis} has size "
                                 f"{value.shape[axis - offset]}, not 1")
            drop.add(axis - offset)
        shape = tuple(d for i, d in enumerate(value.shape) if i not in drop) or (1,)
        return _Value(value.layers, shape, value.batched)

    def _op_Reshape(self, node: Any, place: str) -> _Value:
        value = self._value(node.input[0], place)
        target = [int(v) for v in self._const(node.input[1], place).reshape(-1).tolist()]
        total = _size(value.shape)
        if value.batched:
            if not target or target[0] not in (0, -1, 1):
                raise InputError(f"{self.source}: {place}: Reshape to {target} changes the batch axis")
            if target[0] == -1 and -1 in target[1:]:
                raise InputError(f"{self.source}: {place}: Reshape to {target} has two unknown sizes")
            rest = target[1:]
        else:
            rest = target
        rest = [value.shape[i] if d == 0 and i < len(value.shape) else d for i, d in enumerate(rest)]
        if rest.count(-1) > 1:
            raise InputError(f"{self.source}: {place}: Reshape to {target} has two unknown sizes")
        known = _size([d for d in rest if d != -1])
        if -1 in rest:
            if known == 0 or total % known:
                raise InputError(f"{self.source}: {place}: cannot reshape {total} values to {target}")
            rest[rest.index(-1)] = total // known
        if _size(rest) != total or any(d <= 0 for d in rest):
            raise InputError(f"{self.source}: {place}: cannot reshape {total} values to {target}")
        return _Value(value.layers, tuple(rest) or (1,), value.batched)

    def _affine_value(self, value: _Value, affine: Affine, place: str) -> _Value:
        n = self._vector(value, place)
        if affine.in_dim != n:
            raise InputError(f"{self.source}: {place}: the weight takes {affine.in_dim} inputs, "
                             f"but its input has {n} (check --input-dim)")
        return _Value(value.layers + (affine,), (affine.out_dim,), value.batched)

    def _op_Gemm(self, node: Any, place: str) -> _Value:
        if self._attr(node, "transA", 0):
            raise InputError(f"{self.source}: {place}: transA = 1 is not supported (the data must be A)")
        value = self._value(node.input[0], place)
        b = self._const(node.input[1], place)
        if b.ndim != 2:
            raise InputError(f"{self.source}: {place}: B must be a matrix, got shape {list(b.shape)}")
        alpha = to_rational(self._attr(node, "alpha", 1.0), f"{place}: alpha")
        beta = to_rational(self._attr(node, "beta", 1.0), f"{place}: beta")
        entries = self._matrix(node.input[1], place, alpha)
        rows = entries if self._attr(node, "transB", 0) else _transposed(entries, b.shape[1])
        bias: list[Fraction] = [Fraction(0)] * len(rows)
        if len(node.input) > 2 and node.input[2]:
            c = self._const(node.input[2], place).reshape(-1).tolist()
            if len(c) == 1:
                c = c * len(rows)
            if len(c) != len(rows):
                raise InputError(f"{self.source}: {place}: C has {len(c)} entries, expected {len(rows)}")
            bias = [beta * to_rational(v, f"{place}: C[{i}]") for i, v in enumerate(c)]
        return self._affine_value(value, Affine.from_lists(rows, bias, place=place), place)

    def _op_MatMul(self, node: Any, place: str) -> _Value:
        value = self._value(node.input[0], place)
        w = self._const(node.input[1], place)
        if w.ndim != 2:
            raise InputError(f"{self.source}: {place}: the second input must be a matrix, got shape {list(w.shape)}")
        rows = _transposed(self._matrix(node.input[1], place), w.shape[1])  # y = x W: the weight is W's transpose
        return self._affine_value(value, Affine.from_lists(rows, None, place=place), place)

    def _op_Add(self, node: Any, place: str, sign: int = 1) -> _Value:
        first, second = node.input[0], node.input[1]
        if first not in self.constants and second not in self.constants:
            return self._residual(node, place, sign)
        if first in self.constants and second not in self.constants:
            if sign < 0:
                raise InputError(f"{self.source}: {place}: constant minus data is not supported")
            first, second = second, first
        value = self._value(first, place)
        n = _size(value.shape)
        c = self._const(second, place).reshape(-1).tolist()
        if len(c) == 1:
            c = c * n
        if len(c) != n:
            raise InputError(f"{self.source}: {place}: adds {len(c)} values to a tensor of {n}")
        eye = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
        shift = Affine.from_lists(eye, [sign * to_rational(v, f"{place}: B[{i}]") for i, v in enumerate(c)],
                                  place=place)
        return _Value(value.layers + (Fold(shift, node.op_type),), value.shape, value.batched)

    def _op_Sub(self, node: Any, place: str) -> _Value:
        return self._op_Add(node, place, sign=-1)

    def _op_Sum(self, node: Any, place: str) -> _Value:
        if len(node.input) == 2:
            return self._op_Add(node, place)
        if any(name in self.constants for name in node.input):
            raise InputError(f"{self.source}: {place}: Sum of {len(node.input)} tensors with a constant among them "
                             "is not supported (add the constant with Add)")
        total = self._value(node.input[0], place)
        for name in node.input[1:]:
            total = self._sum(total, self._value(name, place), place, 1)
        return total

    def _residual(self, node: Any, place: str, sign: int) -> _Value:
        return self._sum(self._value(node.input[0], place), self._value(node.input[1], place), place, sign)

    def _sum(self, a: _Value, b: _Value, place: str, sign: int) -> _Value:
        if a.shape != b.shape:
            raise InputError(f"{self.source}: {place}: adds tensors of shapes {list(a.shape)} and {list(b.shape)}; "
                             "broadcasting between two computed tensors is not supported")
        layers = residual_sum(a.layers, b.layers, _size(self.input_shape), f"{self.source}: {place}", sign)
        return _Value(tuple(layers), a.shape, a.batched)

    def _op_BatchNormalization(self, node: Any, place: str) -> _Value:
        value = self._value(node.input[0], place)
        if self._attr(node, "training_mode", 0):
            raise InputError(f"{self.source}: {place}: training mode; export the model in inference form")
        scale, bias, mean, var = (self._const(name, place).reshape(-1).tolist() for name in node.input[1:5])
        eps = self._attr(node, "epsilon", 1e-5)
        channels = value.shape[0]
        if len(mean) != channels:
            raise InputError(f"{self.source}: {place}: {len(mean)} channels, but the input has {channels}")
        layer = batchnorm_layer(value.shape, mean, var, scale, bias, eps, f"{self.source}: {place}", self.approximate)
        return _Value(value.layers + (layer,), value.shape, value.batched)

    def _reduce_axes(self, node: Any, place: str) -> list[int]:
        if len(node.input) > 1 and node.input[1]:
            return [int(v) for v in self._const(node.input[1], place).reshape(-1).tolist()]
        return list(self._attr(node, "axes", []) or [])

    def _op_ReduceMax(self, node: Any, place: str) -> _Value:
        value = self._value(node.input[0], place)
        axes = self._reduce_axes(node, place)
        keep = self._attr(node, "keepdims", 1)
        full = len(value.shape) + (1 if value.batched else 0)
        if len(axes) != 1:
            raise InputError(f"{self.source}: {place}: maxout needs ReduceMax over one axis, got axes {axes}")
        axis = axes[0] % full - (1 if value.batched else 0)
        if len(value.shape) != 2 or axis not in (0, 1):
            raise InputError(f"{self.source}: {place}: maxout is read from a Reshape to (units, k) "
                             f"then ReduceMax over one of those axes; got shape {list(value.shape)}")
        units, k = value.shape if axis == 1 else value.shape[::-1]
        layers = finalize(value.layers)
        if axis == 0:  # groups strided by k: reorder the rows of the affine map before it
            if not layers or not isinstance(layers[-1], Affine):
                raise InputError(f"{self.source}: {place}: ReduceMax over the first axis needs an affine "
                                 "layer right before the Reshape")
            last = layers[-1]
            rows, cols = value.shape  # rows = k candidates, cols = units
            order = [i * cols + j for j in range(cols) for i in range(rows)]
            layers[-1] = Affine(tuple(last.weight[r] for r in order), tuple(last.bias[r] for r in order))
        shape = ((units, 1) if axis == 1 else (1, units)) if keep else (units,)
        return _Value(tuple(layers) + (Maxout(k),), shape, value.batched)

    def _op_Max(self, node: Any, place: str) -> _Value:
        values = [self._value(name, place) for name in node.input]
        if len(values) == 1:
            return values[0]
        branches = [finalize(v.layers) for v in values]
        prefix = branches[0][:-1]
        if any(not b or not isinstance(b[-1], Affine) or b[:-1] != prefix for b in branches):
            raise InputError(f"{self.source}: {place}: maxout as Max needs affine maps (Gemm or MatMul) "
                             "of one and the same tensor")
        affines = [b[-1] for b in branches]
        units = affines[0].out_dim
        if any(a.out_dim != units for a in affines):
            raise InputError(f"{self.source}: {place}: the maps in Max have different widths")
        weight = tuple(a.weight[i] for i in range(units) for a in affines)
        bias = tuple(a.bias[i] for i in range(units) for a in affines)
        return _Value(tuple(prefix) + (Affine(weight, bias), Maxout(len(affines))), (units,), values[0].batched)

    def _op_Conv(self, node: Any, place: str) -> _Value:
        value = self._value(node.input[0], place)
        if len(value.shape) != 3:
            raise InputError(f"{self.source}: {place}: only 2-D convolutions on (channels, height, width) "
                             f"inputs are supported, got shape {list(value.shape)}")
        w = self._const(node.input[1], place)
        bias = self._const(node.input[2], place).reshape(-1).tolist() if len(node.input) > 2 and node.input[2] \
            else None
        conv, shape = conv2d_map(
            value.shape, w.tolist(), bias, place=f"{self.source}: {place}",
            strides=tuple(self._attr(node, "strides", [1, 1])), pads=tuple(self._attr(node, "pads", [0, 0, 0, 0])),
            dilations=tuple(self._attr(node, "dilations", [1, 1])), groups=self._attr(node, "group", 1),
            auto_pad=(self._attr(node, "auto_pad", b"NOTSET") or b"NOTSET"))
        return _Value(value.layers + (conv,), shape, value.batched)

    def _image(self, node: Any, place: str, known: Sequence[str]) -> _Value:
        """The (C, H, W) input of a pooling node, whose attributes must all be *known*."""
        for attribute in node.attribute:
            if attribute.name not in known:
                raise InputError(f"{self.source}: {place}: attribute {attribute.name} is not supported")
        if len(node.output) > 1 and any(node.output[1:]):
            raise InputError(f"{self.source}: {place}: only the first output (the pooled values) is supported, "
                             "not the indices")
        value = self._value(node.input[0], place)
        if len(value.shape) != 3:
            raise InputError(f"{self.source}: {place}: only 2-D pooling of (channels, height, width) inputs is "
                             f"supported, got shape {list(value.shape)}")
        return value

    def _windows(self, node: Any, place: str, value: _Value) -> tuple[list[Window], tuple[int, int, int]]:
        kernel = self._attr(node, "kernel_shape")
        if kernel is None:
            raise InputError(f"{self.source}: {place}: kernel_shape is missing")
        return pool_windows(value.shape, tuple(kernel), place=f"{self.source}: {place}",
                            strides=tuple(self._attr(node, "strides", [1, 1])),
                            pads=tuple(self._attr(node, "pads", [0, 0, 0, 0])),
                            dilations=tuple(self._attr(node, "dilations", [1, 1])),
                            ceil_mode=self._attr(node, "ceil_mode", 0),
                            auto_pad=(self._attr(node, "auto_pad", b"NOTSET") or b"NOTSET"))

    def _op_MaxPool(self, node: Any, place: str) -> _Value:
        value = self._image(node, place, ("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides",
                                          "storage_order"))
        windows, shape = self._windows(node, place, value)
        return self._pool_of(value, windows, shape, place)

    def _pool_of(self, value: _Value, windows: list[Window], shape: tuple[int, ...], place: str) -> _Value:
        """A maxout over each window of *value* (see :func:`polyregions.io.layers.max_pool`)."""
        layers = max_pool(windows, _size(value.shape), f"{self.source}: {place}")
        return _Value(value.layers + tuple(layers), shape, value.batched)

    def _op_AveragePool(self, node: Any, place: str) -> _Value:
        value = self._image(node, place, ("auto_pad", "ceil_mode", "count_include_pad", "dilations",
                                          "kernel_shape", "pads", "strides"))
        windows, shape = self._windows(node, place, value)
        average = average_pool_map(value.shape, windows, place=f"{self.source}: {place}",
                                   count_include_pad=self._attr(node, "count_include_pad", 0))
        return _Value(value.layers + (average,), shape, value.batched)

    def _op_GlobalMaxPool(self, node: Any, place: str) -> _Value:
        value = self._image(node, place, ())
        windows, shape = pool_windows(value.shape, value.shape[1:], place=f"{self.source}: {place}")
        return self._pool_of(value, windows, shape, place)

    def _op_GlobalAveragePool(self, node: Any, place: str) -> _Value:
        value = self._image(node, place, ())
        windows, shape = pool_windows(value.shape, value.shape[1:], place=f"{self.source}: {place}")
        average = average_pool_map(value.shape, windows, place=f"{self.source}: {place}")
        return _Value(value.layers + (average,), shape, value.batched)


def _refuse_external_data(model: Any, source: str) -> None:
    """Tensors kept in separate files are not read (a model file must not make polyregions
    open other files, wherever their paths point)."""
    tensors = [(t.name, t) for t in model.graph.initializer]
    for node in model.graph.node:
        tensors += [(f"{node.name or node.op_type}.{a.name}", a.t) for a in node.attribute if a.HasField("t")]
    for name, tensor in tensors:
        if tensor.data_location == 1:  # TensorProto.EXTERNAL
            where = next((e.value for e in tensor.external_data if e.key == "location"), "?")
            raise InputError(f"{source}: tensor {name} keeps its data in a separate file ({where}); polyregions "
                             "reads self-contained ONNX files (onnx.save_model(model, path, "
                             "save_as_external_data=False))")


def _model_proto(model: Any, source: str | None) -> tuple[Any, str]:
    """An ``onnx.ModelProto`` and the name of its source, from a model, its bytes or a path."""
    onnx = require_onnx()
    if isinstance(model, (str, Path)):
        source = source or str(model)
        try:
            with open(model, "rb") as handle:
                data = handle.read(MAX_MODEL_BYTES + 1)
            if len(data) > MAX_MODEL_BYTES:
                raise InputError(f"{model}: larger than the limit of {MAX_MODEL_BYTES >> 30} GiB for a model file")
        except OSError as exc:
            raise InputError(unreadable(model, "model file", exc)) from None
        model = data
    source = source or "ONNX model"
    if isinstance(model, (bytes, bytearray)):
        if not model:
            raise InputError(f"{source}: empty file, not an ONNX model")
        try:
            model = onnx.load_model_from_string(bytes(model))
        except Exception as exc:  # protobuf's DecodeError and friends
            raise InputError(f"{source}: not a valid ONNX model (truncated or corrupt?): "
                             f"{type(exc).__name__}: {str(exc)[:120]}") from None
    if not isinstance(model, onnx.ModelProto):
        raise InputError(f"expected an ONNX ModelProto, bytes or a path, got {type(model).__name__}")
    if not model.graph.node:
        raise InputError(f"{source}: the ONNX graph has no nodes (a truncated or empty model?)")
    return model, source


def onnx_input_shape(model: Any, input_dim: int | None = None, source: str | None = None) -> tuple[int, ...]:
    """The shape of an ONNX model's input without its batch axis: ``(1, 28, 28)`` for an image
    model, ``(2,)`` for a vector of two (the model is read, not converted).

    >>> onnx_input_shape("examples/cnn.onnx"), onnx_input_shape("examples/classifier.onnx")
    ((1, 28, 28), (2,))
    """
    model, source = _model_proto(model, source)
    return _Reader(model, input_dim, False, source).input_shape


def from_onnx(model: Any, input_dim: int | None = None, *, approximate_sqrt: bool = False,
              source: str | None = None, plane: Sequence[Sequence[Any]] | None = None) -> Network:
    """The exact network of an ONNX model.

    Parameters
    ----------
    model
        An ``onnx.ModelProto``, the bytes of one, or the path of a ``.onnx`` file.
    input_dim
        The input size, required when the file does not record it; when both are
        known they must agree.
    approximate_sqrt
        Allow irrational batch-norm square roots, taken to 256 bits (only for a
        network that is rounded afterwards: ``load_model(..., rationalize=D)``).
    plane
        Three input points ``(p0, p1, p2)``: the network restricted to the plane through
        them, as a function of ``(s, t)`` (as
        :func:`~polyregions.core.slices.slice_network` gives it); the layers before the
        first activation act on the plane's base point and two directions only, so a
        convolution there is never made dense, whatever the input's size.

    Examples
    --------
    >>> from onnx import helper, numpy_helper, TensorProto
    >>> import numpy as np
    >>> w = numpy_helper.from_array(np.array([[1.0, -0.5]], dtype=np.float32), "w")
    >>> graph = helper.make_graph(
    ...     [helper.make_node("Gemm", ["x", "w"], ["z"], transB=1), helper.make_node("Relu", ["z"], ["y"])],
    ...     "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 1])], initializer=[w])
    >>> from_onnx(helper.make_model(graph))
    Network(input_dim=2, layers=[Affine(2->1), ReLU()])
    """
    model, source = _model_proto(model, source)
    _refuse_external_data(model, source)
    try:
        return _Reader(model, input_dim, approximate_sqrt, source, plane).run()
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{source}: malformed ONNX model: {type(exc).__name__}: {str(exc)[:160]}") from None
