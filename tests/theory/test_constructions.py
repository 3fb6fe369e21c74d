"""The paper's constructions, counted by the engine, against their closed forms and the bounds."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

from polyregions.theory import bounds as B
from polyregions.theory import constructions as C
from polyregions.queries.count import count_regions
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.errors import InputError, PolyregionsError
from polyregions.core.layers import Affine, Maxout
from polyregions.core.network import Network

from tests.support.netgen import random_network
from tests.support.reference import reference_count


def _cube_counts(net: Network) -> tuple[int, int]:
    counts = count_regions(net, Domain.box(net.input_dim, 0, 1))
    return counts.activation_regions, counts.linear_regions


# ---------------------------------------------------------------------------
# the zig-zag network (Montufar et al. 2014, Theorem 4)

ZIGZAG_GRID = (
    [(1, list(ws)) for depth in (1, 2, 3) for ws in itertools.product(range(1, 7), repeat=depth)]
    + [(1, [2, 2, 2, 2]), (1, [3, 2, 3, 2]), (1, [6, 6, 6, 6]), (1, [4, 5, 6, 1])]
    + [(2, list(ws)) for depth in (1, 2, 3) for ws in itertools.product(range(2, 7), repeat=depth)]
    + [(2, [4, 4, 4, 2]), (2, [4, 5, 4, 3]), (2, [6, 4, 4, 4])]
    + [(3, list(ws)) for depth in (1, 2) for ws in itertools.product(range(3, 7), repeat=depth)]
    + [(3, [6, 6, 3]), (3, [6, 6, 4]), (3, [3, 6, 5]), (3, [9, 3])]
)


@pytest.mark.parametrize("n0, widths", ZIGZAG_GRID, ids=[f"n0={a}-{b}" for a, b in ZIGZAG_GRID])
def test_zigzag_counts_on_the_cube(n0, widths):
    net = C.rectifier_zigzag(n0, widths)
    assert net.widths() == (n0, *widths)
    activation, linear = _cube_counts(net)
    expected = C.rectifier_zigzag_counts(n0, widths)
    formula = B.montufar2014_lower(n0, widths)
    assert expected["formula"] == formula
    # activation regions: exactly the bound, always
    assert activation == expected["activation_regions"] == formula
    assert linear == expected["linear_regions"]
    folds = 1
    for w in widths[:-1]:
        folds *= w // n0
    if widths[-1] > n0 or folds <= 2:
        assert linear == formula
    else:   # n_L = n0 and P >= 3: the zero cells merge in runs along coordinate 1
        assert linear == formula - folds ** n0 + (folds // 2 + 1) * folds ** (n0 - 1) < formula
    # never above the upper bounds
    assert activation <= B.serra2018_upper(n0, widths) <= B.montufar2017_upper(n0, widths)


def test_zigzag_hand_cases():
    # n0=1, 2-2: the tent folds [0,1] twice; 2 units cut each copy in 3 -> 6
    assert _cube_counts(C.rectifier_zigzag(1, [2, 2])) == (6, 6)
    # n0=2, 4-4: 2x2 folds of the square, 4 lines in general position (11 regions) in each -> 44
    assert _cube_counts(C.rectifier_zigzag(2, [4, 4])) == (44, 44)
    # n0=1, 3-1: 3 folds; the single last unit's zero side merges across the fold at x = 2/3:
    # 6 activation regions, 5 linear regions
    assert _cube_counts(C.rectifier_zigzag(1, [3, 1])) == (6, 5)


def test_zigzag_single_layer_is_zaslavsky_on_the_cube():
    for n0, m in [(1, 4), (2, 2), (2, 5), (3, 3), (3, 6)]:
        assert _cube_counts(C.rectifier_zigzag(n0, [m])) == (B.zaslavsky_regions(n0, m),) * 2


def test_zigzag_last_layer_with_n_units_has_nonzero_coefficients():
    # n_L = n0: a simplicial cone; a zero coefficient would let a region keep its map across a fold
    for n0 in range(1, 7):
        net = C.rectifier_zigzag(n0, [n0])
        affine = net.layers[0]
        assert all(v != 0 for row in affine.weight for v in row)
        assert C.is_general_position(affine.weight, affine.bias)


def test_zigzag_last_layer_rows_are_generic_and_never_all_off():
    for n0, m in [(1, 3), (2, 4), (2, 6), (3, 5)]:
        net = C.rectifier_zigzag(n0, [m])
        affine = net.layers[0]
        assert C.is_general_position(affine.weight, affine.bias)
        assert all(v != 0 for row in affine.weight for v in row)
        counts = count_regions(net, Domain.box(n0, 0, 1))
        patterns = {r.pattern[-1] for r in enumerate_regions(net, Domain.box(n0, 0, 1))}
        assert "-" * m not in patterns
        assert counts.activation_regions == len(patterns)


def test_zigzag_spare_units_are_dead():
    net = C.rectifier_zigzag(2, [5, 3])   # p = 2 per coordinate, one spare unit
    first = net.layers[0]
    assert first.weight[-1] == (0, 0) and first.bias[-1] == -1
    assert _cube_counts(net) == (B.montufar2014_lower(2, [5, 3]),) * 2 == (28, 28)


def test_zigzag_weights_are_exact_fractions():
    net = C.rectifier_zigzag(2, [4, 4])
    for layer in net.layers:
        if isinstance(layer, Affine):
            assert all(isinstance(v, Fraction) for row in layer.weight for v in row)
            assert all(isinstance(v, Fraction) for v in layer.bias)


# ---------------------------------------------------------------------------
# the maxout construction (Montufar et al. 2014, Theorem 8)

MAXOUT_GRID = [(n0, k, depth) for n0 in (1, 2, 3) for k in (2, 3, 4) for depth in (1, 2, 3)
               if not (n0 == 1 and k >= 3 and depth >= 2)] + [(2, 2, 5), (1, 2, 6), (2, 5, 2)]


@pytest.mark.parametrize("n0, k, depth", MAXOUT_GRID, ids=[f"n0={a}-k={b}-L={c}" for a, b, c in MAXOUT_GRID])
def test_maxout_counts_on_the_cube(n0, k, depth):
    net = C.maxout_construction(n0, k, depth)
    assert net.widths() == (n0, *[n0 * k] * depth)
    assert all(layer.rank == k for layer in net.layers if isinstance(layer, Maxout))
    activation, linear = _cube_counts(net)
    formula = B.montufar2014_maxout_lower(n0, k, depth)
    assert activation == linear == formula == k ** (depth - 1) * k ** n0
    assert C.maxout_construction_counts(n0, k, depth) == {
        "formula": formula, "activation_regions": formula, "linear_regions": formula}
    assert activation <= B.serra2018_maxout_upper(n0, [n0] * depth, k)
    if depth == 1:
        assert B.montufar2014_maxout_layer_lower(n0, n0, k) <= activation
        assert activation <= B.montufar2014_maxout_layer_upper(n0, n0, k)
        assert activation == B.mrz2021_maxout_layer_upper(n0, n0, k)  # n = n0 units: k^n0, attained


def test_width_one_rank_three_maxout_stays_below_theorem_8():
    # Theorem 8 would promise 3^2 = 9 regions for two width-1 rank-3 layers; a convex
    # function of one variable takes each value at most twice, so at most 3 + 2*2 = 7.
    rng = random.Random(20140)
    best = 0
    for _ in range(40):
        layers = []
        for _ in range(2):
            weight = [[Fraction(rng.randint(-9, 9), rng.randint(1, 4))] for _ in range(3)]
            bias = [Fraction(rng.randint(-9, 9), rng.randint(1, 4)) for _ in range(3)]
            layers += [Affine(tuple(map(tuple, weight)), tuple(bias)), Maxout(3)]
        counts = count_regions(Network.from_layers(1, layers))
        best = max(best, counts.activation_regions)
        assert counts.linear_regions <= counts.activation_regions <= 7
    assert best >= 5


# ---------------------------------------------------------------------------
# hyperplane arrangements (Stanley's lecture notes)

ARRANGEMENT_GRID = ([("braid", d, None) for d in (2, 3, 4, 5)]
                    + [("shi", d, None) for d in (2, 3, 4, 5)]
                    + [("catalan", d, None) for d in (2, 3, 4)]
                    + [("generic", d, m) for d in (1, 2, 3, 4) for m in (1, 2, 3, 5, 7)])


@pytest.mark.parametrize("kind, dim, count", ARRANGEMENT_GRID,
                         ids=[f"{a}-{b}-{c}" for a, b, c in ARRANGEMENT_GRID])
def test_arrangements_on_the_whole_space(kind, dim, count):
    net = C.arrangement_network(kind, dim, count)
    counts = count_regions(net)
    expected = C.arrangement_counts(kind, dim, count)
    assert counts.activation_regions == counts.linear_regions == expected["regions"]
    assert counts.bounded_regions == expected["bounded_regions"]
    hyperplanes = net.layers[0].out_dim
    assert counts.activation_regions <= B.zaslavsky_regions(dim, hyperplanes) \
        == B.serra2018_upper(dim, [hyperplanes])


def test_arrangement_closed_forms():
    # braid: n!; Shi: (n+1)^(n-1); Catalan: n! C_n with C_2, C_3, C_4 = 2, 5, 14
    assert [C.arrangement_counts("braid", d)["regions"] for d in (2, 3, 4)] == [2, 6, 24]
    assert [C.arrangement_counts("shi", d)["regions"] for d in (2, 3, 4)] == [3, 16, 125]
    assert [C.arrangement_counts("catalan", d)["regions"] for d in (2, 3, 4)] == [4, 30, 336]
    # generic: 5 lines in the plane: 1 + 5 + 10 = 16 regions, C(4, 2) = 6 bounded
    assert C.arrangement_counts("generic", 2, 5) == {"regions": 16, "bounded_regions": 6}
    # hyperplane numbers: n(n-1)/2, n(n-1), 3 n(n-1)/2
    assert [C.arrangement_network(kind, 4).layers[0].out_dim for kind in ("braid", "shi", "catalan")] \
        == [6, 12, 18]


@pytest.mark.slow
def test_catalan_five():
    counts = count_regions(C.arrangement_network("catalan", 5))
    assert counts.activation_regions == counts.linear_regions == 120 * 42


def test_generic_rows_are_small_integers_in_general_position():
    net = C.arrangement_network("generic", 3, 6)
    affine = net.layers[0]
    assert affine.weight[2] == (1, 3, 9) and affine.bias[2] == -27
    assert all(v.denominator == 1 for row in affine.weight for v in row)
    assert C.is_general_position(affine.weight, affine.bias)


def test_is_general_position_detects_degeneracy():
    assert C.is_general_position([[1, 0], [0, 1], [1, 1]], [0, 0, -1])
    assert not C.is_general_position([[1, 0], [0, 1], [1, 1]], [0, 0, 0])     # concurrent
    assert not C.is_general_position([[1, 0], [2, 0]], [0, 1])                # parallel
    assert not C.is_general_position([[1, 2, 3], [2, 4, 6]], [0, 1])          # parallel in R^3
    assert C.is_general_position([[1, 2, 3], [0, 1, 1]], [5, 1])


# ---------------------------------------------------------------------------
# random networks never exceed the upper bounds

RANDOM_SHAPES = [(1, [3, 3]), (2, [3, 2]), (2, [4, 3]), (2, [2, 4]), (3, [3, 3]), (2, [3, 3, 2]),
                 (1, [2, 2, 2]), (3, [2, 4]), (2, [5]), (4, [3, 2])]


@pytest.mark.parametrize("index", range(len(RANDOM_SHAPES)))
def test_random_relu_networks_respect_serra_upper(index):
    n0, widths = RANDOM_SHAPES[index]
    for degenerate in (False, True):
        net = random_network(random.Random(4000 + 10 * index + degenerate), n0, widths, "relu",
                             degenerate=degenerate)
        counts = count_regions(net)
        assert counts.linear_regions <= counts.activation_regions <= B.serra2018_upper(n0, widths)
        assert counts.activation_regions <= B.montufar2017_upper(n0, widths)


@pytest.mark.parametrize("index", range(6))
def test_random_maxout_networks_respect_serra_maxout_upper(index):
    rng = random.Random(5000 + index)
    n0, widths, rank = [(1, [2, 2], 3), (2, [2, 1], 3), (2, [2, 2], 2), (2, [1, 2], 4),
                        (3, [2, 2], 2), (2, [3], 3)][index]
    layers = []
    width = n0
    for units in widths:
        weight = [[Fraction(rng.randint(-6, 6), rng.randint(1, 3)) for _ in range(width)]
                  for _ in range(units * rank)]
        bias = [Fraction(rng.randint(-6, 6), rng.randint(1, 3)) for _ in range(units * rank)]
        layers += [Affine(tuple(map(tuple, weight)), tuple(bias)), Maxout(rank)]
        width = units
    counts = count_regions(Network.from_layers(n0, layers))
    assert counts.activation_regions <= B.serra2018_maxout_upper(n0, widths, rank)
    if len(widths) == 1:
        assert counts.activation_regions <= B.montufar2014_maxout_layer_upper(n0, widths[0], rank)
        assert counts.activation_regions <= B.mrz2021_maxout_layer_upper(n0, widths[0], rank)


# Layers that attain the Montufar-Ren-Zhang formula, found by hill climbing on integer
# weights with the engine as the objective (a random start, one coefficient changed at
# a time, kept when the count does not drop). They show the formula is reached, not only
# never exceeded; the slow reference confirms each count independently.
MRZ_WITNESSES = [
    (2, 3, [[-10, 85], [-21, 8], [48, 38], [4, 10], [6, 47], [13, -71], [-18, 69], [39, 1], [13, 15]],
     [30, -28, -51, 13, -37, -47, -64, -3, 46]),
    (2, 3, [[-35, 39], [19, 46], [57, 27], [-13, 8], [-16, 75], [-3, -41], [-47, 69], [34, -12], [9, 8],
            [82, -60], [-57, 7], [-21, -43]],
     [-69, 36, 39, 53, 51, 46, -88, 16, 12, -12, 22, 31]),
    (3, 3, [[-15, 27, -71], [14, 8, -27], [-50, 22, -3], [62, 75, -9], [40, 28, -19], [-30, -26, 33],
            [-17, 30, 2], [-32, 38, -17], [-67, 41, 15], [-8, 17, 65], [-36, -13, -18], [16, -9, 57]],
     [11, -65, -9, -19, 42, -6, -34, 25, 23, 37, -22, 13]),
]


@pytest.mark.parametrize("n0, rank, weight, bias", MRZ_WITNESSES,
                         ids=[f"n0={w[0]}-n={len(w[2]) // w[1]}-k={w[1]}" for w in MRZ_WITNESSES])
def test_mrz_bound_is_attained(n0, rank, weight, bias):
    units = len(weight) // rank
    net = Network.from_layers(n0, [Affine(tuple(tuple(Fraction(v) for v in row) for row in weight),
                                          tuple(Fraction(v) for v in bias)), Maxout(rank)])
    bound = B.mrz2021_maxout_layer_upper(n0, units, rank)
    assert bound in (19, 33, 65)
    assert count_regions(net).activation_regions == bound
    assert reference_count(net) == bound


MAXOUT_LAYERS = [(2, 3, 3), (2, 4, 3), (2, 3, 4), (2, 5, 3), (3, 4, 3), (3, 5, 3), (2, 6, 2), (1, 5, 4),
                 (3, 3, 4), (4, 5, 3)]


@pytest.mark.parametrize("n0, units, rank", MAXOUT_LAYERS,
                         ids=[f"n0={a}-n={b}-k={c}" for a, b, c in MAXOUT_LAYERS])
def test_random_maxout_layers_respect_the_mrz_bound(n0, units, rank):
    """Montufar-Ren-Zhang's one-layer bound (unverified form): never exceeded, random or degenerate."""
    rng = random.Random(6000 + 100 * n0 + 10 * units + rank)
    bound = B.mrz2021_maxout_layer_upper(n0, units, rank)
    for trial in range(8):
        spread = 99 if trial % 2 else 3  # odd trials generic, even ones full of ties
        weight = [[Fraction(rng.randint(-spread, spread), rng.randint(1, 7)) for _ in range(n0)]
                  for _ in range(units * rank)]
        bias = [Fraction(rng.randint(-spread, spread), rng.randint(1, 7)) for _ in range(units * rank)]
        net = Network.from_layers(n0, [Affine(tuple(map(tuple, weight)), tuple(bias)), Maxout(rank)])
        assert count_regions(net).activation_regions <= bound


