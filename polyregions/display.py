"""Results in a notebook: HTML tables, a regions DataFrame, inline region plots, volumes.

- :class:`~polyregions.counting.RegionCounts`, :class:`~polyregions.regions.Region`
  and the graphs of :func:`~polyregions.graph.region_graph` show themselves in Jupyter
  as small tables (``_repr_html_``, built here);
- :func:`regions_table` lists the regions as a pandas DataFrame (pandas is optional);
- :func:`plot_regions` returns a :class:`RegionPlot` that Jupyter shows inline as PNG
  (``_repr_png_``) and that saves to a file;
- :func:`region_volume` is the exact volume of a bounded region in dimension 1 to 3.

Numbers in the tables are exact strings (``"1/3"``); nothing here decides anything.
"""

from __future__ import annotations

import html
import io
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .domain import Domain
from .errors import InputError
from .network import Network, takes_models
from .numbers import counted, format_rational

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

    from .counting import RegionCounts
    from .regions import Region

__all__ = ["counts_html", "region_html", "graph_html", "regions_table", "region_volume", "plot_regions",
           "RegionPlot", "MAX_VOLUME_DIM"]

#: Largest dimension in which :func:`regions_table` computes exact volumes.
MAX_VOLUME_DIM = 3


def _table(rows: Iterable[tuple[str, Any]], caption: str) -> str:
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                   f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table><caption style='text-align:left'>{html.escape(caption)}</caption>{body}</table>"


def counts_html(counts: "RegionCounts") -> str:
    """A small HTML table of the counts, each labelled.

    Examples
    --------
    >>> from polyregions.counting import count_regions
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> "<td style='text-align:left'>2</td>" in counts_html(count_regions(net))
    True
    """
    rows = [("activation regions", counts.activation_regions)]
    if counts.linear_regions is not None:
        rows.append(("linear regions", counts.linear_regions))
    rows += [("bounded regions", counts.bounded_regions), ("domain", counts.domain.describe())]
    return _table(rows, "region counts (exact)")


def _point(point: Sequence[Fraction]) -> str:
    return "(" + ", ".join(format_rational(v) for v in point) + ")"


def _map_text(region: "Region", names: Sequence[str]) -> list[str]:
    from .explorer import format_affine

    m = region.output_map
    return [format_affine(row, b, names) for row, b in zip(m.weight, m.bias)]


def region_html(region: "Region") -> str:
    """A small HTML table of one region: pattern, boundedness, interior point, output map, facets."""
    names = [f"x{i + 1}" for i in range(region.dim)]
    maps = _map_text(region, names)
    rows: list[tuple[str, Any]] = [("pattern", region.key), ("bounded", region.bounded),
                                   ("interior point", _point(region.interior_point))]
    rows += [(f"output {k}" if len(maps) > 1 else "output", text) for k, text in enumerate(maps[:8])]
    if len(maps) > 8:
        rows.append(("outputs", f"... {len(maps) - 8} more"))
    rows.append(("facets", len(region.inequalities)))
    volume = region_volume(region) if region.bounded and region.dim <= MAX_VOLUME_DIM else None
    if volume is not None:
        rows.append(("volume", format_rational(volume)))
    return _table(rows, "activation region")


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
    return _table(rows, "region adjacency graph")


# ---------------------------------------------------------------------------- volumes


def _ccw(points: Sequence[tuple[Fraction, Fraction]]) -> list[tuple[Fraction, Fraction]]:
    from .plot import ccw_order

    n = len(points)
    center = (sum((p[0] for p in points), Fraction(0)) / n, sum((p[1] for p in points), Fraction(0)) / n)
    return ccw_order(points, center)


def _area(points: Sequence[tuple[Fraction, Fraction]]) -> Fraction:
    from .plot import polygon_area

    return abs(polygon_area(_ccw(points)))


def polytope_volume(vertices: Sequence[Sequence[Fraction]], facets: Sequence[tuple[Sequence[int], int]]
                    ) -> Fraction:
    """The exact volume of a full-dimensional polytope in R^1, R^2 or R^3.

    *vertices* are its vertices and *facets* its facet inequalities ``a . x <= b``.
    Three dimensions: a pyramid from the vertex centroid over each facet, the facet
    fanned into triangles (vertices ordered in a coordinate projection).

    Examples
    --------
    >>> F = Fraction
    >>> cube = [(F(a), F(b), F(c)) for a in (0, 1) for b in (0, 2) for c in (0, 3)]
    >>> facets = [((-1, 0, 0), 0), ((1, 0, 0), 1), ((0, -1, 0), 0), ((0, 1, 0), 2), ((0, 0, -1), 0), ((0, 0, 1), 3)]
    >>> polytope_volume(cube, facets)
    Fraction(6, 1)
    >>> polytope_volume([(F(0), F(0)), (F(1), F(0)), (F(0), F(1))], [])
    Fraction(1, 2)
    """
    dim = len(vertices[0])
    if dim == 1:
        return max(v[0] for v in vertices) - min(v[0] for v in vertices)
    if dim == 2:
        return _area([(v[0], v[1]) for v in vertices])
    if dim != 3:
        raise InputError(f"exact volumes are computed in dimensions 1 to 3, not {dim}")
    n = len(vertices)
    center = [sum((v[i] for v in vertices), Fraction(0)) / n for i in range(3)]
    total = Fraction(0)
    for a, b in facets:
        on = [v for v in vertices if sum(c * x for c, x in zip(a, v)) == b]
        if len(on) < 3:
            continue
        k = max(range(3), key=lambda i: abs(a[i]))
        keep = [i for i in range(3) if i != k]
        lift = {(v[keep[0]], v[keep[1]]): v for v in on}
        ordered = [lift[p] for p in _ccw(list(lift))]
        for i in range(1, len(ordered) - 1):
            p, q, r = (tuple(x - c for x, c in zip(v, center)) for v in (ordered[0], ordered[i], ordered[i + 1]))
            det = (p[0] * (q[1] * r[2] - q[2] * r[1]) - p[1] * (q[0] * r[2] - q[2] * r[0])
                   + p[2] * (q[0] * r[1] - q[1] * r[0]))
            total += abs(det) / 6
    return total


