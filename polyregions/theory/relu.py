"""Deep ReLU networks: Montúfar et al. 2014, Montúfar 2017 and Serra et al. 2018.

Two lower bounds on the best network of an architecture, both from folding
constructions (each of the first L - 1 layers folds every input coordinate into
``floor(n_l / n0)`` pieces, Serra et al. one more, and the last layer is a generic
arrangement), and two upper bounds on every network, which count activation patterns
layer by layer; with :func:`montufar2014_asymptotic_expr`, the order of growth of the
2014 bound.

References
----------
.. [M14] G. Montúfar, R. Pascanu, K. Cho, Y. Bengio, "On the Number of Linear Regions
   of Deep Neural Networks", NeurIPS 2014 (arXiv:1402.1869): Thm. 4, Cor. 5.
.. [M17] G. Montúfar, "Notes on the number of linear regions of deep neural
   networks", SampTA 2017 (bound as restated in [STR18], Sec. 3).
.. [STR18] T. Serra, C. Tjandraatmadja, S. Ramalingam, "Bounding and Counting Linear
   Regions of Deep Neural Networks", ICML 2018 (arXiv:1711.02114): Thm. 1 (upper),
   Sec. 3.3 (lower).
"""

from __future__ import annotations

from math import comb, prod
from typing import Sequence

import sympy as sp

from ..errors import InputError
from .arrangements import layerwise_regions, layerwise_regions_expr
from .formulas import (L, binomial_sum, binomial_sum_expr, check_n0, check_widths, index_symbols, n,
                       n0, narrow_layer, width_symbols)

__all__ = [
    "montufar2014_lower", "montufar2014_lower_expr", "montufar2014_asymptotic_expr",
    "montufar2017_upper", "montufar2017_upper_expr",
    "serra2018_upper", "serra2018_upper_expr",
    "serra2018_lower", "serra2018_lower_expr",
]

SRC_M14_LOWER = "Montufar, Pascanu, Cho, Bengio 2014 (NeurIPS), Theorem 4"
SRC_M14_ASYMPTOTIC = "Montufar, Pascanu, Cho, Bengio 2014 (NeurIPS), Corollary 5"
SRC_M17_UPPER = ("Montufar 2017, Notes on the number of linear regions of deep neural "
                 "networks (SampTA), as restated in Serra et al. 2018, Sec. 3")
SRC_S18_UPPER = "Serra, Tjandraatmadja, Ramalingam 2018 (ICML), Theorem 1"
SRC_S18_LOWER = ("Serra, Tjandraatmadja, Ramalingam 2018 (ICML), Sec. 3.3 lower bound "
                 "(Theorem 6 of the OpenReview text); needs n_l >= 3 n0")


# ---------------------------------------------------------------------------
# the two lower bounds: folding constructions


def width_hypothesis(n0: int, widths: Sequence[int], times: int) -> str | None:
    """Why the lower bound needing every ``n_l >= times * n0`` does not hold, or None.

    ``"needs every width >= 3 n0 = 6; layer 1 has width 4"``: the hypothesis of
    Montúfar et al.'s (*times* = 1) and Serra et al.'s (*times* = 3) lower bounds.
    """
    narrow = narrow_layer(widths, times * n0)
    if narrow is None:
        return None
    return f"needs every width >= {'' if times == 1 else f'{times} '}n0 = {times * n0}; {narrow}"


def _folding_expr(depth: int, extra: int) -> sp.Expr:
    """``(prod_{l<L} (floor(n_l / n0) + extra)^n0) * sum_{j=0}^{n0} C(n_L, j)``."""
    ws = width_symbols(depth)
    factor = sp.Mul(*[(sp.floor(w / n0) + extra) ** n0 for w in ws[:-1]])
    return factor * binomial_sum_expr(ws[-1])


