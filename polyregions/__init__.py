"""polyregions: exact linear regions of piecewise-linear neural networks."""

from .errors import (BreakpointError, DomainError, InputError, NetworkError, NumberError,
                     PolyregionsError, SolverError, UnsupportedError)
from .forward import region_containing
from .network import (Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, Network, ReLU,
                      load_network)
from .numbers import to_rational

__version__ = "0.1.0"
