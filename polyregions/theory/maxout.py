"""Maxout networks: the bounds of Montúfar et al. 2014, Serra et al. 2018 and MRZ 2021.

A rank-k maxout unit takes the maximum of k affine functions; its regions are cut by
the up to ``k (k - 1) / 2`` hyperplanes where two of them tie. Deep bounds:
:func:`montufar2014_maxout_lower` (L layers of width n0) and
:func:`serra2018_maxout_upper` (Zaslavsky layer by layer, with the tie hyperplanes).
One-layer bounds, each for n rank-k units on R^n0 and each taking ``(n0, units,
rank)``: :func:`montufar2014_maxout_layer_lower`,
:func:`montufar2014_maxout_layer_upper` and :func:`mrz2021_maxout_layer_upper`.

References
----------
.. [M14] G. Montúfar, R. Pascanu, K. Cho, Y. Bengio, "On the Number of Linear Regions
   of Deep Neural Networks", NeurIPS 2014 (arXiv:1402.1869): Sec. 4 (Prop. 7, Thm. 8).
.. [STR18] T. Serra, C. Tjandraatmadja, S. Ramalingam, "Bounding and Counting Linear
   Regions of Deep Neural Networks", ICML 2018 (arXiv:1711.02114): Sec. 4 (maxout
   upper).
.. [MRZ21] G. Montúfar, Y. Ren, L. Zhang, "Sharp bounds for the number of regions of
   maxout networks and vertices of Minkowski sums", arXiv:2104.08135 (2021); SIAM J.
   Appl. Algebra Geometry 6(4), 2022. Only the abstract could be read here: the
   one-layer formula is the form we believe the theorem takes, not checked against
   the paper's text (see :func:`mrz2021_maxout_layer_upper`).
"""

from __future__ import annotations

from math import comb
from typing import Any, Sequence

import sympy as sp

from .arrangements import layerwise_regions, layerwise_regions_expr
from .formulas import (MAX_WIDTH, L, binomial_sum, binomial_sum_expr, check_depth, check_integer, check_n0,
                       check_rank, check_widths, j, k, n, n0)

__all__ = [
    "montufar2014_maxout_lower", "montufar2014_maxout_lower_expr",
    "montufar2014_maxout_layer_lower", "montufar2014_maxout_layer_lower_expr",
    "montufar2014_maxout_layer_upper", "montufar2014_maxout_layer_upper_expr",
    "serra2018_maxout_upper", "serra2018_maxout_upper_expr",
    "mrz2021_maxout_layer_upper", "mrz2021_maxout_layer_upper_expr",
]

SRC_M14_MAXOUT_DEEP = "Montufar, Pascanu, Cho, Bengio 2014 (NeurIPS), Sec. 4, Theorem 8"
SRC_M14_MAXOUT_LAYER = "Montufar, Pascanu, Cho, Bengio 2014 (NeurIPS), Sec. 4, Proposition 7"
SRC_S18_MAXOUT = ("Serra, Tjandraatmadja, Ramalingam 2018 (ICML), Sec. 4 maxout upper bound "
                  "(Theorem 8 of the OpenReview text)")
SRC_MRZ21 = ("Montufar, Ren, Zhang 2021 (arXiv:2104.08135), one-layer bound with biases; "
             "the form we believe the theorem takes, not checked against the paper")
MRZ21_NOTE = ("unverified statement (only the paper's abstract was available); equal to the "
              "elementary maximum for k = 2, n <= n0 and n0 = 1, attained by layers found by search for "
              "(n0, n, k) = (2, 3, 3), (2, 4, 3), (3, 4, 3), never exceeded by exact counts in the tests")


def check_layer(n0: Any, units: Any, rank: Any) -> tuple[int, int, int]:
    """The input dimension, unit count and rank of one maxout layer, checked: the
    arguments of every one-layer bound."""
    return check_n0(n0), check_integer(units, "number of maxout units", limit=MAX_WIDTH), check_rank(rank)


