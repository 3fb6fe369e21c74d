"""The engine against the independent slow reference and against closed forms."""

from __future__ import annotations

import random
from fractions import Fraction
from math import comb, factorial

import pytest

from polyregions.geometry import lp
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.core.layers import Affine, ReLU
from polyregions.core.network import Network

from tests.support.netgen import random_cases
from tests.support.pointwise import evaluate
from tests.support.reference import reference_regions

CASES = list(random_cases(seed=2026, count=220))


def _domain(net: Network, A, b) -> Domain:
    if not A:
        return Domain.whole(net.input_dim)
    return Domain.from_inequalities(A, b)


def _strictly_inside(point, rows) -> bool:
    return all(sum(Fraction(c) * x for c, x in zip(a, point)) < rhs for a, rhs in rows)


def _check_region_facts(net: Network, domain: Domain, region) -> None:
    point = region.interior_point
    rows = region.inequalities
    assert _strictly_inside(point, rows), f"{region!r}: interior point not strictly inside"
    assert domain.contains(point)
    pattern, output = evaluate(net, point)
    assert pattern == region.pattern, f"pattern at the interior point is {pattern}, region says {region.pattern}"
    assert region.output_map(point) == output
    # irredundant: dropping any row enlarges the region (exact LP: the row's own max exceeds b)
    for i, (a, rhs) in enumerate(rows):
        others = rows[:i] + rows[i + 1:]
        result = lp.maximize(a, 0, [r for r, _ in others], [s for _, s in others], dim=net.input_dim)
        assert result.status == "unbounded" or result.value > rhs, f"row {i} of {region!r} is redundant"


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_engine_matches_reference(case):
    name, net, A, b = case
    domain = _domain(net, A, b)
    regions = list(enumerate_regions(net, domain))
    expected = reference_regions(net, A, b)
    keys = [r.key for r in regions]
    assert len(keys) == len(set(keys)), "a pattern was yielded twice"
    assert sorted(keys) == sorted(r.key for r in expected)
    by_key = {r.key: r for r in expected}
    for region in regions:
        ref = by_key[region.key]
        assert region.output_map.weight == ref.output_map[0]
        assert region.output_map.bias == ref.output_map[1]
    for region in regions[:12]:
        _check_region_facts(net, domain, region)


def _bounded_by_lp(region, n) -> bool:
    A = [a for a, _ in region.inequalities]
    b = [rhs for _, rhs in region.inequalities]
    for i in range(n):
        for sign in (1, -1):
            c = [0] * n
            c[i] = sign
            if lp.maximize(c, 0, A, b, dim=n).status == "unbounded":
                return False
    return True


@pytest.mark.parametrize("case", CASES[:60], ids=[c[0] for c in CASES[:60]])
def test_bounded_flag_matches_lp(case):
    name, net, A, b = case
    domain = _domain(net, A, b)
    for region in list(enumerate_regions(net, domain))[:10]:
        assert region.bounded == _bounded_by_lp(region, net.input_dim)


def _one_layer(rows, biases) -> Network:
    return Network.from_layers(len(rows[0]), [Affine.from_lists(rows, biases), ReLU()])


def _generic_rows(rng, m, n):
    return [[rng.randint(-50, 50) for _ in range(n)] for _ in range(m)], \
        [rng.randint(-50, 50) for _ in range(m)]


@pytest.mark.parametrize("m,n", [(3, 1), (5, 2), (7, 2), (6, 3), (8, 3), (7, 4), (9, 4)])
def test_generic_arrangement(m, n):
    """Zaslavsky: m hyperplanes in general position in R^n cut sum_{j<=n} C(m, j) regions,
    C(m-1, n) of them bounded. Seeded integer rows in [-50, 50] are generic with
    overwhelming probability; the reference confirms it for the smaller sizes."""
    rng = random.Random(1000 * m + n)
    rows, biases = _generic_rows(rng, m, n)
    regions = list(enumerate_regions(_one_layer(rows, biases)))
    assert len(regions) == sum(comb(m, j) for j in range(n + 1))
    assert sum(r.bounded for r in regions) == comb(m - 1, n)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_coordinate_arrangement(n):
    rows = [[1 if i == j else 0 for j in range(n)] for i in range(n)]
    regions = list(enumerate_regions(_one_layer(rows, [0] * n)))
    assert len(regions) == 2 ** n
    assert not any(r.bounded for r in regions)
    assert {r.key for r in regions} == {"".join(s) for s in _signs(n)}


def _signs(n):
    if n == 0:
        yield ""
        return
    for rest in _signs(n - 1):
        yield rest + "+"
        yield rest + "-"


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_braid_arrangement(n):
    """x_i = x_j for i < j: n! regions, one per ordering of the coordinates."""
    rows = []
    for i in range(n):
        for j in range(i + 1, n):
            row = [0] * n
            row[i], row[j] = 1, -1
            rows.append(row)
    regions = list(enumerate_regions(_one_layer(rows, [0] * len(rows))))
    assert len(regions) == factorial(n)


@pytest.mark.parametrize("n", [2, 3])
def test_shi_arrangement(n):
    """x_i - x_j in {0, 1} for i < j: (n+1)^(n-1) regions (Shi 1986)."""
    rows, biases = [], []
    for i in range(n):
        for j in range(i + 1, n):
            row = [0] * n
            row[i], row[j] = 1, -1
            rows += [row, row]
            biases += [0, -1]
    regions = list(enumerate_regions(_one_layer(rows, biases)))
    assert len(regions) == (n + 1) ** (n - 1)


def test_box_domain_counts_bounded_only():
    rows = [[1, 0], [0, 1], [1, 1]]
    net = _one_layer(rows, [0, 0, 0])
    regions = list(enumerate_regions(net, Domain.box(2, -1, 1)))
    assert len(regions) == 6
    assert all(r.bounded for r in regions)


def test_domain_dimension_mismatch():
    net = _one_layer([[1, 0]], [0])
    with pytest.raises(ValueError, match="dimension 3"):
        list(enumerate_regions(net, Domain.whole(3)))


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(CASES) - 1), st.lists(st.fractions(-3, 3, max_denominator=7), min_size=3, max_size=3))
def test_a_rational_point_lies_in_exactly_one_region(index, coords):
    """A point on no breakpoint is strictly inside exactly one region, the one with its pattern;
    any point lies in the closure of at least one region."""
    name, net, A, b = CASES[index]
    point = tuple(coords[:net.input_dim]) + tuple(Fraction(0) for _ in range(net.input_dim - len(coords)))
    domain = _domain(net, A, b)
    if not domain.contains(point):
        return
    regions = list(enumerate_regions(net, domain))
    inside = [r for r in regions if _strictly_inside(point, r.inequalities)]
    closed = [r for r in regions if all(sum(Fraction(c) * x for c, x in zip(a, point)) <= rhs
                                        for a, rhs in r.inequalities)]
    assert len(inside) <= 1 and closed
    from tests.support.pointwise import is_generic
    pattern, _ = evaluate(net, point)
    if is_generic(pattern, net, point) and all(
            sum(Fraction(c) * x for c, x in zip(a, point)) < rhs for a, rhs in domain.rows):
        assert [r.pattern for r in inside] == [pattern]
