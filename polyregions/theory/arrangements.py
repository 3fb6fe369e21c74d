"""Hyperplane arrangements: Zaslavsky's counts, for one layer and layer by layer.

``m`` affine hyperplanes in general position cut R^n0 into ``sum_{j<=n0} C(m, j)``
regions, ``C(m - 1, n0)`` of them bounded, and no arrangement of ``m`` hyperplanes
has more regions: the maximal count of one layer of ``m`` units with one breakpoint
each. Applied layer by layer, where a layer's hyperplanes cut a region of the earlier
layers whose image has dimension at most ``d_l``, the same count gives the product
bounds of deep networks (:func:`~polyregions.theory.relu.montufar2017_upper`,
:func:`~polyregions.theory.maxout.serra2018_maxout_upper`).

References
----------
.. [Z75] T. Zaslavsky, "Facing up to arrangements: face-count formulas for
   partitions of space by hyperplanes", Mem. AMS 154, 1975.
.. [S06] R. P. Stanley, "An Introduction to Hyperplane Arrangements", IAS/Park City
   lecture notes, 2006: Prop. 2.4 (general position), Thm. 2.5 (Zaslavsky).
"""

from __future__ import annotations

from math import comb
from typing import Sequence

import sympy as sp

from .formulas import (MAX_WIDTH, binomial_sum, binomial_sum_expr, check_integer, check_n0, m, n0,
                       width_symbols)

__all__ = ["zaslavsky_regions", "zaslavsky_regions_expr",
           "zaslavsky_bounded_regions", "zaslavsky_bounded_regions_expr"]

SRC_ZASLAVSKY = ("Zaslavsky 1975; Stanley, An Introduction to Hyperplane Arrangements "
                 "(2006), Prop. 2.4 (general position) with Thm. 2.5")


def _check_hyperplanes(dim: int, hyperplanes: int) -> tuple[int, int]:
    """The dimension and number of hyperplanes of one arrangement, checked."""
    return check_n0(dim), check_integer(hyperplanes, "number of hyperplanes", limit=MAX_WIDTH)


def zaslavsky_regions_expr() -> sp.Expr:
    """``sum_{j=0}^{n0} C(m, j)`` in the symbols ``m`` and ``n0``.

    Examples
    --------
    >>> zaslavsky_regions_expr()
    Sum(binomial(m, j), (j, 0, n0))
    """
    return binomial_sum_expr(m)


def zaslavsky_regions(n0: int, hyperplanes: int) -> int:
    """Regions of *hyperplanes* affine hyperplanes in general position in R^n0.

    ``sum_{j=0}^{n0} C(m, j)`` for ``m`` hyperplanes; no arrangement of ``m``
    hyperplanes has more, so this is also the maximal number of activation (and
    linear) regions of one layer of ``m`` ReLUs on all of R^n0.

    Parameters
    ----------
    n0 : int
        Dimension of the space, at least 1.
    hyperplanes : int
        Number of hyperplanes ``m``, at least 1.

    Returns
    -------
    int

    Raises
    ------
    InputError
        If an argument is not a positive integer.

    References
    ----------
    Zaslavsky 1975; Stanley 2006, Proposition 2.4 (general position) with
    Theorem 2.5 (``r(A) = (-1)^n chi_A(-1)``).

    Examples
    --------
    Three lines in general position cut the plane into 7 regions:

    >>> zaslavsky_regions(2, 3)
    7
    >>> zaslavsky_regions(3, 2)   # fewer hyperplanes than dimensions: 2^m
    4
    """
    n0, hyperplanes = _check_hyperplanes(n0, hyperplanes)
    return binomial_sum(hyperplanes, n0)


def zaslavsky_bounded_regions_expr() -> sp.Expr:
    """``C(m - 1, n0)`` in the symbols ``m`` and ``n0``.

    Examples
    --------
    >>> zaslavsky_bounded_regions_expr()
    binomial(m - 1, n0)
    """
    return sp.binomial(m - 1, n0)


def zaslavsky_bounded_regions(n0: int, hyperplanes: int) -> int:
    """Bounded regions of *hyperplanes* hyperplanes in general position in R^n0.

    ``C(m - 1, n0)``, which is 0 when ``m <= n0`` (no bounded region then).

    Raises
    ------
    InputError
        If an argument is not a positive integer.

    References
    ----------
    Stanley 2006, Proposition 2.4: ``b(A) = C(m - 1, n)`` for ``m`` hyperplanes in
    general position in R^n (Zaslavsky 1975).

    Examples
    --------
    Three lines in general position bound one triangle:

    >>> zaslavsky_bounded_regions(2, 3)
    1
    >>> zaslavsky_bounded_regions(2, 2)
    0
    """
    n0, hyperplanes = _check_hyperplanes(n0, hyperplanes)
    return comb(hyperplanes - 1, n0)


def layerwise_regions_expr(depth: int, per_unit: sp.Expr = sp.Integer(1)) -> sp.Expr:
    """``prod_l sum_{j=0}^{d_l} C(per_unit * n_l, j)`` with ``d_l = min(n0, n_1, ..., n_l)``.

    Zaslavsky's count of each layer's ``per_unit * n_l`` hyperplanes in a space of
    dimension ``d_l``, multiplied over the layers: the form of Montúfar's 2017 bound
    (one hyperplane per unit) and of Serra et al.'s maxout bound (``k (k - 1) / 2``).
    """
    ws = width_symbols(depth)
    return sp.Mul(*[binomial_sum_expr(per_unit * w, sp.Min(n0, *ws[:i + 1], evaluate=False))
                    for i, w in enumerate(ws)])


def layerwise_regions(n0: int, widths: Sequence[int], per_unit: int = 1) -> int:
    """:func:`layerwise_regions_expr` at checked integers *n0* and *widths*."""
    out, d = 1, n0
    for w in widths:
        d = min(d, w)
        out *= binomial_sum(per_unit * w, d)
    return out
