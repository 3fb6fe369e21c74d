"""Sparse matrices (polyregions.core.sparse) and affine layers that keep their nonzero weights only."""

from __future__ import annotations

import json
import random
from fractions import Fraction as F

import pytest

from polyregions.core import layers as layers_module
from polyregions.core.layers import Affine, Maxout, ReLU, layer_to_json
from polyregions.core.network import Network
from polyregions.core.sparse import SparseRows, product_rows, terms_of
from polyregions.errors import NetworkError


def sparse_layer(layer: Affine) -> Affine:
    """*layer* with the same weights kept sparse."""
    return Affine(SparseRows.from_terms(layer.in_dim, terms_of(layer.weight)), layer.bias)


def test_from_terms_is_canonical_and_reads_as_dense_rows():
    m = SparseRows.from_terms(4, [[(3, F(1, 2)), (0, 2), (3, F(1, 2)), (1, 0)], [], [(2, -1), (2, 1)]])
    assert m.terms == (((0, 2), (3, F(1))), (), ())
    assert len(m) == 3 and m.columns == 4 and m.nonzeros == 2
    assert m[0] == (2, 0, 0, F(1)) and m[1] == (0, 0, 0, 0) and m[-1] == (0, 0, 0, 0)
    assert m[0:2] == [m[0], m[1]] and list(m) == [m[0], m[1], m[2]]
    assert m == SparseRows(4, (((0, 2), (3, F(1))), (), ())) and hash(m) == hash(SparseRows(4, m.terms))
    assert m != tuple(m) and m != SparseRows.from_terms(5, [[(0, 2), (3, 1)], [], []])
    assert repr(m) == "SparseRows(3x4, 2 nonzeros)"
    with pytest.raises(ValueError, match=r"^column 4 outside 0\.\.3$"):
        SparseRows.from_terms(4, [[(4, 1)]])


def test_products_columns_and_maps_agree_with_the_dense_matrix():
    rng = random.Random(5)
    for _ in range(40):
        rows, cols = rng.randint(1, 6), rng.randint(1, 6)
        dense = [[rng.choice([0, 0, 0, 1, -2, F(1, 3)]) for _ in range(cols)] for _ in range(rows)]
        m = SparseRows.from_terms(cols, terms_of(dense))
        assert [list(r) for r in m] == dense
        x = [F(rng.randint(-5, 5), rng.randint(1, 4)) for _ in range(cols)]
        assert m.times(x) == [sum(w * v for w, v in zip(row, x)) for row in dense]
        assert m.column_terms() == tuple(tuple((i, dense[i][c]) for i in range(rows) if dense[i][c])
                                         for c in range(cols))
        assert [list(r) for r in m.mapped(lambda v: 3 * v)] == [[3 * v for v in row] for row in dense]
        assert m.mapped(lambda v: 0).nonzeros == 0
        order = list(range(rows))
        rng.shuffle(order)
        assert [list(r) for r in m.reordered(order)] == [dense[i] for i in order]


def test_product_rows_is_the_composition():
    rng = random.Random(6)
    for _ in range(30):
        n, k, m = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
        inner = [[rng.choice([0, 1, -1, F(1, 2)]) for _ in range(n)] for _ in range(k)]
        inner_b = [rng.choice([0, 1, F(-1, 3)]) for _ in range(k)]
        outer = [[rng.choice([0, 2, -1]) for _ in range(k)] for _ in range(m)]
        outer_b = [rng.choice([0, 1]) for _ in range(m)]
        got = list(product_rows(zip(terms_of(outer), outer_b), terms_of(inner), inner_b))
        for (terms, b), row, ob in zip(got, outer, outer_b):
            dense = [sum(row[j] * inner[j][c] for j in range(k)) for c in range(n)]
            assert dict(terms) == {c: v for c, v in enumerate(dense) if v}
            assert b == sum(row[j] * inner_b[j] for j in range(k)) + ob


def test_a_sparse_affine_layer_evaluates_and_is_written_like_the_dense_one(monkeypatch):
    dense = Affine.from_lists([[1, 0, "1/2"], [0, 0, 0], [0, -3, 0]], [1, 2, 0])
    sparse = sparse_layer(dense)
    assert sparse.is_sparse and not dense.is_sparse
    assert (sparse.in_dim, sparse.out_dim) == (3, 3)
    x = [F(2), F(1, 3), F(-4)]
    assert sparse.times(x) == dense.times(x) == [F(1), F(2), F(-1)]
    assert layer_to_json(sparse) == layer_to_json(dense)
    net = Network.from_layers(3, [sparse, ReLU(), Affine.from_lists([[1, 1, 1]], [0])])
    again = Network.from_json(json.loads(json.dumps(net.to_json())))
    assert again.layers[0] == dense and again(x) == net(x)
    monkeypatch.setattr(layers_module, "MAX_DENSE_ENTRIES", 8)
    with pytest.raises(NetworkError, match=r"^layers\[0\]: an affine layer of 3 x 3 entries \(a convolution kept "
                                           r"sparse\) is "
                                           r"more than the 8 that polyregions-network/1 \(dense weights\) is "
                                           r"written with$"):
        net.to_json()


def test_a_network_counts_the_nonzero_weights_of_a_sparse_layer(monkeypatch):
    from polyregions.core import network as network_module

    first = Affine.from_lists([[1, 0]] * 3000, [0] * 3000)  # 9,000 parameters
    wide = Affine(SparseRows.from_terms(3000, [[(i, 1)] for i in range(3000)]), (F(0),) * 3000)  # 6,000
    net = Network.from_layers(2, [first, ReLU(), wide, ReLU()])  # dense, the second would be 9,003,000
    assert net.output_dim == 3000
    monkeypatch.setattr(network_module, "MAX_PARAMETERS", 14_999)
    with pytest.raises(NetworkError, match=r"^layers\[2\]: more than 14999 parameters$"):
        Network.from_layers(2, [first, ReLU(), wide, ReLU()])
    monkeypatch.setattr(network_module, "MAX_PARAMETERS", 15_000)
    Network.from_layers(2, [first, ReLU(), wide, ReLU()])


def test_points_and_patterns_of_a_network_with_sparse_layers():
    rng = random.Random(7)
    dense = Network.from_layers(2, [Affine.from_lists([[1, -1], [2, 0], [0, 1], [1, 1]], [0, -1, F(1, 2), 0]),
                                    ReLU(), Maxout(2), Affine.from_lists([[1, -1], [0, 2]], [1, 0]), ReLU(),
                                    Affine.from_lists([[1, 1]], [0])])
    sparse = Network.from_layers(2, [sparse_layer(layer) if isinstance(layer, Affine) else layer
                                     for layer in dense.layers])
    for _ in range(50):
        x = [F(rng.randint(-6, 6), rng.randint(1, 3)) for _ in range(2)]
        assert sparse(x) == dense(x)
        assert sparse.pattern(x) == dense.pattern(x)
