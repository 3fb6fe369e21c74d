"""Pictures of the regions of a 2-input view, and the graph of a 1-input network.

The geometry is exact and free of matplotlib: :func:`region_polygons` gives every
activation region of a 2-input network on a bounded domain as a convex polygon
whose vertices are Fractions in counter-clockwise order, each side labelled with
the layer whose hyperplane it lies on; :func:`level_segment` gives the exact piece
of the decision boundary ``output_1 = 0`` inside one polygon; :func:`region_intervals`
gives the pieces of a 1-input network. Coordinates become floats only when they are
handed to matplotlib for drawing.

matplotlib is an optional dependency (``pip install 'polyregions[plot]'``); it is
imported inside the drawing functions only, and they draw on the Agg canvas, never
through pyplot's global state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, Union

import networkx as nx

from ..files import open_atomic
from ..core.domain import Domain
from ..search.engine import initial_cell
from ..errors import DomainError, InputError, PolyregionsError
from ..queries.graph import linear_region_graph, region_graph
from ..core.layers import Affine
from ..core.network import Network
from ..rationals import counted
from ..geometry.polyhedron import oriented_key
from ..geometry.volume import ccw_order, polygon_area
from ..core.maps import AffineMap
from ..search.regions import Region
from .images import DIRECTIONS, NAMES, SliceImages, corner_labels

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Polygon", "Interval", "PlotSummary", "region_polygons", "region_intervals",
           "polygon_area", "ccw_order", "level_segment", "argmax_segments", "decision_segments",
           "view_box", "breakpoints", "linear_region_colors",
           "require_matplotlib", "image_format", "figure_regions", "figure_function",
           "save_figure", "plot_network", "PALETTE", "FORMATS"]

Point = tuple[Fraction, Fraction]
Source = Union[int, str]  # the index of an activation layer in network.layers, or "domain"
Edge = tuple[Point, Point, Source]

#: Output formats by file extension.
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

#: Light qualitative colours (ColorBrewer Set3) for the linear regions.
PALETTE = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
           "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f")

#: Line colour and style of the boundaries of the 1st, 2nd, ... activation layer.
LAYER_STYLES = (("#08306b", "solid"), ("#a50f15", "dashed"), ("#00441b", "dashdot"),
                 ("#54278f", "dotted"), ("#7f2704", (0, (6, 2, 1, 2, 1, 2))))

_MISSING = "plotting needs matplotlib: pip install 'polyregions[plot]'"


# -- exact geometry (no matplotlib) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Polygon:
    """One activation region of a 2-input view as an exact convex polygon.

    Attributes
    ----------
    key
        The region's pattern key.
    linear_region
        The id of its linear region (as in :func:`~polyregions.queries.graph.region_graph`).
    vertices
        Exact vertices in counter-clockwise order, no three consecutive ones collinear.
    edges
        ``(start, end, source)`` for each side ``vertices[i] -> vertices[i + 1]``; the
        source is the index in ``network.layers`` of the activation layer whose
        hyperplane the side lies on, or ``"domain"`` for the domain boundary.
    output_map
        The exact affine map of the network output on the region.
    interior_point
        The region's exact interior point.
    """

    key: str
    linear_region: int
    vertices: tuple[Point, ...]
    edges: tuple[Edge, ...]
    output_map: AffineMap
    interior_point: Point

    def __repr__(self) -> str:
        return f"Polygon(key={self.key}, linear_region={self.linear_region}, vertices={len(self.vertices)})"


@dataclass(frozen=True, slots=True)
class Interval:
    """One activation region of a 1-input network: the interval ``[low, high]``."""

    key: str
    linear_region: int
    low: Fraction
    high: Fraction
    output_map: AffineMap


@dataclass(frozen=True, slots=True)
class PlotSummary:
    """What a plot shows: the region counts and the domain."""

    activation_regions: int
    linear_regions: int
    domain: Domain


def _check_bounded(domain: Domain) -> None:
    """A picture needs a bounded domain whose extent floating point can draw."""
    cell = initial_cell(domain)
    if not cell.is_bounded():
        raise DomainError(f"a plot needs a bounded domain (a box or a bounded polyhedron), "
                          f"got {domain.describe()}")

    vertices = list(cell.vertices())
    for axis in range(domain.dim):
        values = [float(v[axis]) for v in vertices]
        low, high = min(values), max(values)
        if not (math.isfinite(low) and math.isfinite(high) and high - low > 1e-300 * max(1.0, abs(low))
                and math.isfinite(high - low)):
            raise DomainError(f"a plot draws in floating point, and the domain {domain.describe()} is too small or "
                              "too large there (the counts are exact; scale the inputs to draw it)")


def _source(tag: Any) -> Source:
    return "domain" if tag[0] == "domain" else int(tag[0])


def _polygon(region: Region, linear_region: int) -> Polygon:
    cell = region.cell
    vertices = [(x, y) for x, y in cell.vertices()]
    center = region.interior_point
    center = (center[0], center[1])
    ordered = tuple(ccw_order(vertices, center))
    facets = region.facet_rows()
    edges = []
    for i, start in enumerate(ordered):
        end = ordered[(i + 1) % len(ordered)]
        for row in facets:
            a, b = cell.inequality(row)
            if (a[0] * start[0] + a[1] * start[1] == b
                    and a[0] * end[0] + a[1] * end[1] == b):
                edges.append((start, end, _source(cell.tags[row])))
                break
        else:  # pragma: no cover - the double description guarantees a facet
            raise PolyregionsError(f"region {region.key}: no facet through the side "
                                   f"{start} -> {end}")
    return Polygon(region.key, linear_region, ordered, tuple(edges), region.output_map, center)


def _regions_and_graph(network: Network, domain: Domain | None, dim: int
                       ) -> tuple[list[Region], nx.Graph, Domain]:
    if network.input_dim != dim:
        raise InputError(f"expected a network with {dim} input{'s' if dim > 1 else ''}, "
                         f"got {network.input_dim}"
                         + (" (slice it with polyregions.core.slices.slice_network)" if dim == 2 else ""))
    if domain is None:
        domain = Domain.box(dim, -1, 1)
    _check_bounded(domain)
    regions: list[Region] = []
    graph = region_graph(network, domain, on_region=regions.append)
    return regions, graph, domain


def polygons_and_graph(network: Network, domain: Domain | None) -> tuple[list[Polygon], nx.Graph]:
    regions, graph, _ = _regions_and_graph(network, domain, 2)
    ids = graph.nodes(data="linear_region")
    return [_polygon(region, ids[region.key]) for region in regions], graph


def region_polygons(network: Network, domain: Domain | None = None) -> list[Polygon]:
    """Every activation region of a 2-input *network* on a bounded *domain* as a polygon.

    Parameters
    ----------
    network
        A network with two inputs (a 2-D slice of a bigger one, see
        :func:`~polyregions.core.slices.slice_network`).
    domain
        A bounded domain; default the box ``[-1, 1]^2``.

    Returns
    -------
    list of Polygon
        In the engine's enumeration order; the polygons tile the domain.

    Notes
    -----
    One enumeration gives both the geometry and the region graph (the linear
    region ids). Vertices are read off each region's double description; sorting
    them costs O(k log k) exact cross products for a k-gon.

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> polygons = region_polygons(net)
    >>> len(polygons), sum(polygon_area(p.vertices) for p in polygons)
    (4, Fraction(4, 1))
    >>> sorted({source for p in polygons for _, _, source in p.edges}, key=str)
    [1, 'domain']
    """
    return polygons_and_graph(network, domain)[0]


def region_intervals(network: Network, domain: Domain | None = None) -> list[Interval]:
    """Every activation region of a 1-input *network* on a bounded *domain*, left to right.

    The default domain is ``[-1, 1]``.

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])   # |x|
    >>> [(str(i.low), str(i.high), i.key) for i in region_intervals(net)]
    [('-1', '0', '-+'), ('0', '1', '+-')]
    """
    regions, graph, _ = _regions_and_graph(network, domain, 1)
    ids = graph.nodes(data="linear_region")
    out = []
    for region in regions:
        ends = sorted(Fraction(v[0], v[1]) for v in region.cell.vecs if v[1])
        out.append(Interval(region.key, ids[region.key], ends[0], ends[-1], region.output_map))
    out.sort(key=lambda interval: interval.low)
    return out


def breakpoints(intervals: Sequence[Interval]) -> list[Fraction]:
    """The endpoints of the intervals that lie inside the domain, in increasing order.

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])
    >>> breakpoints(region_intervals(net))
    [Fraction(0, 1)]
    """
    if not intervals:
        return []
    low = min(i.low for i in intervals)
    high = max(i.high for i in intervals)
    return sorted({e for i in intervals for e in (i.low, i.high)} - {low, high})


def _value(output_map: AffineMap, point: Sequence[Fraction], output: int) -> Fraction:
    row = output_map.weight[output]
    return sum((w * x for w, x in zip(row, point)), Fraction(0)) + output_map.bias[output]


def _zero_segment(vertices: Sequence[Point], values: Sequence[Fraction]) -> tuple[Point, Point] | None:
    """The segment where an affine function with *values* at the polygon's *vertices* is zero.

    None when it misses the polygon, touches it in one vertex, or is zero on all of it.
    Crossings are interpolated exactly along the sides.
    """
    if not any(values):
        return None
    points: list[Point] = []
    count = len(vertices)
    for i in range(count):
        p, fp = vertices[i], values[i]
        q, fq = vertices[(i + 1) % count], values[(i + 1) % count]
        if fp == 0:
            candidate = p
        elif fp * fq < 0:
            t = fp / (fp - fq)
            candidate = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
        else:
            continue
        if candidate not in points:
            points.append(candidate)
    if len(points) != 2:
        return None
    return points[0], points[1]


def level_segment(polygon: Polygon, output: int = 0) -> tuple[Point, Point] | None:
    """The exact segment of ``{x : output_map(x)[output] = 0}`` inside *polygon*.

    Returns None when the level set misses the polygon, touches it in one vertex,
    or covers all of it (the output is identically zero there).

    Examples
    --------
    >>> F = Fraction
    >>> square = [(F(-1), F(-1)), (F(1), F(-1)), (F(1), F(1)), (F(-1), F(1))]
    >>> m = AffineMap(((F(1), F(2)),), (F(-1, 2),))   # x + 2 y = 1/2
    >>> p = Polygon("", 0, tuple(square), (), m, (F(0), F(0)))
    >>> [tuple(map(str, q)) for q in level_segment(p)]
    [('1', '-1/4'), ('-1', '3/4')]
    """
    values = [_value(polygon.output_map, v, output) for v in polygon.vertices]
    return _zero_segment(polygon.vertices, values)


def _clip(p: Point, q: Point, gp: Fraction, gq: Fraction) -> tuple[Point, Point] | None:
    """The part of the segment p -> q where an affine g with g(p) = gp, g(q) = gq is >= 0, or None."""
    if gp < 0 and gq < 0:
        return None
    if gp >= 0 and gq >= 0:
        return p, q
    t = gp / (gp - gq)
    cut = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
    return (p, cut) if gp >= 0 else (cut, q)


def argmax_segments(polygon: Polygon) -> list[tuple[Point, Point, tuple[int, int]]]:
    """The exact pieces of the decision boundary of a classifier inside *polygon*.

    For classes (outputs, 0-based) ``i < j`` the boundary is ``{y_i = y_j >= y_k for every
    k}``, where the argmax changes (points where two classes touch without crossing are
    included), as in :func:`polyregions.queries.boundary.decision_boundary`. The outputs
    are affine on the polygon, so each pair gives at most one segment: the line
    ``y_i = y_j`` cut to the polygon (:func:`level_segment`'s construction), then to each
    half-plane ``y_i >= y_k``. Everything is exact; no LP is solved. A pair whose outputs
    are the same function on the polygon (a tie region) gives no segment.

    Returns ``(start, end, (i, j))`` for every segment of positive length.

    Notes
    -----
    With K outputs and a k-gon: K k exact evaluations, then per pair O(k + K) exact
    operations.

    Examples
    --------
    >>> F = Fraction
    >>> square = ((F(-1), F(-1)), (F(1), F(-1)), (F(1), F(1)), (F(-1), F(1)))
    >>> m = AffineMap(((F(1), F(0)), (F(-1), F(0)), (F(0), F(0))), (F(0), F(0), F(1, 2)))  # x, -x, 1/2
    >>> for p, q, pair in argmax_segments(Polygon("", 0, square, (), m, (F(0), F(0)))):
    ...     print(pair, [tuple(map(str, v)) for v in (p, q)])
    (0, 2) [('1/2', '-1'), ('1/2', '1')]
    (1, 2) [('-1/2', '-1'), ('-1/2', '1')]
    """
    vertices = polygon.vertices
    outputs = len(polygon.output_map.bias)
    ys = [[_value(polygon.output_map, v, k) for k in range(outputs)] for v in vertices]
    segments = []
    for i in range(outputs):
        for j in range(i + 1, outputs):
            ends = _zero_segment(vertices, [y[i] - y[j] for y in ys])
            if ends is None:
                continue
            p, q = ends
            for k in range(outputs):
                if k in (i, j):
                    continue
                clipped = _clip(p, q, _value(polygon.output_map, p, i) - _value(polygon.output_map, p, k),
                                _value(polygon.output_map, q, i) - _value(polygon.output_map, q, k))
                if clipped is None:
                    break
                p, q = clipped
            else:
                if p != q:
                    segments.append((p, q, (i, j)))
    return segments


def decision_segments(polygons: Sequence[Polygon]) -> list[tuple[Point, Point, tuple[int, ...]]]:
    """The decision boundary over all *polygons*, exact segments ``(start, end, classes)``.

    A classifier (several outputs): where the argmax changes, :func:`argmax_segments`,
    classes ``(i, j)``. One output: its zero level set, :func:`level_segment`, classes
    ``(0,)``. A segment on a side shared by two polygons comes once from each.
    """
    out: list[tuple[Point, Point, tuple[int, ...]]] = []
    for polygon in polygons:
        if len(polygon.output_map.bias) == 1:
            segment = level_segment(polygon)
            if segment is not None:
                out.append((segment[0], segment[1], (0,)))
        else:
            out.extend(argmax_segments(polygon))
    return out


def view_box(polygons: Sequence[Polygon]) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """The smallest box ``(x_low, x_high, y_low, y_high)`` around the polygons, exactly."""
    xs = [v[0] for p in polygons for v in p.vertices]
    ys = [v[1] for p in polygons for v in p.vertices]
    return min(xs), max(xs), min(ys), max(ys)


def linear_region_colors(graph: nx.Graph) -> dict[int, int]:
    """A colour index per linear region id such that adjacent linear regions differ.

    Greedy colouring (:func:`networkx.greedy_color`, largest degree first) of the
    quotient graph :func:`~polyregions.queries.graph.linear_region_graph` of a region graph.

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 2]]], [[0, 0], [0]])
    >>> linear_region_colors(region_graph(net))
    {0: 0, 1: 1, 2: 1, 3: 0}
    """
    colors = nx.greedy_color(linear_region_graph(graph), strategy="largest_first")
    return {int(name[1:]): color for name, color in sorted(colors.items(), key=lambda kv: int(kv[0][1:]))}


def merged_boundaries(polygons: Sequence[Polygon]) -> dict[Source, list[tuple[Point, Point]]]:
    """The sides of all polygons per source, overlapping pieces of one line merged.

    Neighbours share sides, often split differently on the two sides; merging
    them exactly draws each boundary once, so dash patterns stay in phase.
    """
    lines: dict[tuple[Source, tuple[int, ...]], list[tuple[Point, Point]]] = {}
    for polygon in polygons:
        for start, end, source in polygon.edges:
            a = end[1] - start[1]
            b = start[0] - end[0]
            c = -(a * start[0] + b * start[1])
            den = a.denominator * b.denominator * c.denominator
            key = oriented_key([int(a * den), int(b * den), int(c * den)])
            lines.setdefault((source, key), []).append((start, end))
    out: dict[Source, list[tuple[Point, Point]]] = {}
    for (source, key), segments in lines.items():
        axis = 0 if key[1] else 1  # parametrise by x unless the line is vertical
        spans = sorted(tuple(sorted(seg, key=lambda p: p[axis])) for seg in segments)
        merged = [list(spans[0])]
        for lo, hi in spans[1:]:
            if lo[axis] <= merged[-1][1][axis]:
                if hi[axis] > merged[-1][1][axis]:
                    merged[-1][1] = hi
            else:
                merged.append([lo, hi])
        out.setdefault(source, []).extend((lo, hi) for lo, hi in merged)
    return out


# -- drawing (matplotlib, imported here only) --------------------------------------------


def require_matplotlib() -> None:
    """Raise :class:`~polyregions.errors.InputError` with the install hint when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise InputError(_MISSING) from None


