"""The exact maximum (:mod:`polyregions.queries.optimize`), its certificates and ``polyregions max``.

- Against brute force on 240 seeded random and degenerate networks (every activation
  family, all of R^n0, boxes, boxes with a face on a hyperplane): full enumeration,
  then the maximum of the objective over every region's vertices (or unbounded along
  a ray or a line); exact equality, for max and min, with and without pruning; every
  maximiser checked by an exact forward pass, every ray by the growth along it.
- Against the independent slow reference (exact LPs over its regions) on 40 cases.
- Known answers: |x1 - x2|, max(x1, x2) and the identity written with ReLUs.
- Certificates on the random cases check VALID; every kind of tampering is INVALID
  with a precise message; the relucent fixtures (parity_6013 here, meta_graph_large in
  the slow run) are certified and checked.
"""

from __future__ import annotations

import copy
import json
import random
import re
from fractions import Fraction
from typing import Callable, NamedTuple

import pytest

from tests.support.clirun import assert_one_error_line, run
from polyregions.geometry import lp
from polyregions.checker.check import CheckFailure, check_certificate
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.errors import InputError
from polyregions.core.network import Network, load_network
from polyregions.queries.optimize import maximize, objective_vector

from tests.support.netgen import random_cases
from tests.support.reference import reference_regions

SEEDS = (31, 32)
CASES_PER_SEED = 120
CASES = [case for seed in SEEDS for case in random_cases(seed, CASES_PER_SEED)]


def domain_of(net: Network, A, b) -> Domain:
    return Domain.from_inequalities(A, b, dim=net.input_dim) if A else Domain.whole(net.input_dim)


def objective_of(name: str, net: Network) -> list[Fraction]:
    rng = random.Random(name)
    while True:
        c = [Fraction(rng.randint(-3, 3), rng.choice([1, 2, 3])) for _ in range(net.output_dim)]
        if any(c):
            return c


def dot(u, v) -> Fraction:
    return sum((Fraction(a) * Fraction(b) for a, b in zip(u, v)), Fraction(0))


def brute_max(net: Network, domain: Domain, c) -> tuple[Fraction | None, int]:
    """The maximum of c . net(x) by full enumeration: per region, the vertices, or None
    (unbounded) when a ray or a line of a region increases it; and the region count."""
    best = None
    count = 0
    unbounded = False
    for region in enumerate_regions(net, domain):
        count += 1
        weight = region.output_map.weight
        bias = region.output_map.bias
        g = [sum((ci * row[j] for ci, row in zip(c, weight)), Fraction(0)) for j in range(net.input_dim)]
        g0 = dot(c, bias)
        cell = region.cell
        if any(dot(g, line[:-1]) for line in cell.lines):
            unbounded = True
        if any(not vec[-1] and dot(g, vec[:-1]) > 0 for vec in cell.vecs):
            unbounded = True
        for x in cell.vertices():
            value = dot(g, x) + g0
            if best is None or value > best:
                best = value
    return (None if unbounded else best), count


def check_witness(net: Network, domain: Domain, c, result, sense: str) -> None:
    sign = 1 if sense == "max" else -1
    regions = {r.key: r for r in enumerate_regions(net, domain)}
    region = regions[result.region]
    closure = all(dot(a, result.point) <= b for a, b in region.inequalities)
    assert closure, f"the point {result.point} is not in the closure of {result.region}"
    assert domain.contains(result.point)
    if result.status == "optimal":
        assert dot(c, net(result.point)) == result.value
        return
    ray = result.ray
    assert any(ray)
    assert all(dot(a, ray) <= 0 for a, _ in region.inequalities)
    values = [dot(c, net([p + t * r for p, r in zip(result.point, ray)])) for t in (0, 1, 2)]
    assert values[1] - values[0] == values[2] - values[1]
    assert sign * (values[1] - values[0]) > 0


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_brute_force(case):
    name, net, A, b = case
    domain = domain_of(net, A, b)
    c = objective_of(name, net)
    best, count = brute_max(net, domain, c)
    low, _ = brute_max(net, domain, [-v for v in c])
    for sense, expected in (("max", best), ("min", None if low is None else -low)):
        result = maximize(net, domain, objective=c, minimize=sense == "min")
        assert result.status == ("unbounded" if expected is None else "optimal")
        assert result.value == expected
        assert result.regions_visited <= count
        check_witness(net, domain, c, result, sense)
    full = maximize(net, domain, objective=c, prune=False)
    assert full.value == best
    if best is not None:
        assert full.regions_visited == count


