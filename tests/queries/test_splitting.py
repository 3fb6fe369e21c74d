"""Verification by input splitting (:mod:`polyregions.queries.splitting`) and its bounds
(:mod:`polyregions.search.symbolic`): sound against exact extremes, the same answers as the
brute-force reference, fixed inputs and unions of input sets, ``--timeout`` and ``unknown``,
VNN-COMP's result file, and a few ACAS Xu instances against the competition's answers.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import os
import random
import signal
from array import array
from fractions import Fraction

import pytest

from polyregions.checker.boxes import BOXES_FORMAT
from polyregions.checker.check import CheckFailure, check_certificate
from polyregions.core.domain import Domain
from polyregions.errors import InputError
from polyregions.core.network import Network
from polyregions.io.models import load_model
from polyregions.io.vnnlib import Property, load_property, parse_vnnlib, property_from_json
from polyregions.queries.optimize import maximize
from polyregions.queries.splitting import BoxSearch
from polyregions.queries.verify import decimal_text, verify_property
from polyregions.search.symbolic import BoxBounds, supports
from tests.queries.test_verify import brute_violated, dot, random_property
from tests.support.clirun import run


def random_relu(rng: random.Random, n0: int, widths: list[int], outputs: int, thirds: bool) -> Network:
    """Small rational weights; with *thirds* some are not binary fractions (doubles cannot hold them)."""
    dims = [n0] + widths + [outputs]
    dens = [1, 2, 4, 3] if thirds else [1, 2, 4, 8]

    def value() -> Fraction:
        return Fraction(rng.randint(-4, 4), rng.choice(dens))
    weights = [[[value() for _ in range(a)] for _ in range(b)] for a, b in zip(dims, dims[1:])]
    biases = [[value() for _ in range(b)] for b in dims[1:]]
    return Network.mlp(weights, biases)


def random_box(rng: random.Random, n0: int) -> Domain:
    low = [Fraction(rng.randint(-6, 2), rng.choice([1, 2, 3])) for _ in range(n0)]
    return Domain.box(n0, low, [lo + Fraction(rng.randint(1, 6), rng.choice([1, 2, 5])) for lo in low])


CASES = list(range(60))


@pytest.mark.parametrize("seed", CASES)
def test_bounds_never_cross_the_exact_minimum(seed):
    """The lower bound of a row over a box is at most its exact minimum (region search), with
    the compiled code and the Python code; on a box where every unit's sign is fixed the
    exact affine rows are the network's map."""
    rng = random.Random(seed)
    n0 = rng.randint(1, 3)
    net = random_relu(rng, n0, [rng.randint(1, 5) for _ in range(rng.randint(1, 3))], rng.randint(1, 3),
                      thirds=seed % 2 == 1)
    box = random_box(rng, n0)
    rows = [[Fraction(rng.randint(-2, 2)) for _ in range(net.output_dim)] for _ in range(2)]
    low = [lo for lo, _ in box.bounds]
    high = [hi for _, hi in box.bounds]
    compiled, python = BoxBounds(net, rows).bounds(low, high), BoxBounds(net, rows, compiled=False).bounds(low, high)
    for i, c in enumerate(rows):
        if not any(c):
            continue
        exact = maximize(net, box, objective=c, minimize=True).value
        assert Fraction(compiled.lower[i]) <= exact
        assert Fraction(python.lower[i]) <= exact
    # a tiny box around a random point: every sign is fixed there (for these seeds), and the
    # exact affine rows are the network's
    point = [lo + (hi - lo) * Fraction(rng.randint(1, 99), 100) for lo, hi in box.bounds]
    tiny_low = [v - Fraction(1, 10 ** 6) for v in point]
    tiny_high = [v + Fraction(1, 10 ** 6) for v in point]
    bounds = BoxBounds(net, rows)
    result = bounds.bounds(tiny_low, tiny_high)
    assert 2 not in result.states
    for (a, b), c in zip(bounds.affine_rows(result.states), rows):
        assert dot(a, point) + b == dot(c, net(point))
        assert bounds.exact_rows(point) == [dot(c, net(point)) for c in rows]


@pytest.mark.parametrize("seed", range(30))
def test_pieces_are_the_forced_network(seed):
    """BoxBounds.piece (layers kept across calls with a common prefix of states): the spec rows
    and every open unit's side are the network with its units forced on or off, at random
    exact points, over many calls in random order on one BoxBounds."""
    rng = random.Random(4000 + seed)
    n0 = rng.randint(1, 3)
    net = random_relu(rng, n0, [rng.randint(1, 4) for _ in range(rng.randint(1, 4))], 2, thirds=seed % 2 == 1)
    rows = [[Fraction(1), Fraction(-1)], [Fraction(0), Fraction(3)]]
    bounds = BoxBounds(net, rows)
    affines = [layer for layer in net.layers if hasattr(layer, "weight")]
    total = sum(layer.out_dim for layer in affines[:-1])
    base = [rng.choice([0, 1]) for _ in range(total)]
    for _ in range(25):
        states = list(base)
        for i in rng.sample(range(total), rng.randint(0, min(3, total))):
            states[i] = rng.choice([0, 1, 2, 3])
        spec, sides = bounds.piece(bytes(states))
        x = [Fraction(rng.randint(-20, 20), rng.choice([1, 3, 8])) for _ in range(n0)]
        values, at, expected_sides = list(x), 0, []
        for layer in affines[:-1]:
            z = [sum((w * v for w, v in zip(row, values)), Fraction(0)) + b for row, b in zip(layer.weight, layer.bias)]
            expected_sides += [(z[j], states[at + j] - 2) for j in range(len(z)) if states[at + j] >= 2]
            values = [v if states[at + j] in (1, 3) else Fraction(0) for j, v in enumerate(z)]
            at += len(z)
        out = [sum((w * v for w, v in zip(row, values)), Fraction(0)) + b for row, b in zip(affines[-1].weight,
                                                                                              affines[-1].bias)]
        assert [dot(a, x) + c for a, c in spec] == [dot(r, out) for r in rows]
        assert [(dot(a, x) + c, on) for a, c, on in sides] == expected_sides
        if expected_sides:
            _, first = bounds.piece(bytes(states), sides_only=1)
            assert first[0][2] == expected_sides[0][1] and dot(first[0][0], x) + first[0][1] == expected_sides[0][0]


