"""Properties (:mod:`polyregions.io.vnnlib`), their exact verification (:mod:`polyregions.queries.verify`),
verify certificates and ``polyregions verify``.

- Against brute force on 240 seeded random and degenerate networks: full enumeration,
  then for every region and disjunct an exact LP over the region's closure and the
  disjunct's rows; the unsafe sets are built around the true minimum of each row so
  that tight cases (a counterexample only on a boundary or at one vertex) occur. Every
  counterexample is checked by an exact forward pass.
- VNN-LIB and JSON properties: what is read, and every refusal with its message.
- Certificates check VALID; tampering is INVALID with a precise message.
"""

from __future__ import annotations

import copy
import json
import random
import re
from fractions import Fraction

import pytest

from tests.support.clirun import assert_one_error_line, run
from polyregions.geometry import lp
from polyregions.checker.check import CheckFailure, check_certificate
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.errors import DomainError, InputError
from polyregions.core.network import Network, load_network
from polyregions.queries.verify import verify_property
from polyregions.io.vnnlib import Property, load_property, parse_vnnlib, property_from_json

from tests.support.netgen import random_cases

SEEDS = (51, 52)
CASES = [case for seed in SEEDS for case in random_cases(seed, 120)]


def domain_of(net: Network, A, b) -> Domain:
    return Domain.from_inequalities(A, b, dim=net.input_dim) if A else Domain.whole(net.input_dim)


def dot(u, v) -> Fraction:
    return sum((Fraction(a) * Fraction(b) for a, b in zip(u, v)), Fraction(0))


def closure_meets(region, conj) -> bool:
    """An exact LP: does the closure of the region meet {x : c . net(x) <= d for (c, d) in conj}?"""
    weight, bias = region.output_map.weight, region.output_map.bias
    A = [list(a) for a, _ in region.inequalities]
    b = [bb for _, bb in region.inequalities]
    for c, d in conj:
        A.append([sum((ci * row[j] for ci, row in zip(c, weight)), Fraction(0)) for j in range(len(weight[0]) if weight else 0)]
                 if weight and weight[0] else [Fraction(0)] * region.cell.dim)
        b.append(d - dot(c, bias))
    return lp.maximize([0] * region.cell.dim, 0, A, b, dim=region.cell.dim).status != "infeasible"


def brute_violated(net: Network, prop: Property) -> bool:
    return any(closure_meets(region, conj) for region in enumerate_regions(net, prop.domain)
               for conj in prop.unsafe)


def random_property(name: str, net: Network, domain: Domain) -> Property:
    """One or two disjuncts of one or two rows, with d around the row's minimum over the domain
    (when it has one): below it (holds), at it (violated only where the minimum is attained)
    or above it."""
    from polyregions.queries.optimize import maximize

    rng = random.Random(name)
    disjuncts = []
    for _ in range(rng.choice([1, 1, 2])):
        rows = []
        for _ in range(rng.choice([1, 1, 2])):
            c = [Fraction(rng.randint(-2, 2), rng.choice([1, 2])) for _ in range(net.output_dim)]
            if not any(c):
                c[0] = Fraction(1)
            low = maximize(net, domain, objective=c, minimize=True).value
            base = Fraction(rng.randint(-3, 3)) if low is None else low
            d = base + rng.choice([Fraction(-1), Fraction(-1, 3), Fraction(0), Fraction(0), Fraction(1, 2)])
            rows.append((tuple(c), d))
        disjuncts.append(tuple(rows))
    return Property(domain, tuple(disjuncts))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_brute_force(case):
    name, net, A, b = case
    domain = domain_of(net, A, b)
    prop = random_property(name, net, domain)
    result = verify_property(net, prop)
    assert result.result == ("violated" if brute_violated(net, prop) else "holds")
    if result.result == "violated":
        x = result.counterexample
        assert domain.contains(x)
        y = net(x)
        assert y == result.outputs
        assert all(dot(c, y) <= d for c, d in prop.unsafe[result.disjunct])
    else:
        assert (result.counterexample, result.disjunct, result.outputs) == (None, None, None)
    assert verify_property(net, prop, prune=False).result == result.result