REFERENCE_CASES = [case for case in random_cases(33, 40)]


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=[c[0] for c in REFERENCE_CASES])
def test_against_the_reference(case):
    """The maximum over the reference's regions, each by an exact LP (cdd), shares no code with
    the engine, the bounds or the branch and bound."""
    name, net, A, b = case
    c = objective_of(name, net)
    best = None
    unbounded = False
    for region in reference_regions(net, A, b):
        weight, bias = region.output_map
        g = [sum((ci * row[j] for ci, row in zip(c, weight)), Fraction(0)) for j in range(net.input_dim)]
        res = lp.maximize(g, dot(c, bias), region.A, region.b)
        if res.status == "unbounded":
            unbounded = True
            break
        if best is None or res.value > best:
            best = res.value
    result = maximize(net, domain_of(net, A, b), objective=c)
    assert result.value == (None if unbounded else best)


# --------------------------------------------------------------------------- known answers

ABS_DIFF = Network.mlp([[[1, -1], [-1, 1]], [[1, 1]]], [[0, 0], [0]])          # |x1 - x2|
MAX2 = Network.mlp([[[1, -1], [0, 1], [0, -1]], [[1, 1, -1]]], [[0, 0, 0], [0]])  # max(x1, x2)
IDENTITY = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])                  # relu(x) - relu(-x)


def test_known_answers():
    box = Domain.box(2, -1, 2)
    result = maximize(ABS_DIFF, box)
    assert (result.value, result.point) == (3, (2, -1))
    assert maximize(ABS_DIFF, box, minimize=True).value == 0
    assert maximize(MAX2, Domain.box(2, [-1, -3], [1, "1/2"])).value == 1
    assert maximize(MAX2, Domain.box(2, [-1, -3], [1, "1/2"]), minimize=True).value == -1
    assert maximize(IDENTITY, Domain.box(1, "-7/3", "5/2")).value == Fraction(5, 2)
    result = maximize(IDENTITY)
    assert (result.status, result.value, result.ray) == ("unbounded", None, (1,))
    result = maximize(IDENTITY, minimize=True)
    assert (result.status, result.ray) == ("unbounded", (-1,))


def test_an_objective_over_several_outputs():
    net = Network.mlp([[[1, 0], [0, 1]], [[1, 0], [0, 1]]], [[0, 0], [0, 0]], final_activation="relu")
    box = Domain.box(2, -1, 1)
    assert maximize(net, box, objective=[1, "-1/2"]).value == 1
    assert maximize(net, box, output=1).value == 1
    assert maximize(net, box, objective=[-1, -1], minimize=True).value == -2


def test_bounded_output_on_all_of_space():
    """hardtanh at the end: bounded on R^2, so subtrees are dropped by bounds even there."""
    net = Network.from_json({"format": "polyregions-network/1", "input_dim": 2, "layers": [
        {"type": "affine", "weight": [[1, 1], [1, -1]], "bias": [0, 0]}, {"type": "hardtanh", "min": -1, "max": 2},
        {"type": "affine", "weight": [[1, 1]], "bias": [0]}]})
    result = maximize(net)
    assert (result.status, result.value) == ("optimal", 4)
    assert maximize(net, minimize=True).value == -2


