"""Exact equivalence (:mod:`polyregions.queries.equivalence`) and ``polyregions equiv``.

- Against brute force on 240 seeded pairs built from random and degenerate networks:
  a network against copies that compute the same function (an extra dead unit, a unit
  split in two, the final map factored, an identity layer inserted), against a copy
  with one weight changed, and against another random network. Brute force: every
  pair of regions of the two enumerations that meets in a full-dimensional set (exact
  cuts of one region's cell by the other's inequalities) must have the same map.
  Both methods (refinement and difference network) agree with it; every counterexample
  lies in the domain and the two exact forward passes differ there.
- Known answers: the identity written two ways, max(x1, x2) written two ways, and one
  weight changed by 2^-40.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest

from tests.support.clirun import assert_one_error_line, run
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.queries.equivalence import difference_network, equivalent
from polyregions.errors import InputError
from polyregions.core.layers import Affine, Identity, LeakyReLU, ReLU
from polyregions.core.network import Network

from tests.support.netgen import random_cases


def domain_of(net: Network, A, b) -> Domain:
    return Domain.from_inequalities(A, b, dim=net.input_dim) if A else Domain.whole(net.input_dim)


def brute_equivalent(a: Network, b: Network, domain: Domain) -> bool:
    regions_b = list(enumerate_regions(b, domain))
    for ra in enumerate_regions(a, domain):
        for rb in regions_b:
            cell = ra.cell
            for coeffs, rhs in rb.inequalities:
                cell = cell.cut(tuple(-v for v in coeffs) + (rhs,), "b", want=1)[0]
                if cell is None:
                    break
            if cell is not None and ra.output_map != rb.output_map:
                return False
    return True


def _affine(weight, bias) -> Affine:
    return Affine.from_lists(weight, bias)


def variants(name: str, net: Network) -> list[tuple[str, Network]]:
    """Networks computing the same function as *net*, one with a weight changed, and another one."""
    rng = random.Random(name)
    layers = list(net.layers)
    out: list[tuple[str, Network]] = []
    # the final map factored through an identity matrix (affine after affine)
    out.append(("factored", Network.from_layers(net.input_dim, layers + [
        _affine([[int(i == j) for j in range(net.output_dim)] for i in range(net.output_dim)], [0] * net.output_dim)])))
    # an identity layer inserted at the start
    out.append(("identity-layer", Network.from_layers(net.input_dim, [Identity()] + layers)))
    # a relu network: a dead unit added to the first relu layer and a unit split in two
    if len(layers) >= 3 and isinstance(layers[0], Affine) and isinstance(layers[1], ReLU) and isinstance(layers[2], Affine):
        first, second = layers[0], layers[2]
        dead = _affine([list(r) for r in first.weight] + [[0] * first.in_dim], list(first.bias) + [-1])
        after = _affine([list(r) + [rng.randint(-3, 3)] for r in second.weight], list(second.bias))
        out.append(("dead-unit", Network.from_layers(net.input_dim, [dead, ReLU(), after] + layers[3:])))
        split = _affine([list(r) for r in first.weight] + [list(first.weight[0])], list(first.bias) + [first.bias[0]])
        halves = _affine([[v / 2 if j == 0 else v for j, v in enumerate(r)] + [r[0] / 2] for r in second.weight],
                         list(second.bias))
        out.append(("split-unit", Network.from_layers(net.input_dim, [split, ReLU(), halves] + layers[3:])))
    # one weight changed
    index = next((i for i, layer in enumerate(layers) if isinstance(layer, Affine)), None)
    if index is not None:
        layer = layers[index]
        weight = [list(r) for r in layer.weight]
        i, j = rng.randrange(len(weight)), rng.randrange(len(weight[0]))
        weight[i][j] += rng.choice([Fraction(1), Fraction(1, 2 ** 40)])
        changed = layers[:index] + [_affine(weight, list(layer.bias))] + layers[index + 1:]
        out.append(("changed", Network.from_layers(net.input_dim, changed)))
    return out


CASES = []
for _case in random_cases(71, 80):
    for _label, _other in variants(_case[0], _case[1]):
        CASES.append((f"{_case[0]}:{_label}", _case[1], _other, _case[2], _case[3]))
_OTHERS = list(random_cases(72, 200))
for _case in random_cases(73, 60):
    _match = next((o for o in _OTHERS if o[1].input_dim == _case[1].input_dim and
                   o[1].output_dim == _case[1].output_dim), None)
    if _match is not None:
        CASES.append((f"{_case[0]}:other", _case[1], _match[1], _case[2], _case[3]))


def test_enough_cases():
    assert len(CASES) >= 240
    labels = [name.rsplit(":", 1)[1] for name, *_ in CASES]
    assert min(labels.count(k) for k in ("factored", "identity-layer", "dead-unit", "split-unit", "changed",
                                         "other")) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_brute_force(case):
    name, a, b, A, B = case
    domain = domain_of(a, A, B)
    expected = brute_equivalent(a, b, domain)
    for method in ("refine", "auto"):
        result = equivalent(a, b, domain, method=method)
        assert result.equivalent == expected, method
        if expected:
            assert result.counterexample is None and result.outputs_a is None
            continue
        x = result.counterexample
        assert domain.contains(x)
        assert a(x) == result.outputs_a and b(x) == result.outputs_b and a(x) != b(x)
        assert a.pattern(x).is_generic and b.pattern(x).is_generic
        assert result.regions == (a.pattern(x).key, b.pattern(x).key)


RELU_PAIR = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])      # relu(x) - relu(-x)
LINEAR = Network.mlp([[[1]]], [[0]])                                    # x
MAX_A = Network.mlp([[[1, -1], [0, 1], [0, -1]], [[1, 1, -1]]], [[0, 0, 0], [0]])   # relu(x1 - x2) + x2
MAX_B = Network.mlp([[[-1, 1], [1, 0], [-1, 0]], [[1, 1, -1]]], [[0, 0, 0], [0]])   # relu(x2 - x1) + x1


def test_known_answers():
    assert equivalent(RELU_PAIR, LINEAR).equivalent
    assert equivalent(LINEAR, RELU_PAIR, Domain.box(1, -5, 5)).equivalent
    for method in ("refine", "difference"):
        assert equivalent(MAX_A, MAX_B, method=method).equivalent
    tiny = Fraction(1, 2 ** 40)
    moved = Network.mlp([[[1, -1], [0, 1], [0, -1]], [[1, 1, -1 + tiny]]], [[0, 0, 0], [0]])
    result = equivalent(MAX_A, moved, Domain.box(2, -1, 1))
    assert not result.equivalent
    x = result.counterexample
    assert MAX_A(x)[0] - moved(x)[0] == tiny * min(x[1], 0)   # -2^-40 relu(-x2)
    assert x[1] < 0


def test_difference_network():
    diff = difference_network(MAX_A, MAX_B)
    assert diff.widths() == (2, 6, 1)
    assert all(diff(x) == (0,) for x in ([1, 2], [-3, "1/2"], [0, 0]))
    leaky = Network.from_layers(1, [_affine([[1]], [0]), LeakyReLU(Fraction(1, 2)), _affine([[1]], [0])])
    with pytest.raises(InputError, match=r"^activation layer 1: relu and leaky_relu \(slope 1/2\) differ: no difference network layer by layer$"):
        difference_network(RELU_PAIR, leaky)
    with pytest.raises(InputError, match=r"^the networks have 1 and 0 activation layers"):
        difference_network(RELU_PAIR, LINEAR)
    assert equivalent(RELU_PAIR, leaky).equivalent is False   # auto falls back to the refinement


def test_bad_pairs():
    with pytest.raises(InputError, match=r"^the networks have different input dimensions \(1 and 2\)$"):
        equivalent(LINEAR, MAX_A)
    two = Network.mlp([[[1], [2]]], [[0, 0]])
    with pytest.raises(InputError, match=r"^the networks have different output dimensions \(1 and 2\)"):
        equivalent(LINEAR, two)
    with pytest.raises(InputError, match=r"^domain has dimension 2, the networks have 1 inputs$"):
        equivalent(LINEAR, RELU_PAIR, Domain.box(2, 0, 1))
    with pytest.raises(InputError, match=r"^method must be 'auto', 'refine' or 'difference', got 'x'$"):
        equivalent(LINEAR, RELU_PAIR, method="x")


def test_cli_equiv(capsys, tmp_path):
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    MAX_A.save(a)
    MAX_B.save(b)
    Network.mlp([[[1, -1], [0, 1], [0, -1]], [[1, 1, "-1/2"]]], [[0, 0, 0], [0]]).save(c)
    code, out, err = run(capsys, "equiv", a, b, "--box", -1, 1)
    assert (code, err) == (0, "")
    assert "result:          equivalent (the same function on the domain)" in out
    code, out, err = run(capsys, "equiv", a, c, "--json")
    data = json.loads(out)
    assert code == 1
    assert data["equivalent"] is False and data["counterexample"] is not None
    x = [Fraction(v) for v in data["counterexample"]]
    assert [str(v) for v in MAX_A(x)] == data["outputs_a"]
    assert_one_error_line(*run(capsys, "equiv", a), r"the following arguments are required: MODEL_B$")
    one = tmp_path / "one.json"
    LINEAR.save(one)
    assert_one_error_line(*run(capsys, "equiv", a, one), r"different input dimensions \(2 and 1\)$")
