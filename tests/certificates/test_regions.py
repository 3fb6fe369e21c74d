"""Certificates (:mod:`polyregions.certificates.regions`) and the standalone checker (:mod:`polyregions.checker`).

- Certify-then-check succeeds on seeded random and degenerate networks (with and
  without merges) and the certified counts equal the engine's exact counts.
- relucent's published networks: parity_6013 by default, parity_4630 and
  parity_5065 (up to 12,350 regions) in the slow run.
- Every kind of tampering, built with ``copy.deepcopy`` from a real certificate so
  that it really breaks the proof, gives :class:`CheckFailure` with a message
  naming the failing item, in-process and through ``polyregions check``
  (``INVALID: ...``, exit 1).
- The checker imports nothing from polyregions, cdd, sympy, numpy or networkx, and
  runs on its own as ``python -m polyregions.checker``.
- The fraction-free solver behind the multipliers agrees with Fraction arithmetic on
  random square, rectangular, singular and inconsistent systems, and the collector
  is switched back on after certifying and checking.
- ``polyregions certify`` writes atomically; ``polyregions check`` exits 0 on a good
  pair, 1 on an invalid certificate and 2 on bad input.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Callable, NamedTuple

import pytest

from tests.support.clirun import assert_one_error_line, run
from polyregions import cli
from polyregions.certificates.regions import _Solver, _SquareSolver, certify, write_certificate
from polyregions.checker.check import FORMAT, CheckFailure, check_certificate, model_digest
from polyregions.queries.count import count_regions
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.core.layers import Maxout
from polyregions.core.network import Network, load_network
from polyregions.rationals import format_rational

from tests.support.netgen import random_cases

REPO_ROOT = Path(__file__).resolve().parents[2]

# Seeds of the random batches (netgen's own tests use 2026 and 7).
CHECK_SEEDS = (101, 202, 303, 404)
CASES_PER_SEED = 60
TAMPER_SEEDS = (505, 606)
TAMPER_CASES_PER_SEED = 40


# --------------------------------------------------------------------------- helpers

def domain_of(net: Network, A, b) -> Domain:
    return Domain.from_inequalities(A, b, dim=net.input_dim) if A else Domain.whole(net.input_dim)


def model_of(net: Network) -> dict:
    """The model as a checker receives it: plain JSON, numbers as ints or "p/q" strings."""
    return json.loads(json.dumps(net.to_json()))


def roundtrip(cert: dict) -> dict:
    return json.loads(json.dumps(cert))


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


def tokens(states) -> str:
    return " ".join(states)


def fails(cert: dict, model: dict, pattern: str) -> None:
    with pytest.raises(CheckFailure, match=pattern):
        check_certificate(cert, model)


def mlp_json(n0: int, layers: list) -> dict:
    return {"format": "polyregions-network/1", "input_dim": n0, "layers": layers}


def affine(weight, bias) -> dict:
    return {"type": "affine", "weight": weight, "bias": bias}


RELU = {"type": "relu"}

# f(x) = x1 + relu(x2) on R^2, with units x1, -x1, x2: four activation regions (the
# quadrants), two linear regions (x2 > 0: x1 + x2, x2 < 0: x1), one merge across
# x1 = 0 on each side of x2 = 0.
QUADRANTS = mlp_json(2, [affine([[1, 0], [-1, 0], [0, 1]], [0, 0, 0]), RELU, affine([[1, -1, 1]], [0])])

# relu(x): 1 input, two regions.
ONE_RELU = mlp_json(1, [affine([[1]], [0]), RELU, affine([[1]], [0])])


# --------------------------------------------------------------------------- 1. random networks

@pytest.mark.parametrize("linear", [False, True], ids=["activation", "linear"])
@pytest.mark.parametrize("seed", CHECK_SEEDS)
def test_certify_then_check_random(seed, linear):
    pruned = merges = multi = 0
    for name, net, A, b in random_cases(seed, CASES_PER_SEED):
        domain = domain_of(net, A, b)
        cert = certify(net, domain, linear=linear)
        got = check_certificate(roundtrip(cert), model_of(net))
        exact_counts = count_regions(net, domain, linear=linear)
        assert got["activation_regions"] == exact_counts.activation_regions, name
        assert cert["counts"]["activation_regions"] == exact_counts.activation_regions, name
        if linear:
            assert got["linear_regions_at_most"] == exact_counts.linear_regions, name
            assert cert["counts"]["linear_regions"] == exact_counts.linear_regions, name
            merges += len(cert["merges"])
        else:
            assert "merges" not in cert and "linear_regions_at_most" not in got, name
        pruned += len(cert["pruned"])
        multi += sum(len(p["multipliers"]) >= 2 for p in cert["pruned"])
    # the batch really exercises pruned branches, Farkas sums and merges
    assert pruned > 50 and multi > 20
    assert merges > 20 or not linear


def _fraction_rank(rows: list[list[Fraction]]) -> int:
    rows = [list(r) for r in rows]
    rank = 0
    for col in range(len(rows[0]) if rows else 0):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][col]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][col]:
                f = rows[r][col] / rows[rank][col]
                rows[r] = [v - f * w for v, w in zip(rows[r], rows[rank])]
        rank += 1
    return rank


@pytest.mark.parametrize("seed", range(300))
def test_solver_agrees_with_fractions(seed):
    """sum_i y_i columns[i] = target: a solution exactly when Fraction elimination finds one."""
    import random
    rng = random.Random(seed)
    n, m = rng.randint(1, 5), rng.randint(1, 6)
    big = rng.choice([3, 10**3, 2**200])
    columns = [[rng.randint(-big, big) if rng.random() < 0.8 else 0 for _ in range(n)] for _ in range(m)]
    if m > 1 and rng.random() < 0.4:  # a dependent column
        columns[-1] = [2 * a - 3 * b for a, b in zip(columns[0], columns[1 % m])]
    if rng.random() < 0.5:  # a target in the span
        coeffs = [rng.randint(-5, 5) for _ in range(m)]
        target = [sum(c * col[r] for c, col in zip(coeffs, columns)) for r in range(n)]
    else:
        target = [rng.randint(-big, big) for _ in range(n)]
    solved = _Solver(columns, n).solve(target, m)
    matrix = [[Fraction(col[r]) for col in columns] for r in range(n)]
    consistent = _fraction_rank(matrix) == _fraction_rank([row + [Fraction(t)] for row, t in zip(matrix, target)])
    assert (solved is not None) == consistent
    if solved is not None:
        y, d = solved
        assert d > 0
        assert [sum(yi * col[r] for yi, col in zip(y, columns)) for r in range(n)] == [d * t for t in target]


@pytest.mark.parametrize("seed", range(300))
def test_square_solver_agrees_with_fractions(seed):
    """The LU solver for square systems: the unique solution, or ZeroDivisionError when singular."""
    import random
    rng = random.Random(seed)
    n = rng.randint(1, 6)
    big = rng.choice([3, 10**3, 2**200])
    columns = [[rng.randint(-big, big) if rng.random() < 0.7 else 0 for _ in range(n)] for _ in range(n)]
    if n > 1 and rng.random() < 0.25:  # singular
        columns[-1] = [a - 2 * b for a, b in zip(columns[0], columns[1 % n])]
    target = [rng.randint(-big, big) for _ in range(n)]
    matrix = [[Fraction(col[r]) for col in columns] for r in range(n)]
    if _fraction_rank(matrix) < n:
        with pytest.raises(ZeroDivisionError):
            _SquareSolver(columns, n)
        return
    y, d = _SquareSolver(columns, n).solve(target, n)
    assert d > 0
    assert [sum(yi * col[r] for yi, col in zip(y, columns)) for r in range(n)] == [d * t for t in target]
    other, e = _Solver(columns, n).solve(target, n)
    assert [Fraction(v, d) for v in y] == [Fraction(v, e) for v in other]


def test_collector_is_restored():
    import gc
    net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    assert gc.isenabled()
    check_certificate(certify(net), net.to_json())
    assert gc.isenabled()
    gc.disable()
    try:
        check_certificate(certify(net), net.to_json())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_certificate_format_fields():
    net = Network.from_json(QUADRANTS)
    cert = certify(net, Domain.box(2, -1, 1), linear=True)
    assert cert["format"] == FORMAT == "polyregions-certificate/1"
    assert cert["model_sha256"] == model_digest(model_of(net))
    assert cert["domain"] == {"A": [["-1", "0"], ["1", "0"], ["0", "-1"], ["0", "1"]],
                              "b": ["1", "1", "1", "1"]}
    assert cert["counts"] == {"activation_regions": 4, "linear_regions": 2}
    assert sorted(tuple(r["states"]) for r in cert["regions"]) == [
        ("+", "-", "+"), ("+", "-", "-"), ("-", "+", "+"), ("-", "+", "-")]
    # the units x1 and -x1 share a hyperplane: the branches x1 > 0, -x1 > 0 are dropped
    assert sorted(tuple(p["prefix"]) + (p["state"],) for p in cert["pruned"]) == [("+", "+"), ("-", "-")]
    for item in cert["pruned"]:
        for ref, y in item["multipliers"]:
            assert isinstance(y, int) and y > 0
            assert ref[0] == "domain" or ref[0] <= len(item["prefix"])
    # x1 > 0 and -x1 > 0 contradict: the two rows -x1 < 0 and x1 < 0 add up to 0 < 0
    assert all(p["multipliers"] == [[[1, 0], 1], [[0, 0], 1]] for p in cert["pruned"])
    # one merge across x1 = 0 on each side of x2 = 0, at a point of the shared face
    assert sorted((m["point"][0], m["first"][2], m["second"][2]) for m in cert["merges"]) == [
        ("0", "+", "+"), ("0", "-", "-")]
    assert check_certificate(cert, QUADRANTS) == {"activation_regions": 4, "linear_regions_at_most": 2}


def test_tampered_counts_field_is_caught():
    """The certificate's own counts must be what the tree and the merges prove."""
    net = Network.from_json(QUADRANTS)
    cert = certify(net, linear=True)
    lying = copy.deepcopy(cert)
    lying["counts"]["activation_regions"] = 3
    with pytest.raises(CheckFailure, match="claims 3 activation regions, the tree proves 4"):
        check_certificate(lying, QUADRANTS)
    lying = copy.deepcopy(cert)
    lying["counts"]["linear_regions"] = 1
    with pytest.raises(CheckFailure, match="claims 1 linear regions, the merges prove at most 2"):
        check_certificate(lying, QUADRANTS)
    without = copy.deepcopy(cert)
    del without["counts"]
    assert check_certificate(without, QUADRANTS) == {"activation_regions": 4, "linear_regions_at_most": 2}


