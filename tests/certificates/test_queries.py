"""The standalone checker on malformed max and verify certificates: one mutation per message.

Each mutation of a real certificate (built here from small fixed networks) must give
INVALID with the exact message that names the failing item; together with the
tampering tests of tests/test_optimize.py and tests/test_verify.py this covers every
failure the query checker can report.
"""

from __future__ import annotations

import copy
import json
import re
from fractions import Fraction
from typing import Callable

import pytest

from polyregions.checker.check import CheckFailure, check_certificate
from polyregions.core.domain import Domain
from polyregions.core.network import Network
from polyregions.queries.optimize import maximize
from polyregions.queries.verify import verify_property
from polyregions.io.vnnlib import Property

DEEP = Network.mlp([[[1, -1], [1, 1], [-1, 2], [2, 1]], [[1, -1, 1, 0], [0, 1, -1, 1], [1, 1, 1, -1]], [[1, -1, "1/2"]]],
                   [[0, "-1/2", "1/4", -1], [0, "1/2", -1], [0]])
ABS_DIFF = Network.mlp([[[1, -1], [-1, 1]], [[1, 1]]], [[0, 0], [0]])
MAXOUT = Network.from_json({"format": "polyregions-network/1", "input_dim": 1, "layers": [
    {"type": "affine", "weight": [[1], [-1], [1], [2]], "bias": [0, 0, 0, -3]}, {"type": "maxout", "rank": 2},
    {"type": "affine", "weight": [[1, -1]], "bias": [0]}]})
BOX = Domain.box(2, -1, 1)


def model(net: Network) -> dict:
    return json.loads(json.dumps(net.to_json()))


def cert_of(result) -> dict:
    return json.loads(json.dumps(result.certificate))


@pytest.fixture(scope="module")
def certs() -> dict[str, tuple[dict, dict]]:
    box = Domain.box(1, -1, 1)
    return {
        "deep": (cert_of(maximize(DEEP, BOX, certificate=True, bound_every=1)), model(DEEP)),
        "leaves": (cert_of(maximize(ABS_DIFF, Domain.box(2, -1, 2), certificate=True, prune=False)), model(ABS_DIFF)),
        "maxout": (cert_of(maximize(MAXOUT, box, certificate=True)), model(MAXOUT)),
        "unbounded": (cert_of(maximize(ABS_DIFF, certificate=True)), model(ABS_DIFF)),
        "holds": (cert_of(verify_property(ABS_DIFF, Property(Domain.box(2, -1, 2), (
            (((Fraction(1),), Fraction(-1)),), (((Fraction(-1),), Fraction(-4)),))), certificate=True,
            prune=False, method="regions")), model(ABS_DIFF)),
        "holds-bounded": (cert_of(verify_property(DEEP, Property(BOX, ((((Fraction(-1),), Fraction(-10)),),)),
                                                  certificate=True, method="regions")), model(DEEP)),
        "violated": (cert_of(verify_property(ABS_DIFF, Property(Domain.box(2, -1, 2), (
            (((Fraction(1),), Fraction(1, 2)),),)), certificate=True, method="regions")), model(ABS_DIFF)),
    }


def lines_entry(cert: dict) -> tuple[int, int, int]:
    for i, item in enumerate(cert["bounded"]):
        for d, layer in enumerate(item["relaxation"]):
            for u, entry in enumerate(layer):
                if isinstance(entry, list) and len(entry) == 4 and entry[0] is not None and entry[2] is not None:
                    return i, d, u
    raise AssertionError("no lines entry")


def node(cert: dict, i: int) -> str:
    return " ".join(cert["bounded"][i]["path"]) or "(root)"


Mutation = Callable[[dict], str]


def m_proof_not_dict(c: dict) -> str:
    c["regions"][0]["multipliers"] = [[["domain", 0], 1]]
    del c["regions"][0]["scale"]
    return r"^malformed certificate or model: KeyError: 'scale'$"


def m_scale_zero(c: dict) -> str:
    c["regions"][0]["scale"] = 0
    return r"^regions\[0\]: bound: scale is zero$"


def m_multiplier_not_pair(c: dict) -> str:
    c["regions"][0]["multipliers"].append([1])
    return r"^regions\[0\]: bound: multiplier \d+ is not a pair \[inequality, y\]$"


def m_intervals_short(c: dict) -> str:
    c["bounded"][0]["intervals"].pop()
    n = len(c["bounded"][0]["intervals"])
    return rf"^bounded\[0\] \(node {re.escape(node(c, 0))}\): {n} intervals for {n + 1} pre-activations$"


def m_interval_not_pair(c: dict) -> str:
    c["bounded"][0]["intervals"][0] = ["0"]
    return rf"^bounded\[0\] \(node {re.escape(node(c, 0))}\): interval 0 is not a pair$"


