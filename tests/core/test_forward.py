"""The exact forward pass: ``net(x)``, ``net.pattern(x)`` and ``region_containing``."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest

from tests.support.netgen import random_cases, random_rational
from polyregions import BreakpointError, region_containing
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.errors import InputError, NumberError, SolverError
from polyregions.core.forward import PointPattern, Tie, evaluate, point_pattern
from polyregions.queries.point import PointRegion
from polyregions.core.layers import Abs, Affine, HardTanh, LeakyReLU, Maxout, ReLU
from polyregions.core.network import Network

CASES = list(random_cases(seed=612, count=120))


def _domain(net, A, b):
    return Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)


def _affine(weight, bias):
    return Affine(tuple(tuple(F(v) for v in row) for row in weight), tuple(F(v) for v in bias))


def _random_point(rng, domain):
    """A random rational point of the domain (its box, or near the origin on all of R^n)."""
    n = domain.dim
    while True:
        point = tuple(random_rational(rng, 4, (1, 2, 3, 5, 7)) for _ in range(n))
        if domain.contains(point):
            return point


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_region_containing_matches_the_enumeration(case):
    """At random rational points: the same key, inequalities, map and boundedness as the engine's region."""
    name, net, A, b = case
    domain = _domain(net, A, b)
    regions = {r.key: r for r in enumerate_regions(net, domain)}
    rng = random.Random(name)
    for _ in range(12):
        point = _random_point(rng, domain)
        at = net.pattern(point)
        if not at.is_generic:
            with pytest.raises(BreakpointError, match=r"lies on a breakpoint of \d+ units?") as info:
                region_containing(net, point, domain)
            assert info.value.ties == at.ties
            continue
        region = region_containing(net, point, domain)
        expected = regions[region.key]
        assert region.pattern == expected.pattern
        assert sorted(region.inequalities) == sorted(expected.inequalities)
        assert region.bounded == expected.bounded
        assert region.output_map == expected.output_map
        assert region.output_map(point) == net(point)
        # the interior point is strictly inside, with the region's own pattern
        inner = region.interior_point
        assert all(sum(c * v for c, v in zip(a, inner)) < rhs for a, rhs in region.inequalities)
        assert net.pattern(inner).pattern == region.pattern and net.pattern(inner).is_generic
        assert region.point == point and region.dim == net.input_dim


def test_most_random_points_are_generic():
    """The comparison above is not vacuous: nearly every random point is off the breakpoints."""
    generic = total = 0
    for name, net, A, b in CASES:
        rng = random.Random(name)
        domain = _domain(net, A, b)
        for _ in range(12):
            total += 1
            generic += net.pattern(_random_point(rng, domain)).is_generic
    assert generic >= total * 3 // 4, (generic, total)


def test_every_region_is_found_from_its_own_interior_point():
    for name, net, A, b in CASES[:60]:
        domain = _domain(net, A, b)
        for region in enumerate_regions(net, domain):
            found = region_containing(net, region.interior_point, domain)
            assert found.key == region.key, name
            assert sorted(found.inequalities) == sorted(region.inequalities), name


def test_forward_pass_values():
    net = Network.from_layers(2, [
        _affine([[1, 0], [0, 1], [1, -1]], [0, 0, "1/2"]), ReLU(),
        _affine([[1, 1, 0], [0, 1, -1]], [0, 0]), LeakyReLU(F(1, 4)),
        _affine([[1, -1], [2, 0]], [0, -1]), Abs(),
        _affine([[1, 1], [1, -1]], [0, 0]), HardTanh(F(-1), F(2)),
        _affine([[1, 0], [0, 1], [1, 1], [-1, 0]], [0, 0, 0, 0]), Maxout(2)])
    x = (F(1, 3), F(-2))
    # by hand: relu(1/3, -2, 1/3 + 2 + 1/2) = (1/3, 0, 17/6); affine: (1/3, -17/6);
    # leaky (1/4 slope): (1/3, -17/24); affine: (1/3 + 17/24, 2/3 - 1) = (25/24, -1/3); abs: (25/24, 1/3);
    # affine: (11/8, 17/24); hardtanh [-1, 2]: same; affine: (11/8, 17/24, 25/12, -11/8); maxout 2:
    # (11/8, 25/12)
    assert net(x) == evaluate(net, x) == (F(11, 8), F(25, 12))
    at = net.pattern(x)
    assert at == PointPattern(("+-+", "+-", "+-", "MM", "0,0"), (), (F(11, 8), F(25, 12)))
    assert at.key == "+-+|+-|+-|MM|0,0" and at.is_generic
    assert repr(at) == "PointPattern(pattern=+-+|+-|+-|MM|0,0, ties=0)"
    # floats are the exact binary values they hold, NumPy arrays are read with tolist()
    np = pytest.importorskip("numpy")
    assert net(np.array([1 / 3, -2.0])) == net([F(1 / 3), F(-2)])


