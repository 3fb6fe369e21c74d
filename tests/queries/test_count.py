"""Counts and facet neighbours against the slow reference."""

from __future__ import annotations

import pytest

from polyregions.search.adjacency import facet_neighbors, neighbor_pattern
from polyregions.queries.count import count_regions
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.core.network import Network
from polyregions.core.maps import pattern_key

from tests.support.netgen import random_cases
from tests.support.reference import reference_linear_region_count, reference_regions

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


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_facet_neighbours_equal_the_facet_by_facet_answer(case):
    # facet_neighbors skips stages by fingerprint and flips the units of the usual facet;
    # neighbor_pattern asks every stage about one facet: the same neighbour, facet by facet
    name, net, A, b = case
    for region in enumerate_regions(net, _domain(net, A, b)):
        assert list(facet_neighbors(region)) == [(row, neighbor_pattern(region, row)) for row in region.facet_rows()]


@pytest.mark.parametrize("case", CASES[::2], ids=[c[0] for c in CASES[::2]])
def test_facet_neighbours_unit_by_unit_equal_the_whole_stage_answer(case, monkeypatch):
    # wide stages are crossed unit by unit in integers over one scale per stage, narrow ones
    # with every derivative at once: forced one way and the other, the same neighbours
    from polyregions.search import adjacency

    name, net, A, b = case
    regions = list(enumerate_regions(net, _domain(net, A, b)))
    monkeypatch.setattr(adjacency, "_WIDE", 10 ** 9)
    whole = [list(facet_neighbors(r)) for r in regions]
    monkeypatch.setattr(adjacency, "_WIDE", -1)
    assert [list(facet_neighbors(r)) for r in regions] == whole


def test_counting_without_linear():
    net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    counts = count_regions(net, linear=False)
    assert counts.linear_regions is None
    assert "linear_regions" not in counts.to_json()
    assert counts.to_json()["activation_regions"] == 2


def _medium_cases():
    import random

    from tests.support.netgen import random_box, random_network

    shapes = [(2, [6, 6]), (3, [5, 5]), (2, [6, 5]), (3, [4, 4]), (2, [5, 5, 4]), (4, [5, 4]),
              (2, [4, 4, 4]), (3, [6, 3])]
    kinds = ["relu", "abs", "leaky_relu", "maxout", "hardtanh", "relu", "mixed", "abs"]
    for i in range(24):
        rng = random.Random(9000 + i)
        n0, widths = shapes[i % len(shapes)]
        kind = kinds[i % len(kinds)]
        if kind == "maxout":
            widths = [min(w, 3) for w in widths]
        activation = ([rng.choice(["relu", "leaky_relu", "abs", "hardtanh"]) for _ in widths]
                      if kind == "mixed" else kind)
        net = random_network(rng, n0, widths, activation, i % 2 == 1, (1, 2, 3), 1 if i % 3 else None)
        A, b = random_box(rng, n0) if i % 4 == 3 else ([], [])
        yield f"medium{i}:{kind}:n0={n0}:w={widths}", net, A, b


MEDIUM = list(_medium_cases())


@pytest.mark.parametrize("case", MEDIUM, ids=[c[0] for c in MEDIUM])
def test_medium_networks_match_reference(case):
    name, net, A, b = case
    counts = count_regions(net, _domain(net, A, b))
    expected = reference_regions(net, A, b)
    assert sorted(r.key for r in enumerate_regions(net, _domain(net, A, b))) == sorted(r.key for r in expected)
    assert counts.activation_regions == len(expected)
    if len(expected) <= 70:
        assert counts.linear_regions == reference_linear_region_count(net, A, b)
