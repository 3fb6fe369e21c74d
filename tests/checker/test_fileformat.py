"""Tests of :mod:`polyregions.checker.fileformat`: the one reader of numbers, JSON and model files.

``polyregions count`` and the standalone checker both read through it; the table
below runs both over the same model files and requires the same verdict (issue 14,
item 7), and the limits on digits, exponents, nesting and file size hold for both.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import pytest

from tests.support.clirun import assert_one_error_line, run
from polyregions.checker import fileformat
from polyregions.certificates.regions import certify
from polyregions.checker.check import FORMAT, CheckFailure, check_certificate, model_digest
from polyregions.queries.count import count_regions
from polyregions.errors import NetworkError, NumberError
from polyregions.checker.models import _read_model
from polyregions.checker.fileformat import MAX_DIGITS, FormatError, int_from_digits, loads, read_number
from polyregions.core.network import Network
from polyregions.files import parse_json_exact
from polyregions.rationals import to_rational

from tests.core.test_network import FILE_CASES

REPO_ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- numbers

@pytest.mark.parametrize("text, expected", [
    ("3", F(3)), ("-3/6", F(-1, 2)), ("1/-2", F(-1, 2)), (" 1 / 2 ", F(1, 2)), ("\t+5/10\n", F(1, 2)),
    ("0.1", F(1, 10)), ("-2.5E2", F(-250)), ("+.5", F(1, 2)), ("1.", F(1)), ("1e-3", F(1, 1000)),
    ("0.0001e4001", F(10**3997)), ("1e4000", F(10**4000)),
])
def test_number_strings(text, expected):
    assert read_number(text) == expected


@pytest.mark.parametrize("text, message", [
    ("1_000", "expected a number, got '1_000'"),          # int() and Decimal() would take it
    ("1_0/3", "expected a rational 'p/q', got '1_0/3'"),
    ("\u0661\u0662", "expected a number, got '\u0661\u0662'"),   # Arabic-Indic digits: int() takes them
    ("0x10", "expected a number, got '0x10'"),
    ("1/+-2", "expected a rational 'p/q', got '1/+-2'"),
    ("- 1", "expected a number, got '- 1'"),
    ("nan123", "expected a finite number, got 'nan123'"),
    ("1e4001", "number 1E+4001 has an absurd exponent"),
    ("1e10000000", "number 1E+10000000 has an absurd exponent"),
    ("1e99999999999999999999", "number 1e99999999999999999999 has an absurd exponent"),
    ("0." + "0" * 10_000 + "1", "number too long: more than 10,000 digits"),
])
def test_number_strings_refused(text, message):
    with pytest.raises(FormatError, match="^" + re.escape("w: " + message) + "$"):
        read_number(text, "w")


@pytest.mark.parametrize("value", [
    "9" * (MAX_DIGITS + 1), "1/" + "7" * (MAX_DIGITS + 1), "7" * (MAX_DIGITS + 1) + "/3",
    "1." + "1" * MAX_DIGITS, "9" * (MAX_DIGITS - 10) + "e20",
    10 ** MAX_DIGITS, -(10 ** MAX_DIGITS), F(1, 10 ** MAX_DIGITS), Decimal("9" * (MAX_DIGITS + 1)),
], ids=["integer text", "denominator text", "numerator text", "decimal text", "decimal text times 1e20",
        "int", "negative int", "Fraction", "Decimal"])
def test_too_many_digits_refused(value):
    """Regression (item 2): a number of two million digits took minutes; the limit is 10,000."""
    with pytest.raises(NumberError, match=r"^layers\[0\]: bias\[0\]: number too long: more than 10,000 digits$"):
        to_rational(value, "layers[0]: bias[0]")


def test_digits_at_the_limit_accepted():
    assert to_rational("9" * MAX_DIGITS) == 10 ** MAX_DIGITS - 1
    assert to_rational("1/" + "9" * MAX_DIGITS) == F(1, 10 ** MAX_DIGITS - 1)
    assert to_rational(10 ** MAX_DIGITS - 1) == 10 ** MAX_DIGITS - 1


def test_int_from_digits_matches_int():
    rng = random.Random(14)
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else None
    if limit is not None:
        sys.set_int_max_str_digits(0)
    try:
        for length in [1, 2, 999, 1000, 1001, 1999, 2000, 2001, 4301, 7777, 25_000]:
            digits = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(length - 1))
            for sign in ("", "-", "+"):
                assert int_from_digits(sign + digits) == int(sign + digits)
        assert int_from_digits("0" * 3000 + "12") == 12
    finally:
        if limit is not None:
            sys.set_int_max_str_digits(limit)


# --------------------------------------------------------------------------- JSON and files

def test_loads_long_integer_literals():
    """Long literals stay exact; one beyond the limit is a Decimal that read_number refuses."""
    obj = loads("[" + "9" * 5000 + ", -" + "9" * 5000 + ", " + "9" * (MAX_DIGITS + 5) + "]")
    assert obj[:2] == [10**5000 - 1, 1 - 10**5000]
    assert isinstance(obj[2], Decimal)
    with pytest.raises(FormatError, match=r"^p: number too long: more than 10,000 digits$"):
        read_number(obj[2], "p")


def test_loads_deep_nesting():
    with pytest.raises(FormatError, match=r"^x\.json: JSON nested too deeply$"):
        loads("[" * 100_000 + "]" * 100_000, "x.json")


def test_a_truncated_string_says_where_once(tmp_path, capsys):
    """Regression (issue 22): a certificate cut inside a string said "Unterminated string
    starting at at line 1" (json's message ends in "at")."""
    with pytest.raises(FormatError, match=r"^c\.json: malformed JSON: Unterminated string starting at line 1 "
                                          r"column 7$"):
        loads('{"a": "polyr', "c.json")
    with pytest.raises(FormatError, match=r"^x: malformed JSON: Invalid control character at line 1 column 9$"):
        loads('{"a": "x\ty"}', "x")
    with pytest.raises(FormatError, match=r"^x: malformed JSON: Expecting ',' delimiter at line 1 column 9$"):
        loads('{"a": 1 "b": 2}', "x")
    cert = tmp_path / "cut.cert.json"
    cert.write_text('{"format": "polyregions-certificate/1", "model_sha256": "01')
    code, out, err = run(capsys, "check", cert, REPO_ROOT / "examples" / "demo.json")
    assert (code, err) == (1, "")
    assert out == f"INVALID: {cert}: malformed JSON: Unterminated string starting at line 1 column 57\n"


