"""Counting theory: closed-form bounds on the number of linear regions.

Every bound comes twice: as a sympy expression in named symbols (``n0`` the input
dimension, ``n1, ..., nL`` the widths, ``L`` the depth, ``k`` the maxout rank, ``n``
a common width, ``m`` a number of hyperplanes) and as a function that evaluates it
exactly for integers. :func:`bounds_table` collects them for one architecture, with
the source of each formula and whether its hypotheses hold; :func:`asymptotic_checks`
checks the deep-versus-shallow statements as sympy limits.

All numbers are Python integers; sympy only states and checks the formulas.

References
----------
.. [Z75] T. Zaslavsky, "Facing up to arrangements: face-count formulas for
   partitions of space by hyperplanes", Mem. AMS 154, 1975.
.. [S06] R. P. Stanley, "An Introduction to Hyperplane Arrangements", IAS/Park City
   lecture notes, 2006: Prop. 2.4 (general position), Thm. 2.5 (Zaslavsky).
.. [M14] G. Montúfar, R. Pascanu, K. Cho, Y. Bengio, "On the Number of Linear Regions
   of Deep Neural Networks", NeurIPS 2014 (arXiv:1402.1869): Thm. 4, Cor. 5,
   Sec. 4 (Prop. 7, Thm. 8).
.. [M17] G. Montúfar, "Notes on the number of linear regions of deep neural
   networks", SampTA 2017 (bound as restated in [STR18], Sec. 3).
.. [STR18] T. Serra, C. Tjandraatmadja, S. Ramalingam, "Bounding and Counting Linear
   Regions of Deep Neural Networks", ICML 2018 (arXiv:1711.02114): Thm. 1 (upper),
   Sec. 3.3 (lower), Sec. 4 (maxout upper).
.. [MRZ21] G. Montúfar, Y. Ren, L. Zhang, "Sharp bounds for the number of regions of
   maxout networks and vertices of Minkowski sums", arXiv:2104.08135 (2021); SIAM J.
   Appl. Algebra Geometry 6(4), 2022. Only the abstract could be read here: the
   one-layer formula is the form we believe the theorem takes, not checked against
   the paper's text (see :func:`mrz2021_maxout_layer_upper`).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb, prod
from typing import Any, Sequence

import sympy as sp

from .errors import InputError
from .numbers import counted

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

#: Input dimension, depth, maxout rank, common width, number of hyperplanes.
n0, L, k, n, m = sp.symbols("n0 L k n m", integer=True, positive=True)
#: Summation index.
j = sp.Symbol("j", integer=True, nonnegative=True)

#: Limit on the depth and widths accepted: the values are cheap, but a typo such
#: as a width of 10**9 should not make binomials with a billion digits, and the
#: written-out formulas grow with the square of the depth (about 125 KB of formula
#: text and 2 s for the table at 100 layers).
MAX_DEPTH = 100
MAX_WIDTH = 100_000

SRC_ZASLAVSKY = ("Zaslavsky 1975; Stanley, An Introduction to Hyperplane Arrangements "
                 "(2006), Prop. 2.4 (general position) with Thm. 2.5")
SRC_M14_LOWER = "Montufar, Pascanu, Cho, Bengio 2014 (NeurIPS), Theorem 4"
SRC_M14_ASYMPTOTIC = "Montufar, Pascanu, Cho, Bengio 2014 (NeurIPS), Corollary 5"
SRC_M14_MAXOUT_DEEP = "Montufar, Pascanu, Cho, Bengio 2014 (NeurIPS), Sec. 4, Theorem 8"
SRC_M14_MAXOUT_LAYER = "Montufar, Pascanu, Cho, Bengio 2014 (NeurIPS), Sec. 4, Proposition 7"
SRC_M17_UPPER = ("Montufar 2017, Notes on the number of linear regions of deep neural "
                 "networks (SampTA), as restated in Serra et al. 2018, Sec. 3")
SRC_S18_UPPER = "Serra, Tjandraatmadja, Ramalingam 2018 (ICML), Theorem 1"
SRC_S18_LOWER = ("Serra, Tjandraatmadja, Ramalingam 2018 (ICML), Sec. 3.3 lower bound "
                 "(Theorem 6 of the OpenReview text); needs n_l >= 3 n0")
SRC_S18_MAXOUT = ("Serra, Tjandraatmadja, Ramalingam 2018 (ICML), Sec. 4 maxout upper bound "
                  "(Theorem 8 of the OpenReview text)")
SRC_MRZ21 = ("Montufar, Ren, Zhang 2021 (arXiv:2104.08135), one-layer bound with biases; "
             "the form we believe the theorem takes, not checked against the paper")
MRZ21_NOTE = ("unverified statement (only the paper's abstract was available); equal to the "
              "elementary maximum for k = 2, n <= n0 and n0 = 1, attained by layers found by search for "
              "(n0, n, k) = (2, 3, 3), (2, 4, 3), (3, 4, 3), never exceeded by exact counts in the tests")


# ---------------------------------------------------------------------------
# validation


def _positive_int(value: Any, what: str, limit: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be a positive integer, got {value!r}")
    if value < 1:
        raise InputError(f"{what} must be a positive integer, got {value}")
    if limit is not None and value > limit:
        raise InputError(f"{what} is {value}, above the limit {limit}")
    return value


def _check_n0(value: Any) -> int:
    return _positive_int(value, "n0 (the input dimension)", MAX_WIDTH)


def _check_widths(widths: Any) -> tuple[int, ...]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise InputError(f"widths must be a sequence of positive integers, got {widths!r}")
    if not widths:
        raise InputError("widths must name at least one layer, got an empty sequence")
    if len(widths) > MAX_DEPTH:
        raise InputError(f"{len(widths)} layers, above the limit {MAX_DEPTH}")
    return tuple(_positive_int(w, f"width of layer {i + 1}", MAX_WIDTH)
                 for i, w in enumerate(widths))


def _check_rank(rank: Any) -> int:
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise InputError(f"maxout rank must be an integer >= 2, got {rank!r}")
    if rank < 2:
        raise InputError(f"maxout rank must be an integer >= 2, got {rank}")
    if rank > MAX_WIDTH:
        raise InputError(f"maxout rank is {rank}, above the limit {MAX_WIDTH}")
    return rank


def _check_maxout_layer(n0: Any, units: Any, rank: Any) -> tuple[int, int, int]:
    """The input dimension, unit count and rank of one maxout layer, checked."""
    return _check_n0(n0), _positive_int(units, "number of maxout units", MAX_WIDTH), _check_rank(rank)


def _check_depth(depth: Any) -> int:
    return _positive_int(depth, "depth", MAX_DEPTH)


def width_symbols(depth: int) -> tuple[sp.Symbol, ...]:
    """The symbols ``n1, ..., n<depth>`` for the widths of *depth* layers.

    Examples
    --------
    >>> width_symbols(3)
    (n1, n2, n3)
    """
    depth = _check_depth(depth)
    return tuple(sp.Symbol(f"n{i}", integer=True, positive=True) for i in range(1, depth + 1))


def _index_symbols(depth: int) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(f"j{i}", integer=True, nonnegative=True) for i in range(1, depth + 1))


def _binomial_sum(top: int, upto: int) -> int:
    """``sum_{i=0}^{upto} C(top, i)`` for integers (``math.comb`` is 0 past *top*)."""
    return sum(comb(top, i) for i in range(upto + 1))


def _sum_terms(expr: sp.Basic) -> sp.Basic:
    """Replace every (nested) Sum with numeric limits by the sum of its terms."""
    if isinstance(expr, sp.Sum):
        var, lo, hi = expr.limits[-1]
        if not (lo.is_Integer and hi.is_Integer):
            raise InputError(f"cannot evaluate {sp.sstr(expr)}: the limits of {var} are not "
                             "integers (give a value to every symbol)")
        inner = sp.Sum(expr.function, *expr.limits[:-1]) if len(expr.limits) > 1 else expr.function
        return sp.Add(*[_sum_terms(inner.subs(var, v)) for v in range(int(lo), int(hi) + 1)])
    if expr.args:
        return expr.func(*[_sum_terms(a) for a in expr.args])
    return expr


def evaluate(expr: sp.Expr, values: dict[Any, int]) -> int:
    """The exact integer value of a bound's expression at integer *values*.

    Nested sums are summed term by term, outermost index first, so that inner limits
    such as ``Min(n0, n1 - j1, n2)`` are integers when they are used. (sympy's own
    ``doit`` sums the inner binomial sum in closed form with a symbolic ``Min``
    limit and gets it wrong: it gives 176 for :func:`serra2018_upper_expr` at
    ``n0 = 2, n1 = n2 = 4``, where the sum of the 9 terms is 121.)

    Parameters
    ----------
    expr : sympy expression
        One of this module's ``*_expr`` results, or any expression built from them.
    values : dict
        Symbol (or symbol name) -> integer, for every free symbol.

    Raises
    ------
    InputError
        When a symbol is left without a value or the result is not an integer.

    Examples
    --------
    >>> evaluate(serra2018_upper_expr(2), {"n0": 2, "n1": 4, "n2": 4})
    121
    >>> evaluate(zaslavsky_regions_expr(), {m: 3, n0: 2})
    7
    """
    names = {s.name: s for s in expr.free_symbols}
    subs = {}
    for key, value in values.items():
        symbol = names.get(key) if isinstance(key, str) else key
        if symbol is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"value of {symbol} must be an integer, got {value!r}")
        subs[symbol] = sp.Integer(value)
    result = _sum_terms(expr.subs(subs))
    result = sp.simplify(result) if not result.is_Number else result
    if not result.is_Integer:
        raise InputError(f"{sp.sstr(expr)} did not evaluate to an integer "
                         f"(got {sp.sstr(result)}); give a value to every symbol")
    return int(result)


# ---------------------------------------------------------------------------
# one layer: Zaslavsky


def zaslavsky_regions_expr() -> sp.Expr:
    """``sum_{j=0}^{n0} C(m, j)`` in the symbols ``m`` and ``n0``.

    Examples
    --------
    >>> zaslavsky_regions_expr()
    Sum(binomial(m, j), (j, 0, n0))
    """
    return sp.Sum(sp.binomial(m, j), (j, 0, n0))


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
    n0 = _check_n0(n0)
    hyperplanes = _positive_int(hyperplanes, "number of hyperplanes", MAX_WIDTH)
    return _binomial_sum(hyperplanes, n0)


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
    n0 = _check_n0(n0)
    hyperplanes = _positive_int(hyperplanes, "number of hyperplanes", MAX_WIDTH)
    return comb(hyperplanes - 1, n0)


# ---------------------------------------------------------------------------
# deep ReLU networks


def montufar2014_lower_expr(depth: int) -> sp.Expr:
    """``(prod_{l<L} floor(n_l / n0)^n0) * sum_{j=0}^{n0} C(n_L, j)`` for *depth* = L.

    Examples
    --------
    >>> montufar2014_lower_expr(2)
    floor(n1/n0)**n0*Sum(binomial(n2, j), (j, 0, n0))
    """
    ws = width_symbols(depth)
    factor = sp.Mul(*[sp.floor(w / n0) ** n0 for w in ws[:-1]])
    return factor * sp.Sum(sp.binomial(ws[-1], j), (j, 0, n0))


def montufar2014_lower(n0: int, widths: Sequence[int]) -> int:
    """Montúfar et al. 2014 lower bound on the maximal number of linear regions.

    A ReLU network with input dimension n0 and L hidden layers of widths
    ``n_1, ..., n_L``, all ``n_l >= n0``, can compute functions with at least
    ``(prod_{l=1}^{L-1} floor(n_l / n0)^{n0}) * sum_{j=0}^{n0} C(n_L, j)``
    linear regions. :func:`polyregions.constructions.rectifier_zigzag` builds the
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
    n0 = _check_n0(n0)
    ws = _check_widths(widths)
    small = [i + 1 for i, w in enumerate(ws) if w < n0]
    if small:
        raise InputError(f"Montufar et al. 2014 Theorem 4 needs every width >= n0 = {n0}; "
                         f"layer {small[0]} has width {ws[small[0] - 1]}")
    return prod((w // n0) ** n0 for w in ws[:-1]) * _binomial_sum(ws[-1], n0)


def montufar2014_asymptotic_expr() -> sp.Expr:
    """``(n / n0)^((L - 1) n0) * n^n0``: the order of Montúfar et al.'s bound.

    For L layers of equal width ``n >= n0`` the lower bound of
    :func:`montufar2014_lower` is ``Omega((n/n0)^{(L-1) n0} n^{n0})``
    (Montúfar et al. 2014, Corollary 5); :func:`asymptotic_checks` verifies with
    sympy limits that this grows exponentially in L.

    Examples
    --------
    >>> montufar2014_asymptotic_expr()
    n**n0*(n/n0)**(n0*(L - 1))
    """
    return (n / n0) ** ((L - 1) * n0) * n ** n0


def montufar2017_upper_expr(depth: int) -> sp.Expr:
    """``prod_l sum_{j=0}^{d_l} C(n_l, j)`` with ``d_l = min(n0, n_1, ..., n_l)``.

    Examples
    --------
    >>> montufar2017_upper_expr(2)
    Sum(binomial(n1, j), (j, 0, Min(n0, n1)))*Sum(binomial(n2, j), (j, 0, Min(n0, n1, n2)))
    """
    ws = width_symbols(depth)
    return sp.Mul(*[sp.Sum(sp.binomial(w, j), (j, 0, sp.Min(n0, *ws[:i + 1], evaluate=False)))
                    for i, w in enumerate(ws)])


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
    n0 = _check_n0(n0)
    ws = _check_widths(widths)
    out, d = 1, n0
    for w in ws:
        d = min(d, w)
        out *= _binomial_sum(w, d)
    return out


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
    js = _index_symbols(depth)
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
    equals :func:`zaslavsky_regions`.

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
    n0 = _check_n0(n0)
    ws = _check_widths(widths)
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


def serra2018_lower_expr(depth: int) -> sp.Expr:
    """``(prod_{l<L} (floor(n_l / n0) + 1)^n0) * sum_{j=0}^{n0} C(n_L, j)``.

    Examples
    --------
    >>> serra2018_lower_expr(2)
    (floor(n1/n0) + 1)**n0*Sum(binomial(n2, j), (j, 0, n0))
    """
    ws = width_symbols(depth)
    factor = sp.Mul(*[(sp.floor(w / n0) + 1) ** n0 for w in ws[:-1]])
    return factor * sp.Sum(sp.binomial(ws[-1], j), (j, 0, n0))


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
    n0 = _check_n0(n0)
    ws = _check_widths(widths)
    small = [i + 1 for i, w in enumerate(ws) if w < 3 * n0]
    if small:
        raise InputError(f"Serra et al. 2018's lower bound needs every width >= 3 n0 = {3 * n0}; "
                         f"layer {small[0]} has width {ws[small[0] - 1]}")
    return prod((w // n0 + 1) ** n0 for w in ws[:-1]) * _binomial_sum(ws[-1], n0)


# ---------------------------------------------------------------------------
# maxout networks


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
    most ``k + 2(k - 1) = 3k - 2 < k^2`` pieces. :func:`bounds_table` marks that case
    as not applying. For ``n0 >= 2`` (and for ``k = 2``) the bound is attained, see
    :func:`polyregions.constructions.maxout_construction`.

    References
    ----------
    Montúfar, Pascanu, Cho, Bengio 2014, Sec. 4, Theorem 8.

    Examples
    --------
    >>> montufar2014_maxout_lower(2, 3, 2)   # 3^1 * 3^2
    27
    """
    n0 = _check_n0(n0)
    rank = _check_rank(rank)
    depth = _check_depth(depth)
    return rank ** (depth - 1) * rank ** n0


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
    n0, units, rank = _check_maxout_layer(n0, units, rank)
    return rank ** min(n0, units)


def montufar2014_maxout_layer_upper_expr() -> sp.Expr:
    """``min(sum_{j=0}^{n0} C(k^2 n, j), k^n)`` for one maxout layer of n units.

    Examples
    --------
    >>> montufar2014_maxout_layer_upper_expr()
    Min(k**n, Sum(binomial(k**2*n, j), (j, 0, n0)))
    """
    return sp.Min(sp.Sum(sp.binomial(k ** 2 * n, j), (j, 0, n0)), k ** n)


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
    n0, units, rank = _check_maxout_layer(n0, units, rank)
    return min(_binomial_sum(rank * rank * units, n0), rank ** units)


def serra2018_maxout_upper_expr(depth: int) -> sp.Expr:
    """``prod_l sum_{j=0}^{d_l} C(k (k - 1) / 2 * n_l, j)``, ``d_l = min(n0, n_1..n_l)``.

    Examples
    --------
    >>> serra2018_maxout_upper_expr(1)
    Sum(binomial(k*n1*(k - 1)/2, j), (j, 0, Min(n0, n1)))
    """
    ws = width_symbols(depth)
    return sp.Mul(*[sp.Sum(sp.binomial(k * (k - 1) / 2 * w, j),
                           (j, 0, sp.Min(n0, *ws[:i + 1], evaluate=False)))
                    for i, w in enumerate(ws)])


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
    n0 = _check_n0(n0)
    ws = _check_widths(widths)
    rank = _check_rank(rank)
    out, d = 1, n0
    for w in ws:
        d = min(d, w)
        out *= _binomial_sum(rank * (rank - 1) // 2 * w, d)
    return out


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
    n0, units, rank = _check_maxout_layer(n0, units, rank)
    return sum(comb(units, i) * (rank - 1) ** i for i in range(min(n0, units) + 1))


# ---------------------------------------------------------------------------
# the table: which bounds hold for which network


#: Activation families, as in the network file format (a leaky ReLU of slope 0 is a ReLU).
FAMILIES = ("relu", "leaky_relu", "abs", "hardtanh", "maxout")

#: Families whose every unit has one breakpoint (one hyperplane per unit and region).
ONE_BREAKPOINT = frozenset({"relu", "leaky_relu", "abs"})

#: What an entry's ``relation`` says about the exact count of a network it applies to.
UPPER = "count <= bound"      # every network of the architecture
LOWER = "max >= bound"        # the best network of the architecture (the paper's construction)
COMPARISON = "comparison"     # the count of another (shallow) network, for comparison

_NOT_RELU = {
    "leaky_relu": "a leaky ReLU (slope != 0) is not a ReLU",
    "abs": "abs is not a ReLU (|z| = relu(z) + relu(-z) folds the input)",
    "hardtanh": "hardtanh is not a ReLU (two breakpoints per unit)",
    "maxout": "maxout units are not ReLUs (see the maxout bounds)",
}

_TWO_OR_MORE = {
    "hardtanh": ("a hardtanh unit has two breakpoints (min and max): a layer of n units makes up "
                 "to 2n hyperplanes, not n"),
    "maxout": ("a rank-k maxout unit makes up to k(k-1)/2 tie hyperplanes, not one "
               "(see the maxout bounds)"),
}


@dataclass(frozen=True, slots=True)
class Architecture:
    """What the bounds see of a network: input dimension, and per activation layer its
    number of units, activation family and maxout rank (None for other families).

    Examples
    --------
    >>> from polyregions import Network
    >>> architecture(Network.mlp([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]], [[0, 0, 0], [0]],
    ...                          activation="abs"))
    Architecture(input_dim=2, widths=(3,), activations=('abs',), ranks=(None,))
    """

    input_dim: int
    widths: tuple[int, ...]
    activations: tuple[str, ...]
    ranks: tuple[int | None, ...]


def architecture(network: Any) -> Architecture:
    """The :class:`Architecture` of a :class:`~polyregions.network.Network`.

    Identity layers and affine layers are not activation layers; a maxout layer has
    as many units as maxima it takes; a leaky ReLU of slope 0 is a ReLU.
    """
    from .network import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, ReLU

    widths: list[int] = []
    kinds: list[str] = []
    ranks: list[int | None] = []
    width = network.input_dim
    for layer in network.layers:
        if isinstance(layer, Affine):
            width = layer.out_dim
            continue
        if isinstance(layer, Identity):
            continue
        rank = None
        if isinstance(layer, Maxout):
            width //= layer.rank
            kind, rank = "maxout", layer.rank
        elif isinstance(layer, ReLU) or (isinstance(layer, LeakyReLU) and layer.slope == 0):
            kind = "relu"
        elif isinstance(layer, LeakyReLU):
            kind = "leaky_relu"
        elif isinstance(layer, Abs):
            kind = "abs"
        elif isinstance(layer, HardTanh):
            kind = "hardtanh"
        else:  # pragma: no cover - Network.from_layers admits no other layer
            raise InputError(f"unknown activation layer {layer!r}")
        widths.append(width)
        kinds.append(kind)
        ranks.append(rank)
    return Architecture(network.input_dim, tuple(widths), tuple(kinds), tuple(ranks))


def _entry(value: int | None, formula: sp.Expr, source: str, kind: str, network: str,
           relation: str, note: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "formula": sp.sstr(formula), "source": source,
                           "kind": kind, "network": network, "applies": value is not None,
                           "relation": relation if value is not None else None}
    if note:
        out["note"] = note
    return out


def _first_other(kinds: Sequence[str], allowed: frozenset[str] | set[str]) -> tuple[int, str] | None:
    """The first layer (1-based) whose family is not in *allowed*, with its family."""
    for i, kind in enumerate(kinds):
        if kind not in allowed:
            return i + 1, kind
    return None


def _family_note(kinds: Sequence[str], allowed: frozenset[str] | set[str], reasons: dict[str, str],
                 stated_for: str) -> str | None:
    """Why a bound stated for *stated_for* does not hold here, or None when every layer fits."""
    other = _first_other(kinds, allowed)
    if other is None:
        return None
    layer, kind = other
    reason = reasons.get(kind, f"{kind} is not {stated_for}")
    where = "" if len(set(kinds)) == 1 else f" (layer {layer} is {kind})"
    return f"stated for {stated_for} networks; {reason}{where}"


def _activations(activation: Any, depth: int, rank: Any) -> tuple[str, ...]:
    if activation is None:
        activation = "relu" if rank is None else "maxout"
    kinds = [activation] * depth if isinstance(activation, str) else list(activation)
    if len(kinds) != depth:
        raise InputError(f"activation: {counted(len(kinds), 'family')} for {counted(depth, 'layer')}")
    for i, kind in enumerate(kinds):
        if kind not in FAMILIES:
            raise InputError(f"activation of layer {i + 1}: expected one of {', '.join(FAMILIES)}, "
                             f"got {kind!r}")
    return tuple(kinds)


def _ranks(rank: Any, kinds: Sequence[str]) -> tuple[int | None, ...]:
    """One rank per maxout layer (None elsewhere); rank 1 (a linear layer) is kept as 1."""
    if rank is None or isinstance(rank, (str, bytes)) or not isinstance(rank, Sequence):
        if rank is None:
            if "maxout" in kinds:
                raise InputError("maxout layers need a rank (--rank K)")
            return tuple(None for _ in kinds)
        rank = _check_rank(rank)
        return tuple(rank if kind == "maxout" else None for kind in kinds)
    ranks = list(rank)
    if len(ranks) != len(kinds):
        raise InputError(f"rank: {counted(len(ranks), 'rank')} for {counted(len(kinds), 'layer')}")
    out: list[int | None] = []
    for i, (r, kind) in enumerate(zip(ranks, kinds)):
        if kind != "maxout":
            out.append(None)
        elif isinstance(r, int) and not isinstance(r, bool) and r == 1:
            out.append(1)
        else:
            out.append(_check_rank(r))
    return tuple(out)


def bounds_table(n0: int, widths: Sequence[int], rank: int | Sequence[int | None] | None = None,
                 activation: str | Sequence[str] | None = None) -> dict[str, dict]:
    """Every bound of this module for one architecture, with sources and hypotheses.

    A bound *applies* only when its hypotheses hold for this architecture: the
    activation family of every layer, the widths and the rank. The ReLU bounds are
    proved for ReLU networks, and only carry over where the proof does (see
    Notes); everywhere else the entry says ``applies: false`` and why.

    Parameters
    ----------
    n0 : int
        Input dimension.
    widths : sequence of int
        Hidden widths ``n_1, ..., n_L`` (units per layer; for maxout, maxout units).
    rank : int or sequence, optional
        Maxout rank k (or one per layer); adds the maxout bounds.
    activation : str or sequence of str, optional
        The family of every layer (or one per layer) among :data:`FAMILIES`;
        default ``"relu"``, or ``"maxout"`` when *rank* is given.

    Returns
    -------
    dict
        Name -> entry. Each entry has ``value`` (an int, or None where the bound
        does not apply), ``formula`` (sympy's ``sstr`` of the expression),
        ``source`` (citation), ``kind`` (``"upper"``, ``"lower"`` or
        ``"exact in general position"``), ``network`` (the family the bound is
        stated for), ``applies`` (bool), ``relation`` (where it applies: what it
        says about the exact activation-region count of a network of this
        architecture: :data:`UPPER` ``"count <= bound"`` for every network,
        :data:`LOWER` ``"max >= bound"`` for the best one, or :data:`COMPARISON`
        for the count of the shallow network with as many units) and, where
        something needs saying, ``note``. Keys: ``zaslavsky_shallow`` and
        ``zaslavsky_shallow_bounded`` (one layer with as many units as all layers
        together), ``montufar2014_lower``, ``montufar2017_upper``,
        ``serra2018_upper``, ``serra2018_lower``; with *rank*:
        ``montufar2014_maxout_lower``, ``serra2018_maxout_upper`` and the one-layer
        ``montufar2014_maxout_layer_lower``, ``montufar2014_maxout_layer_upper``
        and ``mrz2021_maxout_layer_upper`` (unverified form, see its docstring).

    Raises
    ------
    InputError
        On a non-positive dimension or width, a rank below 2, an unknown family,
        or maxout layers without a rank.

    Notes
    -----
    Which bound holds for which family, and why:

    - ``serra2018_upper``: ReLU only. The proof uses that an inactive ReLU outputs
      0, which lowers the dimension of the image; a leaky ReLU (slope != 0) or an
      abs unit keeps it. Three abs layers of width 1 on R have 8 regions, above
      the formula's 4.
    - ``montufar2017_upper`` and the one-layer ``zaslavsky_shallow``: ReLU, leaky
      ReLU and abs. The proof needs only that each unit has one breakpoint: on a
      region of the earlier layers, layer l's pre-activations are affine and factor
      through a space of dimension at most ``d_l``, so the layer's ``n_l``
      hyperplanes cut it into at most ``sum_{j<=d_l} C(n_l, j)`` pieces. Not
      hardtanh (two breakpoints per unit) nor maxout (several tie hyperplanes).
    - ``montufar2014_lower``, ``serra2018_lower``: lower bounds on the best ReLU
      network (the constructions use ReLUs): ReLU only.
    - The maxout bounds: maxout layers of one rank k >= 2 only.

    Examples
    --------
    >>> table = bounds_table(2, [4, 4])
    >>> table["serra2018_upper"]["value"], table["montufar2014_lower"]["value"]
    (121, 44)
    >>> table["serra2018_lower"]["applies"], table["serra2018_lower"]["note"]
    (False, 'needs every width >= 3 n0 = 6; layer 1 has width 4')
    >>> abs_table = bounds_table(1, [1, 1, 1], activation="abs")
    >>> abs_table["serra2018_upper"]["applies"], abs_table["montufar2017_upper"]["value"]
    (False, 8)
    """
    n0_ = _check_n0(n0)
    ws = _check_widths(widths)
    depth = len(ws)
    kinds = _activations(activation, depth, rank)
    ranks = _ranks(rank, kinds)
    total = sum(ws)
    table: dict[str, dict] = {}

    one_break = _family_note(kinds, ONE_BREAKPOINT, _TWO_OR_MORE, "ReLU-like (one breakpoint per unit)")
    not_relu = _family_note(kinds, {"relu"}, _NOT_RELU, "ReLU")
    carried = ("" if set(kinds) == {"relu"} else
               "; stated for ReLU, and the proof holds for any unit with one breakpoint "
               "(leaky ReLU, abs)")
    shallow_relation = UPPER if depth == 1 else COMPARISON
    shallow_note = (f"one layer of {total} units with one breakpoint each (all layers side by side) "
                    f"on all of R^{n0_}: the maximum over such layers, attained exactly when the "
                    "hyperplanes are in general position"
                    + ("" if depth == 1 else "; this network has "
                       f"{depth} layers, so this is for comparison, not a bound on its count"))
    table["zaslavsky_shallow"] = _entry(
        None if one_break else zaslavsky_regions(n0_, total),
        zaslavsky_regions_expr().subs(m, sum(width_symbols(depth))),
        SRC_ZASLAVSKY, "exact in general position", "relu, leaky_relu or abs", shallow_relation,
        one_break or shallow_note)
    table["zaslavsky_shallow_bounded"] = _entry(
        None if one_break else zaslavsky_bounded_regions(n0_, total),
        zaslavsky_bounded_regions_expr().subs(m, sum(width_symbols(depth))),
        SRC_ZASLAVSKY, "exact in general position", "relu, leaky_relu or abs", COMPARISON,
        one_break or f"bounded regions of {total} hyperplanes in general position in R^{n0_} "
                     "(for comparison: on a bounded domain every region is bounded)")
    small = [i + 1 for i, w in enumerate(ws) if w < n0_]
    formula = montufar2014_lower_expr(depth)
    if not_relu:
        table["montufar2014_lower"] = _entry(None, formula, SRC_M14_LOWER, "lower", "relu", LOWER,
                                             not_relu + "; the construction uses ReLUs")
    elif small:
        table["montufar2014_lower"] = _entry(
            None, formula, SRC_M14_LOWER, "lower", "relu", LOWER,
            f"needs every width >= n0 = {n0_}; layer {small[0]} has width {ws[small[0] - 1]}")
    else:
        table["montufar2014_lower"] = _entry(
            montufar2014_lower(n0_, ws), formula, SRC_M14_LOWER, "lower", "relu", LOWER,
            "the best network of this architecture has at least this many linear regions "
            "(zig-zag construction: polyregions construct rectifier)")
    table["montufar2017_upper"] = _entry(
        None if one_break else montufar2017_upper(n0_, ws), montufar2017_upper_expr(depth),
        SRC_M17_UPPER, "upper", "relu", UPPER,
        one_break or "bounds activation regions, hence linear regions" + carried)
    table["serra2018_upper"] = _entry(
        None if not_relu else serra2018_upper(n0_, ws), serra2018_upper_expr(depth), SRC_S18_UPPER,
        "upper", "relu", UPPER,
        (not_relu + "; the proof uses that an inactive ReLU outputs 0, which lowers the dimension "
         "of the image") if not_relu else
        "bounds activation regions, hence linear regions" + ("; tight for one layer" if depth == 1 else ""))
    small = [i + 1 for i, w in enumerate(ws) if w < 3 * n0_]
    formula = serra2018_lower_expr(depth)
    if not_relu:
        table["serra2018_lower"] = _entry(None, formula, SRC_S18_LOWER, "lower", "relu", LOWER,
                                          not_relu + "; the construction uses ReLUs")
    elif small:
        table["serra2018_lower"] = _entry(
            None, formula, SRC_S18_LOWER, "lower", "relu", LOWER,
            f"needs every width >= 3 n0 = {3 * n0_}; layer {small[0]} has width {ws[small[0] - 1]}")
    else:
        table["serra2018_lower"] = _entry(serra2018_lower(n0_, ws), formula, SRC_S18_LOWER, "lower",
                                          "relu", LOWER, "the best network of this architecture has "
                                          "at least this many linear regions")
    if rank is None:
        return table
    _maxout_entries(table, n0_, ws, kinds, ranks)
    return table


def _maxout_entries(table: dict[str, dict], n0_: int, ws: tuple[int, ...], kinds: Sequence[str],
                    ranks: Sequence[int | None]) -> None:
    depth = len(ws)
    not_maxout = _family_note(kinds, {"maxout"}, {}, "maxout")
    distinct = sorted({r for r in ranks if r is not None})
    if not_maxout is None and len(distinct) > 1:
        not_maxout = (f"stated for maxout layers of one rank k; these layers have ranks "
                      f"{', '.join(map(str, distinct))}")
    if not_maxout is None and distinct == [1]:
        not_maxout = "stated for rank k >= 2; a rank-1 maxout layer is a linear layer"
    rank = distinct[-1] if distinct else 2
    formulas = {
        "montufar2014_maxout_lower": (montufar2014_maxout_lower_expr(), SRC_M14_MAXOUT_DEEP, "lower"),
        "serra2018_maxout_upper": (serra2018_maxout_upper_expr(depth), SRC_S18_MAXOUT, "upper"),
        "montufar2014_maxout_layer_lower": (
            montufar2014_maxout_layer_lower_expr().subs(n, width_symbols(1)[0]), SRC_M14_MAXOUT_LAYER, "lower"),
        "montufar2014_maxout_layer_upper": (
            montufar2014_maxout_layer_upper_expr().subs(n, width_symbols(1)[0]), SRC_M14_MAXOUT_LAYER, "upper"),
        "mrz2021_maxout_layer_upper": (
            mrz2021_maxout_layer_upper_expr().subs(n, width_symbols(1)[0]), SRC_MRZ21, "upper"),
    }
    if depth > 1:
        for key in ("montufar2014_maxout_layer_lower", "montufar2014_maxout_layer_upper",
                    "mrz2021_maxout_layer_upper"):
            formulas[key] = (formulas[key][0].subs(width_symbols(1)[0], n),) + formulas[key][1:]

    def put(key: str, value: int | None, note: str | None) -> None:
        expr, source, kind = formulas[key]
        table[key] = _entry(value, expr, source, kind, "maxout", UPPER if kind == "upper" else LOWER, note)

    if not_maxout:
        for key in formulas:
            put(key, None, not_maxout)
        return
    small = [i + 1 for i, w in enumerate(ws) if w < n0_]
    if small:
        put("montufar2014_maxout_lower", None,
            f"stated for layers of width n0 = {n0_} (wider layers cannot do worse); "
            f"layer {small[0]} has width {ws[small[0] - 1]}")
    elif n0_ == 1 and rank >= 3 and depth >= 2:
        put("montufar2014_maxout_lower", None,
            "false as stated for n0 = 1 and rank >= 3: a width-1 rank-k layer is convex, so two "
            "such layers have at most 3k - 2 < k^2 pieces")
    else:
        put("montufar2014_maxout_lower", montufar2014_maxout_lower(n0_, rank, depth),
            "stated for layers of width n0; wider layers cannot do worse (construction: "
            "polyregions construct maxout)")
    put("serra2018_maxout_upper", serra2018_maxout_upper(n0_, ws, rank),
        "bounds activation regions, hence linear regions")
    if depth == 1:
        put("montufar2014_maxout_layer_lower", montufar2014_maxout_layer_lower(n0_, ws[0], rank), None)
        put("montufar2014_maxout_layer_upper", montufar2014_maxout_layer_upper(n0_, ws[0], rank), None)
        put("mrz2021_maxout_layer_upper", mrz2021_maxout_layer_upper(n0_, ws[0], rank), MRZ21_NOTE)
    else:
        for key in ("montufar2014_maxout_layer_lower", "montufar2014_maxout_layer_upper",
                    "mrz2021_maxout_layer_upper"):
            put(key, None, f"a one-layer bound; this network has {depth} layers")


def network_bounds(network: Any) -> dict[str, dict]:
    """:func:`bounds_table` for the architecture of *network* (see :func:`architecture`).

    Raises
    ------
    InputError
        When the network has no activation layer.

    Examples
    --------
    >>> from polyregions import Network
    >>> net = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], [0]], activation="abs")
    >>> table = network_bounds(net)
    >>> table["serra2018_upper"]["applies"], table["montufar2017_upper"]["value"]
    (False, 3)
    """
    from .network import as_network

    arch = architecture(as_network(network))
    if not arch.widths:
        raise InputError("the network has no activation layer, so no bound applies to it")
    maxout = "maxout" in arch.activations
    return bounds_table(arch.input_dim, arch.widths, arch.ranks if maxout else None, arch.activations)


def verdict(entry: dict[str, Any], count: int) -> str | None:
    """How an exact activation-region count compares with an entry of :func:`bounds_table`.

    ``"count <= bound"`` or ``"VIOLATED: count > bound"`` for an upper bound;
    ``"count >= bound"`` or ``"count < bound"`` for a lower bound (a lower bound on
    the best network of the architecture: a smaller count is allowed, only the
    construction must reach it); ``"comparison"`` for the shallow counts (another
    network's); None where the bound does not apply.

    Examples
    --------
    >>> table = bounds_table(2, [4, 4])
    >>> verdict(table["serra2018_upper"], 44), verdict(table["serra2018_upper"], 122)
    ('count <= bound', 'VIOLATED: count > bound')
    >>> verdict(table["montufar2014_lower"], 44), verdict(table["serra2018_lower"], 44) is None
    ('count >= bound', True)
    """
    if not entry.get("applies"):
        return None
    relation = entry.get("relation")
    value = entry["value"]
    if relation == UPPER:
        return "count <= bound" if count <= value else "VIOLATED: count > bound"
    if relation == LOWER:
        return "count >= bound" if count >= value else "count < bound"
    return "comparison"


# ---------------------------------------------------------------------------
# asymptotics, decided by sympy


def asymptotic_checks() -> dict[str, bool]:
    """The deep-versus-shallow statements, each decided by a sympy limit.

    Returns
    -------
    dict of str to bool
        ``deep_rate_positive``: ``lim_{L->oo} log((n/n0)^{(L-1) n0} n^{n0}) / L =
        n0 log(n/n0)``, which sympy proves positive for every ``n > n0``
        (Montúfar et al. 2014, Cor. 5: exponential in depth).
        ``deep_exact_exponential``: the exact Theorem 4 bound with L layers of
        width n has ``lim log(bound)/L = n0 log(floor(n/n0)) > 0`` for sample
        ``(n0, n)`` with ``n >= 2 n0``.
        ``shallow_polynomial``: one layer of ``n L`` units has
        ``sum_{j<=n0} C(nL, j)`` regions, a polynomial of degree n0 in L with
        ``lim log/L = 0`` (for n0 = 1, 2, 3 and symbolic n).
        ``deep_beats_shallow``: shallow / deep tends to 0 as L grows, for the same
        samples.
        ``maxout_exponential``: ``lim log(k^{L-1} k^{n0}) / L = log k > 0``.
        ``serra_tight_one_layer``: for L = 1 Theorem 1 of Serra et al. is
        Zaslavsky's sum (sympy ``equals`` at symbolic n1 for n0 = 1, 2, 3, via the
        nested sum).

    Examples
    --------
    >>> all(asymptotic_checks().values())
    True
    """
    results: dict[str, bool] = {}
    t = sp.Symbol("t", positive=True)
    rate = sp.limit(sp.expand_log(sp.log(montufar2014_asymptotic_expr()), force=True) / L, L, sp.oo)
    rate_above = sp.simplify(rate.subs(n, n0 * (1 + t)))   # n > n0
    results["deep_rate_positive"] = bool(rate_above.is_positive)
    samples = [(1, 2), (1, 3), (2, 4), (2, 5), (3, 6)]
    exact_ok = shallow_ok = ratio_ok = True
    for dim, width in samples:
        deep = (sp.floor(sp.Integer(width) / dim) ** (dim * (L - 1))
                * sp.Sum(sp.binomial(width, j), (j, 0, dim)).doit())
        deep_rate = sp.limit(sp.log(deep) / L, L, sp.oo)
        exact_ok &= bool(sp.simplify(deep_rate - dim * sp.log(width // dim)) == 0
                         and deep_rate.is_positive)
        shallow = sp.expand(sp.expand_func(sp.Sum(sp.binomial(width * L, j), (j, 0, dim)).doit()))
        ratio_ok &= bool(sp.limit(shallow / deep, L, sp.oo) == 0)
    for dim in (1, 2, 3):
        shallow = sp.expand(sp.expand_func(sp.Sum(sp.binomial(n * L, j), (j, 0, dim)).doit()))
        poly = sp.Poly(shallow, L)
        shallow_ok &= bool(poly.degree() == dim
                           and sp.simplify(poly.LC() - n ** dim / sp.factorial(dim)) == 0
                           and sp.limit(sp.log(shallow) / L, L, sp.oo) == 0)
    results["deep_exact_exponential"] = exact_ok
    results["shallow_polynomial"] = shallow_ok
    results["deep_beats_shallow"] = ratio_ok
    maxout_rate = sp.limit(sp.expand_log(sp.log(montufar2014_maxout_lower_expr()), force=True) / L,
                           L, sp.oo)
    rank_from_two = sp.Symbol("r", integer=True, nonnegative=True)   # k = 2 + r
    results["maxout_exponential"] = bool(sp.simplify(maxout_rate - sp.log(k)) == 0
                                         and maxout_rate.subs(k, 2 + rank_from_two).is_positive)
    one = width_symbols(1)[0]
    tight = True
    for dim in (1, 2, 3):
        serra = serra2018_upper_expr(1).subs(n0, dim)
        zas = zaslavsky_regions_expr().subs({m: one, n0: dim})
        # Min(dim, n1) = dim for n1 >= dim; substitute n1 = dim + s with s >= 0.
        s = sp.Symbol("s", integer=True, nonnegative=True)
        lhs = sp.expand(sp.expand_func(serra.subs(one, dim + s).doit()))
        rhs = sp.expand(sp.expand_func(zas.subs(one, dim + s).doit()))
        tight &= bool(sp.simplify(lhs - rhs) == 0)
    results["serra_tight_one_layer"] = tight
    return results
