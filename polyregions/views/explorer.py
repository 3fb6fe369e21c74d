"""The interactive region explorer: one self-contained HTML file (plotly).

``polyregions plot MODEL [DOMAIN] -o regions.html`` and :func:`write_explorer` draw
the exact activation regions of a 2-input network (or of a 2-D slice) as polygons,
filled by linear region as in the static plots. In the browser:

- hovering a region shows its pattern, its linear region, the exact affine output
  map, its exact interior point and its exact area;
- clicking a region (or its interior-point marker) selects it: its neighbours in the
  region adjacency graph are highlighted, the other regions fade, and a panel below
  the plot lists the selection; clicking it again, or empty space, clears it;
- the legend toggles the boundaries of each activation layer (and the domain's).

The geometry is exact (:func:`polyregions.views.plot.region_polygons`); coordinates become
floats only in the file. The file embeds plotly.js (about 4.7 MB), so it opens
without network access. plotly is an optional dependency imported inside these
functions (``pip install -e '.[plot]'`` from the clone).
"""

from __future__ import annotations

import html
import json
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..files import write_text_atomic
from ..core.domain import Domain
from ..errors import InputError
from ..core.network import Network
from ..io.models import takes_models
from ..core.maps import format_affine, short_text
from ..rationals import counted
from .images import DIRECTIONS, SliceImages, corner_labels
from .plot import (DECISION_COLOR, PALETTE, PlotSummary, Polygon, LAYER_STYLES, layer_names, merged_boundaries,
                   polygons_and_graph, decision_segments, level_segment, linear_region_colors, polygon_area, view_box)

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

__all__ = ["explorer_figure", "explorer_html", "write_explorer", "format_affine", "require_plotly", "Explorer"]

_MISSING = "the HTML explorer needs plotly: pip install -e '.[plot]' (from the clone)"

#: plotly dash names for the line styles of the static plots, layer by layer.
_DASHES = ("solid", "dash", "dashdot", "dot", "longdashdot")

#: The id of the plot's div in the HTML file (the script and the tests find it by it).
DIV_ID = "polyregions-explorer"


def require_plotly() -> None:
    """Raise :class:`~polyregions.errors.InputError` with the install hint when plotly is missing."""
    try:
        import plotly  # noqa: F401
    except ImportError:
        raise InputError(_MISSING) from None



def _point_text(point: Sequence[Fraction], digits: int | None = None) -> str:
    return "(" + ", ".join(short_text(v, digits) for v in point) + ")"


#: Longest exact number shown in a hover label (longer ones as ~ and 6 digits; the
#: selection panel shows every number exactly).
HOVER_DIGITS = 16


def _hover(polygon: Polygon, names: Sequence[str], outputs: int, digits: int | None = None) -> str:
    lines = [f"<b>pattern {html.escape(polygon.key)}</b>", f"linear region L{polygon.linear_region}"]
    m = polygon.output_map
    shown = min(outputs, 4)
    for k in range(shown):
        label = "output" if outputs == 1 else f"output {k}"
        lines.append(f"{label} = {html.escape(format_affine(m.weight[k], m.bias[k], names, digits))}")
    if outputs > shown:
        lines.append(f"... ({outputs - shown} more outputs)")
    lines.append(f"interior point {_point_text(polygon.interior_point, digits)}")
    lines.append(f"area {short_text(polygon_area(polygon.vertices), digits)}")
    if digits is not None and any("~" in line for line in lines):
        lines.append("(~: rounded for display; click for the exact numbers)")
    return "<br>".join(lines)


def _closed(vertices: Sequence[tuple[Fraction, Fraction]]) -> tuple[list[float], list[float]]:
    xs = [float(v[0]) for v in vertices] + [float(vertices[0][0])]
    ys = [float(v[1]) for v in vertices] + [float(vertices[0][1])]
    return xs, ys


def _segments_trace(segments: Sequence[tuple[Any, Any, Any]], name: str) -> "go.Scatter":
    """One line trace of exact segments (floats for drawing only), in the decision boundary's colour."""
    import plotly.graph_objects as go

    xs: list[float | None] = []
    ys: list[float | None] = []
    for p, q, _ in segments:
        xs += [float(p[0]), float(q[0]), None]
        ys += [float(p[1]), float(q[1]), None]
    return go.Scatter(x=xs, y=ys, mode="lines", line={"color": DECISION_COLOR, "width": 2.4}, name=name,
                      hoverinfo="skip")