def test_counterexample_only_at_one_vertex():
    """max(x1, x2) <= 1 on [-1, 1]^2 with the unsafe set y >= 1: violated only at x1 = 1 or x2 = 1;
    y >= 1 + 2^-40 holds."""
    net = Network.mlp([[[1, -1], [0, 1], [0, -1]], [[1, 1, -1]]], [[0, 0, 0], [0]])
    box = Domain.box(2, -1, 1)
    found = verify_property(net, Property(box, ((((Fraction(-1),), Fraction(-1)),),)))
    assert found.result == "violated" and found.outputs == (1,)
    tiny = Fraction(1, 2 ** 40)
    assert verify_property(net, Property(box, ((((Fraction(-1),), -1 - tiny),),))).holds


# --------------------------------------------------------------------------- VNN-LIB and JSON

HEAD = ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
        "(assert (<= X_0 1)) (assert (>= X_0 -1)) (assert (<= X_1 0.5)) (assert (>= X_1 -0.5))\n")


def test_vnnlib_reads_the_subset():
    prop = parse_vnnlib(HEAD + "; robustness\n(assert (or (and (>= Y_0 Y_1) (<= (+ Y_0 (* 2 Y_1)) 1e-1))"
                               " (= Y_1 (- 3))))", 2, 2)
    assert prop.domain.describe() == "box [-1, 1] x [-1/2, 1/2]"
    assert prop.unsafe == (((( -1, 1), 0), ((1, 2), Fraction(1, 10))), (((0, 1), -3), ((0, -1), 3)))
    prop = parse_vnnlib(HEAD.replace("(assert (<= X_1 0.5))", "(assert (<= (+ X_0 X_1) 0.5))") +
                        "(assert (<= Y_0 0))", 2, 2)
    assert prop.domain.describe() == "polyhedron in R^2 with 4 inequalities"
    # and distributes over or; every output assertion must hold together
    prop = parse_vnnlib(HEAD + "(assert (and (<= Y_0 0) (or (<= Y_1 0) (>= Y_1 1))))(assert (<= Y_0 5))", 2, 2)
    assert len(prop.unsafe) == 2 and all(len(conj) == 3 for conj in prop.unsafe)
    # constant rows: always true (dropped), never true (the disjunct is dropped)
    prop = parse_vnnlib(HEAD + "(assert (or (and (<= 0 1) (<= Y_0 0)) (and (<= 1 0) (<= Y_1 0))))", 2, 2)
    assert prop.unsafe == ((((1, 0), 0),),)


@pytest.mark.parametrize("text, pattern", [
    ("(assert (< Y_0 0))", r"line 6: strict '<' is not supported \(the unsafe set must be closed\)"),
    ("(assert (not (<= Y_0 0)))", r"line 6: 'not' is not supported: use and, or and comparisons"),
    ("(assert (<= (* Y_0 Y_1) 0))", r"line 6: a product of two variables is not linear"),
    ("(assert (<= (exp Y_0) 0))", r"line 6: unsupported term \(exp \.\.\.\): use \+, -, \* by a number"),
    ("(assert (<= Y_0 Z))", r"line 6: 'Z' is neither a declared variable nor a number"),
    ("(assert (<= Y_0 0)", r"line 6: '\(' is never closed"),
    ("(assert (<= Y_0 0)))", r"line 6: '\)' without '\('"),
    ("(assert (<= X_0 Y_0))", r"line 6: an assertion mixes inputs and outputs \(not supported\)"),
    ("(check-sat)", r"line 6: unsupported command 'check-sat': expected declare-const or assert"),
    ("(assert (<= Y_0))", r"line 6: expected a comparison \(<= s t\), \(>= s t\) or \(= s t\), got <="),
    ("(declare-const Y_2 Real)(assert (<= Y_0 0))", r"declares Y_0, Y_1, Y_2; expected Y_0 to Y_1 \(the network has 2 outputs\)"),
    ("(declare-const Y_0 Real)", r"line 6: variable Y_0 declared twice"),
    ("(declare-const W_0 Real)", r"line 6: variable 'W_0': expected X_i \(inputs\) or Y_j \(outputs\)"),
    ("(declare-const Y_9 Int)", r"line 6: variable Y_9 has sort Int, expected Real"),
    ("", r"no assertion about the outputs \(nothing is unsafe\)"),
    ("(assert (<= 0 1))", r"a disjunct of the unsafe set puts no constraint on the outputs"),
    ("(assert (or))", r"line 6: \(or\) with no terms is false: nothing would be unsafe; give at least one term$"),
    ("(assert (and (<= Y_0 0) (or)))", r"line 6: \(or\) with no terms is false"),
    ("7", r"line 6: expected \(declare-const \.\.\.\) or \(assert \.\.\.\)"),
    ("(declare-const X_5)", r"line 6: expected \(declare-const NAME Real\)$"),
    ("(assert (<= () 1))", r"line 6: expected a term$"),
    ("(assert (and " + "(or (<= Y_0 0) (<= Y_0 1) (<= Y_0 2) (<= Y_0 3))" * 9 + "))",
     r"line 6: the unsafe set has more than 100,000 disjuncts$"),
])
def test_vnnlib_refusals(text, pattern):
    with pytest.raises(InputError, match=r"^prop: " + pattern):
        parse_vnnlib(HEAD + text, 2, 2, "prop")


