"""Graph exports: GraphML, GEXF and networkx node-link JSON, streamed and atomic.

The writers walk the graph once and write text as they go, so a large graph is
never built a second time as an XML tree or a JSON document. Attribute values are
strings, ints and bools. networkx's own readers (``read_graphml``, ``read_gexf``,
``node_link_graph``) load the files back with the same nodes, edges and attributes;
``read_gexf`` adds its format's ``label`` (nodes) and ``id`` (edges) fields.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable

from ..core.html import escape_xml as escape, quote_attribute as quoteattr
from ..files import open_atomic
from ..errors import InputError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["write_graph", "FORMATS"]


def _kind(values: list[Any], place: str) -> str:
    kinds = set()
    for value in values:
        if isinstance(value, bool):
            kinds.add("boolean")
        elif isinstance(value, int):
            kinds.add("long")
        elif isinstance(value, str):
            kinds.add("string")
        else:
            raise InputError(f"{place}: cannot export a value of type {type(value).__name__}")
    if len(kinds) > 1:
        raise InputError(f"{place}: mixed value types {sorted(kinds)}")
    return kinds.pop() if kinds else "string"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _schema(items: list[dict], place: str) -> dict[str, str]:
    names: dict[str, list[Any]] = {}
    for data in items:
        for name, value in data.items():
            names.setdefault(name, []).append(value)
    return {name: _kind(values, f"{place} attribute {name!r}") for name, values in names.items()}


def _write_graphml(graph: nx.Graph, out: IO[str]) -> None:
    node_keys = _schema([d for _, d in graph.nodes(data=True)], "node")
    edge_keys = _schema([d for _, _, d in graph.edges(data=True)], "edge")
    graph_keys = _schema([graph.graph], "graph")
    out.write("<?xml version='1.0' encoding='utf-8'?>\n")
    out.write('<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
    ids: dict[tuple[str, str], str] = {}
    for scope, keys in (("graph", graph_keys), ("node", node_keys), ("edge", edge_keys)):
        for name, kind in keys.items():
            ident = f"d{len(ids)}"
            ids[scope, name] = ident
            out.write(f'  <key id="{ident}" for="{scope}" attr.name={quoteattr(name)} attr.type="{kind}" />\n')
    out.write('  <graph edgedefault="undirected">\n')
    for name, value in graph.graph.items():
        out.write(f'    <data key="{ids["graph", name]}">{escape(_text(value))}</data>\n')
    for node, data in graph.nodes(data=True):
        out.write(f"    <node id={quoteattr(str(node))}>")
        for name, value in data.items():
            out.write(f'<data key="{ids["node", name]}">{escape(_text(value))}</data>')
        out.write("</node>\n")
    for a, b, data in graph.edges(data=True):
        out.write(f"    <edge source={quoteattr(str(a))} target={quoteattr(str(b))}>")
        for name, value in data.items():
            out.write(f'<data key="{ids["edge", name]}">{escape(_text(value))}</data>')
        out.write("</edge>\n")
    out.write("  </graph>\n</graphml>\n")


def _write_gexf(graph: nx.Graph, out: IO[str]) -> None:
    node_keys = _schema([d for _, d in graph.nodes(data=True)], "node")
    edge_keys = _schema([d for _, _, d in graph.edges(data=True)], "edge")
    out.write("<?xml version='1.0' encoding='utf-8'?>\n")
    out.write('<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">\n')
    out.write('  <graph defaultedgetype="undirected" mode="static">\n')
    ids: dict[tuple[str, str], int] = {}
    for scope, keys in (("node", node_keys), ("edge", edge_keys)):
        out.write(f'    <attributes mode="static" class="{scope}">\n')
        for name, kind in keys.items():
            ids[scope, name] = len(ids)
            out.write(f'      <attribute id="{ids[scope, name]}" title={quoteattr(name)} type="{kind}" />\n')
        out.write("    </attributes>\n")

    def values(scope: str, data: dict) -> str:
        if not data:
            return ""
        parts = "".join(f'<attvalue for="{ids[scope, name]}" value={quoteattr(_text(value))} />'
                        for name, value in data.items())
        return f"<attvalues>{parts}</attvalues>"

    out.write("    <nodes>\n")
    for node, data in graph.nodes(data=True):
        label = quoteattr(str(node))
        out.write(f"      <node id={label} label={label}>{values('node', data)}</node>\n")
    out.write("    </nodes>\n    <edges>\n")
    for index, (a, b, data) in enumerate(graph.edges(data=True)):
        out.write(f'      <edge id="{index}" source={quoteattr(str(a))} target={quoteattr(str(b))}>'
                  f"{values('edge', data)}</edge>\n")
    out.write("    </edges>\n  </graph>\n</gexf>\n")


def _write_json(graph: nx.Graph, out: IO[str]) -> None:
    """networkx node-link format (``nx.node_link_graph(data, edges="edges")`` reads it)."""
    dump = json.dumps
    out.write('{"directed": false, "multigraph": false, "graph": ')
    out.write(dump(graph.graph))
    out.write(', "nodes": [')
    for i, (node, data) in enumerate(graph.nodes(data=True)):
        out.write(("," if i else "") + "\n" + dump({**data, "id": node}))
    out.write('\n], "edges": [')
    for i, (a, b, data) in enumerate(graph.edges(data=True)):
        out.write(("," if i else "") + "\n" + dump({**data, "source": a, "target": b}))
    out.write("\n]}\n")


FORMATS: dict[str, Callable[[nx.Graph, IO[str]], None]] = {
    ".graphml": _write_graphml,
    ".gexf": _write_gexf,
    ".json": _write_json,
}


def write_graph(graph: nx.Graph, path: str | Path) -> None:
    """Write *graph* to *path* atomically; the extension picks the format.

    ``.graphml``, ``.gexf`` or ``.json`` (networkx node-link).
    """
    suffix = Path(path).suffix.lower()
    writer = FORMATS.get(suffix)
    if writer is None:
        raise InputError(f"{path}: unknown graph format {suffix or '(none)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    with open_atomic(path) as handle:
        writer(graph, handle)
