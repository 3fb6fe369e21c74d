"""Tests of :mod:`polyregions.views.plot`: exact polygons, level sets, colours, pictures and the CLI.

The geometry tests run without matplotlib; only the tests that draw import it
(``pytest.importorskip``). Every geometric check is exact (Fractions).
"""

from __future__ import annotations

import json
import random
import sys
from fractions import Fraction as F

import pytest

from tests.support.netgen import random_network
from tests.support.clirun import assert_one_error_line, run
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.errors import DomainError, InputError
from polyregions.queries.graph import region_graph
from polyregions.core.layers import Affine
from polyregions.core.network import Network
from polyregions.geometry.volume import ccw_order, polygon_area
from polyregions.views.plot import breakpoints, level_segment, linear_region_colors, region_intervals, region_polygons
from polyregions.core.maps import AffineMap
from polyregions.core.slices import slice_network

PNG = b"\x89PNG\r\n\x1a\n"
FORMAT = "polyregions-network/1"

#: (seed, widths, activation, degenerate): 2-input networks with one output.
CASES = [
    (0, [4], "relu", False),
    (1, [3, 3], "relu", True),
    (2, [3, 2], "leaky_relu", True),
    (3, [3], "abs", True),
    (4, [2, 2], "hardtanh", True),
    (5, [2, 2], "maxout", True),
    (6, [4, 3], "relu", False),
    (7, [3, 2], ["abs", "maxout"], True),
]


def box_of(rng: random.Random) -> tuple[Domain, F]:
    lo = -F(rng.randint(1, 4), rng.choice([1, 2]))
    hi = F(rng.randint(1, 4), rng.choice([1, 3]))
    return Domain.box(2, lo, hi), (hi - lo) ** 2


def two_d_cases():
    for seed, widths, activation, degenerate in CASES:
        rng = random.Random(seed)
        net = random_network(rng, 2, widths, activation, degenerate, (1, 2, 3), 1)
        domain, area = box_of(rng)
        yield f"{seed}:{activation}", net, domain, area
    for seed, n0 in ((16, 3), (13, 4), (16, 4)):  # 2-D slices of 3-D and 4-D networks
        rng = random.Random(seed)
        net = random_network(rng, n0, [3, 2], "relu", True, (1, 2, 3), 1)
        p0 = [F(rng.randint(-1, 1), 2) for _ in range(n0)]
        p1, p2 = list(p0), list(p0)
        for i in range(n0):
            p1[i] += rng.randint(-2, 2)
            p2[i] += rng.randint(-2, 2)
        yield f"{seed}:slice-{n0}d", slice_network(net, p0, p1, p2), Domain.box(2, -1, 1), F(4)


TWO_D = list(two_d_cases())


def check_polygon_invariants(net, domain, area):
    polygons = region_polygons(net, domain)
    regions = {r.key: r for r in enumerate_regions(net, domain)}
    assert len(polygons) == len(regions)
    assert {p.key for p in polygons} == set(regions)
    assert sum(polygon_area(p.vertices) for p in polygons) == area
    layers = {i for i, layer in enumerate(net.layers) if not isinstance(layer, Affine)}
    for polygon in polygons:
        vertices = polygon.vertices
        k = len(vertices)
        assert k >= 3 and len(set(vertices)) == k
        for i in range(k):  # strictly convex, counter-clockwise
            (ax, ay), (bx, by), (cx, cy) = vertices[i], vertices[(i + 1) % k], vertices[(i + 2) % k]
            assert (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) > 0
        region = regions[polygon.key]
        for v in vertices:  # every vertex satisfies the region's inequalities
            assert all(a[0] * v[0] + a[1] * v[1] <= b for a, b in region.inequalities)
        tight = [sum(1 for a, b in region.inequalities if a[0] * v[0] + a[1] * v[1] == b)
                 for v in vertices]
        assert min(tight) >= 2  # each vertex is a vertex of the region
        assert polygon.interior_point == region.interior_point
        assert polygon.output_map == region.output_map
        assert [(s, e) for s, e, _ in polygon.edges] == [(vertices[i], vertices[(i + 1) % k])
                                                          for i in range(k)]
        for start, end, source in polygon.edges:
            assert source == "domain" or source in layers
            if source == "domain":  # a domain side lies on a face of the domain
                assert any(all(a[0] * q[0] + a[1] * q[1] == b for q in (start, end))
                           for a, b in domain.rows)
    return polygons


@pytest.mark.parametrize("name, net, domain, area", TWO_D, ids=[c[0] for c in TWO_D])
def test_polygons_tile_the_domain_exactly(name, net, domain, area):
    polygons = check_polygon_invariants(net, domain, area)
    graph = region_graph(net, domain)
    assert {p.key: p.linear_region for p in polygons} == dict(graph.nodes(data="linear_region"))


