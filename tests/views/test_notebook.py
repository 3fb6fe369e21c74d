"""The notebook API: one import, tables in Jupyter, the regions DataFrame, inline plots, volumes."""

from __future__ import annotations

import itertools
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

import polyregions as pr
from polyregions.geometry.volume import polytope_volume
from polyregions.search.regions import region_volume
from polyregions.errors import InputError
from polyregions.core.network import Network

ROOT = Path(__file__).resolve().parents[2]


def test_one_import_has_what_a_notebook_needs():
    for name in ("load_model", "from_torch", "from_onnx", "Domain", "count_regions", "enumerate_regions",
                 "region_graph", "linear_region_graph", "certify", "check_certificate", "regions_table",
                 "plot_regions", "Explorer", "region_containing", "Network"):
        assert name in pr.__all__ and hasattr(pr, name), name
    import polyregions.certificates.regions  # noqa: F401 - importing the submodule must not shadow the function

    assert callable(pr.certify) and callable(pr.check_certificate)
    assert set(pr.__all__) <= set(dir(pr))
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        pr.no_such_name  # noqa: B018


def test_a_count_loads_no_graph_or_drawing_code():
    """The package's names load on first use: a count (in Python or from the command line)
    does not import networkx or the plotting modules (0.1 s and 20 MiB of a short run)."""
    import subprocess

    code = ("import sys, polyregions as pr\n"
            "from polyregions.cli import main\n"
            "pr.count_regions(pr.load_model(sys.argv[1]))\n"
            "main(['count', sys.argv[1]])\n"
            "heavy = sorted(m for m in ('networkx', 'polyregions.views.plot', 'polyregions.queries.graph', 'sympy') "
            "if m in sys.modules)\n"
            "print('loaded:', heavy)\n"
            "pr.region_graph\n"
            "print('networkx' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / "demo.json")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-2:] == ["loaded: []", "True"]


def test_the_engine_loads_no_network_or_mail_code():
    """Importing the engine (as every worker process does) loads neither the html module nor
    xml.sax.saxutils, which imports urllib.request, http.client, email and ssl: 6 MiB of
    resident memory per process (the kernel benchmark's RSS went from 19 to 25 MiB)."""
    import subprocess

    code = ("import sys\nimport polyregions.search.engine, polyregions.run.executors, polyregions.queries.count\n"
            "print(sorted(m for m in ('html', 'xml.sax.saxutils', 'urllib.request', 'http.client', 'email', 'ssl') "
            "if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_certify_and_check_with_objects(tmp_path):
    net = pr.load_model(ROOT / "examples" / "identity.json")
    cert = pr.certify(net, linear=True)
    assert pr.check_certificate(cert, net) == {"activation_regions": 2, "linear_regions_at_most": 1}
    from polyregions.certificates.regions import write_certificate

    write_certificate(cert, tmp_path / "c.json")
    assert pr.check_certificate(tmp_path / "c.json", ROOT / "examples" / "identity.json")["activation_regions"] == 2
    from polyregions.checker.check import CheckFailure

    with pytest.raises(CheckFailure, match=r"^domain: the certificate proves the count on all of R\^1, not on "
                                           r"the domain asked for \(box \[0, 1\]\^1\)$"):
        pr.check_certificate(cert, net, pr.Domain.box(1, 0, 1))


def test_html_reprs():
    net = pr.load_model(ROOT / "examples" / "demo.json")
    box = pr.Domain.box(2, -1, 1)
    html = pr.count_regions(net, box)._repr_html_()
    assert "<table>" in html and "activation regions" in html and ">69<" in html and ">61<" in html
    region = next(pr.enumerate_regions(net, box))
    html = region._repr_html_()
    assert region.key in html and "interior point" in html and "volume" in html and "output" in html
    graph = pr.region_graph(net, box)
    html = graph._repr_html_()
    assert "69 activation regions" in html and "119 adjacencies" in html
    merged = pr.linear_region_graph(graph)
    assert "61 linear regions" in merged._repr_html_()
    # still a plain networkx graph for everything else
    assert graph.copy().number_of_edges() == 119


def test_regions_table():
    pytest.importorskip("pandas", reason="needs pandas (test extra)")
    net = pr.load_model(ROOT / "examples" / "demo.json")
    table = pr.regions_table(net, pr.Domain.box(2, -1, 1))
    assert len(table) == 69 and list(table.columns[:3]) == ["pattern", "bounded", "interior_point"]
    assert sum(F(v) for v in table["volume"]) == 4     # the regions tile the box exactly
    assert table["bounded"].all()
    unbounded = pr.regions_table(net, limit=5)
    assert len(unbounded) == 5 and unbounded["volume"].isna().sum() == (~unbounded["bounded"]).sum()
    wide = pr.regions_table(Network.mlp([[[1, 0, 0, 1]]], [[0]], final_activation="relu"), pr.Domain.box(4, 0, 1))
    assert wide["volume"].isna().all()          # no volumes above dimension 3


def test_regions_table_numeric_columns():
    """Floats of the interior point and of the output map beside the exact strings (issue 22):
    each equal to float() of the exact number, for sorting and plotting without parsing."""
    pytest.importorskip("pandas", reason="needs pandas (test extra)")
    net = Network.mlp([[[F(1, 3), 2], [-1, F(2, 7)], [1, 1]], [[1, -1, F(1, 9)], [F(-3, 11), 0, 1]]],
                      [[F(1, 5), 0, F(-1, 3)], [F(1, 7), 0]])
    box = pr.Domain.box(2, -1, F(1, 2))
    table = pr.regions_table(net, box)
    assert list(table.columns) == ["pattern", "bounded", "interior_point", "output_map", "facets", "volume",
                                   "volume_float", "x1", "x2", "out0_x1", "out0_x2", "out0_bias",
                                   "out1_x1", "out1_x2", "out1_bias"]
    regions = list(pr.enumerate_regions(net, box))
    assert len(table) == len(regions) > 3
    for row, region in zip(table.to_dict("records"), regions):
        assert row["pattern"] == region.key
        assert row["interior_point"] == "(" + ", ".join(str(v) for v in region.interior_point) + ")"
        assert [row["x1"], row["x2"]] == [float(v) for v in region.interior_point]
        m = region.output_map
        for k in range(2):
            assert [row[f"out{k}_x1"], row[f"out{k}_x2"], row[f"out{k}_bias"]] == \
                [float(v) for v in m.weight[k] + (m.bias[k],)]
            # the floats are the map at the interior point, up to rounding; the exact map is exact
            assert net(region.interior_point)[k] == sum(w * v for w, v in zip(m.weight[k], region.interior_point)) \
                + m.bias[k]
        assert row["volume_float"] == float(F(row["volume"]))
    for column in ("x1", "x2", "out0_x1", "out1_bias"):
        assert table[column].dtype == float
    by_x1 = table.sort_values("x1")
    assert list(by_x1["x1"]) == sorted(float(r.interior_point[0]) for r in regions)
    one = pr.regions_table(Network.mlp([[[1], [-1]], [[1, 1]]], [[F(1, 3), 0], [0]]), limit=2)
    assert list(one.columns[7:]) == ["x1", "out0_x1", "out0_bias"] and len(one) == 2


def test_regions_table_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(InputError, match=r"^regions_table needs pandas: pip install pandas \(or pip install -e "
                                         r"'\.\[notebook\]' from the clone\)$"):
        pr.regions_table(Network.mlp([[[1]]], [[0]]))


def test_volumes_are_exact_and_tile_the_box():
    net = Network.mlp([[[1, 2, -1], [0, 1, 1], [1, -1, 1], [2, 1, 0]], [[1, 1, 1, 1]]],
                      [[F(1, 3), 0, F(-1, 2), F(1, 5)], [0]])
    box = pr.Domain.box(3, -1, F(1, 2))
    volumes = [region_volume(r) for r in pr.enumerate_regions(net, box)]
    assert sum(volumes) == F(3, 2) ** 3 and all(v > 0 for v in volumes)
    one = Network.mlp([[[1], [-1]], [[1, 1]]], [[F(1, 3), 0], [0]])
    # breakpoints at -1/3 and 0
    assert sorted(region_volume(r) for r in pr.enumerate_regions(one, pr.Domain.box(1, -1, 1))) == [
        F(1, 3), F(2, 3), F(1)]
    assert [region_volume(r) for r in pr.enumerate_regions(one) if not r.bounded] == [None, None]
    simplex = [tuple(F(int(i == j)) for j in range(3)) for i in range(3)] + [(F(0),) * 3]
    facets = [((-1, 0, 0), 0), ((0, -1, 0), 0), ((0, 0, -1), 0), ((1, 1, 1), 1)]
    assert polytope_volume(simplex, facets) == F(1, 6)
    with pytest.raises(InputError, match=r"^exact volumes are computed in dimensions 1 to 3, not 4$"):
        polytope_volume([tuple(p) for p in itertools.product((F(0), F(1)), repeat=4)], [])


def test_plot_regions_inline(tmp_path):
    pytest.importorskip("matplotlib", reason="needs matplotlib (test extra)")
    net = pr.load_model(ROOT / "examples" / "demo.json")
    plot = pr.plot_regions(net, pr.Domain.box(2, -1, 1), graph=True)
    assert plot._repr_png_().startswith(b"\x89PNG")
    assert repr(plot) == "RegionPlot(69 activation regions, 61 linear regions on box [-1, 1]^2)"
    plot.save(tmp_path / "p.svg")
    assert (tmp_path / "p.svg").read_text().lstrip().startswith("<?xml")
    one = pr.plot_regions(pr.load_model(ROOT / "examples" / "identity.json"))
    assert one.summary.activation_regions == 2
    with pytest.raises(InputError, match=r"^plot_regions needs a network with 1 or 2 inputs, got 3"):
        pr.plot_regions(Network.mlp([[[1, 0, 0]]], [[0]]))
