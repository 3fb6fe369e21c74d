"""Tests for bounds: hand-computed values, sympy expressions, relations, asymptotics, errors."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from polyregions.theory import bounds as B
from polyregions.errors import InputError

# ---------------------------------------------------------------------------
# values worked out by hand

# (n0, widths, zaslavsky_shallow, zaslavsky_shallow_bounded, montufar2014_lower,
#  serra2018_upper, serra2018_lower or None, montufar2017_upper)
HAND = [
    # n0=1, 2-2: one layer of 4 units on R: 1 + 4 = 5 pieces, C(3,1) = 3 bounded;
    # Montufar: floor(2/1)^1 * (C(2,0) + C(2,1)) = 2 * 3 = 6;
    # Serra: j1 <= min(1, 2) = 1, j2 <= min(1, 2 - j1, 2) = 1 -> (1 + 2)(1 + 2) = 9;
    # Serra lower needs n_l >= 3; Montufar 2017: d = 1, 1 -> 3 * 3 = 9.
    (1, [2, 2], 5, 3, 6, 9, None, 9),
    # n0=2, 3: one layer of 3 lines: 1 + 3 + 3 = 7 regions, C(2, 2) = 1 bounded (a triangle);
    # Montufar (L = 1): empty product * 7 = 7; Serra: j1 <= 2 -> 1 + 3 + 3 = 7.
    (2, [3], 7, 1, 7, 7, None, 7),
    # n0=2, 4-4: 8 lines: 1 + 8 + 28 = 37, C(7, 2) = 21 bounded;
    # Montufar: floor(4/2)^2 * (1 + 4 + 6) = 4 * 11 = 44;
    # Serra: j1 in 0..2, j2 <= min(2, 4 - j1, 4) = 2 -> 11 * 11 = 121; Montufar 2017: 11 * 11.
    (2, [4, 4], 37, 21, 44, 121, None, 121),
    # n0=1, 3-3: 6 points on R: 7 pieces, 5 bounded; Montufar: 3 * (1 + 3) = 12;
    # Serra upper: (1 + 3)(1 + 3) = 16; Serra lower: (3 + 1)^1 * (1 + 3) = 16 (their exact 1-D
    # maximum prod(n_l + 1)); Montufar 2017: 4 * 4 = 16.
    (1, [3, 3], 7, 5, 12, 16, 16, 16),
    # n0=2, 6-6: 12 lines: 1 + 12 + 66 = 79, C(11, 2) = 55 bounded;
    # Montufar: 3^2 * (1 + 6 + 15) = 198; Serra lower: 4^2 * 22 = 352; Serra upper: 22 * 22 = 484.
    (2, [6, 6], 79, 55, 198, 484, 352, 484),
    # bottleneck: n0=3, 1-5 (Montufar needs n_l >= n0: not applicable).
    # Serra: j1 <= min(3, 1) = 1; j1 = 0: j2 <= min(3, 1, 5) = 1 -> 1 * (1 + 5) = 6;
    # j1 = 1: j2 <= min(3, 0, 5) = 0 -> 1 * 1 = 1; total 7 (one unit: off -> 1 region, on -> a
    # line cut by 5 units -> 6). Montufar 2017: d1 = 1 -> 2, d2 = 1 -> 6: 12.
    # Shallow: 6 planes in R^3: 1 + 6 + 15 + 20 = 42, C(5, 3) = 10 bounded.
    (3, [1, 5], 42, 10, None, 7, None, 12),
    # n0=1, 2-3-4 (depth 3): Montufar: 2 * 3 * (1 + 4) = 30; Serra: 3 * 4 * 5 = 60.
    # Shallow: 9 points: 10 pieces, 8 bounded.
    (1, [2, 3, 4], 10, 8, 30, 60, None, 60),
]


@pytest.mark.parametrize("n0, widths, shallow, shallow_bounded, m14, s18u, s18l, m17", HAND,
                         ids=[f"n0={c[0]}-{c[1]}" for c in HAND])
def test_hand_values(n0, widths, shallow, shallow_bounded, m14, s18u, s18l, m17):
    total = sum(widths)
    assert B.zaslavsky_regions(n0, total) == shallow
    assert B.zaslavsky_bounded_regions(n0, total) == shallow_bounded
    assert B.serra2018_upper(n0, widths) == s18u
    assert B.montufar2017_upper(n0, widths) == m17
    table = B.bounds_table(n0, widths)
    assert table["zaslavsky_shallow"]["value"] == shallow
    assert table["zaslavsky_shallow_bounded"]["value"] == shallow_bounded
    assert table["serra2018_upper"]["value"] == s18u
    assert table["montufar2017_upper"]["value"] == m17
    if m14 is None:
        with pytest.raises(InputError, match="needs every width >= n0"):
            B.montufar2014_lower(n0, widths)
        assert table["montufar2014_lower"]["applies"] is False
        assert table["montufar2014_lower"]["value"] is None
        assert "needs every width >= n0" in table["montufar2014_lower"]["note"]
    else:
        assert B.montufar2014_lower(n0, widths) == m14
        assert table["montufar2014_lower"]["value"] == m14
    if s18l is None:
        with pytest.raises(InputError, match="needs every width >= 3 n0"):
            B.serra2018_lower(n0, widths)
        assert table["serra2018_lower"] == {**table["serra2018_lower"], "value": None,
                                            "applies": False}
    else:
        assert B.serra2018_lower(n0, widths) == s18l
        assert table["serra2018_lower"]["value"] == s18l


def test_zaslavsky_small_cases():
    # m <= n0 hyperplanes in general position: 2^m regions, none bounded
    assert [B.zaslavsky_regions(3, m) for m in (1, 2, 3)] == [2, 4, 8]
    assert [B.zaslavsky_bounded_regions(3, m) for m in (1, 2, 3)] == [0, 0, 0]
    # four lines: 11 regions, 3 bounded (Stanley Prop. 2.4: C(3, 2) = 3)
    assert (B.zaslavsky_regions(2, 4), B.zaslavsky_bounded_regions(2, 4)) == (11, 3)


def test_maxout_hand_values():
    # deep: 3^(2-1) * 3^2 = 27; 2^(3-1) * 2^2 = 16
    assert B.montufar2014_maxout_lower(2, 3, 2) == 27
    assert B.montufar2014_maxout_lower(2, 2, 3) == 16
    # one layer of 3 rank-3 units on R^2: at least 3^min(2,3) = 9,
    # at most min(1 + 27 + C(27, 2) = 379, 3^3 = 27) = 27
    assert B.montufar2014_maxout_layer_lower(2, 3, 3) == 9
    assert B.montufar2014_maxout_layer_upper(2, 3, 3) == 27
    # one layer of 2 rank-2 units on R: at least 2, at most min(1 + 8, 4) = 4
    assert (B.montufar2014_maxout_layer_lower(1, 2, 2), B.montufar2014_maxout_layer_upper(1, 2, 2)) \
        == (2, 4)
    # Serra et al. maxout: k(k-1)/2 = 3 tie hyperplanes per rank-3 unit;
    # widths 2-2 on R^2: (sum_{j<=2} C(6, j))^2 = 22^2 = 484
    assert B.serra2018_maxout_upper(2, [2, 2], 3) == 484
    # one layer of 2 rank-2 units on R: sum_{j<=1} C(2, j) = 3 (tight: two breakpoints)
    assert B.serra2018_maxout_upper(1, [2], 2) == 3
    # Montufar, Ren, Zhang (unverified form): 3 rank-3 units on R^2: 1 + 3 * 2 + 3 * 4 = 19;
    # 4 rank-3 units on R: 1 + 4 * 2 = 9 (8 breakpoints); 2 rank-3 units on R^3: 3^2 = 9
    assert B.mrz2021_maxout_layer_upper(2, 3, 3) == 19
    assert B.mrz2021_maxout_layer_upper(1, 4, 3) == 9
    assert B.mrz2021_maxout_layer_upper(3, 2, 3) == 9
    assert B.mrz2021_maxout_layer_upper(2, 4, 2) == 1 + 4 + 6


# ---------------------------------------------------------------------------
# the sympy expressions evaluate to the direct values

GRID = [(n0, ws) for n0 in (1, 2, 3)
        for ws in ([1], [2], [5], [1, 3], [3, 1], [2, 2], [4, 3], [6, 2], [3, 3, 3], [2, 5, 1, 4])]


def _values(n0, widths, **more):
    out = {"n0": n0, **{f"n{i + 1}": w for i, w in enumerate(widths)}}
    out.update(more)
    return out


@pytest.mark.parametrize("n0, widths", GRID, ids=[f"{a}-{b}" for a, b in GRID])
def test_expressions_match_direct_evaluation(n0, widths):
    depth = len(widths)
    values = _values(n0, widths)
    assert B.evaluate(B.serra2018_upper_expr(depth), values) == B.serra2018_upper(n0, widths)
    assert B.evaluate(B.montufar2017_upper_expr(depth), values) == B.montufar2017_upper(n0, widths)
    total = sum(widths)
    assert B.evaluate(B.zaslavsky_regions_expr(), {"n0": n0, "m": total}) \
        == B.zaslavsky_regions(n0, total)
    assert B.evaluate(B.zaslavsky_bounded_regions_expr(), {"n0": n0, "m": total}) \
        == B.zaslavsky_bounded_regions(n0, total)
    if min(widths) >= n0:
        assert B.evaluate(B.montufar2014_lower_expr(depth), values) == B.montufar2014_lower(n0, widths)
    if min(widths) >= 3 * n0:
        assert B.evaluate(B.serra2018_lower_expr(depth), values) == B.serra2018_lower(n0, widths)
    for rank in (2, 3):
        assert B.evaluate(B.serra2018_maxout_upper_expr(depth), {**values, "k": rank}) \
            == B.serra2018_maxout_upper(n0, widths, rank)
        assert B.evaluate(B.montufar2014_maxout_lower_expr(), {"n0": n0, "k": rank, "L": depth}) \
            == B.montufar2014_maxout_lower(n0, rank, depth)
        assert B.evaluate(B.montufar2014_maxout_layer_lower_expr(),
                          {"n0": n0, "k": rank, "n": widths[0]}) \
            == B.montufar2014_maxout_layer_lower(n0, widths[0], rank)
        assert B.evaluate(B.montufar2014_maxout_layer_upper_expr(),
                          {"n0": n0, "k": rank, "n": widths[0]}) \
            == B.montufar2014_maxout_layer_upper(n0, widths[0], rank)
        assert B.evaluate(B.mrz2021_maxout_layer_upper_expr(), {"n0": n0, "k": rank, "n": widths[0]}) \
            == B.mrz2021_maxout_layer_upper(n0, widths[0], rank)


def test_serra_lower_expression_with_wide_layers():
    values = _values(2, [6, 7, 9])
    assert B.evaluate(B.serra2018_lower_expr(3), values) == B.serra2018_lower(2, [6, 7, 9]) \
        == 4 ** 2 * 4 ** 2 * (1 + 9 + 36)


def test_plain_single_sums_agree_with_sympy_doit():
    # where sympy's doit is reliable (one sum, integer limits) it agrees with evaluate
    for n0, m in [(1, 4), (2, 5), (3, 3)]:
        expr = B.zaslavsky_regions_expr().subs({B.n0: n0, B.m: m})
        assert int(expr.doit()) == B.evaluate(B.zaslavsky_regions_expr(), {"n0": n0, "m": m})


def test_montufar_asymptotic_form_at_integers():
    # (n/n0)^((L-1) n0) n^n0 at n = 4, n0 = 2, L = 3: 2^4 * 16 = 256
    expr = B.montufar2014_asymptotic_expr()
    assert B.evaluate(expr, {"n": 4, "n0": 2, "L": 3}) == 256
    # with n0 | n it agrees with the exact bound's leading factor prod floor(n/n0)^n0
    assert B.montufar2014_lower(2, [4, 4, 4]) == 2 ** 4 * (1 + 4 + 6)


def test_width_symbols():
    assert [s.name for s in B.width_symbols(4)] == ["n1", "n2", "n3", "n4"]
    assert all(s.is_integer and s.is_positive for s in B.width_symbols(2))


# ---------------------------------------------------------------------------
# relations between the bounds


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4), st.lists(st.integers(1, 13), min_size=1, max_size=5))
def test_relations(n0, widths):
    upper = B.serra2018_upper(n0, widths)
    assert upper <= B.montufar2017_upper(n0, widths)
    assert upper <= 2 ** sum(widths)            # at most one region per activation pattern
    if min(widths) >= n0:
        lower = B.montufar2014_lower(n0, widths)
        assert lower <= upper
    if min(widths) >= 3 * n0:
        assert B.montufar2014_lower(n0, widths) <= B.serra2018_lower(n0, widths) <= upper
    if len(widths) == 1:
        # one layer: Serra's bound is Zaslavsky's count (Theorem 1 is tight for L = 1)
        assert upper == B.zaslavsky_regions(n0, widths[0]) == B.montufar2017_upper(n0, widths)
        if widths[0] >= n0:
            assert B.montufar2014_lower(n0, widths) == upper
    for rank in (2, 3, 4):
        maxout_upper = B.serra2018_maxout_upper(n0, widths, rank)
        if rank == 2:
            # a rank-2 unit has one tie hyperplane: the bound is Montufar 2017's
            assert maxout_upper == B.montufar2017_upper(n0, widths)
        if min(widths) >= n0 and not (n0 == 1 and rank >= 3 and len(widths) >= 2):
            assert B.montufar2014_maxout_lower(n0, rank, len(widths)) <= maxout_upper
        layer_lower = B.montufar2014_maxout_layer_lower(n0, widths[0], rank)
        assert layer_lower <= B.montufar2014_maxout_layer_upper(n0, widths[0], rank)
        assert layer_lower <= B.serra2018_maxout_upper(n0, widths[:1], rank)
        mrz = B.mrz2021_maxout_layer_upper(n0, widths[0], rank)
        assert layer_lower <= mrz <= B.montufar2014_maxout_layer_upper(n0, widths[0], rank)
        assert mrz <= B.serra2018_maxout_upper(n0, widths[:1], rank)


@pytest.mark.parametrize("n0", [1, 2, 3, 4])
@pytest.mark.parametrize("units", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("rank", [2, 3, 4, 5])
def test_mrz_equals_the_elementary_maxima(n0, units, rank):
    """Where the maximum of one maxout layer is elementary, the formula gives it."""
    value = B.mrz2021_maxout_layer_upper(n0, units, rank)
    if rank == 2:
        assert value == B.zaslavsky_regions(n0, units)  # one tie hyperplane per unit
    if units <= n0:
        assert value == rank ** units                    # every argmax pattern
    if n0 == 1:
        assert value == 1 + units * (rank - 1)           # at most k - 1 breaks per convex unit


def test_serra_one_dimensional_is_product():
    # n0 = 1: every J-vector is 0/1 with j_l <= n_{l-1} - j_{l-1}, and the bound is prod(n_l + 1)
    # whenever no layer has width 1 (Serra et al. Sec. 3.2)
    for widths in ([3, 3], [2, 5, 4], [7], [3, 3, 3, 3]):
        expected = 1
        for w in widths:
            expected *= w + 1
        assert B.serra2018_upper(1, widths) == expected


def test_deep_versus_shallow_numbers():
    # the paper's point, at one size: 3 layers of 4 units on R^1 against 12 units in one layer
    assert B.montufar2014_lower(1, [4, 4, 4]) == 4 * 4 * 5 == 80
    assert B.zaslavsky_regions(1, 12) == 13


# ---------------------------------------------------------------------------
# asymptotics


def test_asymptotic_checks_all_hold():
    checks = B.asymptotic_checks()
    assert set(checks) == {"deep_rate_positive", "deep_exact_exponential", "shallow_polynomial",
                           "deep_beats_shallow", "maxout_exponential", "serra_tight_one_layer"}
    assert all(value is True for value in checks.values()), checks


def test_asymptotic_rate_value():
    rate = sp.limit(sp.expand_log(sp.log(B.montufar2014_asymptotic_expr()), force=True) / B.L,
                    B.L, sp.oo)
    assert sp.simplify(rate - B.n0 * sp.log(B.n / B.n0)) == 0


# ---------------------------------------------------------------------------
# the table


def test_table_keys_and_entries():
    table = B.bounds_table(2, [4, 4])
    assert set(table) == {"zaslavsky_shallow", "zaslavsky_shallow_bounded", "montufar2014_lower",
                          "montufar2017_upper", "serra2018_upper", "serra2018_lower"}
    for name, entry in table.items():
        assert {"value", "formula", "source", "kind", "network", "applies", "relation"} <= set(entry), name
        assert entry["relation"] in ({B.UPPER, B.LOWER, B.COMPARISON} if entry["applies"] else {None})
        assert entry["kind"] in {"upper", "lower", "exact in general position"}
        assert entry["applies"] == (entry["value"] is not None)
        assert isinstance(entry["formula"], str) and entry["formula"]
        assert entry["source"]
    assert table["zaslavsky_shallow"]["formula"] == "Sum(binomial(n1 + n2, j), (j, 0, n0))"
    assert "Theorem 4" in table["montufar2014_lower"]["source"]
    assert "Theorem 1" in table["serra2018_upper"]["source"]
    assert table["serra2018_upper"]["kind"] == "upper"
    assert table["montufar2014_lower"]["kind"] == "lower"
    assert table["zaslavsky_shallow"]["kind"] == "exact in general position"


def test_table_formula_evaluates_to_value():
    table = {**B.bounds_table(2, [6, 7]), **{k: v for k, v in B.bounds_table(2, [6, 7], rank=3).items()
                                              if v["network"] == "maxout"}}
    values = _values(2, [6, 7], k=3, L=2)
    assert sum(entry["applies"] for entry in table.values()) == 8
    for name, entry in table.items():
        if entry["value"] is None:
            continue
        expr = sp.sympify(entry["formula"], locals={s: sp.Symbol(s, integer=True, positive=True)
                                                    for s in ("n0", "n1", "n2", "k", "L", "n")})
        assert B.evaluate(expr, values) == entry["value"], name


def test_table_maxout_entries():
    table = B.bounds_table(2, [2, 2, 2], rank=3)
    assert table["montufar2014_maxout_lower"]["value"] == 3 ** 2 * 3 ** 2 == 81
    assert table["serra2018_maxout_upper"]["value"] == 22 ** 3
    assert table["montufar2014_maxout_layer_upper"]["applies"] is False
    assert "one-layer bound" in table["montufar2014_maxout_layer_upper"]["note"]
    assert table["mrz2021_maxout_layer_upper"]["applies"] is False
    one = B.bounds_table(2, [3], rank=3)
    assert one["montufar2014_maxout_layer_lower"]["value"] == 9
    assert one["montufar2014_maxout_layer_upper"]["value"] == 27
    assert one["montufar2014_maxout_layer_upper"]["network"] == "maxout"
    assert one["mrz2021_maxout_layer_upper"]["value"] == 19
    assert "unverified" in one["mrz2021_maxout_layer_upper"]["note"]
    assert "not checked" in one["mrz2021_maxout_layer_upper"]["source"]


def test_table_maxout_hypotheses():
    narrow = B.bounds_table(3, [2, 3], rank=2)
    assert narrow["montufar2014_maxout_lower"]["applies"] is False
    assert "layer 1 has width 2" in narrow["montufar2014_maxout_lower"]["note"]
    false_case = B.bounds_table(1, [1, 1], rank=3)
    assert false_case["montufar2014_maxout_lower"]["applies"] is False
    assert "3k - 2 < k^2" in false_case["montufar2014_maxout_lower"]["note"]
    # rank 2 in one dimension is fine (tent maps)
    assert B.bounds_table(1, [1, 1], rank=2)["montufar2014_maxout_lower"]["value"] == 4


# ---------------------------------------------------------------------------
# which bound applies to which network


def test_relu_bounds_do_not_apply_to_other_families():
    """The cases of the issue: abs layers exceed Serra's bound, maxout layers are not ReLUs."""
    abs_table = B.bounds_table(1, [1, 1, 1], activation="abs")
    assert B.serra2018_upper(1, [1, 1, 1]) == 4          # three abs layers of width 1 on R have 8 regions
    assert abs_table["serra2018_upper"]["applies"] is False
    assert abs_table["serra2018_upper"]["note"] == (
        "stated for ReLU networks; abs is not a ReLU (|z| = relu(z) + relu(-z) folds the input); the "
        "proof uses that an inactive ReLU outputs 0, which lowers the dimension of the image")
    assert abs_table["montufar2017_upper"]["value"] == 8 and abs_table["montufar2017_upper"]["applies"]
    assert "the proof holds for any unit with one breakpoint" in abs_table["montufar2017_upper"]["note"]
    assert abs_table["montufar2014_lower"]["applies"] is False
    assert abs_table["zaslavsky_shallow"]["relation"] == B.COMPARISON
    maxout = B.bounds_table(2, [2, 2], rank=3)
    for key in ("zaslavsky_shallow", "zaslavsky_shallow_bounded", "montufar2014_lower", "montufar2017_upper",
                "serra2018_upper", "serra2018_lower"):
        assert maxout[key]["applies"] is False and maxout[key]["value"] is None, key
    assert "maxout" in maxout["serra2018_upper"]["note"]
    assert maxout["montufar2014_maxout_lower"]["value"] == 27
    assert maxout["serra2018_maxout_upper"]["relation"] == B.UPPER
    hardtanh = B.bounds_table(2, [3], activation="hardtanh")
    assert not any(entry["applies"] for entry in hardtanh.values())
    assert "two breakpoints (min and max)" in hardtanh["montufar2017_upper"]["note"]
    leaky = B.bounds_table(2, [3, 3], activation="leaky_relu")
    assert [k for k, e in leaky.items() if e["applies"]] == ["zaslavsky_shallow", "zaslavsky_shallow_bounded",
                                                            "montufar2017_upper"]
    assert "a leaky ReLU (slope != 0) is not a ReLU" in leaky["serra2018_upper"]["note"]