@pytest.mark.parametrize("name, net, domain, area", TWO_D, ids=[c[0] for c in TWO_D])
def test_level_segments_are_exact(name, net, domain, area):
    for polygon in region_polygons(net, domain):
        segment = level_segment(polygon)
        values = [polygon.output_map(v)[0] for v in polygon.vertices]
        if segment is None:  # misses, touches one vertex, or vanishes on the whole polygon
            crosses = any(v > 0 for v in values) and any(v < 0 for v in values)
            assert not any(values) or (not crosses and values.count(0) <= 1)
            continue
        p, q = segment
        assert p != q
        assert polygon.output_map(p)[0] == 0 == polygon.output_map(q)[0]
        assert any(v > 0 for v in values) or any(v < 0 for v in values)
        for point in (p, q):  # on the polygon's boundary
            assert any(_on_segment(point, s, e) for s, e, _ in polygon.edges)


def _on_segment(p, s, e):
    cross = (e[0] - s[0]) * (p[1] - s[1]) - (e[1] - s[1]) * (p[0] - s[0])
    return cross == 0 and min(s[0], e[0]) <= p[0] <= max(s[0], e[0]) \
        and min(s[1], e[1]) <= p[1] <= max(s[1], e[1])


def test_level_segment_cases():
    square = tuple((F(x), F(y)) for x, y in [(-1, -1), (1, -1), (1, 1), (-1, 1)])

    def poly(w, b):
        from polyregions.views.plot import Polygon
        return Polygon("k", 0, square, (), AffineMap((tuple(map(F, w)),), (F(b),)), (F(0), F(0)))

    assert level_segment(poly([1, 0], 0)) == ((F(0), F(-1)), (F(0), F(1)))
    assert level_segment(poly([1, 1], 0)) == ((F(1), F(-1)), (F(-1), F(1)))  # through two vertices
    assert level_segment(poly([1, 0], -1)) == ((F(1), F(-1)), (F(1), F(1)))  # a whole side
    assert level_segment(poly([1, 1], -2)) is None  # touches one vertex
    assert level_segment(poly([1, 0], 5)) is None  # misses
    assert level_segment(poly([0, 0], 0)) is None  # identically zero


@pytest.mark.parametrize("name, net, domain, area", TWO_D[:4], ids=[c[0] for c in TWO_D[:4]])
def test_adjacent_linear_regions_get_different_colours(name, net, domain, area):
    graph = region_graph(net, domain)
    colors = linear_region_colors(graph)
    assert set(colors) == set(dict(graph.nodes(data="linear_region")).values())
    for a, b in graph.edges:
        la, lb = graph.nodes[a]["linear_region"], graph.nodes[b]["linear_region"]
        if la != lb:
            assert colors[la] != colors[lb]


def test_ccw_order_is_exact_where_floats_tie():
    eps = F(1, 10**400)  # float(eps) == 0.0: a float angle sort could not order these
    points = [(F(1), -eps), (F(0), F(-1)), (F(1), 2 * eps), (F(-1), F(0)), (F(1), eps), (F(1), eps)]
    # (1, -eps), (1, eps) and (1, 2 eps) lie on the line x = 1: the middle one goes
    assert ccw_order(points, (F(0), F(0))) == [(F(1), 2 * eps), (F(-1), F(0)), (F(0), F(-1)), (F(1), -eps)]


def test_polygon_area_signs():
    triangle = [(F(0), F(0)), (F(1), F(0)), (F(0), F(1))]
    assert polygon_area(triangle) == F(1, 2)
    assert polygon_area(triangle[::-1]) == -F(1, 2)


def test_polygons_on_a_triangle_domain():
    net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    domain = Domain.from_inequalities([[-1, 0], [0, -1], [1, 1]], [1, 1, 1])
    polygons = check_polygon_invariants(net, domain, F(9, 2))
    assert len(polygons) == 4


def test_geometry_errors():
    net3 = Network.mlp([[[1, 0, 0]]], [[0]])
    with pytest.raises(InputError, match="expected a network with 2 inputs, got 3"):
        region_polygons(net3)
    net2 = Network.mlp([[[1, 0]]], [[0]])
    with pytest.raises(DomainError, match="a plot needs a bounded domain"):
        region_polygons(net2, Domain.whole(2))
    with pytest.raises(DomainError, match="a plot needs a bounded domain"):
        region_polygons(net2, Domain.from_inequalities([[1, 0]], [1]))
    with pytest.raises(InputError, match="expected a network with 1 input, got 2"):
        region_intervals(net2)