def test_vnnlib_missing_declarations_and_empty_inputs():
    with pytest.raises(InputError, match=r"^p: declares X_0; expected X_0 to X_1 \(the network has 2 inputs\)$"):
        parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= Y_0 0))", 2, 1, "p")
    with pytest.raises(InputError, match=r"^p: declares Y_0, Y_2; expected Y_0 to Y_1 \(the network has 2 outputs\)$"):
        parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)(declare-const Y_2 Real)(assert (<= Y_0 0))",
                     1, 2, "p")
    # bounds that fix an input make a flat box (verify substitutes the input); other
    # lower-dimensional input sets are refused
    fixed = parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 0))(assert (>= X_0 0))"
                         "(assert (<= X_0 (+ X_0 1)))(assert (<= Y_0 0))", 1, 1, "p")
    assert fixed.domain.kind == "box" and fixed.domain.bounds == ((0, 0),)
    with pytest.raises(DomainError, match=r"^p: inputs: the domain is empty or not full-dimensional$"):
        parse_vnnlib("(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)"
                     "(assert (<= (+ X_0 X_1) 0))(assert (>= (+ X_0 X_1) 0))(assert (<= Y_0 0))", 2, 1, "p")
    with pytest.raises(InputError, match=r"^p: the inputs are empty: X_0 >= 1 and X_0 <= 0$"):
        parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 0))(assert (>= X_0 1))"
                     "(assert (<= Y_0 0))", 1, 1, "p")
    with pytest.raises(InputError, match=r"more than 100,000 disjuncts"):
        parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)" +
                     "(assert (or (<= Y_0 0) (<= Y_0 1) (<= Y_0 2) (<= Y_0 3)))" * 9, 1, 1, "p")


def test_json_property():
    obj = {"format": "polyregions-property/1", "input": {"A": [[1], [-1]], "b": [1, 1]},
           "unsafe": [[{"c": [1], "d": "-0.5"}]]}
    prop = property_from_json(obj, 1, 1)
    assert prop.unsafe == ((((1,), Fraction(-1, 2)),),)
    assert property_from_json(prop.to_json(), 1, 1) == prop


