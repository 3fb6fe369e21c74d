"""polyregions: exact linear regions of piecewise-linear neural networks.

Everything a notebook needs is here, in one import::

    import polyregions as pr
    net = pr.load_model("model.onnx")          # or .json, .pt/.pth, or pr.from_torch(module)
    pr.count_regions(net, pr.Domain.box(2, -1, 1))

Models: :func:`load_model`, :func:`from_torch`, :func:`from_onnx`, :class:`Network`.
Domains: :class:`Domain`. Counting and regions: :func:`count_regions`,
:func:`enumerate_regions`, :func:`region_containing`, :func:`regions_table`. Graphs:
:func:`region_graph`, :func:`linear_region_graph`. Pictures: :func:`plot_regions`
(inline PNG), :class:`Explorer` (interactive HTML). Proofs: :func:`certify`,
:func:`check_certificate`. Exact answers: :func:`maximize`, :func:`verify_property` (with
:func:`load_property`), :func:`lipschitz_constant`, :func:`equivalent`,
:func:`decision_boundary`. Results show as small tables in Jupyter.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# The package's names are imported when first used (PEP 562), so that ``import
# polyregions`` (and every ``polyregions.<module>`` import, the CLI's and each worker
# process's included) does not load networkx and the drawing code for a count.
# ``certify`` is both a module and a function: the function is bound here at once, so
# that importing the module later cannot shadow it.
from .certify import certify
from .errors import (BreakpointError, DomainError, InputError, NetworkError, NumberError,
                     PolyregionsError, SolverError, UnsupportedError)

#: name -> (module, attribute)
_LAZY = {
    "check_certificate": ("certify", "check_network_certificate"),
    "decision_boundary": ("boundary", "decision_boundary"),
    "RegionCounts": ("counting", "RegionCounts"), "count_regions": ("counting", "count_regions"),
    "plot_regions": ("display", "plot_regions"), "region_volume": ("display", "region_volume"),
    "regions_table": ("display", "regions_table"),
    "Domain": ("domain", "Domain"), "load_domain": ("domain", "load_domain"),
    "enumerate_regions": ("engine", "enumerate_regions"),
    "equivalent": ("equivalence", "equivalent"),
    "Explorer": ("explorer", "Explorer"),
    "region_containing": ("forward", "region_containing"),
    "linear_region_graph": ("graph", "linear_region_graph"), "region_graph": ("graph", "region_graph"),
    "from_onnx": ("io", "from_onnx"), "from_torch": ("io", "from_torch"), "load_model": ("io", "load_model"),
    "rationalize_network": ("io", "rationalize_network"), "save_model": ("io", "save_model"),
    "lipschitz_constant": ("lipschitz", "lipschitz_constant"),
    **{name: ("network", name) for name in ("Abs", "Affine", "HardTanh", "Identity", "LeakyReLU", "Maxout",
                                            "Network", "ReLU", "load_network")},
    "to_rational": ("numbers", "to_rational"),
    "maximize": ("optimize", "maximize"),
    "verify_property": ("verify", "verify_property"),
    "load_property": ("vnnlib", "load_property"),
}

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from .boundary import decision_boundary
    from .certify import check_network_certificate as check_certificate
    from .counting import RegionCounts, count_regions
    from .display import plot_regions, region_volume, regions_table
    from .domain import Domain, load_domain
    from .engine import enumerate_regions
    from .equivalence import equivalent
    from .explorer import Explorer
    from .forward import region_containing
    from .graph import linear_region_graph, region_graph
    from .io import from_onnx, from_torch, load_model, rationalize_network, save_model
    from .lipschitz import lipschitz_constant
    from .network import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, Network, ReLU, load_network
    from .numbers import to_rational
    from .optimize import maximize
    from .verify import verify_property
    from .vnnlib import load_property


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'polyregions' has no attribute {name!r}") from None
    value = getattr(import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"

__all__ = ["load_model", "from_torch", "from_onnx", "save_model", "rationalize_network", "Network",
           "load_network", "Affine", "ReLU", "LeakyReLU", "Abs", "HardTanh", "Maxout", "Identity", "Domain",
           "load_domain", "count_regions", "RegionCounts", "enumerate_regions", "region_containing",
           "regions_table", "region_volume", "region_graph", "linear_region_graph", "plot_regions",
           "Explorer", "certify", "check_certificate", "maximize", "verify_property", "load_property",
           "lipschitz_constant", "equivalent", "decision_boundary", "to_rational", "PolyregionsError", "InputError",
           "NumberError", "NetworkError", "DomainError", "BreakpointError", "UnsupportedError", "SolverError",
           "__version__"]