def test_mixed_families_name_the_layer():
    table = B.bounds_table(2, [3, 3], activation=["relu", "abs"])
    assert table["serra2018_upper"]["note"].startswith("stated for ReLU networks; abs is not a ReLU "
                                                       "(|z| = relu(z) + relu(-z) folds the input) (layer 2 is abs)")
    assert table["montufar2017_upper"]["applies"]
    table = B.bounds_table(2, [2, 2], rank=[3, None], activation=["maxout", "relu"])
    assert table["serra2018_maxout_upper"]["note"] == "stated for maxout networks; relu is not maxout (layer 2 is relu)"
    table = B.bounds_table(2, [2, 2], rank=[3, 2], activation="maxout")
    assert table["serra2018_maxout_upper"]["note"] == ("stated for maxout layers of one rank k; these layers "
                                                       "have ranks 2, 3")
    table = B.bounds_table(2, [2], rank=[1], activation="maxout")
    assert table["serra2018_maxout_upper"]["note"] == ("stated for rank k >= 2; a rank-1 maxout layer is a "
                                                       "linear layer")
    assert table["montufar2014_maxout_layer_lower"]["applies"] is False


def test_architecture_of_networks():
    from polyregions.core.layers import Identity, LeakyReLU, Maxout, ReLU
    from polyregions.core.network import Network
    net = Network.from_layers(2, [ReLU(), _affine(6, 2), Maxout(3), Identity(), _affine(4, 2),
                                  LeakyReLU(Fraction(0)), _affine(3, 4), LeakyReLU(Fraction(1, 3))])
    assert B.architecture(net) == B.Architecture(2, (2, 2, 4, 3), ("relu", "maxout", "relu", "leaky_relu"),
                                                 (None, 3, None, None))
    table = B.network_bounds(net)
    assert table["serra2018_maxout_upper"]["note"].endswith("(layer 1 is relu)")
    with pytest.raises(InputError, match="^the network has no activation layer, so no bound applies to it$"):
        B.network_bounds(Network.from_layers(2, [_affine(1, 2)]))


