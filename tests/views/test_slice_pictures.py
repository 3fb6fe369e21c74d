"""Pictures of a slice through three images: the images at their corners, the exact decision boundary.

The boundary segments are checked exactly (each end is a tie of its two classes at the top,
by an exact forward pass; points just off the middle have the two classes as argmax, one on
each side) and against the decision_boundary query's pieces (the same union of segments,
line by line). The thumbnails are checked by their artists' anchor points, not by pixels.
"""

from __future__ import annotations

import random
from fractions import Fraction as F
from pathlib import Path

import pytest

from polyregions.core.domain import Domain
from polyregions.core.network import Network
from polyregions.core.slices import slice_network
from polyregions.errors import InputError
from polyregions.geometry.polyhedron import oriented_key
from polyregions.queries.boundary import decision_boundary, piece_segment
from polyregions.views.images import SliceImages, corner_labels, image_shape_of, parse_image_shape
from polyregions.views.plot import argmax_segments, decision_segments, region_polygons
from tests.support.clirun import assert_one_error_line, run
from tests.support.netgen import random_network

ROOT = Path(__file__).resolve().parents[2]
DIGITS = ROOT / "examples" / "digits" / "digits_epoch0.onnx"


def classifiers():
    rng = random.Random(21)
    return [random_network(rng, 2, [rng.randint(3, 6)], "relu", output_dim=rng.randint(2, 4)) for _ in range(8)]


def _argmax(scores):
    best = max(scores)
    return [k for k, y in enumerate(scores) if y == best]


@pytest.mark.parametrize("index", range(8))
def test_decision_segments_are_exact(index):
    net = classifiers()[index]
    polygons = region_polygons(net, Domain.box(2, -2, 2))
    segments = decision_segments(polygons)
    for p, q, (i, j) in segments:
        assert p != q and i < j
        for end in (p, q):
            scores = net(list(end))
            assert scores[i] == scores[j] == max(scores)
        middle = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
        if len(_argmax(net(list(middle)))) != 2:
            continue  # a third class ties there too (not in these networks, but that would be no crossing)
        normal = (q[1] - p[1], p[0] - q[0])
        sides = []
        for sign in (1, -1):
            eps = F(sign, 2 ** 30)
            sides.append(_argmax(net([middle[0] + eps * normal[0], middle[1] + eps * normal[1]])))
        assert sorted(sides) in ([[i], [j]], [[i], [i]], [[j], [j]])  # crossing, or touching without crossing


def _union(segments):
    """Per pair and line, the merged intervals (along x, or along y for a vertical line), exactly."""
    lines = {}
    for p, q, pair in segments:
        a, b = q[1] - p[1], p[0] - q[0]
        c = -(a * p[0] + b * p[1])
        den = a.denominator * b.denominator * c.denominator
        key = (pair, oriented_key([int(a * den), int(b * den), int(c * den)]))
        axis = 0 if key[1][1] else 1
        lines.setdefault(key, []).append(tuple(sorted((p[axis], q[axis]))))
    out = {}
    for key, spans in lines.items():
        merged = []
        for low, high in sorted(spans):
            if merged and low <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        out[key] = [tuple(m) for m in merged]
    return out


@pytest.mark.parametrize("index", range(8))
def test_decision_segments_are_the_boundary_query_pieces(index):
    net = classifiers()[index]
    domain = Domain.box(2, -2, 2)
    ours = decision_segments(region_polygons(net, domain))
    result = decision_boundary(net, domain)
    theirs = [(*piece_segment(piece), piece.classes) for piece in result.pieces]
    if result.ties:
        pytest.skip("a tie region: its pair has no segment here, and pieces along its sides there")
    assert _union(ours) == _union(theirs)


def test_argmax_segments_cases():
    square = ((F(-1), F(-1)), (F(1), F(-1)), (F(1), F(1)), (F(-1), F(1)))
    from polyregions.core.maps import AffineMap
    from polyregions.views.plot import Polygon

    def segments(weight, bias):
        return argmax_segments(Polygon("", 0, square, (), AffineMap(weight, bias), (F(0), F(0))))

    zero = (F(0), F(0))
    assert segments(((F(1), F(0)), (F(1), F(0))), (F(0), F(0))) == []        # a tie region: no segment
    assert segments(((F(1), F(0)), zero), (F(0), F(5))) == []                  # class 1 everywhere
    assert segments(((F(1), F(0)), zero), (F(0), F(1))) == [((F(1), F(-1)), (F(1), F(1)), (0, 1))]  # along a side
    # classes 1 and 2 are one function (no segment between them); 0 meets both on x = 0
    tied = segments(((F(1), F(0)), zero, zero), (F(0), F(0), F(0)))
    assert [pair for _, _, pair in tied] == [(0, 1), (0, 2)]
    assert all(p[0] == q[0] == 0 for p, q, _ in tied)
    three = segments(((F(1), F(0)), (F(-1), F(0)), (F(0), F(1))), (F(0), F(0), F(0)))
    assert {pair for _, _, pair in three} == {(0, 1), (0, 2), (1, 2)}
    assert all(p != q for p, q, _ in three)