def test_read_file_refuses_a_device_without_end():
    """Regression (item 8): count /dev/zero read forever."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    with pytest.raises(FormatError, match=r"^/dev/zero: not a text file \(a NUL byte at offset 0\)$"):
        fileformat.read_file("/dev/zero", "model file")


def test_read_file_size_limit(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(" " * 300 + "{}")
    assert fileformat.read_file(path, "model file", limit=302) == " " * 300 + "{}"
    with pytest.raises(FormatError, match=rf"^{path}: larger than 301 bytes, the limit for a model file$"):
        fileformat.read_file(path, "model file", limit=301)


def test_cli_count_dev_zero_stops():
    """In a process with a deadline: before the fix it read /dev/zero until memory ran out."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    proc = subprocess.run([sys.executable, "-m", "polyregions", "count", "/dev/zero"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == "polyregions: error: /dev/zero: not a text file (a NUL byte at offset 0)\n"


# --------------------------------------------------------------------------- one model reader (item 7)

def _doc(layers, **extra):
    return {"format": "polyregions-network/1", "input_dim": 2, "layers": layers, **extra}


def _affine(weight, bias=None):
    out = {"type": "affine", "weight": weight}
    if bias is not None:
        out["bias"] = bias
    return out


RELU = {"type": "relu"}