def test_verdicts():
    table = B.bounds_table(2, [4, 4])
    assert B.verdict(table["serra2018_upper"], 121) == "count <= bound"
    assert B.verdict(table["serra2018_upper"], 122) == "VIOLATED: count > bound"
    assert B.verdict(table["montufar2014_lower"], 44) == "count >= bound"
    assert B.verdict(table["montufar2014_lower"], 43) == "count < bound"
    assert B.verdict(table["zaslavsky_shallow"], 3) == "comparison"
    assert B.verdict(table["serra2018_lower"], 3) is None
    one = B.bounds_table(2, [4], activation="abs")
    assert one["zaslavsky_shallow"]["relation"] == B.UPPER     # one layer: this network is the shallow one
    assert B.verdict(one["zaslavsky_shallow"], 12) == "VIOLATED: count > bound"


FAMILY_CASES = [(family, seed) for family in ("relu", "leaky_relu", "abs", "hardtanh", "maxout", "mixed")
                for seed in range(24)]


@pytest.mark.parametrize("family, seed", FAMILY_CASES)
def test_applicable_upper_bounds_hold_for_random_networks(family, seed):
    """No upper bound that applies is ever below the exact count, for any family and architecture."""
    import random

    from tests.support.netgen import ACTIVATIONS, random_network
    from polyregions.queries.count import count_regions
    rng = random.Random(f"{family}-{seed}")
    n0 = rng.randint(1, 3)
    depth = rng.randint(1, 3)
    widths = [rng.randint(1, 3 if family != "maxout" else 2) for _ in range(depth)]
    kinds = [rng.choice(ACTIVATIONS) for _ in widths] if family == "mixed" else family
    net = random_network(rng, n0, widths, kinds, degenerate=seed % 2 == 1,
                         output_dim=rng.choice([None, 1]))
    count = count_regions(net, linear=False).activation_regions
    table = B.network_bounds(net)
    upper = {key: entry["value"] for key, entry in table.items()
             if entry["applies"] and entry["relation"] == B.UPPER}
    for key, value in upper.items():
        assert count <= value, (key, count, value, net)
        assert B.verdict(table[key], count) == "count <= bound"
    # not vacuous: every family with one breakpoint per unit keeps Montufar 2017, relu keeps Serra, maxout
    # keeps Serra's maxout bound; hardtanh has no bound that applies
    arch = B.architecture(net)
    if set(arch.activations) <= B.ONE_BREAKPOINT:
        assert "montufar2017_upper" in upper
    if set(arch.activations) == {"relu"}:
        assert "serra2018_upper" in upper
    if set(arch.activations) == {"maxout"} and len(set(arch.ranks)) == 1:
        assert "serra2018_maxout_upper" in upper
    if "hardtanh" in arch.activations:
        assert not upper


