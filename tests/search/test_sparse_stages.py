"""The search on networks whose affine layers keep their nonzero weights only (SparseRows):
the same regions, maps and neighbours as with dense weights, and the reference's regions."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from polyregions.core.domain import Domain
from polyregions.core.layers import Affine
from polyregions.core.network import Network
from polyregions.core.sparse import SparseRows, terms_of
from polyregions.queries.count import count_regions
from polyregions.search.adjacency import facet_neighbors
from polyregions.search.engine import apply_affine, enumerate_regions
from polyregions.search.stages import compile_stages

from tests.support.netgen import random_cases
from tests.support.reference import reference_regions

CASES = list(random_cases(seed=2027, count=220))


def sparsified(net: Network, rng: random.Random | None = None) -> Network:
    """*net* with every affine layer (or, given *rng*, a random half of them) kept sparse."""
    return Network.from_layers(net.input_dim, [
        Affine(SparseRows.from_terms(layer.in_dim, terms_of(layer.weight)), layer.bias)
        if isinstance(layer, Affine) and (rng is None or rng.random() < 0.5) else layer
        for layer in net.layers])


def _domain(net, A, b):
    return Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)


def _graph(net, domain):
    return {r.key: (r.output_map, sorted(map(str, (p for _, p in facet_neighbors(r)))))
            for r in enumerate_regions(net, domain)}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_sparse_layers_give_the_reference_regions_and_the_dense_neighbours(case):
    name, net, A, b = case
    domain = _domain(net, A, b)
    index = int(name.split(":")[0])
    sparse = sparsified(net, random.Random(index) if index % 2 else None)
    expected = {r.key: r for r in reference_regions(net, A, b)}
    got = _graph(sparse, domain)
    assert sorted(got) == sorted(expected)
    for key, (output_map, _) in got.items():
        assert (output_map.weight, output_map.bias) == tuple(expected[key].output_map)
    assert got == _graph(net, domain)
    assert count_regions(sparse, domain) == count_regions(net, domain)


def test_consecutive_affine_layers_compose_into_one_sparse_stage():
    net = Network.from_layers(2, [Affine.from_lists([[1, 0], [0, 2], [1, 1]], [0, 1, 0]),
                                  Affine.from_lists([[1, 0, 0], [0, 0, "1/3"]], [5, 0])])
    for mixed in (sparsified(net), Network.from_layers(2, [sparsified(net).layers[0], net.layers[1]]),
                  Network.from_layers(2, [net.layers[0], sparsified(net).layers[1]])):
        (stage,) = compile_stages(mixed)
        assert isinstance(stage.weight, SparseRows)
        assert (list(map(list, stage.weight)), list(stage.bias), stage.den) == ([[3, 0], [1, 1]], [15, 0], 3)
        assert stage.columns == (((0, 3), (1, 1)), ((1, 1),))


def test_a_sparse_product_updated_by_changed_rows_equals_the_full_product():
    rng = random.Random(11)
    for _ in range(20):
        rows_in, cols = rng.randint(4, 12), rng.randint(1, 3)
        weight = [[rng.choice([0, 0, 1, -2, Fraction(3, 2)]) for _ in range(rows_in)] for _ in range(rng.randint(1, 6))]
        bias = [rng.choice([0, 1, Fraction(-1, 2)]) for _ in weight]
        dense = Network.from_layers(rows_in, [Affine.from_lists(weight, bias)])
        (sparse_stage,), (dense_stage,) = compile_stages(sparsified(dense)), compile_stages(dense)
        memo: list = [None, None, None]
        rows = [[rng.randint(-9, 9) for _ in range(cols + 1)] for _ in range(rows_in)]
        for _ in range(6):
            den = rng.choice([1, 2, 6])
            assert apply_affine(sparse_stage, rows, den, memo) == apply_affine(dense_stage, rows, den)
            rows = [list(r) for r in rows]
            for j in rng.sample(range(rows_in), rng.randint(0, 2)):  # a neighbouring piece: few rows differ
                rows[j] = [rng.randint(-9, 9) for _ in range(cols + 1)]