#: A thumbnail's side as a share of the view's larger side.
THUMBNAIL_SHARE = 0.16


def _add_images(figure: "go.Figure", network: Network, images: SliceImages, polygons: Sequence[Polygon]
                ) -> tuple[list[float], list[float]]:
    """The slice points' images as layout images (SVG data URIs) beside their points, labelled with
    their exact classes, and a marker at each point; returns the x and y ranges that show them all."""
    import plotly.graph_objects as go

    view = view_box(polygons)
    x_low, x_high, y_low, y_high = (float(v) for v in view)
    size = THUMBNAIL_SHARE * max(x_high - x_low, y_high - y_low)
    gap = size / 8
    anchors = images.anchors(view)
    xs, ys = [x_low, x_high], [y_low, y_high]
    for uri, label, (anchor, moved), (dx, dy) in zip(images.svg_uris(), corner_labels(network), anchors, DIRECTIONS):
        x, y = float(anchor[0]) + dx * gap, float(anchor[1]) + dy * gap
        figure.add_layout_image(source=uri, xref="x", yref="y", x=x, y=y, sizex=size, sizey=size,
                                xanchor="right" if dx < 0 else "left", yanchor="top" if dy < 0 else "bottom",
                                sizing="stretch", layer="above", name=label.split(":")[0])
        text = label + (" (outside the view)" if moved else "")
        figure.add_annotation(x=x + dx * size / 2, y=y + dy * size, yanchor="bottom" if dy > 0 else "top",
                              text=text, showarrow=False, font={"size": 11})  # the label beyond the image
        xs.append(x + dx * size)
        ys.append(y + dy * (size + 2 * gap))
    figure.add_trace(go.Scatter(x=[float(a[0]) for a, _ in anchors], y=[float(a[1]) for a, _ in anchors],
                                mode="markers", marker={"symbol": "square", "size": 7, "color": "black"},
                                name=images.caption([moved for _, moved in anchors]).replace("images: ", "images at "),
                                hoverinfo="skip"))
    pad = gap
    return [min(xs) - pad, max(xs) + pad], [min(ys) - pad, max(ys) + pad]