@pytest.mark.parametrize("n0, widths", [(1, [2, 2]), (1, [3, 2, 2]), (2, [2, 3]), (2, [4, 3]), (2, [3]),
                                        (3, [3, 3])])
def test_lower_bounds_are_reached_by_their_construction(n0, widths):
    """An applicable lower bound is never above the count of the construction it describes."""
    from polyregions.theory.constructions import rectifier_zigzag
    from polyregions.queries.count import count_regions
    from polyregions.core.domain import Domain
    net = rectifier_zigzag(n0, widths)
    count = count_regions(net, Domain.box(n0, 0, 1), linear=False).activation_regions
    table = B.network_bounds(net)
    assert table["montufar2014_lower"]["applies"]
    lower = {k: e for k, e in table.items() if e["applies"] and e["relation"] == B.LOWER}
    for key, entry in lower.items():
        assert count >= entry["value"], (key, count, entry["value"])
        assert B.verdict(entry, count) == "count >= bound"


@pytest.mark.parametrize("n0, rank, depth", [(1, 2, 1), (1, 3, 1), (1, 2, 3), (2, 2, 2), (2, 3, 1), (2, 3, 2),
                                             (3, 2, 1)])
def test_maxout_lower_bounds_are_reached_by_their_construction(n0, rank, depth):
    from polyregions.theory.constructions import maxout_construction
    from polyregions.queries.count import count_regions
    from polyregions.core.domain import Domain
    net = maxout_construction(n0, rank, depth)
    count = count_regions(net, Domain.box(n0, 0, 1), linear=False).activation_regions
    table = B.network_bounds(net)
    lower = {k: e for k, e in table.items() if e["applies"] and e["relation"] == B.LOWER}
    assert "montufar2014_maxout_lower" in lower
    assert ("montufar2014_maxout_layer_lower" in lower) == (depth == 1)
    for key, entry in lower.items():
        assert count >= entry["value"], (key, count, entry["value"])


