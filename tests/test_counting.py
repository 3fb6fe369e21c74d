"""Counts and facet neighbours against the slow reference."""

from __future__ import annotations

import pytest

from polyregions.adjacency import facet_neighbors
from polyregions.counting import count_regions
from polyregions.domain import Domain
from polyregions.engine import enumerate_regions
from polyregions.network import Network
from polyregions.regions import pattern_key

from netgen import random_cases
from reference import reference_linear_region_count, reference_regions

CASES = list(random_cases(seed=7, count=200))


def _domain(net: Network, A, b) -> Domain:
    return Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_counts_match_reference(case):
    name, net, A, b = case
    counts = count_regions(net, _domain(net, A, b))
    expected = reference_regions(net, A, b)
    assert counts.activation_regions == len(expected)
    if len(expected) <= 40:
        assert counts.linear_regions == reference_linear_region_count(net, A, b)
    assert counts.linear_regions <= counts.activation_regions


@pytest.mark.parametrize("case", CASES[:120], ids=[c[0] for c in CASES[:120]])
def test_neighbours_exist_and_are_symmetric(case):
    name, net, A, b = case
    regions = list(enumerate_regions(net, _domain(net, A, b)))
    keys = {r.key for r in regions}
    edges = set()
    for region in regions:
        for row, other in facet_neighbors(region):
            if other is None:
                continue
            other_key = pattern_key(other)
            assert other_key in keys, f"{region.key}: neighbour {other_key} across row {row} was not enumerated"
            assert other_key != region.key
            edges.add((region.key, other_key))
    assert all((b_, a_) in edges for a_, b_ in edges), "adjacency is not symmetric"


def test_counting_without_linear():
    net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    counts = count_regions(net, linear=False)
    assert counts.linear_regions is None
    assert "linear_regions" not in counts.to_json()
    assert counts.to_json()["activation_regions"] == 2
