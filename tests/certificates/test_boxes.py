"""Certificates of the input-splitting search (``polyregions-verify-boxes-certificate/1``).

Every answer is compared with the region search, every certificate is checked by the
standalone checker, and tampered certificates are refused. The exact bounds the checker
computes are compared with the exact minima over boxes (region search)."""

from __future__ import annotations

import copy
import json
import random
from fractions import Fraction

import pytest

from polyregions.checker.boxes import BOXES_FORMAT, BoxProver, _Fields, box_stages
from polyregions.checker.check import CheckFailure, check_certificate
from polyregions.checker.models import _read_model
from polyregions.core.domain import Domain
from polyregions.core.network import Network
from polyregions.errors import InputError
from polyregions.io.vnnlib import Property
from polyregions.queries import splitting
from polyregions.queries.optimize import maximize
from polyregions.queries.verify import verify_property
from tests.support.clirun import assert_one_error_line, run
from tests.support.netgen import random_network


def random_case(seed: int, flat: bool = False) -> tuple[Network, Property]:
    """A random ReLU network (often degenerate, weights in halves and thirds), a box (one input
    fixed when *flat*) and one or two disjuncts of one or two rows around the row minima."""
    rng = random.Random(seed)
    n0 = rng.randint(1, 3) + int(flat)
    widths = [rng.randint(1, 5) for _ in range(rng.randint(1, 3))]
    net = random_network(rng, n0, widths, "relu", degenerate=seed % 2 == 0, output_dim=rng.randint(1, 3))
    low = [Fraction(rng.randint(-3, 0), rng.choice([1, 2])) for _ in range(n0)]
    high = [lo + Fraction(rng.randint(1, 4), rng.choice([1, 3])) for lo in low]
    if flat:
        high[0] = low[0]
    box = Domain.box(n0, low, high, flat=True)
    disjuncts = []
    for _ in range(rng.choice([1, 1, 2])):
        rows = []
        for _ in range(rng.choice([1, 2])):
            c = [Fraction(rng.randint(-2, 2), rng.choice([1, 2])) for _ in range(net.output_dim)]
            if not any(c):
                c[0] = Fraction(1)
            least = min(sum(ci * yi for ci, yi in zip(c, net(x)))
                        for x in [low, high, [(a + b) / 2 for a, b in zip(low, high)]])
            rows.append((tuple(c), least + rng.choice([Fraction(-2), Fraction(-1, 3), Fraction(0), Fraction(1, 2)])))
        disjuncts.append(tuple(rows))
    return net, Property(box, tuple(disjuncts))


def checked(net: Network, prop: Property, cert: dict) -> dict:
    """The checker's verdict on *cert*, after a round trip through JSON text (as on disk)."""
    text = json.dumps(cert)
    return check_certificate(json.loads(text), net.to_json(), None, prop.to_json())


@pytest.mark.parametrize("seed", range(60))
def test_certificates_against_the_region_search(seed):
    net, prop = random_case(seed, flat=seed % 4 == 3)
    result = verify_property(net, prop, certificate=True)
    assert result.result == verify_property(net, prop, method="regions").result
    verdict = checked(net, prop, result.certificate)
    assert verdict["property"] == result.result
    if result.holds:
        assert result.certificate["format"] == BOXES_FORMAT
        assert verdict["boxes_closed"] == result.certificate["boxes_closed"] >= 1


@pytest.mark.parametrize("seed", [17, 38, 155, 163, 205, 263])
def test_exact_checks_on_workers_write_the_same_certificate(seed):
    """With jobs=2 the exact checks run on worker processes while the search goes on; boxes
    they do not close are searched again (these cases have such boxes), and the certificate is
    the one-process certificate byte for byte."""
    net, prop = random_case(seed)
    one = verify_property(net, prop, certificate=True)
    two = verify_property(net, prop, certificate=True, jobs=2)
    assert two.result == one.result
    assert json.dumps(two.certificate) == json.dumps(one.certificate)
    assert two.boxes == one.boxes
    assert checked(net, prop, two.certificate)["property"] == one.result