def test_one_output_is_its_level_set():
    net = Network.mlp([[[1, 0], [0, 1]], [[1, -1]]], [[0, 0], ["-1/4"]])
    segments = decision_segments(region_polygons(net))
    assert segments and all(pair == (0,) and net(list(p)) == (0,) == net(list(q)) for p, q, pair in segments)


# -- images ---------------------------------------------------------------------------------


def image_net():
    """A 16-input classifier (4x4 images) and three points."""
    rng = random.Random(4)
    net = random_network(rng, 16, [6], "relu", output_dim=3)
    points = [[F(rng.randint(0, 16), 16) for _ in range(16)] for _ in range(3)]
    return net, points


def test_slice_images_check_their_shape():
    _, points = image_net()
    assert SliceImages.from_points(points, (4, 4)).shape == (1, 4, 4)
    with pytest.raises(InputError, match=r"^image shape 1x4x5 has 20 pixels, but the slice point P0 has 16 "
                                         r"coordinates$"):
        SliceImages.from_points(points, (1, 4, 5))
    with pytest.raises(InputError, match=r"P2 has 15 coordinates$"):
        SliceImages.from_points(points[:2] + [points[2][:15]], (4, 4))
    with pytest.raises(InputError, match=r"1 channel \(grey\) or 3 \(RGB\), not 2 \(2x2x4\)$"):
        SliceImages.from_points(points, (2, 2, 4))
    with pytest.raises(InputError, match=r"expected an image shape C,H,W or H,W of positive integers, got \[16\]"):
        SliceImages.from_points(points, (16,))
    with pytest.raises(InputError, match=r"^a slice has three points P0, P1, P2, got 2$"):
        SliceImages.from_points(points[:2], (4, 4))
    with pytest.raises(InputError, match=r"^--image-shape: expected C,H,W or H,W with positive integers, got '4,-4'$"):
        parse_image_shape("4,-4")
    assert parse_image_shape("3x2x2") == (3, 2, 2)
    assert image_shape_of((3, 2, 2)) == (3, 2, 2) and image_shape_of((16,)) is None


def test_levels_share_one_scale_and_uris_are_svg():
    images = SliceImages.from_points([[0, 0, 0], [1, 1, 1], [2, "1/2", 0]], (3, 1, 1))
    assert images.levels() == [[[(0.0, 0.0, 0.0)]], [[(0.5, 0.5, 0.5)]], [[(1.0, 0.25, 0.0)]]]
    import base64
    svg = base64.b64decode(images.svg_uris()[2].split(",", 1)[1]).decode()
    assert 'fill="#ff4000"' in svg and svg.startswith("<svg")


def _thumbnails(figure):
    from matplotlib.offsetbox import AnnotationBbox

    ax = figure.axes[0]
    return {a.get_gid(): a for a in ax.get_children() if isinstance(a, AnnotationBbox)}


@pytest.mark.parametrize("low, high, moved", [(0, 1, ()), (-1, 2, ()), (0, "1/2", ("P1", "P2"))])
def test_thumbnails_sit_at_their_corners(low, high, moved):
    pytest.importorskip("matplotlib")
    from polyregions.views.plot import figure_regions

    net, points = image_net()
    sliced = slice_network(net, *points)
    images = SliceImages.from_points(points, (4, 4))
    figure, _ = figure_regions(sliced, Domain.box(2, low, high), images=images, decision=True)
    boxes = _thumbnails(figure)
    assert sorted(boxes) == ["slice-image-P0", "slice-image-P1", "slice-image-P2"]
    top = float(F(high))
    expected = {"P0": (0.0, 0.0), "P1": (min(1.0, top), 0.0), "P2": (0.0, min(1.0, top))}
    for name, xy in expected.items():
        box = boxes[f"slice-image-{name}"]
        assert tuple(box.xy) == xy
        dx, dy = box.xybox
        assert (dx < 0, dy < 0) == {"P0": (True, True), "P1": (False, True), "P2": (True, False)}[name]
    labels = corner_labels(sliced)
    texts = {name: box.offsetbox.get_children()[0].get_text() for name, box in boxes.items()}
    assert sorted(texts.values()) == sorted(labels)
    title = figure.axes[0].get_title()
    assert "images: P0 at (s, t) = (0, 0), P1 at (1, 0), P2 at (0, 1)" in title
    assert ("outside the view" in title) == bool(moved)
    drawn = [c for c in figure.axes[0].collections if c.get_label().startswith("decision boundary")]
    assert len(drawn) == 1   # labelled as what it shows: segments, or none in this view
    assert (drawn[0].get_label() == "decision boundary (argmax changes)") == bool(drawn[0].get_segments())