def m_interval_lower(c: dict) -> str:
    item = c["bounded"][0]
    r = next(r for r, (lo, hi) in enumerate(item["intervals"]) if lo is not None)
    item["intervals"][r][0] = str(Fraction(item["intervals"][r][0]) + 1)
    return (rf"^bounded\[0\] \(node {re.escape(node(c, 0))}\): lower end of interval {r}: the multipliers do "
            r"not prove the bound")


def m_entries_count(c: dict) -> str:
    i, d, u = lines_entry(c)
    c["bounded"][i]["relaxation"][d].append("+")
    return rf"^bounded\[{i}\] \(node {re.escape(node(c, i))}\): layer \d+: \d+ relaxed units, expected \d+$"


def m_entry_shape(c: dict) -> str:
    i, d, u = lines_entry(c)
    c["bounded"][i]["relaxation"][d][u] = ["1", "0", "1"]
    return rf"^bounded\[{i}\] \(node .*\): layer \d+ unit \d+: expected a piece or four numbers, got"


def m_no_piece(c: dict) -> str:
    i, d, u = lines_entry(c)
    c["bounded"][i]["relaxation"][d][u] = "Q"
    return rf"^bounded\[{i}\] \(node .*\): layer \d+ unit \d+: no piece 'Q'$"


def m_half_line(c: dict) -> str:
    i, d, u = lines_entry(c)
    c["bounded"][i]["relaxation"][d][u][1] = None
    return rf"^bounded\[{i}\] \(node .*\): layer \d+ unit \d+: half a lower line$"


def m_lower_line(c: dict) -> str:
    i, d, u = lines_entry(c)
    c["bounded"][i]["relaxation"][d][u][1] = "1000"
    return rf"^bounded\[{i}\] \(node .*\): layer \d+ unit \d+: the lower line .* does not hold on the unit's interval$"


def m_no_upper_line(c: dict) -> str:
    """Every upper line removed: the back-substitution needs one (the claim of an unbounded side)."""
    for item in c["bounded"]:
        for layer in item["relaxation"]:
            for entry in layer:
                if isinstance(entry, list) and len(entry) == 4:
                    entry[2] = entry[3] = None
    return r"^bounded\[\d+\] \(node .*\): unit \d+ of layer \d+ has no (upper|lower) line$"


def m_two_bounds(c: dict) -> str:
    c["bounded"][0]["bounds"].append(copy.deepcopy(c["bounded"][0]["bounds"][0]))
    return rf"^bounded\[0\] \(node {re.escape(node(c, 0))}\): expected one bound, got 2$"


def m_bounded_unused(c: dict) -> str:
    """A bounded record below a leaf region: the walk ends at the leaf and never reaches it."""
    path = c["regions"][0]["states"] + ["+"]
    c["bounded"].append({"path": path})
    n = len(c["bounded"]) - 1
    return rf"^bounded\[{n}\]: node {re.escape(' '.join(path))} is not in the tree$"


def m_maxout_entry(c: dict) -> str:
    i, d, u = next((i, d, u) for i, b in enumerate(c["bounded"]) for d, layer in enumerate(b["relaxation"])
                   for u, entry in enumerate(layer) if isinstance(entry, list) and len(entry) == 2)
    c["bounded"][i]["relaxation"][d][u] = [5, None]
    return rf"^bounded\[{i}\] \(node .*\): layer 1 unit {u}: expected \[candidate, candidate or null\], got \[5, None\]$"


def m_maxout_no_top(c: dict) -> str:
    """The constant upper end of a maxout unit needs every candidate's upper end."""
    i = next(i for i, b in enumerate(c["bounded"]) if any(isinstance(e, list) and len(e) == 2
                                                         for layer in b["relaxation"] for e in layer))
    item = c["bounded"][i]
    for layer in item["relaxation"]:
        for entry in layer:
            if isinstance(entry, list) and len(entry) == 2:
                entry[1] = None
    for pair, proof in zip(item["intervals"], item["interval_multipliers"]):
        pair[1] = proof[1] = None
    return rf"^bounded\[{i}\] \(node .*\): unit \d+ of layer 1 has no upper bound$"


def m_objective_length(c: dict) -> str:
    c["objective"].append("1")
    return r"^objective: 2 coefficients, the model has 1 outputs$"


def m_sense(c: dict) -> str:
    c["sense"] = "sup"
    return r"^sense: expected 'max' or 'min', got 'sup'$"


def m_status(c: dict) -> str:
    c["status"] = "done"
    return r"^status: expected 'optimal' or 'unbounded', got 'done'$"


def m_ray_length(c: dict) -> str:
    c["ray"].append("1")
    return r"^ray: 3 coordinates, expected 2$"


def m_unbounded_point(c: dict) -> str:
    c["point"] = [str(Fraction(v) - 1000 * Fraction(r)) for v, r in zip(c["point"], c["ray"])]
    return r"^point: outside the closure of the region \(inequality \d+\)$"


def m_region_short(c: dict) -> str:
    c["region"] = c["region"][:1]
    return r"^region: 1 states, the path needs more$"