def _new_figure(width: float, height: float) -> "Figure":
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def layer_names(network: Network) -> dict[int, int]:
    """Index in ``network.layers`` of each activation layer -> its ordinal 1, 2, ..."""
    activations = [i for i, layer in enumerate(network.layers) if not isinstance(layer, Affine)]
    return {index: ordinal for ordinal, index in enumerate(activations, 1)}


def _floats(point: Sequence[Fraction]) -> tuple[float, float]:
    return float(point[0]), float(point[1])


def _draw_boundaries(ax: "Axes", network: Network, polygons: Sequence[Polygon]) -> None:
    from matplotlib.collections import LineCollection

    ordinals = layer_names(network)
    boundaries = merged_boundaries(polygons)
    for source in sorted(boundaries, key=lambda s: (s != "domain", -1 if s == "domain" else s)):
        segments = [[_floats(p), _floats(q)] for p, q in boundaries[source]]
        if source == "domain":
            ax.add_collection(LineCollection(segments, colors="black", linewidths=0.8,
                                             label="domain boundary", zorder=3))
            continue
        ordinal = ordinals.get(source, 0)
        color, style = LAYER_STYLES[(ordinal - 1) % len(LAYER_STYLES)]
        ax.add_collection(LineCollection(segments, colors=color, linestyles=style, linewidths=1.1,
                                         label=f"layer {ordinal} boundary", zorder=3))