def test_ties_are_reported_with_their_states():
    net = Network.from_layers(1, [
        _affine([[1], [1], [0]], [0, 1, 0]), ReLU(),                   # x, x + 1, the zero function
        _affine([[0, 1, 0], [0, 0, 1], [0, 1, 0]], [-1, 0, 0]), HardTanh(F(0), F(2)),   # x, 0, x + 1
        _affine([[0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, -1]], [0, 0, -1, 1]), Maxout(2)])  # same; x vs -x
    at = net.pattern([0])
    # relu unit 0 crosses 0; unit 2 is identically 0 (no tie). hardtanh unit 0 crosses min = 0; unit 1
    # is identically min (no tie). maxout unit 0 has two identical candidates (no tie); unit 1: x = -x.
    assert at.pattern == ("0+0", "llM", "0,0")
    assert at.ties == (Tie(1, 0, ("+", "-"), 1), Tie(2, 0, ("L", "M"), 3), Tie(3, 1, ("0", "1"), 5))
    assert [t.describe() for t in at.ties] == [
        "layer 1 unit 0 (states + and -)", "layer 2 unit 0 (states L and M)", "layer 3 unit 1 (states 0 and 1)"]
    # at x = 1 hardtanh unit 2 reaches max = 2; after that tie, its output is taken as the constant max
    assert net.pattern([1]) == PointPattern(("++0", "Mlh", "0,0"), (Tie(2, 2, ("M", "H"), 3),), (F(2), F(1)))
    assert net.pattern([F(1, 2)]) == PointPattern(("++0", "MlM", "0,0"), (), (F(3, 2), F(1, 2)))
    with pytest.raises(BreakpointError, match=r"^x = \(0\) lies on a breakpoint of 3 units \(layer 1 unit 0 "
                                              r"\(states \+ and -\), layer 2 unit 0 \(states L and M\), "
                                              r"layer 3 unit 1 \(states 0 and 1\)\), so on the boundary of "
                                              r"several activation regions; take a point off the breakpoints"):
        region_containing(net, [0])
    with pytest.raises(BreakpointError, match=r"^x = \(1\) lies on a breakpoint of 1 unit \(layer 2 unit 2 "):
        region_containing(net, [1])
    with pytest.raises(InputError):   # a BreakpointError is an input error (and a ValueError)
        region_containing(net, [1])
    assert region_containing(net, [F(1, 2)]).key == "++0|MlM|0,0"


def test_identical_candidates_and_dead_units_are_not_ties():
    """Degenerate units that sit on a breakpoint everywhere near x are the region's own states."""
    net = Network.from_layers(2, [
        _affine([[0, 0], [1, 1], [1, 1], [1, -1]], [0, 0, 0, 0]), ReLU(),
        _affine([[0, 1, 0, 0], [0, 0, 1, 0]], [0, 0]), Maxout(2)])   # two copies of relu(x + y)
    x = [1, 2]
    at = net.pattern(x)
    assert at.pattern == ("0++-", "0") and at.is_generic
    region = region_containing(net, x)
    assert region.key == "0++-|0"
    assert sorted(region.inequalities) == [((-1, -1), 0), ((1, -1), 0)]
    assert {r.key for r in enumerate_regions(net)} >= {region.key}


def test_region_on_a_box_face():
    """A point on the domain's boundary is in the closure of its region only: still one region."""
    net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    box = Domain.box(2, -1, 1)
    region = region_containing(net, [1, "1/2"], box)
    assert region.key == "++" and region.bounded
    assert sorted(region.inequalities) == sorted([((-1, 0), 0), ((0, -1), 0), ((1, 0), 1), ((0, 1), 1)])
    assert region.interior_point == (F(1, 2), F(1, 2))
    assert repr(region) == "PointRegion(pattern=++, dim=2, bounded=True)"
    assert isinstance(region, PointRegion)


def test_bad_points():
    net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    with pytest.raises(InputError, match=r"^x has 3 coordinates, the network has 2 inputs$"):
        net([1, 2, 3])
    with pytest.raises(InputError, match=r"^x has 1 coordinate, the network has 2 inputs$"):
        net.pattern([1])
    with pytest.raises(InputError, match=r"^x: expected a sequence of 2 numbers, got str$"):
        net("12")
    with pytest.raises(InputError, match=r"^x: expected a sequence of 2 numbers, got int$"):
        point_pattern(net, 5)
    with pytest.raises(NumberError, match=r"^x\[1\]: expected a finite number, got nan$"):
        net([1, float("nan")])
    with pytest.raises(InputError, match=r"^x = \(2, 0\) is outside the domain \(box \[-1, 1\]\^2\)$"):
        region_containing(net, [2, 0], Domain.box(2, -1, 1))
    with pytest.raises(InputError, match=r"^domain has dimension 3, the network input_dim is 2$"):
        region_containing(net, [0, 0], Domain.box(3, -1, 1))


def test_a_cut_without_interior_is_an_error(monkeypatch):
    """Cannot happen for a point off the breakpoints; if the cell arithmetic ever says so, say it."""
    from polyregions.geometry.polyhedron import Cell
    net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    monkeypatch.setattr(Cell, "cut", lambda self, h, tag, want=3: (None, None, None))
    with pytest.raises(SolverError, match=r"^region_containing: unit \(1, 0\) left no interior around the point$"):
        region_containing(net, [1, 1])


def test_the_values_only_pass_agrees_with_the_full_one():
    """net.pattern(x) reads the values alone unless one sits at a breakpoint; both passes agree."""
    from itertools import product

    from polyregions.core.forward import _values_pattern, walk_units
    on_breakpoint = 0
    for name, net, A, b in CASES[:80]:
        n = net.input_dim
        grid = list(product([F(-1), F(0), F(1, 2), F(1)], repeat=n))[:40]   # small points hit breakpoints
        for point in grid:
            fast, clean, output = _values_pattern(net, point)
            full, ties, _, rows = walk_units(net, point)
            assert fast == full, (name, point)
            assert output == net(point) == tuple(sum((c * v for c, v in zip(r, point)), r[-1]) for r in rows)
            if clean:
                assert ties == (), (name, point)
            on_breakpoint += not clean
            assert net.pattern(point) == PointPattern(full, ties, net(point))
    assert on_breakpoint >= 100   # the slow path is exercised too
