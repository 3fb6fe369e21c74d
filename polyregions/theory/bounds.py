"""Counting theory: closed-form bounds on the number of linear regions, in one place.

The bounds live in topic modules; this module gathers their public names in one place
(``from polyregions.theory.bounds import ...`` for any bound, as the command line, the
notebooks and the README do):

- :mod:`.formulas`: the symbols (``n0`` the input dimension, ``n1, ..., nL`` the
  widths, ``L`` the depth, ``k`` the maxout rank, ``n`` a common width, ``m`` a number
  of hyperplanes), the limits on depth and width, and :func:`evaluate`;
- :mod:`.arrangements`: Zaslavsky's one-layer counts;
- :mod:`.relu`: Montúfar et al. 2014, Montúfar 2017, Serra et al. 2018;
- :mod:`.maxout`: the maxout bounds (Montúfar et al. 2014, Serra et al. 2018,
  Montúfar, Ren and Zhang 2021);
- :mod:`.table`: :func:`bounds_table` for one architecture, :func:`network_bounds`,
  :func:`verdict`;
- :mod:`.asymptotics`: :func:`asymptotic_checks`, the deep-versus-shallow
  statements as sympy limits.

Every bound comes twice, as a sympy expression (``*_expr``) and as a function that
evaluates it exactly for integers; each module cites the papers of its formulas.
"""

from __future__ import annotations

from .arrangements import (zaslavsky_bounded_regions, zaslavsky_bounded_regions_expr, zaslavsky_regions,
                           zaslavsky_regions_expr)
from .asymptotics import asymptotic_checks
from .formulas import MAX_DEPTH, MAX_WIDTH, L, evaluate, j, k, m, n, n0, width_symbols
from .maxout import (montufar2014_maxout_layer_lower, montufar2014_maxout_layer_lower_expr,
                     montufar2014_maxout_layer_upper, montufar2014_maxout_layer_upper_expr,
                     montufar2014_maxout_lower, montufar2014_maxout_lower_expr, mrz2021_maxout_layer_upper,
                     mrz2021_maxout_layer_upper_expr, serra2018_maxout_upper, serra2018_maxout_upper_expr)
from .relu import (montufar2014_asymptotic_expr, montufar2014_lower, montufar2014_lower_expr, montufar2017_upper,
                   montufar2017_upper_expr, serra2018_lower, serra2018_lower_expr, serra2018_upper,
                   serra2018_upper_expr)
from .table import (COMPARISON, FAMILIES, LOWER, ONE_BREAKPOINT, UPPER, Architecture, architecture, bounds_table,
                    network_bounds, verdict)

# MAX_DEPTH, MAX_WIDTH, ONE_BREAKPOINT, UPPER, LOWER and COMPARISON are names of this
# module too, for the tests, outside the star import.
__all__ = [
    "n0", "L", "k", "n", "m", "j",
    "width_symbols",
    "zaslavsky_regions", "zaslavsky_regions_expr",
    "zaslavsky_bounded_regions", "zaslavsky_bounded_regions_expr",
    "montufar2014_lower", "montufar2014_lower_expr", "montufar2014_asymptotic_expr",
    "montufar2017_upper", "montufar2017_upper_expr",
    "serra2018_upper", "serra2018_upper_expr",
    "serra2018_lower", "serra2018_lower_expr",
    "montufar2014_maxout_lower", "montufar2014_maxout_lower_expr",
    "montufar2014_maxout_layer_lower", "montufar2014_maxout_layer_lower_expr",
    "montufar2014_maxout_layer_upper", "montufar2014_maxout_layer_upper_expr",
    "serra2018_maxout_upper", "serra2018_maxout_upper_expr",
    "mrz2021_maxout_layer_upper", "mrz2021_maxout_layer_upper_expr",
    "evaluate", "FAMILIES", "Architecture", "architecture", "bounds_table", "network_bounds",
    "verdict", "asymptotic_checks",
]
