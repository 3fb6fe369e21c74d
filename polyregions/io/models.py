"""One entry point for models: :func:`load_model` reads JSON, ONNX and PyTorch.

Every command that takes a ``MODEL`` reads it here, so ``.json``
(``polyregions-network/1``), ``.onnx`` and ``.pt``/``.pth`` files are accepted
everywhere; in Python, :func:`load_model` also takes a :class:`~polyregions.Network`,
a parsed JSON object, an ``onnx.ModelProto`` or a ``torch.nn.Module``.

The kind of a file comes from its extension, else from its first bytes. Whatever the
source, the result is the canonical exact network: certificates name the digest of
its JSON form (:meth:`~polyregions.Network.to_json`), so a certificate made from an
ONNX file checks against the JSON file that ``polyregions convert`` writes from it,
and the other way round.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from ..files import check_file_name, write_text_atomic
from ..errors import InputError
from ..core.domain import Domain
from ..core.network import Network, load_network
from .layers import check_input_dim, on_plane, rationalize_network
from .onnx import from_onnx, onnx_input_shape
from .torch import from_torch, load_torch

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["as_network", "takes_models", "check_domain_argument", "load_model", "model_kind", "save_model",
           "rationalize_note", "model_input_shape", "MODEL_SUFFIXES"]

#: File extensions and the kind of model they hold.
MODEL_SUFFIXES = {".json": "json", ".onnx": "onnx", ".pt": "torch", ".pth": "torch"}


def model_kind_of_name(path: str | Path) -> str | None:
    """The kind a file name's extension says (``"json"``, ``"onnx"``, ``"torch"``), or None.

    >>> model_kind_of_name("out.onnx"), model_kind_of_name("out.txt")
    ('onnx', None)
    """
    return MODEL_SUFFIXES.get(Path(path).suffix.lower())


def model_kind(path: str | Path) -> str:
    """``"json"``, ``"onnx"`` or ``"torch"``: from the extension, else from the first bytes.

    Examples
    --------
    >>> model_kind("examples/demo.json"), model_kind("net.ONNX"), model_kind("net.pth")
    ('json', 'onnx', 'torch')
    """
    named = model_kind_of_name(path)
    if named is not None:
        return named
    if Path(path).exists() and not Path(path).is_file():
        return "json"  # a pipe (/dev/stdin) can be read once: by the JSON reader, not by sniffing
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return "json"  # the JSON reader names the problem (no such file, a directory, ...)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\x80"):
        return "torch"
    if head[:1] == b"\x08":  # protobuf field 1 (ir_version), as every ONNX file starts
        return "onnx"
    return "json"


def rationalize_note(limit: int) -> str:
    """What every output says about a network read with ``--rationalize``.

    Examples
    --------
    >>> rationalize_note(100)
    'weights rationalized: every number snapped to the nearest rational with denominator <= 100 (a different network from the model file)'
    """
    return (f"weights rationalized: every number snapped to the nearest rational with denominator <= {limit} "
            "(a different network from the model file)")


def _is_torch_module(obj: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _is_onnx_model(obj: Any) -> bool:
    onnx = sys.modules.get("onnx")
    return onnx is not None and isinstance(obj, onnx.ModelProto)


def load_model(source: Any, *, input_dim: int | None = None, arch: str | None = None,
               rationalize: int | None = None, input_shape: Sequence[int] | None = None,
               plane: Sequence[Sequence[Any]] | None = None) -> Network:
    """The exact network of a model file or object.

    Parameters
    ----------
    source
        A path (``.json``, ``.onnx``, ``.pt``/``.pth``; other names by their first
        bytes), a :class:`~polyregions.Network`, a parsed ``polyregions-network/1``
        object, an ``onnx.ModelProto`` or a ``torch.nn.Module``.
    input_dim
        The input size: required where the model does not record it, checked against
        it where it does.
    arch
        The layers between the weights of a PyTorch state dict (see
        :func:`polyregions.io.torch.parse_arch`); only for state dicts.
    rationalize
        Snap every number to the nearest rational with denominator at most this
        (:func:`~polyregions.io.layers.rationalize_network`): a different network,
        which every output must say (:func:`rationalize_note`).
    input_shape
        ``(C, H, W)`` for a PyTorch module that starts with a convolution.
    plane
        Three input points ``(p0, p1, p2)``: the network restricted to the plane
        through them, a function of ``(s, t)``: the function of
        :func:`~polyregions.core.slices.slice_network`, with the plane's map composed into
        the layers before the first activation (:func:`~polyregions.io.layers.restrict`).
        For ONNX and PyTorch models those layers (affine, convolution, pooling, batch
        norm, flatten) act on the plane's base point and two directions only, so an image
        network of any input size loads as its 2-D restriction. With *rationalize* the
        whole network is read first (the rounding is of its weights).

    Examples
    --------
    >>> load_model("examples/demo.json")
    Network(input_dim=2, layers=[Affine(2->8), ReLU(), Affine(8->8), ReLU(), Affine(8->1), ReLU()])
    >>> load_model("examples/demo.json", input_dim=3)
    Traceback (most recent call last):
    ...
    polyregions.errors.InputError: examples/demo.json has 2 inputs, but --input-dim is 3
    """
    approximate = rationalize is not None
    lazy = plane if rationalize is None else None  # the importers' own slicing
    kind = None
    if isinstance(source, Network):
        network = source
    elif isinstance(source, dict):
        network = Network.from_json(source)
    elif _is_torch_module(source):
        kind = "torch"
        network = from_torch(source, input_dim, input_shape=input_shape, approximate_sqrt=approximate, plane=lazy)
    elif _is_onnx_model(source):
        kind = "onnx"
        network = from_onnx(source, input_dim, approximate_sqrt=approximate, plane=lazy)
    elif isinstance(source, (str, Path)):
        kind = model_kind(source)
        if kind == "onnx":
            network = from_onnx(source, input_dim, approximate_sqrt=approximate, plane=lazy)
        elif kind == "torch":
            network = load_torch(source, arch, input_dim, input_shape=input_shape, approximate_sqrt=approximate,
                                 plane=lazy)
        else:
            network = load_network(source)
    else:
        raise InputError(f"load_model: expected a path, a Network, a JSON object, an ONNX model or a torch "
                         f"module, got {type(source).__name__}")
    if arch is not None and kind != "torch":
        raise InputError("--arch: only for PyTorch state dicts (.pt/.pth); this model records its layers")
    if input_dim is not None and kind not in ("onnx", "torch"):
        what = str(source) if isinstance(source, (str, Path)) else "the network"
        check_input_dim(network.input_dim, input_dim, what)
    if rationalize is not None:
        network = rationalize_network(network, rationalize)
    if plane is not None and (kind not in ("onnx", "torch") or lazy is None):
        network = on_plane(network.layers, network.input_dim, plane)
    return network


def model_input_shape(source: Any, input_dim: int | None = None) -> tuple[int, ...] | None:
    """The shape of a model's input where the model records it (an ONNX file or model: ``(1, 28, 28)``
    for an image model), else None (JSON networks and PyTorch modules record a size only).

    >>> model_input_shape("examples/cnn.onnx"), model_input_shape("examples/demo.json")
    ((1, 28, 28), None)
    """
    if _is_onnx_model(source) or (isinstance(source, (str, Path)) and model_kind(source) == "onnx"):
        return onnx_input_shape(source, input_dim)
    return None


def save_model(network: Network, path: str | Path, description: str | None = None) -> None:
    """Write *network* as a ``polyregions-network/1`` file (atomically), with an optional description.

    The description is not part of the network: it does not change the digest that
    certificates name.
    """
    check_file_name(path)
    if model_kind_of_name(path) not in (None, "json"):
        raise InputError(f"{path}: save_model writes polyregions JSON (polyregions-network/1); name the file .json")
    if not isinstance(network, Network):
        raise InputError(f"save_model: expected a Network, got {type(network).__name__}")
    obj = network.to_json()
    if description:
        obj["description"] = description
    write_text_atomic(path, json.dumps(obj) + "\n")


def as_network(model: Any) -> Network:
    """*model* as a :class:`Network`: a Network itself, else whatever
    :func:`polyregions.load_model` reads (a path to ``.json``, ``.onnx``, ``.pt``; a
    parsed JSON object; an ONNX model; a torch module)."""
    if isinstance(model, Network):
        return model
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
                check_domain_argument(domain)
            return func(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def check_domain_argument(domain: Any) -> None:
    """A library call's *domain* must be None (all of R^n0) or a Domain."""
    if domain is None:
        return
    if not isinstance(domain, Domain):
        raise InputError(f"domain: expected a Domain (Domain.box, Domain.from_inequalities, load_domain) or None, "
                         f"got {type(domain).__name__}")
