"""The region adjacency graph and its linear-region quotient.

One node per activation region, one edge per pair of regions that share an
(n0-1)-dimensional face. Neighbours come from the enumeration itself
(:mod:`polyregions.search.adjacency`): each facet of each region names the region across
it, so the cost grows with the number of regions and facets, never with the square
of the region count.

Every attribute is a string, an int or a bool, so the graph survives GraphML, GEXF
and node-link JSON unchanged (see :mod:`polyregions.io.graphs`).

Node attributes: ``pattern`` (the key), ``interior_point`` (comma-separated exact
``p/q``), ``bounded``, ``linear_region`` (an int, the same for the activation regions
of one linear region) and, on request, ``output_map`` and ``inequalities`` (JSON
text with exact strings). Edge attributes: ``units`` (the units whose state differs,
``layer:unit`` with the activation layer's number, 1 for the first, and the unit's
place in that layer from 0, separated by spaces), ``hyperplane`` (the shared face's hyperplane ``a . x = b`` as the
primitive integer vector ``a_1,...,a_n,b``, first nonzero entry positive),
``face_point`` (an exact point in the relative interior of the shared face) and
``same_map`` (whether both regions have the identical output map).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import networkx as nx

from ..core.html import table
from ..search.adjacency import facet_neighbors
from ..core.domain import Domain
from ..search.engine import Search, enumerate_regions  # noqa: F401 (the doctests use it)
from ..errors import PolyregionsError
from ..run.jobs import Collector, JobSpec, ProgressCallback, Reducer
from ..core.network import Network
from ..io.models import takes_models
from ..rationals import counted, format_rational, int_text
from ..geometry.polyhedron import oriented_key
from ..search.reduce import LinearRegions, map_text
from ..search.regions import Region
from ..core.maps import pattern_key
from ..run.executors import run_search

__all__ = ["region_graph", "linear_region_graph", "differing_units", "format_point", "GraphSpec", "RegionGraph"]


class RegionGraph(nx.Graph):
    """A networkx graph that shows a summary table in Jupyter (``_repr_html_``)."""

    def _repr_html_(self) -> str:
        return graph_html(self)

    def __repr__(self) -> str:
        return f"RegionGraph({self.number_of_nodes()} nodes, {self.number_of_edges()} edges)"


def format_point(point: Iterable[Fraction]) -> str:
    """Comma-separated exact coordinates.

    Examples
    --------
    >>> format_point([Fraction(1, 2), Fraction(-3)])
    '1/2,-3'
    """
    return ",".join(format_rational(v) for v in point)


def differing_units(region: Region, other: Sequence[str]) -> str:
    """The units whose state differs between *region* and the pattern *other*.

    Written ``layer:unit`` separated by spaces, with the activation layer's number
    (1 for the first activation layer) and the unit's place in it (from 0); the
    activation rules read each layer's states, so a maxout index such as ``10`` is
    one unit.

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> region = next(enumerate_regions(net))
    >>> region.key, differing_units(region, ("-+",))
    ('+-', '1:0 1:1')
    """
    out = []
    for step, a, b in zip(region.trace, region.pattern, other):
        out += [f"{step.stage.ordinal}:{u}" for u in step.rules.differing_units(a, b)]
    return " ".join(out)


def _hyperplane(region: Region, row: int) -> str:
    a, b = region.cell.inequality(row)
    return ",".join(map(int_text, oriented_key(a + (b,))))


class GraphSpec(JobSpec):
    """The region graph's nodes and edges, in the serial order (see :func:`region_graph`)."""

    ordered = True

    def __init__(self, maps: bool = False, inequalities: bool = False) -> None:
        self.maps = maps
        self.inequalities = inequalities

    def identity(self) -> dict[str, Any]:
        return {"job": "graph", "maps": self.maps, "inequalities": self.inequalities}

    def collector(self, search: Search) -> "_GraphCollector":
        return _GraphCollector(self.maps, self.inequalities)