def test_a_timeout_with_checks_on_workers():
    """A time limit that passes while checks are still on workers answers unknown, without a
    certificate, and the workers are ended."""
    import multiprocessing

    net, prop = random_case(84)  # 5,313 boxes
    result = verify_property(net, prop, certificate=True, jobs=2, timeout=0.3)
    assert result.result == "unknown" and result.certificate is None
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("seed", [17, 38, 64, 122, 135, 163])
def test_certificates_with_optimised_slopes(seed):
    """These cases close boxes with the search's optimised slopes (alpha-CROWN), which the
    certificate carries: the checker accepts them, and refuses them tampered."""
    net, prop = random_case(seed)
    result = verify_property(net, prop, certificate=True)
    cert = result.certificate
    with_slopes = [e for e in cert["tree"] if e[0] == "leaf" and "slopes" in e[1]]
    assert result.holds and with_slopes
    assert checked(net, prop, cert)["property"] == "holds"
    units = sum(BoxProver(box_stages(_read_model(net.to_json())[1])).widths[:-1])
    pairs = next(p for p in with_slopes[0][1]["slopes"] if p)
    for bad, message in ([[pairs[0][0], (1 << 40) + 1]], "s from 0 to 2"), ([[units, 0]], "below"), \
                        ([[0, 0], [0, 0]], "increasing"), ([[0.5, 0]], "expected"), ("x", "expected"):
        tampered = copy.deepcopy(cert)
        leaf = next(e for e in tampered["tree"] if e[0] == "leaf" and "slopes" in e[1])
        leaf[1]["slopes"] = [bad if p else p for p in leaf[1]["slopes"]] if bad != "x" else "x"
        with pytest.raises(CheckFailure, match=message):
            checked(net, prop, tampered)
    # without its slopes some leaf's row is not refuted by the checker's own bounds
    stripped = copy.deepcopy(cert)
    for entry in stripped["tree"]:
        if entry[0] == "leaf":
            entry[1].pop("slopes", None)
    with pytest.raises(CheckFailure, match="does not exceed"):
        checked(net, prop, stripped)


def test_rows_that_only_meet_together():
    """y = (x, -x) on [-1, 1]: x <= -1/2 and -x <= -1/2 never hold together, though each row
    alone does somewhere: no single row's bound refutes the disjunct, an LP over the pieces does."""
    net = Network.mlp([[[1], [-1]]], [[0, 0]])
    prop = Property(Domain.box(1, [-1], [1]), (((((1, 0), Fraction(-1, 2)), ((0, 1), Fraction(-1, 2)))),))
    result = verify_property(net, prop, certificate=True)
    assert result.holds
    leaves = [entry for entry in result.certificate["tree"] if entry[0] == "leaf"]
    assert leaves and all("pieces" in leaf[1] for leaf in leaves)
    assert checked(net, prop, result.certificate)["property"] == "holds"


def test_open_units_are_enumerated():
    """relu(x) + relu(-x) >= 1/4 fails near 0, holds with >= -1/4: a tie at the kink (the
    minimum 0 is at x = 0, where both units change sign); pieces with open units close it."""
    net = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])
    for d, answer in ((Fraction(-1, 10 ** 9), "holds"), (Fraction(0), "violated")):
        prop = Property(Domain.box(1, [-1], [1]), ((((1,), d),),))
        result = verify_property(net, prop, certificate=True)
        assert result.result == answer
        assert checked(net, prop, result.certificate)["property"] == answer


def test_region_leaves(monkeypatch):
    """Boxes that reach the depth limit are closed by the region search's own certificate."""
    monkeypatch.setattr(splitting, "EXACT_DEPTH", 0)
    seen = 0
    for seed in range(40):
        net, prop = random_case(seed)
        result = verify_property(net, prop, certificate=True)
        assert result.result == verify_property(net, prop, method="regions").result
        assert checked(net, prop, result.certificate)["property"] == result.result
        if result.holds and any(entry[0] == "regions" for entry in result.certificate["tree"]):
            seen += 1
    assert seen >= 3
    # fixed inputs: the region search runs on the free ones, whose certificate is about
    # another network: refused with a message (y = relu(x0) - relu(x0 - 1/2) >= 0 on the box,
    # which no linear bound over the whole box shows: the root needs the region search)
    net = Network.mlp([[[1, 0], [1, 0]], [[1, -1]]], [[0, Fraction(-1, 2)], [0]])
    flat = Property(Domain.box(2, [-1, Fraction(1, 2)], [1, Fraction(1, 2)], flat=True),
                    ((((1,), Fraction(-1, 1000)),),))
    with pytest.raises(InputError, match="region search"):
        verify_property(net, flat, certificate=True)