# ---------------------------------------------------------------------------
# deep maxout networks


def montufar2014_maxout_lower_expr() -> sp.Expr:
    """``k^(L - 1) * k^n0``.

    Examples
    --------
    >>> montufar2014_maxout_lower_expr()
    k**n0*k**(L - 1)
    """
    return k ** (L - 1) * k ** n0


def montufar2014_maxout_lower(n0: int, rank: int, depth: int) -> int:
    """Montúfar et al. 2014 lower bound for deep maxout networks: ``k^(L-1) k^n0``.

    The paper states that a maxout network with L layers of width n0 and rank k can
    compute functions with at least ``k^{L-1} k^{n0}`` linear regions.

    Raises
    ------
    InputError
        On a non-positive dimension or depth, or a rank below 2.

    Notes
    -----
    For ``n0 = 1``, ``k >= 3``, ``L >= 2`` the statement is false: a width-1 rank-k
    layer computes a convex function of its one input with at most k pieces, and
    a convex function takes each value at most twice, so two such layers give at
    most ``k + 2(k - 1) = 3k - 2 < k^2`` pieces.
    :func:`~polyregions.theory.table.bounds_table` marks that case as not applying.
    For ``n0 >= 2`` (and for ``k = 2``) the bound is attained, see
    :func:`polyregions.theory.constructions.maxout_construction`.

    References
    ----------
    Montúfar, Pascanu, Cho, Bengio 2014, Sec. 4, Theorem 8.

    Examples
    --------
    >>> montufar2014_maxout_lower(2, 3, 2)   # 3^1 * 3^2
    27
    """
    n0 = check_n0(n0)
    rank = check_rank(rank)
    depth = check_depth(depth)
    return rank ** (depth - 1) * rank ** n0


def serra2018_maxout_upper_expr(depth: int) -> sp.Expr:
    """``prod_l sum_{j=0}^{d_l} C(k (k - 1) / 2 * n_l, j)``, ``d_l = min(n0, n_1..n_l)``.

    Examples
    --------
    >>> serra2018_maxout_upper_expr(1)
    Sum(binomial(k*n1*(k - 1)/2, j), (j, 0, Min(n0, n1)))
    """
    return layerwise_regions_expr(depth, k * (k - 1) / 2)


