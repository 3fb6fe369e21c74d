"""Reading PyTorch modules, ``.pt``/``.pth`` files and state dicts into exact networks.

:func:`from_torch` reads an ``nn.Sequential`` (nested Sequentials too) of
``Linear``, ``ReLU``, ``LeakyReLU``, ``Hardtanh`` (and ``ReLU6``), ``Identity``,
``Flatten``, ``Dropout`` (the identity at inference), ``BatchNorm1d`` and
``BatchNorm2d`` in eval mode (folded into the neighbouring affine layer), and on an
input of known shape ``Conv2d`` (an affine map; see :mod:`polyregions.io.imagemaps`),
``AvgPool2d``, ``AdaptiveAvgPool2d`` (to sizes that divide the input's), and
``MaxPool2d``, a maxout over each window (a ``ReLU`` before or after it stays a
layer of its own, as in the ONNX reader). Every weight is taken exactly: a
float32 or float64 tensor entry is the rational it denotes. Residual connections
need a ``forward()`` of their own, which polyregions cannot see: export such a model
to ONNX.

:func:`load_torch` reads a file written by ``torch.save``: a module as above, or a
state dict (also inside a checkpoint ``{"state_dict": ...}``) together with an
architecture string (``--arch``, see :func:`parse_arch`), since a state dict holds
weights but not the layers between them. Files are read with
``torch.load(weights_only=True)`` and only the module classes above allowed, so a
file cannot run code while it is read.

torch is imported inside these functions only; without it they say how to install it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Sequence

from ..errors import InputError, NetworkError, PolyregionsError, naming
from ..checker.fileformat import MAX_MODEL_BYTES
from ..core.layers import Abs, Affine, HardTanh, LeakyReLU, ReLU
from ..core.network import Network
from ..rationals import to_rational
from .imagemaps import ImageMap, Window, average_pool_map, conv2d_map, pool_windows
from .layers import Fold, batchnorm_affine, batchnorm_layer, check_input_dim, finalize, max_pool, on_plane

__all__ = ["from_torch", "load_torch", "from_state_dict", "parse_arch", "require_torch", "TORCH_VERSION"]

#: The torch release the ``torch`` extra and ``make test-torch`` install (a CPU build).
TORCH_VERSION = "2.13.0"

_MISSING = (f"reading PyTorch models needs torch: pip install torch=={TORCH_VERSION} "
            "(or pip install -e '.[torch]' from the clone; make test-torch does it)")

#: The module types :func:`from_torch` reads, by class name in ``torch.nn``.
SUPPORTED = ("Sequential", "Linear", "ReLU", "LeakyReLU", "Hardtanh", "ReLU6", "Identity", "Flatten",
             "Dropout", "BatchNorm1d", "BatchNorm2d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d")


def require_torch() -> Any:
    """The ``torch`` module, or :class:`InputError` with the install hint."""
    try:
        import torch
    except ImportError:
        raise InputError(_MISSING) from None
    return torch


def _lists(tensor: Any) -> Any:
    return tensor.detach().cpu().tolist()


class _Walker:
    def __init__(self, approximate: bool) -> None:
        self.approximate = approximate
        self.layers: list[Any] = []
        self.shape: tuple[int, ...] | None = None

    def walk(self, module: Any, path: str) -> None:
        torch = require_torch()
        nn = torch.nn
        name = type(module).__name__
        where = f"{path} ({name})" if path else name
        if isinstance(module, nn.Sequential):
            for child_name, child in module.named_children():
                self.walk(child, f"{path}.{child_name}" if path else child_name)
        elif isinstance(module, nn.Linear):
            if self.shape is not None and self.shape != (module.in_features,):
                raise InputError(f"{where}: takes {module.in_features} inputs, but its input has "
                                 f"{_shape_text(self.shape)} (check --input-dim)")
            bias = None if module.bias is None else _lists(module.bias)
            self.layers.append(Affine.from_lists(_lists(module.weight), bias, place=where))
            self.shape = (module.out_features,)
        elif isinstance(module, nn.Hardtanh):  # ReLU6 too
            self.layers.append(HardTanh(to_rational(module.min_val, f"{where}: min_val"),
                                        to_rational(module.max_val, f"{where}: max_val")))
        elif isinstance(module, nn.ReLU):
            self.layers.append(ReLU())
        elif isinstance(module, nn.LeakyReLU):
            self.layers.append(LeakyReLU(to_rational(module.negative_slope, f"{where}: negative_slope")))
        elif isinstance(module, (nn.Identity, nn.Dropout)):
            pass
        elif isinstance(module, nn.Flatten):
            if module.start_dim != 1 or module.end_dim != -1:
                raise InputError(f"{where}: only Flatten(start_dim=1, end_dim=-1) is supported")
            if self.shape is not None:
                self.shape = (_size(self.shape),)
        elif isinstance(module, nn.BatchNorm2d):
            image = self._image(where)
            if module.training:
                raise InputError(f"{where}: in training mode; call model.eval() first (batch norm is read "
                                 "in inference form, with its running statistics)")
            if module.running_mean is None or module.running_var is None:
                raise InputError(f"{where}: no running statistics (track_running_stats=False)")
            if image[0] != module.num_features:
                raise InputError(f"{where}: has {module.num_features} channels, but its input has "
                                 f"{_shape_text(image)}")
            gamma = None if module.weight is None else _lists(module.weight)
            beta = None if module.bias is None else _lists(module.bias)
            self.layers.append(batchnorm_layer(image, _lists(module.running_mean), _lists(module.running_var), gamma,
                                               beta, module.eps, where, self.approximate))
        elif isinstance(module, nn.MaxPool2d):
            image = self._image(where)
            if module.return_indices:
                raise InputError(f"{where}: return_indices=True is not supported")
            windows, shape = self._windows(module, image, where)
            self.layers += max_pool(windows, _size(image), where)
            self.shape = shape
        elif isinstance(module, nn.AvgPool2d):
            image = self._image(where)
            if module.divisor_override is not None:
                raise InputError(f"{where}: divisor_override is not supported")
            windows, shape = self._windows(module, image, where)
            self.layers.append(average_pool_map(image, windows, place=where,
                                                count_include_pad=int(module.count_include_pad)))
            self.shape = shape
        elif isinstance(module, nn.AdaptiveAvgPool2d):
            image = self._image(where)
            size = _pair(module.output_size)
            wanted = tuple(image[1 + i] if s is None else s for i, s in enumerate(size))
            if image[1] % wanted[0] or image[2] % wanted[1]:
                raise InputError(f"{where}: output size {wanted} does not divide the input's {image[1:]}; "
                                 "only adaptive pooling into equal windows is supported")
            kernel = (image[1] // wanted[0], image[2] // wanted[1])
            windows, shape = pool_windows(image, kernel, place=where, strides=kernel)
            self.layers.append(average_pool_map(image, windows, place=where))
            self.shape = shape
        elif isinstance(module, nn.BatchNorm1d):
            if module.training:
                raise InputError(f"{where}: in training mode; call model.eval() first (batch norm is read "
                                 "in inference form, with its running statistics)")
            if module.running_mean is None or module.running_var is None:
                raise InputError(f"{where}: no running statistics (track_running_stats=False)")
            gamma = None if module.weight is None else _lists(module.weight)
            beta = None if module.bias is None else _lists(module.bias)
            if self.shape is not None and self.shape != (module.num_features,):
                raise InputError(f"{where}: has {module.num_features} features, but its input has "
                                 f"{_shape_text(self.shape)}")
            self.layers.append(batchnorm_affine(_lists(module.running_mean), _lists(module.running_var), gamma,
                                                beta, module.eps, where, self.approximate))
            self.shape = (module.num_features,)
        elif isinstance(module, nn.Conv2d):
            if self.shape is None or len(self.shape) != 3:
                raise InputError(f"{where}: a convolution needs the input's shape (channels, height, width): "
                                 "pass input_shape=(C, H, W)")
            if module.padding_mode != "zeros" or isinstance(module.padding, str):
                raise InputError(f"{where}: only zero padding given as numbers is supported")
            ph, pw = module.padding
            bias = None if module.bias is None else _lists(module.bias)
            conv, shape = conv2d_map(self.shape, _lists(module.weight), bias, place=where,
                                     strides=module.stride, pads=(ph, pw, ph, pw),
                                     dilations=module.dilation, groups=module.groups)
            self.layers.append(conv)
            self.shape = shape
        else:
            custom = type(module).forward is not nn.Module.forward and not type(module).__module__.startswith("torch.")
            hint = (" (a module with its own forward(): polyregions cannot see the order of its layers nor "
                    "its skip connections; build it as nn.Sequential, or export it to ONNX)") if custom else ""
            raise InputError(f"{where}: unsupported module{hint}; supported: nn.Sequential of "
                             f"{', '.join(SUPPORTED[1:])}")

    def _image(self, where: str) -> tuple[int, int, int]:
        if self.shape is None or len(self.shape) != 3:
            got = "an unknown shape" if self.shape is None else _shape_text(self.shape)
            raise InputError(f"{where}: needs a (channels, height, width) input, got {got}; pass "
                             "input_shape=(C, H, W)")
        return self.shape  # type: ignore[return-value]

    def _windows(self, module: Any, image: tuple[int, int, int], where: str
                 ) -> tuple[list[Window], tuple[int, int, int]]:
        kernel = _pair(module.kernel_size)
        stride = _pair(module.stride) if module.stride not in (None, (), []) else kernel
        ph, pw = _pair(module.padding)
        dilation = _pair(getattr(module, "dilation", 1))
        return pool_windows(image, kernel, place=where, strides=stride, pads=(ph, pw, ph, pw), dilations=dilation,
                            ceil_mode=int(module.ceil_mode))


def _pair(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _size(shape: Sequence[int]) -> int:
    out = 1
    for d in shape:
        out *= d
    return out


def _shape_text(shape: Sequence[int]) -> str:
    return f"{shape[0]} values" if len(shape) == 1 else f"shape {tuple(shape)}"


def _first_width(layers: Sequence[Any]) -> int | None:
    for layer in layers:
        if isinstance(layer, Affine):
            return layer.in_dim
        if isinstance(layer, Fold):
            return layer.affine.in_dim
        if isinstance(layer, ImageMap):
            return layer.in_dim
    return None


def from_torch(module: Any, input_dim: int | None = None, *, input_shape: Sequence[int] | None = None,
               approximate_sqrt: bool = False, plane: Sequence[Sequence[Any]] | None = None) -> Network:
    """The exact network of a PyTorch ``nn.Sequential``.

    Parameters
    ----------
    module
        An ``nn.Sequential`` (nested ones too) of the supported layers (module docstring).
    input_dim
        The input size; taken from the first linear layer when omitted, and checked
        against it when given.
    input_shape
        ``(C, H, W)`` for a network that starts with ``Conv2d``.
    approximate_sqrt
        Allow irrational batch-norm square roots (taken to 256 bits), for a network
        that is rounded afterwards (``load_model(..., rationalize=D)``).
    plane
        Three input points: the network restricted to the plane through them (see
        :func:`polyregions.io.onnx.from_onnx`); convolutions, pooling and batch norm
        before the first activation are then never made dense.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> layer = nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.tensor([[0.5, -0.25]])), layer.bias.fill_(0.1)
    >>> net = from_torch(nn.Sequential(layer, nn.ReLU()))
    >>> net
    Network(input_dim=2, layers=[Affine(2->1), ReLU()])
    >>> net.layers[0].bias    # the float32 nearest 0.1, exactly
    (Fraction(13421773, 134217728),)
    """
    torch = require_torch()
    if not isinstance(module, torch.nn.Module):
        raise InputError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    walker = _Walker(approximate_sqrt)
    if input_shape is not None:
        walker.shape = tuple(int(d) for d in input_shape)
        check_input_dim(_size(walker.shape), input_dim, "input_shape")
    elif input_dim is not None:
        check_input_dim(None, input_dim, "model")
        walker.shape = (input_dim,)
    walker.walk(module, "")
    if input_shape is not None:
        n = _size(tuple(int(d) for d in input_shape))
    else:
        n = check_input_dim(_first_width(walker.layers), input_dim, "the first linear layer")
    if not walker.layers:
        raise InputError("from_torch: the module has no layers")
    try:
        if plane is not None:
            return on_plane(walker.layers, n, plane)
        return Network.from_layers(n, finalize(walker.layers))
    except NetworkError as exc:
        raise NetworkError(f"from_torch: {exc}") from None


# ------------------------------------------------------------------------- architectures

_ACTIVATIONS = ("relu", "leaky_relu", "abs", "hardtanh", "identity")
_TOKENS = ("linear", "batchnorm", "dropout", "flatten") + _ACTIVATIONS


def _token(text: str, place: str) -> tuple:
    name, _, argument = text.strip().partition("=")
    name = name.strip().lower()
    if name not in _TOKENS:
        raise InputError(f"{place}: unknown layer {text.strip()!r} (known: {', '.join(_TOKENS)}, and mlp:ACT)")
    if name == "leaky_relu":
        return (name, to_rational(argument or "1/100", f"{place}: leaky_relu slope"))
    if name == "hardtanh":
        low, sep, high = (argument or "-1..1").partition("..")
        if not sep:
            raise InputError(f"{place}: hardtanh=MIN..MAX, got {text.strip()!r}")
        return (name, to_rational(low, f"{place}: hardtanh min"), to_rational(high, f"{place}: hardtanh max"))
    if name == "batchnorm":
        return (name, to_rational(argument or "1e-5", f"{place}: batchnorm eps"))
    if argument:
        raise InputError(f"{place}: {name} takes no parameter, got {text.strip()!r}")
    return (name,)


def parse_arch(text: str, linear_layers: int | None = None) -> list[tuple]:
    """The layers an architecture string names, in order.

    Either a comma-separated list of layers (``linear,relu,linear``), or
    ``mlp:ACT`` (every weight matrix of the state dict a linear layer, ``ACT``
    between consecutive ones) or ``mlp:ACT:FINAL`` (and ``FINAL`` after the last).
    Layers: ``linear``, ``relu``, ``leaky_relu=SLOPE`` (default 1/100), ``abs``,
    ``hardtanh=MIN..MAX`` (default -1..1), ``identity``, ``dropout``, ``flatten``,
    ``batchnorm=EPS`` (a BatchNorm1d; default eps 1e-5, which a state dict does not
    record). ``mlp`` needs *linear_layers*, the number of weight matrices.

    Examples
    --------
    >>> parse_arch("linear,relu,linear")
    [('linear',), ('relu',), ('linear',)]
    >>> parse_arch("mlp:leaky_relu=0.1:relu", linear_layers=2)
    [('linear',), ('leaky_relu', Fraction(1, 10)), ('linear',), ('relu',)]
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError("--arch: empty architecture")
    if text.strip().lower().startswith("mlp:"):
        parts = text.strip()[4:].split(":")
        if len(parts) > 2 or not parts[0]:
            raise InputError(f"--arch: expected mlp:ACT or mlp:ACT:FINAL, got {text!r}")
        between = _token(parts[0], "--arch")
        final = _token(parts[1], "--arch") if len(parts) == 2 else None
        for token in (between, final):
            if token is not None and token[0] not in _ACTIVATIONS:
                raise InputError(f"--arch: {token[0]} is not an activation (mlp:ACT takes one of "
                                 f"{', '.join(_ACTIVATIONS)})")
        if linear_layers is None or linear_layers < 1:
            raise InputError("--arch mlp:...: the state dict holds no weight matrix")
        out: list[tuple] = []
        for i in range(linear_layers):
            out.append(("linear",))
            if i < linear_layers - 1:
                out.append(between)
        if final is not None:
            out.append(final)
        return out
    return [_token(part, "--arch") for part in text.split(",")]


