"""The double description cells: cuts, facets, interior, central and face points."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from polyregions.core.domain import Domain
from polyregions.geometry import lp
from polyregions.geometry.polyhedron import Cell, oriented_key, primitive, simplest_between, whole_space
from polyregions.search.engine import enumerate_regions
from tests.support.netgen import random_cases


def _slacks(cell: Cell, point):
    return [sum(Fraction(c) * x for c, x in zip(row, point)) + row[-1] for row in cell.rows]


def test_cut_through_lines_builds_rays():
    cell = whole_space(2)
    pos, neg, values = cell.cut((1, 1, -1), "u")      # x + y - 1 >= 0 / <= 0
    assert values is None and pos is not None and neg is not None
    assert len(pos.lines) == 1 and len(neg.lines) == 1
    assert not pos.is_bounded()
    assert all(s > 0 for s in _slacks(pos, pos.interior_point()))
    assert pos.inequalities() == [((-1, -1), -1)]
    assert neg.inequalities() == [((1, 1), 1)]


def test_triangle_is_bounded_with_three_facets():
    cell = whole_space(2)
    for h in [(1, 0, 0), (0, 1, 0), (-1, -1, 1)]:      # x >= 0, y >= 0, x + y <= 1
        cell = cell.cut(h, h, want=1)[0]
    assert cell.is_bounded()
    vertices = sorted(tuple(Fraction(v, vec[-1]) for v in vec[:-1]) for vec in cell.vecs)
    assert vertices == [(0, 0), (0, 1), (1, 0)]
    assert cell.facet_indices() == [0, 1, 2]
    point = cell.interior_point()
    assert all(s > 0 for s in _slacks(cell, point))


def test_one_sided_and_vanishing_cuts():
    cell = whole_space(1).cut((1, 0), "x", want=1)[0]   # x >= 0
    pos, neg, values = cell.cut((1, 1), "x+1")           # x + 1 >= 0 holds everywhere
    assert pos is cell and neg is None and values == [1, 1]   # the vertex 0 and the ray +1
    pos, neg, values = cell.cut((0, 0), "zero")
    assert pos is None and neg is None and values == [0, 0]
    pos, neg, values = cell.cut((-1, -1), "x+1<=0")
    assert pos is None and neg is cell and values == [-1, -1]


def test_redundant_rows_are_pruned():
    cell = whole_space(2)
    for h in [(1, 0, 0), (0, 1, 0), (-1, 0, 1), (0, -1, 1)]:   # unit square
        cell = cell.cut(h, h, want=1)[0]
    cell = cell.cut((-1, -1, 3), "far", want=1)[0]              # x + y <= 3: does not cut
    assert len(cell.rows) == 4
    tight = cell.cut((-1, -1, 2), "corner", want=1)[0]           # x + y <= 2 touches a vertex
    assert tight is cell


def test_face_point_lies_in_the_facet():
    cell = whole_space(3)
    for h in [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (-1, -1, -1, 2)]:
        cell = cell.cut(h, h, want=1)[0]
    for row in cell.facet_indices():
        point = cell.face_point(row)
        slacks = _slacks(cell, point)
        assert slacks[row] == 0
        assert all(s > 0 for i, s in enumerate(slacks) if i != row)


def test_tight_rows_are_the_rows_through_each_generator():
    cell = whole_space(3)
    for h in [(1, 0, 0, 0), (0, 1, 0, 0), (-1, -1, -1, 2), (1, -1, 0, 1)]:   # a cone with rays
        cell = cell.cut(h, h, want=1)[0]
    assert not cell.is_bounded() and not cell.lines
    for k, vec in enumerate(cell.vecs):
        on = [i for i, row in enumerate(cell.rows) if sum(c * v for c, v in zip(row, vec)) == 0]
        assert cell.tight_rows(k) == on and on


def test_keys():
    assert primitive([0, 0]) == (0, 0)
    assert oriented_key((-3, 6, 0)) == (1, -2, 0)
    assert oriented_key((0, 0)) == (0, 0)


def test_simplest_between_rejects_empty():
    with pytest.raises(ValueError, match="empty interval"):
        simplest_between(Fraction(1), Fraction(1))


fractions = st.fractions(min_value=-50, max_value=50, max_denominator=1000)


@given(fractions, fractions)
def test_simplest_between_is_inside_and_simplest(a, b):
    if a == b:
        return
    low, high = min(a, b), max(a, b)
    x = simplest_between(low, high)
    assert low < x < high
    for q in range(1, x.denominator):
        p = (low * q).__floor__() + 1
        assert not Fraction(p, q) < high, f"{p}/{q} is simpler than {x}"


rows = st.lists(st.tuples(st.integers(-4, 4), st.integers(-4, 4), st.integers(-6, 6)), min_size=1, max_size=7)


@settings(max_examples=150, deadline=None)
@given(rows)
def test_cuts_agree_with_the_exact_lp(hs):
    """Keeping h >= 0 for each row: the cell survives exactly when the LP finds an interior."""
    cell = whole_space(2)
    kept = []
    for h in hs:
        kept.append(h)
        pos = cell.cut(h, h, want=1)[0]
        A = [(-a, -b) for a, b, _ in kept]
        b = [c for _, _, c in kept]
        expected = lp.interior_point(A, b, dim=2)
        if pos is None:
            assert expected is None
            return
        assert expected is not None
        cell = pos
        for point in (cell.interior_point(), cell.interior_point(simplest=False)):
            assert all(s > 0 for s in _slacks(cell, point))
            assert all(a * point[0] + bb * point[1] + c > 0 for a, bb, c in kept)
        binary = cell.interior_point(simplest=False)
        assert all(v.denominator & (v.denominator - 1) == 0 for v in binary)
        for i in cell.facet_indices():
            others = [k for k in range(len(cell.rows)) if k != i]
            A2 = [tuple(-v for v in cell.rows[k][:-1]) for k in others]
            b2 = [cell.rows[k][-1] for k in others]
            res = lp.maximize([-v for v in cell.rows[i][:-1]], 0, A2, b2, dim=2)
            assert res.status == "unbounded" or res.value > cell.rows[i][-1]


def _check_central(cell: Cell):
    """The central point is strictly inside; in a bounded cell every row keeps more than
    4/9 of its slack at the exact vertex centroid (the bound of Cell.central_point)."""
    point = cell.central_point()
    slacks = _slacks(cell, point)
    assert all(s > 0 for s in slacks)
    if cell.is_bounded():
        vertices = cell.vertices()
        centroid = [sum(column) / len(vertices) for column in zip(*vertices)]
        assert all(s > Fraction(4, 9) * c for s, c in zip(slacks, _slacks(cell, centroid)))
    return point


def _polytope(rows):
    cell = whole_space(len(rows[0]) - 1)
    for h in rows:
        cell = cell.cut(h, h, want=1)[0]
    return cell


def test_central_point_of_a_triangle_is_its_centroid():
    cell = _polytope([(1, 0, 0), (0, 1, 0), (-1, -8, 8)])      # x >= 0, y >= 0, x + 8 y <= 8
    assert _check_central(cell) == (Fraction(8, 3), Fraction(1, 3))


def test_central_point_without_rows_rays_and_lines():
    assert whole_space(3).central_point() == (0, 0, 0)
    left, right, _ = whole_space(2).cut((1, 0, 0), "x")         # half planes: a ray and a line
    assert _check_central(left) == (1, 0) and _check_central(right) == (-1, 0)
    cone = _polytope([(1, 0, 0, 0), (0, 1, 0, 0), (-1, -1, -1, 2), (1, -1, 0, 1)])
    assert not cone.is_bounded() and not cone.lines
    _check_central(cone)
    strip = _polytope([(1, 0, 0), (-1, 0, 100), (0, 1, 0)])    # 0 <= x <= 100, y >= 0
    assert _check_central(strip) == (50, 50)                    # the ray scaled by the vertices' spread


@pytest.mark.parametrize("scale", [0, 40, 70, 150, 400])
def test_central_point_of_tiny_and_thin_cells(scale):
    """Cells far smaller than 2^-64 (the rounding grows) and long thin ones, off the origin."""
    small = 1 << scale
    offset = (1 << 100) // 3
    triangle = _polytope([(small, 0, -offset), (0, small, -offset), (-small, -small, 2 * offset + 1)])
    point = _check_central(triangle)
    assert all(v > Fraction(offset, small) for v in point)
    thin = _polytope([(1, 0, 0), (-1, 0, 1 << 20), (0, small, 0), (0, -small, 1)])   # [0, 2^20] x [0, 2^-scale]
    assert _check_central(thin)[0] == 1 << 19


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-9, 9), st.integers(-9, 9), st.integers(-9, 9), st.integers(-20, 20)),
                min_size=1, max_size=9))
def test_central_point_of_random_cells(hs):
    cell = whole_space(3)
    for h in hs:
        pos = cell.cut(h, h, want=1)[0]
        if pos is None:
            break
        cell = pos
        _check_central(cell)


def test_central_point_of_degenerate_regions():
    """Every region of random, mostly degenerate networks (coincident, parallel and
    concurrent hyperplanes, boxes with a face on one of them)."""
    regions = 0
    for name, net, A, b in random_cases(seed=2201, count=60):
        domain = Domain.from_inequalities(A, b) if A else None
        for region in enumerate_regions(net, domain):
            _check_central(region.cell)
            regions += 1
    assert regions > 300