def serra2018_maxout_upper(n0: int, widths: Sequence[int], rank: int) -> int:
    """Serra et al. 2018 upper bound for deep maxout networks.

    ``prod_{l=1}^{L} sum_{j=0}^{d_l} C(k(k-1)/2 * n_l, j)`` with
    ``d_l = min(n0, n_1, ..., n_l)``: each rank-k unit contributes at most
    ``C(k, 2)`` tie hyperplanes.

    Raises
    ------
    InputError
        On a non-positive dimension or width, or a rank below 2.

    References
    ----------
    Serra, Tjandraatmadja, Ramalingam 2018, Sec. 4 (Theorem 8 in the OpenReview
    text).

    Examples
    --------
    >>> serra2018_maxout_upper(2, [2], 3)   # sum_{j<=2} C(6, j)
    22
    """
    n0 = check_n0(n0)
    ws = check_widths(widths)
    rank = check_rank(rank)
    return layerwise_regions(n0, ws, rank * (rank - 1) // 2)


# ---------------------------------------------------------------------------
# one maxout layer


def montufar2014_maxout_layer_lower_expr() -> sp.Expr:
    """``k^min(n0, n)`` for one maxout layer of n units.

    Examples
    --------
    >>> montufar2014_maxout_layer_lower_expr()
    k**Min(n, n0)
    """
    return k ** sp.Min(n0, n)


def montufar2014_maxout_layer_lower(n0: int, units: int, rank: int) -> int:
    """Lower bound ``k^min(n0, n)`` for one layer of n rank-k maxout units.

    Raises
    ------
    InputError
        On a non-positive dimension or unit count, or a rank below 2.

    References
    ----------
    Montúfar, Pascanu, Cho, Bengio 2014, Sec. 4, Proposition 7.

    Examples
    --------
    >>> montufar2014_maxout_layer_lower(2, 3, 3)
    9
    """
    n0, units, rank = check_layer(n0, units, rank)
    return rank ** min(n0, units)


def montufar2014_maxout_layer_upper_expr() -> sp.Expr:
    """``min(sum_{j=0}^{n0} C(k^2 n, j), k^n)`` for one maxout layer of n units.

    Examples
    --------
    >>> montufar2014_maxout_layer_upper_expr()
    Min(k**n, Sum(binomial(k**2*n, j), (j, 0, n0)))
    """
    return sp.Min(binomial_sum_expr(k ** 2 * n), k ** n)


def montufar2014_maxout_layer_upper(n0: int, units: int, rank: int) -> int:
    """Upper bound ``min(sum_{j=0}^{n0} C(k^2 n, j), k^n)`` for one maxout layer.

    One layer of n rank-k maxout units on R^n0: every region is cut out by the
    at most ``k^2 n`` hyperplanes where two candidates of a unit tie, and a region
    is fixed by one argmax per unit.

    Raises
    ------
    InputError
        On a non-positive dimension or unit count, or a rank below 2.

    References
    ----------
    Montúfar, Pascanu, Cho, Bengio 2014, Sec. 4, Proposition 7.

    Examples
    --------
    >>> montufar2014_maxout_layer_upper(2, 3, 3)   # min(1 + 27 + 351, 27)
    27
    >>> montufar2014_maxout_layer_upper(1, 3, 3)   # min(1 + 27, 27)
    27
    """
    n0, units, rank = check_layer(n0, units, rank)
    return min(binomial_sum(rank * rank * units, n0), rank ** units)


def mrz2021_maxout_layer_upper_expr() -> sp.Expr:
    """``sum_{j=0}^{n0} C(n, j) (k - 1)^j`` for one layer of n rank-k maxout units.

    Examples
    --------
    >>> mrz2021_maxout_layer_upper_expr()
    Sum((k - 1)**j*binomial(n, j), (j, 0, n0))
    """
    return sp.Sum(sp.binomial(n, j) * (k - 1) ** j, (j, 0, n0))


def mrz2021_maxout_layer_upper(n0: int, units: int, rank: int) -> int:
    """Upper bound ``sum_{j=0}^{n0} C(n, j) (k - 1)^j`` for one layer of n rank-k maxout units.

    Unverified statement: Montúfar, Ren and Zhang (2021) prove sharp one-layer bounds
    (with biases, any n0, n, k); only their abstract was available here, and this is
    the form we believe their bound with biases takes. What is checked: it
    equals Zaslavsky's count for k = 2 (one tie hyperplane per unit), ``k^n`` for
    n <= n0 (every pattern), and ``1 + n (k - 1)`` for n0 = 1 (n convex pieces with
    at most k - 1 breaks each) -- the three cases where the maximum is elementary --;
    the tests find no exact count of a random maxout layer above it, and hold layers
    that attain it for (n0, n, k) = (2, 3, 3), (2, 4, 3) and (3, 4, 3) (19, 33 and 65
    regions, found by hill climbing on the weights).

    Raises
    ------
    InputError
        On a non-positive dimension or unit count, or a rank below 2.

    References
    ----------
    Montúfar, Ren, Zhang 2021, arXiv:2104.08135 (statement not checked; see above).

    Examples
    --------
    >>> mrz2021_maxout_layer_upper(2, 3, 3)   # 1 + 3 * 2 + 3 * 4
    19
    >>> mrz2021_maxout_layer_upper(3, 2, 3)   # n <= n0: every pattern, 3^2
    9
    """
    n0, units, rank = check_layer(n0, units, rank)
    return sum(comb(units, i) * (rank - 1) ** i for i in range(min(n0, units) + 1))