# ---------------------------------------------------------------------------
# every raise


@pytest.mark.parametrize("bad", [0, -2, 1.0, True, "2"])
def test_bad_dimension(bad):
    with pytest.raises(InputError, match="n0 \\(the input dimension\\) must be a positive integer"):
        C.rectifier_zigzag(bad, [2])
    with pytest.raises(InputError, match="n0 \\(the input dimension\\) must be a positive integer"):
        C.rectifier_zigzag_counts(bad, [2])
    with pytest.raises(InputError, match="n0 \\(the input dimension\\) must be a positive integer"):
        C.maxout_construction(bad, 2, 1)
    with pytest.raises(InputError, match="n0 \\(the input dimension\\) must be a positive integer"):
        C.maxout_construction_counts(bad, 2, 1)
    with pytest.raises(InputError, match="dim must be a positive integer"):
        C.arrangement_network("generic", bad, 3)


def test_dimension_above_limit():
    with pytest.raises(InputError, match="above the limit"):
        C.rectifier_zigzag(C.MAX_DIM + 1, [C.MAX_DIM + 1])


@pytest.mark.parametrize("bad, message", [
    ([], "non-empty sequence"),
    ("33", "non-empty sequence"),
    (4, "non-empty sequence"),
    ([2, 0], "width of layer 2 must be a positive integer, got 0"),
    ([2, -1], "width of layer 2 must be a positive integer"),
    ([C.MAX_WIDTH + 1], "width of layer 1 is .* above the limit"),
    ([1] * (C.MAX_DEPTH + 1), "layers, above the limit"),
])
def test_bad_zigzag_widths(bad, message):
    with pytest.raises(InputError, match=message):
        C.rectifier_zigzag(1, bad)
    with pytest.raises(InputError, match=message):
        C.rectifier_zigzag_counts(1, bad)