def test_dropping_a_merge_is_caught():
    """Without one merge the merges prove only a larger bound than the certificate claims."""
    net = Network.from_json(QUADRANTS)
    cert = certify(net, linear=True)
    weaker = copy.deepcopy(cert)
    del weaker["merges"][0]
    with pytest.raises(CheckFailure, match="claims 2 linear regions, the merges prove at most 3"):
        check_certificate(weaker, QUADRANTS)
    del weaker["counts"]["linear_regions"]
    assert check_certificate(weaker, QUADRANTS) == {"activation_regions": 4, "linear_regions_at_most": 3}


# --------------------------------------------------------------------------- 2. relucent

def _relucent_certificate(relucent_dir, fixture, linear):
    path = relucent_dir / f"{fixture}.json"
    manifest = json.loads((relucent_dir / "manifest.json").read_text())
    published = next(w for w in manifest["witnesses"] if w["id"] == fixture)["expected"]["n_regions"]
    net = load_network(path)
    cert = certify(net, linear=linear)
    # the model as the CLI reads it: the file's float64 decimals parsed as exact fractions,
    # which is the model the network's own exact JSON describes
    file_model = json.loads(path.read_text(), parse_float=Fraction)
    assert model_digest(file_model) == model_digest(model_of(net)) == cert["model_sha256"]
    got = check_certificate(roundtrip(cert), file_model)
    assert got["activation_regions"] == published
    return net, cert, got


def test_relucent_parity_6013(relucent_dir):
    net, cert, got = _relucent_certificate(relucent_dir, "parity_6013", linear=False)
    assert got == {"activation_regions": 1237}
    assert len(cert["pruned"]) > 1000
    assert check_certificate(cert, model_of(net)) == got
    net, cert, got = _relucent_certificate(relucent_dir, "parity_6013", linear=True)
    assert got == {"activation_regions": 1237, "linear_regions_at_most": count_regions(net).linear_regions}


@pytest.mark.slow
@pytest.mark.parametrize("fixture, regions", [("parity_4630", 6188), ("parity_5065", 12350)])
def test_relucent_large(relucent_dir, fixture, regions):
    net, _, got = _relucent_certificate(relucent_dir, fixture, linear=True)
    counts = count_regions(net)
    assert got == {"activation_regions": regions, "linear_regions_at_most": counts.linear_regions}
    assert counts.activation_regions == regions


# --------------------------------------------------------------------------- 3. tampering

class Case(NamedTuple):
    name: str
    net: Network
    model: dict
    cert: dict
    maps: dict  # region states (tuple) -> the engine's key of its output map


def _case(name, net, domain) -> Case:
    cert = roundtrip(certify(net, domain, linear=True))
    by_point = {tuple(format_rational(v) for v in r.cell.interior_point(simplest=False)): r.map_key()
                for r in enumerate_regions(net, domain)}
    maps = {tuple(r["states"]): by_point[tuple(r["point"])] for r in cert["regions"]}
    return Case(name, net, model_of(net), cert, maps)


