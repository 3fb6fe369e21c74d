"""Tests of the slow reference (tests/support/reference.py) and the generator (tests/support/netgen.py).

The reference is checked against closed forms (hyperplane arrangements, hand-made
networks) and against a plain forward pass at rational points; the engine is then
checked against the reference elsewhere.
"""

from __future__ import annotations

import random
from fractions import Fraction as F
from itertools import combinations
from math import comb, factorial

import pytest


from tests.support.netgen import ACTIVATIONS, random_box, random_cases, random_network  # noqa: E402
from tests.support.reference import (reference_count, reference_linear_region_count,  # noqa: E402
                       reference_linear_regions, reference_regions)

from polyregions.geometry import lp  # noqa: E402
from polyregions.core.layers import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, ReLU
from polyregions.core.network import Network


# --------------------------------------------------------------------------- helpers


def affine(weight, bias=None):
    weight = tuple(tuple(F(v) for v in row) for row in weight)
    bias = tuple(F(v) for v in bias) if bias is not None else tuple(F(0) for _ in weight)
    return Affine(weight, bias)


def arrangement(rows, biases=None):
    """One ReLU layer whose hidden hyperplanes are ``rows . x + biases = 0``."""
    return Network.from_layers(len(rows[0]), [affine(rows, biases), ReLU()])


def det(matrix):
    m = [[F(v) for v in row] for row in matrix]
    n, sign, result = len(m), 1, F(1)
    for c in range(n):
        p = next((r for r in range(c, n) if m[r][c]), None)
        if p is None:
            return F(0)
        if p != c:
            m[c], m[p] = m[p], m[c]
            sign = -sign
        for r in range(c + 1, n):
            k = m[r][c] / m[c][c]
            m[r] = [x - k * y for x, y in zip(m[r], m[c])]
        result *= m[c][c]
    return sign * result


def generic_arrangement(seed, m, n):
    """Seeded integer hyperplanes, retried until in general position (checked exactly)."""
    rng = random.Random(seed)
    while True:
        W = [[rng.randint(-5, 5) for _ in range(n)] for _ in range(m)]
        c = [rng.randint(-5, 5) for _ in range(m)]
        independent = all(det([W[i] for i in s]) for s in combinations(range(m), n))
        no_common_point = all(det([W[i] + [c[i]] for i in s]) for s in combinations(range(m), n + 1))
        if independent and no_common_point:
            return W, c


def is_bounded(region, n):
    A, b = region.A, region.b
    for j in range(n):
        e = [int(i == j) for i in range(n)]
        for fn in (lp.minimize, lp.maximize):
            if fn(e, 0, A, b).status != "optimal":
                return False
    return True


def forward(net, x):
    """Plain forward pass at a point; also the pointwise pattern key."""
    v = list(x)
    pattern = []
    for layer in net.layers:
        if isinstance(layer, Affine):
            v = [sum((w * t for w, t in zip(row, v)), F(0)) + c for row, c in zip(layer.weight, layer.bias)]
        elif isinstance(layer, Identity):
            pattern.append("")
        elif isinstance(layer, Maxout):
            k = layer.rank
            groups = [v[i:i + k] for i in range(0, len(v), k)]
            idx = [g.index(max(g)) for g in groups]  # first maximiser = smallest index
            pattern.append(",".join(map(str, idx)))
            v = [max(g) for g in groups]
        elif isinstance(layer, HardTanh):
            lo, hi = layer.low, layer.high
            pattern.append("".join("L" if z < lo else "l" if z == lo else "M" if z < hi else
                                   "h" if z == hi else "H" for z in v))
            v = [min(max(z, lo), hi) for z in v]
        else:
            pattern.append("".join("+" if z > 0 else "-" if z < 0 else "0" for z in v))
            if isinstance(layer, ReLU):
                v = [max(z, F(0)) for z in v]
            elif isinstance(layer, LeakyReLU):
                v = [z if z >= 0 else layer.slope * z for z in v]
            else:
                v = [abs(z) for z in v]
    return tuple(v), "|".join(pattern)


def apply_map(output_map, x):
    weight, bias = output_map
    return tuple(sum((w * t for w, t in zip(row, x)), F(0)) + c for row, c in zip(weight, bias))


def strictly_inside(region, x):
    return all(sum((p * q for p, q in zip(a, x)), F(0)) < b for a, b in region.rows)


# --------------------------------------------------------------------------- arrangements