def held() -> tuple[Network, Property, dict]:
    for seed in range(100):
        net, prop = random_case(seed)
        result = verify_property(net, prop, certificate=True)
        tree = result.certificate["tree"] if result.holds else []
        if any(e[0] == "split" for e in tree) and any(e[0] == "leaf" and "pieces" in e[1] for e in tree):
            return net, prop, result.certificate
    raise AssertionError("no random case with splits and pieces")


def test_tampered_certificates_are_refused():
    net, prop, cert = held()
    assert checked(net, prop, cert)["property"] == "holds"
    tree = cert["tree"]
    split = next(i for i, e in enumerate(tree) if e[0] == "split")
    bound = next((i for i, e in enumerate(tree) if e[0] == "leaf" and None not in e[1]["rows"]), None)
    piece = next(i for i, e in enumerate(tree) if e[0] == "leaf" and "pieces" in e[1])

    def tampered(change) -> str:
        bad = copy.deepcopy(cert)
        change(bad)
        with pytest.raises(CheckFailure) as info:
            checked(net, prop, bad)
        return str(info.value)

    assert "left open" in tampered(lambda c: c["tree"].pop())
    assert "closed before" in tampered(lambda c: c["tree"].append(c["tree"][-1]))
    assert tampered(lambda c: c["tree"].__setitem__(split, ["split", len(c["box"]["low"]), 0]))
    assert tampered(lambda c: c["tree"].__setitem__(split, ["split", c["tree"][split][1], 2]))
    assert "domain" in tampered(lambda c: c["box"]["high"].__setitem__(0, "1000"))
    assert "another model" in tampered(lambda c: c.__setitem__("model_sha256", "0" * 64))
    assert "unknown entry" in tampered(lambda c: c["tree"].__setitem__(split, ["skip"]))
    if bound is not None:
        def other_row(c):
            leaf = c["tree"][bound][1]
            leaf["rows"] = [None] * len(leaf["rows"])
        assert tampered(other_row)

    def multiplier(c):
        node = c["tree"][piece][1]["pieces"]["tree"]
        while "split" in node:
            node = node["split"][0]
        proof = node.get("infeasible") or next(y for y in node["disjuncts"] if y is not None)
        proof[next(i for i, v in enumerate(proof) if v != "0")] = "0"
    assert "multipliers" in tampered(multiplier)

    def fewer_units(c):
        c["tree"][piece][1]["pieces"]["units"] = []
        c["tree"][piece][1]["pieces"]["tree"] = {"disjuncts": [None] * len(prop.unsafe)}
    assert tampered(fewer_units)
    # another property: the checker compares it
    other = Property(prop.domain, ((((Fraction(1),) + (Fraction(0),) * (net.output_dim - 1), Fraction(-10 ** 6)),),))
    with pytest.raises(CheckFailure, match="another unsafe set"):
        check_certificate(cert, net.to_json(), None, other.to_json())


@pytest.mark.parametrize("seed", range(25))
def test_exact_bounds_never_cross_the_minimum(seed):
    """The checker's bound of a row over a box is at most the row's exact minimum there."""
    rng = random.Random(500 + seed)
    n0 = rng.randint(1, 3)
    net = random_network(rng, n0, [rng.randint(1, 6) for _ in range(rng.randint(1, 4))], "relu",
                         degenerate=seed % 2 == 0, output_dim=2)
    _, layers = _read_model(net.to_json())
    prover = BoxProver(box_stages(layers))
    low = [Fraction(rng.randint(-4, 0), rng.choice([1, 3])) for _ in range(n0)]
    high = [lo + Fraction(rng.randint(1, 5), rng.choice([1, 2, 7])) for lo in low]
    ivals = prover.intervals(low, high)
    for c in ([1, 0], [0, 1], [1, -1], [Fraction(-1, 3), 2]):
        c = [Fraction(v) for v in c]
        exact = maximize(net, Domain.box(n0, low, high), objective=c, minimize=True).value
        # need = exact: all of its bounds are computed (the best one is returned), with random
        # slopes of the lower lines too (any slope from 0 to 1 is valid)
        assert prover.lower(c, ivals, low, high, exact) <= exact
        units = sum(prover.widths[:-1])
        slopes = {u: rng.randint(0, 1 << 40) for u in range(units) if rng.random() < 0.7}
        assert prover.lower(c, ivals, low, high, exact, slopes) <= exact
    # the intervals hold at the box's corners, centre and random points
    inside = [[a + (b - a) * Fraction(rng.randint(0, 8), 8) for a, b in zip(low, high)] for _ in range(8)]
    for x in [low, high, [(a + b) / 2 for a, b in zip(low, high)]] + inside:
        values = list(x)
        for k, (layer_low, layer_high, t) in enumerate(ivals):
            w, b, s = box_stages(layers)[k]
            z = [Fraction(sum(wi * v for wi, v in zip(row, values)) + bias, s) for row, bias in zip(w, b)]
            unit = Fraction(2) ** -t
            assert all(lo * unit <= v <= hi * unit for v, lo, hi in zip(z, layer_low, layer_high))
            values = [max(v, 0) for v in z]