class _GraphCollector(Collector):
    """Per region: ``[key, node attributes, map text, [[neighbour, edge attributes], ...]]``.

    Edge attributes are computed from the first side seen; a neighbour seen earlier in
    the same task already did (its attributes are None here). A neighbour not seen in
    the task may come before it in another task, and then the attributes computed
    here are not used.
    """

    def __init__(self, maps: bool, inequalities: bool) -> None:
        self.maps = maps
        self.inequalities = inequalities
        self.seen: set[str] = set()
        self.nodes: list[list] = []
        self.bounded = 0

    def add(self, region: Region) -> None:
        key = region.key
        bounded = region.bounded
        self.bounded += bounded
        attrs: dict[str, Any] = {"pattern": key, "interior_point": format_point(region.interior_point),
                                 "bounded": bounded}
        if self.maps:
            attrs["output_map"] = json.dumps(region.output_map.to_json(), separators=(",", ":"))
        if self.inequalities:
            rows = region.inequalities
            attrs["inequalities"] = json.dumps(
                {"A": [[int_text(v) for v in a] for a, _ in rows], "b": [int_text(b) for _, b in rows]},
                separators=(",", ":"))
        edges = []
        for row, other in facet_neighbors(region):
            if other is None:
                continue
            other_key = pattern_key(other)
            if other_key in self.seen:
                edges.append([other_key, None])
                continue
            edges.append([other_key, {"units": differing_units(region, other),
                                      "hyperplane": _hyperplane(region, row),
                                      "face_point": format_point(region.cell.face_point(row))}])
        self.seen.add(key)
        self.nodes.append([key, attrs, map_text(region.map_rows, region.map_den), edges])

    def partial(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "bounded": self.bounded}


class _GraphBuilder(Reducer):
    def __init__(self, graph: nx.Graph) -> None:
        super().__init__()
        self.graph = graph
        self.linear = LinearRegions()

    def absorb(self, partial: dict[str, Any]) -> None:
        graph = self.graph
        for key, attrs, map_key, edges in partial["nodes"]:
            graph.add_node(key, **attrs)
            self.linear.add(key, map_key, [other for other, _ in edges])
            for other, data in edges:
                if graph.has_edge(key, other):
                    continue
                if data is None:
                    raise PolyregionsError(f"edge {key} ~ {other} without attributes (internal error)")
                graph.add_edge(key, other, **data)
        self.activation_regions += len(partial["nodes"])
        self.bounded_regions += partial["bounded"]

    def close(self) -> None:
        """Set ``same_map`` on edges and ``linear_region`` on nodes (numbered by first node)."""
        graph, linear = self.graph, self.linear
        for a, b, data in graph.edges(data=True):
            data["same_map"] = linear.map_of(a) == linear.map_of(b)
        ids: dict[int, int] = {}
        for key in graph.nodes:
            graph.nodes[key]["linear_region"] = ids.setdefault(linear.component(key), len(ids))
        graph.graph["activation_regions"] = graph.number_of_nodes()
        graph.graph["linear_regions"] = len(ids)


@takes_models("network")
def region_graph(network: Network, domain: Domain | None = None, *, maps: bool = False,
                 inequalities: bool = False, on_region: Callable[[Region], None] | None = None,
                 jobs: int = 1, scheduler: str | None = None, checkpoint: str | Path | None = None,
                 progress: ProgressCallback | None = None, task_seconds: float | None = None) -> nx.Graph:
    """The region adjacency graph of *network* on *domain* (default all of R^n0).

    Parameters
    ----------
    maps
        Add each node's exact output map as JSON text (attribute ``output_map``).
    inequalities
        Add each node's irredundant inequalities as JSON text (``inequalities``).
    on_region
        Called with every region as it is enumerated, so that a caller that also
        needs the regions (the plots) does not enumerate twice (serial runs only).
    jobs, scheduler, checkpoint, progress, task_seconds
        Where and how the search runs: see :func:`polyregions.run.executors.run_search`.
        The graph, its node and edge order and every attribute do not depend on them.

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
    search = Search(network, domain)
    graph = RegionGraph(input_dim=network.input_dim, domain=search.domain.describe())
    run_search(search, GraphSpec(maps, inequalities), _GraphBuilder(graph), jobs=jobs, scheduler=scheduler,
               checkpoint=checkpoint, progress=progress, task_seconds=task_seconds, on_region=on_region)
    return graph


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
    quotient = RegionGraph(**graph.graph)
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


def graph_html(graph: "nx.Graph") -> str:
    """A small HTML table summarising a region graph (or its linear-region quotient)."""
    merged = any(str(node).startswith("L") and "members" in data for node, data in graph.nodes(data=True))
    rows: list[tuple[str, Any]] = [("nodes", counted(graph.number_of_nodes(),
                                                     "linear region" if merged else "activation region")),
                                   ("edges", counted(graph.number_of_edges(), "adjacency"))]
    for key in ("activation_regions", "linear_regions", "domain", "input_dim", "note"):
        if key in graph.graph:
            rows.append((key.replace("_", " "), graph.graph[key]))
    if graph.number_of_nodes():
        degrees = [d for _, d in graph.degree()]
        rows.append(("degree min / mean / max",
                     f"{min(degrees)} / {sum(degrees) / len(degrees):.2f} / {max(degrees)}"))
    return table(rows, "region adjacency graph")