@pytest.mark.parametrize("m,n", [(5, 2), (4, 3), (6, 1)])
def test_generic_arrangement_zaslavsky(m, n):
    # Zaslavsky (1975); Stanley, "An introduction to hyperplane arrangements", Prop. 2.4:
    # sum_{j<=n} C(m, j) regions, C(m-1, n) of them bounded, in general position.
    W, c = generic_arrangement(1000 * m + n, m, n)
    regions = reference_regions(arrangement(W, c))
    assert len(regions) == sum(comb(m, j) for j in range(n + 1))
    assert sum(is_bounded(r, n) for r in regions) == comb(m - 1, n)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_coordinate_arrangement(n):
    rows = [[int(i == j) for j in range(n)] for i in range(n)]
    regions = reference_regions(arrangement(rows))
    assert len(regions) == 2 ** n
    assert {r.key for r in regions} == {"".join(s) for s in _signs(n)}


def _signs(n):
    if n == 0:
        return [""]
    return [s + t for s in "+-" for t in _signs(n - 1)]


@pytest.mark.parametrize("n", [2, 3, 4])
def test_braid_arrangement(n):
    # x_i = x_j for i < j: n! regions (Stanley, Section 1.1).
    rows = [[int(k == i) - int(k == j) for k in range(n)] for i, j in combinations(range(n), 2)]
    assert reference_count(arrangement(rows)) == factorial(n)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_shi_arrangement(n):
    # x_i - x_j in {0, 1} for i < j: (n+1)^(n-1) regions (Shi 1986; Stanley, Thm. 5.16).
    rows, biases = [], []
    for i, j in combinations(range(n), 2):
        row = [int(k == i) - int(k == j) for k in range(n)]
        rows += [row, row]
        biases += [0, -1]
    assert reference_count(arrangement(rows, biases)) == (n + 1) ** (n - 1)


def test_repeated_and_opposite_hyperplanes_do_not_add_regions():
    rows = [[1, 0], [2, 0], [-1, 0], [0, 1], [0, 1]]
    regions = reference_regions(arrangement(rows))
    assert sorted(r.key for r in regions) == ["++-++", "++---", "--+++", "--+--"]


# --------------------------------------------------------------------------- patterns


def test_relu_pattern_and_output_maps():
    net = Network.from_layers(1, [affine([[1], [-1]]), ReLU(), affine([[1, -1]])])
    regions = reference_regions(net)
    assert [r.key for r in regions] == ["+-", "-+"]
    assert [r.pattern for r in regions] == [("+-",), ("-+",)]
    assert all(r.output_map == (((F(1),),), (F(0),)) for r in regions)


def test_constant_units_give_zero_and_sign_states():
    net = Network.from_layers(2, [affine([[0, 0], [0, 0], [0, 0], [1, 0]], [0, 1, -1, 0]), ReLU()])
    assert sorted(r.key for r in reference_regions(net)) == ["0+-+", "0+--"]


def test_hardtanh_states():
    net = Network.from_layers(1, [affine([[1], [0], [0], [0], [0], [0]], [0, -3, -1, 0, 1, 3]),
                                  HardTanh(F(-1), F(1))])
    assert [r.key for r in reference_regions(net)] == ["LLlMhH", "MLlMhH", "HLlMhH"]
    maps = [r.output_map[1][0] for r in reference_regions(net)]
    assert maps == [-1, 0, 1]


def test_maxout_argmax_and_ties():
    # candidates (x, x, -x) and (0, x + 1, 0): ties go to the smallest index.
    net = Network.from_layers(1, [affine([[1], [1], [-1], [0], [1], [0]], [0, 0, 0, 0, 1, 0]), Maxout(3)])
    keys = [r.key for r in reference_regions(net)]
    # x > 0: "0,1"; -1 < x < 0: "2,1"; x < -1: "2,0" (candidates 0 and 2 of unit 2 tie)
    assert sorted(keys) == ["0,1", "2,0", "2,1"]
    # max(x, -x, 0) = |x|: the candidate 0 is never strictly the maximum on an open set.
    net = Network.from_layers(1, [affine([[1], [-1], [0]]), Maxout(3)])
    assert sorted(r.key for r in reference_regions(net)) == ["0", "1"]
    # a dominated constant candidate and a dominating one
    net = Network.from_layers(2, [affine([[0, 0], [0, 0]], [0, 1]), Maxout(2)])
    assert [r.key for r in reference_regions(net)] == ["1"]


def test_identity_and_activation_on_input_and_consecutive_affines():
    net = Network.from_layers(2, [Abs(), Identity(), affine([[1, -1], [1, 1]]), affine([[1, 0]], [-1]),
                                  LeakyReLU(F(1, 2))])
    regions = reference_regions(net)
    assert all(r.pattern[1] == "" and len(r.pattern) == 3 for r in regions)
    # |x1| + ... : quadrants split further by |x1| - |x2| = 1
    assert len(regions) == 4 * 2


