"""The exact Lipschitz constant (:mod:`polyregions.queries.lipschitz`) and ``polyregions lipschitz``.

- Against brute force on 240 seeded random and degenerate networks: the largest induced
  norm of the Jacobian over every region of a full enumeration, for both norms, for the
  whole map and for one output; exact equality, with and without pruning, and the
  region reported has that norm.
- Known answers: max(x1, x2) and |x| have constant 1; a scaled identity its scale.
- Jacobian bounds over subtrees hold in every region below the node.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest

from tests.support.clirun import assert_one_error_line, run
from polyregions.core.domain import Domain
from polyregions.search.engine import Search, enumerate_regions
from polyregions.errors import InputError
from polyregions.queries.lipschitz import induced_norm, lipschitz_constant
from polyregions.core.network import Network, load_network
from polyregions.search.regions import Region
from polyregions.search.relax import node_jacobian_bounds

from tests.support.netgen import random_cases

CASES = [case for seed in (61, 62) for case in random_cases(seed, 120)]


def domain_of(net: Network, A, b) -> Domain:
    return Domain.from_inequalities(A, b, dim=net.input_dim) if A else Domain.whole(net.input_dim)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_brute_force(case):
    name, net, A, b = case
    domain = domain_of(net, A, b)
    regions = list(enumerate_regions(net, domain))
    output = random.Random(name).randrange(net.output_dim)
    for norm in ("1", "inf"):
        for rows in (None, output):
            def jac(region):
                weight = region.output_map.weight
                return weight if rows is None else (weight[rows],)
            brute = max(induced_norm(jac(r), norm) for r in regions)
            result = lipschitz_constant(net, domain, norm=norm, output=rows)
            assert result.value == brute
            region = next(r for r in regions if r.key == result.region)
            assert tuple(jac(region)) == result.jacobian
            assert induced_norm(result.jacobian, norm) == brute
            assert result.regions_visited <= len(regions)
    assert lipschitz_constant(net, domain, norm="inf", prune=False).regions_visited == len(regions)


JACOBIAN_CASES = list(random_cases(63, 60))


@pytest.mark.parametrize("case", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_jacobian_bounds_hold_below_every_node(case):
    name, net, A, b = case
    search = Search(net, domain_of(net, A, b))
    stack = [search.root()]
    checked = 0
    while stack and checked < 30:
        node = stack.pop()
        if isinstance(node, Region):
            continue
        lo, hi, den = node_jacobian_bounds(search, node)
        below = [node]
        while below:
            item = below.pop()
            if isinstance(item, Region):
                for i, row in enumerate(item.output_map.weight):
                    for j, v in enumerate(row):
                        assert Fraction(lo[i][j], den) <= v <= Fraction(hi[i][j], den), (node, item.key)
                continue
            below.extend(search.children(item))
        checked += 1
        stack.extend(search.children(node))


MAX2 = Network.mlp([[[1, -1], [0, 1], [0, -1]], [[1, 1, -1]]], [[0, 0, 0], [0]])   # max(x1, x2)
ABS = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])                           # |x|


def test_known_answers():
    for norm in ("1", "inf"):
        assert lipschitz_constant(MAX2, norm=norm).value == 1
        assert lipschitz_constant(ABS, norm=norm).value == 1
        assert lipschitz_constant(ABS, Domain.box(1, 1, 2), norm=norm).region == "+-"
    scaled = Network.mlp([[[3, 0], [0, -1]], [[1, 0], [0, "1/2"]]], [[0, 0], [0, 0]])  # relu(3 x1), relu(-x2) / 2
    assert lipschitz_constant(scaled, norm="inf").value == 3
    assert lipschitz_constant(scaled, norm="inf", output=1).value == Fraction(1, 2)
    both = Network.mlp([[[1, 1], [1, -1]]], [[0, 0]])   # (x1 + x2, x1 - x2)
    assert lipschitz_constant(both, norm="inf").value == 2
    assert lipschitz_constant(both, norm="1").value == 2
    assert lipschitz_constant(both, norm="1", output=0).value == 1


def test_bad_arguments():
    with pytest.raises(InputError, match=r"^norm must be '1' or 'inf', got '2'$"):
        lipschitz_constant(ABS, norm="2")
    with pytest.raises(InputError, match=r"^norm must be '1' or 'inf', got 'two'$"):
        induced_norm([[1]], "two")
    with pytest.raises(InputError, match=r"^output 1: expected an index from 0 to 0$"):
        lipschitz_constant(ABS, output=1)
    with pytest.raises(InputError, match=r"^bound_every must be a positive integer, got 0$"):
        lipschitz_constant(ABS, bound_every=0)


def test_relucent_parity_6013(relucent_dir):
    net = load_network(relucent_dir / "parity_6013.json")
    box = Domain.box(4, -1, 1)
    pruned = lipschitz_constant(net, box, norm="inf")
    assert pruned.value == lipschitz_constant(net, box, norm="inf", prune=False).value


def test_the_default_norm_is_inf(capsys, tmp_path):
    """Issue 22: --norm was required; without it the norm is l-infinity, as in the library."""
    total = Network.mlp([[[1, 1]]], [[0]])   # x1 + x2: 2 for l-infinity, 1 for l1
    assert lipschitz_constant(total).norm == "inf" and lipschitz_constant(total).value == 2
    assert lipschitz_constant(total, norm="1").value == 1
    path = tmp_path / "total.json"
    total.save(path)
    code, out, err = run(capsys, "lipschitz", path, "--json")
    assert (code, err) == (0, "")
    assert (json.loads(out)["value"], json.loads(out)["norm"]) == ("2", "inf")
    code, out, err = run(capsys, "lipschitz", path)
    assert (code, err) == (0, "")
    assert "norm:               l-infinity on inputs and outputs (the whole map)" in out
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "lipschitz", "--help")
    assert exit_.value.code == 0
    assert "(default: inf, the l-infinity norm)" in " ".join(capsys.readouterr().out.split())


def test_cli_lipschitz(capsys, tmp_path):
    path = tmp_path / "max2.json"
    MAX2.save(path)
    code, out, err = run(capsys, "lipschitz", path, "--norm", "inf")
    assert (code, err) == (0, "")
    assert "lipschitz constant: 1" in out and "norm:               l-infinity on inputs and outputs (the whole map)" in out
    code, out, err = run(capsys, "lipschitz", path, "--box", -1, 1, "--norm", "1", "--output", 0, "--json")
    data = json.loads(out)
    assert (data["value"], data["norm"], data["output"]) == ("1", "1", 0)
    assert set(data) >= {"value", "region", "jacobian", "regions_visited"}
    assert_one_error_line(*run(capsys, "lipschitz", path, "--norm", "2"), r"argument --norm: invalid choice: '2'")
    assert_one_error_line(*run(capsys, "lipschitz", path, "--norm", "1", "--output", "3"),
                          r"output 3: expected an index from 0 to 0$")