def _affine(out, inp):
    from polyregions.core.layers import Affine
    return Affine(tuple(tuple(Fraction(i == j) for j in range(inp)) for i in range(out)),
                  tuple(Fraction(0) for _ in range(out)))


# ---------------------------------------------------------------------------
# every raise


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "2", None])
def test_bad_n0(bad):
    with pytest.raises(InputError, match="n0 \\(the input dimension\\) must be a positive integer"):
        B.serra2018_upper(bad, [2])


def test_n0_above_limit():
    with pytest.raises(InputError, match="above the limit"):
        B.zaslavsky_regions(B.MAX_WIDTH + 1, 2)


@pytest.mark.parametrize("bad, message", [
    ([], "at least one layer"),
    ("22", "sequence of positive integers"),
    (3, "sequence of positive integers"),
    ([2, 0], "width of layer 2 must be a positive integer, got 0"),
    ([2, -3], "width of layer 2 must be a positive integer, got -3"),
    ([2.5], "width of layer 1 must be a positive integer"),
    ([True], "width of layer 1 must be a positive integer"),
    ([B.MAX_WIDTH + 1], "width of layer 1 is .* above the limit"),
])
def test_bad_widths(bad, message):
    with pytest.raises(InputError, match=message):
        B.serra2018_upper(2, bad)
    with pytest.raises(InputError, match=message):
        B.bounds_table(2, bad)


