"""The region adjacency graph and its linear-region quotient.

One node per activation region, one edge per pair of regions that share an
(n0-1)-dimensional face. Neighbours come from the enumeration itself
(:mod:`polyregions.adjacency`): each facet of each region names the region across
it, so the cost grows with the number of regions and facets, never with the square
of the region count.

Every attribute is a string, an int or a bool, so the graph survives GraphML, GEXF
and node-link JSON unchanged (see :mod:`polyregions.graph_io`).

Node attributes: ``pattern`` (the key), ``interior_point`` (comma-separated exact
``p/q``), ``bounded``, ``linear_region`` (an int, the same for the activation regions
of one linear region) and, on request, ``output_map`` and ``inequalities`` (JSON
text with exact strings). Edge attributes: ``units`` (the units whose state differs,
``layer:unit`` with the index of the activation layer in the network file, separated
by spaces), ``hyperplane`` (the shared face's hyperplane ``a . x = b`` as the
primitive integer vector ``a_1,...,a_n,b``, first nonzero entry positive),
``face_point`` (an exact point in the relative interior of the shared face) and
``same_map`` (whether both regions have the identical output map).
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Callable, Iterable, Sequence

import networkx as nx

from .adjacency import facet_neighbors
from .domain import Domain
from .engine import enumerate_regions
from .network import Affine, Network
from .numbers import format_rational, int_text
from .polyhedron import oriented_key
from .regions import Region, pattern_key

__all__ = ["region_graph", "linear_region_graph", "differing_units", "format_point"]


def format_point(point: Iterable[Fraction]) -> str:
    """Comma-separated exact coordinates.

    Examples
    --------
    >>> format_point([Fraction(1, 2), Fraction(-3)])
    '1/2,-3'
    """
    return ",".join(format_rational(v) for v in point)


def _layer_indices(network: Network) -> list[int]:
    return [i for i, layer in enumerate(network.layers) if not isinstance(layer, Affine)]


def differing_units(first: Sequence[str], second: Sequence[str], layers: Sequence[int]) -> str:
    """The units whose state differs, as ``layer:unit`` separated by spaces.

    Examples
    --------
    >>> differing_units(("+-+", "0,1"), ("++-", "0,2"), [1, 3])
    '1:1 1:2 3:1'
    """
    out = []
    for layer, a, b in zip(layers, first, second):
        states_a = a.split(",") if "," in a or "," in b else list(a)
        states_b = b.split(",") if "," in a or "," in b else list(b)
        out += [f"{layer}:{u}" for u, (x, y) in enumerate(zip(states_a, states_b)) if x != y]
    return " ".join(out)


def _hyperplane(region: Region, row: int) -> str:
    slack = region.cell.rows[row]
    a = [-v for v in slack[:-1]]
    key = oriented_key(a + [slack[-1]])
    return ",".join(map(int_text, key))


def region_graph(network: Network, domain: Domain | None = None, *, maps: bool = False,
                 inequalities: bool = False,
                 on_region: Callable[[Region], None] | None = None) -> nx.Graph:
    """The region adjacency graph of *network* on *domain* (default all of R^n0).

    Parameters
    ----------
    maps
        Add each node's exact output map as JSON text (attribute ``output_map``).
    inequalities
        Add each node's irredundant inequalities as JSON text (``inequalities``).
    on_region
        Called with every region as it is enumerated, so that a caller that also
        needs the regions (the plots) does not enumerate twice.

    Notes
    -----
    One pass of the enumeration; each facet is visited once from each side and the
    edge's attributes are computed from the first side seen. Linear regions are the
    components of the edges with ``same_map``; the graph attribute
    ``linear_regions`` holds their number and ``activation_regions`` the node count.

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> g = region_graph(net)
    >>> sorted(g.nodes), g.graph["linear_regions"]
    (['+-', '-+'], 1)
    >>> g.edges["+-", "-+"]["hyperplane"], g.edges["+-", "-+"]["units"]
    ('1,0', '1:0 1:1')
    """
    if domain is None:
        domain = Domain.whole(network.input_dim)
    layers = _layer_indices(network)
    graph = nx.Graph(input_dim=network.input_dim, domain=domain.describe())
    map_ids: dict[tuple, int] = {}
    node_map: dict[str, int] = {}
    for region in enumerate_regions(network, domain):
        if on_region is not None:
            on_region(region)
        key = region.key
        map_id = map_ids.setdefault(region.map_key(), len(map_ids))
        node_map[key] = map_id
        attrs = {"pattern": key, "interior_point": format_point(region.interior_point),
                 "bounded": region.bounded}
        if maps:
            attrs["output_map"] = json.dumps(region.output_map.to_json(), separators=(",", ":"))
        if inequalities:
            rows = region.inequalities
            attrs["inequalities"] = json.dumps(
                {"A": [[int_text(v) for v in a] for a, _ in rows], "b": [int_text(b) for _, b in rows]},
                separators=(",", ":"))
        graph.add_node(key, **attrs)
        for row, other in facet_neighbors(region):
            if other is None:
                continue
            other_key = pattern_key(other)
            if graph.has_edge(key, other_key):
                continue
            graph.add_edge(key, other_key, units=differing_units(region.pattern, other, layers),
                           hyperplane=_hyperplane(region, row),
                           face_point=format_point(region.cell.face_point(row)))
    _label_linear_regions(graph, node_map)
    return graph


def _label_linear_regions(graph: nx.Graph, node_map: dict[str, int]) -> None:
    """Set ``same_map`` on edges and ``linear_region`` on nodes (numbered by first node)."""
    parent = {key: key for key in graph.nodes}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for a, b, data in graph.edges(data=True):
        same = node_map[a] == node_map[b]
        data["same_map"] = same
        if same:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    ids: dict[str, int] = {}
    for key in graph.nodes:
        graph.nodes[key]["linear_region"] = ids.setdefault(find(key), len(ids))
    graph.graph["activation_regions"] = graph.number_of_nodes()
    graph.graph["linear_regions"] = len(ids)


def linear_region_graph(graph: nx.Graph) -> nx.Graph:
    """The quotient graph: one node per linear region of a :func:`region_graph`.

    Node ``L<i>`` has ``size`` (its number of activation regions), ``members`` (their
    keys, space separated), ``interior_point`` (that of its first activation region)
    and ``output_map`` when the region graph has maps. Two linear regions are joined
    when some of their activation regions are adjacent; ``faces`` counts those pairs.

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> q = linear_region_graph(region_graph(net))
    >>> dict(q.nodes(data="size"))
    {'L0': 2}
    """
    quotient = nx.Graph(**graph.graph)
    for key, data in graph.nodes(data=True):
        name = f"L{data['linear_region']}"
        if name not in quotient:
            attrs = {"size": 0, "members": key, "interior_point": data["interior_point"]}
            if "output_map" in data:
                attrs["output_map"] = data["output_map"]
            quotient.add_node(name, **attrs)
        else:
            quotient.nodes[name]["members"] += " " + key
        quotient.nodes[name]["size"] += 1
    for a, b in graph.edges:
        la, lb = f"L{graph.nodes[a]['linear_region']}", f"L{graph.nodes[b]['linear_region']}"
        if la == lb:
            continue
        if quotient.has_edge(la, lb):
            quotient.edges[la, lb]["faces"] += 1
        else:
            quotient.add_edge(la, lb, faces=1)
    return quotient
