"""The region adjacency graph against a slow check of every pair of regions."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import networkx as nx
import pytest

from polyregions.queries.count import count_regions
from polyregions.core.domain import Domain
from polyregions.errors import DomainError, InputError
from polyregions.queries.graph import linear_region_graph, region_graph
from polyregions.io.graphs import write_graph
from polyregions.core.layers import Affine, ReLU
from polyregions.core.network import Network
from polyregions.core.slices import slice_network

from tests.support.netgen import random_box, random_network
from tests.support.reference import reference_regions, share_facet


def _cases():
    kinds = ["relu", "leaky_relu", "abs", "hardtanh", "maxout", "mixed"]
    for i in range(100):
        rng = random.Random(31_000 + i)
        n0 = (2, 3, 4)[i % 3]
        kind = kinds[i % len(kinds)]
        depth = rng.randint(1, 2)
        widths = [rng.randint(1, {2: 4, 3: 3, 4: 3}[n0]) for _ in range(depth)]
        if kind == "maxout":
            widths = [min(w, 2) for w in widths]
        activation = ([rng.choice(kinds[:4]) for _ in widths] if kind == "mixed" else kind)
        degenerate = i % 2 == 1
        net = random_network(rng, n0, widths, activation, degenerate, (1, 2), 1 if i % 4 else None)
        A, b = random_box(rng, n0) if i % 3 == 1 else ([], [])
        yield f"{i}:{kind}:n0={n0}:w={widths}:{'degenerate' if degenerate else 'generic'}", net, A, b


CASES = list(_cases())


def _domain(net, A, b):
    return Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)


def _point(text):
    return tuple(Fraction(v) for v in text.split(","))


def _closed(point, rows):
    return all(sum(Fraction(c) * x for c, x in zip(a, point)) <= rhs for a, rhs in rows)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_edges_equal_the_pairwise_check(case):
    name, net, A, b = case
    n = net.input_dim
    graph = region_graph(net, _domain(net, A, b), inequalities=True)
    regions = reference_regions(net, A, b)
    assert set(graph.nodes) == {r.key for r in regions}
    expected = {frozenset((r.key, s.key)) for i, r in enumerate(regions) for s in regions[i + 1:]
                if share_facet(r, s, n)}
    assert {frozenset(e) for e in graph.edges} == expected
    rows = {key: json.loads(data["inequalities"]) for key, data in graph.nodes(data=True)}
    for u, v, data in graph.edges(data=True):
        point = _point(data["face_point"])
        plane = [int(x) for x in data["hyperplane"].split(",")]
        assert sum(c * x for c, x in zip(plane[:-1], point)) == plane[-1]
        for key in (u, v):
            ineq = list(zip([[int(x) for x in a] for a in rows[key]["A"]], [int(x) for x in rows[key]["b"]]))
            assert _closed(point, ineq), f"face point of {u}~{v} is outside {key}"
        assert data["units"], "adjacent regions with one pattern"


def _general_position_network(seed, n0, widths):
    """Weights drawn from a wide range: general position with overwhelming probability
    (small integers make parallel rows by accident, which is degenerate on purpose elsewhere)."""
    rng = random.Random(seed)
    sizes = [n0] + list(widths)
    weights = [[[Fraction(rng.randint(-999, 999), rng.randint(1, 97)) for _ in range(sizes[i])]
                for _ in range(sizes[i + 1])] for i in range(len(widths))]
    biases = [[Fraction(rng.randint(-999, 999), rng.randint(1, 97)) for _ in range(sizes[i + 1])]
              for i in range(len(widths))]
    return Network.mlp(weights, biases, final_activation="relu")


@pytest.mark.parametrize("seed,n0,widths", [(1, 2, [5, 4]), (2, 3, [4, 3]), (3, 2, [3, 3, 3]),
                                            (4, 4, [4, 2]), (5, 3, [3, 3, 2])])
def test_general_position_edges_flip_one_unit(seed, n0, widths):
    net = _general_position_network(seed, n0, widths)
    graph = region_graph(net)
    assert graph.number_of_edges() > 0
    for _, _, units in graph.edges(data="units"):
        assert len(units.split()) == 1


@pytest.mark.parametrize("case", CASES[:40], ids=[c[0] for c in CASES[:40]])
def test_linear_regions_from_the_graph_equal_the_count(case):
    name, net, A, b = case
    domain = _domain(net, A, b)
    graph = region_graph(net, domain)
    counts = count_regions(net, domain)
    same = nx.Graph(e for e in graph.edges(data=True) if e[2]["same_map"])
    same.add_nodes_from(graph.nodes)
    assert nx.number_connected_components(same) == counts.linear_regions == graph.graph["linear_regions"]
    quotient = linear_region_graph(graph)
    assert quotient.number_of_nodes() == counts.linear_regions
    assert sum(size for _, size in quotient.nodes(data="size")) == counts.activation_regions
    ids = {data["linear_region"] for _, data in graph.nodes(data=True)}
    assert ids == set(range(counts.linear_regions))


def _strip(graph, drop=()):
    nodes = {n: {k: v for k, v in d.items() if k not in drop} for n, d in graph.nodes(data=True)}
    edges = {frozenset((u, v)): {k: v for k, v in d.items() if k not in drop}
             for u, v, d in graph.edges(data=True)}
    return nodes, edges


@pytest.mark.parametrize("merge", [False, True])
def test_exports_load_back_with_networkx(tmp_path, merge):
    name, net, A, b = CASES[5]
    graph = region_graph(net, _domain(net, A, b), maps=True, inequalities=True)
    if merge:
        graph = linear_region_graph(graph)
    write_graph(graph, tmp_path / "g.graphml")
    write_graph(graph, tmp_path / "g.gexf")
    write_graph(graph, tmp_path / "g.json")
    from_graphml = nx.read_graphml(tmp_path / "g.graphml")
    from_gexf = nx.read_gexf(tmp_path / "g.gexf")
    from_json = nx.node_link_graph(json.loads((tmp_path / "g.json").read_text()), edges="edges")
    assert _strip(from_graphml) == _strip(graph)
    assert _strip(from_gexf, ("label", "id")) == _strip(graph)
    assert _strip(from_json) == _strip(graph)
    assert from_json.graph == graph.graph
    assert {k: v for k, v in from_graphml.graph.items() if not k.endswith("_default")} == graph.graph


def test_unknown_export_format(tmp_path):
    graph = region_graph(CASES[0][1])
    with pytest.raises(InputError, match="unknown graph format '.txt'"):
        write_graph(graph, tmp_path / "g.txt")
    assert not (tmp_path / "g.txt").exists()


def test_export_rejects_unexportable_values(tmp_path):
    graph = nx.Graph()
    graph.add_node("a", value=1.5)
    with pytest.raises(InputError, match="node attribute 'value': cannot export a value of type float"):
        write_graph(graph, tmp_path / "g.graphml")
    graph.nodes["a"]["value"] = "x"
    graph.add_node("b", value=3)
    with pytest.raises(InputError, match="mixed value types"):
        write_graph(graph, tmp_path / "g.gexf")


def test_slice_equals_the_restricted_network():
    """The coordinate plane x3 = 1/2 through a 3-input network is the 2-input network with
    the third weight column folded into the bias."""
    rng = random.Random(5)
    net = random_network(rng, 3, [4, 3], "relu", False, (1, 2), 1)
    sliced = slice_network(net, [0, 0, "1/2"], [1, 0, "1/2"], [0, 1, "1/2"])
    first = net.layers[0]
    restricted = Network.from_layers(2, (Affine(tuple(row[:2] for row in first.weight),
                                                tuple(b + row[2] / 2 for row, b in zip(first.weight, first.bias))),)
                                     + net.layers[1:])
    box = Domain.box(2, -2, 2)
    assert count_regions(sliced, box) == count_regions(restricted, box)
    assert set(region_graph(sliced, box).nodes) == set(region_graph(restricted, box).nodes)


def test_slice_errors():
    net = Network.from_layers(3, [Affine.from_lists([[1, 0, 0]], [0]), ReLU()])
    with pytest.raises(DomainError, match="collinear"):
        slice_network(net, [0, 0, 0], [1, 1, 1], [2, 2, 2])
    with pytest.raises(DomainError, match="slice p1 has 2 coordinates, the network has 3 inputs"):
        slice_network(net, [0, 0, 0], [1, 1], [2, 2, 2])
    with pytest.raises(DomainError, match=r"slice p2\[0\]"):
        slice_network(net, [0, 0, 0], [1, 0, 0], ["nan", 1, 0])


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".json"])
def test_graph_command(tmp_path, capsys, suffix):
    from polyregions import cli

    model = tmp_path / "net.json"
    _general_position_network(7, 2, [4, 3]).save(model)
    out = tmp_path / f"g{suffix}"
    assert cli.main(["graph", str(model), "--box", "-1", "1", "-o", str(out)]) == 0
    readers = {".graphml": nx.read_graphml, ".gexf": nx.read_gexf,
               ".json": lambda p: nx.node_link_graph(json.loads(p.read_text()), edges="edges")}
    loaded = readers[suffix](out)
    counts = count_regions(Network.from_json(json.loads(model.read_text())), Domain.box(2, -1, 1))
    assert loaded.number_of_nodes() == counts.activation_regions
    merged = tmp_path / f"m{suffix}"
    assert cli.main(["graph", str(model), "--box", "-1", "1", "--merge", "-o", str(merged)]) == 0
    assert readers[suffix](merged).number_of_nodes() == counts.linear_regions
    assert f"wrote {counts.linear_regions} linear regions" in capsys.readouterr().out


def test_graph_command_errors(tmp_path, capsys):
    from polyregions import cli

    model = tmp_path / "net.json"
    _general_position_network(7, 3, [2]).save(model)
    assert cli.main(["graph", str(model), "-o", str(tmp_path / "g.txt")]) == 2
    assert capsys.readouterr().err.startswith("polyregions: error: ")
    assert cli.main(["count", str(model), "--slice", "0,0,0", "1,1,1", "2,2,2"]) == 2
    assert "collinear" in capsys.readouterr().err
    assert cli.main(["count", str(model), "--slice", "0,0", "1,0,0", "0,1,0"]) == 2
    assert "--slice P0: 2 coordinates" in capsys.readouterr().err
    assert cli.main(["count", str(model), "--slice", "0,0,0", "1,0,0", "0,1,0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["domain"]["kind"] == "box"