def test_too_many_layers():
    with pytest.raises(InputError, match="layers, above the limit"):
        B.montufar2017_upper(1, [1] * (B.MAX_DEPTH + 1))


@pytest.mark.parametrize("bad", [1, 0, -2, 2.0, True, "3"])
def test_bad_rank(bad):
    with pytest.raises(InputError, match="maxout rank must be an integer >= 2"):
        B.serra2018_maxout_upper(2, [2], bad)
    with pytest.raises(InputError, match="maxout rank must be an integer >= 2"):
        B.bounds_table(2, [2], rank=bad)


@pytest.mark.parametrize("kwargs, message", [
    ({"activation": "softplus"}, "^activation of layer 1: expected one of relu, leaky_relu, abs, hardtanh, "
                                 "maxout, got 'softplus'$"),
    ({"activation": ["relu"]}, "^activation: 1 family for 2 layers$"),
    ({"activation": "maxout"}, r"^maxout layers need a rank \(--rank K\)$"),
    ({"activation": "maxout", "rank": [2]}, "^rank: 1 rank for 2 layers$"),
    ({"activation": "maxout", "rank": [2, None]}, "^maxout rank must be an integer >= 2, got None$"),
])
def test_bad_families_and_ranks(kwargs, message):
    with pytest.raises(InputError, match=message):
        B.bounds_table(2, [2, 2], **kwargs)


