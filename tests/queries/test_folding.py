"""Space folding and the N_R recursion: constructions, random networks, sympy identities."""

from __future__ import annotations

import random
from itertools import product

import pytest
import sympy as sp

from polyregions import cli
from polyregions.theory.bounds import asymptotic_checks, evaluate, montufar2014_lower_expr, n0 as N0
from polyregions.theory.bounds import width_symbols
from polyregions.theory.constructions import maxout_construction, rectifier_zigzag
from polyregions.queries.count import count_regions
from polyregions.core.domain import Domain
from polyregions.errors import DomainError, InputError
from polyregions.queries.folding import folding_analysis, folding_product
from polyregions.core.layers import Affine, ReLU
from polyregions.core.network import Network

from tests.support.netgen import random_box, random_network

GRID = ([(1, list(w)) for d in (1, 2, 3) for w in product(range(1, 7), repeat=d) if sum(w) <= 12]
        + [(1, [2, 2, 2, 2]), (1, [3, 2, 2, 3]), (2, [2, 2, 2, 2]), (2, [4, 4, 2, 2])]
        + [(2, list(w)) for d in (1, 2) for w in product(range(2, 7), repeat=d)]
        + [(2, [4, 4, 3]), (2, [2, 4, 5]), (3, [3]), (3, [6]), (3, [3, 3]), (3, [6, 3]), (3, [3, 4])])


@pytest.mark.parametrize("n0,widths", GRID, ids=[f"n0={n}:{w}" for n, w in GRID])
def test_zigzag_folding_equals_the_formula(n0, widths):
    """The count is the product of the pieces each layer makes of the one folded image,
    and sympy shows that product equal to Montufar et al.'s formula."""
    net = rectifier_zigzag(n0, widths)
    report = folding_analysis(net, Domain.box(n0, 0, 1))
    assert report.recursion_matches
    formula = montufar2014_lower_expr(len(widths))
    values = {N0: n0, **dict(zip(width_symbols(len(widths)), widths))}
    product_form = folding_product(report)
    assert sp.Eq(product_form.doit(), evaluate(formula, values)) is sp.true
    assert report.activation_regions == count_regions(net, Domain.box(n0, 0, 1)).activation_regions
    for depth, layer in enumerate(report.layers[:-1]):
        assert layer.distinct_images == 1
        assert layer.children == ((widths[depth] // n0) ** n0,)


@pytest.mark.parametrize("n0,rank,depth", [(1, 2, 3), (2, 2, 2), (2, 3, 2), (1, 2, 4), (3, 2, 2)])
def test_maxout_construction_recursion(n0, rank, depth):
    net = maxout_construction(n0, rank, depth)
    report = folding_analysis(net, Domain.box(n0, 0, 1))
    assert report.recursion_matches
    assert report.recursion_total == rank ** (depth - 1) * rank ** n0


def _cases():
    kinds = ["relu", "leaky_relu", "abs", "hardtanh", "maxout"]
    for i in range(30):
        rng = random.Random(77_000 + i)
        n0 = 1 + i % 3
        widths = [rng.randint(1, 3) for _ in range(rng.randint(1, 3))]
        net = random_network(rng, n0, widths, kinds[i % len(kinds)], i % 2 == 1, (1, 2), 1 if i % 3 else None)
        A, b = random_box(rng, n0)
        yield f"{i}:{kinds[i % len(kinds)]}:n0={n0}:w={widths}", net, A, b


CASES = list(_cases())


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_recursion_on_random_networks(case):
    name, net, A, b = case
    domain = Domain.from_inequalities(A, b)
    report = folding_analysis(net, domain)
    assert report.recursion_matches
    assert report.activation_regions == count_regions(net, domain).activation_regions
    assert all(sum(layer.multiplicities) == layer.cells for layer in report.layers)


def test_asymptotic_statements():
    checks = asymptotic_checks()
    assert checks and all(checks.values())


def test_folding_errors():
    net = Network.from_layers(1, [Affine.from_lists([[1]], [0]), ReLU()])
    with pytest.raises(DomainError, match="needs a bounded domain"):
        folding_analysis(net, Domain.whole(1))
    with pytest.raises(InputError, match="no activation layer"):
        folding_analysis(Network.from_layers(1, [Affine.from_lists([[1]], [0])]), Domain.box(1, 0, 1))
    with pytest.raises(InputError, match="dimension 2"):
        folding_analysis(net, Domain.box(2, 0, 1))
    two_images = folding_analysis(Network.mlp([[[1]], [[1]]], [[0], ["-1/2"]], final_activation="relu"),
                                  Domain.box(1, -1, 1))
    assert two_images.layers[0].distinct_images == 2
    with pytest.raises(InputError, match="one image per layer"):
        folding_product(two_images)


def test_folding_command(tmp_path, capsys):
    import json

    path = tmp_path / "z.json"
    rectifier_zigzag(2, [4, 4, 3]).save(path)
    assert cli.main(["folding", str(path), "--box", "0", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["recursion_matches"] is True and data["recursion_total"] == data["activation_regions"] == 112
    assert [layer["distinct_images"] for layer in data["layers"]][:2] == [1, 1]
    assert cli.main(["folding", str(path), "--box", "0", "1"]) == 0
    assert "recursion matches:   yes" in capsys.readouterr().out
    assert cli.main(["folding", str(path)]) == 2
    assert "needs a bounded domain" in capsys.readouterr().err


def test_layers_are_numbered_by_activation_layer(capsys, tmp_path):
    """One numbering for users: the activation layer's number, the file position beside it."""
    net = rectifier_zigzag(1, [2, 2, 2])
    report = folding_analysis(net, Domain.box(1, 0, 1))
    assert [(layer.layer, layer.index) for layer in report.layers] == [(1, 1), (2, 3), (3, 5)]
    assert [(d["layer"], d["index"]) for d in report.to_json()["layers"]] == [(1, 1), (2, 3), (3, 5)]
    path = tmp_path / "zigzag.json"
    net.save(path)
    assert cli.main(["folding", str(path), "--box", "0", "1"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("layer ")]
    assert [line.split(":")[0] for line in lines] == ["layer 1", "layer 2", "layer 3"]