@pytest.mark.parametrize("seed", range(40))
def test_deep_bounds_hold_at_every_point(seed):
    """On deeper networks (the back-substitution of hidden units, the rows' bounds with both
    lower slopes and with optimised slopes, a parent box's intervals intersected in): every
    hidden unit's interval and every row's lower bound hold at random exact points of the
    box."""
    rng = random.Random(9000 + seed)
    n0 = rng.randint(1, 4)
    widths = [rng.randint(2, 7) for _ in range(rng.randint(2, 5))]
    net = random_relu(rng, n0, widths, 2, thirds=seed % 3 == 0)
    box = random_box(rng, n0)
    rows = [[Fraction(1), Fraction(0)], [Fraction(-1), Fraction(2)]]
    bounds = BoxBounds(net, rows)
    low = [lo for lo, _ in box.bounds]
    high = [hi for _, hi in box.bounds]
    parent = bounds.bounds(low, high)
    # a quarter of the box, with its parent's intervals
    mid = [(lo + hi) / 2 for lo, hi in zip(low, high)]
    child_low, child_high = (low, mid) if seed % 2 else (mid, high)
    # with slopes optimised for thresholds that nothing reaches (every row is optimised)
    child = bounds.bounds_float([float(v) for v in child_low], [float(v) for v in child_high], parent=parent,
                                need=[math.inf, math.inf])
    plain = bounds.bounds_float([float(v) for v in child_low], [float(v) for v in child_high], parent=parent)
    assert all(a >= b for a, b in zip(child.lower, plain.lower))  # the optimised bound keeps the best
    affines = [layer for layer in net.layers if hasattr(layer, "weight")]
    for result, lo_box, hi_box in ((parent, low, high), (child, child_low, child_high)):
        total = len(result.states)
        ends = array("d")
        ends.frombytes(result.intervals)
        for _ in range(6):
            x = [a + (b - a) * Fraction(rng.randint(0, 16), 16) for a, b in zip(lo_box, hi_box)]
            values, at = list(x), 0
            for layer in affines[:-1]:
                z = [sum((w * v for w, v in zip(row, values)), Fraction(0)) + b
                     for row, b in zip(layer.weight, layer.bias)]
                for j, v in enumerate(z):
                    assert Fraction(ends[at + j]) <= v <= Fraction(ends[total + at + j])
                    assert result.states[at + j] != 0 or v <= 0
                    assert result.states[at + j] != 1 or v >= 0
                at += len(z)
                values = [max(v, Fraction(0)) for v in z]
            outputs = net(x)
            for i, c in enumerate(rows):
                value = dot(c, outputs)
                assert Fraction(result.lower[i]) <= value


@pytest.mark.parametrize("seed", range(80))
def test_splitting_against_brute_force(seed):
    rng = random.Random(1000 + seed)
    n0 = rng.randint(1, 3)
    net = random_relu(rng, n0, [rng.randint(1, 4) for _ in range(rng.randint(1, 3))], rng.randint(1, 2),
                      thirds=seed % 3 == 0)
    box = random_box(rng, n0)
    prop = random_property(f"split-{seed}", net, box)
    result = verify_property(net, prop, method="split")
    assert result.result == ("violated" if brute_violated(net, prop) else "holds")
    assert result.boxes >= 1 or result.result == "violated"  # the attack at the root may find it
    if result.result == "violated":
        x = result.counterexample
        assert box.contains(x) and net(x) == result.outputs
        assert all(dot(c, result.outputs) <= d for c, d in prop.unsafe[result.disjunct])
    assert verify_property(net, prop, method="regions").result == result.result


NET2 = Network.mlp([[[1, 1], [1, -1]], [[1, 1]]], [[0, 0], [0]])  # relu(a + b) + relu(a - b) = max(2a, ...)
HEAD2 = "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)"


