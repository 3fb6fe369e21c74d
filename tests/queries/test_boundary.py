"""The exact decision boundary (:mod:`polyregions.queries.boundary`) and ``polyregions boundary``.

- Against brute force on 240 seeded random and degenerate classifiers (2 or 3 outputs,
  every activation family, 1 to 3 inputs, all of R^n0 or boxes): with 1 and 2 inputs
  the union of the pieces, per pair of classes and per line (a point in 1-D), as merged
  exact intervals, equals the union of ``closure(R) ∩ {y_I = y_J >= y_k}`` over the
  regions ``R`` of the independent slow reference (no code shared with the engine or the
  boundary module); in every dimension the pieces with and without pruning are the same,
  and every piece's point lies on its equality, inside its inequalities and in its
  region's closure, with ``y_I = y_J`` the largest outputs there by an exact forward pass.
- The JSONL export, the plot and the command line.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest

from tests.support.clirun import assert_one_error_line, run
from polyregions.queries.boundary import decision_boundary, parse_classes, piece_segment, write_pieces_jsonl
from polyregions.views.boundary import figure_boundary
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.errors import InputError
from polyregions.core.network import Network
from polyregions.geometry.polyhedron import oriented_key, primitive

from tests.support.netgen import ACTIVATIONS, random_box, random_network
from tests.support.reference import reference_regions


def make_cases(seed: int, count: int) -> list:
    cases = []
    for index in range(count):
        rng = random.Random(seed * 1_000_003 + index)
        n0 = (1, 2, 2, 3)[index % 4]
        kind = (ACTIVATIONS + ("mixed",))[index % 6]
        depth = rng.randint(1, 2)
        widths = [rng.randint(1, 3 if kind == "maxout" else 4) for _ in range(depth)]
        activation = [rng.choice(ACTIVATIONS) for _ in widths] if kind == "mixed" else kind
        outputs = rng.choice([2, 2, 3])
        net = random_network(rng, n0, widths, activation, index % 3 != 0, rng.choice([(1,), (1, 2)]), outputs)
        A, b = ([], []) if index % 5 == 0 else random_box(rng, n0)
        cases.append((f"{index}:{kind}:n0={n0}:w={widths}:out={outputs}", net, A, b))
    return cases


CASES = make_cases(81, 240)


def domain_of(net: Network, A, b) -> Domain:
    return Domain.from_inequalities(A, b, dim=net.input_dim) if A else Domain.whole(net.input_dim)


def dot(u, v) -> Fraction:
    return sum((Fraction(a) * Fraction(b) for a, b in zip(u, v)), Fraction(0))


def _line(coeffs, const):
    """A line (or a point in 1-D) a . x + c = 0 by its oriented primitive key, and the parameter:
    t = x_1 (0-based x_0) unless the line is x_0 = const, then t = x_1; in 1-D no parameter."""
    scale = 1
    for v in list(coeffs) + [const]:
        scale = scale * Fraction(v).denominator // __import__("math").gcd(scale, Fraction(v).denominator)
    key = oriented_key(primitive([int(Fraction(v) * scale) for v in list(coeffs) + [const]]))
    return key


def _interval(coeffs, const, rows):
    """On the line coeffs . x + const = 0 in R^2 (or the point in R^1), the set satisfying
    every row (a, b): a . x <= b, as (key, lo, hi) in the line's parameter, or None when empty
    or a point in 2-D (not a piece)."""
    key = _line(coeffs, const)
    n = len(coeffs)
    if n == 1:
        x = (-Fraction(const) / coeffs[0],)
        return (key, None, None) if all(dot(a, x) <= b for a, b in rows) else None
    p = 1 if coeffs[1] else 0      # solve for x_p; the parameter is the other coordinate
    q = 1 - p
    lo = hi = None
    for a, b in rows:
        # x_p = -(const + coeffs[q] t) / coeffs[p]
        alpha = Fraction(a[q]) - Fraction(a[p]) * coeffs[q] / coeffs[p]
        beta = Fraction(b) + Fraction(a[p]) * Fraction(const) / coeffs[p]
        if alpha > 0:
            hi = beta / alpha if hi is None else min(hi, beta / alpha)
        elif alpha < 0:
            lo = beta / alpha if lo is None else max(lo, beta / alpha)
        elif beta < 0:
            return None
    if lo is not None and hi is not None and not lo < hi:
        return None
    return key, lo, hi


def _union(items):
    """{(pair, key): merged closed intervals} from (pair, key, lo, hi) items (None: infinite)."""
    groups = {}
    for pair, key, lo, hi in items:
        groups.setdefault((pair, key), []).append((lo, hi))
    out = {}
    for group, intervals in groups.items():
        order = sorted(intervals, key=lambda iv: (iv[0] is not None, iv[0] if iv[0] is not None else 0))
        merged = []
        for lo, hi in order:
            if merged and (merged[-1][1] is None or lo is None or lo <= merged[-1][1]):
                last = merged[-1]
                merged[-1] = (last[0], None if last[1] is None or hi is None else max(last[1], hi))
            else:
                merged.append((lo, hi))
        out[group] = merged
    return out


def brute_union(net: Network, A, b, pairs):
    items = []
    for region in reference_regions(net, A, b):
        weight, bias = region.output_map
        m = len(weight)
        for i, j in pairs:
            coeffs = [x - y for x, y in zip(weight[i], weight[j])]
            const = bias[i] - bias[j]
            if not any(coeffs):
                continue
            rows = list(region.rows)
            for k in range(m):
                if k not in (i, j):
                    rows.append(([x - y for x, y in zip(weight[k], weight[i])], bias[i] - bias[k]))
            found = _interval(coeffs, const, rows)
            if found is not None:
                items.append(((i, j), *found))
    return _union(items)


def pieces_union(result):
    items = []
    for piece in result.pieces:
        a, b = piece.equality
        found = _interval(list(a), -b, [(r, s) for r, s in piece.inequalities])
        assert found is not None, piece
        items.append((piece.classes, *found))
    return _union(items)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_brute_force(case):
    name, net, A, b = case
    domain = domain_of(net, A, b)
    result = decision_boundary(net, domain)
    full = decision_boundary(net, domain, prune=False)
    assert result.pieces == full.pieces and result.ties == full.ties
    regions = {r.key: r for r in enumerate_regions(net, domain)}
    for piece in result.pieces:
        x = piece.point
        (a, rhs), (i, j) = piece.equality, piece.classes
        assert dot(a, x) == rhs
        assert all(dot(c, x) < d for c, d in piece.inequalities)
        assert all(dot(c, x) <= d for c, d in regions[piece.region].inequalities)
        assert domain.contains(x)
        y = net(x)
        assert y[i] == y[j] and all(y[i] >= v for v in y)
    if net.input_dim <= 2:
        assert pieces_union(result) == brute_union(net, A, b, result.pairs)


def test_known_boundaries():
    # y = (x1, x2, 1/2): three classes on the square [-1, 1]^2
    net = Network.mlp([[[1, 0], [0, 1], [0, 0]]], [[0, 0, "1/2"]])
    result = decision_boundary(net, Domain.box(2, -1, 1))
    assert result.counts() == {"0,1": 1, "0,2": 1, "1,2": 1}
    piece = next(p for p in result.pieces if p.classes == (0, 1))
    assert piece.equality == ((1, -1), 0)
    assert set(piece.inequalities) == {((-1, 0), -1), ((1, 0), 1)} or len(piece.inequalities) == 2
    assert decision_boundary(net, Domain.box(2, -1, 1), classes=(0, 2)).counts() == {"0,2": 1}
    # the drawn segment of each piece, exactly: the three meet at (1/2, 1/2)
    ends = {p.classes: sorted(piece_segment(p)) for p in result.pieces}
    half = Fraction(1, 2)
    assert ends == {(0, 1): [(half, half), (1, 1)], (0, 2): [(half, -1), (half, half)],
                    (1, 2): [(-1, half), (half, half)]}
    # |x| against 1/2 in 1-D: two points
    absolute = Network.from_json({"format": "polyregions-network/1", "input_dim": 1, "layers": [
        {"type": "affine", "weight": [[1], [-1]], "bias": [0, 0]}, {"type": "relu"},
        {"type": "affine", "weight": [[1, 1], [0, 0]], "bias": [0, "1/2"]}]})
    result = decision_boundary(absolute)
    assert sorted(p.point for p in result.pieces) == [(Fraction(-1, 2),), (Fraction(1, 2),)]
    # |x| against 0 touches at 0 only: one piece on the boundary between two regions, reported once
    touch = Network.from_json({"format": "polyregions-network/1", "input_dim": 1, "layers": [
        {"type": "affine", "weight": [[1], [-1]], "bias": [0, 0]}, {"type": "relu"},
        {"type": "affine", "weight": [[1, 1], [0, 0]], "bias": [0, 0]}]})
    assert [p.point for p in decision_boundary(touch).pieces] == [(Fraction(0),)]


def test_tie_regions():
    """Two outputs that are the same function where x > 0: a tie region, no piece inside it; the
    point 0, where the tie begins, is a piece (reported from the other side)."""
    net = Network.from_json({"format": "polyregions-network/1", "input_dim": 1, "layers": [
        {"type": "affine", "weight": [[1], [-1]], "bias": [0, 0]}, {"type": "relu"},
        {"type": "affine", "weight": [[1, 1], [1, 0]], "bias": [0, 0]}]})   # y0 = |x|, y1 = relu(x)
    result = decision_boundary(net, Domain.box(1, -1, 1))
    assert result.ties == (((0, 1), "+-"),)
    assert [(p.region, p.equality, p.point) for p in result.pieces] == [("-+", ((1,), 0), (Fraction(0),))]


def test_bad_arguments():
    one = Network.mlp([[[1, 1]]], [[0]])
    with pytest.raises(InputError, match=r"^the network has 1 output: a classifier needs at least 2"):
        decision_boundary(one)
    two = Network.mlp([[[1, 1], [1, -1]]], [[0, 0]])
    with pytest.raises(InputError, match=r"^classes \(0, 2\): expected two different outputs between 0 and 1$"):
        decision_boundary(two, classes=(0, 2))
    with pytest.raises(InputError, match=r"^bound_every must be a positive integer, got 0$"):
        decision_boundary(two, bound_every=0)
    with pytest.raises(InputError, match=r"^--classes: expected two output indices I,J, got '1'$"):
        parse_classes("1", 2)
    with pytest.raises(InputError, match=r"^--classes: output 5 is not between 0 and 1$"):
        parse_classes("0,5", 2)
    with pytest.raises(InputError, match=r"^--classes: the two classes must differ, got '1,1'$"):
        parse_classes("1,1", 2)


CLASSIFIER = Network.mlp([[[1, 0], [0, 1], [1, 1], [1, -1]], [[1, 0, -1, 1], [0, 1, 1, -1], [1, 1, 0, 0]]],
                         [[0, 0, "-1/2", 0], [0, 0, "-1/4"]])


def test_export_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    domain = Domain.box(2, -1, 1)
    result = decision_boundary(CLASSIFIER, domain)
    path = tmp_path / "pieces.jsonl"
    write_pieces_jsonl(result, path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == len(result.pieces) > 0
    assert set(lines[0]) == {"classes", "region", "equalities", "inequalities", "point"}
    figure, summary = figure_boundary(CLASSIFIER, domain, result)
    assert summary.activation_regions == sum(1 for _ in enumerate_regions(CLASSIFIER, domain))
    assert len(figure.axes[0].lines) >= len(result.pieces)


def test_cli_boundary(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    model = tmp_path / "classifier.json"
    CLASSIFIER.save(model)
    out_file, png = tmp_path / "pieces.jsonl", tmp_path / "boundary.png"
    code, out, err = run(capsys, "boundary", model, "--box", -1, 1, "-o", out_file, "--plot", png)
    assert (code, err) == (0, "")
    assert "boundary pieces:" in out and png.exists() and out_file.exists()
    code, out, err = run(capsys, "boundary", model, "--box", -1, 1, "--classes", "0,2", "--json")
    data = json.loads(out)
    assert set(data["pairs"]) == {"0,2"} and data["pieces"] == data["pairs"]["0,2"]
    assert_one_error_line(*run(capsys, "boundary", model, "--classes", "0,0"), r"the two classes must differ")
    assert_one_error_line(*run(capsys, "boundary", model, "--plot", png), r"--plot needs a bounded domain")
    three = tmp_path / "three.json"
    Network.mlp([[[1, 0, 0], [0, 1, 1]]], [[0, 0]]).save(three)
    assert_one_error_line(*run(capsys, "boundary", three, "--box", 0, 1, "--plot", png),
                          r"--plot: the network has 3 inputs; plot a 2-D --slice$")
    assert_one_error_line(*run(capsys, "boundary", model, "--box", -1, 1, "--plot", tmp_path / "x.bmp"),
                          r"x\.bmp")
