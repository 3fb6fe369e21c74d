"""The bounds and construct commands, and count --bounds."""

from __future__ import annotations

import json
from fractions import Fraction as F
from pathlib import Path

import pytest

from tests.support.clirun import run
from polyregions.theory.bounds import bounds_table, montufar2014_lower
from polyregions.theory.constructions import arrangement_counts, maxout_construction_counts


def test_bounds_json_keys(capsys):
    code, out, _ = run(capsys, "bounds", "--n0", "2", "--widths", "4,4", "--json")
    table = json.loads(out)
    assert code == 0
    assert {"zaslavsky_shallow", "montufar2014_lower", "serra2018_upper", "serra2018_lower"} <= set(table)
    assert table == json.loads(json.dumps(bounds_table(2, [4, 4])))
    code, out, _ = run(capsys, "bounds", "--n0", "2", "--widths", "2,2", "--rank", "3", "--json")
    assert "montufar2014_maxout_lower" in json.loads(out)


def test_bounds_text(capsys):
    code, out, _ = run(capsys, "bounds", "--n0", "2", "--widths", "4,4")
    assert code == 0
    line = next(l for l in out.splitlines() if l.startswith("montufar2014_lower"))
    assert line.split()[-1] == str(montufar2014_lower(2, [4, 4]))


@pytest.mark.parametrize("widths", ["4,4,3", "2,3", "6,4"])
def test_construct_rectifier_attains_the_lower_bound(tmp_path, capsys, widths):
    path = tmp_path / "z.json"
    assert run(capsys, "construct", "rectifier", "--n0", "2", "--widths", widths, "-o", path)[0] == 0
    code, out, _ = run(capsys, "count", path, "--box", "0", "1", "--json", "--bounds")
    data = json.loads(out)
    assert data["activation_regions"] == montufar2014_lower(2, [int(w) for w in widths.split(",")])
    assert data["bounds"]["montufar2014_lower"]["value"] == data["activation_regions"]
    assert data["activation_regions"] <= data["bounds"]["serra2018_upper"]["value"]


def test_construct_maxout_and_arrangements(tmp_path, capsys):
    path = tmp_path / "m.json"
    assert run(capsys, "construct", "maxout", "--n0", "2", "--rank", "3", "--depth", "2", "-o", path)[0] == 0
    code, out, _ = run(capsys, "count", path, "--box", "0", "1", "--json")
    assert json.loads(out)["activation_regions"] == maxout_construction_counts(2, 3, 2)["activation_regions"] == 27
    for name in ("braid", "shi", "catalan"):
        assert run(capsys, "construct", "arrangement", name, "--dim", "3", "-o", path)[0] == 0
        code, out, _ = run(capsys, "count", path, "--json", "--no-linear")
        assert json.loads(out)["activation_regions"] == arrangement_counts(name, 3)["regions"]


ABS3 = {"format": "polyregions-network/1", "input_dim": 1, "layers": [
    {"type": "affine", "weight": [[1]], "bias": [0]}, {"type": "abs"},
    {"type": "affine", "weight": [[1]], "bias": ["-1/2"]}, {"type": "abs"},
    {"type": "affine", "weight": [[1]], "bias": ["-1/4"]}, {"type": "abs"},
    {"type": "affine", "weight": [[1]], "bias": [0]}]}


def _rows(out):
    """The first line of each bound's block: name -> the words after the name."""
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line[:1].isalpha() and line.split()[0].islower() and "_" in line.split()[0]}


