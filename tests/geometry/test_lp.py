"""Tests of the exact LP layer :mod:`polyregions.geometry.lp`."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction as F
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyregions.geometry import lp
from polyregions.errors import DomainError, InputError, NumberError, SolverError
from polyregions.geometry.lp import (InteriorPoint, LPResult, NoInterior, decide_interior, interior_point,
                                     irredundant_rows, is_full_dimensional, maximize, minimize)


def box(n, lo, hi):
    """Rows of the box [lo, hi]^n."""
    A, b = [], []
    for i in range(n):
        e = [0] * n
        e[i] = 1
        A.append(e)
        b.append(hi)
        A.append([-v for v in e])
        b.append(-lo)
    return A, b


def dot(u, v):
    return sum((F(p) * F(q) for p, q in zip(u, v)), F(0))


def strictly_inside(x, A, b, A_eq=(), b_eq=()):
    return (all(dot(r, x) < F(bi) for r, bi in zip(A, b))
            and all(dot(r, x) == F(bi) for r, bi in zip(A_eq, b_eq)))


def certificate_holds(cert, A, b, A_eq=(), b_eq=(), n=None):
    """Motzkin check written out independently of NoInterior.verify."""
    y, z = cert.multipliers, cert.eq_multipliers
    assert len(y) == len(A) and len(z) == len(A_eq)
    assert all(v >= 0 for v in y)
    n = n if n is not None else len((list(A) + list(A_eq))[0])
    for j in range(n):
        assert sum((yi * F(r[j]) for yi, r in zip(y, A)), F(0)) + \
            sum((zi * F(r[j]) for zi, r in zip(z, A_eq)), F(0)) == 0
    total = dot(y, b) + dot(z, b_eq)
    assert total < 0 or (total == 0 and any(y))
    return True


# --------------------------------------------------------------------------- interior


class TestInterior:
    def test_box(self):
        A, b = box(3, 0, 1)
        x = interior_point(A, b)
        assert x is not None and strictly_inside(x, A, b)
        assert all(isinstance(v, F) for v in x)

    def test_rational_box(self):
        A, b = box(2, F(1, 3), F(1, 2))
        x = interior_point(A, b)
        assert strictly_inside(x, A, b)

    def test_simplex_exact_point(self):
        assert interior_point([[-1, 0], [0, -1], [1, 1]], [0, 0, 1]) == (F(1, 3), F(1, 3))

    def test_empty_set_certificate(self):
        A, b = [[1, 0], [-1, 0], [0, 1]], [-1, -1, 5]  # x <= -1 and x >= 1
        res = decide_interior(A, b)
        assert isinstance(res, NoInterior)
        assert res.verify(A, b) and certificate_holds(res, A, b)
        assert interior_point(A, b) is None

    def test_lower_dimensional_set_has_no_interior(self):
        A, b = [[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 1, 1]  # segment x=0
        res = decide_interior(A, b)
        assert isinstance(res, NoInterior) and certificate_holds(res, A, b)
        assert res.multipliers[2:] == (0, 0)
        assert not is_full_dimensional(A, b)

    def test_point_set(self):
        A, b = box(2, 1, 1)
        res = decide_interior(A, b)
        assert isinstance(res, NoInterior) and certificate_holds(res, A, b)

    def test_equality_rows(self):
        A, b = box(2, 0, 2)
        x = interior_point(A, b, [[1, -1]], [0])
        assert x is not None and x[0] == x[1] and 0 < x[0] < 2

    def test_equality_on_boundary_has_no_relative_interior(self):
        A, b = box(2, 0, 2)
        res = decide_interior(A, b, [[1, 0]], [2])
        assert isinstance(res, NoInterior)
        assert certificate_holds(res, A, b, [[1, 0]], [2])

    def test_inconsistent_equalities(self):
        A_eq, b_eq = [[1, 1], [2, 2]], [1, 3]
        res = decide_interior([], [], A_eq, b_eq)
        assert isinstance(res, NoInterior)
        assert res.multipliers == ()
        assert certificate_holds(res, [], [], A_eq, b_eq, n=2)

    def test_equalities_only(self):
        x = interior_point([], [], [[1, 2], [0, 1]], [3, 1])
        assert x == (F(1), F(1))

    def test_empty_system_needs_dim(self):
        assert interior_point([], [], dim=3) == (F(0), F(0), F(0))
        assert interior_point([], [], dim=0) == ()

    def test_zero_rows(self):
        assert interior_point([[0, 0], [1, 0]], [1, 5]) is not None
        for bad in (0, -1):
            A, b = [[1, 0], [0, 0]], [5, bad]
            res = decide_interior(A, b)
            assert isinstance(res, NoInterior)
            assert res.multipliers == (0, 1) and certificate_holds(res, A, b)

    def test_zero_equality_row(self):
        assert interior_point([[1]], [1], [[0]], [0]) is not None
        res = decide_interior([[1]], [1], [[0]], [2])
        assert isinstance(res, NoInterior) and certificate_holds(res, [[1]], [1], [[0]], [2])

    def test_exact_input_kinds(self):
        A = [["1/2", Decimal("0.25")], [F(-1), -1]]
        x = interior_point(A, ["1", 0])
        assert strictly_inside(x, [[F(1, 2), F(1, 4)], [-1, -1]], [1, 0])

    def test_witness_verify_detects_wrong_witness(self):
        A, b = box(1, 0, 1)
        assert InteriorPoint((F(1, 2),)).verify(A, b)
        assert not InteriorPoint((F(1),)).verify(A, b)
        assert not InteriorPoint((F(1, 2),)).verify(A, b, [[1]], [0])
        assert NoInterior((F(1), F(1)), ()).verify([[1], [-1]], [0, 0])
        assert not NoInterior((F(1), F(2)), ()).verify([[1], [-1]], [0, 0])
        assert not NoInterior((F(-1), F(-1)), ()).verify([[1], [-1]], [0, 0])
        assert not NoInterior((F(1), F(1)), ()).verify([[1], [-1]], [1, 0])
        assert not NoInterior((F(0), F(0)), ()).verify([[1], [-1]], [0, 0])
        assert not NoInterior((F(1),), ()).verify([[1], [-1]], [0, 0])

    def test_full_dimensional(self):
        assert is_full_dimensional(*box(4, -1, 1))
        assert is_full_dimensional([[0, 0]], [0])
        assert not is_full_dimensional([[0, 0]], [-1])
        assert is_full_dimensional([], [], dim=2)
        assert not is_full_dimensional([[1], [-1]], [1, -1])


# --------------------------------------------------------------------------- optimisation


class TestOptimize:
    def test_box_minimum_and_maximum(self):
        A, b = box(2, -1, 2)
        lo = minimize([1, 1], 3, A, b)
        hi = maximize([1, 1], 3, A, b)
        assert (lo.status, lo.value, lo.point) == ("optimal", 1, (-1, -1))
        assert (hi.status, hi.value, hi.point) == ("optimal", 7, (2, 2))
        assert lo.verify([1, 1], 3, A, b) and hi.verify([1, 1], 3, A, b)
        assert lo.is_optimal and repr(lo) == "LPResult(min, optimal, value=1)"

    def test_simplex_rational_optimum(self):
        A, b = [[-1, 0], [0, -1], [3, 2]], [0, 0, 1]
        res = maximize([1, 1], 0, A, b)
        assert res.value == F(1, 2) and res.point == (0, F(1, 2))
        assert res.verify([1, 1], 0, A, b)

    def test_dual_multipliers(self):
        A, b = box(2, 0, 1)
        res = maximize([2, 3], 0, A, b)
        # y^T A = c, y^T b = value
        y = res.multipliers
        assert [dot(y, [r[j] for r in A]) for j in range(2)] == [2, 3]
        assert dot(y, b) == res.value == 5

    def test_unbounded_minimisation(self):
        A, b = [[-1, 0], [0, -1]], [0, 0]
        res = minimize([1, -1], 0, A, b)
        assert res.status == "unbounded" and res.value is None
        r = res.ray
        assert all(dot(row, r) <= 0 for row in A) and dot([1, -1], r) < 0
        assert res.verify([1, -1], 0, A, b)
        assert repr(res) == "LPResult(min, unbounded)"

    def test_unbounded_without_rows(self):
        res = maximize([0, 1], 0, [], [])
        assert res.status == "unbounded" and dot([0, 1], res.ray) > 0

    def test_constant_objective(self):
        res = minimize([0, 0], F(5, 2), [], [])
        assert res.status == "optimal" and res.value == F(5, 2)

    def test_infeasible(self):
        A, b = [[1, 1], [-1, -1]], [0, -1]
        res = minimize([1, 0], 0, A, b)
        assert res.status == "infeasible" and res.point is None
        y = res.multipliers
        assert all(v >= 0 for v in y) and dot(y, b) < 0
        assert [dot(y, [r[j] for r in A]) for j in range(2)] == [0, 0]
        assert res.verify([1, 0], 0, A, b)

    def test_infeasible_where_cdd_reports_dual_inconsistency(self):
        # cdd calls this one STRUC_DUAL_INCONSISTENT; it is in fact infeasible.
        res = minimize([0, 1], 0, [[-1, 0], [1, 0]], [-1, 0])
        assert res.status == "infeasible"

    def test_equality_constraints(self):
        A, b = box(2, 0, 3)
        res = maximize([1, 0], 0, A, b, [[1, 1]], [2])
        assert (res.value, res.point) == (2, (2, 0))
        assert res.verify([1, 0], 0, A, b, [[1, 1]], [2])
        res = maximize([1, 0], 0, A, b, [[1, 1], [1, 1]], [2, 1])
        assert res.status == "infeasible" and res.verify([1, 0], 0, A, b, [[1, 1], [1, 1]], [2, 1])

    def test_verify_rejects_wrong_results(self):
        A, b = box(1, 0, 1)
        good = maximize([1], 0, A, b)
        assert not LPResult("max", "optimal", F(2), (F(1),), None, good.multipliers, ()).verify([1], 0, A, b)
        assert not LPResult("max", "optimal", F(1), (F(2),), None, good.multipliers, ()).verify([1], 0, A, b)
        assert not LPResult("max", "optimal", F(0), (F(0),), None, (F(0), F(0)), ()).verify([1], 0, A, b)
        assert not LPResult("max", "optimal", F(1), (F(1),)).verify([1], 0, A, b)
        assert not LPResult("max", "unbounded", None, (F(0),), (F(1),)).verify([1], 0, A, b)
        assert not LPResult("max", "unbounded", None, (F(0),), None).verify([1], 0, A, b)
        assert not LPResult("max", "infeasible", multipliers=(F(1), F(1)), eq_multipliers=()).verify(
            [1], 0, A, b)
        assert not LPResult("max", "infeasible").verify([1], 0, A, b)
        assert not LPResult("max", "optimal").verify([1], 0, A, b)


# --------------------------------------------------------------------------- redundancy


class TestIrredundant:
    def test_box_with_duplicates_and_scaled_rows(self):
        A, b = box(2, 0, 1)
        A = [A[0], A[0], [2, 0]] + A[1:] + [[1, 1], [0, 0]]
        b = [b[0], b[0], 2] + b[1:] + [5, 1]
        assert irredundant_rows(A, b) == (0, 3, 4, 5)

    def test_keeps_first_duplicate(self):
        A, b = [[2, 0], [1, 0], [-1, 0]], [2, 1, 0]
        assert irredundant_rows(A, b) == (0, 2)

    def test_parallel_rows_keep_the_tighter(self):
        A, b = [[1, 0], [1, 0], [-1, 0]], [3, 1, 0]
        assert irredundant_rows(A, b) == (1, 2)

    def test_unbounded_polyhedron(self):
        A, b = [[-1, 0], [0, -1], [-1, -1]], [0, 0, 1]
        assert irredundant_rows(A, b) == (0, 1)

    def test_no_rows(self):
        assert irredundant_rows([], [], dim=2) == ()
        assert irredundant_rows([[0, 0]], [3]) == ()

    def test_not_full_dimensional(self):
        with pytest.raises(DomainError, match="full-dimensional"):
            irredundant_rows([[1, 0], [-1, 0]], [0, 0])
        with pytest.raises(DomainError, match="full-dimensional"):
            irredundant_rows([[1], [-1]], [0, -1])


# --------------------------------------------------------------------------- errors


class TestErrors:
    def test_float_refused(self):
        with pytest.raises(NumberError, match=r"A\[0\]\[1\]: expected an exact rational, got float"):
            interior_point([[1, 0.5]], [1])
        with pytest.raises(NumberError, match=r"b\[0\]: expected an exact rational, got float"):
            interior_point([[1]], [1.0])
        with pytest.raises(NumberError, match=r"d: expected an exact rational"):
            minimize([1], 0.5, [[1]], [1])

    def test_not_a_sequence(self):
        with pytest.raises(InputError, match="A: expected a sequence, got int"):
            interior_point(5, [])
        with pytest.raises(InputError, match=r"A\[0\]: expected a sequence, got str"):
            interior_point(["12"], [1])

    def test_shapes(self):
        with pytest.raises(InputError, match="A has 2 rows but its right-hand side has 1 entries"):
            interior_point([[1], [2]], [1])
        with pytest.raises(InputError, match=r"A\[1\] has 1 entries, expected 2"):
            interior_point([[1, 2], [1]], [1, 1])
        with pytest.raises(InputError, match=r"A_eq\[0\] has 3 entries, expected 2"):
            interior_point([[1, 2]], [1], [[1, 1, 1]], [0])
        with pytest.raises(InputError, match=r"A\[0\] has 2 entries, expected 3"):
            interior_point([[1, 2]], [1], dim=3)
        with pytest.raises(InputError, match="c has 2 entries, expected dim=3"):
            minimize([1, 1], 0, [], [], dim=3)
        with pytest.raises(InputError, match=r"A\[0\] has 1 entries, expected 2"):
            maximize([1, 1], 0, [[1]], [1])

    def test_dim(self):
        with pytest.raises(InputError, match="dim is required when A and A_eq have no rows"):
            interior_point([], [])
        with pytest.raises(InputError, match="dim must be a non-negative integer, got -1"):
            interior_point([], [], dim=-1)
        with pytest.raises(InputError, match="dim must be a non-negative integer, got True"):
            is_full_dimensional([], [], dim=True)


class TestSolverFailures:
    """A cdd answer that does not verify must raise, never be passed on."""

    def test_bad_status(self, monkeypatch):
        monkeypatch.setattr(lp, "_solve_max",
                            lambda *a: (lp._cdd.LPStatusType.UNBOUNDED, F(0), (), (), ()))
        with pytest.raises(SolverError, match="status UNBOUNDED for the interior point LP"):
            interior_point([[1]], [1])

    def test_wrong_solution(self, monkeypatch):
        real = lp._solve_max

        def corrupt(*args):
            status, value, v, y, z = real(*args)
            return status, value + 1, v, y, z

        monkeypatch.setattr(lp, "_solve_max", corrupt)
        with pytest.raises(SolverError, match="interior point LP does not verify"):
            interior_point([[1]], [1])

    def test_interior_point_check(self, monkeypatch):
        monkeypatch.setattr(InteriorPoint, "verify", lambda self, *a: False)
        with pytest.raises(SolverError, match="interior point from cdd does not verify"):
            interior_point([[1]], [1])

    def test_certificate_check(self, monkeypatch):
        monkeypatch.setattr(NoInterior, "verify", lambda self, *a, **k: False)
        with pytest.raises(SolverError, match="infeasibility certificate does not verify"):
            interior_point([[1], [-1]], [0, 0])

    def test_optimize_status_lie(self, monkeypatch):
        # The direct LP "fails"; the feasibility and ray LPs then prove it bounded.
        real = lp._solve_max
        calls = []

        def first_fails(*args):
            calls.append(1)
            if len(calls) == 1:
                return lp._cdd.LPStatusType.UNBOUNDED, F(0), (), (), ()
            return real(*args)

        monkeypatch.setattr(lp, "_solve_max", first_fails)
        with pytest.raises(SolverError, match="status UNBOUNDED for an LP that is feasible and bounded"):
            minimize([1], 0, [[-1]], [0])

    def test_optimize_result_check(self, monkeypatch):
        monkeypatch.setattr(LPResult, "verify", lambda self, *a: False)
        with pytest.raises(SolverError, match="infeasible answer from cdd does not verify"):
            minimize([1], 0, [[1], [-1]], [0, -1])


# --------------------------------------------------------------------------- properties

small = st.integers(-3, 3)


@st.composite
def systems(draw, max_eq=2):
    n = draw(st.integers(1, 3))
    m = draw(st.integers(0, 5))
    k = draw(st.integers(0, max_eq))
    A = [[draw(small) for _ in range(n)] for _ in range(m)]
    b = [draw(small) for _ in range(m)]
    E = [[draw(small) for _ in range(n)] for _ in range(k)]
    f = [draw(small) for _ in range(k)]
    return n, A, b, E, f


@settings(max_examples=150, deadline=None)
@given(systems())
def test_interior_decision_always_has_a_verified_witness(system):
    n, A, b, E, f = system
    res = decide_interior(A, b, E, f, dim=n)
    point = interior_point(A, b, E, f, dim=n)
    if isinstance(res, InteriorPoint):
        assert point is not None and strictly_inside(point, A, b, E, f)
        assert res.verify(A, b, E, f)
    else:
        assert point is None
        assert certificate_holds(res, A, b, E, f, n=n)


@settings(max_examples=100, deadline=None)
@given(systems(max_eq=1), st.lists(small, min_size=3, max_size=3))
def test_optimisation_witnesses_verify(system, c):
    n, A, b, E, f = system
    c = c[:n]
    for fn in (minimize, maximize):
        res = fn(c, 1, A, b, E, f)
        assert res.verify(c, 1, A, b, E, f)
    feasible = minimize([0] * n, 0, A, b, E, f).status == "optimal"
    assert feasible == (minimize(c, 0, A, b, E, f).status != "infeasible")


@settings(max_examples=60, deadline=None)
@given(systems(max_eq=0))
def test_irredundant_rows_are_exactly_the_facets(system):
    n, A, b, _, _ = system
    A, b = A + box(n, -4, 4)[0], b + box(n, -4, 4)[1]  # keep it bounded
    if not is_full_dimensional(A, b):
        with pytest.raises(DomainError):
            irredundant_rows(A, b)
        return
    kept = irredundant_rows(A, b)
    for i in kept:
        # A facet: the hyperplane meets the set in a relatively open (n-1)-dimensional piece.
        others = [j for j in range(len(A)) if j != i and any(A[j])
                  and not _same_hyperplane(A[i], b[i], A[j], b[j])]
        assert interior_point([A[j] for j in others], [b[j] for j in others], [A[i]], [b[i]]) is not None
    kept_A, kept_b = [A[i] for i in kept], [b[i] for i in kept]
    for i in set(range(len(A))) - set(kept):
        res = maximize(A[i], 0, kept_A, kept_b, dim=n)
        assert res.status == "optimal" and res.value <= b[i]
    # One row per facet: no two kept rows describe the same halfspace.
    assert len({_normal(A[i], b[i]) for i in kept}) == len(kept)


def _normal(a, b):
    from polyregions.rationals import primitive_row
    return primitive_row([F(v) for v in (*a, b)])


def _same_hyperplane(a1, b1, a2, b2):
    p, q = _normal(a1, b1), _normal(a2, b2)
    return p == q or p == tuple(-v for v in q)


def test_cdd_gives_dual_for_degenerate_vertex():
    # Many rows through one vertex: the optimum is degenerate; the dual must still verify.
    A = [[-1, 0], [0, -1], [-1, -1], [-2, -1], [-1, -2]] + [[1, 1]]
    b = [0, 0, 0, 0, 0, 4]
    res = minimize([1, 1], 0, A, b)
    assert res.value == 0 and res.verify([1, 1], 0, A, b)


def test_all_small_one_dimensional_systems():
    # Exhaustive in 1-D: interior exists iff max lower bound < min upper bound.
    for rows in product([(-1, -1), (-1, 0), (-1, 1), (1, -1), (1, 0), (1, 1), (0, 0), (0, 1)], repeat=2):
        A = [[a] for a, _ in rows]
        b = [bi for _, bi in rows]
        lower = max([F(-bi) for a, bi in rows if a == -1], default=None)
        upper = min([F(bi) for a, bi in rows if a == 1], default=None)
        zero_ok = all(bi > 0 for a, bi in rows if a == 0)
        expected = zero_ok and (lower is None or upper is None or lower < upper)
        assert (interior_point(A, b) is not None) == expected