def test_fixed_inputs_are_substituted():
    """X_1 fixed to 1/2: y = relu(a + 1/2) + relu(a - 1/2) on a in [-1, 1], minimum 0 at a <= -1/2."""
    text = HEAD2 + "(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 0.5))(assert (<= X_1 0.5))"
    prop = parse_vnnlib(text + "(assert (<= Y_0 -0.001))", 2, 1)
    assert prop.domain.bounds[1] == (Fraction(1, 2), Fraction(1, 2))
    for method in ("auto", "split", "regions"):
        assert verify_property(NET2, prop, method=method).result == "holds"
    found = verify_property(NET2, parse_vnnlib(text + "(assert (>= Y_0 2))", 2, 1))
    assert found.result == "violated" and found.counterexample == (1, Fraction(1, 2)) and found.outputs == (2,)
    with pytest.raises(InputError, match="inputs fixed by the property"):
        verify_property(NET2, prop, certificate=True, method="regions")
    proved = verify_property(NET2, prop, certificate=True)
    assert proved.certificate["format"] == BOXES_FORMAT
    assert check_certificate(proved.certificate, NET2.to_json(), None, prop.to_json()) == {
        "property": "holds", "boxes_closed": proved.certificate["boxes_closed"]}
    every = parse_vnnlib(HEAD2 + "(assert (= X_0 1))(assert (= X_1 0))(assert (>= Y_0 2))", 2, 1)
    assert verify_property(NET2, every).counterexample == (1, 0)
    # one point: a certificate of one leaf, or the counterexample
    point = HEAD2 + "(assert (= X_0 1))(assert (= X_1 0))"
    for unsafe, answer in (("(assert (>= Y_0 2))", "violated"), ("(assert (>= Y_0 3))", "holds")):
        one = parse_vnnlib(point + unsafe, 2, 1)
        result = verify_property(NET2, one, certificate=True)
        assert result.result == answer
        assert check_certificate(result.certificate, NET2.to_json(), None, one.to_json())["property"] == answer


def test_unions_of_input_sets():
    """Two boxes; y >= 3 only happens in the second one, which the counterexample names."""
    text = HEAD2 + ("(assert (or (and (>= X_0 -1) (<= X_0 0) (>= X_1 -1) (<= X_1 1))"
                    "            (and (>= X_0 1) (<= X_0 2) (>= X_1 0) (<= X_1 1))))")
    prop = parse_vnnlib(text + "(assert (>= Y_0 3))", 2, 1)
    assert len(prop.domains) == 2 and "union of 2 input sets" in prop.describe()
    found = verify_property(NET2, prop)
    assert found.result == "violated" and found.part == 1 and prop.others[0].contains(found.counterexample)
    assert verify_property(NET2, parse_vnnlib(text + "(assert (>= Y_0 4.01))", 2, 1)).result == "holds"
    again = json.loads(json.dumps(prop.to_json()))
    assert len(again["input"]) == 2


def test_certificates_of_unions_of_input_sets(tmp_path, capsys):
    """Where the property holds on a union: one certificate per input set (input splitting on
    one, the region search on the other), checked against the property's sets; where it
    fails, the counterexample's certificate about its own set is accepted with the union;
    tampered unions are refused."""
    text = HEAD2 + ("(assert (or (and (>= X_0 -1) (<= X_0 0) (>= X_1 -1) (<= X_1 1))"
                    "            (and (>= X_0 1) (<= X_0 2) (>= X_1 0) (<= X_1 1))))")
    holds = parse_vnnlib(text + "(assert (>= Y_0 4.01))", 2, 1)
    result = verify_property(NET2, holds, certificate=True)
    cert = result.certificate
    assert result.result == "holds" and cert["format"] == "polyregions-verify-union-certificate/1"
    assert len(cert["parts"]) == 2
    model, asked = NET2.to_json(), holds.to_json()
    assert check_certificate(cert, model, None, asked) == {"property": "holds", "input_sets": 2}
    assert check_certificate(cert, model, None, None)["property"] == "holds"
    regions = verify_property(NET2, holds, certificate=True, method="regions").certificate
    assert check_certificate(regions, model, None, asked)["input_sets"] == 2
    # a part's certificate alone does not prove the union; nor do parts swapped, dropped or
    # about another unsafe set
    with pytest.raises(CheckFailure, match="union of 2 sets"):
        check_certificate(cert["parts"][0], model, None, asked)
    swapped = dict(cert, parts=cert["parts"][::-1])
    with pytest.raises(CheckFailure, match=r"parts\[0\]: domain"):
        check_certificate(swapped, model, None, asked)
    with pytest.raises(CheckFailure, match="at least 2"):
        check_certificate(dict(cert, parts=cert["parts"][:1]), model, None, None)
    three = parse_vnnlib(HEAD2 + ("(assert (or (and (>= X_0 -1) (<= X_0 0) (>= X_1 -1) (<= X_1 1))"
                                  "(and (>= X_0 1) (<= X_0 2) (>= X_1 0) (<= X_1 1))"
                                  "(and (>= X_0 5) (<= X_0 6) (>= X_1 0) (<= X_1 1))))(assert (>= Y_0 4.01))"), 2, 1)
    with pytest.raises(CheckFailure, match="2 input sets, the property has 3"):
        check_certificate(cert, model, None, three.to_json())
    other = parse_vnnlib(text + "(assert (>= Y_0 3))", 2, 1)
    with pytest.raises(CheckFailure, match="another unsafe set"):
        check_certificate(cert, model, None, other.to_json())
    weaker = json.loads(json.dumps(cert))
    weaker["parts"][1]["property"]["unsafe"] = other.to_json()["unsafe"]
    with pytest.raises(CheckFailure, match=r"parts\[1\]"):
        check_certificate(weaker, model, None, asked)
    with pytest.raises(CheckFailure, match="another model"):
        check_certificate(dict(cert, model_sha256="0" * 64), model, None, asked)
    # violated: the certificate of the counterexample's set
    found = verify_property(NET2, other, certificate=True)
    assert found.result == "violated" and found.part == 1
    assert check_certificate(found.certificate, model, None, other.to_json()) == {"property": "violated"}
    # the command line: verify -o, then check with the property
    net_file, prop_file, cert_file = tmp_path / "n.json", tmp_path / "u.vnnlib", tmp_path / "u.cert.json"
    net_file.write_text(json.dumps(model))
    prop_file.write_text(text + "(assert (>= Y_0 4.01))")
    code, out, _ = run(capsys, "verify", net_file, prop_file, "-o", cert_file)
    assert code == 0 and "holds" in out
    code, out, _ = run(capsys, "check", cert_file, net_file, "--property", prop_file)
    assert code == 0 and out.startswith("VALID property=holds input_sets=2") and "union of 2 input sets" in out