def test_count_bounds_only_where_they_apply(tmp_path, capsys):
    """Three abs layers of width 1 have 8 regions: Serra's ReLU bound (4) does not apply to them."""
    path = tmp_path / "abs3.json"
    path.write_text(json.dumps(ABS3))
    code, out, _ = run(capsys, "count", path, "--bounds")
    assert code == 0 and "activation regions: 8 " in out
    rows = _rows(out)
    assert rows["serra2018_upper"] == ["upper", "does", "not", "apply"]
    assert rows["montufar2017_upper"] == ["upper", "8", "8", "count", "<=", "bound"]
    assert rows["zaslavsky_shallow"] == ["exact", "in", "general", "position", "4", "comparison"]
    assert ("why not: stated for ReLU networks; abs is not a ReLU (|z| = relu(z) + relu(-z) folds the input)"
            in out)
    assert "VIOLATED" not in out
    code, out, _ = run(capsys, "count", path, "--bounds", "--json")
    data = json.loads(out)
    assert data["bounds"]["serra2018_upper"]["applies"] is False
    assert data["bounds"]["serra2018_upper"]["verdict"] is None
    assert data["bounds"]["montufar2017_upper"]["verdict"] == "count <= bound"
    # the maxout construction: no ReLU bound applies, the maxout bounds do
    maxout = tmp_path / "m.json"
    run(capsys, "construct", "maxout", "--n0", "2", "--rank", "3", "--depth", "2", "-o", maxout)
    code, out, _ = run(capsys, "count", maxout, "--bounds")
    rows = _rows(out)
    for key in ("zaslavsky_shallow", "montufar2017_upper", "serra2018_upper", "montufar2014_lower"):
        assert rows[key][-3:] == ["does", "not", "apply"], key
    assert rows["montufar2014_maxout_lower"] == ["lower", "27", "27", "count", ">=", "bound"]
    assert rows["serra2018_maxout_upper"] == ["upper", "484", "27", "count", "<=", "bound"]


def test_count_bounds_lower_and_violated(tmp_path, capsys, monkeypatch):
    path = tmp_path / "small.json"   # 2 -> 4 -> 4 relu: fewer regions than the best network of its architecture
    path.write_text(json.dumps({"format": "polyregions-network/1", "input_dim": 2, "layers": [
        {"type": "affine", "weight": [[1, 0], [0, 1], [1, 1], [1, -1]], "bias": [0, 0, 0, 0]}, {"type": "relu"},
        {"type": "affine", "weight": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
         "bias": [-1, -1, -1, -1]}, {"type": "relu"}]}))
    code, out, _ = run(capsys, "count", path, "--bounds")
    rows = _rows(out)
    assert rows["montufar2014_lower"][-3:] == ["count", "<", "bound"]
    assert "count < bound is no contradiction for a lower bound" in out
    assert "VIOLATED" not in out
    from polyregions.theory import table
    monkeypatch.setattr(table, "serra2018_upper", lambda n0, widths: 3)   # a broken bound shows at once
    code, out, _ = run(capsys, "count", path, "--bounds")
    assert code == 0
    count = json.loads(run(capsys, "count", path, "--json", "--no-linear")[1])["activation_regions"]
    assert _rows(out)["serra2018_upper"] == ["upper", "3", str(count), "VIOLATED:", "count", ">", "bound"]
    assert "VIOLATED: an upper bound that applies is below the exact count" in out


def test_bounds_activation_option(capsys):
    code, out, _ = run(capsys, "bounds", "--n0", "1", "--widths", "1,1,1", "--activation", "abs")
    rows = _rows(out)
    assert code == 0
    assert rows["serra2018_upper"] == ["upper", "does", "not", "apply"]
    assert rows["montufar2017_upper"] == ["upper", "8"]
    code, out, _ = run(capsys, "bounds", "--n0", "2", "--widths", "2,2", "--rank", "3", "--json")
    table = json.loads(out)
    assert table["serra2018_upper"]["applies"] is False and table["serra2018_maxout_upper"]["value"] == 484


def test_count_bounds_text(tmp_path, capsys):
    path = tmp_path / "z.json"
    run(capsys, "construct", "rectifier", "--n0", "1", "--widths", "3,2", "-o", path)
    code, out, _ = run(capsys, "count", path, "--box", "0", "1", "--bounds")
    assert code == 0 and "serra2018_upper" in out and "activation regions:" in out


