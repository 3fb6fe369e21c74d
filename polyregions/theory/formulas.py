"""The language the bounds are written in: symbols, argument checks, exact evaluation.

Every bound of :mod:`polyregions.theory` comes twice: as a sympy expression in the
symbols named here (``n0`` the input dimension, ``n1, ..., nL`` the widths, ``L`` the
depth, ``k`` the maxout rank, ``n`` a common width, ``m`` a number of hyperplanes,
``j`` a summation index) and as a function that evaluates it exactly for integers.
This module holds what both halves share: the symbols, the checks of the integer
arguments (with the limits on depth and width), the binomial sum in either form, and
:func:`evaluate`, which turns any bound's expression into its exact integer.

All numbers are Python integers; sympy only states and checks the formulas.
"""

from __future__ import annotations

from math import comb
from typing import Any, Sequence

import sympy as sp

from ..errors import InputError

__all__ = ["n0", "L", "k", "n", "m", "j", "MAX_DEPTH", "MAX_WIDTH", "width_symbols", "evaluate"]

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


# ---------------------------------------------------------------------------
# the integer arguments, checked


def check_integer(value: Any, what: str, least: int = 1, limit: int | None = None) -> int:
    """*value* if it is an integer from *least* to *limit*, else an :class:`InputError`
    that names *what* (a bool is not an integer here)."""
    expected = "a positive integer" if least == 1 else f"an integer >= {least}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be {expected}, got {value!r}")
    if value < least:
        raise InputError(f"{what} must be {expected}, got {value}")
    if limit is not None and value > limit:
        raise InputError(f"{what} is {value}, above the limit {limit}")
    return value


def check_n0(value: Any) -> int:
    """The input dimension, a positive integer up to :data:`MAX_WIDTH`."""
    return check_integer(value, "n0 (the input dimension)", limit=MAX_WIDTH)


def check_widths(widths: Any) -> tuple[int, ...]:
    """The hidden widths ``n_1, ..., n_L``: 1 to :data:`MAX_DEPTH` positive integers."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise InputError(f"widths must be a sequence of positive integers, got {widths!r}")
    if not widths:
        raise InputError("widths must name at least one layer, got an empty sequence")
    if len(widths) > MAX_DEPTH:
        raise InputError(f"{len(widths)} layers, above the limit {MAX_DEPTH}")
    return tuple(check_integer(w, f"width of layer {i + 1}", limit=MAX_WIDTH)
                 for i, w in enumerate(widths))


def check_rank(rank: Any) -> int:
    """A maxout rank: an integer from 2 to :data:`MAX_WIDTH`."""
    return check_integer(rank, "maxout rank", least=2, limit=MAX_WIDTH)


def check_depth(depth: Any) -> int:
    """A number of layers, a positive integer up to :data:`MAX_DEPTH`."""
    return check_integer(depth, "depth", limit=MAX_DEPTH)


def narrow_layer(widths: Sequence[int], least: int) -> str | None:
    """``"layer i has width w"`` for the first layer narrower than *least*, or None.

    The hypothesis of the lower bounds (every ``n_l >= n0``, or ``>= 3 n0``), said
    the same way by the functions that refuse it and the table that reports it.
    """
    for i, w in enumerate(widths):
        if w < least:
            return f"layer {i + 1} has width {w}"
    return None


# ---------------------------------------------------------------------------
# symbols and the binomial sum


def width_symbols(depth: int) -> tuple[sp.Symbol, ...]:
    """The symbols ``n1, ..., n<depth>`` for the widths of *depth* layers.

    Examples
    --------
    >>> width_symbols(3)
    (n1, n2, n3)
    """
    depth = check_depth(depth)
    return tuple(sp.Symbol(f"n{i}", integer=True, positive=True) for i in range(1, depth + 1))


def index_symbols(depth: int) -> tuple[sp.Symbol, ...]:
    """The summation indices ``j1, ..., j<depth>``, one per layer."""
    return tuple(sp.Symbol(f"j{i}", integer=True, nonnegative=True) for i in range(1, depth + 1))


def binomial_sum(top: int, upto: int) -> int:
    """``sum_{i=0}^{upto} C(top, i)`` for integers (``math.comb`` is 0 past *top*)."""
    return sum(comb(top, i) for i in range(upto + 1))


def binomial_sum_expr(top: sp.Expr, upto: sp.Expr = n0) -> sp.Expr:
    """``Sum(binomial(top, j), (j, 0, upto))``: :func:`binomial_sum` as a formula."""
    return sp.Sum(sp.binomial(top, j), (j, 0, upto))


# ---------------------------------------------------------------------------
# exact evaluation of any bound's formula


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
    limit and gets it wrong: it gives 176 for
    :func:`~polyregions.theory.relu.serra2018_upper_expr` at ``n0 = 2, n1 = n2 = 4``,
    where the sum of the 9 terms is 121.)

    Parameters
    ----------
    expr : sympy expression
        One of the ``*_expr`` results of :mod:`polyregions.theory`, or any expression
        built from them.
    values : dict
        Symbol (or symbol name) -> integer, for every free symbol.

    Raises
    ------
    InputError
        When a symbol is left without a value or the result is not an integer.

    Examples
    --------
    >>> from polyregions.theory.arrangements import zaslavsky_regions_expr
    >>> from polyregions.theory.relu import serra2018_upper_expr
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