@pytest.mark.parametrize("seed", range(10))
def test_sides_are_the_pre_activations_of_the_chosen_pattern(seed):
    """The checker's exact affine functions of the units' pre-activations (and of the outputs)
    for an on/off pattern equal the network with that pattern forced, at random points."""
    rng = random.Random(1300 + seed)
    n0, widths = rng.randint(1, 4), [rng.randint(1, 6) for _ in range(rng.randint(1, 4))]
    net = random_network(rng, n0, widths, "relu", degenerate=seed % 2 == 0, output_dim=rng.randint(1, 3))
    stages = box_stages(_read_model(net.to_json())[1])
    prover = BoxProver(stages)
    total = sum(prover.widths[:-1])
    states = bytes(rng.choice([0, 1]) for _ in range(total))
    sides, outputs = prover.sides(states, total)
    assert len(sides) == total
    for _ in range(5):
        x = [Fraction(rng.randint(-9, 9), rng.choice([1, 2, 5])) for _ in range(n0)]
        values, unit = list(x), 0
        for k, (w, b, s) in enumerate(stages):
            z = [Fraction(sum(wi * v for wi, v in zip(row, values)) + bias, s) for row, bias in zip(w, b)]
            if k == len(stages) - 1:
                assert z == [sum(f[p] * x[p] for p in range(n0)) + f[n0] for f in outputs]
                break
            for j, v in enumerate(z):
                a, c = sides[unit + j]
                assert v == sum(ai * xi for ai, xi in zip(a, x)) + c
            values = [v if states[unit + j] == 1 else 0 for j, v in enumerate(z)]
            unit += len(z)
    prefix, none = prover.sides(states, min(3, total))
    assert len(prefix) == min(3, total) and (none is None) == (total > 3)


def test_packed_fields_round_trip():
    """Vectors packed into one integer come back exactly, at the ends of their range too, and
    a linear combination of packed vectors packs the combination."""
    rng = random.Random(7)
    for count in (1, 2, 6, 51):
        for bits in (1, 7, 8, 9, 64, 155):
            fields = _Fields(count, bits)
            top = (1 << bits) - 1  # the largest magnitude a field holds
            for values in ([top] * count, [-top] * count, [0] * count,
                           [rng.randint(-top, top) for _ in range(count)]):
                assert fields.unpack(fields.pack(values)) == values
            xs = [[rng.randint(-(1 << (bits - 4)) if bits > 4 else 0, 1 << max(bits - 4, 0)) for _ in range(count)]
                  for _ in range(4)]
            cs = [rng.choice([-2, -1, 1, 2]) for _ in range(4)]
            combined = [sum(c * x[i] for c, x in zip(cs, xs)) for i in range(count)]
            assert fields.unpack(sum(c * fields.pack(x) for c, x in zip(cs, xs))) == combined