def test_rank_above_limit():
    with pytest.raises(InputError, match="maxout rank is .* above the limit"):
        B.montufar2014_maxout_lower(1, B.MAX_WIDTH + 1, 1)


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_bad_depth(bad):
    with pytest.raises(InputError, match="depth must be a positive integer"):
        B.width_symbols(bad)
    with pytest.raises(InputError, match="depth must be a positive integer"):
        B.montufar2014_maxout_lower(2, 2, bad)


def test_bad_counts_of_hyperplanes_and_units():
    with pytest.raises(InputError, match="number of hyperplanes must be a positive integer, got 0"):
        B.zaslavsky_regions(2, 0)
    with pytest.raises(InputError, match="number of hyperplanes must be a positive integer"):
        B.zaslavsky_bounded_regions(2, -1)
    with pytest.raises(InputError, match="number of maxout units must be a positive integer"):
        B.montufar2014_maxout_layer_upper(2, 0, 3)
    with pytest.raises(InputError, match="number of maxout units must be a positive integer"):
        B.montufar2014_maxout_layer_lower(2, 0, 3)


def test_hypotheses_refused():
    with pytest.raises(InputError, match="Theorem 4 needs every width >= n0 = 3; layer 2 has width 2"):
        B.montufar2014_lower(3, [3, 2])
    with pytest.raises(InputError, match="needs every width >= 3 n0 = 6; layer 1 has width 5"):
        B.serra2018_lower(2, [5, 9])