@pytest.fixture(scope="module")
def pool() -> list[Case]:
    """Real certificates (with merges) of random networks with at least two regions."""
    out = []
    for seed in TAMPER_SEEDS:
        for name, net, A, b in random_cases(seed, TAMPER_CASES_PER_SEED):
            case = _case(f"{seed}/{name}", net, domain_of(net, A, b))
            if len(case.cert["regions"]) >= 2:
                out.append(case)
    return out


Tampered = tuple[dict, dict, str]  # (certificate, model, pattern of the message)


def _has_domain(case: Case) -> bool:
    return bool(case.cert["domain"]["A"])


def _key(item: dict) -> list[str]:
    return list(item["prefix"]) + [item["state"]]


def _multi(case: Case) -> int | None:
    """Index of a pruned entry whose proof uses at least two multipliers."""
    return next((i for i, p in enumerate(case.cert["pruned"]) if len(p["multipliers"]) >= 2), None)


def _where(case: Case, i: int) -> str:
    return f"pruned[{i}] (branch {tokens(_key(case.cert['pruned'][i]))})"


def t_point_far(case: Case) -> Tampered | None:
    """One coordinate of an interior point moved far outside the (bounded) domain."""
    if not _has_domain(case):
        return None
    cert = copy.deepcopy(case.cert)
    i = len(cert["regions"]) // 2
    cert["regions"][i]["point"][0] = "1000000000000"
    return cert, case.model, (rf"^regions\[{i}\]: point violates inequality "
                              r"\[(\d+, \d+|'domain', \d+)\]: -?\d+(/\d+)? is not < -?\d+$")


def t_drop_region(case: Case) -> Tampered:
    cert = copy.deepcopy(case.cert)
    i = len(cert["regions"]) // 2
    states = cert["regions"].pop(i)["states"]
    others = [r["states"] for r in cert["regions"]]
    # the first branch on the dropped region's path that no other region keeps
    d = next(d for d in range(len(states)) if not any(o[:d + 1] == states[:d + 1] for o in others))
    return cert, case.model, exact(f"branch {tokens(states[:d + 1])} is neither kept nor pruned")


def t_duplicate_region(case: Case) -> Tampered:
    cert = copy.deepcopy(case.cert)
    i = len(cert["regions"]) // 2
    cert["regions"].insert(i + 1, copy.deepcopy(cert["regions"][i]))
    return cert, case.model, exact(f"regions[{i + 1}]: pattern {tokens(cert['regions'][i]['states'])} listed twice")