def explorer_figure(network: Network, domain: Domain | None = None, *, title: str | None = None,
                    domain_label: str | None = None, axis_labels: tuple[str, str] = ("x1", "x2"),
                    level_set: bool = False, decision: bool = False, images: SliceImages | None = None
                    ) -> tuple["go.Figure", PlotSummary, dict[str, Any]]:
    """The explorer's plotly figure, its summary, and the data its script needs.

    *level_set* draws ``output_1 = 0``, *decision* the decision boundary (where the argmax
    changes; for one output the level set), both exact segments of
    :func:`~polyregions.views.plot.decision_segments`. *images*
    (:class:`~polyregions.views.images.SliceImages`) draws the slice points' images beside
    P0 (0, 0), P1 (1, 0) and P2 (0, 1).

    The data are ``keys`` (the region of each of the first ``len(keys)`` traces),
    ``neighbors`` (for each region, the indices of the adjacent regions) and
    ``details`` (each region's description with every number exact, for the selection
    panel; the hover labels round numbers longer than :data:`HOVER_DIGITS` characters).
    """
    require_plotly()
    import plotly.graph_objects as go

    if network.input_dim != 2:
        raise InputError(f"the explorer needs a 2-input view, got a network with {network.input_dim} "
                         "input(s): take a 2-D --slice")
    if domain is None:
        domain = Domain.box(2, -1, 1)
    polygons, graph = polygons_and_graph(network, domain)
    colors = linear_region_colors(graph)
    names = list(axis_labels)
    outputs = network.output_dim
    index = {p.key: i for i, p in enumerate(polygons)}
    neighbors = [sorted(index[other] for other in graph.neighbors(p.key)) for p in polygons]
    details = [_hover(p, names, outputs) for p in polygons]
    hovers = [_hover(p, names, outputs, HOVER_DIGITS) for p in polygons]
    figure = go.Figure()
    for polygon, text in zip(polygons, hovers):
        xs, ys = _closed(polygon.vertices)
        figure.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", fill="toself", hoveron="fills", hoverinfo="text", text=text,
            fillcolor=PALETTE[colors[polygon.linear_region] % len(PALETTE)],
            line={"width": 0.5, "color": "rgba(0,0,0,0.15)"}, name=polygon.key, showlegend=False))
    ordinals = layer_names(network)
    boundaries = merged_boundaries(polygons)
    for source in sorted(boundaries, key=lambda s: (s != "domain", -1 if s == "domain" else s)):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for p, q in boundaries[source]:
            xs += [float(p[0]), float(q[0]), None]
            ys += [float(p[1]), float(q[1]), None]
        if source == "domain":
            line = {"color": "black", "width": 1.2}
            name = "domain boundary"
        else:
            ordinal = ordinals.get(source, 0)
            color, _ = LAYER_STYLES[(ordinal - 1) % len(LAYER_STYLES)]
            line = {"color": color, "width": 1.6, "dash": _DASHES[(ordinal - 1) % len(_DASHES)]}
            name = f"layer {ordinal} boundary"
        figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=line, name=name, hoverinfo="skip"))
    if level_set and not (decision and outputs == 1):
        level = [(*segment, (0,)) for segment in map(level_segment, polygons) if segment is not None]
        figure.add_trace(_segments_trace(level, "output 0 = 0"))
    if decision:
        figure.add_trace(_segments_trace(decision_segments(polygons), "output 0 = 0" if outputs == 1 else
                                         "decision boundary (argmax changes)"))
    ranges = _add_images(figure, network, images, polygons) if images is not None else None
    points = [polygon.interior_point for polygon in polygons]
    figure.add_trace(go.Scatter(
        x=[float(p[0]) for p in points], y=[float(p[1]) for p in points], mode="markers",
        marker={"size": 5, "color": "white", "line": {"color": "black", "width": 0.8}},
        hoverinfo="text", text=hovers, name="interior points (click to select)"))
    summary = PlotSummary(len(polygons), graph.graph["linear_regions"], domain)
    info = (f"{counted(summary.activation_regions, 'activation region')}, "
            f"{counted(summary.linear_regions, 'linear region')} on {domain_label or domain.describe()}")
    heading = f"{html.escape(title)}<br><sup>{html.escape(info)}</sup>" if title else html.escape(info)
    figure.update_layout(
        title={"text": heading, "x": 0.5}, template="plotly_white", hovermode="closest", clickmode="event",
        width=820, height=800, margin={"l": 60, "r": 20, "t": 80, "b": 60},
        legend={"orientation": "h", "y": -0.08, "x": 0.5, "xanchor": "center"},
        xaxis={"title": {"text": axis_labels[0]}, "zeroline": False, "showgrid": False},
        yaxis={"title": {"text": axis_labels[1]}, "zeroline": False, "showgrid": False,
               "scaleanchor": "x", "scaleratio": 1},
        hoverlabel={"align": "left", "bgcolor": "white", "font": {"family": "monospace", "size": 12}})
    if ranges is not None:  # room for the thumbnails
        figure.update_layout(xaxis={"range": ranges[0]}, yaxis={"range": ranges[1]})
    return figure, summary, {"keys": [p.key for p in polygons], "neighbors": neighbors, "details": details}


_SCRIPT = """
(function () {
  var gd = document.getElementById('%(div)s');
  var data = %(data)s;
  var n = data.keys.length, markers = gd.data.length - 1;
  var panel = document.createElement('div');
  panel.id = 'polyregions-selection';
  panel.style.cssText = 'font-family: monospace; font-size: 13px; margin: 8px 60px; white-space: normal; ' +
    'overflow-wrap: anywhere;';
  panel.innerHTML = %(help)s;
  gd.parentNode.insertBefore(panel, gd.nextSibling);
  var all = []; for (var i = 0; i < n; i++) { all.push(i); }
  window.polyregionsSelected = null;
  function clear() {
    window.polyregionsSelected = null;
    Plotly.restyle(gd, {opacity: 1, 'line.width': 0.5, 'line.color': 'rgba(0,0,0,0.15)'}, all);
    panel.innerHTML = %(help)s;
  }
  function select(i) {
    if (window.polyregionsSelected && window.polyregionsSelected.index === i) { clear(); return; }
    var near = {}; data.neighbors[i].forEach(function (j) { near[j] = true; });
    var opacity = [], width = [], color = [];
    for (var k = 0; k < n; k++) {
      var own = k === i, adjacent = near[k] === true;
      opacity.push(own ? 1 : adjacent ? 0.95 : 0.25);
      width.push(own ? 3 : adjacent ? 2 : 0.5);
      color.push(own ? '#000000' : adjacent ? '#e6550d' : 'rgba(0,0,0,0.15)');
    }
    Plotly.restyle(gd, {opacity: opacity, 'line.width': width, 'line.color': color}, all);
    var keys = data.neighbors[i].map(function (j) { return data.keys[j]; });
    window.polyregionsSelected = {index: i, key: data.keys[i], neighbors: keys};
    panel.innerHTML = '<b>selected</b><br>' + data.details[i] + '<br><b>' + keys.length +
      ' neighbour' + (keys.length === 1 ? '' : 's') + '</b> (orange): ' + keys.join(', ');
  }
  window.polyregionsSelect = select;
  gd.on('plotly_click', function (event) {
    var point = event && event.points && event.points[0];
    if (!point) { return; }
    if (point.curveNumber < n) { select(point.curveNumber); }
    else if (point.curveNumber === markers) { select(point.pointNumber); }
  });
  gd.addEventListener('dblclick', clear);
})();
"""