def test_timeout_and_vnncomp_result(capsys, tmp_path):
    rng = random.Random(5)
    net = random_relu(rng, 3, [12, 12, 12], 1, thirds=False)
    model = tmp_path / "net.json"
    net.save(model)
    prop = tmp_path / "p.vnnlib"
    prop.write_text("".join(f"(declare-const X_{i} Real)(assert (<= X_{i} 1))(assert (>= X_{i} -1))"
                            for i in range(3)) + "(declare-const Y_0 Real)(assert (>= Y_0 100000))")
    result = verify_property(net, load_property(prop, 3, 1), timeout=1e-9)
    assert result.result == "unknown" and result.vnncomp() == "timeout\n"
    out_file = tmp_path / "result.txt"
    code, out, err = run(capsys, "verify", model, prop, "--timeout", "0.000001", "--vnncomp", out_file)
    assert code == 3 and "result:          unknown (the time limit of 1e-06 s passed first)" in out
    assert out_file.read_text() == "timeout\n"
    code, out, err = run(capsys, "verify", model, prop, "--vnncomp", out_file)
    assert code == 0 and out_file.read_text() == "unsat\n"
    prop.write_text(prop.read_text().replace("100000", "-100000"))
    code, out, err = run(capsys, "verify", model, prop, "--vnncomp", out_file)
    lines = out_file.read_text().splitlines()
    assert code == 1 and lines[0] == "sat" and lines[1].startswith("((X_0 ") and lines[-1].endswith(")")
    values = [Fraction(line.strip("() ").split()[1]) for line in lines[1:]]
    assert tuple(values[3:]) == net(values[:3])  # binary fractions: the decimals are exact
    code, out, err = run(capsys, "verify", model, prop, "--timeout", "0")
    assert code == 2 and "positive number of seconds" in err


def test_decimal_text():
    assert [decimal_text(Fraction(v)) for v in ("-3/8", "5", "1/3", "0", "1/1024")] == \
        ["-0.375", "5", "0.33333333333333333333", "0", "0.0009765625"]


def test_supports_only_relu_networks():
    assert supports(NET2)
    assert not supports(Network.mlp([[[1]], [[1]]], [[0], [0]], activation="abs"))


# --------------------------------------------------------------------------- ACAS Xu

FAST = [("ACASXU_run2a_1_7_batch_2000.onnx", "prop_3.vnnlib"), ("ACASXU_run2a_2_1_batch_2000.onnx", "prop_2.vnnlib"),
        ("ACASXU_run2a_4_5_batch_2000.onnx", "prop_10.vnnlib"), ("ACASXU_run2a_1_1_batch_2000.onnx", "prop_4.vnnlib"),
        ("ACASXU_run2a_1_1_batch_2000.onnx", "prop_1.vnnlib"),
        # 4 s with every input tried at each bisection; undecided in 116 s by the smear alone
        ("ACASXU_run2a_4_7_batch_2000.onnx", "prop_1.vnnlib")]


@pytest.mark.parametrize("onnx_name, vnnlib", FAST)
def test_acasxu_answers_match_the_competition(acasxu_dir, onnx_name, vnnlib):
    pytest.importorskip("onnx")
    with open(acasxu_dir / "expected.csv") as handle:
        expected = {(r["onnx"], r["vnnlib"]): r["answer"] for r in csv.DictReader(handle)}
    net = load_model(acasxu_dir / onnx_name)
    result = verify_property(net, acasxu_dir / vnnlib, timeout=300)
    assert result.result == expected[(onnx_name, vnnlib)]
    if result.result == "violated":
        prop = load_property(acasxu_dir / vnnlib, 5, 5)
        assert prop.domains[result.part].contains(result.counterexample)
        assert all(dot(c, net(result.counterexample)) <= d for c, d in prop.unsafe[result.disjunct])


def test_overflowing_bounds_refute_nothing():
    """Weights of 1e200 overflow doubles: the bounds become NaN or infinite and refute nothing
    (never a wrong answer); the exact parts still decide what they can."""
    net = Network.mlp([[[10 ** 200], [-10 ** 200]], [[10 ** 200, 10 ** 200]], [[1]]], [[0, 0], [0], [0]])
    result = BoxBounds(net, [[1]]).bounds([Fraction(-1)], [Fraction(1)])
    assert not (result.lower[0] > 0)  # NaN or a true lower bound, never above the minimum 0
    head = "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 1))(assert (>= X_0 -1))"
    assert verify_property(net, parse_vnnlib(head + "(assert (<= Y_0 -1))", 1, 1), method="split",
                           timeout=3).result in ("holds", "unknown")
    found = verify_property(net, parse_vnnlib(head + "(assert (>= Y_0 1))", 1, 1), method="split", timeout=30)
    assert found.result == "violated" and net(found.counterexample)[0] >= 1