def t_drop_pruned(case: Case) -> Tampered | None:
    if not case.cert["pruned"]:
        return None
    cert = copy.deepcopy(case.cert)
    item = cert["pruned"].pop(len(cert["pruned"]) // 2)
    return cert, case.model, exact(f"branch {tokens(_key(item))} is neither kept nor pruned")


def t_multiplier_plus_one(case: Case) -> Tampered | None:
    """y_1 + 1: the sum gains that row, whose linear part is nonzero (no maxout, so no
    constant rows: every relu/abs/leaky/hardtanh row and every box row is a real hyperplane)."""
    i = _multi(case)
    if i is None or any(isinstance(layer, Maxout) for layer in case.net.layers):
        return None
    cert = copy.deepcopy(case.cert)
    cert["pruned"][i]["multipliers"][1][1] += 1
    return cert, case.model, "^" + re.escape(_where(case, i)) + r": the combination has nonzero linear part \[.*\]$"


def t_multiplier_negative(case: Case) -> Tampered | None:
    i = _multi(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    pair = cert["pruned"][i]["multipliers"][0]
    pair[1] = -pair[1]
    return cert, case.model, exact(f"{_where(case, i)}: multiplier 0 is not a nonnegative integer ({pair[1]})")


def t_multiplier_fraction(case: Case) -> Tampered | None:
    i = _multi(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    cert["pruned"][i]["multipliers"][1][1] = "1/2"
    return cert, case.model, exact(f"{_where(case, i)}: multiplier 1 is not a nonnegative integer ('1/2')")


def t_multipliers_zero(case: Case) -> Tampered | None:
    i = _multi(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    for pair in cert["pruned"][i]["multipliers"]:
        pair[1] = 0
    return cert, case.model, exact(f"{_where(case, i)}: all multipliers are zero")


def t_multiplier_no_row(case: Case) -> Tampered | None:
    """A reference one unit deeper than the branch: no such inequality on it."""
    i = _multi(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    ref = [len(cert["pruned"][i]["prefix"]) + 1, 0]
    cert["pruned"][i]["multipliers"][1][0] = ref
    return cert, case.model, exact(f"{_where(case, i)}: no inequality {ref} on this branch")


def t_multiplier_no_unit_row(case: Case) -> Tampered | None:
    """The branch's own unit, but a row number it does not have."""
    i = _multi(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    ref = [len(cert["pruned"][i]["prefix"]), 99]
    cert["pruned"][i]["multipliers"][0][0] = ref
    return cert, case.model, exact(f"{_where(case, i)}: no inequality {ref} on this branch")


def t_multiplier_no_domain_row(case: Case) -> Tampered | None:
    i = _multi(case)
    if i is None:
        return None
    cert = copy.deepcopy(case.cert)
    rows = len(cert["domain"]["A"])
    cert["pruned"][i]["multipliers"][0][0] = ["domain", rows]
    return cert, case.model, exact(f"{_where(case, i)}: no domain row {rows}")


def t_other_model(case: Case) -> Tampered:
    """The certificate checked against another network (same input dimension)."""
    other = Network.mlp([[[1] * case.net.input_dim], [[1]]], [[0], [0]])
    return copy.deepcopy(case.cert), model_of(other), exact("model_sha256: the certificate is for another model")


def t_model_one_weight(case: Case) -> Tampered:
    """One weight of the model changed by 1."""
    model = copy.deepcopy(case.model)
    layer = next(layer for layer in model["layers"] if layer["type"] == "affine")
    layer["weight"][0][0] = str(Fraction(layer["weight"][0][0]) + 1)
    return copy.deepcopy(case.cert), model, exact("model_sha256: the certificate is for another model")


def t_invalid_state(case: Case) -> Tampered:
    cert = copy.deepcopy(case.cert)
    i = len(cert["regions"]) // 2
    states = cert["regions"][i]["states"]
    states[-1] = "?"
    return cert, case.model, exact(f"branch {tokens(states)} is not a branch of the tree")


def t_kept_and_pruned(case: Case) -> Tampered:
    """A region's own leaf listed among the pruned branches too."""
    cert = copy.deepcopy(case.cert)
    states = cert["regions"][len(cert["regions"]) // 2]["states"]
    multipliers = copy.deepcopy(cert["pruned"][0]["multipliers"]) if cert["pruned"] else [[["domain", 0], 1]]
    cert["pruned"].append({"prefix": states[:-1], "state": states[-1], "multipliers": multipliers})
    return cert, case.model, exact(f"branch {tokens(states)} is both kept and pruned")


def t_format(case: Case) -> Tampered:
    cert = copy.deepcopy(case.cert)
    cert["format"] = "polyregions-certificate/2"
    return cert, case.model, exact("format: expected 'polyregions-certificate/1', got 'polyregions-certificate/2'")


def _merge(case: Case) -> tuple[dict, int] | None:
    if not case.cert.get("merges"):
        return None
    cert = copy.deepcopy(case.cert)
    return cert, len(cert["merges"]) // 2


def _point_of(cert: dict, states) -> list[str]:
    return next(r["point"] for r in cert["regions"] if r["states"] == states)


def t_merge_point_interior(case: Case) -> Tampered | None:
    """The merge point moved into the first region: off the shared face."""
    if (found := _merge(case)) is None:
        return None
    cert, i = found
    merge = cert["merges"][i]
    merge["point"] = list(_point_of(cert, merge["first"]))
    return cert, case.model, exact(f"merges[{i}]: point is interior to {tokens(merge['first'])}")


def t_merge_point_other_side(case: Case) -> Tampered | None:
    """The merge point moved into the second region: outside the first one's closure."""
    if (found := _merge(case)) is None:
        return None
    cert, i = found
    merge = cert["merges"][i]
    merge["point"] = list(_point_of(cert, merge["second"]))
    return cert, case.model, exact(f"merges[{i}]: point outside the closure of {tokens(merge['first'])}")


def t_merge_point_far(case: Case) -> Tampered | None:
    """One coordinate of the merge point moved far outside the (bounded) domain."""
    if not _has_domain(case) or (found := _merge(case)) is None:
        return None
    cert, i = found
    merge = cert["merges"][i]
    merge["point"][0] = "-1000000000000"
    return cert, case.model, exact(f"merges[{i}]: point outside the closure of {tokens(merge['first'])}")


def t_merge_different_maps(case: Case) -> Tampered | None:
    """The second region replaced by one whose output map differs."""
    if (found := _merge(case)) is None:
        return None
    cert, i = found
    merge = cert["merges"][i]
    first_map = case.maps[tuple(merge["first"])]
    other = next((r["states"] for r in cert["regions"] if case.maps[tuple(r["states"])] != first_map), None)
    if other is None:
        return None
    merge["second"] = list(other)
    return cert, case.model, exact(f"merges[{i}]: the two output maps differ")


def t_merge_unknown_region(case: Case) -> Tampered | None:
    if (found := _merge(case)) is None:
        return None
    cert, i = found
    cert["merges"][i]["second"] = ["?"]
    return cert, case.model, exact(f"merges[{i}]: unknown region")


def t_merge_point_long(case: Case) -> Tampered | None:
    """A merge point with one coordinate too many (regression: zip() used to drop it)."""
    if (found := _merge(case)) is None:
        return None
    cert, i = found
    cert["merges"][i]["point"].append("2")
    n = case.net.input_dim
    return cert, case.model, exact(f"merges[{i}]: point has {n + 1} coordinates, expected {n}")


def t_domain_row_long(case: Case) -> Tampered | None:
    """A domain row with one coefficient too many (regression: zip() used to misread it)."""
    if not _has_domain(case):
        return None
    cert = copy.deepcopy(case.cert)
    cert["domain"]["A"][0].append("1")
    n = case.net.input_dim
    return cert, case.model, exact(f"domain A[0]: {n + 1} coefficients, expected {n}")


def t_domain_b_short(case: Case) -> Tampered | None:
    if not _has_domain(case):
        return None
    cert = copy.deepcopy(case.cert)
    rows = len(cert["domain"]["b"])
    cert["domain"]["b"].pop()
    return cert, case.model, exact(f"domain: A has {rows} rows but b has {rows - 1} entries")


TAMPERS: dict[str, Callable[[Case], Tampered | None]] = {
    "point-far": t_point_far,
    "drop-region": t_drop_region,
    "duplicate-region": t_duplicate_region,
    "drop-pruned": t_drop_pruned,
    "multiplier-plus-one": t_multiplier_plus_one,
    "multiplier-negative": t_multiplier_negative,
    "multiplier-fraction": t_multiplier_fraction,
    "multipliers-zero": t_multipliers_zero,
    "multiplier-no-row": t_multiplier_no_row,
    "multiplier-no-unit-row": t_multiplier_no_unit_row,
    "multiplier-no-domain-row": t_multiplier_no_domain_row,
    "other-model": t_other_model,
    "model-one-weight": t_model_one_weight,
    "invalid-state": t_invalid_state,
    "kept-and-pruned": t_kept_and_pruned,
    "format": t_format,
    "merge-point-interior": t_merge_point_interior,
    "merge-point-other-side": t_merge_point_other_side,
    "merge-point-far": t_merge_point_far,
    "merge-different-maps": t_merge_different_maps,
    "merge-unknown-region": t_merge_unknown_region,
    "merge-point-long": t_merge_point_long,
    "domain-row-long": t_domain_row_long,
    "domain-b-short": t_domain_b_short,
}


def test_pool_certificates_are_valid(pool):
    assert len(pool) >= 60
    for case in pool:
        check_certificate(case.cert, case.model)


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_tampering_is_caught(pool, kind):
    applied = 0
    for case in pool:
        tampered = TAMPERS[kind](case)
        if tampered is None:
            continue
        cert, model, pattern = tampered
        try:
            fails(cert, model, pattern)
        except BaseException as exc:  # pytest's Failed is not an Exception
            exc.add_note(f"tampered certificate of case {case.name}")
            raise
        applied += 1
    assert applied >= 8, f"{kind}: only {applied} certificates to tamper"


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_tampering_via_cli(pool, kind, capsys, tmp_path):
    case = next(c for c in pool if TAMPERS[kind](c) is not None)
    cert, model, pattern = TAMPERS[kind](case)
    cert_path, model_path = tmp_path / "cert.json", tmp_path / "model.json"
    cert_path.write_text(json.dumps(cert))
    model_path.write_text(json.dumps(model))
    domain = []   # the domain the untampered certificate is about
    if case.cert["domain"]["A"]:
        (tmp_path / "domain.json").write_text(json.dumps(case.cert["domain"]))
        domain = ["--domain", tmp_path / "domain.json"]
    code, out, err = run(capsys, "check", cert_path, model_path, *domain)
    assert (code, err) == (1, ""), (out, err)
    assert out.startswith("INVALID: ") and out.count("\n") == 1, out
    assert re.search(pattern, out[len("INVALID: "):].rstrip("\n")), out


def test_point_on_the_boundary_is_not_interior():
    """Strictness: a region point moved onto its own hyperplane."""
    cert = certify(Network.from_json(ONE_RELU))
    i = next(i for i, r in enumerate(cert["regions"]) if r["states"] == ["+"])
    check_certificate(cert, ONE_RELU)
    tampered = copy.deepcopy(cert)
    tampered["regions"][i]["point"] = ["0"]
    fails(tampered, ONE_RELU, exact(f"regions[{i}]: point violates inequality [0, 0]: 0 is not < 0"))


def test_point_moved_far_on_the_whole_space():
    """On R^n: x1 moved far to the wrong side of the region (+, -, +) of QUADRANTS."""
    cert = certify(Network.from_json(QUADRANTS))
    i = next(i for i, r in enumerate(cert["regions"]) if r["states"] == ["+", "-", "+"])
    tampered = copy.deepcopy(cert)
    tampered["regions"][i]["point"][0] = "-1000000000000"
    # the row of the unit x1 in state +, as a strict a . x < b: -x1 < 0
    fails(tampered, QUADRANTS, exact(f"regions[{i}]: point violates inequality [0, 0]: "
                                     "1000000000000 is not < 0"))


def test_merge_point_on_two_hyperplanes():
    """The merge point moved to the origin, where x1 = 0 and x2 = 0 meet: not on one face."""
    cert = certify(Network.from_json(QUADRANTS), linear=True)
    check_certificate(cert, QUADRANTS)
    for i in range(len(cert["merges"])):
        tampered = copy.deepcopy(cert)
        tampered["merges"][i]["point"] = ["0", "0"]
        fails(tampered, QUADRANTS, exact(f"merges[{i}]: the point lies on more than one hyperplane"))


def test_merge_across_different_maps():
    """x1 + relu(x2): the regions above and below x2 = 0 have different maps."""
    cert = certify(Network.from_json(QUADRANTS), linear=True)
    for i, merge in enumerate(cert["merges"]):
        tampered = copy.deepcopy(cert)
        flipped = merge["second"][:2] + ["-" if merge["second"][2] == "+" else "+"]
        tampered["merges"][i]["second"] = flipped
        tampered["merges"][i]["point"] = ["1", "0"]
        fails(tampered, QUADRANTS, exact(f"merges[{i}]: the two output maps differ"))


def test_forged_domain_row_reproducer():
    """Regression: a domain row [1, -5] for n0 = 1 was read as x < 10 at the leaves and as
    x < -5 in the Farkas sum, so this forgery 'proved' 1 region of relu(x) on x <= 10 (there are 2)."""
    good = certify(Network.from_json(ONE_RELU), Domain.from_inequalities([[1]], [10]))
    assert check_certificate(good, ONE_RELU) == {"activation_regions": 2}
    forged = copy.deepcopy(good)
    forged["domain"] = {"A": [["1", "-5"]], "b": ["10"]}
    forged["regions"] = [r for r in good["regions"] if r["states"] == ["-"]]
    forged["pruned"] = [{"prefix": [], "state": "+", "multipliers": [[[0, 0], 1], [["domain", 0], 1]]}]
    fails(forged, ONE_RELU, exact("domain A[0]: 2 coefficients, expected 1"))


def test_forged_merge_point_reproducer():
    """Regression: a 3-coordinate merge point for a 2-input model joined two regions that share
    no face, certifying 'at most 10' linear regions where there are 11."""
    model = mlp_json(2, [
        affine([[-3, 3], [-2, -2], [-3, 1]], [0, -2, 0]), {"type": "abs"},
        affine([[-2, -2, -1], [-1, 0, 0], [0, 2, -1], [0, 0, 0]], [-1, -1, -2, -1]), {"type": "abs"},
        affine([[-2, 0, 2, 0]], [2])])
    net = Network.from_json(model)
    cert = certify(net, linear=True)
    assert check_certificate(cert, model) == {"activation_regions": 13, "linear_regions_at_most": 11}
    assert count_regions(net).linear_regions == 11
    forged = copy.deepcopy(cert)
    forged["merges"].append({"first": ["+", "+", "+", "-", "-", "+", "-"],
                             "second": ["+", "-", "+", "-", "-", "+", "-"], "point": ["0", "1", "2"]})
    fails(forged, model, exact(f"merges[{len(cert['merges'])}]: point has 3 coordinates, expected 2"))


def test_malformed_certificates_fail_cleanly():
    cert = certify(Network.from_json(QUADRANTS), linear=True)
    for mutate in (lambda c: c.pop("regions"), lambda c: c.pop("domain"),
                   lambda c: c["regions"][0].pop("point"), lambda c: c["pruned"][0].pop("multipliers"),
                   lambda c: c["merges"][0].pop("first"), lambda c: c.__setitem__("pruned", 5)):
        tampered = copy.deepcopy(cert)
        mutate(tampered)
        fails(tampered, QUADRANTS, r"^malformed certificate or model: \w+Error: ")
    tampered = copy.deepcopy(cert)
    tampered["regions"][0]["point"][0] = 0.5  # a float is not an exact number
    fails(tampered, QUADRANTS, exact("regions[0].point: not an exact number: 0.5"))
    tampered = copy.deepcopy(cert)
    tampered["regions"][0]["point"].append("0")
    fails(tampered, QUADRANTS, exact("regions[0]: point has 3 coordinates, expected 2"))


def test_loose_types_are_refused():
    cert = certify(Network.from_json(QUADRANTS), linear=True)
    cases = [
        (lambda c: c["regions"][0].__setitem__("states", "".join(c["regions"][0]["states"])),
         r"^regions\[0\]\.states: expected a list of str, got "),
        (lambda c: c["regions"][0].__setitem__("point", "12"), r"^regions\[0\]\.point: expected a list, got "),
        (lambda c: c["pruned"][0].__setitem__("prefix", "+"), r"^pruned\[0\]\.prefix: expected a list of str"),
        (lambda c: c["pruned"][0].__setitem__("state", ["+"]), r"^pruned\[0\]\.state: expected a string"),
        (lambda c: c["pruned"][0].__setitem__("multipliers", [(["domain", 0], 1)]),
         r"^pruned\[0\]\.multipliers: expected a list of list"),
        (lambda c: c["pruned"][0].__setitem__("multipliers", []), r"^pruned\[0\] \(branch .*\): no multipliers$"),
        (lambda c: c["counts"].__setitem__("activation_regions", float(c["counts"]["activation_regions"])),
         r"^counts\.activation_regions: expected an integer, got 4\.0$"),
        (lambda c: c["counts"].__setitem__("linear_regions", True),
         r"^counts\.linear_regions: expected an integer, got True$"),
    ]
    for mutate, pattern in cases:
        tampered = copy.deepcopy(cert)
        mutate(tampered)
        fails(tampered, QUADRANTS, pattern)


@pytest.mark.parametrize("rank", [0, -3, True, "2", 2.0])
def test_bad_maxout_rank_in_the_model(rank):
    model = {"format": "polyregions-network/1", "input_dim": 1,
             "layers": [{"type": "affine", "weight": [["1"], ["-1"]], "bias": ["0", "0"]},
                        {"type": "maxout", "rank": rank}]}
    cert = {"format": FORMAT, "model_sha256": "0" * 64, "domain": {"A": [], "b": []},
            "regions": [], "pruned": []}
    with pytest.raises(CheckFailure, match=r"^model: layers\[1\] \(maxout\): rank must be a positive integer, got "):
        check_certificate(cert, model)


def test_more_units_than_the_recursion_limit():
    """The walk recurses once per unit: 1,500 dead units in two layers still check."""
    import sys
    width = 750
    net = Network.mlp([[[0, 0]] * width, [[0] * width] * width, [[1] * width]],
                      [[-1] * width, [1] * width, [0]])
    assert 2 * width > sys.getrecursionlimit()
    limit = sys.getrecursionlimit()
    assert check_certificate(roundtrip(certify(net)), model_of(net)) == {"activation_regions": 1}
    assert sys.getrecursionlimit() == limit


@pytest.mark.skipif(not hasattr(__import__("sys"), "get_int_max_str_digits"),
                    reason="this Python has no limit on integer text")
def test_multipliers_longer_than_python_int_text_limit(tmp_path):
    """Weights of 1,500 digits give multipliers past Python's 4,300-digit text limit."""
    import sys
    big = 10 ** 1500
    net = Network.mlp([[[big, 1], [1, -big], [big + 1, big - 1]], [[1, big, 1], [big, 1, -1]], [[1, 1]]],
                      [[big - 7, Fraction(1, 3), big], [big, -5], [0]])
    cert = certify(net)
    assert max(abs(y) for item in cert["pruned"] for _, y in item["multipliers"]) > 10 ** 4300
    path = tmp_path / "big.cert.json"
    write_certificate(cert, path)
    model = tmp_path / "big.json"
    model.write_text(json.dumps(net.to_json()))
    limit = sys.get_int_max_str_digits()
    assert cli.main(["check", str(path), str(model)]) == 0
    assert sys.get_int_max_str_digits() == limit
    from polyregions.checker.command import main
    assert main([str(path), str(model)]) == 0


# --------------------------------------------------------------------------- 4. standalone checker

def test_checker_imports_nothing_from_the_package():
    code = ("import sys; sys.path.insert(0, 'polyregions'); import checker.command; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('polyregions','cdd','sympy','numpy','networkx')))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_checker_as_a_module(tmp_path):
    net = Network.from_json(QUADRANTS)
    cert_path, model_path = tmp_path / "cert.json", tmp_path / "model.json"
    write_certificate(certify(net, linear=True), cert_path)
    net.save(model_path)
    proc = subprocess.run([sys.executable, "-m", "polyregions.checker", str(cert_path), str(model_path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == ("VALID activation_regions=4 linear_regions_at_most=2\ndomain: all of R^2\n"
                           f"model:  sha256 {model_digest(QUADRANTS)} (2 -> 3 -> 1, relu)\n")
    # an invalid one exits 1 with the reason, and so does an unreadable certificate
    cert = json.loads(cert_path.read_text())
    cert["regions"].pop()
    cert_path.write_text(json.dumps(cert))
    proc = subprocess.run([sys.executable, "-m", "polyregions.checker", str(cert_path), str(model_path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert re.fullmatch(r"INVALID: branch [-+ ]+ is neither kept nor pruned\n", proc.stdout), proc.stdout
    cert_path.write_text(json.dumps(cert)[:40])
    proc = subprocess.run([sys.executable, "-m", "polyregions.checker", str(cert_path), str(model_path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stdout.startswith(f"INVALID: {cert_path}: malformed JSON: "), proc.stdout


def test_checker_modules_shadow_no_standard_module():
    """With the checker's folder on the path (copied out, or run from inside), none of its
    modules may take a standard library module's place (regression: a numbers.py beside
    the checker made ``fractions`` fail with a circular ImportError before any output)."""
    names = {path.stem for path in (REPO_ROOT / "polyregions" / "checker").glob("*.py")}
    assert names & set(sys.stdlib_module_names) == set()


def test_checker_main_in_process(tmp_path, capsys):
    from polyregions.checker.command import main

    assert main([]) == 2
    assert capsys.readouterr().err.startswith("usage: python -m polyregions.checker")
    net = Network.from_json(ONE_RELU)
    cert_path, model_path = tmp_path / "cert.json", tmp_path / "model.json"
    write_certificate(certify(net), cert_path)
    net.save(model_path)
    assert main([str(cert_path), str(model_path)]) == 0
    assert capsys.readouterr().out == ("VALID activation_regions=2\ndomain: all of R^1\n"
                                       f"model:  sha256 {model_digest(ONE_RELU)} (1 -> 1 -> 1, relu)\n")
    assert main([str(tmp_path / "none.json"), str(model_path)]) == 2  # no file: bad input, not INVALID
    assert capsys.readouterr().err == f"checker: error: {tmp_path / 'none.json'}: no such certificate file\n"


# --------------------------------------------------------------------------- 5. command line

CERTIFY_LINE = re.compile(r"^wrote a certificate of (\d+) activation regions?(?:, (\d+) linear regions?)? "
                          r"\((\d+) pruned branch(?:es)?\) to (.+) in \d+\.\d{3} s$")
VALID_LINE = re.compile(r"^VALID activation_regions=(\d+)(?: linear_regions_at_most=(\d+))? \(\d+\.\d{3} s\)$")


@pytest.fixture
def quadrants_file(tmp_path) -> Path:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(QUADRANTS))
    return path


@pytest.mark.parametrize("options, expected", [
    ([], (4, None)),
    (["--linear"], (4, 2)),
    (["--box", "-1", "1", "--linear"], (4, 2)),
    (["--box", "1/2", "1"], (1, None)),
])
def test_cli_certify_then_check(capsys, tmp_path, quadrants_file, options, expected):
    output = tmp_path / "cert.json"
    code, out, err = run(capsys, "certify", quadrants_file, *options, "-o", output)
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    match = CERTIFY_LINE.match(out.rstrip("\n"))
    assert match, out
    activation, linear = int(match[1]), match[2] and int(match[2])
    assert (activation, linear) == expected
    assert match[4] == str(output)
    cert = json.loads(output.read_text())
    assert int(match[3]) == len(cert["pruned"])
    # written atomically: the file and the model, no temporary file left beside them
    assert sorted(os.listdir(tmp_path)) == ["cert.json", "model.json"]
    domain = [o for o in options if o != "--linear"]
    code, out, err = run(capsys, "check", output, quadrants_file, *domain)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    match = VALID_LINE.match(lines[0])
    assert match and len(lines) == 3, out
    assert (int(match[1]), match[2] and int(match[2])) == expected
    assert lines[1] == "domain: " + ("box [1/2, 1]^2" if "1/2" in options else "box [-1, 1]^2"
                                     if "--box" in options else "all of R^2")
    assert lines[2] == f"model:  sha256 {model_digest(QUADRANTS)} (2 -> 3 -> 1, relu)"


def test_cli_certify_with_domain_file(capsys, tmp_path, quadrants_file):
    domain = tmp_path / "domain.json"
    domain.write_text(json.dumps({"A": [[-1, 0], [0, -1], [1, 1]], "b": [0, 0, 1]}))  # a triangle x, y > 0
    output = tmp_path / "cert.json"
    code, out, err = run(capsys, "certify", quadrants_file, "--domain", domain, "-o", output)
    assert (code, err) == (0, "")
    assert out.startswith("wrote a certificate of 1 activation region (3 pruned branches)")
    code, out, err = run(capsys, "check", output, quadrants_file, "--domain", domain)
    assert code == 0 and out.startswith("VALID activation_regions=1 (")
    assert out.splitlines()[1] == "domain: polyhedron in R^2: -x1 <= 0, -x2 <= 0, x1 + x2 <= 1"


def test_cli_certify_overwrites_atomically(capsys, tmp_path, quadrants_file, monkeypatch):
    output = tmp_path / "cert.json"
    output.write_text("old\n")

    def broken_dump(obj, handle, **kwargs):
        handle.write('{"format": "polyregions-cert')  # a partial write, then a crash
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dump", broken_dump)
    code, out, err = run(capsys, "certify", quadrants_file, "-o", output)
    assert code == 1 and "No space left on device" in err
    assert output.read_text() == "old\n"  # the old file is untouched
    assert sorted(os.listdir(tmp_path)) == ["cert.json", "model.json"]  # no temporary file
    monkeypatch.undo()
    code, out, err = run(capsys, "certify", quadrants_file, "-o", output)
    assert code == 0
    assert json.loads(output.read_text())["counts"] == {"activation_regions": 4}
    assert sorted(os.listdir(tmp_path)) == ["cert.json", "model.json"]


def test_cli_certify_bad_model_writes_nothing(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "polyregions-network/1", "input_dim": 2, "layers": [')
    code, out, err = run(capsys, "certify", bad, "-o", tmp_path / "cert.json")
    assert_one_error_line(code, out, err, r"bad\.json")
    assert sorted(os.listdir(tmp_path)) == ["bad.json"]


def test_cli_check_missing_certificate(capsys, tmp_path, quadrants_file):
    missing = tmp_path / "none.json"
    code, out, err = run(capsys, "check", missing, quadrants_file)
    assert_one_error_line(code, out, err, rf"{re.escape(str(missing))}: no such certificate file$")


@pytest.mark.parametrize("content, pattern", [
    (None, r"no such model file$"),
    ("{not json", r"model\.json"),
    (json.dumps({"format": "polyregions-network/1", "input_dim": 2, "layers": [{"type": "bogus"}]}),
     r"model\.json.*bogus"),
])
def test_cli_check_bad_model(capsys, tmp_path, content, pattern):
    net = Network.from_json(QUADRANTS)
    cert_path = tmp_path / "cert.json"
    write_certificate(certify(net), cert_path)
    model_path = tmp_path / "model.json"
    if content is not None:
        model_path.write_text(content)
    code, out, err = run(capsys, "check", cert_path, model_path)
    assert_one_error_line(code, out, err, pattern)


def test_cli_check_truncated_certificate(capsys, tmp_path, quadrants_file):
    cert_path = tmp_path / "cert.json"
    write_certificate(certify(Network.from_json(QUADRANTS), linear=True), cert_path)
    text = cert_path.read_text()
    cert_path.write_text(text[:len(text) // 2])
    code, out, err = run(capsys, "check", cert_path, quadrants_file)
    assert (code, err) == (1, "")
    assert out.startswith(f"INVALID: {cert_path}: malformed JSON: ") and out.count("\n") == 1, out


def test_cli_check_certificate_for_another_model(capsys, tmp_path, quadrants_file):
    cert_path, other = tmp_path / "cert.json", tmp_path / "other.json"
    write_certificate(certify(Network.from_json(QUADRANTS)), cert_path)
    other.write_text(json.dumps(ONE_RELU))
    code, out, err = run(capsys, "check", cert_path, other)
    assert (code, out, err) == (1, "INVALID: model_sha256: the certificate is for another model\n", "")


def test_cli_as_a_process(tmp_path, quadrants_file):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    output = tmp_path / "cert.json"

    def polyregions(*argv):
        return subprocess.run([sys.executable, "-m", "polyregions", *map(str, argv)], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120)

    proc = polyregions("certify", quadrants_file, "--linear", "-o", output)
    assert proc.returncode == 0 and CERTIFY_LINE.match(proc.stdout.rstrip("\n")), proc
    proc = polyregions("check", output, quadrants_file)
    assert proc.returncode == 0 and VALID_LINE.match(proc.stdout.splitlines()[0]), proc
    proc = polyregions("check", tmp_path / "none.json", quadrants_file)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and proc.stdout == "", proc


# --------------------------------------------------------------------------- 6. what a certificate is about

def _cert_files(tmp_path, net, domain=None, linear=False):
    cert_path, model_path = tmp_path / "cert.json", tmp_path / "model.json"
    write_certificate(certify(net, domain, linear=linear), cert_path)
    net.save(model_path)
    return cert_path, model_path


TRIANGLE_TEXT = "polyhedron in R^2: -x1 <= 0, -x2 <= 0, x1 + x2 <= 1"


@pytest.mark.parametrize("made_on, proved, asked, valid", [
    (["--box", "-1", "1"], "box [-1, 1]^2", [], False),                     # a box is not all of R^n
    (["--box", "-1", "1"], "box [-1, 1]^2", ["--box", "-3", "3"], False),   # nor a bigger box
    (["--box", "-1", "1"], "box [-1, 1]^2", ["--box", "-1,-1", "1,1"], True),   # the same box, per coordinate
    ([], "all of R^2", ["--box", "-1", "1"], False),                        # all of R^n is not a box
    ([], "all of R^2", [], True),
    (["--box", "0", "1"], "box [0, 1]^2", ["--domain", "square.json"], True),   # same rows, scaled, reordered
    (["--box", "0", "1"], "box [0, 1]^2", ["--domain", "triangle.json"], False),
    (["--domain", "triangle.json"], TRIANGLE_TEXT, ["--box", "0", "1"], False),
])
def test_check_proves_the_domain_asked_for(capsys, tmp_path, monkeypatch, quadrants_file, made_on, proved,
                                           asked, valid):
    """A valid proof about a smaller box is no proof about the domain someone asks for."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "square.json").write_text(json.dumps({"A": [[0, 2], [-3, 0], [0, -1], [1, 0]], "b": [2, 0, 0, 1]}))
    (tmp_path / "triangle.json").write_text(json.dumps({"A": [[-1, 0], [0, -1], [1, 1]], "b": [0, 0, 1]}))
    assert run(capsys, "certify", quadrants_file, *made_on, "-o", "cert.json")[0] == 0
    code, out, err = run(capsys, "check", "cert.json", quadrants_file, *asked)
    assert err == ""
    if valid:
        assert code == 0 and out.splitlines()[1] == f"domain: {proved}", out
    else:
        assert code == 1 and out.count("\n") == 1, out
        assert out.startswith(f"INVALID: domain: the certificate proves the count on {proved}, not on the "
                              "domain asked for ("), out
    # the standalone checker takes the same options and says the same
    from polyregions.checker.command import main
    assert main(["cert.json", str(quadrants_file), *map(str, asked)]) == (0 if valid else 1)
    standalone = capsys.readouterr().out
    assert standalone.splitlines()[0].split(" (")[0] == out.splitlines()[0].split(" (")[0]


def test_check_prints_the_model_digest_and_architecture(capsys, tmp_path):
    net = Network.mlp([[[1, 0], [0, 1], [1, 1], [1, -1]], [[1, 2]]], [[0, 0, 0, 1], [0]], activation="maxout", rank=2)
    cert_path, model_path = _cert_files(tmp_path, net)
    code, out, _ = run(capsys, "check", cert_path, model_path)
    assert code == 0
    digest = model_digest(json.loads(model_path.read_text()))
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert out.splitlines()[1:] == ["domain: all of R^2", f"model:  sha256 {digest} (2 -> 4 -> 1, maxout)"]


def test_describe_domain():
    from polyregions.checker.check import describe_domain, describe_model
    assert describe_domain({"A": [], "b": []}, 3) == "all of R^3"
    assert describe_domain({"A": [[0, 0], [1, 0]], "b": [5, 2]}, 2) == "polyhedron in R^2: x1 <= 2"
    assert describe_domain({"A": [[-2, 0], [1, 0], [0, -1], [0, "1/2"]], "b": [1, 1, 0, 1]}, 2) == \
        "box [-1/2, 1] x [0, 2]"
    assert describe_domain({"A": [[-1], [1], [2]], "b": [1, 1, 2]}, 1) == "box [-1, 1]^1"
    assert describe_domain({"A": [[3, -2], [-1, 0]], "b": [5, 0]}, 2) == "polyhedron in R^2: -x1 <= 0, 3 x1 - 2 x2 <= 5"
    assert describe_model({"format": "polyregions-network/1", "input_dim": 1, "layers": [{"type": "abs"}, {"type": "affine", "weight": [[1], [2]]},
                                                       {"type": "hardtanh", "min": -1, "max": 1}]}) == \
        "1 -> 2, abs, hardtanh"


def test_expected_domain_errors(tmp_path, capsys):
    from polyregions.checker.check import box_domain, domain_rows
    from polyregions.checker.command import main
    cert = certify(Network.from_json(QUADRANTS))
    with pytest.raises(CheckFailure, match=r"^expected domain: A has 1 rows but b has 0 entries$"):
        check_certificate(cert, QUADRANTS, {"A": [[1, 0]], "b": []})
    with pytest.raises(CheckFailure, match=r"^expected domain A\[0\]: 3 coefficients, expected 2$"):
        check_certificate(cert, QUADRANTS, {"A": [[1, 0, 0]], "b": [1]})
    with pytest.raises(CheckFailure, match=r"^expected domain b\[0\]: not an exact number: 1\.5$"):
        check_certificate(cert, QUADRANTS, {"A": [[1, 0]], "b": [1.5]})
    with pytest.raises(CheckFailure, match=r"^domain: the certificate proves the count on all of R\^2, not on "
                                           r"the domain asked for \(polyhedron in R\^2: x1 <= 1\)$"):
        check_certificate(cert, QUADRANTS, {"A": [[1, 0]], "b": [1]})
    assert check_certificate(cert, QUADRANTS, {"A": [[0, 0]], "b": ["1/2"]}) == {"activation_regions": 4}
    assert domain_rows({"A": [["1/2", 0], [1, 0]], "b": [1, 2]}, 2) == {(1, 0, 2)}
    with pytest.raises(CheckFailure, match=r"^--box: 3 values in '0,0,0', the model has 2 inputs$"):
        box_domain("0,0,0", "1", 2)
    with pytest.raises(CheckFailure, match=r"^--box: coordinate 1: low 1 must be below high 1$"):
        box_domain("0,1", "1", 2)
    with pytest.raises(CheckFailure, match=r"^--box low: expected a number, got 'abc'$"):
        box_domain("abc", "1", 2)
    assert box_domain("-1/2", "0.25", 1) == {"A": [[-1], [1]], "b": [Fraction(1, 2), Fraction(1, 4)]}
    # the standalone entry point: a domain file that is no object, both options, unknown options
    cert_path, model_path = _cert_files(tmp_path, Network.from_json(QUADRANTS))
    (tmp_path / "list.json").write_text("[1, 2]")
    assert main([str(cert_path), str(model_path), "--domain", str(tmp_path / "list.json")]) == 2
    assert capsys.readouterr().err == (f"checker: error: {tmp_path / 'list.json'}: expected an object with keys A "
                                       "and b (and description)\n")
    (tmp_path / "nokeys.json").write_text("{}")
    assert main([str(cert_path), str(model_path), "--domain", str(tmp_path / "nokeys.json")]) == 2
    (tmp_path / "short.json").write_text('{"A": [[1]], "b": [1]}')
    assert main([str(cert_path), str(model_path), "--domain", str(tmp_path / "short.json")]) == 2
    assert capsys.readouterr().err.endswith(f"checker: error: {tmp_path / 'short.json'} A[0]: 1 coefficients, "
                                            "expected 2\n")
    for argv in (["--box", "0", "1", "--domain", "d.json"], ["--box", "0"], ["--bogus"], ["--domain"]):
        assert main([str(cert_path), str(model_path), *argv]) == 2
        assert capsys.readouterr().err.startswith("usage: python -m polyregions.checker CERT.json MODEL.json "
                                                   "[--box LO HI | --domain FILE]")


@pytest.mark.parametrize("argv, pattern", [
    (["--box", "1", "-1"], r"box coordinate 0: low 1 must be below high -1"),
    (["--box", "0,0,0", "1"], r"--box: 3 values in '0,0,0', the network has 2 inputs"),
    (["--domain", "none.json"], r"none\.json: no such"),
    (["--box", "0", "1", "--domain", "d.json"], r"argument --domain: not allowed with argument --box"),
])
def test_cli_check_bad_expected_domain(capsys, tmp_path, monkeypatch, quadrants_file, argv, pattern):
    monkeypatch.chdir(tmp_path)
    write_certificate(certify(Network.from_json(QUADRANTS)), tmp_path / "cert.json")
    code, out, err = run(capsys, "check", "cert.json", quadrants_file, *argv)
    assert_one_error_line(code, out, err, pattern)