def test_intervals_and_breakpoints():
    # relu(x) + relu(1/2 - x) - relu(2x - 1) - 1/4, and a unit at x = 1/3 that does not reach the output
    net = Network.mlp([[[1], [-1], [2], [1]], [[1, 1, -1, 0]]],
                      [[0, F(1, 2), -1, F(-1, 3)], [F(-1, 4)]])
    intervals = region_intervals(net, Domain.box(1, -1, 1))
    assert [(i.low, i.high) for i in intervals] == [(-1, 0), (0, F(1, 3)), (F(1, 3), F(1, 2)), (F(1, 2), 1)]
    assert breakpoints(intervals) == [0, F(1, 3), F(1, 2)]
    assert len({i.linear_region for i in intervals}) == 3
    for left, right in zip(intervals, intervals[1:]):  # continuous at every breakpoint
        assert left.output_map((left.high,)) == right.output_map((right.low,))
    assert breakpoints([]) == []


# -- pictures (need matplotlib) ----------------------------------------------------------

ONE_INPUT = {"format": FORMAT, "input_dim": 1, "layers": [
    {"type": "affine", "weight": [[1], [-1], [2]], "bias": [0, "1/2", -1]}, {"type": "relu"},
    {"type": "affine", "weight": [[1, 1, -1]], "bias": ["-1/4"]}]}
THREE_INPUTS = {"format": FORMAT, "input_dim": 3, "layers": [
    {"type": "affine", "weight": [[1, 0, 1], [0, 1, -1], [1, 1, 1]], "bias": [0, "1/2", -1]},
    {"type": "relu"}, {"type": "affine", "weight": [[1, -1, 2]], "bias": [0]}]}
TWO_INPUTS = {"format": FORMAT, "input_dim": 2, "layers": [
    {"type": "affine", "weight": [[1, 0], [0, 1], [1, 1]], "bias": [0, "1/3", "-1/2"]},
    {"type": "relu"}, {"type": "affine", "weight": [[1, -1, 0], [2, 1, -1]], "bias": [0, 1]},
    {"type": "abs"}, {"type": "affine", "weight": [[1, -1]], "bias": ["-1/2"]}]}


@pytest.fixture
def model(tmp_path):
    def make(name, obj):
        path = tmp_path / name
        path.write_text(json.dumps(obj), encoding="utf-8")
        return str(path)
    return make


def check_image(path, suffix):
    data = path.read_bytes()
    assert len(data) > 1000
    if suffix == ".png":
        assert data.startswith(PNG)
    else:
        assert data.startswith(b"<?xml") and b"<svg" in data[:1000] and data.rstrip().endswith(b"</svg>")


@pytest.mark.parametrize("suffix", [".png", ".svg"])
@pytest.mark.parametrize("options", [[], ["--graph"], ["--heatmap"], ["--level-set"],
                                     ["--graph", "--level-set", "--title", "all at once"]])
def test_plot_two_inputs(capsys, model, tmp_path, suffix, options):
    pytest.importorskip("matplotlib")
    output = tmp_path / f"out{suffix}"
    code, out, err = run(capsys, "plot", model("two.json", TWO_INPUTS), *options, "-o", output)
    assert (code, err) == (0, "")
    assert out.startswith(f"wrote {output}: ") and "(default domain)" in out
    check_image(output, suffix)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["two.json", output.name])


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_one_input(capsys, model, tmp_path, suffix):
    pytest.importorskip("matplotlib")
    output = tmp_path / f"f{suffix}"
    code, out, err = run(capsys, "plot", model("one.json", ONE_INPUT), "--level-set", "--box", "-2", "2",
                         "-o", output)
    assert (code, err) == (0, "")
    assert "on box [-2, 2]^1" in out
    check_image(output, suffix)


def test_plot_slice_and_domain_file(capsys, model, tmp_path):
    pytest.importorskip("matplotlib")
    output = tmp_path / "s.png"
    code, out, err = run(capsys, "plot", model("three.json", THREE_INPUTS), "--slice", "0,0,0", "1,0,0",
                         "0,1,1", "--box", "-2", "2", "--heatmap", "-o", output)
    assert (code, err) == (0, "")
    check_image(output, ".png")
    triangle = model("t.json", {"A": [[-1, 0], [0, -1], [1, 1]], "b": [1, 1, 1]})
    code, out, err = run(capsys, "plot", model("two.json", TWO_INPUTS), "--domain", triangle, "-o", output)
    assert (code, err) == (0, "")
    assert "polyhedron in R^2" in out


def test_figure_regions_returns_a_figure():
    pytest.importorskip("matplotlib")
    from polyregions.views.plot import figure_regions
    net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    figure, summary = figure_regions(net, graph=True, level_set=True)
    assert (summary.activation_regions, summary.linear_regions) == (4, 4)
    assert figure.axes and figure.axes[0].get_legend() is not None