@pytest.mark.parametrize("seed", range(10))
def test_float_proposals_match_their_twin_and_the_exact_network(seed):
    """evaluate and gradient (the attacks' proposals): compiled and Python code agree, the
    values are the exact network's up to rounding, and a gradient predicts a small step."""
    rng = random.Random(3000 + seed)
    net = random_relu(rng, 3, [5, 4], 2, thirds=False)
    rows = [[Fraction(1), Fraction(-1)], [Fraction(0), Fraction(2)]]
    compiled, python = BoxBounds(net, rows), BoxBounds(net, rows, compiled=False)
    point = [rng.uniform(-2, 2) for _ in range(3)]
    exact = [dot(c, net([Fraction(v) for v in point])) for c in rows]
    assert compiled.evaluate([point]) == python.evaluate([point]) or \
        all(abs(a - b) < 1e-9 for a, b in zip(compiled.evaluate([point])[0], python.evaluate([point])[0]))
    values, gradients = compiled.gradient(point)
    python_values, python_gradients = python.gradient(point)
    assert all(abs(v - float(e)) < 1e-9 for v, e in zip(values, exact))
    assert all(abs(a - b) < 1e-9 for g, h in zip(gradients, python_gradients) for a, b in zip(g, h))
    assert all(abs(a - b) < 1e-9 for a, b in zip(values, python_values))
    step = [1e-7 * (1 if rng.random() < 0.5 else -1) for _ in range(3)]
    moved = compiled.evaluate([[p + s for p, s in zip(point, step)]])[0]
    for value, gradient, after in zip(values, gradients, moved):  # exact unless a unit changes sign
        assert abs(after - value - sum(g * s for g, s in zip(gradient, step))) < 1e-6


def test_boxes_beyond_doubles_go_to_the_region_search():
    net = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])  # |x|
    head = "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 1e400))(assert (>= X_0 -1e400))"
    assert verify_property(net, parse_vnnlib(head + "(assert (<= Y_0 -1))", 1, 1)).result == "holds"
    found = verify_property(net, parse_vnnlib(head + "(assert (>= Y_0 1e399))", 1, 1))
    assert found.result == "violated" and found.outputs[0] >= 10 ** 399 and found.boxes == 0
    with pytest.raises(Exception, match=r"coordinates at most 2\^512"):
        verify_property(net, parse_vnnlib(head + "(assert (<= Y_0 -1))", 1, 1), method="split")


def test_vnncomp_file_is_an_output(capsys, tmp_path):
    model = tmp_path / "net.json"
    NET2.save(model)
    prop = tmp_path / "p.vnnlib"
    prop.write_text(HEAD2 + "(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))(assert (<= X_1 1))"
                            "(assert (>= Y_0 100))")
    before = prop.read_text()
    code, out, err = run(capsys, "verify", model, prop, "--vnncomp", prop)
    assert code == 2 and "is the input file" in err and prop.read_text() == before
    code, out, err = run(capsys, "verify", model, prop, "--vnncomp", str(tmp_path) + "/dir/")
    assert code == 2 and "a directory's name" in err


# --------------------------------------------------------------------------- on the task executors


@pytest.fixture
def split_often(monkeypatch):
    """No head start, serial chunks of a few boxes: every run is split into many tasks."""
    from polyregions.run import executors

    monkeypatch.setattr(executors, "HEAD_START_SECONDS", 0.0)
    monkeypatch.setattr(executors, "CHUNK_REGIONS", 3)


def _parallel_case(seed: int) -> tuple[Network, object]:
    """Random properties (seeds below 100), or y <= min - 10^-6 on a box (holds by a hair: many boxes)."""
    if seed < 100:
        rng = random.Random(5000 + seed)
        n0 = rng.randint(2, 3)
        net = random_relu(rng, n0, [rng.randint(3, 6) for _ in range(rng.randint(1, 3))], rng.randint(1, 2),
                          thirds=seed % 3 == 0)
        return net, random_property(f"jobs-{seed}", net, random_box(rng, n0))
    rng = random.Random(7000 + seed - 100)
    n0 = rng.randint(2, 3)
    net = random_relu(rng, n0, [8, 8], 1, thirds=seed % 3 == 0)
    box = random_box(rng, n0)
    least = maximize(net, box, minimize=True).value
    return net, Property(box, ((((Fraction(1),), least - Fraction(1, 10 ** 6)),),))


@pytest.mark.parametrize("seed", list(range(24)) + list(range(100, 112)))
def test_jobs_give_the_serial_answer(seed, split_often):
    """Worker processes (tasks of one box each) answer as one process does; where the
    property holds they visit the same boxes (each box is decided as the serial search
    decides it); a counterexample may be another one, and is checked exactly."""
    net, prop = _parallel_case(seed)
    serial = verify_property(net, prop, method="split")
    chunked = verify_property(net, prop, method="split", task_seconds=0.0)
    parallel = verify_property(net, prop, method="split", jobs=2, task_seconds=0.0)
    assert serial.result == chunked.result == parallel.result == ("violated" if brute_violated(net, prop)
                                                                   else "holds")
    if serial.holds:
        assert serial.boxes == chunked.boxes == parallel.boxes
        assert serial.exact_leaves == chunked.exact_leaves == parallel.exact_leaves
    else:
        x = parallel.counterexample
        assert prop.domain.contains(x) and net(x) == parallel.outputs
        assert all(dot(c, parallel.outputs) <= d for c, d in prop.unsafe[parallel.disjunct])


def _attacked(net: Network, low, high, unsafe) -> BoxSearch:
    def exact_leaf(a, b):
        raise AssertionError("no box is searched here")
    return BoxSearch(net, low, high, unsafe, exact_leaf=exact_leaf)