def test_leaky_relu_with_slope_one_is_linear():
    net = Network.from_layers(2, [affine([[1, 0], [0, 1]]), LeakyReLU(F(1)), affine([[1, 1]])])
    assert reference_count(net) == 4 and reference_linear_region_count(net) == 1


# --------------------------------------------------------------------------- linear regions


def test_linear_regions_of_small_networks():
    # relu(x) - relu(-x) = x
    net = Network.from_layers(1, [affine([[1], [-1]]), ReLU(), affine([[1, -1]])])
    assert (reference_count(net), reference_linear_region_count(net)) == (2, 1)
    # relu(x1) + relu(x2): four different maps
    net = Network.from_layers(2, [affine([[1, 0], [0, 1]]), ReLU(), affine([[1, 1]])])
    assert (reference_count(net), reference_linear_region_count(net)) == (4, 4)
    # relu(x1) with a useless unit on x2: the x2 split merges away
    net = Network.from_layers(2, [affine([[1, 0], [0, 1]]), ReLU(), affine([[1, 0]])])
    assert (reference_count(net), reference_linear_region_count(net)) == (4, 2)


def test_equal_maps_that_do_not_touch_stay_apart():
    # The hat relu(x) - 2 relu(x - 1) + relu(x - 2): maps 0, x, 2 - x, 0.
    net = Network.from_layers(1, [affine([[1], [1], [1]], [0, -1, -2]), ReLU(), affine([[1, -2, 1]])])
    assert (reference_count(net), reference_linear_region_count(net)) == (4, 4)
    assert sorted(len(g) for g in reference_linear_regions(net)) == [1, 1, 1, 1]


def test_equal_maps_meeting_at_a_vertex_stay_apart():
    # relu(x + y) - relu(x) - relu(y) is 0 on both the first and the third quadrant,
    # which meet only at the origin.
    net = Network.from_layers(2, [affine([[1, 1], [1, 0], [0, 1]]), ReLU(), affine([[1, -1, -1]])])
    regions = reference_regions(net)
    zero = [r for r in regions if r.output_map == (((F(0), F(0)),), (F(0),))]
    assert len(regions) == 6 and len(zero) == 2
    assert reference_linear_region_count(net) == 6


def test_linear_regions_chain_through_several_regions():
    # Three parallel cuts that do not change the output: one linear region of four pieces.
    net = Network.from_layers(1, [affine([[1], [1], [1], [1]], [0, -1, -2, 0]), LeakyReLU(F(1)),
                                  affine([[0, 0, 0, 1]])])
    assert (reference_count(net), reference_linear_region_count(net)) == (4, 1)


# --------------------------------------------------------------------------- domains


def test_box_domains():
    net = arrangement([[1, 0], [0, 1]], [F(-1, 2), 0])
    A, b = [[1, 0], [-1, 0], [0, 1], [0, -1]], [1, 0, 1, 0]
    # x2 = 0 is a face of the box: only the x1 split remains.
    assert sorted(r.key for r in reference_regions(net, A, b)) == ["++", "-+"]
    assert reference_regions(net, A, [1, 0, 0, 0]) == []  # thin domain
    assert reference_regions(net, A, [1, 0, -1, 0]) == []  # empty domain
    assert reference_count(net, [[0, 0]], [0]) == 4  # 0 <= 0 is all of R^2
    assert reference_count(net, [[0, 0]], [-1]) == 0
    with pytest.raises(ValueError, match="domain row has 1 entries, expected 2"):
        reference_regions(net, [[1]], [0])


# --------------------------------------------------------------------------- random cases


def _random_points(rng, n, A, b, count):
    """Rational points with large prime denominators, inside the (bounded or empty) domain."""
    bounds = [(F(-5), F(5))] * n
    if A:
        bounds = [(lp.minimize(e, 0, A, b).value, lp.maximize(e, 0, A, b).value)
                  for e in ([int(i == j) for i in range(n)] for j in range(n))]
    points = []
    while len(points) < count:
        q = rng.choice([1_000_003, 999_983, 1_000_033])
        x = tuple(F(rng.randint(int(lo * q), int(hi * q)), q) for lo, hi in bounds)
        if all(sum((F(p) * t for p, t in zip(a, x)), F(0)) < F(bv) for a, bv in zip(A, b)):
            points.append(x)
    return points


CASES = list(random_cases(0, 100))