def test_zigzag_needs_widths_at_least_n0():
    with pytest.raises(InputError, match="needs every width >= n0 = 2; layer 2 has width 1"):
        C.rectifier_zigzag(2, [4, 1])
    with pytest.raises(InputError, match="Theorem 4 needs every width >= n0 = 3"):
        C.rectifier_zigzag_counts(3, [2])


@pytest.mark.parametrize("bad", [1, 0, 2.0, True])
def test_bad_maxout_rank(bad):
    with pytest.raises(InputError, match="maxout rank must be an integer >= 2"):
        C.maxout_construction(2, bad, 1)
    with pytest.raises(InputError, match="maxout rank must be an integer >= 2"):
        C.maxout_construction_counts(2, bad, 1)


def test_maxout_rank_above_limit():
    with pytest.raises(InputError, match="maxout rank is .* above the limit"):
        C.maxout_construction(2, C.MAX_WIDTH + 1, 1)


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_bad_maxout_depth(bad):
    with pytest.raises(InputError, match="depth must be a positive integer"):
        C.maxout_construction(2, 2, bad)
    with pytest.raises(InputError, match="depth must be a positive integer"):
        C.maxout_construction_counts(2, 2, bad)


def test_maxout_width_one_rank_three_refused():
    with pytest.raises(InputError, match="no width-1 rank-3 maxout network reaches 3\\^2 regions"):
        C.maxout_construction(1, 3, 2)
    with pytest.raises(InputError, match="Theorem 8 fails for n0 = 1"):
        C.maxout_construction_counts(1, 4, 3)