def test_gradient_attack_finds_a_pocket_that_random_points_miss():
    """A counterexample only in a 0.002 x 0.002 square of [0, 1]^2 (|x0 - a| <= 1/1000 and
    |x1 - b| <= 1/1000): the root's centre, vertices and random points miss it, the descent
    finds it, and it is confirmed exactly."""
    a, b = Fraction(3137, 10000), Fraction(7071, 10000)
    net = Network.mlp([[[1, 0], [-1, 0], [0, 1], [0, -1]], [[1, 1, 0, 0], [0, 0, 1, 1]]],
                      [[-a, a, -b, b], [0, 0]])
    unsafe = [[((Fraction(1), Fraction(0)), Fraction(1, 1000)), ((Fraction(0), Fraction(1)), Fraction(1, 1000))]]
    low, high = (Fraction(0), Fraction(0)), (Fraction(1), Fraction(1))
    search = _attacked(net, low, high, unsafe)
    assert search.attack_root() is None
    x = search.gradient_attack()
    assert x is not None and all(lo <= v <= hi for v, lo, hi in zip(x, low, high))
    assert abs(x[0] - a) <= Fraction(1, 1000) and abs(x[1] - b) <= Fraction(1, 1000)
    assert all(dot(c, net(x)) <= d for c, d in unsafe[0])


ATTACKED = [(f"ACASXU_run2a_{net}_batch_2000.onnx", f"prop_{prop}.vnnlib")
            for net, prop in [("1_5", 2), ("1_6", 2), ("1_9", 7), ("5_3", 2)]]


@pytest.mark.parametrize("onnx_name, vnnlib", ATTACKED)
def test_acasxu_counterexamples_of_the_gradient_attack(acasxu_dir, onnx_name, vnnlib):
    """Violated instances whose counterexamples need the far starts (1_5), the fine steps
    (1_5, 1_6, 1_9) or the coarse steps (5_3): the attack alone finds each, exactly
    confirmed, and the competition's answer is ``violated`` too."""
    pytest.importorskip("onnx")
    net = load_model(acasxu_dir / onnx_name)
    prop = load_property(acasxu_dir / vnnlib, 5, 5)
    low, high = zip(*prop.domain.bounds)
    search = _attacked(net, low, high, prop.unsafe)
    x = search.gradient_attack()
    assert x is not None and prop.domain.contains(x)
    assert any(all(dot(c, net(x)) <= d for c, d in conj) for conj in prop.unsafe)
    with open(acasxu_dir / "expected.csv") as handle:
        expected = {(r["onnx"], r["vnnlib"]): r["answer"] for r in csv.DictReader(handle)}
    assert expected[(onnx_name, vnnlib)] == "violated"


@pytest.mark.parametrize("onnx_name, vnnlib", FAST[:3])
def test_acasxu_with_two_workers(acasxu_dir, onnx_name, vnnlib):
    pytest.importorskip("onnx")
    net = load_model(acasxu_dir / onnx_name)
    serial = verify_property(net, acasxu_dir / vnnlib, timeout=300)
    parallel = verify_property(net, acasxu_dir / vnnlib, timeout=300, jobs=2)
    assert parallel.result == serial.result
    if serial.holds:
        assert parallel.boxes == serial.boxes
    else:
        prop = load_property(acasxu_dir / vnnlib, 5, 5)
        assert prop.domains[parallel.part].contains(parallel.counterexample)
        assert all(dot(c, net(parallel.counterexample)) <= d for c, d in prop.unsafe[parallel.disjunct])


def test_a_counterexample_ends_every_worker(split_often):
    """The first counterexample a worker finds ends the run: the others are ended, not awaited."""
    import multiprocessing

    violated = 0
    for seed in range(24):
        net, prop = _parallel_case(seed)
        result = verify_property(net, prop, method="split", jobs=2, task_seconds=0.0)
        assert not multiprocessing.active_children()
        violated += result.result == "violated"
    assert violated >= 8


def test_timeout_with_workers(tmp_path):
    """--timeout with workers: unknown, with the figures of the finished tasks; no worker left."""
    import multiprocessing
    import time

    net, prop = _slow_case()
    start = time.monotonic()
    result = verify_property(net, prop, timeout=0.25, jobs=2, task_seconds=0.05)
    assert result.result == "unknown" and result.boxes > 0
    assert time.monotonic() - start < 5
    assert not multiprocessing.active_children()


def _slow_case() -> tuple[Network, Property]:
    """4 inputs, 3 x 24 units, y below the least of 2,000 samples by 1% of their range: holds,
    539 boxes (0.6 s in one process; about 2,000 boxes before inputs were tried for each split)."""
    rng = random.Random(9003)
    net = random_relu(rng, 4, [24, 24, 24], 1, thirds=False)
    points = [[rng.randint(-100, 100) / 100 for _ in range(4)] for _ in range(2000)]
    values = [Fraction(v[0]) for v in BoxBounds(net, [[Fraction(1)]]).evaluate(points)]  # floats: a guess
    d = min(values) - (max(values) - min(values)) / 100
    return net, Property(Domain.box(4, [-1] * 4, [1] * 4), ((((Fraction(1),), d),),))