def _draw_graph(ax: "Axes", graph: nx.Graph, polygons: Sequence[Polygon]) -> None:
    from matplotlib.collections import LineCollection

    # nodes at the vertex mean of each polygon: interior too, and central, which reads better
    where = {p.key: _floats((sum(v[0] for v in p.vertices) / len(p.vertices),
                             sum(v[1] for v in p.vertices) / len(p.vertices))) for p in polygons}
    segments = [[where[a], where[b]] for a, b in graph.edges]
    ax.add_collection(LineCollection(segments, colors="#404040", linewidths=0.6, alpha=0.8,
                                     label="adjacency graph", zorder=4))
    xs, ys = zip(*where.values()) if where else ((), ())
    size = 14 if len(where) <= 200 else 5
    ax.scatter(xs, ys, s=size, c="white", edgecolors="black", linewidths=0.6, zorder=5)


def _draw_heatmap(ax: "Axes", figure: "Figure", polygons: Sequence[Polygon], outputs: int) -> None:
    from matplotlib.tri import Triangulation

    xs: list[float] = []
    ys: list[float] = []
    zs: list[float] = []
    triangles = []
    for polygon in polygons:
        base = len(xs)
        for v in polygon.vertices:
            xs.append(float(v[0]))
            ys.append(float(v[1]))
            zs.append(float(_value(polygon.output_map, v, 0)))
        triangles += [(base, base + i, base + i + 1) for i in range(1, len(polygon.vertices) - 1)]
    # an affine function interpolated linearly on a triangle is itself: Gouraud shading is exact
    mesh = ax.tripcolor(Triangulation(xs, ys, triangles), zs, shading="gouraud", cmap="viridis",
                        zorder=1)
    label = "output 0" if outputs == 1 else f"output 0 of {outputs} (0-based)"
    figure.colorbar(mesh, ax=ax, label=label, shrink=0.8)