@pytest.mark.parametrize("argv, message", [
    (["bounds", "--n0", "0", "--widths", "2"], "n0"),
    (["bounds", "--n0", "2", "--widths", "a,b"], "--widths: expected comma-separated integers"),
    (["bounds", "--n0", "x", "--widths", "2"], "--n0: expected an integer"),
    (["construct", "arrangement", "bogus", "--dim", "2", "-o", "x.json"], "invalid choice: 'bogus'"),
    (["construct"], "construct: missing kind"),
    (["bounds", "--n0", "2", "--widths", "2", "--activation", "maxout"], "maxout layers need a rank (--rank K)"),
    (["bounds", "--n0", "2", "--widths", "2", "--activation", "gelu"], "argument --activation: invalid choice: 'gelu'"),
    (["construct", "arrangement", "generic", "--dim", "2", "-o", "x.json"],
     "construct arrangement generic: needs --count M, the number of hyperplanes"),
    (["construct", "arrangement", "braid", "--dim", "3", "--count", "4", "-o", "x.json"],
     "construct arrangement braid: --count is for generic arrangements only"),
])
def test_bad_theory_commands(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("polyregions: error:") and message in err and len(err.splitlines()) == 1


def test_count_bounds_needs_an_activation_layer(tmp_path, capsys):
    path = tmp_path / "affine.json"
    path.write_text(json.dumps({"format": "polyregions-network/1", "input_dim": 2,
                                "layers": [{"type": "affine", "weight": [[1, 2]], "bias": [0]}]}))
    code, out, err = run(capsys, "count", path, "--bounds")
    assert code == 2 and err == ("polyregions: error: --bounds: the network has no activation layer, "
                                 "so no bound applies to it\n")


def test_certify_refuses_slices(tmp_path, capsys):
    path = tmp_path / "z.json"
    run(capsys, "construct", "rectifier", "--n0", "3", "--widths", "3", "-o", path)
    code, out, err = run(capsys, "certify", path, "--slice", "0,0,0", "1,0,0", "0,1,0", "-o", tmp_path / "c.json")
    assert code == 2 and "certify: --slice is not supported" in err
    assert not (tmp_path / "c.json").exists()


def test_a_slice_view_says_so_everywhere(tmp_path, capsys):
    """Outputs on a --slice name the plane and give the model's own architecture; max also
    gives its maximiser in the model's inputs."""
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo.json"
    plane = ["--slice", "0,0", "2,0", "0,2"]
    said = ("slice:", "the plane x = P0 + s (P1 - P0) + t (P2 - P0) with P0 = (0, 0), P1 = (2, 0), "
            "P2 = (0, 2); the domain, points and regions are in (s, t)")
    for command in (["count"], ["max"], ["lipschitz", "--norm", "1"], ["folding"]):
        code, out, err = run(capsys, *command, demo, *plane, "--box", 0, "1/2")
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split(None, 1) == ["network:", f"{demo} (2 -> 8 -> 8 -> 1, relu)"], command
        assert lines[1].split(None, 1) == list(said), command
        code, out, err = run(capsys, *command, demo, *plane, "--box", 0, "1/2", "--json")
        found = json.loads(out)
        assert found["slice"]["p0"] == ["0", "0"] and found["slice"]["p2"] == ["0", "2"], command
        code, out, err = run(capsys, *command, demo, "--box", 0, "1/2", "--json")
        assert "slice" not in json.loads(out), command
    code, out, _ = run(capsys, "max", demo, *plane, "--box", 0, "1/2", "--json")
    found = json.loads(out)
    s, t = (F(v) for v in found["point"])
    assert found["input_point"] == [str(2 * s), str(2 * t)]
    code, out, _ = run(capsys, "max", demo, *plane, "--box", 0, "1/2")
    assert f"input point:     ({2 * s}, {2 * t})" in out
    for command in (["regions", "-o", tmp_path / "r.jsonl"], ["graph", "-o", tmp_path / "g.json"]):
        code, out, err = run(capsys, command[0], demo, *plane, *command[1:])
        assert code == 0 and f"{said[0]} {said[1]}" in out, err
    assert json.loads((tmp_path / "g.json").read_text())["graph"]["slice"] == said[1]
    classifier = demo.parent / "classifier.json"
    code, out, err = run(capsys, "boundary", classifier, *plane)
    assert code == 0 and out.splitlines()[1].split(None, 1) == list(said), err


def test_folding_lists_the_largest_multiplicities_first(capsys):
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo.json"
    code, out, _ = run(capsys, "folding", demo, "--box", -1, 1)
    assert code == 0
    assert "layer 3: 69 cells onto 61 distinct images; multiplicities, largest first: 9, 1, 1," in out