@pytest.mark.parametrize("name", ["out.jpg", "out", "out.png.txt"])
def test_plot_wrong_extension(capsys, model, tmp_path, name):
    code, out, err = run(capsys, "plot", model("two.json", TWO_INPUTS), "-o", tmp_path / name)
    assert_one_error_line(code, out, err, "unknown image format")
    assert "use one of .png, .svg, .pdf" in err


@pytest.mark.parametrize("name, obj", [("two.json", TWO_INPUTS), ("one.json", ONE_INPUT)])
def test_plot_pdf(capsys, model, tmp_path, name, obj):
    pytest.importorskip("matplotlib")
    output = tmp_path / "out.pdf"
    code, out, err = run(capsys, "plot", model(name, obj), "-o", output)
    assert (code, err) == (0, "")
    data = output.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"CreationDate" not in data    # the same figure gives the same file


def test_one_input_legend_is_outside_the_axes():
    """The legend of the graph of a function sits below the axes, never over the curve."""
    pytest.importorskip("matplotlib")
    from polyregions.views.plot import figure_function
    net = Network.mlp([[[1], [1], [-1]], [[1, -2, 1]]], [[0, -1, "-1/2"], [0]])
    figure, summary = figure_function(net, Domain.box(1, -2, 2), level_set=True)
    figure.canvas.draw()
    ax = figure.axes[0]
    legends = figure.legends + ([ax.get_legend()] if ax.get_legend() else [])
    assert len(legends) == 1
    box, area = legends[0].get_window_extent(), ax.get_window_extent()
    assert box.y1 <= area.y0, (box, area)


def test_titles_count_in_the_singular_and_plural():
    pytest.importorskip("matplotlib")
    from polyregions.views.plot import figure_function, figure_regions
    identity = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])   # relu(x) - relu(-x) = x
    figure, _ = figure_function(identity)
    assert figure.axes[0].get_title() == ("2 activation regions, 1 linear region, 1 breakpoint "
                                          "on box [-1, 1]^1")
    plane = Network.mlp([[[1, 0], [-1, 0]], [[1, -1]]], [[0, 0], [0]])
    figure, _ = figure_regions(plane)
    assert figure.axes[0].get_title() == "2 activation regions, 1 linear region on box [-1, 1]^2"


@pytest.mark.parametrize("options", [[], ["--box", "-1", "1"]])
def test_plot_three_inputs_needs_a_slice(capsys, model, tmp_path, options):
    pytest.importorskip("matplotlib")
    three = model("three.json", THREE_INPUTS)
    code, out, err = run(capsys, "plot", three, *options, "-o", tmp_path / "o.png")
    assert_one_error_line(code, out, err, "the network has 3 inputs; plot a 2-D slice with --slice")
    assert not (tmp_path / "o.png").exists()


def test_plot_unbounded_domain(capsys, model, tmp_path):
    pytest.importorskip("matplotlib")
    half = model("half.json", {"A": [[1, 0]], "b": [1]})
    two = model("two.json", TWO_INPUTS)
    code, out, err = run(capsys, "plot", two, "--domain", half, "-o", tmp_path / "o.png")
    assert_one_error_line(code, out, err, "a plot needs a bounded domain")


def test_plot_one_input_refuses_graph_and_heatmap(capsys, model, tmp_path):
    pytest.importorskip("matplotlib")
    for option in ("--graph", "--heatmap"):
        code, out, err = run(capsys, "plot", model("one.json", ONE_INPUT), option, "-o", tmp_path / "o.png")
        assert_one_error_line(code, out, err, "need a 2-input view")


def test_plot_without_matplotlib(capsys, model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    code, out, err = run(capsys, "plot", model("two.json", TWO_INPUTS), "-o", tmp_path / "o.png")
    assert (code, out) == (2, "")
    assert err == "polyregions: error: plotting needs matplotlib: pip install 'polyregions[plot]'\n"
    assert not (tmp_path / "o.png").exists()


def test_package_import_does_not_import_matplotlib():
    import subprocess
    code = ("import sys, polyregions, polyregions.views.plot, polyregions.cli; "
            "print(any(m == 'matplotlib' or m.startswith('matplotlib.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("high", ["1e-320", "1/" + "7" * 400])
def test_a_domain_floating_point_cannot_draw_is_refused(tmp_path, capsys, high):
    """The regions are exact; a picture of a box narrower than floating point resolves is not."""
    from pathlib import Path

    pytest.importorskip("matplotlib")
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo.json"
    code, out, err = run(capsys, "plot", demo, "--box", 0, high, "-o", tmp_path / "p.png")
    assert_one_error_line(code, out, err, r"a plot draws in floating point, and the domain box \[0, .*\]\^2 is too "
                                          r"small or too large there")
    assert not (tmp_path / "p.png").exists()
    code, out, err = run(capsys, "plot", demo, "--box", 0, "1e-30", "-o", tmp_path / "q.png")
    assert code == 0 and err == ""