def _draw_level_set(ax: "Axes", polygons: Sequence[Polygon]) -> None:
    from matplotlib.collections import LineCollection, PolyCollection

    segments = []
    zero = []
    for polygon in polygons:
        segment = level_segment(polygon)
        if segment is not None:
            segments.append([_floats(segment[0]), _floats(segment[1])])
        elif not any(polygon.output_map.weight[0]) and polygon.output_map.bias[0] == 0:
            zero.append([_floats(v) for v in polygon.vertices])
    ax.add_collection(LineCollection(segments, colors=DECISION_COLOR, linewidths=2.2,
                                     label="output 0 = 0", zorder=6))
    if zero:
        ax.add_collection(PolyCollection(zero, facecolors="none", edgecolors=DECISION_COLOR,
                                         hatch="///", linewidths=0, label="output 0 = 0 (whole region)",
                                         zorder=2))


#: Colour of the decision boundary (and of the level set output 0 = 0).
DECISION_COLOR = "#e7298a"


def _draw_decision(ax: "Axes", polygons: Sequence[Polygon], outputs: int) -> None:
    """The decision boundary: where the argmax changes, or for one output its zero level set."""
    from matplotlib.collections import LineCollection

    if outputs == 1:
        _draw_level_set(ax, polygons)
        return
    segments = [[_floats(p), _floats(q)] for p, q, _ in decision_segments(polygons)]
    label = "decision boundary (argmax changes)" if segments else "decision boundary: none here (one class)"
    ax.add_collection(LineCollection(segments, colors=DECISION_COLOR, linewidths=2.2, label=label, zorder=6))