#: Model texts that were read differently by count and by check, or could be.
AGREEMENT = {
    "maxout rank 1": _doc([_affine([[1, 0], [0, 1]], [0, 1]), {"type": "maxout", "rank": 1},
                           _affine([[1, 1]])]),
    "bias null": _doc([{"type": "affine", "weight": [[1, 0], [0, 1]], "bias": None}, RELU,
                       _affine([[1, -1]], [0])]),
    "1/-2": _doc([_affine([[1, "1/-2"], [0, 1]], [0, 0]), RELU, _affine([[1, 1]], [0])]),
    " 1 / 2 ": _doc([_affine([[1, " 1 / 2 "], [0, 1]], [0, 0]), RELU, _affine([[1, 1]], [0])]),
    "-1/-2 and +3": _doc([_affine([["-1/-2", "+3"], [0, 1]], [0, 0]), RELU, _affine([[1, 1]], [0])]),
    "decimal strings": _doc([_affine([["0.5", "-2.5E-1"], ["1e2", ".25"]], ["1.", "0"]), RELU,
                             _affine([[1, 1]], [0])]),
    "underscores": _doc([_affine([["1_000", 1]], [0]), RELU]),
    "unicode digits": _doc([_affine([["\u0661", 1]], [0]), RELU]),
    "float weights": _doc([_affine([[0.5, 1]], [0]), RELU]),
    "leaky default slope": _doc([_affine([[1, 0], [0, 1]], [0, 0]), {"type": "leaky_relu"},
                                 _affine([[1, 1]], [0])]),
    "hardtanh": _doc([_affine([[1, 0], [0, 1]], [0, 0]), {"type": "hardtanh", "min": "-1/2", "max": "0.5"},
                      _affine([[1, 1]], [0])]),
    "no format": {"input_dim": 2, "layers": [_affine([[1, 0]], [0]), RELU]},
    "extra key": _doc([_affine([[1, 0]], [0]), RELU], comment="x"),
    "name and description": _doc([_affine([[1, 0]], [0]), RELU], name="n", description="d"),
    "columns": _doc([_affine([[1, 0, 0]], [0]), RELU]),
    "bias short": _doc([_affine([[1, 0], [0, 1]], [0]), RELU]),
    "maxout not dividing": _doc([_affine([[1, 0], [0, 1], [1, 1]], [0, 0, 0]), {"type": "maxout", "rank": 2}]),
    "hardtanh min = max": _doc([_affine([[1, 0]], [0]), {"type": "hardtanh", "min": 1, "max": 1}]),
    "exponent at the limit": _doc([_affine([["1e4000", 1]], [0]), RELU]),
    "exponent past the limit": _doc([_affine([["1e4001", 1]], [0]), RELU]),
    "digits past the limit": _doc([_affine([["9" * (MAX_DIGITS + 1), 1]], [0]), RELU]),
    "input_dim too big": {"format": "polyregions-network/1", "input_dim": 1001, "layers": []},
    **{f"bad document: {name}": obj for name, obj, _ in FILE_CASES},
}


def _count_side(text: str):
    try:
        return "ok", Network.from_json(parse_json_exact(text))
    except NetworkError as exc:
        return "refused", str(exc)


def _check_side(text: str):
    try:
        return "ok", _read_model(loads(text))
    except CheckFailure as exc:
        return "refused", str(exc)


@pytest.mark.parametrize("name", list(AGREEMENT))
def test_count_and_check_read_models_alike(name):
    """Every model text gets the same verdict, and the same reading, from both."""
    text = json.dumps(AGREEMENT[name])
    count_verdict, count_out = _count_side(text)
    check_verdict, check_out = _check_side(text)
    assert count_verdict == check_verdict, (count_out, check_out)
    if count_verdict == "refused":
        assert check_out == "model: " + count_out
    else:
        # the same numbers: the checker's digest of the file is the digest of what count read
        assert model_digest(loads(text)) == model_digest(count_out.to_json())


@pytest.mark.parametrize("name", ["maxout rank 1", "bias null", "1/-2", " 1 / 2 ", "-1/-2 and +3",
                                  "decimal strings", "hardtanh", "leaky default slope"])