@pytest.mark.parametrize("change, pattern", [
    ({"format": "x"}, r"format: expected 'polyregions-property/1', got 'x'$"),
    ({"extra": 1}, r"unknown key\(s\) extra$"),
    ({"input": [0, 1]}, r"input\[0\]: expected"),
    ({"input": 7}, r"input: expected"),
    ({"input": {"low": 0}}, r"input: expected keys low and high, or A and b$"),
    ({"input": {"low": [1], "high": [0]}}, r"input: box coordinate 0: low 1 must be below high 0 \(empty\)$"),
    ({"input": {"low": [0], "high": [1, 2]}}, r"input: box high: 2 values for 1 coordinates$"),
    ({"unsafe": []}, r"unsafe: expected a non-empty list of conjunctions$"),
    ({"unsafe": [[]]}, r"unsafe\[0\]: expected a non-empty list of rows"),
    ({"unsafe": [[{"c": [1]}]]}, r"unsafe\[0\]\[0\]: expected \{\"c\": \[\.\.\.\], \"d\": \.\.\.\}$"),
    ({"unsafe": [[{"c": [1, 2], "d": 0}]]}, r"unsafe\[0\]\[0\]\.c: expected 1 coefficients \(one per output\)$"),
    ({"unsafe": [[{"c": ["x"], "d": 0}]]}, r"unsafe\[0\]\[0\]\.c\[0\]"),
])
def test_json_property_refusals(change, pattern):
    obj = {"format": "polyregions-property/1", "input": {"low": [0], "high": [1]}, "unsafe": [[{"c": [1], "d": 0}]]}
    obj.update(change)
    with pytest.raises(InputError, match=r"^p: " + pattern):
        property_from_json(obj, 1, 1, "p")
    with pytest.raises(InputError, match=r"^p: expected a JSON object"):
        property_from_json([], 1, 1, "p")


def test_property_dimensions_must_fit():
    net = Network.mlp([[[1, 1]]], [[0]])
    prop = property_from_json({"format": "polyregions-property/1", "input": {"low": [0], "high": [1]},
                               "unsafe": [[{"c": [1], "d": 0}]]}, 1, 1)
    with pytest.raises(InputError, match=r"^the property is about 1 inputs and 1 outputs, the network has 2 and 1$"):
        verify_property(net, prop)
    with pytest.raises(InputError, match=r"^bound_every must be a positive integer, got 0$"):
        verify_property(Network.mlp([[[1]]], [[0]]), prop, bound_every=0)


# --------------------------------------------------------------------------- certificates

CERT_CASES = [case for case in random_cases(53, 80)]


def model_of(net: Network) -> dict:
    return json.loads(json.dumps(net.to_json()))


@pytest.fixture(scope="module")
def pool():
    out = []
    for name, net, A, b in CERT_CASES:
        domain = domain_of(net, A, b)
        prop = random_property(name, net, domain)
        result = verify_property(net, prop, certificate=True)
        out.append((name, net, prop, json.loads(json.dumps(result.certificate))))
    return out


def test_certificates_check(pool):
    holds = violated = bounded = 0
    for name, net, prop, cert in pool:
        proved = check_certificate(cert, model_of(net))
        assert proved["property"] == cert["result"]
        holds += cert["result"] == "holds"
        violated += cert["result"] == "violated"
        bounded += bool(cert.get("bounded"))
    assert holds >= 20 and violated >= 20 and bounded >= 5


def _first(pool, test):
    for name, net, prop, cert in pool:
        if test(cert):
            return net, prop, copy.deepcopy(cert)
    raise AssertionError("no certificate to tamper")


def _holds_with_leaf(cert):
    return cert["result"] == "holds" and any(any(ref[0] != "property" for ref, _ in r["refutations"][0])
                                             for r in cert["regions"])


def test_tampered_refutation(pool):
    net, prop, cert = _first(pool, _holds_with_leaf)
    i = next(i for i, r in enumerate(cert["regions"]) if any(ref[0] != "property" for ref, _ in r["refutations"][0]))
    cert["regions"][i]["refutations"][0][0][1] += 1
    with pytest.raises(CheckFailure, match=rf"^regions\[{i}\]: disjunct 0: the multipliers do not refute it on "
                                           r"the region$"):
        check_certificate(cert, model_of(net))


def test_tampered_refutation_count(pool):
    net, prop, cert = _first(pool, lambda c: c["result"] == "holds" and c["regions"])
    cert["regions"][0]["refutations"].append([])
    with pytest.raises(CheckFailure, match=rf"^regions\[0\]: {len(prop.unsafe) + 1} refutations for "
                                           rf"{len(prop.unsafe)} disjuncts$"):
        check_certificate(cert, model_of(net))


