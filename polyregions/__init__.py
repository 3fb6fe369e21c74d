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

from .certify import certify
from .certify import check_network_certificate as check_certificate
from .boundary import decision_boundary
from .counting import RegionCounts, count_regions
from .display import plot_regions, region_volume, regions_table
from .domain import Domain, load_domain
from .engine import enumerate_regions
from .equivalence import equivalent
from .errors import (BreakpointError, DomainError, InputError, NetworkError, NumberError,
                     PolyregionsError, SolverError, UnsupportedError)
from .explorer import Explorer
from .forward import region_containing
from .graph import linear_region_graph, region_graph
from .io import from_onnx, from_torch, load_model, rationalize_network, save_model
from .lipschitz import lipschitz_constant
from .network import (Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, Network, ReLU,
                      load_network)
from .numbers import to_rational
from .optimize import maximize
from .verify import verify_property
from .vnnlib import load_property

__version__ = "0.1.0"

__all__ = ["load_model", "from_torch", "from_onnx", "save_model", "rationalize_network", "Network",
           "load_network", "Affine", "ReLU", "LeakyReLU", "Abs", "HardTanh", "Maxout", "Identity", "Domain",
           "load_domain", "count_regions", "RegionCounts", "enumerate_regions", "region_containing",
           "regions_table", "region_volume", "region_graph", "linear_region_graph", "plot_regions",
           "Explorer", "certify", "check_certificate", "maximize", "verify_property", "load_property",
           "lipschitz_constant", "equivalent", "decision_boundary", "to_rational", "PolyregionsError", "InputError",
           "NumberError", "NetworkError", "DomainError", "BreakpointError", "UnsupportedError", "SolverError",
           "__version__"]
