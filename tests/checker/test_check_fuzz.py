"""Fuzzing the checker with mutations of real certificates (issue 14).

Real certificates (``certify(..., linear=True)`` on small random networks, on all
of R^n0 or on boxes) are mutated at random, as parsed JSON and as text, and checked
the way ``polyregions check`` does (parse, then check). Whatever the mutation, the
checker must

- answer within a deadline (a generous hang guard, enforced by SIGALRM), with VALID
  or a CheckFailure / FormatError (never another exception), and
- say VALID only when what it says is true: the activation count it returns is the
  exact count of the network on the domain the mutated certificate states (computed
  by the engine), and its ``linear_regions_at_most`` is at least the exact number of
  linear regions there.

Mutations that keep the proof (reordering, scaling multipliers, moving a point
inside its region) may stay VALID; every other one must be refused. Besides random
changes of values, items and keys (and of the text: truncation, deep brackets,
huge numbers), three forgeries aim at each part of the proof: a kept subtree
replaced by a 'pruned' entry with borrowed multipliers (only the Farkas check
stops it), a dropped last-unit branch listed as a region with a borrowed point
(only the point check), a merge across a facet between regions whose maps differ
(only the map check), and a domain row ``0 . x <= 0`` that prunes the root (only
the refusal of zero rows). With any of those checks switched off, the default
run finds a false VALID. It tries 1,500 mutations (about 4 s); the slow one 20,000.
"""

from __future__ import annotations

import copy
import json
import random
import signal
from fractions import Fraction

import pytest

from polyregions.certificates.regions import certify
from polyregions.checker.check import CheckFailure, check_certificate, model_digest, parse_certificate
from polyregions.queries.count import count_regions
from polyregions.core.domain import Domain
from polyregions.errors import DomainError, PolyregionsError
from polyregions.checker.fileformat import FormatError
from polyregions.queries.graph import region_graph
from polyregions.core.layers import Affine, Maxout

from tests.support.netgen import random_cases

#: Seconds one check may take before it counts as a hang (each takes milliseconds).
DEADLINE = 30


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"a check ran for more than {DEADLINE} s")


class Case:
    def __init__(self, name, net, domain):
        self.name, self.net = name, net
        self.model = json.loads(json.dumps(net.to_json()))
        self.cert = json.loads(json.dumps(certify(net, domain, linear=True)))
        self.text = json.dumps(self.cert)
        self.truth: dict = {}
        # the shared facets of adjacent regions whose output maps differ: merges that a
        # checker must refuse although the point is on one hyperplane of both
        activations = [layer for layer in net.layers if not isinstance(layer, Affine)]
        graph = region_graph(net, domain)
        self.different = [
            (_states(a, activations), _states(b, activations), data["face_point"].split(","))
            for a, b, data in graph.edges(data=True) if not data["same_map"]]

    def exact(self, cert: dict) -> tuple[int, int]:
        """(activation regions, linear regions) of the network on the domain *cert* states."""
        dom = cert["domain"]
        key = json.dumps(dom, sort_keys=True, default=repr)
        if key not in self.truth:
            n = self.net.input_dim
            try:
                domain = (Domain.from_inequalities(dom["A"], dom["b"], dim=n) if dom["A"]
                          else Domain.whole(n))
            except DomainError as exc:
                if "empty or not full-dimensional" not in str(exc):
                    raise AssertionError(f"the checker took a domain that count refuses: {exc}") from None
                self.truth[key] = (0, 0)   # no full-dimensional region in a lower-dimensional domain
            else:
                counts = count_regions(self.net, domain, linear=True)
                self.truth[key] = (counts.activation_regions, counts.linear_regions)
        return self.truth[key]


@pytest.fixture(scope="module")
def pool() -> list[Case]:
    cases = []
    for seed in (1401, 1402):
        for name, net, A, b in random_cases(seed, 30):
            domain = Domain.from_inequalities(A, b, dim=net.input_dim) if A else Domain.whole(net.input_dim)
            case = Case(f"{seed}/{name}", net, domain)
            if 2 <= len(case.cert["regions"]) <= 200:
                cases.append(case)
    assert len(cases) >= 20
    return cases


# --------------------------------------------------------------------------- mutations