class Stop(Exception):
    """Stands for a kill between two checkpoint lines."""


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_stopped_runs_resume_to_the_serial_answer(jobs, tmp_path, monkeypatch, split_often):
    """Stopped after a random number of checkpoint lines, again and again, then finished: the
    same answer, and (the property holds) the same boxes, none lost or visited twice."""
    from polyregions.run.checkpoint import Checkpoint

    rng = random.Random(jobs)
    for seed in (105, 108, 20):
        net, prop = _parallel_case(seed)
        serial = verify_property(net, prop)
        checkpoint = tmp_path / f"{seed}.ckpt"
        stops = 0
        while True:
            original = Checkpoint.append
            written = {"n": 0}
            limit = rng.randint(1, 12)

            def append(self, result, original=original, written=written, limit=limit):
                original(self, result)
                written["n"] += 1
                if written["n"] >= limit:
                    raise Stop

            with monkeypatch.context() as m:
                m.setattr(Checkpoint, "append", append)
                try:
                    found = verify_property(net, prop, jobs=jobs, checkpoint=checkpoint, task_seconds=0.0)
                    break
                except Stop:
                    stops += 1
        assert stops >= 2, seed
        assert found.result == serial.result
        if serial.holds:
            assert found.boxes == serial.boxes
        again = verify_property(net, prop, jobs=jobs, checkpoint=checkpoint)  # finished: no search
        assert again.result == serial.result and again.boxes == found.boxes
        if not serial.holds:
            assert again.counterexample == found.counterexample


def test_checkpoint_refusals(tmp_path, capsys):
    """A checkpoint of another property or model is refused in one line, as are checkpoints
    of the region search and of unions of input sets, and bad --jobs."""
    from tests.support.clirun import assert_one_error_line

    model = tmp_path / "net.json"
    NET2.save(model)
    box = "(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))(assert (<= X_1 1))"
    first, second = tmp_path / "a.vnnlib", tmp_path / "b.vnnlib"
    first.write_text(HEAD2 + box + "(assert (>= Y_0 100))")
    second.write_text(HEAD2 + box + "(assert (>= Y_0 200))")
    checkpoint = tmp_path / "run.ckpt"
    code, out, err = run(capsys, "verify", model, first, "--checkpoint", checkpoint, "--jobs", 1)
    assert code == 0 and "holds" in out, err
    code, out, err = run(capsys, "verify", model, second, "--checkpoint", checkpoint)
    assert_one_error_line(code, out, err, r"run\.ckpt: made for verify-split \(.*unsafe=.*\), this run is "
                                          r"verify-split .*; use another file or delete it")
    other = tmp_path / "other.json"
    Network.mlp([[[1, 1], [1, -1]], [[1, 2]]], [[0, 0], [0]]).save(other)
    code, out, err = run(capsys, "verify", other, first, "--checkpoint", checkpoint)
    assert_one_error_line(code, out, err, r"made for another model")
    code, out, err = run(capsys, "verify", model, first, "--checkpoint", tmp_path / "r.ckpt", "--method", "regions")
    assert_one_error_line(code, out, err, r"a checkpoint needs input splitting")
    union = tmp_path / "u.vnnlib"
    union.write_text(HEAD2 + "(assert (or (and (>= X_0 -1) (<= X_0 0) (>= X_1 -1) (<= X_1 1))"
                             "(and (>= X_0 1) (<= X_0 2) (>= X_1 0) (<= X_1 1))))(assert (>= Y_0 3))")
    code, out, err = run(capsys, "verify", model, union, "--checkpoint", tmp_path / "u.ckpt")
    assert_one_error_line(code, out, err, r"a checkpoint for a union of input sets is not supported yet")
    code, out, err = run(capsys, "verify", model, first, "--checkpoint", first)
    assert_one_error_line(code, out, err, r"is the input file")
    code, out, err = run(capsys, "verify", model, first, "--checkpoint", checkpoint, "--vnncomp", checkpoint)
    assert_one_error_line(code, out, err, r"--checkpoint .*: is the output file")
    code, out, err = run(capsys, "verify", model, first, "--jobs", 0)
    assert_one_error_line(code, out, err, r"--jobs: expected a positive integer")
    with pytest.raises(Exception, match="jobs must be a positive integer"):
        verify_property(NET2, load_property(first, 2, 1), jobs=0)
    with pytest.raises(Exception, match="union of input sets"):
        verify_property(NET2, load_property(union, 2, 1), checkpoint=tmp_path / "u.ckpt")


def _saved_case(tmp_path) -> tuple[Network, Property, object, object]:
    """The parallel case of seed 108 saved as net.json and p.json (its box as low and high)."""
    net, prop = _parallel_case(108)
    model = tmp_path / "net.json"
    net.save(model)
    prop_file = tmp_path / "p.json"
    low, high = zip(*prop.domain.bounds)
    prop_file.write_text(json.dumps({"format": "polyregions-property/1",
                                     "input": {"low": [str(v) for v in low], "high": [str(v) for v in high]},
                                     "unsafe": prop.to_json()["unsafe"]}))
    return net, prop, model, prop_file