def _folding_value(n0: int, widths: Sequence[int], extra: int, times: int, statement: str) -> int:
    """:func:`_folding_expr` at integers, refused unless every ``n_l >= times * n0``."""
    n0 = check_n0(n0)
    ws = check_widths(widths)
    why_not = width_hypothesis(n0, ws, times)
    if why_not:
        raise InputError(f"{statement} {why_not}")
    return prod((w // n0 + extra) ** n0 for w in ws[:-1]) * binomial_sum(ws[-1], n0)


def montufar2014_lower_expr(depth: int) -> sp.Expr:
    """``(prod_{l<L} floor(n_l / n0)^n0) * sum_{j=0}^{n0} C(n_L, j)`` for *depth* = L.

    Examples
    --------
    >>> montufar2014_lower_expr(2)
    floor(n1/n0)**n0*Sum(binomial(n2, j), (j, 0, n0))
    """
    return _folding_expr(depth, 0)


def montufar2014_lower(n0: int, widths: Sequence[int]) -> int:
    """Montúfar et al. 2014 lower bound on the maximal number of linear regions.

    A ReLU network with input dimension n0 and L hidden layers of widths
    ``n_1, ..., n_L``, all ``n_l >= n0``, can compute functions with at least
    ``(prod_{l=1}^{L-1} floor(n_l / n0)^{n0}) * sum_{j=0}^{n0} C(n_L, j)``
    linear regions. :func:`polyregions.theory.constructions.rectifier_zigzag` builds the
    network of the proof.

    Parameters
    ----------
    n0 : int
        Input dimension.
    widths : sequence of int
        ``n_1, ..., n_L``.

    Raises
    ------
    InputError
        On a non-positive dimension or width, or when some ``n_l < n0`` (the
        theorem's hypothesis).

    References
    ----------
    Montúfar, Pascanu, Cho, Bengio 2014, Theorem 4 (proof in Sec. 3 and Appendix B).

    Examples
    --------
    >>> montufar2014_lower(1, [2, 2])   # 2^1 * (1 + 2)
    6
    >>> montufar2014_lower(2, [4, 4])   # 2^2 * (1 + 4 + 6)
    44
    """
    return _folding_value(n0, widths, 0, 1, "Montufar et al. 2014 Theorem 4")


def serra2018_lower_expr(depth: int) -> sp.Expr:
    """``(prod_{l<L} (floor(n_l / n0) + 1)^n0) * sum_{j=0}^{n0} C(n_L, j)``.

    Examples
    --------
    >>> serra2018_lower_expr(2)
    (floor(n1/n0) + 1)**n0*Sum(binomial(n2, j), (j, 0, n0))
    """
    return _folding_expr(depth, 1)


def serra2018_lower(n0: int, widths: Sequence[int]) -> int:
    """Serra, Tjandraatmadja, Ramalingam 2018 lower bound.

    With every ``n_l >= 3 n0``, some ReLU network has at least
    ``(prod_{l=1}^{L-1} (floor(n_l / n0) + 1)^{n0}) * sum_{j=0}^{n0} C(n_L, j)``
    linear regions: Montúfar et al.'s construction with one more region per
    coordinate and layer.

    Raises
    ------
    InputError
        On a non-positive dimension or width, or when some ``n_l < 3 n0`` (the
        theorem's hypothesis, which DESIGN.md leaves out).

    References
    ----------
    Serra, Tjandraatmadja, Ramalingam 2018, Sec. 3.3 (Theorem 6 in the OpenReview
    text; the ICML version numbers its theorems differently).

    Examples
    --------
    >>> serra2018_lower(1, [3, 3])   # (3 + 1) * (1 + 3)
    16
    >>> serra2018_lower(2, [6, 6])   # 4^2 * (1 + 6 + 15)
    352
    """
    return _folding_value(n0, widths, 1, 3, "Serra et al. 2018's lower bound")


def montufar2014_asymptotic_expr() -> sp.Expr:
    """``(n / n0)^((L - 1) n0) * n^n0``: the order of Montúfar et al.'s bound.

    For L layers of equal width ``n >= n0`` the lower bound of
    :func:`montufar2014_lower` is ``Omega((n/n0)^{(L-1) n0} n^{n0})``
    (Montúfar et al. 2014, Corollary 5);
    :func:`~polyregions.theory.asymptotics.asymptotic_checks` verifies with sympy
    limits that this grows exponentially in L.

    Examples
    --------
    >>> montufar2014_asymptotic_expr()
    n**n0*(n/n0)**(n0*(L - 1))
    """
    return (n / n0) ** ((L - 1) * n0) * n ** n0


# ---------------------------------------------------------------------------
# the two upper bounds: activation patterns layer by layer


def montufar2017_upper_expr(depth: int) -> sp.Expr:
    """``prod_l sum_{j=0}^{d_l} C(n_l, j)`` with ``d_l = min(n0, n_1, ..., n_l)``.

    Examples
    --------
    >>> montufar2017_upper_expr(2)
    Sum(binomial(n1, j), (j, 0, Min(n0, n1)))*Sum(binomial(n2, j), (j, 0, Min(n0, n1, n2)))
    """
    return layerwise_regions_expr(depth)


def montufar2017_upper(n0: int, widths: Sequence[int]) -> int:
    """Montúfar 2017 upper bound ``prod_l sum_{j=0}^{d_l} C(n_l, j)``.

    ``d_l = min(n0, n_1, ..., n_l)``. Serra et al. 2018 (Sec. 3) restate it and note
    that their Theorem 1 (:func:`serra2018_upper`) is never larger.

    Raises
    ------
    InputError
        On a non-positive dimension or width.

    References
    ----------
    Montúfar 2017, "Notes on the number of linear regions of deep neural networks"
    (SampTA), as restated in Serra, Tjandraatmadja, Ramalingam 2018, Sec. 3.

    Examples
    --------
    >>> montufar2017_upper(2, [4, 4])   # 11 * 11
    121
    """
    return layerwise_regions(check_n0(n0), check_widths(widths))


def serra2018_upper_expr(depth: int) -> sp.Expr:
    """Theorem 1 of Serra et al. 2018 as nested sums over the index set J.

    ``sum_{(j_1..j_L) in J} prod_l C(n_l, j_l)`` with
    ``J = {0 <= j_l <= min(n0, n_1 - j_1, ..., n_{l-1} - j_{l-1}, n_l)}``.

    Examples
    --------
    >>> serra2018_upper_expr(2)
    Sum(binomial(n1, j1)*binomial(n2, j2), (j2, 0, Min(n0, n2, -j1 + n1)), (j1, 0, Min(n0, n1)))
    """
    ws = width_symbols(depth)
    js = index_symbols(depth)
    body = sp.Mul(*[sp.binomial(w, jj) for w, jj in zip(ws, js)])
    limits = []
    for i in range(depth):
        upper = sp.Min(n0, *[ws[t] - js[t] for t in range(i)], ws[i], evaluate=False)
        limits.append((js[i], 0, upper))
    return sp.Sum(body, *reversed(limits))


def serra2018_upper(n0: int, widths: Sequence[int]) -> int:
    """Serra, Tjandraatmadja, Ramalingam 2018 upper bound (their Theorem 1).

    A ReLU network with input dimension n0 and hidden widths ``n_1..n_L`` has at
    most ``sum_{(j_1..j_L) in J} prod_l C(n_l, j_l)`` regions, where ``J`` is the
    set of integer vectors with ``0 <= j_l <= min(n0, n_1 - j_1, ...,
    n_{l-1} - j_{l-1}, n_l)``. The bound counts activation patterns, so it bounds
    activation regions and hence linear regions. It is tight for L = 1, where it
    equals :func:`~polyregions.theory.arrangements.zaslavsky_regions`.

    Raises
    ------
    InputError
        On a non-positive dimension or width.

    Notes
    -----
    Evaluated by dynamic programming over ``d_l = min(n0, n_1 - j_1, ...)``, which
    takes at most n0 + 1 values: O(L n0^2) big-integer operations instead of a sum
    over all of J.

    References
    ----------
    Serra, Tjandraatmadja, Ramalingam 2018, Theorem 1.

    Examples
    --------
    >>> serra2018_upper(1, [2, 2])   # (j1, j2) in {(0,0), (0,1), (1,0), (1,1)}
    9
    >>> serra2018_upper(2, [4, 4])   # j1, j2 in 0..2: (1 + 4 + 6)^2
    121
    """
    n0 = check_n0(n0)
    ws = check_widths(widths)
    # ways[d]: sum over the indices chosen so far of the binomial products whose
    # budget min(n0, n_1 - j_1, ..., n_l - j_l) is d.
    ways = {n0: 1}
    for w in ws:
        nxt: dict[int, int] = {}
        for d, count in ways.items():
            for jl in range(min(d, w) + 1):
                budget = min(d, w - jl)
                nxt[budget] = nxt.get(budget, 0) + count * comb(w, jl)
        ways = nxt
    return sum(ways.values())