def explorer_html(network: Network, domain: Domain | None = None, *, title: str | None = None,
                  domain_label: str | None = None, axis_labels: tuple[str, str] = ("x1", "x2"),
                  level_set: bool = False, decision: bool = False, images: SliceImages | None = None,
                  note: str | None = None, full_html: bool = True) -> tuple[str, PlotSummary]:
    """The explorer as HTML text (plotly.js embedded: no network access needed) and its summary."""
    figure, summary, data = explorer_figure(network, domain, title=title, domain_label=domain_label,
                                            axis_labels=axis_labels, level_set=level_set, decision=decision,
                                            images=images)
    import plotly.io as pio

    help_text = ("Hover a region for its pattern, output map and interior point; click it to select it and "
                 "highlight its neighbours in the adjacency graph (click again or double-click to clear); "
                 "click a legend entry to hide or show that layer's boundaries.")
    if note:
        help_text = f"<b>note:</b> {html.escape(note)}<br>{help_text}"
    script = _SCRIPT % {"div": DIV_ID, "data": json.dumps(data), "help": json.dumps(help_text)}
    text = pio.to_html(figure, include_plotlyjs=True, full_html=full_html, div_id=DIV_ID, post_script=script,
                       include_mathjax=False, config={"displaylogo": False, "responsive": False})
    if full_html:
        page_title = html.escape(title or "polyregions explorer")
        text = text.replace("<head>", f'<head><meta charset="utf-8"><title>{page_title}</title>', 1)
    return text, summary


def write_explorer(network: Network, domain: Domain | None, path: str | Path, *, title: str | None = None,
                   domain_label: str | None = None, axis_labels: tuple[str, str] = ("x1", "x2"),
                   level_set: bool = False, decision: bool = False, images: SliceImages | None = None,
                   note: str | None = None) -> PlotSummary:
    """Write the explorer to *path* (one self-contained HTML file, atomically); return its summary."""
    if Path(path).suffix.lower() != ".html":
        raise InputError(f"{path}: the explorer is written as .html")
    text, summary = explorer_html(network, domain, title=title, domain_label=domain_label,
                                  axis_labels=axis_labels, level_set=level_set, decision=decision, images=images,
                                  note=note)
    write_text_atomic(path, text)
    return summary


class Explorer:
    """The explorer in a notebook: shows itself inline (``_repr_html_``) and saves to a file.

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> Explorer(net).summary.activation_regions
    4
    """

    @takes_models("network")
    def __init__(self, network: Network, domain: Domain | None = None, *, title: str | None = None,
                 level_set: bool = False, decision: bool = False, images: SliceImages | None = None) -> None:
        self.network = network
        self.domain = domain
        self.options: dict[str, Any] = {"title": title, "level_set": level_set, "decision": decision, "images": images}
        self.figure, self.summary, self.data = explorer_figure(network, domain, **self.options)

    def save(self, path: str | Path) -> None:
        """Write the self-contained HTML file."""
        write_explorer(self.network, self.domain, path, **self.options)

    def _repr_html_(self) -> str:
        return explorer_html(self.network, self.domain, full_html=False, **self.options)[0]

    def __repr__(self) -> str:
        return (f"Explorer({counted(self.summary.activation_regions, 'activation region')}, "
                f"{counted(self.summary.linear_regions, 'linear region')})")