def test_bad_objectives():
    two = Network.mlp([[[1], [2]]], [[0, 0]])
    with pytest.raises(InputError, match=r"^the network has 2 outputs: choose one"):
        maximize(two)
    with pytest.raises(InputError, match=r"^give either an output index or an objective, not both$"):
        maximize(two, output=0, objective=[1, 1])
    with pytest.raises(InputError, match=r"^objective has 1 coefficient, the network has 2 outputs$"):
        objective_vector(two, objective=[1])
    with pytest.raises(InputError, match=r"^output 2: expected an index from 0 to 1$"):
        objective_vector(two, output=2)
    with pytest.raises(InputError, match=r"objective\[0\]"):
        objective_vector(two, objective=["x", 1])
    with pytest.raises(InputError, match=r"^bound_every must be a positive integer, got 0$"):
        maximize(IDENTITY, bound_every=0)


# --------------------------------------------------------------------------- certificates


class Case(NamedTuple):
    name: str
    net: Network
    model: dict
    cert: dict


def model_of(net: Network) -> dict:
    return json.loads(json.dumps(net.to_json()))


def roundtrip(cert: dict) -> dict:
    return json.loads(json.dumps(cert))


CERT_CASES = [case for seed in (41, 42) for case in random_cases(seed, 60)]


@pytest.fixture(scope="module")
def pool() -> list[Case]:
    out = []
    for name, net, A, b in CERT_CASES:
        domain = domain_of(net, A, b)
        c = objective_of(name, net)
        for minimize in (False, True):
            result = maximize(net, domain, objective=c, minimize=minimize, certificate=True)
            out.append(Case(f"{name}:{'min' if minimize else 'max'}", net, model_of(net), roundtrip(result.certificate)))
    return out


def test_certificates_check(pool):
    optimal = unbounded = bounded = 0
    for case in pool:
        proved = check_certificate(case.cert, case.model)
        name = "maximum" if case.cert["sense"] == "max" else "minimum"
        if case.cert["status"] == "unbounded":
            assert proved == {name: "unbounded"}
            unbounded += 1
        else:
            assert proved[name] == case.cert["value"]
            assert proved["regions_visited"] == len(case.cert["regions"])
            optimal += 1
            bounded += bool(case.cert["bounded"])
    assert optimal >= 60 and unbounded >= 10 and bounded >= 30


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


Tampered = tuple[dict, dict, str]


def _optimal(case: Case) -> bool:
    return case.cert["status"] == "optimal"


def t_value(case: Case) -> Tampered | None:
    if not _optimal(case):
        return None
    cert = copy.deepcopy(case.cert)
    value = Fraction(cert["value"])
    cert["value"] = str(value + 1)
    return cert, case.model, r"^point: the objective there is .*, not "


def t_value_lower_with_point(case: Case) -> Tampered | None:
    """A smaller claimed maximum with a point that attains it: some leaf or subtree must fail."""
    if not _optimal(case) or case.cert["sense"] != "max" or not case.cert["regions"]:
        return None
    cert = copy.deepcopy(case.cert)
    leaf = cert["regions"][0]
    if Fraction(leaf["bound"]) != Fraction(cert["value"]):
        return None
    cert["value"] = str(Fraction(cert["value"]) - 1)
    return cert, case.model, r"^point: the objective there is"


def t_point_outside(case: Case) -> Tampered | None:
    if not _optimal(case) or not case.cert["domain"]["A"]:
        return None
    cert = copy.deepcopy(case.cert)
    cert["point"] = [str(Fraction(v) + 1000) for v in cert["point"]]
    return cert, case.model, r"^point: outside the domain \(row \d+\)$"


def t_leaf_bound_above(case: Case) -> Tampered | None:
    if not _optimal(case) or not case.cert["regions"]:
        return None
    cert = copy.deepcopy(case.cert)
    limit = Fraction(cert["value"]) if cert["sense"] == "max" else -Fraction(cert["value"])
    cert["regions"][0]["bound"] = str(limit + 1)
    return cert, case.model, exact(f"regions[0]: bound {limit + 1} is above the optimum {limit}")