def region_volume(region: "Region") -> Fraction | None:
    """The exact volume of a bounded region in dimension 1 to 3; None otherwise.

    Examples
    --------
    >>> from polyregions.engine import enumerate_regions
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> sorted(region_volume(r) for r in enumerate_regions(net, Domain.box(2, 0, "1/2")))
    [Fraction(1, 4)]
    """
    if not region.bounded or region.dim > MAX_VOLUME_DIM:
        return None
    return polytope_volume(region.cell.vertices(), region.inequalities)


# ---------------------------------------------------------------------------- tables


@takes_models("network")
def regions_table(network: Network, domain: Domain | None = None, *, volume: bool = True,
                  limit: int | None = None) -> Any:
    """The activation regions as a pandas DataFrame, one row per region.

    Columns: ``pattern`` (the key), ``bounded``, ``interior_point`` (exact, as text),
    ``output_map`` (the exact affine output map as text, outputs separated by ``;``),
    ``facets`` (irredundant inequalities), and, with *volume* and a bounded region in
    dimension 1 to 3, ``volume`` (exact text) and ``volume_float`` (for sorting and
    plotting only). *limit* stops after that many regions.

    Raises
    ------
    InputError
        Without pandas (one line that says how to install it).

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> table = regions_table(net, Domain.box(2, -1, 1))
    >>> table[["pattern", "bounded", "interior_point", "volume"]].to_string(index=False)
    'pattern  bounded interior_point volume\\n     ++     True     (1/2, 1/2)      1\\n     +-     True    (1/2, -1/2)      1\\n     -+     True    (-1/2, 1/2)      1\\n     --     True   (-1/2, -1/2)      1'
    """
    try:
        import pandas as pd
    except ImportError:
        raise InputError("regions_table needs pandas: pip install pandas (or pip install -e '.[notebook]' "
                         "from the clone)") from None
    from .engine import enumerate_regions

    names = [f"x{i + 1}" for i in range(network.input_dim)]
    rows = []
    for region in enumerate_regions(network, domain):
        vol = region_volume(region) if volume else None
        rows.append({"pattern": region.key, "bounded": region.bounded,
                     "interior_point": _point(region.interior_point),
                     "output_map": "; ".join(_map_text(region, names)),
                     "facets": len(region.inequalities),
                     "volume": None if vol is None else format_rational(vol),
                     "volume_float": None if vol is None else float(vol)})
        if limit is not None and len(rows) >= limit:
            break
    columns = ["pattern", "bounded", "interior_point", "output_map", "facets", "volume", "volume_float"]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------- plots


class RegionPlot:
    """A region plot that Jupyter shows inline (PNG) and that saves to .png, .svg or .pdf.

    Attributes: ``figure`` (matplotlib, on the Agg canvas) and ``summary``
    (:class:`~polyregions.plot.PlotSummary`).
    """

    def __init__(self, figure: Any, summary: Any) -> None:
        self.figure = figure
        self.summary = summary

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
        return buffer.getvalue()

    def save(self, path: str | Path) -> None:
        """Write the figure atomically; the extension picks the format."""
        from .plot import save_figure

        save_figure(self.figure, path)

    def __repr__(self) -> str:
        return (f"RegionPlot({counted(self.summary.activation_regions, 'activation region')}, "
                f"{counted(self.summary.linear_regions, 'linear region')} on {self.summary.domain.describe()})")


@takes_models("network")
def plot_regions(network: Network, domain: Domain | None = None, **options: Any) -> RegionPlot:
    """The regions of a 2-input network (the function of a 1-input one) as an inline plot.

    *options* are those of :func:`polyregions.plot.figure_regions` (``graph``,
    ``heatmap``, ``level_set``, ``title``) or :func:`~polyregions.plot.figure_function`.
    The domain defaults to ``[-1, 1]^n``.

    Examples
    --------
    >>> plot = plot_regions(Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]]))
    >>> plot
    RegionPlot(4 activation regions, 4 linear regions on box [-1, 1]^2)
    >>> plot._repr_png_()[:4]
    b'\\x89PNG'
    """
    from .plot import figure_function, figure_regions

    if network.input_dim == 1:
        figure, summary = figure_function(network, domain, **options)
    elif network.input_dim == 2:
        figure, summary = figure_regions(network, domain, **options)
    else:
        raise InputError(f"plot_regions needs a network with 1 or 2 inputs, got {network.input_dim}: plot a "
                         "2-D slice (polyregions.slicing.slice_network)")
    return RegionPlot(figure, summary)
