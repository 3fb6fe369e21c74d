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

from ._version import __version__
from .errors import (BreakpointError, DomainError, InputError, NetworkError, NumberError,
                     PolyregionsError, SolverError, UnsupportedError)

# The package's names are imported when first used (PEP 562), so that ``import
# polyregions`` (and every ``polyregions.<module>`` import, the CLI's and each worker
# process's included) does not load networkx and the drawing code for a count.
#: name -> (module, attribute)
_LAZY = {
    "certify": ("certificates.regions", "certify"),
    "check_certificate": ("certificates.regions", "check_network_certificate"),
    "decision_boundary": ("queries.boundary", "decision_boundary"),
    "RegionCounts": ("queries.count", "RegionCounts"), "count_regions": ("queries.count", "count_regions"),
    "plot_regions": ("views.notebook", "plot_regions"), "region_volume": ("search.regions", "region_volume"),
    "regions_table": ("views.notebook", "regions_table"),
    "Domain": ("core.domain", "Domain"), "load_domain": ("core.domain", "load_domain"),
    "enumerate_regions": ("search.engine", "enumerate_regions"),
    "equivalent": ("queries.equivalence", "equivalent"),
    "Explorer": ("views.explorer", "Explorer"),
    "region_containing": ("queries.point", "region_containing"),
    "linear_region_graph": ("queries.graph", "linear_region_graph"),
    "region_graph": ("queries.graph", "region_graph"),
    "from_onnx": ("io", "from_onnx"), "from_torch": ("io", "from_torch"), "load_model": ("io", "load_model"),
    "rationalize_network": ("io", "rationalize_network"), "save_model": ("io", "save_model"),
    "lipschitz_constant": ("queries.lipschitz", "lipschitz_constant"),
    **{name: ("core.layers", name) for name in ("Abs", "Affine", "HardTanh", "Identity", "LeakyReLU", "Maxout",
                                                "ReLU")},
    "Network": ("core.network", "Network"), "load_network": ("core.network", "load_network"),
    "to_rational": ("rationals", "to_rational"),
    "maximize": ("queries.optimize", "maximize"),
    "verify_property": ("queries.verify", "verify_property"),
    "load_property": ("io.vnnlib", "load_property"),
}

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from .certificates.regions import certify
    from .certificates.regions import check_network_certificate as check_certificate
    from .core.domain import Domain, load_domain
    from .core.layers import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, ReLU
    from .core.network import Network, load_network
    from .io import from_onnx, from_torch, load_model, rationalize_network, save_model
    from .io.vnnlib import load_property
    from .queries.boundary import decision_boundary
    from .queries.count import RegionCounts, count_regions
    from .queries.equivalence import equivalent
    from .queries.graph import linear_region_graph, region_graph
    from .queries.lipschitz import lipschitz_constant
    from .queries.optimize import maximize
    from .queries.point import region_containing
    from .queries.verify import verify_property
    from .rationals import to_rational
    from .search.engine import enumerate_regions
    from .search.regions import region_volume
    from .views.explorer import Explorer
    from .views.notebook import plot_regions, regions_table


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


__all__ = ["load_model", "from_torch", "from_onnx", "save_model", "rationalize_network", "Network",
           "load_network", "Affine", "ReLU", "LeakyReLU", "Abs", "HardTanh", "Maxout", "Identity", "Domain",
           "load_domain", "count_regions", "RegionCounts", "enumerate_regions", "region_containing",
           "regions_table", "region_volume", "region_graph", "linear_region_graph", "plot_regions",
           "Explorer", "certify", "check_certificate", "maximize", "verify_property", "load_property",
           "lipschitz_constant", "equivalent", "decision_boundary", "to_rational", "PolyregionsError", "InputError",
           "NumberError", "NetworkError", "DomainError", "BreakpointError", "UnsupportedError", "SolverError",
           "__version__"]