def _groups(state: dict, source: str) -> list[tuple[str, dict]]:
    """The state dict's tensors grouped by module prefix, in the dict's order."""
    if not hasattr(state, "items"):
        raise InputError(f"{source}: expected a state dict (a mapping of names to tensors), got {type(state).__name__}")
    groups: dict[str, dict] = {}
    for key, value in state.items():
        if not isinstance(key, str):
            raise InputError(f"{source}: state dict key {key!r} is not a string")
        prefix, _, field = key.rpartition(".")
        if field == "num_batches_tracked":
            continue
        if not hasattr(value, "tolist") or not hasattr(value, "dim"):
            raise InputError(f"{source}: state dict entry {key!r} is not a tensor")
        groups.setdefault(prefix, {})[field] = value
    return list(groups.items())


def from_state_dict(state: dict, arch: str, input_dim: int | None = None, *, source: str = "state dict",
                    approximate_sqrt: bool = False) -> Network:
    """The network of a state dict and an architecture string (see :func:`parse_arch`).

    The tensors are grouped by module prefix (``fc0.weight``, ``fc0.bias`` ->
    ``fc0``) in the state dict's order; each ``linear`` takes the next group with a
    2-D ``weight`` (and optional ``bias``), each ``batchnorm`` the next group with
    ``running_mean`` and ``running_var``, and every group must be used.
    """
    groups = _groups(state, source)
    matrices = sum(1 for _, g in groups if "weight" in g and g["weight"].dim() == 2)
    tokens = parse_arch(arch, matrices)
    layers: list[Any] = []
    queue = list(groups)
    for token in tokens:
        kind = token[0]
        if kind in ("linear", "batchnorm"):
            if not queue:
                raise InputError(f"{source}: --arch {arch!r} asks for more layers with weights than the state "
                                 f"dict holds ({len(groups)} groups of tensors)")
            prefix, group = queue.pop(0)
            where = f"{source}: {prefix or '(top level)'}"
            if kind == "linear":
                weight = group.get("weight")
                if weight is None or weight.dim() != 2 or set(group) - {"weight", "bias"}:
                    raise InputError(f"{where}: expected a linear layer (a 2-D weight and a bias), got tensors "
                                     f"{', '.join(f'{k} {tuple(v.shape)}' for k, v in group.items())}")
                bias = group.get("bias")
                layers.append(Affine.from_lists(_lists(weight), None if bias is None else _lists(bias), place=where))
            else:
                if "running_mean" not in group or "running_var" not in group:
                    raise InputError(f"{where}: expected a batch norm (running_mean, running_var), got tensors "
                                     f"{', '.join(sorted(group))}")
                gamma = _lists(group["weight"]) if "weight" in group else None
                beta = _lists(group["bias"]) if "bias" in group else None
                layers.append(batchnorm_affine(_lists(group["running_mean"]), _lists(group["running_var"]),
                                               gamma, beta, token[1], where, approximate_sqrt))
        elif kind == "relu":
            layers.append(ReLU())
        elif kind == "leaky_relu":
            layers.append(LeakyReLU(token[1]))
        elif kind == "abs":
            layers.append(Abs())
        elif kind == "hardtanh":
            layers.append(HardTanh(token[1], token[2]))
    if queue:
        raise InputError(f"{source}: --arch {arch!r} leaves tensors unused: "
                         f"{', '.join(prefix or '(top level)' for prefix, _ in queue)}")
    layers = finalize(layers)
    n = check_input_dim(_first_width(layers), input_dim, f"{source}: the first linear layer")
    try:
        return Network.from_layers(n, layers)
    except NetworkError as exc:
        raise NetworkError(f"{source}: {exc}") from None