def test_issue_cases_certify_and_check(name, tmp_path, capsys):
    """Regression (item 7): count accepted these, and certify or check did not."""
    model = tmp_path / "m.json"
    model.write_text(json.dumps(AGREEMENT[name]))
    cert = tmp_path / "c.json"
    code, out, err = run(capsys, "count", model, "--json")
    assert code == 0, err
    counts = json.loads(out)
    code, out, err = run(capsys, "certify", model, "--linear", "-o", cert)
    assert (code, err) == (0, "")
    code, out, err = run(capsys, "check", cert, model)
    assert (code, err) == (0, "")
    assert out.startswith(f"VALID activation_regions={counts['activation_regions']} "
                          f"linear_regions_at_most={counts['linear_regions']} ")
    proc = subprocess.run([sys.executable, "-m", "polyregions.checker", str(cert), str(model)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.startswith("VALID "), proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["no format", "extra key", "columns", "digits past the limit",
                                  "exponent past the limit"])
def test_refused_models_are_refused_by_both(name, tmp_path, capsys):
    model = tmp_path / "m.json"
    model.write_text(json.dumps(AGREEMENT[name]))
    code, out, err = run(capsys, "count", model)
    assert_one_error_line(code, out, err, ".")
    cert = {"format": FORMAT, "model_sha256": "0" * 64, "domain": {"A": [], "b": []},
            "regions": [], "pruned": []}
    with pytest.raises(CheckFailure) as info:
        check_certificate(cert, loads(json.dumps(AGREEMENT[name])))
    assert "polyregions: error: " + str(info.value).replace("model: ", f"{model}: ", 1) == err.strip()


def test_a_model_count_accepts_is_certified_and_checked_in_process():
    net = Network.from_json(parse_json_exact(json.dumps(AGREEMENT["maxout rank 1"])))
    cert = certify(net, linear=True)
    counts = count_regions(net)
    assert check_certificate(json.loads(json.dumps(cert)), loads(json.dumps(AGREEMENT["maxout rank 1"]))) == {
        "activation_regions": counts.activation_regions, "linear_regions_at_most": counts.linear_regions}


def test_width_and_parameter_limits_of_model_files(monkeypatch):
    """The limits of Network.from_layers, checked by the reader for count and check alike."""
    monkeypatch.setattr(fileformat, "MAX_WIDTH", 3)
    wide = _doc([_affine([[1, 2]] * 4)])
    with pytest.raises(FormatError, match=r"^layers\[0\]: width 4 exceeds the limit 3$"):
        fileformat.read_model(wide)
    with pytest.raises(CheckFailure, match=r"^model: layers\[0\]: width 4 exceeds the limit 3$"):
        _read_model(wide)
    monkeypatch.setattr(fileformat, "MAX_WIDTH", 100)
    monkeypatch.setattr(fileformat, "MAX_PARAMETERS", 8)
    assert fileformat.read_model(_doc([_affine([[1, 2]] * 2), RELU]))[0] == 2   # 6 parameters
    with pytest.raises(FormatError, match=r"^layers\[2\]: more than 8 parameters$"):
        fileformat.read_model(_doc([_affine([[1, 2]] * 2), RELU, _affine([[1, 2]])]))
    with pytest.raises(NetworkError, match=r"^layers\[2\]: more than 8 parameters$"):
        Network.from_json(_doc([_affine([[1, 2]] * 2), RELU, _affine([[1, 2]])]))


def test_limits_on_layers_ranks_domains_and_jobs(tmp_path):
    from polyregions.core.domain import Domain, MAX_DOMAIN_ROWS
    from polyregions.errors import DomainError, InputError, NetworkError
    from polyregions.run.executors import MAX_JOBS
    from polyregions.checker.fileformat import MAX_LAYERS, MAX_RANK
    from polyregions.core.network import Network
    from polyregions.core.layers import ReLU

    obj = {"format": "polyregions-network/1", "input_dim": 1, "layers": [{"type": "relu"}] * (MAX_LAYERS + 1)}
    with pytest.raises(NetworkError, match=rf"^layers: {MAX_LAYERS + 1} layers, more than the limit of 5,000$"):
        Network.from_json(obj)
    with pytest.raises(NetworkError, match=r"^layers: 5001 layers, more than the limit"):
        Network.from_layers(1, [ReLU()] * (MAX_LAYERS + 1))
    with pytest.raises(NetworkError, match=rf"^layers\[1\]: maxout rank {MAX_RANK + 1} exceeds the limit"):
        Network.mlp([[[1]] * (MAX_RANK + 1)], [[0] * (MAX_RANK + 1)], final_activation="maxout", rank=MAX_RANK + 1)
    with pytest.raises(NetworkError, match=r"^layers: expected a sequence of layers, got NoneType$"):
        Network.from_layers(2, None)
    rows = [[1, 0]] * (MAX_DOMAIN_ROWS + 1)
    with pytest.raises(DomainError, match=r"^d\.json: 1001 inequalities, more than the limit of 1,000"):
        Domain.from_inequalities(rows, [1] * len(rows), source="d.json")
    with pytest.raises(DomainError, match=r"dimension 2000 exceeds the limit 1000"):
        Domain.box(2000, 0, 1)
    from polyregions.queries.count import count_regions

    with pytest.raises(InputError, match=rf"^jobs: {MAX_JOBS + 1} worker processes is more than the limit"):
        count_regions(Network.mlp([[[1]]], [[0]]), jobs=MAX_JOBS + 1)


def test_deeply_nested_vnnlib_is_refused():
    from polyregions.errors import InputError
    from polyregions.io.vnnlib import MAX_NESTING, parse_vnnlib

    text = ("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 0))\n(assert (<= X_0 1))\n"
            "(assert " + "(and " * 600 + "(>= Y_0 3)" + ")" * 601 + "\n")
    with pytest.raises(InputError, match=rf"^p: line 5: parentheses nested more than {MAX_NESTING} deep$"):
        parse_vnnlib(text, 1, 1, source="p")


def test_library_errors_are_the_projects(tmp_path):
    import polyregions as pr

    with pytest.raises(pr.InputError, match=r"nope\.json: no such certificate file"):
        pr.check_certificate(str(tmp_path / "nope.json"), Path(__file__).resolve().parents[2] / "examples"
                             / "demo.json")
    net = pr.Network.mlp([[[1]]], [[0]])
    # as `polyregions check`: a file that holds no certificate is invalid, not bad input
    from polyregions.checker.check import CheckFailure

    (tmp_path / "cut.json").write_text('{"format": "polyregions-certificate/1", "regions": [')
    with pytest.raises(CheckFailure, match=r"cut\.json: malformed JSON"):
        pr.check_certificate(tmp_path / "cut.json", net)
    with pytest.raises(pr.InputError, match=r"^expected a certificate \(a dict, or the path of a certificate "
                                            r"file\), got NoneType$"):
        pr.check_certificate(None, net)
    with pytest.raises(pr.InputError, match=r"save_model writes polyregions JSON"):
        pr.save_model(net, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()
    with pytest.raises(pr.InputError, match=r"save_model: expected a Network, got NoneType"):
        pr.save_model(None, tmp_path / "x.json")


def test_library_calls_with_the_wrong_kind_of_argument():
    """None or a number where a path, a property or a state dict belongs: the project's own
    error naming what was expected (regression: TypeError and AttributeError came out)."""
    import polyregions as pr
    from polyregions.theory.bounds import network_bounds
    from polyregions.io.torch import from_state_dict

    net = pr.Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    calls = [
        (lambda: pr.load_network(None), r"^model file: expected a file path \(str or Path\), got NoneType$"),
        (lambda: pr.load_property(3, 2, 1), r"^property file: expected a file path \(str or Path\), got int$"),
        (lambda: pr.load_domain(None), r"^domain file: expected a file path \(str or Path\), got NoneType$"),
        (lambda: pr.save_model(net, None), r"^expected an output file name \(str or Path\), got NoneType$"),
        (lambda: pr.verify_property(net, None), r"^expected a property \(a Property, a \.vnnlib or JSON "),
        (lambda: pr.verify_property(net, {}), r"format: expected 'polyregions-property/1', got None"),
        (lambda: network_bounds(None), r"^load_model: expected a path, a Network"),
        (lambda: from_state_dict(None, "relu"), r"^state dict: expected a state dict \(a mapping"),
    ]
    for call, pattern in calls:
        with pytest.raises(pr.InputError, match=pattern):
            call()


def test_verify_property_takes_a_path_or_a_json_object():
    import polyregions as pr

    examples = Path(__file__).resolve().parents[2] / "examples"
    net = pr.load_network(examples / "demo.json")
    from_file = pr.load_property(examples / "demo_positive.json", 2, 1)
    expected = pr.verify_property(net, from_file)
    assert pr.verify_property(net, examples / "demo_positive.json") == expected
    assert pr.verify_property(net, str(examples / "demo_positive.json")) == expected
    obj = json.loads((examples / "demo_positive.json").read_text())
    assert pr.verify_property(net, obj) == expected


def test_a_key_twice_in_one_object_is_refused(tmp_path, capsys):
    """JSON leaves {"input_dim": 2, "input_dim": 3} open (Python keeps the last): refused."""
    with pytest.raises(FormatError, match=r"^m\.json: the key 'input_dim' appears twice in one JSON object$"):
        fileformat.loads('{"input_dim": 2, "layers": [], "input_dim": 3}', "m.json")
    with pytest.raises(FormatError, match=r"^x: the key 'a' appears twice"):
        fileformat.loads('[{"b": 1}, {"a": {"a": 1}, "a": 2}]', "x")
    assert fileformat.loads('{"a": {"a": 1}, "b": [{"a": 2}]}') == {"a": {"a": 1}, "b": [{"a": 2}]}
    path = tmp_path / "m.json"
    path.write_text('{"format": "polyregions-network/1", "input_dim": 2, "layers": [], "input_dim": 3}')
    proc = subprocess.run([sys.executable, "-m", "polyregions", "count", str(path)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == f"polyregions: error: {path}: the key 'input_dim' appears twice in one JSON object\n"


def test_naming_puts_the_file_first_once_and_keeps_the_error():
    from polyregions.errors import BreakpointError, DomainError, naming

    named = naming(DomainError("box coordinate 0: low 1 must be below high 0"), "p.json")
    assert type(named) is DomainError and str(named) == "p.json: box coordinate 0: low 1 must be below high 0"
    assert naming(named, "p.json") is named  # already named: unchanged
    tie = BreakpointError("on a breakpoint", ties=("t",))
    again = naming(tie, "m.onnx")
    assert (type(again), str(again), again.ties) == (BreakpointError, "m.onnx: on a breakpoint", ("t",))
    assert str(tie) == "on a breakpoint"  # the original is left as it was