def _places(obj, path=()):
    """Every (path, value) inside *obj*, containers included."""
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _places(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _places(v, path + (i,))


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def _set(obj, path, value):
    _get(obj, path[:-1])[path[-1]] = value


def _nested(depth):
    out = []
    for _ in range(depth):
        out = [out]
    return out


def _replacement(rng: random.Random, old):
    if isinstance(old, bool) or old is None:
        pass
    elif isinstance(old, int):
        choice = rng.randrange(6)
        if choice < 4:
            return [old + 1, old - 1, -old, 2 * old][choice]
    elif isinstance(old, str):
        try:
            q = Fraction(old)
        except (ValueError, ZeroDivisionError):
            q = None
        if q is not None and rng.random() < 0.6:
            delta = Fraction(rng.choice([1, -1]), rng.choice([1, 2, 1000, 10**9]))
            value = rng.choice([q + delta, -q, 2 * q, q / 2, Fraction(0)])
            return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
        if rng.random() < 0.5:
            return rng.choice(["+", "-", "0", "L", "M", "H", "l", "h", "0", "1", "2", "?", ""])
    return rng.choice([
        0, 1, -1, 2, 10**30, "0", "1", "-1", "1/2", " 1 / -2 ", "1e-3", "0.5", 0.5, None, True, False, [], {},
        [0], ["domain", 0], [0, 0], "1e10000000", "9" * 200_001, 10 ** 100_001, "nan", _nested(500),
        {"prefix": [], "state": "+", "multipliers": []},
    ])


def forge_pruned(rng: random.Random, cert: dict) -> dict:
    """A forgery: the regions below a kept branch replaced by one 'pruned' entry with
    multipliers copied from elsewhere, the merges of those regions and the stated
    counts dropped; only the multipliers' check can catch it."""
    out = copy.deepcopy(cert)
    regions = out["regions"]
    states = rng.choice(regions)["states"]
    depth = rng.randrange(len(states))
    prefix, state = states[:depth], states[depth]
    gone = [r for r in regions if r["states"][:depth + 1] == states[:depth + 1]]
    if len(gone) == len(regions):
        return out
    out["regions"] = [r for r in regions if r not in gone]
    out["pruned"] = [p for p in out["pruned"] if p["prefix"][:depth + 1] != states[:depth + 1]]
    multipliers = (copy.deepcopy(rng.choice(out["pruned"])["multipliers"]) if out["pruned"] and rng.random() < 0.7
                   else [[[depth, 0], 1]] + ([[["domain", 0], 1]] if out["domain"]["A"] else []))
    out["pruned"].append({"prefix": prefix, "state": state, "multipliers": multipliers})
    gone_keys = [r["states"] for r in gone]
    out["merges"] = [m for m in out.get("merges", []) if m["first"] not in gone_keys and m["second"] not in gone_keys]
    out.pop("counts")
    return out


def forge_region(rng: random.Random, cert: dict) -> dict:
    """A forgery: a dropped branch of the last unit listed as a region, with some other
    region's point; only the check of the point against its inequalities can catch it."""
    out = copy.deepcopy(cert)
    units = len(out["regions"][0]["states"])
    last = [p for p in out["pruned"] if len(p["prefix"]) == units - 1]
    if not last:
        return out
    item = rng.choice(last)
    out["pruned"].remove(item)
    out["regions"].append({"states": item["prefix"] + [item["state"]],
                           "point": list(rng.choice(out["regions"])["point"])})
    out.pop("counts")
    return out


def forge_zero_row(rng: random.Random, cert: dict) -> dict:
    """The adversarial test's forgery (issue 14, item 1): a domain row 0 . x <= b and
    the root's branches 'pruned' with it alone."""
    out = copy.deepcopy(cert)
    n = len(out["regions"][0]["point"])
    out["domain"]["A"].append(["0"] * n)
    out["domain"]["b"].append(rng.choice(["0", "1", "-1"]))
    row = ["domain", len(out["domain"]["A"]) - 1]
    roots = {r["states"][0] for r in out["regions"]} | {p["state"] for p in out["pruned"] if not p["prefix"]}
    out["regions"], out["merges"] = [], []
    out["pruned"] = [{"prefix": [], "state": s, "multipliers": [[row, 1]]} for s in sorted(roots)]
    out.pop("counts")
    return out


def _states(key: str, activations) -> list[str]:
    """The certificate's states of a region from its pattern key."""
    return [t for states, layer in zip(key.split("|"), activations)
            for t in (states.split(",") if isinstance(layer, Maxout) and states else list(states))]


def forge_merge(rng: random.Random, case: Case) -> dict:
    """A forgery: a merge across a facet between regions with different output maps, or
    of two regions at a point of one of them or between them; the stated counts dropped."""
    out = copy.deepcopy(case.cert)
    if case.different and rng.random() < 0.7:
        first, second, point = rng.choice(case.different)
    else:
        a, b = rng.sample(out["regions"], 2)
        first, second = a["states"], b["states"]
        p, q = ([Fraction(v) for v in r["point"]] for r in (a, b))
        point = [f"{v.numerator}/{v.denominator}" for v in rng.choice([p, [(x + y) / 2 for x, y in zip(p, q)]])]
    out.setdefault("merges", []).append({"first": first, "second": second, "point": point})
    out.pop("counts")
    return out


def mutate(rng: random.Random, case: Case) -> dict:
    """A random mutation of a case's certificate (the original is not changed)."""
    if rng.random() < 0.2:
        forgeries = [forge_pruned, forge_region, forge_zero_row, lambda rng, cert: forge_merge(rng, case)]
        return rng.choice(forgeries)(rng, case.cert)
    out = copy.deepcopy(case.cert)
    places = list(_places(out))
    kind = rng.randrange(10)
    path, value = rng.choice(places[1:])
    if kind <= 3:                                     # replace one value
        _set(out, path, _replacement(rng, value))
    elif kind == 4 and isinstance(value, list) and value:     # drop an item
        value.pop(rng.randrange(len(value)))
    elif kind == 5 and isinstance(value, list) and value:     # duplicate an item
        value.insert(rng.randrange(len(value) + 1), copy.deepcopy(rng.choice(value)))
    elif kind == 6 and isinstance(value, list) and len(value) >= 2:   # swap two items
        i, j = rng.sample(range(len(value)), 2)
        value[i], value[j] = value[j], value[i]
    elif kind == 7 and isinstance(value, dict) and value:     # drop or add a key
        if rng.random() < 0.5:
            value.pop(rng.choice(list(value)))
        else:
            value[rng.choice(["extra", "states", "point", "prefix", "counts"])] = _replacement(rng, None)
    elif kind == 8:                                   # a point of one region given to another
        regions = out["regions"]
        if len(regions) >= 2:
            a, b = rng.sample(range(len(regions)), 2)
            regions[a]["point"] = list(regions[b]["point"])
    else:                                             # multipliers of one pruned branch scaled
        if out["pruned"]:
            item = rng.choice(out["pruned"])
            factor = rng.choice([2, 3, 0, -1])
            item["multipliers"] = [[ref, y * factor if isinstance(y, int) else y]
                                   for ref, y in item["multipliers"]]
    return out


def mutate_text(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i]
    if kind == 1:
        return text[:i] + "[" * rng.choice([10, 5000, 100_000]) + text[i:]
    if kind == 2:
        return text[:i] + rng.choice('{}[]",:0123456789-+/e ') + text[i + 1:]
    return text[:i] + rng.choice(["1e10000000", "9" * 200_001, "-0", "NaN", "1.5"]) + text[i:]


# --------------------------------------------------------------------------- the property

def _check(text: str):
    """What ``polyregions check`` does with a certificate's text: the counts, or None."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, DEADLINE)
    try:
        try:
            cert = parse_certificate(text, "cert")
        except FormatError:
            return None, None
        try:
            return cert, check_certificate(cert, json.loads(json.dumps(_MODEL[0])))
        except CheckFailure:
            return cert, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_MODEL: list = [None]


def run_fuzz(pool: list[Case], seed: int, rounds: int) -> dict[str, int]:
    rng = random.Random(seed)
    tally = {"valid": 0, "invalid": 0}
    for round_ in range(rounds):
        case = rng.choice(pool)
        _MODEL[0] = case.model
        if rng.random() < 0.2:
            text, cert_in = mutate_text(rng, case.text), None
        else:
            cert_in = mutate(rng, case)
            try:
                text = json.dumps(cert_in)
            except (TypeError, ValueError):
                continue
        cert, counts = _check(text)
        if counts is None:
            tally["invalid"] += 1
            continue
        tally["valid"] += 1
        where = f"seed {seed} round {round_}, case {case.name}"
        assert cert["model_sha256"] == model_digest(case.model), where
        try:
            activation, linear = case.exact(cert)
        except PolyregionsError as exc:
            raise AssertionError(f"{where}: VALID, but the stated domain is not one count reads: {exc}")
        assert counts["activation_regions"] == activation, (where, counts, activation)
        if "linear_regions_at_most" in counts:
            assert counts["linear_regions_at_most"] >= linear, (where, counts, linear)
    return tally


def test_pool_is_valid(pool):
    for case in pool:
        _MODEL[0] = case.model
        cert, counts = _check(case.text)
        activation, linear = case.exact(cert)
        assert counts == {"activation_regions": activation, "linear_regions_at_most": linear}, case.name


def test_fuzz_checker(pool):
    tally = run_fuzz(pool, 14, 1500)
    assert tally["invalid"] > 800 and tally["valid"] > 100, tally   # both outcomes are exercised


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_fuzz_checker_long(pool, seed):
    tally = run_fuzz(pool, 1000 + seed, 2500)
    assert tally["invalid"] > 1200 and tally["valid"] > 200, tally