def test_cli_jobs_json_and_progress_line(capsys, tmp_path, split_often):
    import io

    from polyregions.cli.progress import BoxProgressLine

    net, prop, model, prop_file = _saved_case(tmp_path)
    code, out, err = run(capsys, "verify", model, prop_file, "--jobs", 2, "--json", "--task-seconds", 0)
    serial = verify_property(net, prop)
    assert code == 0 and err == "" and json.loads(out)["boxes"] == serial.boxes
    stream = io.StringIO()
    verify_property(net, prop, jobs=2, task_seconds=0.0, progress=BoxProgressLine(stream, delay=0.0, force=True))
    text = stream.getvalue()
    assert "polyregions: " in text and " boxes done, " in text and " open" in text and "2 workers" in text
    assert text.endswith("\r\x1b[K")  # cleared at the end


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux /proc to see the workers")
@pytest.mark.parametrize("signum, whom, code, line", [
    pytest.param(signal.SIGTERM, "parent", 143, "polyregions: terminated", marks=pytest.mark.slow),  # kill PID
    pytest.param(signal.SIGINT, "group", 130, "polyregions: interrupted", marks=pytest.mark.slow),  # Ctrl-C
])
def test_a_signal_with_workers_prints_one_line_and_the_checkpoint_resumes(acasxu_dir, tmp_path, signum, whom,
                                                                          code, line):
    """verify --jobs 2 --checkpoint on ACAS Xu 1_1 prop_3 (holds; seconds of work), signalled
    once both workers run: one line, the workers ended, and the rerun finishes the same boxes."""
    pytest.importorskip("onnx")
    import subprocess
    import sys

    from tests.support.signals import assert_gone, signal_when_checkpointed, start

    onnx_name, vnnlib = "ACASXU_run2a_1_1_batch_2000.onnx", "prop_3.vnnlib"
    args = [sys.executable, "-m", "polyregions", "verify", str(acasxu_dir / onnx_name), str(acasxu_dir / vnnlib),
            "--jobs", "2", "--json", "--checkpoint", "run.ckpt", "--task-seconds", "0.1"]
    proc = start(args, tmp_path)
    out, err, workers = signal_when_checkpointed(proc, tmp_path / "run.ckpt", signum, whom)
    assert (proc.returncode, out, err) == (code, "", line + "\n")
    assert_gone(workers)
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["result"] == "holds"
    assert json.loads(done.stdout)["boxes"] == _serial_boxes(str(acasxu_dir / onnx_name), str(acasxu_dir / vnnlib))


@functools.lru_cache
def _serial_boxes(model: str, prop: str) -> int:
    return verify_property(load_model(model), prop).boxes


@pytest.mark.parametrize("edit", [
    lambda e: e["partial"].__setitem__("stats", "x"),
    lambda e: e["partial"].__setitem__("left", [[[0], "gap"]]),
    lambda e: e["partial"].__setitem__("taken", 5),
    lambda e: e["partial"].__setitem__("counterexample", ["1/2", "1/2"]),
    lambda e: e.__setitem__("frontier", [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]),
])
def test_a_damaged_verify_checkpoint_is_refused_in_one_line(tmp_path, capsys, edit):
    """Figures, gaps, paths or a counterexample that the exact forward pass does not confirm:
    one line, exit 2."""
    from tests.support.clirun import assert_one_error_line

    net, prop, model, prop_file = _saved_case(tmp_path)
    checkpoint = tmp_path / "c.ckpt"
    code, out, err = run(capsys, "verify", model, prop_file, "--checkpoint", checkpoint, "--jobs", 1,
                         "--task-seconds", 0)
    assert code == 0, err
    lines = checkpoint.read_text().splitlines()
    assert len(lines) >= 3
    entry = json.loads(lines[1])
    edit(entry)
    checkpoint.write_text("\n".join([lines[0], json.dumps(entry)] + lines[2:]) + "\n")
    code, out, err = run(capsys, "verify", model, prop_file, "--checkpoint", checkpoint)
    assert_one_error_line(code, out, err, r"(checkpoint .*c\.ckpt: (line 2 is damaged|a finished task's partial "
                                          r"result is damaged|inconsistent)|no box at path .*damaged checkpoint)")


@pytest.mark.slow
def test_dask_gives_the_serial_answer(split_often):
    """The same tasks on a Dask cluster (two worker processes)."""
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    import logging

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    try:
        for seed in (105, 108, 20, 4):
            net, prop = _parallel_case(seed)
            serial = verify_property(net, prop)
            found = verify_property(net, prop, scheduler=client, task_seconds=0.0)
            assert found.result == serial.result
            if serial.holds:
                assert found.boxes == serial.boxes
            else:
                assert prop.domain.contains(found.counterexample) and net(found.counterexample) == found.outputs
    finally:
        client.close()
        cluster.close()


def test_a_saved_property_keeps_its_box():
    """Property.to_json writes a box as rows A x <= b; read back, it is a box again (fixed
    inputs included), so input splitting decides it, as it decides the VNN-LIB form."""
    text = HEAD2 + "(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 0.5))(assert (<= X_1 0.5))"
    for unsafe in ("(assert (<= Y_0 -0.001))", "(assert (>= Y_0 2))"):
        prop = parse_vnnlib(text + unsafe, 2, 1)
        again = property_from_json(json.loads(json.dumps(prop.to_json())), 2, 1)
        assert again.domain.kind == "box" and again.domain.bounds == prop.domain.bounds
        first, second = verify_property(NET2, prop), verify_property(NET2, again)
        assert (second.result, second.counterexample) == (first.result, first.counterexample)
        assert second.boxes >= 1 or second.result == "violated"
    # rows that are not a box stay a polyhedron; a contradictory box is refused in one line
    def saved(rows):
        return {"format": "polyregions-property/1", "input": rows, "unsafe": [[{"c": [1], "d": 0}]]}
    triangle = {"A": [[1, 1], [-1, 0], [0, -1]], "b": [1, 0, 0]}
    assert property_from_json(saved(triangle), 2, 1).domain.kind == "polyhedron"
    with pytest.raises(InputError, match="empty"):
        property_from_json(saved({"A": [[1, 0], [-1, 0], [0, 1], [0, -1]], "b": [0, -1, 1, 1]}), 2, 1)