@pytest.mark.parametrize("kind, dim, count, message", [
    ("cyclic", 3, None, "unknown arrangement 'cyclic' \\(known: braid, shi, catalan, generic\\)"),
    ("generic", 2, None, "needs count, the number of hyperplanes"),
    ("generic", 2, 0, "count must be a positive integer, got 0"),
    ("braid", 3, 2, "the braid arrangement takes no count, got 2"),
    ("shi", 1, None, "the shi arrangement needs dim >= 2"),
    ("catalan", 0, None, "dim must be a positive integer, got 0"),
])
def test_bad_arrangements(kind, dim, count, message):
    with pytest.raises(InputError, match=message):
        C.arrangement_network(kind, dim, count)
    with pytest.raises(InputError, match=message):
        C.arrangement_counts(kind, dim, count)


def test_is_general_position_input_errors():
    with pytest.raises(InputError, match="weight and bias must be non-empty and of one length"):
        C.is_general_position([], [])
    with pytest.raises(InputError, match="weight and bias must be non-empty and of one length"):
        C.is_general_position([[1, 0]], [0, 1])
    with pytest.raises(InputError, match="weight rows have different lengths"):
        C.is_general_position([[1, 0], [1]], [0, 1])


def test_internal_errors(monkeypatch):
    with pytest.raises(PolyregionsError, match="singular matrix in a construction"):
        C._inverse([[Fraction(1), Fraction(2)], [Fraction(2), Fraction(4)]])
    with monkeypatch.context() as patch:
        patch.setattr(C, "_inverse_or_none", lambda matrix: [[Fraction(0)] * len(matrix)] * len(matrix))
        with pytest.raises(PolyregionsError, match="no simplicial cone with nonzero normals"):
            C.rectifier_zigzag(2, [2])
    with monkeypatch.context() as patch:
        patch.setattr(C, "is_general_position", lambda weight, bias: False)
        with pytest.raises(PolyregionsError, match="not in general position"):
            C.arrangement_network("generic", 2, 3)