@pytest.mark.parametrize("seed", range(12))
def test_exact_bounds_with_float32_weights(seed):
    """Weights as float32 values of wide range (the packed integers of the checker's bounds
    grow with them): the bounds still hold at every corner and random point of the box."""
    rng = random.Random(900 + seed)
    n0, widths = rng.randint(2, 4), [rng.randint(3, 9) for _ in range(rng.randint(2, 4))]

    def weight():
        value = Fraction(rng.randint(-(1 << 23), 1 << 23), 1 << 23) * Fraction(2) ** rng.randint(-30, 12)
        return value if rng.random() > 0.1 else Fraction(0)

    weights, biases, fan_in = [], [], n0
    for width in [*widths, 2]:
        weights.append([[weight() for _ in range(fan_in)] for _ in range(width)])
        biases.append([weight() for _ in range(width)])
        fan_in = width
    net = Network.mlp(weights, biases)
    _, layers = _read_model(net.to_json())
    stages = box_stages(layers)
    prover = BoxProver(stages)
    low = [Fraction(rng.randint(-40, 0), rng.choice([3, 7, 1 << 20])) for _ in range(n0)]
    high = [lo + Fraction(rng.randint(1, 9), rng.choice([2, 5, 1 << 30])) for lo in low]
    ivals = prover.intervals(low, high)
    points = [[rng.choice([a, b]) for a, b in zip(low, high)] for _ in range(12)]
    points += [[a + (b - a) * Fraction(rng.randint(0, 64), 64) for a, b in zip(low, high)] for _ in range(12)]
    for c in ([1, 0], [0, 1], [1, -1]):
        c = [Fraction(v) for v in c]
        bound = prover.lower(c, ivals, low, high, Fraction(0))
        assert all(bound <= sum(ci * yi for ci, yi in zip(c, net(x))) for x in points)
    for x in points:
        values = list(x)
        for k, (layer_low, layer_high, t) in enumerate(ivals):
            w, b, s = stages[k]
            z = [Fraction(sum(wi * v for wi, v in zip(row, values)) + bias, s) for row, bias in zip(w, b)]
            unit = Fraction(2) ** -t
            assert all(lo * unit <= v <= hi * unit for v, lo, hi in zip(z, layer_low, layer_high))
            values = [max(v, 0) for v in z]


def test_the_command_line(tmp_path, capsys):
    """verify -o writes a boxes certificate where input splitting decides; check accepts it."""
    net = Network.mlp([[[1, 1], [1, -1]], [[1, 1]]], [[0, 0], [0]])
    net.save(tmp_path / "net.json")
    (tmp_path / "p.vnnlib").write_text(
        "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)"
        "(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))(assert (<= X_1 1))(assert (<= Y_0 -0.01))")
    code, out, err = run(capsys, "verify", tmp_path / "net.json", tmp_path / "p.vnnlib", "-o", tmp_path / "c.json")
    assert code == 0 and "holds" in out, (out, err)
    assert json.loads((tmp_path / "c.json").read_text())["format"] == BOXES_FORMAT
    code, out, err = run(capsys, "check", tmp_path / "c.json", tmp_path / "net.json",
                         "--property", tmp_path / "p.vnnlib")
    assert code == 0 and out.startswith("VALID property=holds boxes_closed="), (out, err)
    from polyregions.checker.command import main
    assert main([str(tmp_path / "c.json"), str(tmp_path / "net.json")]) == 0
    assert "VALID property=holds" in capsys.readouterr().out
    # --jobs: the same verdict from worker processes; a bad count is bad input
    code, out, err = run(capsys, "check", tmp_path / "c.json", tmp_path / "net.json",
                         "--property", tmp_path / "p.vnnlib", "--jobs", "2")
    assert code == 0 and out.startswith("VALID property=holds boxes_closed="), (out, err)
    assert_one_error_line(*run(capsys, "check", tmp_path / "c.json", tmp_path / "net.json", "--jobs", "0"),
                          "--jobs: expected a positive integer")
    assert main([str(tmp_path / "c.json"), str(tmp_path / "net.json"), "--jobs", "2"]) == 0
    assert "VALID property=holds" in capsys.readouterr().out
    assert main([str(tmp_path / "c.json"), str(tmp_path / "net.json"), "--jobs", "x"]) == 2
    assert capsys.readouterr().err.startswith("usage:")


def test_leaves_checked_on_workers():
    """check_certificate(..., jobs=2) checks the leaves on worker processes: the same verdict,
    and for a certificate with a failing leaf the same first failure as in one process."""
    net, prop, cert = held()
    assert check_certificate(cert, net.to_json(), None, prop.to_json(), jobs=2) == \
        check_certificate(cert, net.to_json(), None, prop.to_json())
    tampered = copy.deepcopy(cert)
    leaves = [e for e in tampered["tree"] if e[0] == "leaf"]
    for leaf in leaves[1:]:  # every leaf but the first fails
        leaf[1]["rows"] = [None] * len(leaf[1]["rows"])
        leaf[1].pop("pieces", None)
    messages = []
    for jobs in (1, 2):
        with pytest.raises(CheckFailure) as failure:
            check_certificate(tampered, net.to_json(), None, prop.to_json(), jobs=jobs)
        messages.append(str(failure.value))
    assert messages[0] == messages[1]
    with pytest.raises(ValueError, match="jobs"):
        check_certificate(cert, net.to_json(), None, prop.to_json(), jobs=0)