@pytest.mark.parametrize("name,net,A,b", CASES, ids=[c[0] for c in CASES])
def test_reference_agrees_with_forward_pass(name, net, A, b):
    regions = reference_regions(net, A, b)
    assert len({r.key for r in regions}) == len(regions)
    for r in regions:
        assert r.key == "|".join(r.pattern)
        assert strictly_inside(r, r.point)
        assert all(sum((F(p) * t for p, t in zip(a, r.point)), F(0)) < F(bv) for a, bv in zip(A, b))
        out, key = forward(net, r.point)
        assert key == r.key
        assert out == apply_map(r.output_map, r.point)
    rng = random.Random(name)
    for x in _random_points(rng, net.input_dim, A, b, 20):
        containing = [r for r in regions if strictly_inside(r, x)]
        assert len(containing) == 1
        out, key = forward(net, x)
        assert containing[0].key == key and apply_map(containing[0].output_map, x) == out


@pytest.mark.parametrize("name,net,A,b", CASES[:40], ids=[c[0] for c in CASES[:40]])
def test_linear_regions_merge_only_equal_maps(name, net, A, b):
    regions = reference_regions(net, A, b)
    groups = reference_linear_regions(net, A, b)
    assert sum(len(g) for g in groups) == len(regions)
    assert all(len({r.output_map for r in g}) == 1 for g in groups)
    assert len(groups) >= len({r.output_map for r in regions})


def test_linear_regions_in_one_dimension_by_sorting():
    # On a line the activation regions are intervals that tile the domain; sorted,
    # neighbours touch, so the linear regions are the runs of equal output maps.
    rng = random.Random(11)
    checked = 0
    for kind in ACTIVATIONS * 4:
        net = random_network(rng, 1, [rng.randint(1, 3), rng.randint(1, 3)], kind,
                             degenerate=rng.random() < 0.5, output_dim=1)
        regions = sorted(reference_regions(net), key=lambda r: r.point)
        changes = sum(p.output_map != q.output_map for p, q in zip(regions, regions[1:]))
        assert reference_linear_region_count(net) == 1 + changes
        checked += len(regions) > 2
    assert checked >= 5


# --------------------------------------------------------------------------- generator


def test_random_cases_are_reproducible():
    first = [(n, net.to_json(), A, b) for n, net, A, b in random_cases(7, 25)]
    again = [(n, net.to_json(), A, b) for n, net, A, b in random_cases(7, 25)]
    assert first == again
    other = [(n, net.to_json(), A, b) for n, net, A, b in random_cases(8, 25)]
    assert first != other


def test_random_cases_cover_the_requested_kinds():
    layer_kinds, dims, degenerate = set(), set(), dict.fromkeys(
        ["zero-row", "repeated-row", "multiple-row", "zero-bias", "maxout-tie"], False)
    domains = set()
    for name, net, A, b in random_cases(0, 60):
        dims.add(net.input_dim)
        domains.add(name.rsplit(":", 1)[-1] if "special" not in name else "special")
        for i, layer in enumerate(net.layers):
            layer_kinds.add(type(layer).__name__)
            if not isinstance(layer, Affine):
                continue
            rows = [(*w, c) for w, c in zip(layer.weight, layer.bias)]
            degenerate["zero-row"] |= any(not any(w) for w in layer.weight)
            degenerate["repeated-row"] |= len(set(rows)) < len(rows)
            degenerate["zero-bias"] |= len(rows) > 1 and not any(layer.bias)
            degenerate["multiple-row"] |= any(
                _parallel(p, q) and p != q for p, q in combinations(layer.weight, 2) if any(p))
            nxt = net.layers[i + 1] if i + 1 < len(net.layers) else None
            if isinstance(nxt, Maxout):
                k = nxt.rank
                degenerate["maxout-tie"] |= any(len(set(rows[j:j + k])) < k for j in range(0, len(rows), k))
    assert dims == {1, 2, 3, 4}
    assert {"ReLU", "LeakyReLU", "Abs", "HardTanh", "Maxout", "Identity", "Affine"} <= layer_kinds
    assert all(degenerate.values()), degenerate
    assert {"R^n", "box", "aligned-box", "special"} <= domains


def _parallel(p, q):
    k = next((y / x for x, y in zip(p, q) if x), None)
    return k is not None and all(k * x == y for x, y in zip(p, q))


def test_random_network_shapes():
    rng = random.Random(3)
    for kind in ACTIVATIONS:
        net = random_network(rng, 3, [2, 3], kind, degenerate=True, output_dim=2)
        assert net.input_dim == 3 and net.output_dim == 2
        assert len(net.layers) == 5
    net = random_network(rng, 2, [2], ["maxout"])
    assert net.output_dim == 2
    A, b = random_box(rng, 3)
    assert len(A) == 6 and lp.is_full_dimensional(A, b)
