"""The deep-versus-shallow statements of the counting theory, decided by sympy limits.

Deep networks can have exponentially many regions in their depth (Montúfar et al.
2014, Cor. 5; maxout: Sec. 4), one layer with as many units only polynomially many
(Zaslavsky); :func:`asymptotic_checks` decides each statement with a sympy limit
rather than by sampling numbers.

References
----------
.. [M14] G. Montúfar, R. Pascanu, K. Cho, Y. Bengio, "On the Number of Linear Regions
   of Deep Neural Networks", NeurIPS 2014 (arXiv:1402.1869): Thm. 4, Cor. 5, Thm. 8.
.. [STR18] T. Serra, C. Tjandraatmadja, S. Ramalingam, "Bounding and Counting Linear
   Regions of Deep Neural Networks", ICML 2018 (arXiv:1711.02114): Thm. 1.
"""

from __future__ import annotations

import sympy as sp

from .arrangements import zaslavsky_regions_expr
from .formulas import L, j, k, m, n, n0, width_symbols
from .maxout import montufar2014_maxout_lower_expr
from .relu import montufar2014_asymptotic_expr, serra2018_upper_expr

__all__ = ["asymptotic_checks"]


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