def m_region_branch(c: dict) -> str:
    c["region"][0] = "M"
    return r"^region: 'M' is not a branch of layer 1 unit 0$"


def m_refutation_not_pair(c: dict) -> str:
    c["regions"][0]["refutations"][0].append(["x"])
    return r"^regions\[0\]: disjunct 0: multiplier \d+ is not a pair \[inequality, y\]$"


def m_refutation_row(c: dict) -> str:
    c["regions"][0]["refutations"][0].append([["property", 9], 1])
    return r"^regions\[0\]: disjunct 0: no property row 9$"


def m_refutation_zero(c: dict) -> str:
    c["regions"][0]["refutations"][0] = [[["property", 0], 0]]
    return r"^regions\[0\]: disjunct 0: all multipliers are zero$"


def m_unsafe_empty(c: dict) -> str:
    c["property"]["unsafe"] = []
    return r"^property\.unsafe: no disjunct$"


def m_unsafe_conj_empty(c: dict) -> str:
    c["property"]["unsafe"][0] = []
    return r"^property\.unsafe\[0\]: an empty conjunction \(every output would be unsafe\)$"


def m_unsafe_c(c: dict) -> str:
    c["property"]["unsafe"][0][0]["c"] = ["1", "2"]
    return r"^property\.unsafe\[0\]\[0\]\.c: 2 coefficients, the model has 1 outputs$"


def m_counterexample_row(c: dict) -> str:
    c["counterexample"] = ["2", "-1"]
    return r"^counterexample: the outputs there do not satisfy row 0 of disjunct 0$"


MUTATIONS: dict[str, tuple[str, Mutation]] = {
    "proof-not-dict": ("leaves", m_proof_not_dict),
    "scale-zero": ("leaves", m_scale_zero),
    "multiplier-not-pair": ("leaves", m_multiplier_not_pair),
    "intervals-short": ("deep", m_intervals_short),
    "interval-not-pair": ("deep", m_interval_not_pair),
    "interval-lower": ("deep", m_interval_lower),
    "entries-count": ("deep", m_entries_count),
    "entry-shape": ("deep", m_entry_shape),
    "no-piece": ("deep", m_no_piece),
    "half-line": ("deep", m_half_line),
    "lower-line": ("deep", m_lower_line),
    "no-upper-line": ("deep", m_no_upper_line),
    "two-bounds": ("deep", m_two_bounds),
    "bounded-unused": ("leaves", m_bounded_unused),
    "maxout-entry": ("maxout", m_maxout_entry),
    "maxout-no-top": ("maxout", m_maxout_no_top),
    "objective-length": ("deep", m_objective_length),
    "sense": ("deep", m_sense),
    "status": ("deep", m_status),
    "ray-length": ("unbounded", m_ray_length),
    "unbounded-point": ("unbounded", m_unbounded_point),
    "region-short": ("unbounded", m_region_short),
    "region-branch": ("unbounded", m_region_branch),
    "refutation-not-pair": ("holds", m_refutation_not_pair),
    "refutation-row": ("holds", m_refutation_row),
    "refutation-zero": ("holds", m_refutation_zero),
    "unsafe-empty": ("holds", m_unsafe_empty),
    "unsafe-conj-empty": ("holds", m_unsafe_conj_empty),
    "unsafe-c": ("holds", m_unsafe_c),
    "counterexample-row": ("violated", m_counterexample_row),
}


def test_base_certificates_are_valid(certs):
    for name, (cert, net) in certs.items():
        check_certificate(cert, net)
    assert certs["holds-bounded"][0]["bounded"] and certs["deep"][0]["pruned"]


@pytest.mark.parametrize("kind", list(MUTATIONS))
def test_mutation(certs, kind):
    base, mutate = MUTATIONS[kind]
    cert, net = certs[base]
    cert = copy.deepcopy(cert)
    pattern = mutate(cert)
    with pytest.raises(CheckFailure) as info:
        check_certificate(cert, net)
    assert re.search(pattern, str(info.value)), str(info.value)


def test_standalone_main(certs, tmp_path, capsys):
    """python -m polyregions.checker: a max certificate about its box, a verify certificate
    about its property's inputs (no domain option needed)."""
    from polyregions.checker import command as checker

    for name, argv in (("deep", ["--box", "-1", "1"]), ("holds", [])):
        cert, net = certs[name]
        cert_path, model_path = tmp_path / f"{name}.json", tmp_path / f"{name}.model.json"
        cert_path.write_text(json.dumps(cert))
        model_path.write_text(json.dumps(net))
        assert checker.main([str(cert_path), str(model_path), *argv]) == 0
        out = capsys.readouterr().out
        assert out.startswith("VALID maximum=" if name == "deep" else "VALID property=holds"), out
    cert_path = tmp_path / "deep.json"
    assert checker.main([str(cert_path), str(tmp_path / "deep.model.json")]) == 1
    assert capsys.readouterr().out.startswith("INVALID: domain: the certificate proves it on box [-1, 1]^2")