# --------------------------------------------------------------------------- sizes (issue 14, item 8)

def _vertex_box(n0: int, units: int) -> tuple[list[Fraction], list[Fraction]]:
    """The bounding box of the moment-curve arrangement's vertices, by enumerating them all."""
    ts = range(1, units + 1)
    vertices = [C._solve([[Fraction(t) ** e for e in range(n0)] for t in subset],
                         [Fraction(t) ** n0 for t in subset])
                for subset in itertools.combinations(ts, n0)]
    return ([min(v[i] for v in vertices) for i in range(n0)],
            [max(v[i] for v in vertices) for i in range(n0)])


@pytest.mark.parametrize("n0, units", [(1, 2), (1, 5), (2, 3), (2, 7), (3, 4), (3, 8), (4, 9), (5, 7)])
def test_elementary_symmetric_bounds_equal_the_vertex_box(n0, units):
    """The closed form that replaced the enumeration of all C(units, n0) vertices."""
    lo, hi = _vertex_box(n0, units)
    ts = list(range(1, units + 1))
    for e in range(n0):
        k = n0 - e
        small, large = C._elementary(ts[:n0], k), C._elementary(ts[-n0:], k)
        assert (lo[e], hi[e]) == ((small, large) if k % 2 else (-large, -small))


def test_elementary_symmetric_polynomial():
    assert [C._elementary([1, 2, 3], k) for k in range(4)] == [1, 6, 11, 6]