#: Side of a thumbnail, in points, and how far it stands out of the axes, in inches.
THUMBNAIL_POINTS = 52
THUMBNAIL_INCHES = 0.8


def _draw_images(ax: "Axes", network: Network, images: SliceImages, polygons: Sequence[Polygon]) -> str:
    """Each slice point's image as a thumbnail beside its point (P0 (0, 0), P1 (1, 0), P2 (0, 1)),
    labelled with the class the network gives it; a point outside the view is drawn at the
    view's edge, joined to its thumbnail by a dotted line. Returns the caption."""
    import numpy as np
    from matplotlib.colors import Normalize
    from matplotlib.offsetbox import AnnotationBbox, OffsetImage, TextArea, VPacker

    anchors = images.anchors(view_box(polygons))
    c, h, w = images.shape
    labels = corner_labels(network)
    for index, (levels, (anchor, moved)) in enumerate(zip(images.levels(), anchors)):
        pixels = np.array(levels)
        picture = OffsetImage(pixels[:, :, 0] if c == 1 else pixels, cmap="gray", norm=Normalize(0, 1),
                              interpolation="nearest", zoom=THUMBNAIL_POINTS / max(h, w) * ax.figure.dpi / 72 / 1.5)
        label = TextArea(labels[index], textprops={"fontsize": 8})
        dx, dy = DIRECTIONS[index]
        box = AnnotationBbox(VPacker(children=[label, picture], align="center", pad=0, sep=2), _floats(anchor),
                             xybox=(dx * 0.75 * THUMBNAIL_POINTS, dy * 0.75 * THUMBNAIL_POINTS),
                             xycoords="data", boxcoords="offset points", annotation_clip=False,
                             box_alignment=(0.5, 0.5), pad=0.2, zorder=7,
                             bboxprops={"edgecolor": "#606060", "linewidth": 0.6},
                             arrowprops={"arrowstyle": "-", "color": "#606060", "linewidth": 0.8,
                                         "linestyle": "dotted" if moved else "solid"})
        box.set_gid(f"slice-image-{NAMES[index]}")
        ax.add_artist(box)
    ax.scatter([float(a[0]) for a, _ in anchors], [float(a[1]) for a, _ in anchors], s=16, c="black",
               marker="s", zorder=7)
    return images.caption([moved for _, moved in anchors])