def test_tampered_bounded_claims(pool):
    net, prop, cert = _first(pool, lambda c: c["result"] == "holds" and c["bounded"])
    item = cert["bounded"][0]
    node = " ".join(item["path"]) or "(root)"
    original = copy.deepcopy(cert)
    item["bounds"][0]["bound"] = "1000000"
    k, j = item["bounds"][0]["disjunct"], item["bounds"][0]["row"]
    with pytest.raises(CheckFailure, match=rf"^bounded\[0\] \(node {re.escape(node)}\): disjunct {k} row {j}: "
                                           r"bound 1000000 of -\(c \. y\) is not below"):
        check_certificate(cert, model_of(net))
    cert = copy.deepcopy(original)
    cert["bounded"][0]["bounds"].pop()
    with pytest.raises(CheckFailure, match=rf"^bounded\[0\] \(node {re.escape(node)}\): disjunct \d+ is not "
                                           r"refuted on the subtree$"):
        check_certificate(cert, model_of(net))
    cert = copy.deepcopy(original)
    cert["bounded"][0]["bounds"][0]["row"] = 7
    with pytest.raises(CheckFailure, match=rf"^bounded\[0\] \(node {re.escape(node)}\): no row 7 of disjunct {k}$"):
        check_certificate(cert, model_of(net))


def test_tampered_counterexample(pool):
    net, prop, cert = _first(pool, lambda c: c["result"] == "violated" and c["domain"]["A"])
    model = model_of(net)
    moved = copy.deepcopy(cert)
    moved["counterexample"] = [str(Fraction(v) + 10 ** 6) for v in cert["counterexample"]]
    with pytest.raises(CheckFailure, match=r"^counterexample: outside the domain \(row \d+\)$"):
        check_certificate(moved, model)
    other = copy.deepcopy(cert)
    other["disjunct"] = len(prop.unsafe)
    with pytest.raises(CheckFailure, match=rf"^disjunct: no disjunct {len(prop.unsafe)}$"):
        check_certificate(other, model)
    flipped = copy.deepcopy(cert)
    flipped["result"] = "maybe"
    with pytest.raises(CheckFailure, match=r"^result: expected 'holds' or 'violated', got 'maybe'$"):
        check_certificate(flipped, model)


def test_the_property_asked_for(pool):
    net, prop, cert = _first(pool, lambda c: c["result"] == "holds")
    model = model_of(net)
    assert check_certificate(cert, model, prop=prop.to_json())["property"] == "holds"
    other = prop.to_json()
    other["unsafe"][0][0]["d"] = str(Fraction(other["unsafe"][0][0]["d"]) + 1)
    with pytest.raises(CheckFailure, match=r"^property: the certificate is about another unsafe set of outputs$"):
        check_certificate(cert, model, prop=other)
    box = {"A": [[1] + [0] * (net.input_dim - 1)], "b": [12345]}
    with pytest.raises(CheckFailure, match=r"^domain: the certificate proves it on .*, not on the domain asked for"):
        check_certificate(cert, model, prop={"input": box, "unsafe": prop.to_json()["unsafe"]})


def test_relucent_meta_graph_large(relucent_dir):
    """The maximum on [-1, 1]^4 is about 0.5907: y >= 0.6 never happens, y >= 0.59 does."""
    net = load_network(relucent_dir / "meta_graph_large.json")
    head = "".join(f"(declare-const X_{i} Real)(assert (<= X_{i} 1))(assert (>= X_{i} -1))" for i in range(4))
    head += "(declare-const Y_0 Real)"
    holds = verify_property(net, parse_vnnlib(head + "(assert (>= Y_0 0.6))", 4, 1), certificate=True)
    assert holds.holds and holds.regions_visited == 0
    assert check_certificate(json.loads(json.dumps(holds.certificate)), model_of(net)) == \
        {"property": "holds", "regions_visited": 0}
    found = verify_property(net, parse_vnnlib(head + "(assert (>= Y_0 0.59))", 4, 1))
    assert found.result == "violated" and found.outputs[0] >= Fraction(59, 100)