def t_leaf_bound_below(case: Case) -> Tampered | None:
    """A leaf claims a smaller maximum than its region has: the multipliers cannot prove it."""
    if not _optimal(case):
        return None
    for i, leaf in enumerate(case.cert["regions"]):
        if leaf["multipliers"]:
            cert = copy.deepcopy(case.cert)
            cert["regions"][i]["bound"] = str(Fraction(leaf["bound"]) - 1)
            return cert, case.model, exact(f"regions[{i}]: bound: the multipliers do not prove the bound "
                                           f"{Fraction(leaf['bound']) - 1}")
    return None


def t_leaf_multiplier(case: Case) -> Tampered | None:
    if not _optimal(case):
        return None
    for i, leaf in enumerate(case.cert["regions"]):
        if leaf["multipliers"]:
            cert = copy.deepcopy(case.cert)
            cert["regions"][i]["multipliers"][0][1] += 1
            return cert, case.model, rf"^regions\[{i}\]: bound: the (combination's linear part|multipliers do not)"
    return None


def _bounded(case: Case) -> int | None:
    if not _optimal(case):
        return None
    return next((i for i, b in enumerate(case.cert["bounded"]) if b["bounds"][0]["multipliers"]), None)


def _node(item: dict) -> str:
    return " ".join(item["path"]) or "(root)"


def t_bounded_drop(case: Case) -> Tampered | None:
    i = _bounded(case)
    if i is None or not case.cert["bounded"][i]["path"]:
        return None
    cert = copy.deepcopy(case.cert)
    item = cert["bounded"].pop(i)
    # the node's branch is now neither kept nor pruned, unless another record keeps it
    return cert, case.model, r"(neither kept nor pruned|is not a leaf of the tree|is a leaf)"