def figure_regions(network: Network, domain: Domain | None = None, *, graph: bool = False,
                   heatmap: bool = False, level_set: bool = False, decision: bool = False,
                   images: SliceImages | None = None, title: str | None = None,
                   domain_label: str | None = None, axis_labels: tuple[str, str] = ("x1", "x2")
                   ) -> tuple["Figure", "PlotSummary"]:
    """Draw the activation regions of a 2-input network on a bounded domain.

    Regions are filled by linear region (adjacent linear regions in different
    colours) or, with *heatmap*, by the network's first output; boundaries are
    drawn per activation layer in distinct styles; *graph* overlays the region
    adjacency graph (nodes at interior points); *level_set* draws ``output_1 = 0``;
    *decision* draws the decision boundary (:func:`decision_segments`: where the argmax of
    the outputs changes, or for one output its zero level set). *images* (a 2-D slice
    whose points are images, :class:`~polyregions.views.images.SliceImages`) draws each
    point's image beside its point of the plane: P0 at (0, 0), P1 at (1, 0), P2 at (0, 1).

    *domain_label* replaces the domain's description in the subtitle and
    *axis_labels* name the two inputs (``("s", "t")`` for a slice). Returns the
    figure (on the Agg canvas) and a :class:`PlotSummary`.
    """
    from matplotlib.collections import PolyCollection

    if domain is None:
        domain = Domain.box(2, -1, 1)
    polygons, region_graph_ = polygons_and_graph(network, domain)
    # the thumbnails stand out of the axes at their corners, where the layout does not see them: room for them
    margin = THUMBNAIL_INCHES if images is not None else 0.0
    figure = _new_figure((8.2 if heatmap else 7.0) + 2 * margin, 7.4 + margin)
    if margin:
        figure.get_layout_engine().set(w_pad=margin, h_pad=margin / 4)
    ax = figure.add_subplot()
    if heatmap:
        _draw_heatmap(ax, figure, polygons, network.output_dim)
    else:
        colors = linear_region_colors(region_graph_)
        faces = [PALETTE[colors[p.linear_region] % len(PALETTE)] for p in polygons]
        ax.add_collection(PolyCollection([[_floats(v) for v in p.vertices] for p in polygons],
                                         facecolors=faces, edgecolors="none", zorder=1))
    _draw_boundaries(ax, network, polygons)
    if level_set and not (decision and network.output_dim == 1):
        _draw_level_set(ax, polygons)
    if decision:
        _draw_decision(ax, polygons, network.output_dim)
    if graph:
        _draw_graph(ax, region_graph_, polygons)
    caption = _draw_images(ax, network, images, polygons) if images is not None else None
    xs = [float(v[0]) for p in polygons for v in p.vertices]
    ys = [float(v[1]) for p in polygons for v in p.vertices]
    pad_x = (max(xs) - min(xs)) * 0.02
    pad_y = (max(ys) - min(ys)) * 0.02
    ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
    ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    ax.set_aspect("equal")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    summary = PlotSummary(len(polygons), region_graph_.graph["linear_regions"], domain)
    info = (f"{counted(summary.activation_regions, 'activation region')}, "
            f"{counted(summary.linear_regions, 'linear region')} on {domain_label or domain.describe()}")
    if title:
        figure.suptitle(title)
    if caption is None:
        ax.set_title(info, fontsize=9)
    else:  # lifted above a thumbnail at the top edge
        ax.set_title(f"{info}\n{caption}", fontsize=9, pad=THUMBNAIL_POINTS + 16)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3, fontsize=8, frameon=False)
    return figure, summary


