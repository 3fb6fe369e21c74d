"""Tests of the command line :mod:`polyregions.cli`, in-process and as ``python -m polyregions``.

The networks are small enough to count by hand:

- ``ONE_RELU``: relu(x1) on R^2, one hyperplane: 2 activation regions, 2 linear, 0 bounded.
- ``SUM_RELU``: relu(x1) + relu(x2) on R^2, the four quadrants: 4 / 4 / 0 over R^2 and
  4 / 4 / 4 in a box around the origin.
- ``IDENTITY_1D``: relu(x) - relu(-x) = x on R^1: 2 activation regions, 1 linear region.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

from tests.support.clirun import assert_one_error_line, run
from polyregions import cli
from polyregions.cli import regions as cli_regions
from polyregions.search.engine import Search
from polyregions.errors import SolverError
from polyregions.core.network import Network
from polyregions.rationals import to_rational

REPO_ROOT = Path(__file__).resolve().parents[2]
FORMAT = "polyregions-network/1"


def net(input_dim, *layers):
    return {"format": FORMAT, "input_dim": input_dim, "layers": list(layers)}


def affine(weight, bias):
    return {"type": "affine", "weight": weight, "bias": bias}


RELU = {"type": "relu"}
ONE_RELU = net(2, affine([[1, 0]], [0]), RELU)
SUM_RELU = net(2, affine([[1, 0], [0, 1]], [0, 0]), RELU, affine([[1, 1]], [0]))
IDENTITY_1D = net(1, affine([[1], [-1]], [0, 0]), RELU, affine([[1, -1]], [0]))
AFFINE_ONLY = net(2, affine([[1, "1/2"]], ["-1/3"]))
#: max(x1, x2) and max(x1 + x2, x2 - x1): the lines x1 = x2 and x1 = 0, four regions.
MAXOUT = net(2, affine([[1, 0], [0, 1], [1, 1], [-1, 1]], [0, 0, 0, 0]), {"type": "maxout", "rank": 2})

#: x1 >= -1, x2 >= -1, x1 + x2 <= 1: a triangle around the origin.
TRIANGLE = {"A": [[-1, 0], [0, -1], [1, 1]], "b": [1, 1, 1]}


@pytest.fixture
def files(tmp_path):
    """Write JSON objects to files in tmp_path; returns a function name, obj -> path string."""

    def make(name, obj):
        path = tmp_path / name
        path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
        return str(path)

    return make


def run_subprocess(*argv, cwd=REPO_ROOT):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-m", "polyregions", *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def labelled(out: str) -> dict[str, str]:
    """The ``label: value`` lines of the human output."""
    lines = {}
    for line in out.splitlines():
        label, _, value = line.partition(":")
        lines[label] = value.strip()
    return lines


def counts_of(out: str) -> tuple[int, int | None, int]:
    lines = labelled(out)
    linear = lines.get("linear regions")
    return (int(lines["activation regions"].split()[0]),
            int(linear.split()[0]) if linear is not None else None,
            int(lines["bounded regions"].split()[0]))


# ---------------------------------------------------------------- count: human output

def test_count_human_output(capsys, files):
    model = files("sum.json", SUM_RELU)
    code, out, err = run(capsys, "count", model)
    assert code == 0 and err == ""
    lines = labelled(out)
    assert list(lines) == ["network", "domain", "activation regions", "linear regions", "bounded regions", "time"]
    assert lines["network"] == f"{model} (2 -> 2 -> 1, relu)"
    assert lines["domain"] == "all of R^2"
    assert lines["activation regions"].startswith("4  (")
    assert lines["linear regions"].startswith("4  (")
    assert lines["bounded regions"].startswith("0  (")
    assert re.fullmatch(r"\d+\.\d{3} s", lines["time"])
    for label in ("activation regions:", "linear regions:", "bounded regions:"):
        assert sum(line.startswith(label) for line in out.splitlines()) == 1


@pytest.mark.parametrize("model, options, expected", [
    (ONE_RELU, [], (2, 2, 0)),
    (SUM_RELU, [], (4, 4, 0)),
    (SUM_RELU, ["--box", "-1", "1"], (4, 4, 4)),
    (SUM_RELU, ["--box", "-1/2", "1"], (4, 4, 4)),
    (SUM_RELU, ["--box", "0.25", "3"], (1, 1, 1)),
    (SUM_RELU, ["--box", "-1,0", "1,2"], (2, 2, 2)),
    (SUM_RELU, ["--box", "-1e-3,-2", "1, 2"], (4, 4, 4)),
    (SUM_RELU, ["--box", "0,-1", "1"], (2, 2, 2)),
    (IDENTITY_1D, [], (2, 1, 0)),
    (IDENTITY_1D, ["--box", "-1", "1"], (2, 1, 2)),
    (IDENTITY_1D, ["--box", "1", "2"], (1, 1, 1)),
    (AFFINE_ONLY, [], (1, 1, 0)),
    (MAXOUT, [], (4, 4, 0)),
])
def test_count_by_hand(capsys, files, model, options, expected):
    code, out, err = run(capsys, "count", files("m.json", model), *options)
    assert (code, err) == (0, "")
    assert counts_of(out) == expected


def test_count_domain_file(capsys, files):
    code, out, err = run(capsys, "count", files("sum.json", SUM_RELU), "--domain", files("tri.json", TRIANGLE))
    assert (code, err) == (0, "")
    assert counts_of(out) == (4, 4, 4)
    assert labelled(out)["domain"] == "polyhedron in R^2 with 3 inequalities"


def test_count_domain_descriptions(capsys, files):
    model = files("sum.json", SUM_RELU)
    assert labelled(run(capsys, "count", model, "--box", "-1/2", "1")[1])["domain"] == "box [-1/2, 1]^2"
    assert labelled(run(capsys, "count", model, "--box", "-1,0", "1,2")[1])["domain"] == "box [-1, 1] x [0, 2]"
    assert labelled(run(capsys, "count", model, "--box", "0.25", "3")[1])["domain"] == "box [1/4, 3]^2"


def test_count_architecture_names(capsys, files):
    assert labelled(run(capsys, "count", files("a.json", AFFINE_ONLY))[1])["network"].endswith("(2 -> 1, affine)")
    assert labelled(run(capsys, "count", files("m.json", MAXOUT))[1])["network"].endswith("(2 -> 4, maxout)")
    mixed = net(1, affine([[1], [2]], [0, 1]), RELU, affine([[1, 1]], [0]), {"type": "abs"},
                affine([[1]], [0]), RELU)
    assert labelled(run(capsys, "count", files("x.json", mixed))[1])["network"].endswith(
        "(1 -> 2 -> 1 -> 1, relu, abs)")


def test_count_no_linear(capsys, files):
    code, out, err = run(capsys, "count", files("sum.json", SUM_RELU), "--no-linear")
    assert (code, err) == (0, "")
    assert "linear regions:" not in out
    assert counts_of(out) == (4, None, 0)


# ---------------------------------------------------------------- count: JSON output

def test_count_json(capsys, files):
    model = files("sum.json", SUM_RELU)
    code, out, err = run(capsys, "count", model, "--json")
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    obj = json.loads(out)
    assert set(obj) == {"activation_regions", "linear_regions", "bounded_regions", "input_dim", "domain",
                        "model", "seconds"}
    assert (obj["activation_regions"], obj["linear_regions"], obj["bounded_regions"]) == (4, 4, 0)
    assert obj["input_dim"] == 2
    assert obj["domain"] == {"kind": "all", "dim": 2}
    assert obj["model"] == model
    assert isinstance(obj["seconds"], float) and obj["seconds"] >= 0


def test_count_json_no_linear(capsys, files):
    code, out, err = run(capsys, "count", files("id.json", IDENTITY_1D), "--json", "--no-linear")
    assert (code, err) == (0, "")
    obj = json.loads(out)
    assert "linear_regions" not in obj
    assert (obj["activation_regions"], obj["bounded_regions"], obj["input_dim"]) == (2, 0, 1)


@pytest.mark.parametrize("options, domain, expected", [
    (["--box", "-1/2", "1"], {"kind": "box", "dim": 2, "low": ["-1/2", "-1/2"], "high": ["1", "1"]}, (4, 4, 4)),
    (["--box", "0.25", "3"], {"kind": "box", "dim": 2, "low": ["1/4", "1/4"], "high": ["3", "3"]}, (1, 1, 1)),
    (["--box", "-1,0", "1,2"], {"kind": "box", "dim": 2, "low": ["-1", "0"], "high": ["1", "2"]}, (2, 2, 2)),
])
def test_count_json_box(capsys, files, options, domain, expected):
    code, out, err = run(capsys, "count", files("sum.json", SUM_RELU), "--json", *options)
    assert (code, err) == (0, "")
    obj = json.loads(out)
    assert obj["domain"] == domain
    assert (obj["activation_regions"], obj["linear_regions"], obj["bounded_regions"]) == expected


def test_count_json_domain_file(capsys, files):
    code, out, err = run(capsys, "count", files("sum.json", SUM_RELU), "--json",
                         "--domain", files("tri.json", {"A": [[-2, 0], [0, -1], ["1/2", "1/2"]], "b": [2, 1, "0.5"]}))
    assert (code, err) == (0, "")
    obj = json.loads(out)
    assert obj["domain"] == {"kind": "polyhedron", "dim": 2, "A": [["-1", "0"], ["0", "-1"], ["1", "1"]],
                             "b": ["1", "1", "1"]}
    assert (obj["activation_regions"], obj["linear_regions"], obj["bounded_regions"]) == (4, 4, 4)


# ---------------------------------------------------------------- regions

def forward_relu(network: dict, x: list[F]) -> list[F]:
    """Exact forward pass of an affine/relu network."""
    for layer in network["layers"]:
        if layer["type"] == "affine":
            x = [sum((to_rational(w) * v for w, v in zip(row, x)), F(0)) + to_rational(c)
                 for row, c in zip(layer["weight"], layer["bias"])]
        else:
            assert layer["type"] == "relu"
            x = [max(v, F(0)) for v in x]
    return x


def read_regions(path) -> list[dict]:
    text = Path(path).read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def check_region(region: dict, network: dict, domain_rows=()) -> None:
    assert set(region) == {"key", "pattern", "inequalities", "interior_point", "output_map", "bounded"}
    assert isinstance(region["bounded"], bool)
    assert region["key"] == "|".join(region["pattern"])
    A, b = region["inequalities"]["A"], region["inequalities"]["b"]
    assert set(region["inequalities"]) == {"A", "b"}
    assert len(A) == len(b)
    strings = [*b, *region["interior_point"], *(v for row in A for v in row),
               *region["output_map"]["bias"], *(v for row in region["output_map"]["weight"] for v in row)]
    assert all(isinstance(s, str) and re.fullmatch(r"-?\d+(/\d+)?", s) for s in strings)
    x = [to_rational(v) for v in region["interior_point"]]
    assert len(x) == network["input_dim"]
    for row, rhs in zip(A, b):
        assert sum((to_rational(a) * v for a, v in zip(row, x)), F(0)) < to_rational(rhs)
    for row, rhs in domain_rows:
        assert sum((F(a) * v for a, v in zip(row, x)), F(0)) < F(rhs)
    weight = [[to_rational(v) for v in row] for row in region["output_map"]["weight"]]
    bias = [to_rational(v) for v in region["output_map"]["bias"]]
    mapped = [sum((w * v for w, v in zip(row, x)), F(0)) + c for row, c in zip(weight, bias)]
    assert mapped == forward_relu(network, x)


def test_regions_jsonl(capsys, files, tmp_path):
    model = files("sum.json", SUM_RELU)
    output = tmp_path / "regions.jsonl"
    code, out, err = run(capsys, "regions", model, "-o", output)
    assert (code, err) == (0, "")
    assert re.fullmatch(rf"wrote 4 activation regions to {re.escape(str(output))} in \d+\.\d{{3}} s\n", out)
    regions = read_regions(output)
    assert len(regions) == 4
    assert sorted(r["key"] for r in regions) == ["++", "+-", "-+", "--"]
    for region in regions:
        check_region(region, SUM_RELU)
        assert region["bounded"] is False
        assert len(region["inequalities"]["A"]) == 2
    maps = {r["key"]: r["output_map"] for r in regions}
    assert maps["++"] == {"weight": [["1", "1"]], "bias": ["0"]}
    assert maps["+-"] == {"weight": [["1", "0"]], "bias": ["0"]}
    assert maps["--"] == {"weight": [["0", "0"]], "bias": ["0"]}
    assert sorted(os.listdir(tmp_path)) == ["regions.jsonl", "sum.json"]


@pytest.mark.parametrize("model, options, rows", [
    (SUM_RELU, ["--box", "-1", "1"], [((1, 0), 1), ((-1, 0), 1), ((0, 1), 1), ((0, -1), 1)]),
    (SUM_RELU, ["--box", "-1,0", "1,2"], [((1, 0), 1), ((-1, 0), 1), ((0, 1), 2), ((0, -1), 0)]),
    (SUM_RELU, ["--box", "0.25", "3"], [((1, 0), 3), ((-4, 0), -1), ((0, 1), 3), ((0, -4), -1)]),
    (IDENTITY_1D, [], []),
    (IDENTITY_1D, ["--box", "-1/3", "5"], [((1,), 5), ((-3,), 1)]),
    (ONE_RELU, [], []),
])
def test_regions_lines_match_the_count(capsys, files, tmp_path, model, options, rows):
    path = files("m.json", model)
    code, out, _ = run(capsys, "count", path, "--json", *options)
    counts = json.loads(out)
    output = tmp_path / "r.jsonl"
    code, out, err = run(capsys, "regions", path, *options, "--output", output)
    assert (code, err) == (0, "")
    regions = read_regions(output)
    assert len(regions) == counts["activation_regions"]
    assert sum(r["bounded"] for r in regions) == counts["bounded_regions"]
    assert len({r["key"] for r in regions}) == len(regions)
    for region in regions:
        check_region(region, model, rows)


def test_regions_with_domain_file(capsys, files, tmp_path):
    output = tmp_path / "r.jsonl"
    code, out, err = run(capsys, "regions", files("sum.json", SUM_RELU), "--domain", files("t.json", TRIANGLE),
                         "-o", output)
    assert (code, err) == (0, "")
    regions = read_regions(output)
    assert len(regions) == 4 and all(r["bounded"] for r in regions)
    for region in regions:
        check_region(region, SUM_RELU, list(zip(map(tuple, TRIANGLE["A"]), TRIANGLE["b"])))


def test_regions_overwrites_an_old_file(capsys, files, tmp_path):
    output = tmp_path / "r.jsonl"
    output.write_text("old\n" * 10, encoding="utf-8")
    code, _, _ = run(capsys, "regions", files("id.json", IDENTITY_1D), "-o", output)
    assert code == 0
    assert len(read_regions(output)) == 2


def test_graph_with_long_exact_numbers(capsys, files, tmp_path):
    # a first-layer weight of 4,501 digits puts a hyperplane key and an inequality past
    # Python's default int/str limit of 4300 digits: still written exactly
    big = "1" + "0" * 4500
    model = net(1, affine([[big], [1]], [1, 1]), RELU, affine([[1, 1]], [0]))
    output = tmp_path / "g.graphml"
    code, _, err = run(capsys, "graph", files("big.json", model), "-o", output, "--inequalities")
    assert (code, err) == (0, "")
    import networkx as nx
    graph = nx.read_graphml(output)
    assert graph.number_of_nodes() == 3
    assert any(big in data["hyperplane"] for _, _, data in graph.edges(data=True))


def test_regions_with_long_exact_numbers(capsys, files, tmp_path):
    # weights 10^4000 in two layers make an 8001-digit output coefficient, beyond Python's
    # default int/str limit of 4300 digits: still written exactly
    model = net(1, affine([["1e4000"], [1]], [0, 1]), RELU, affine([["1e4000", 1]], [0]))
    output = tmp_path / "r.jsonl"
    code, out, err = run(capsys, "regions", files("big.json", model), "-o", output)
    assert (code, err) == (0, "")
    regions = read_regions(output)
    assert len(regions) == 3
    for region in regions:
        check_region(region, model)
    assert max(len(r["output_map"]["weight"][0][0]) for r in regions) == 8001


# ---------------------------------------------------------------- bad input

BAD_MODELS = {
    "malformed JSON": ('{"format": "polyregions-network/1", "input_dim": 2 "layers": []}',
                       r"malformed JSON: Expecting ',' delimiter at line 1 column 52$"),
    "truncated JSON": (json.dumps(SUM_RELU)[:40], r"malformed JSON: .* at line 1 column \d+$"),
    "NaN weight": ('{"format": "polyregions-network/1", "input_dim": 2, "layers": '
                   '[{"type": "affine", "weight": [[1, NaN]], "bias": [0]}]}',
                   r"layers\[0\] \(affine\): weight\[0\]\[1\]: expected a finite number, got NaN$"),
    "nan string weight": (net(2, affine([[1, "nan"]], [0])),
                          r"layers\[0\] \(affine\): weight\[0\]\[1\]: expected a finite number, got 'nan'$"),
    "unknown layer type": (net(2, affine([[1, 0]], [0]), {"type": "softmax"}),
                           r"layers\[1\]: unknown layer type 'softmax'"),
    "wrong shapes": (net(2, affine([[1, 0], [0, 1], [1, 1]], [0, 0, 0]), RELU, affine([[1, 1, 1, 1]], [0])),
                     r"layers\[2\]: weight has 4 columns, expected 3$"),
    "bias length": (net(2, affine([[1, 0]], [0, 0])), r"layers\[0\] \(affine\): bias has 2 entries, weight has 1 rows$"),
    "maxout rank": (net(2, affine([[1, 0], [0, 1], [1, 1]], [0, 0, 0]), {"type": "maxout", "rank": 2}),
                    r"layers\[1\]: maxout rank 2 does not divide the width 3$"),
    "wrong format": ({**SUM_RELU, "format": "onnx"}, r"format: expected 'polyregions-network/1', got 'onnx'$"),
    "empty file": ("", r"malformed JSON: Expecting value at line 1 column 1$"),
    "long integer in the input_dim": ('{"format": "polyregions-network/1", "input_dim": ' + "9" * 5000
                                      + ', "layers": []}', r"input_dim must be between 1 and 1000, got 9{57}\.\.\.$"),
    "integer beyond the digit limit in the input_dim": (
        '{"format": "polyregions-network/1", "input_dim": ' + "9" * 20000 + ', "layers": []}',
        r"input_dim: expected an integer, got number Decimal\('9{48}\.\.\.$"),
}


@pytest.mark.parametrize("command", ["count", "regions"])
@pytest.mark.parametrize("case", list(BAD_MODELS))
def test_bad_models(capsys, files, tmp_path, command, case):
    content, pattern = BAD_MODELS[case]
    model = files("bad.json", content)
    extra = ["-o", tmp_path / "out.jsonl"] if command == "regions" else []
    code, out, err = run(capsys, command, model, *extra)
    assert_one_error_line(code, out, err, rf"^polyregions: error: {re.escape(model)}: {pattern}")
    assert sorted(os.listdir(tmp_path)) == ["bad.json"]  # no output file, no temporary file


def test_missing_model_file(capsys, tmp_path):
    missing = tmp_path / "nope.json"
    code, out, err = run(capsys, "count", missing)
    assert_one_error_line(code, out, err, rf"^polyregions: error: {re.escape(str(missing))}: no such model file$")


def test_model_is_a_directory(capsys, tmp_path):
    code, out, err = run(capsys, "count", tmp_path)
    assert_one_error_line(code, out, err, r"is a directory, expected a model file$")


def test_model_not_utf8(capsys, tmp_path):
    path = tmp_path / "bin.json"
    path.write_bytes(b'{"format": "\xff"}')
    code, out, err = run(capsys, "count", path)
    assert_one_error_line(code, out, err, r"bin\.json: not UTF-8 text$")


@pytest.mark.parametrize("box, pattern", [
    (["1", "0"], r"box coordinate 0: low 1 must be below high 0 \(empty\)$"),
    (["1", "1"], r"box coordinate 0: low 1 must be below high 1 \(not full-dimensional\)$"),
    (["-1,0", "1,0"], r"box coordinate 1: low 0 must be below high 0 \(not full-dimensional\)$"),
    (["-1,0,1", "1"], r"--box: 3 values in '-1,0,1', the network has 2 inputs$"),
    (["-1", "1,2,3"], r"--box: 3 values in '1,2,3', the network has 2 inputs$"),
    (["0", "5,"], r"box high\[1\]: expected a number, got ''$"),
    (["x", "1"], r"box low: expected a number, got 'x'$"),
    (["nan", "1"], r"box low: expected a finite number, got 'nan'$"),
    (["-1", "1/0"], r"box high: zero denominator in '1/0'$"),
])
def test_bad_boxes(capsys, files, box, pattern):
    code, out, err = run(capsys, "count", files("sum.json", SUM_RELU), "--box", *box)
    assert_one_error_line(code, out, err, rf"^polyregions: error: {pattern}")


@pytest.mark.parametrize("content, pattern", [
    ("", r"malformed JSON: Expecting value at line 1 column 1$"),
    ({"A": [[1, 0], [-1, 0]], "b": [0, 0]}, r"the domain is empty or not full-dimensional$"),
    ({"A": [[1, 0], [-1, 0]], "b": [0, -1]}, r"the domain is empty or not full-dimensional$"),
    ({"A": [[0, 0]], "b": [-1]}, r"row 0 reads 0 <= -1: the domain is empty$"),
    ({"A": [[1, 0, 0]], "b": [1]}, r"A\[0\] has 3 entries, expected 2$"),
    ({"A": [[1]], "b": [1]}, r"A\[0\] has 1 entries, expected 2$"),
    ({"A": [[1, 0]]}, r"missing key\(s\) b$"),
    ({"A": [[1, 0]], "b": [1], "c": 0}, r"unknown key\(s\) c$"),
    ('{"A": [[1, NaN]], "b": [1]}', r"A\[0\]\[1\]: expected a finite number, got NaN$"),
])
def test_bad_domain_files(capsys, files, content, pattern):
    domain = files("dom.json", content)
    code, out, err = run(capsys, "count", files("sum.json", SUM_RELU), "--domain", domain)
    assert_one_error_line(code, out, err, rf"^polyregions: error: {re.escape(domain)}: {pattern}")


def test_missing_domain_file(capsys, files, tmp_path):
    code, out, err = run(capsys, "count", files("sum.json", SUM_RELU), "--domain", tmp_path / "none.json")
    assert_one_error_line(code, out, err, r"none\.json: no such domain file$")


@pytest.mark.parametrize("argv, pattern", [
    (["bogus"], r"argument COMMAND: invalid choice: 'bogus' \(choose from 'count', 'regions', 'graph', 'plot', 'certify', 'check', .*'folding', 'bounds', 'construct', 'convert'\)$"),
    (["regions", "{model}"], r"the following arguments are required: -o/--output$"),
    (["count"], r"the following arguments are required: MODEL$"),
    (["count", "{model}", "--frob"], r"unrecognized arguments: --frob$"),
    (["--frob"], r"unrecognized arguments: --frob$"),
    (["count", "{model}", "--box", "1"], r"argument --box: expected 2 arguments$"),
    (["count", "{model}", "--box", "-1", "1", "--domain", "{model}"],
     r"argument --box: not allowed with argument --domain$"),
    (["regions", "{model}", "-o"], r"argument -o/--output: expected one argument$"),
])
def test_bad_command_lines(capsys, files, argv, pattern):
    model = files("sum.json", SUM_RELU)
    code, out, err = run(capsys, *[a.format(model=model) for a in argv])
    assert_one_error_line(code, out, err, rf"^polyregions: error: {pattern}")


def test_no_command_is_one_error_line(capsys):
    code, out, err = run(capsys)
    assert_one_error_line(code, out, err, r"^polyregions: error: missing command: count, regions, graph, plot, certify, check, max, verify, "
                                          r"equiv, lipschitz, boundary, folding, bounds, construct or convert")


def test_write_failure_is_one_line(capsys, files, monkeypatch):
    model = files("sum.json", SUM_RELU)

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device", "out.jsonl")

    monkeypatch.setattr(cli_regions, "write_regions_jsonl", fail)
    code, out, err = run(capsys, "regions", model, "-o", "out.jsonl")
    assert code == 1
    assert err == "polyregions: error: out.jsonl: No space left on device\n"


def test_help_exits_zero(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["count", "--help"])
    assert info.value.code == 0
    assert "--no-linear" in capsys.readouterr().out


def test_output_into_a_missing_directory(capsys, files, tmp_path):
    output = tmp_path / "no" / "r.jsonl"
    code, out, err = run(capsys, "regions", files("sum.json", SUM_RELU), "-o", output)
    assert_one_error_line(code, out, err,
                          rf"^polyregions: error: {re.escape(str(output))}: directory .* does not exist$")
    assert sorted(os.listdir(tmp_path)) == ["sum.json"]


def test_output_is_a_directory(capsys, files, tmp_path):
    (tmp_path / "out").mkdir()
    code, out, err = run(capsys, "regions", files("sum.json", SUM_RELU), "-o", tmp_path / "out")
    assert_one_error_line(code, out, err, r"out: is a directory, expected a file name$")
    assert os.listdir(tmp_path / "out") == []


def test_failed_regions_run_keeps_the_old_output(capsys, files, tmp_path):
    output = tmp_path / "r.jsonl"
    output.write_text("old\n", encoding="utf-8")
    code, out, err = run(capsys, "regions", files("bad.json", net(2, affine([[1]], [0]))), "-o", output)
    assert_one_error_line(code, out, err, r"layers\[0\]: weight has 1 columns, expected 2$")
    assert output.read_text(encoding="utf-8") == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["bad.json", "r.jsonl"]


# ---------------------------------------------------------------- failures during the run

def _one_region_then(exc):
    real = Search.walk

    def fake(self, stack, on_drop=None, stop=None):
        for region in real(self, stack, on_drop, stop):
            yield region
            raise exc

    return fake


def test_interrupted_regions_run_leaves_no_file(capsys, files, tmp_path, monkeypatch):
    monkeypatch.setattr(Search, "walk", _one_region_then(KeyboardInterrupt()))
    code, out, err = run(capsys, "regions", files("sum.json", SUM_RELU), "-o", tmp_path / "r.jsonl")
    assert code == 130
    assert err == "polyregions: interrupted\n"
    assert sorted(os.listdir(tmp_path)) == ["sum.json"]


def test_internal_error_during_regions_leaves_no_file(capsys, files, tmp_path, monkeypatch):
    monkeypatch.setattr(Search, "walk", _one_region_then(SolverError("cdd said no")))
    code, out, err = run(capsys, "regions", files("sum.json", SUM_RELU), "-o", tmp_path / "r.jsonl")
    assert code == 1
    assert err == "polyregions: error: cdd said no\n"
    assert sorted(os.listdir(tmp_path)) == ["sum.json"]


def test_duplicate_pattern_is_an_internal_error(capsys, files, monkeypatch):
    real = Search.walk

    def twice(self, stack, on_drop=None, stop=None):
        for region in real(self, stack, on_drop, stop):
            yield region
            yield region

    monkeypatch.setattr(Search, "walk", twice)
    code, out, err = run(capsys, "count", files("id.json", IDENTITY_1D))
    assert code == 1
    assert err == "polyregions: error: region +- added twice (internal error)\n"


@pytest.mark.parametrize("exc, code, err", [
    (MemoryError(), 1, "polyregions: error: out of memory\n"),
    (KeyboardInterrupt(), 130, "polyregions: interrupted\n"),
    (BrokenPipeError(), 0, ""),
])
def test_count_failures(capsys, files, monkeypatch, exc, code, err):
    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(cli_regions, "count_regions", fail)
    assert run(capsys, "count", files("sum.json", SUM_RELU)) == (code, "", err)


# ---------------------------------------------------------------- as a subprocess

def test_subprocess_count_json(files):
    code, out, err = run_subprocess("count", files("sum.json", SUM_RELU), "--json", "--box", "-1/2", "1")
    assert (code, err) == (0, "")
    obj = json.loads(out)
    assert (obj["activation_regions"], obj["linear_regions"], obj["bounded_regions"]) == (4, 4, 4)


def test_subprocess_regions(files, tmp_path):
    output = tmp_path / "r.jsonl"
    code, out, err = run_subprocess("regions", files("id.json", IDENTITY_1D), "-o", output)
    assert (code, err) == (0, "")
    assert out.startswith(f"wrote 2 activation regions to {output}")
    assert len(read_regions(output)) == 2


@pytest.mark.parametrize("argv, pattern", [
    (["count", "{tmp}/missing.json"], r"missing\.json: no such model file$"),
    (["count", "{truncated}"], r"malformed JSON: .* at line \d+ column \d+$"),
    (["count", "{nan}"], r"layers\[0\] \(affine\): weight\[0\]\[1\]: expected a finite number, got NaN$"),
    (["count", "{model}", "--box", "1", "1"], r"\(not full-dimensional\)$"),
    (["regions", "{model}", "-o", "{tmp}/no/such/dir/r.jsonl"], r"does not exist$"),
    (["regions", "{model}", "-o", "{tmp}"], r"is a directory, expected a file name$"),
    (["frobnicate"], r"invalid choice: 'frobnicate'"),
])
def test_subprocess_errors_have_no_traceback(files, tmp_path, argv, pattern):
    names = {"tmp": str(tmp_path), "model": files("sum.json", SUM_RELU),
             "truncated": files("half.json", json.dumps(SUM_RELU, indent=1)[:60]),
             "nan": files("nan.json", '{"format": "polyregions-network/1", "input_dim": 2, "layers": '
                                      '[{"type": "affine", "weight": [[1, NaN]]}]}')}
    before = sorted(os.listdir(tmp_path))
    code, out, err = run_subprocess(*[a.format(**names) for a in argv], cwd=tmp_path)
    assert_one_error_line(code, out, err, pattern)
    assert sorted(os.listdir(tmp_path)) == before


def test_messages_count_in_the_singular_and_plural(tmp_path, capsys):
    """``1 linear region``, ``1 adjacency``, ``1 pruned branch``: never ``1 linear regions``."""
    identity = tmp_path / "identity.json"   # relu(x) - relu(-x) = x: 2 activation regions, 1 linear
    Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]]).save(identity)
    code, out, _ = run(capsys, "certify", identity, "--linear", "-o", tmp_path / "c.json")
    assert code == 0 and out.startswith(
        f"wrote a certificate of 2 activation regions, 1 linear region (2 pruned branches) to {tmp_path / 'c.json'} in ")
    code, out, _ = run(capsys, "graph", identity, "--merge", "-o", tmp_path / "g.json")
    assert code == 0 and out.startswith("wrote 1 linear region and 0 adjacencies to ")
    code, out, _ = run(capsys, "graph", identity, "-o", tmp_path / "g.json")
    assert code == 0 and out.startswith("wrote 2 activation regions and 1 adjacency to ")
    line = tmp_path / "line.json"   # one region only
    Network.mlp([[[1]]], [[0]]).save(line)
    code, out, _ = run(capsys, "regions", line, "-o", tmp_path / "r.jsonl")
    assert code == 0 and out.startswith("wrote 1 activation region to ")


def test_version_and_small_messages(tmp_path, capsys):
    import polyregions

    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out == f"polyregions {polyregions.__version__}\n"
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo.json"
    # argparse names the option once
    assert_one_error_line(*run(capsys, "count", demo, "--task-seconds", "-1"),
                          r"^polyregions: error: argument --task-seconds: expected seconds between 0 and 1e6, "
                          r"got '-1'$")
    assert_one_error_line(*run(capsys, "count", demo, "--jobs", "x"),
                          r"^polyregions: error: argument --jobs: expected an integer, got 'x'$")
    # a linear region is no polyhedron: --inequalities needs activation regions
    assert_one_error_line(*run(capsys, "graph", demo, "--merge", "--inequalities", "-o", tmp_path / "g.json"),
                          r"--inequalities: a linear region \(--merge\) is a union of activation regions")
    assert not (tmp_path / "g.json").exists()
    # layer types by their file-format names
    leaky = tmp_path / "leaky.json"
    Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]], activation="leaky_relu", slope="1/10").save(leaky)
    code, out, _ = run(capsys, "count", leaky)
    assert code == 0 and out.splitlines()[0] == f"network:            {leaky} (2 -> 2 -> 1, leaky_relu)"
