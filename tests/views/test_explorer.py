"""The interactive region explorer (plot -o FILE.html): a self-contained file, tested in a real browser.

The browser test loads the file in headless Chromium (Debian's package, installed by
``make test`` through scripts/install_browser.sh when missing; skipped, saying why, where
it cannot be), takes a screenshot, hovers a region and reads the hover label, then
clicks it and checks that exactly its neighbours in the region graph are highlighted.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

pytest.importorskip("plotly", reason="needs plotly (test extra): pip install -e '.[test]'")

import polyregions as pr  # noqa: E402
from polyregions.errors import InputError  # noqa: E402
from polyregions.views.explorer import DIV_ID, Explorer, explorer_html, format_affine, write_explorer  # noqa: E402
from polyregions.views.plot import region_polygons  # noqa: E402

from tests.support.clirun import assert_one_error_line, run  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.json"


def test_the_file_is_self_contained(tmp_path, capsys):
    out_path = tmp_path / "regions.html"
    code, out, err = run(capsys, "plot", DEMO, "--box", -1, 1, "-o", out_path)
    assert code == 0, err
    assert re.fullmatch(r"wrote .*regions\.html: 69 activation regions, 61 linear regions on box \[-1, 1\]\^2 "
                        r"in [\d.]+ s\n", out)
    text = out_path.read_text()
    assert not re.search(r"<script[^>]+src=", text)          # plotly.js is inside, nothing is fetched
    assert not re.search(r"<link[^>]+href=[\"']https?:", text)
    assert f'id="{DIV_ID}"' in text and "Plotly.newPlot" in text
    net = pr.load_model(DEMO)
    keys = {p.key for p in region_polygons(net, pr.Domain.box(2, -1, 1))}
    assert all(key in text for key in keys)
    assert "layer 1 boundary" in text and "layer 3 boundary" in text


def test_options_and_errors(tmp_path, capsys):
    code, out, err = run(capsys, "plot", DEMO, "--heatmap", "-o", tmp_path / "h.html")
    assert_one_error_line(code, out, err, r"--heatmap is for images \(\.png, \.svg, \.pdf\), not for the \.html "
                                          r"explorer$")
    code, out, err = run(capsys, "plot", DEMO, "--level-set", "--title", "demo", "-o", tmp_path / "l.html")
    assert code == 0 and "output 0 = 0" in (tmp_path / "l.html").read_text()
    # a slice of a 4-input network, and the default domain
    code, out, err = run(capsys, "plot", ROOT / "examples" / "demo.json", "--slice", "0,0", "1,0", "0,1",
                         "-o", tmp_path / "s.html")
    assert code == 0, err
    with pytest.raises(InputError, match=r"^the explorer needs a 2-input view, got a network with 1 input\(s\)"):
        explorer_html(pr.load_model(ROOT / "examples" / "identity.json"))
    with pytest.raises(InputError, match=r"out\.png: the explorer is written as \.html$"):
        write_explorer(pr.load_model(DEMO), None, tmp_path / "out.png")


def test_missing_plotly_says_how_to_install(monkeypatch, tmp_path, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "plotly", None)
    code, out, err = run(capsys, "plot", DEMO, "-o", tmp_path / "x.html")
    assert_one_error_line(code, out, err, re.escape("the HTML explorer needs plotly: pip install -e '.[plot]' "
                                                    "(from the clone)"))


def test_notebook_explorer(tmp_path):
    explorer = Explorer(pr.load_model(DEMO), pr.Domain.box(2, -1, 1), title="demo")
    assert repr(explorer) == "Explorer(69 activation regions, 61 linear regions)"
    assert DIV_ID in explorer._repr_html_()
    explorer.save(tmp_path / "e.html")
    assert (tmp_path / "e.html").stat().st_size > 1_000_000


def test_format_affine():
    assert format_affine([1, -1, 0], 0, ["a", "b", "c"]) == "a - b"
    assert format_affine([-2, 0], "1/2" and pr.to_rational("1/2"), ["x1", "x2"]) == "-2 x1 + 1/2"


# --------------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def chromium():
    pytest.importorskip("websocket", reason="needs websocket-client (test extra) to drive the browser")
    from tests.support.browser import find_chromium

    executable, why = find_chromium()
    if executable is None:
        pytest.skip(f"no browser: {why}")
    return executable


def _pixel(browser, x, y):
    return browser.evaluate(
        f"(function(){{var gd=document.getElementById('{DIV_ID}');"
        "var xa=gd._fullLayout.xaxis, ya=gd._fullLayout.yaxis, r=gd.getBoundingClientRect();"
        f"return [r.left + xa._offset + xa.l2p({x}), r.top + ya._offset + ya.l2p({y})];}})()")


def test_hover_and_click_in_chromium(chromium, tmp_path):
    from tests.support.browser import Browser

    start = time.monotonic()
    net = pr.load_model(DEMO)
    domain = pr.Domain.box(2, -1, 1)
    path = tmp_path / "regions.html"
    write_explorer(net, domain, path, title="demo")
    graph = pr.region_graph(net, domain)
    polygons = region_polygons(net, domain)
    # the polygon with the largest area, hovered at its vertex centroid (inside, away from the marker)
    from polyregions.geometry.volume import polygon_area

    target = max(polygons, key=lambda p: polygon_area(p.vertices))
    cx = float(sum(v[0] for v in target.vertices) / len(target.vertices))
    cy = float(sum(v[1] for v in target.vertices) / len(target.vertices))
    with Browser(chromium) as browser:
        browser.open(path)
        browser.wait_for(f"document.querySelector('#{DIV_ID} .main-svg') !== null")
        shot = tmp_path / "explorer.png"
        browser.screenshot(shot)
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
        x, y = _pixel(browser, cx + 1e-3, cy + 1e-3)
        browser.move(x, y)
        label = browser.wait_for("(function(){var h=document.querySelector('.hoverlayer .hovertext');"
                                 "return h ? h.textContent : ''})()")
        assert f"pattern {target.key}" in label
        assert f"linear region L{target.linear_region}" in label and "interior point (" in label
        browser.click(x, y)
        selected = browser.wait_for("window.polyregionsSelected")
        assert selected["key"] == target.key
        assert sorted(selected["neighbors"]) == sorted(graph.neighbors(target.key))
        panel = browser.evaluate("document.getElementById('polyregions-selection').textContent")
        assert target.key in panel and "neighbour" in panel
        # a click on the legend hides a layer's boundaries
        box = browser.evaluate(
            "(function(){var t=Array.from(document.querySelectorAll('.legend .traces')).find("
            "function(e){return e.textContent==='layer 2 boundary'}); var r=t.getBoundingClientRect();"
            "return [r.left + r.width / 2, r.top + r.height / 2]})()")
        browser.click(*box)
        hidden = browser.wait_for(
            "(function(){var gd=document.getElementById('" + DIV_ID + "');"
            "var t=gd.data.find(function(t){return t.name==='layer 2 boundary'}); return t.visible})()")
        assert hidden == "legendonly"
        browser.screenshot(tmp_path / "selected.png")
    assert time.monotonic() - start < 60