def figure_function(network: Network, domain: Domain | None = None, *, level_set: bool = False,
                    title: str | None = None, domain_label: str | None = None
                    ) -> tuple["Figure", "PlotSummary"]:
    """Draw the graph of the first output of a 1-input network with every breakpoint marked.

    Filled markers are breakpoints where the slope of output 0 changes, hollow ones
    those where only the activation pattern changes; *level_set* marks the zeros.
    """
    if domain is None:
        domain = Domain.box(1, -1, 1)
    intervals = region_intervals(network, domain)
    figure = _new_figure(7.0, 4.8)
    ax = figure.add_subplot()

    def at(x: Fraction, interval: Interval) -> Fraction:
        return _value(interval.output_map, (x,), 0)

    for interval in intervals:
        ax.plot([float(interval.low), float(interval.high)],
                [float(at(interval.low, interval)), float(at(interval.high, interval))],
                color="#08306b", linewidth=1.8, zorder=2)
    kinks: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    for left, right in zip(intervals, intervals[1:]):
        x = left.high
        point = (float(x), float(at(x, left)))
        same = left.output_map.weight[0] == right.output_map.weight[0]
        (plain if same else kinks).append(point)
        ax.axvline(float(x), color="#bdbdbd", linewidth=0.6, linestyle=":", zorder=1)
    if kinks:
        ax.scatter(*zip(*kinks), s=28, c="#a50f15", zorder=3, label="breakpoint (slope changes)")
    if plain:
        ax.scatter(*zip(*plain), s=28, facecolors="white", edgecolors="#a50f15", zorder=3,
                   label="breakpoint (pattern changes only)")
    if level_set:
        ax.axhline(0, color="#e7298a", linewidth=0.8, zorder=1)
        zeros = _zeros(intervals)
        if zeros:
            ax.scatter([float(z) for z in zeros], [0.0] * len(zeros), marker="x", s=36,
                       c="#e7298a", zorder=4, label="output 0 = 0")
    ax.set_xlabel("x")
    ax.set_ylabel("output 0" if network.output_dim == 1 else f"output 0 of {network.output_dim} (0-based)")
    summary = PlotSummary(len(intervals), len({i.linear_region for i in intervals}), domain)
    info = (f"{counted(summary.activation_regions, 'activation region')}, "
            f"{counted(summary.linear_regions, 'linear region')}, "
            f"{counted(len(intervals) - 1, 'breakpoint')} on {domain_label or domain.describe()}")
    if title:
        figure.suptitle(title)
    ax.set_title(info, fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        # below the axes, outside them: inside, it would hide part of the curve
        figure.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return figure, summary


def _zeros(intervals: Sequence[Interval]) -> list[Fraction]:
    """Exact zeros of output 0 at the ends and inside the intervals (isolated ones only)."""
    zeros: list[Fraction] = []
    for interval in intervals:
        f_low = _value(interval.output_map, (interval.low,), 0)
        f_high = _value(interval.output_map, (interval.high,), 0)
        if f_low == 0 and f_high == 0:
            continue
        if f_low == 0:
            candidate = interval.low
        elif f_high == 0:
            candidate = interval.high
        elif (f_low < 0) != (f_high < 0):
            candidate = interval.low + f_low / (f_low - f_high) * (interval.high - interval.low)
        else:
            continue
        if candidate not in zeros:
            zeros.append(candidate)
    return sorted(zeros)


def image_format(path: str | Path) -> str:
    """The image format that the extension of *path* asks for (``"png"``, ``"svg"`` or ``"pdf"``).

    Examples
    --------
    >>> image_format("docs/regions.SVG")
    'svg'
    >>> image_format("regions.jpg")
    Traceback (most recent call last):
    ...
    polyregions.errors.InputError: regions.jpg: unknown image format '.jpg'; use one of .png, .svg, .pdf (or .html for plot's interactive explorer)
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown image format {suffix or '(none)'!r}; "
                         f"use one of {', '.join(FORMATS)} (or .html for plot's interactive explorer)")
    return FORMATS[suffix]


def save_figure(figure: "Figure", path: str | Path) -> None:
    """Write *figure* to *path* atomically; the extension (.png, .svg or .pdf) picks the format.

    No dates or software versions are written, so the same figure gives the same file.
    """
    fmt = image_format(path)
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "Producer": None}}.get(
        fmt, {"Software": None})
    with open_atomic(path, "wb") as handle:
        figure.savefig(handle, format=fmt, dpi=110, metadata=metadata)


def plot_network(network: Network, domain: Domain | None, path: str | Path, *,
                 graph: bool = False, heatmap: bool = False, level_set: bool = False,
                 decision: bool = False, images: SliceImages | None = None, title: str | None = None,
                 domain_label: str | None = None, axis_labels: tuple[str, str] = ("x1", "x2")) -> PlotSummary:
    """Draw a 2-input network's regions or a 1-input network's function and save it to *path*.

    Examples
    --------
    >>> plot_network(Network.mlp([[[1, 0, 0]]], [[0]]), None, "out.png")
    Traceback (most recent call last):
    ...
    polyregions.errors.InputError: a plot needs a network with 1 or 2 inputs, got 3: plot a 2-D slice
    """
    if network.input_dim not in (1, 2):
        raise InputError(f"a plot needs a network with 1 or 2 inputs, got {network.input_dim}: "
                         "plot a 2-D slice")  # polyregions.core.slices.slice_network
    image_format(path)
    require_matplotlib()
    if network.input_dim == 1:
        if graph or heatmap or images is not None:
            raise InputError("the graph overlay, the heat map and the slice images need a 2-input view; a one-input "
                             "network is drawn as the graph of its function")
        if decision and network.output_dim > 1:
            raise InputError(f"the decision boundary of a classifier ({network.output_dim} outputs) is drawn "
                             "for a 2-input view; a one-input network is drawn as the graph of its output 0")
        figure, summary = figure_function(network, domain, level_set=level_set or decision, title=title,
                                          domain_label=domain_label)
    else:
        figure, summary = figure_regions(network, domain, graph=graph, heatmap=heatmap,
                                         level_set=level_set, decision=decision, images=images, title=title,
                                         domain_label=domain_label, axis_labels=axis_labels)
    save_figure(figure, path)
    return summary