def t_bounded_twice(case: Case) -> Tampered | None:
    i = _bounded(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    cert["bounded"].append(copy.deepcopy(cert["bounded"][i]))
    return cert, case.model, exact(f"bounded[{len(cert['bounded']) - 1}]: node {_node(cert['bounded'][i])} listed twice")


def t_bounded_bound_above(case: Case) -> Tampered | None:
    i = _bounded(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    limit = Fraction(cert["value"]) if cert["sense"] == "max" else -Fraction(cert["value"])
    cert["bounded"][i]["bounds"][0]["bound"] = str(limit + 1)
    return cert, case.model, exact(f"bounded[{i}] (node {_node(cert['bounded'][i])}): bound {limit + 1} is "
                                   f"above the optimum {limit}")


def t_bounded_final_multiplier(case: Case) -> Tampered | None:
    i = _bounded(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    cert["bounded"][i]["bounds"][0]["multipliers"][0][1] += 1
    return cert, case.model, rf"^bounded\[{i}\] \(node .*\): bound: the (combination's linear part|multipliers)"


def t_interval_end(case: Case) -> Tampered | None:
    """An interval end moved inward by 1: its multipliers no longer prove it."""
    i = _bounded(case)
    if i is None:
        return None
    item = case.cert["bounded"][i]
    for r, (lo, hi) in enumerate(item["intervals"]):
        if hi is not None and lo is not None and Fraction(hi) > Fraction(lo):
            cert = copy.deepcopy(case.cert)
            cert["bounded"][i]["intervals"][r][1] = str(Fraction(hi) - 1)
            return cert, case.model, exact(f"bounded[{i}] (node {_node(item)}): upper end of interval {r}: "
                                           f"the multipliers do not prove the bound {Fraction(hi) - 1}")
    return None


def t_line_slope(case: Case) -> Tampered | None:
    """A relaxation line made steeper at its first finite end: it no longer holds."""
    i = _bounded(case)
    if i is None:
        return None
    for depth, layer in enumerate(case.cert["bounded"][i]["relaxation"]):
        for u, entry in enumerate(layer):
            if isinstance(entry, list) and len(entry) == 4 and entry[2] is not None:
                cert = copy.deepcopy(case.cert)
                cert["bounded"][i]["relaxation"][depth][u][3] = str(Fraction(entry[3]) - 100)
                return cert, case.model, r"^bounded\[\d+\] \(node .*\): layer \d+ unit \d+: the upper line .* does not hold"
    return None


def t_piece(case: Case) -> Tampered | None:
    """A stable piece renamed to the other side: the interval does not lie in it."""
    i = _bounded(case)
    if i is None:
        return None
    item = case.cert["bounded"][i]
    first = item["relaxation"][0]
    decided = len(item["intervals"]) - len(first)
    for u, entry in enumerate(first):
        if entry in ("+", "-") and all(isinstance(v, list) and len(v) == 4 or isinstance(v, str) for v in first):
            lo, hi = item["intervals"][decided + u]
            if (entry == "+" and Fraction(lo) > 0) or (entry == "-" and Fraction(hi) < 0):
                cert = copy.deepcopy(case.cert)
                cert["bounded"][i]["relaxation"][0][u] = "-" if entry == "+" else "+"
                return cert, case.model, r"^bounded\[\d+\] \(node .*\): layer \d+ unit \d+: the interval does not lie in piece"
    return None


def t_relaxation_short(case: Case) -> Tampered | None:
    i = _bounded(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    cert["bounded"][i]["relaxation"].append([])
    return cert, case.model, r"^bounded\[\d+\] \(node .*\): relaxation for \d+ layers, expected \d+$"


def t_bounded_at_a_leaf(case: Case) -> Tampered | None:
    i = _bounded(case)
    if i is None or not case.cert["regions"]:
        return None
    cert = copy.deepcopy(case.cert)
    extra = copy.deepcopy(cert["bounded"][i])
    extra["path"] = list(cert["regions"][0]["states"])
    cert["bounded"].append(extra)
    return cert, case.model, exact(f"bounded[{len(cert['bounded']) - 1}]: node {' '.join(extra['path'])} is a "
                                   "leaf, not a subtree")


def t_bounded_and_expanded(case: Case) -> Tampered | None:
    """A bounded record at a node the tree also expands (a prefix of a leaf's states)."""
    if not _optimal(case):
        return None
    for leaf in case.cert["regions"]:
        prefix = leaf["states"][:-1]
        if prefix and not any(b["path"] == prefix for b in case.cert["bounded"]) and case.cert["bounded"]:
            cert = copy.deepcopy(case.cert)
            extra = copy.deepcopy(cert["bounded"][0])
            extra["path"] = list(prefix)
            cert["bounded"].append(extra)
            return cert, case.model, exact(f"bounded[{len(cert['bounded']) - 1}]: node {' '.join(prefix)} is "
                                           "bounded and expanded")
    return None


def t_unbounded_ray(case: Case) -> Tampered | None:
    if case.cert["status"] != "unbounded":
        return None
    cert = copy.deepcopy(case.cert)
    cert["ray"] = [str(-Fraction(v)) for v in cert["ray"]]
    return cert, case.model, r"^ray: (leaves the region \(inequality \d+\)|the objective does not (grow|fall) along it)$"


def t_unbounded_sense(case: Case) -> Tampered | None:
    if case.cert["status"] != "unbounded":
        return None
    cert = copy.deepcopy(case.cert)
    cert["objective"] = [str(-Fraction(v)) for v in cert["objective"]]
    return cert, case.model, r"^ray: the objective does not (grow|fall) along it$"


def t_unbounded_region(case: Case) -> Tampered | None:
    if case.cert["status"] != "unbounded":
        return None
    cert = copy.deepcopy(case.cert)
    cert["region"] = cert["region"] + ["+"]
    return cert, case.model, r"^region: \d+ states, the path has \d+$"


def t_format(case: Case) -> Tampered | None:
    if not _optimal(case):
        return None
    cert = copy.deepcopy(case.cert)
    cert["format"] = "polyregions-max-certificate/2"
    return cert, case.model, exact("format: expected 'polyregions-certificate/1', got 'polyregions-max-certificate/2'")


def t_other_model(case: Case) -> Tampered | None:
    model = copy.deepcopy(case.model)
    model["layers"][0]["bias"] = [str(Fraction(v) + 1) for v in model["layers"][0].get("bias") or
                                  [0] * len(model["layers"][0]["weight"])] if model["layers"][0]["type"] == "affine" \
        else None
    if model["layers"][0]["bias"] is None:
        return None
    return case.cert, model, exact("model_sha256: the certificate is for another model")


TAMPERS: dict[str, Callable[[Case], Tampered | None]] = {
    "value": t_value,
    "value-lower": t_value_lower_with_point,
    "point-outside": t_point_outside,
    "leaf-bound-above": t_leaf_bound_above,
    "leaf-bound-below": t_leaf_bound_below,
    "leaf-multiplier": t_leaf_multiplier,
    "bounded-drop": t_bounded_drop,
    "bounded-twice": t_bounded_twice,
    "bounded-bound-above": t_bounded_bound_above,
    "bounded-final-multiplier": t_bounded_final_multiplier,
    "interval-end": t_interval_end,
    "line-slope": t_line_slope,
    "piece": t_piece,
    "relaxation-short": t_relaxation_short,
    "bounded-at-a-leaf": t_bounded_at_a_leaf,
    "bounded-and-expanded": t_bounded_and_expanded,
    "unbounded-ray": t_unbounded_ray,
    "unbounded-sense": t_unbounded_sense,
    "unbounded-region": t_unbounded_region,
    "format": t_format,
    "other-model": t_other_model,
}


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_tampering_is_caught(pool, kind):
    applied = 0
    for case in pool:
        tampered = TAMPERS[kind](case)
        if tampered is None:
            continue
        cert, model, pattern = tampered
        with pytest.raises(CheckFailure) as info:
            check_certificate(cert, model)
        assert re.search(pattern, str(info.value)), (case.name, str(info.value))
        applied += 1
    assert applied >= 3, f"{kind}: only {applied} certificates to tamper"


def test_the_domain_asked_for():
    cert = maximize(ABS_DIFF, Domain.box(2, -1, 2), certificate=True).certificate
    model = model_of(ABS_DIFF)
    box = {"A": [[-1, 0], [1, 0], [0, -1], [0, 1]], "b": [1, 2, 1, 2]}
    assert check_certificate(cert, model, box) == {"maximum": "3", "regions_visited": cert["regions_visited"]}
    with pytest.raises(CheckFailure, match=r"^domain: the certificate proves it on box \[-1, 2\]\^2, not on "
                                           r"the domain asked for \(all of R\^2\)$"):
        check_certificate(cert, model, {"A": [], "b": []})


def test_maxout_dominance_is_checked():
    """A maxout unit whose upper candidate does not dominate the others."""
    net = Network.from_json({"format": "polyregions-network/1", "input_dim": 1, "layers": [
        {"type": "affine", "weight": [[1], [-1], [1], [2]], "bias": [0, 0, 0, -3]},
        {"type": "maxout", "rank": 2},
        {"type": "affine", "weight": [[1, -1]], "bias": [0]}]})
    result = maximize(net, Domain.box(1, -1, 1), certificate=True)
    cert = result.certificate
    model = model_of(net)
    check_certificate(cert, model)
    found = [(i, d, u) for i, b in enumerate(cert["bounded"]) for d, layer in enumerate(b["relaxation"])
             for u, entry in enumerate(layer) if isinstance(entry, list) and len(entry) == 2 and entry[1] is not None]
    assert found
    i, d, u = found[0]
    entry = cert["bounded"][i]["relaxation"][d][u]
    tampered = copy.deepcopy(cert)
    tampered["bounded"][i]["relaxation"][d][u] = [entry[0], 1 - entry[1]]
    with pytest.raises(CheckFailure, match=r"^bounded\[\d+\] \(node .*\): layer 1 unit \d+: candidate \d does not "
                                           r"dominate candidate \d$"):
        check_certificate(tampered, model)


def test_relucent_parity_6013(relucent_dir):
    net = load_network(relucent_dir / "parity_6013.json")
    box = Domain.box(4, -1, 1)
    result = maximize(net, box, certificate=True)
    assert result.value == maximize(net, box, prune=False).value
    assert result.regions_visited < maximize(net, box, prune=False).regions_visited
    proved = check_certificate(roundtrip(result.certificate), model_of(net), {"A": [list(a) for a, _ in box.rows],
                                                                             "b": [b for _, b in box.rows]})
    assert proved["maximum"] == str(result.value)


@pytest.mark.slow
def test_relucent_meta_graph_large(relucent_dir):
    net = load_network(relucent_dir / "meta_graph_large.json")
    box = Domain.box(4, -1, 1)
    result = maximize(net, box, certificate=True)
    full = maximize(net, box, prune=False)
    assert result.value == full.value
    assert full.regions_visited == 1333
    assert check_certificate(roundtrip(result.certificate), model_of(net))["maximum"] == str(result.value)


# --------------------------------------------------------------------------- command line


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "net.json"
    ABS_DIFF.save(path)
    return path


def test_cli_max(capsys, demo):
    code, out, err = run(capsys, "max", demo, "--box", -1, 2)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[1:5] == ["domain:          box [-1, 2]^2", "objective:       output 0", "maximum:         3",
                          "point:           (2, -1)"]
    assert lines[5] == "region:          +-"
    code, out, err = run(capsys, "max", demo, "--box", -1, 2, "--min", "--json", "--compare")
    data = json.loads(out)
    assert (data["status"], data["value"], data["sense"], data["regions_total"]) == ("optimal", "0", "min", 2)
    assert set(data) >= {"status", "value", "point", "region", "regions_visited"}
    code, out, err = run(capsys, "max", demo, "--json")
    data = json.loads(out)
    assert (data["status"], data["value"], data["ray"]) == ("unbounded", None, data["ray"])
    assert data["ray"] is not None


def test_cli_max_certificate(capsys, demo, tmp_path):
    cert = tmp_path / "max.cert.json"
    code, out, err = run(capsys, "max", demo, "--box", -1, 2, "-o", cert)
    assert code == 0 and f"certificate:     {cert}" in out
    code, out, err = run(capsys, "check", cert, demo, "--box", -1, 2)
    assert code == 0 and out.startswith("VALID maximum=3 regions_visited=")
    code, out, err = run(capsys, "check", cert, demo)
    assert code == 1 and out.startswith("INVALID: domain: the certificate proves it on box [-1, 2]^2")


@pytest.mark.parametrize("argv, pattern", [
    (["--objective", "1,2,3"], r"objective has 3 coefficients, the network has 1 output$"),
    (["--objective", "1,,2"], r"--objective: expected comma-separated numbers, got '1,,2'$"),
    (["--output", "1"], r"output 1: expected an index from 0 to 0$"),
    (["--output", "x"], r"--output: expected an integer, got 'x'$"),
    (["--output", "0", "--objective", "1"], r"argument --objective: not allowed with argument --output$"),
    (["--slice", "0,0", "1,0", "0,1", "-o", "c.json"], r"max: --slice is not supported with a certificate"),
])
def test_cli_max_bad_input(capsys, demo, tmp_path, monkeypatch, argv, pattern):
    monkeypatch.chdir(tmp_path)
    assert_one_error_line(*run(capsys, "max", demo, *argv), pattern)


def test_cli_max_refuses_to_overwrite_the_model(capsys, demo):
    assert_one_error_line(*run(capsys, "max", demo, "-o", demo), r"is the input file")
