"""Activation rules: one object per family, and units named by the rules, not by guessing."""

from __future__ import annotations

from fractions import Fraction

import pytest

from polyregions.search.activations import ArgmaxRules, IdentityRules, SignRules, ThresholdRules, rules_for
from polyregions.core.domain import Domain
from polyregions.errors import InputError
from polyregions.queries.graph import region_graph
from polyregions.core.layers import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, ReLU
from polyregions.core.network import Network

from tests.support.netgen import random_cases

CASES = list(random_cases(seed=31, count=60))


def test_one_rules_object_per_family():
    assert rules_for(ReLU()) == SignRules("relu")
    assert rules_for(Abs()) == SignRules("abs")
    assert rules_for(LeakyReLU(Fraction(1, 3))) == SignRules("leaky_relu", Fraction(1, 3))
    assert rules_for(HardTanh(Fraction(-1), Fraction(2))) == ThresholdRules(Fraction(-1), Fraction(2))
    assert rules_for(Maxout(4)) == ArgmaxRules(4)
    assert rules_for(Identity()) == IdentityRules()
    assert {r.family for r in (SignRules("relu"), ThresholdRules(0, 1), ArgmaxRules(2), IdentityRules())} == {
        "sign", "threshold", "argmax", "identity"}
    with pytest.raises(InputError, match="unsupported activation"):
        rules_for(Affine(((Fraction(1),),), (Fraction(0),)))  # type: ignore[arg-type]


@pytest.mark.parametrize("rules,states", [(SignRules("relu"), "+-0+"), (ThresholdRules(0, 1), "LlMhH"),
                                          (ArgmaxRules(12), "0,11,3,10"), (IdentityRules(), "")])
def test_states_round_trip(rules, states):
    assert rules.join(rules.tokens(states)) == states


def _maxout_rank_14() -> Network:
    """One maxout unit of rank 14 on R^1: candidate j is j x - j(j+1)/2, each wins on an interval."""
    weight = tuple((Fraction(j),) for j in range(14))
    bias = tuple(Fraction(-j * (j + 1) // 2) for j in range(14))
    return Network.from_layers(1, [Affine(weight, bias), Maxout(14)])


def test_maxout_rank_14_edges_name_the_one_unit():
    """Found by trying it: the edge between regions 10 and 11 was labelled 1:1, a unit that
    does not exist (the states were split into characters)."""
    graph = region_graph(_maxout_rank_14())
    assert sorted(graph.nodes, key=int) == [str(j) for j in range(14)]
    assert graph.edges["10", "11"]["units"] == "1:0"
    assert {data["units"] for _, _, data in graph.edges(data=True)} == {"1:0"}
    assert graph.number_of_edges() == 13


def _layers(net: Network) -> list:
    """The activation layers with their unit counts, read from the network itself."""
    out, width = [], net.input_dim
    for layer in net.layers:
        if isinstance(layer, Affine):
            width = layer.out_dim
        elif isinstance(layer, Maxout):
            width //= layer.rank
            out.append((layer, width))
        else:
            out.append((layer, 0 if isinstance(layer, Identity) else width))
    return out


def _tokens(layer, text):
    if isinstance(layer, Maxout):
        return text.split(",") if text else []
    return list(text)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_edge_units_are_the_units_that_differ(case):
    name, net, A, b = case
    domain = Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)
    graph = region_graph(net, domain)
    layers = _layers(net)
    for u, v, data in graph.edges(data=True):
        expected = []
        for ordinal, ((layer, width), a, c) in enumerate(zip(layers, u.split("|"), v.split("|")), 1):
            ta, tc = _tokens(layer, a), _tokens(layer, c)
            assert len(ta) == len(tc) == width
            expected += [f"{ordinal}:{i}" for i, (x, y) in enumerate(zip(ta, tc)) if x != y]
        assert data["units"] == " ".join(expected)
        assert data["units"], f"edge {u} ~ {v} with no differing unit"