def test_evaluate_errors():
    with pytest.raises(InputError, match="limits of j are not integers"):
        B.evaluate(B.zaslavsky_regions_expr(), {"m": 3})
    with pytest.raises(InputError, match="value of n0 must be an integer"):
        B.evaluate(B.zaslavsky_regions_expr(), {"m": 3, "n0": 1.5})
    with pytest.raises(InputError, match="did not evaluate to an integer"):
        B.evaluate(B.montufar2014_asymptotic_expr(), {"n": 3, "n0": 2, "L": 2})
    with pytest.raises(InputError, match="did not evaluate to an integer"):
        B.evaluate(B.zaslavsky_bounded_regions_expr(), {"n0": 2})


def test_evaluate_ignores_unused_names_and_accepts_symbols():
    assert B.evaluate(B.zaslavsky_regions_expr(), {B.m: 4, B.n0: 2, "unused": 7}) == 11


def test_comb_matches_sympy_binomial():
    # the direct evaluations use math.comb; spot-check it against sympy's binomial
    for top in range(0, 9):
        for i in range(0, 10):
            assert comb(top, i) == int(sp.binomial(top, i))


def test_forty_layers_are_fast_and_a_hundred_and_one_refused():
    """Regression (issue 14): the written-out formulas simplified every Min of up to L
    terms, so 40 layers ran for minutes; now the table takes about a second."""
    table = B.bounds_table(2, [4] * 40, rank=3, activation="relu")
    assert table["serra2018_upper"]["value"] == B.serra2018_upper(2, [4] * 40)
    assert B.bounds_table(2, [4] * 40, rank=3)["serra2018_maxout_upper"]["applies"]
    assert "Min(n0, n1, n10, n11" in table["montufar2017_upper"]["formula"]
    assert B.MAX_DEPTH == 100
    B.bounds_table(2, [4] * B.MAX_DEPTH)
    with pytest.raises(InputError, match=r"^101 layers, above the limit 100$"):
        B.bounds_table(2, [4] * 101)


def test_hardtanh_networks_are_not_shown_with_relu_bounds_as_applying(capsys, tmp_path):
    """Issue 14, item 9: a hardtanh layer of 3 units in R^2 has 19 regions, shown next to a
    ReLU 'upper' bound of 7 marked as applying. The applicability by activation family is
    issue 12, item 1."""
    import json

    from tests.support.clirun import run

    model = tmp_path / "hardtanh.json"
    model.write_text(json.dumps({"format": "polyregions-network/1", "input_dim": 2, "layers": [
        {"type": "affine", "weight": [[1, 0], [0, 1], [1, 1]], "bias": [0, 0, 0]},
        {"type": "hardtanh", "min": -1, "max": 1}, {"type": "affine", "weight": [[1, 1, 1]]}]}))
    code, out, err = run(capsys, "count", model, "--bounds", "--json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert result["activation_regions"] == 19
    applying = {name: entry for name, entry in result["bounds"].items() if entry.get("applies", True)}
    for name, entry in applying.items():
        if entry["kind"] == "upper":
            assert entry["value"] >= 19, f"{name} = {entry['value']} shown as an upper bound of 19 regions"
        assert entry.get("network") != "relu", f"{name} is a ReLU bound shown as applying to hardtanh"