# --------------------------------------------------------------------------- command line

IDENTITY = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
PROPERTY = ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 -2))\n"
            "(assert (>= Y_0 {}))\n")


@pytest.fixture
def files(tmp_path):
    model = tmp_path / "net.json"
    IDENTITY.save(model)

    def prop(bound: str, name: str = "p.vnnlib") -> object:
        path = tmp_path / name
        path.write_text(PROPERTY.format(bound))
        return path
    return model, prop


def test_cli_verify(capsys, files, tmp_path):
    model, prop = files
    code, out, err = run(capsys, "verify", model, prop("1.5"))
    assert (code, err) == (0, "")
    assert "result:          holds (no input of the domain has outputs in the unsafe set)" in out
    assert "property:        " + str(tmp_path / "p.vnnlib") + " (1 unsafe disjunct over 1 output on box [-2, 1]^1)" in out
    code, out, err = run(capsys, "verify", model, prop("1"), "--json")
    data = json.loads(out)
    assert code == 1
    assert (data["result"], data["counterexample"], data["outputs"], data["disjunct"]) == ("violated", ["1"], ["1"], 0)
    cert = tmp_path / "c.json"
    code, out, err = run(capsys, "verify", model, prop("1.5"), "-o", cert)
    assert code == 0
    code, out, err = run(capsys, "check", cert, model, "--property", prop("1.5"))
    assert code == 0 and out.startswith("VALID property=holds")
    code, out, err = run(capsys, "check", cert, model, "--property", prop("1.25", "q.vnnlib"))
    assert code == 1 and out == "INVALID: property: the certificate is about another unsafe set of outputs\n"
    assert "property: the one stored" not in out
    code, out, err = run(capsys, "check", cert, model)
    assert code == 0
    assert out.splitlines()[-1] == ("property: the one stored in the certificate (compare it with yours: "
                                    "polyregions check CERT MODEL --property FILE)")
    # a count certificate has no property to compare with
    from polyregions.certificates.regions import certify, write_certificate
    from polyregions.core.network import load_network

    write_certificate(certify(load_network(model)), tmp_path / "count.json")
    assert_one_error_line(*run(capsys, "check", tmp_path / "count.json", model, "--property", prop("1.5")),
                          r"^polyregions: error: --property: only for verify certificates "
                          r"\(polyregions-verify-certificate/1, polyregions-verify-boxes-certificate/1, "
                          r"polyregions-verify-union-certificate/1\); "
                          r".*count\.json is a polyregions-certificate/1")
    # the standalone checker says the same, and reads only JSON models
    from polyregions.checker.command import main

    assert main([str(cert), str(model)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("property: the one stored in the certificate")
    binary = tmp_path / "model.onnx"
    binary.write_bytes(b"\x08\x07\x00binary")
    assert main([str(cert), str(binary)]) == 2  # a model it cannot read is bad input, not INVALID
    assert "this checker reads polyregions JSON models: convert" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: python -m polyregions.checker")


def test_cli_verify_bad_input(capsys, files, tmp_path):
    model, prop = files
    bad = tmp_path / "bad.vnnlib"
    bad.write_text("(assert (< Y_0 1))")
    assert_one_error_line(*run(capsys, "verify", model, bad), r"bad\.vnnlib: line 1: strict '<' is not supported")
    assert_one_error_line(*run(capsys, "verify", model, tmp_path / "none.vnnlib"), r"none\.vnnlib")
    assert_one_error_line(*run(capsys, "verify", model, prop("1"), "-o", prop("1")), r"is the input file")
    js = tmp_path / "p.json"
    js.write_text('{"format": "polyregions-property/1", "input": {"low": [0], "high": [1]}, "unsafe": [[]]}')
    assert_one_error_line(*run(capsys, "verify", model, js), r"unsafe\[0\]: expected a non-empty list of rows")
    assert load_property(js.with_name("p.vnnlib") if False else prop("2"), 1, 1).outputs == 1