def test_inverse_is_exact():
    rng = random.Random(14)
    for size in (1, 2, 5, 9):
        while True:
            matrix = [[Fraction(rng.randint(-5, 5), rng.randint(1, 4)) for _ in range(size)]
                      for _ in range(size)]
            inverse = C._inverse_or_none(matrix)
            if inverse is not None:
                break
        product = [[sum(a * b for a, b in zip(row, col)) for col in zip(*inverse)] for row in matrix]
        assert product == [[Fraction(int(r == c)) for c in range(size)] for r in range(size)]
    assert C._inverse_or_none([[Fraction(1), Fraction(2)], [Fraction(2), Fraction(4)]]) is None


def test_rectifier_in_64_dimensions_is_built():
    """Regression: n0 = 64 enumerated C(n_L, 64) vertices (or inverted 64 x 64 matrices
    column by column, about 45 s); now a second or two."""
    assert C.rectifier_zigzag(64, [64, 65]).widths() == (64, 64, 65)   # moment-curve rows
    assert C.rectifier_zigzag(64, [64]).widths() == (64, 64)           # a simplicial cone


@pytest.mark.parametrize("call, pattern", [
    (lambda: C.rectifier_zigzag(2, [4096, 4096]),
     r"^the construction would have 16,793,600 weights and biases, more than the limit of 1,000,000$"),
    (lambda: C.maxout_construction(64, 4096, 64),
     r"^the construction would have 1,090,519,040 weights and biases, more than the limit of 1,000,000$"),
])
def test_constructions_too_big_are_refused(call, pattern):
    with pytest.raises(InputError, match=pattern):
        call()