def _allowed_classes(torch: Any) -> list:
    """The module classes a saved module may consist of (loaded with weights_only=True)."""
    return [getattr(torch.nn, name) for name in SUPPORTED]


def _is_torchscript(path: str | Path) -> bool:
    """True for a zip archive written by ``torch.jit.save`` (it holds compiled code)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/constants.pkl") or "/code/" in name for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def load_torch(path: str | Path, arch: str | None = None, input_dim: int | None = None, *,
               input_shape: Sequence[int] | None = None, approximate_sqrt: bool = False,
               plane: Sequence[Sequence[Any]] | None = None) -> Network:
    """The network in a ``.pt``/``.pth`` file: a saved module, or a state dict with *arch*.

    The file is read with ``torch.load(weights_only=True)``, allowing only the
    module classes that :func:`from_torch` reads, so reading it runs no code from it.
    A checkpoint dict with a ``"state_dict"`` (or ``"model_state_dict"``) entry is
    read as that state dict; a ``"model"`` entry holding a module as that module.
    """
    source = str(path)
    if not Path(path).exists():  # a wrong path first: installing torch would not help
        raise InputError(f"{path}: no such model file")
    if Path(path).is_dir():
        raise InputError(f"{path}: is a directory, expected a model file")
    if Path(path).is_file() and Path(path).stat().st_size > MAX_MODEL_BYTES:
        raise InputError(f"{path}: larger than the limit of {MAX_MODEL_BYTES >> 30} GiB for a model file")
    torch = require_torch()
    if _is_torchscript(path):
        raise InputError(f"{path}: a TorchScript archive (torch.jit.save); polyregions reads modules saved with "
                         "torch.save(model) and state dicts, without running code from the file")
    allowed = _allowed_classes(torch)
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(source)
    except Exception:  # not a zip checkpoint (legacy format, or not a torch file): torch.load says more
        unsafe = []
    names = {f"{c.__module__}.{c.__qualname__}" for c in allowed}
    foreign = [g for g in unsafe if g not in names]
    if foreign:
        raise InputError(f"{path}: holds {', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}, which "
                         f"polyregions does not read; save an nn.Sequential of {', '.join(SUPPORTED[1:])}, or "
                         "its state_dict() and pass --arch (README: Bring your own model)")
    try:
        with torch.serialization.safe_globals(allowed), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's warnings about pickle protocols are not ours to print
            obj = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:
        text = " ".join(str(exc).split())
        if "WeightsUnpickler error:" in text:  # torch's safe unpickler refused something in the file
            reason = text.split("WeightsUnpickler error:", 1)[1].split(" Check the documentation")[0].strip()
            raise InputError(f"{path}: not a PyTorch file that polyregions can read: the safe unpickler refused "
                             f"it ({reason[:120]}); polyregions runs no code from a model file") from None
        raise InputError(f"{path}: not a PyTorch file that polyregions can read: {type(exc).__name__}: "
                         f"{text[:160]}") from None
    if isinstance(obj, dict):
        for key in ("model",):
            if isinstance(obj.get(key), torch.nn.Module):
                obj = obj[key]
                break
    if isinstance(obj, torch.nn.Module):
        if arch is not None:
            raise InputError(f"{path}: holds a module ({type(obj).__name__}), which has its own layers; "
                             "drop --arch")
        try:
            return from_torch(obj, input_dim, input_shape=input_shape, approximate_sqrt=approximate_sqrt,
                              plane=plane)
        except PolyregionsError as exc:  # the message names the file
            raise naming(exc, str(path)) from None
    if isinstance(obj, dict):
        state = obj
        for key in ("state_dict", "model_state_dict"):
            if isinstance(obj.get(key), dict):
                state = obj[key]
                break
        if not any(hasattr(v, "dim") for v in state.values()):
            raise InputError(f"{path}: a dict without tensors (keys {', '.join(map(str, list(obj)[:5]))}); "
                             "expected a module, a state dict or a checkpoint with 'state_dict'")
        if arch is None:
            keys = ", ".join(list(map(str, state))[:4])
            raise InputError(f"{path}: a state dict (keys {keys}, ...) holds weights but not the layers between "
                             "them; pass --arch, e.g. --arch mlp:relu (ReLU between linear layers) or "
                             "--arch linear,relu,linear,relu (README: Bring your own model)")
        network = from_state_dict(state, arch, input_dim, source=source, approximate_sqrt=approximate_sqrt)
        if plane is None:
            return network
        return on_plane(network.layers, network.input_dim, plane)
    raise InputError(f"{path}: holds a {type(obj).__name__}; expected a module, a state dict or a checkpoint "
                     "with 'state_dict'")