def test_corner_labels_are_exact_classes():
    net, points = image_net()
    sliced = slice_network(net, *points)
    for label, point in zip(corner_labels(sliced), points):
        scores = net(point)
        assert label.endswith(f"class {_argmax(scores)[0]}")


def test_explorer_draws_images_and_boundary():
    pytest.importorskip("plotly")
    from polyregions.views.explorer import explorer_figure

    net, points = image_net()
    sliced = slice_network(net, *points)
    figure, _, _ = explorer_figure(sliced, Domain.box(2, 0, 1), decision=True,
                                   images=SliceImages.from_points(points, (4, 4)))
    layout_images = figure.layout.images
    assert [image.name for image in layout_images] == ["P0", "P1", "P2"]
    assert all(image.source.startswith("data:image/svg+xml;base64,") for image in layout_images)
    # P0 lower left of (0, 0), P1 lower right of (1, 0), P2 upper left of (0, 1)
    assert [(image.xanchor, image.yanchor) for image in layout_images] == [("right", "top"), ("left", "top"),
                                                                           ("right", "bottom")]
    assert layout_images[1].x > 1 and layout_images[2].y > 1 and layout_images[0].x < 0
    names = [trace.name for trace in figure.data]
    assert "decision boundary (argmax changes)" in names


# -- command line ---------------------------------------------------------------------------


def _slice_args(points):
    return ["--slice", *(",".join(str(v) for v in p) for p in points)]


@pytest.fixture
def image_model(tmp_path):
    net, points = image_net()
    path = tmp_path / "net16.json"
    import json
    path.write_text(json.dumps(net.to_json()))
    return path, points


def test_cli_image_shape_and_decision(capsys, tmp_path, image_model):
    pytest.importorskip("matplotlib")
    path, points = image_model
    out_png = tmp_path / "s.png"
    code, out, err = run(capsys, "plot", path, *_slice_args(points), "--image-shape", "4,4", "--decision",
                         "-o", out_png)
    assert (code, err) == (0, ""), err
    assert out_png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("options, pattern", [
    (["--image-shape", "4,5"], r"^polyregions: error: --image-shape 4,5: image shape 1x4x5 has 20 pixels, but the "
                               r"slice point P0 has 16 coordinates$"),
    (["--image-shape", "2,2,4"], r"--image-shape: an image to draw has 1 channel \(grey\) or 3 \(RGB\), not 2"),
    (["--image-shape", "four"], r"--image-shape: expected C,H,W or H,W with positive integers, got 'four'"),
    (["--image-shape", "4,4", "--no-images"], r"not allowed with argument"),
])
def test_cli_bad_image_shape(capsys, tmp_path, image_model, options, pattern):
    path, points = image_model
    code, out, err = run(capsys, "plot", path, *_slice_args(points), *options, "-o", tmp_path / "s.png")
    assert_one_error_line(code, out, err, pattern)


def test_cli_image_shape_needs_a_slice(capsys, tmp_path):
    code, out, err = run(capsys, "plot", ROOT / "examples" / "demo.json", "--image-shape", "1,1", "-o",
                         tmp_path / "d.png")
    assert_one_error_line(code, out, err, r"plot: --image-shape is for a --slice view")


def test_cli_onnx_image_model_draws_its_images(capsys, tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("plotly")
    import json

    info = json.loads((DIGITS.parent / "slice.json").read_text())
    args = ["--slice", *(",".join(info[k]) for k in ("p0", "p1", "p2")), "--box", 0, "1/16"]
    html = tmp_path / "d.html"
    code, out, err = run(capsys, "plot", DIGITS, *args, "--decision", "-o", html)
    assert code == 0, err
    text = html.read_text()
    assert text.count("svg+xml;base64,") == 3 and "decision boundary (argmax changes)" in text  # "/" is \\u002f there
    code, out, err = run(capsys, "plot", DIGITS, *args, "--no-images", "-o", html)
    assert code == 0, err
    assert "svg+xml;base64," not in html.read_text()
