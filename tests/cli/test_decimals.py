"""Decimals beside exact numbers (issue 22, item 2).

The text output of max, verify, equiv and lipschitz shows a rounded decimal marked ``~``
beside every exact value that is not short (an integer or at most five characters);
``--json`` keeps the exact strings and adds ``<key>_float`` beside each exact result.
Every decimal shown is checked here against a division in the decimal module at 6
significant digits, every float against ``float`` of the exact Fraction.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction as F
from pathlib import Path

import pytest

from tests.support.clirun import run

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.json"

#: y = 0.123456789 - |13.1 x - 1|: its maximum 123456789/1000000000 is at x = 10/131.
PEAK = {"format": "polyregions-network/1", "input_dim": 1, "layers": [
    {"type": "affine", "weight": [["13.1"], ["-13.1"]], "bias": [-1, 1]}, {"type": "relu"},
    {"type": "affine", "weight": [[-1, -1]], "bias": ["0.123456789"]}]}
#: The same with the slope on the left side scaled by 0.99: another function.
BENT = {**PEAK, "layers": PEAK["layers"][:2] + [
    {"type": "affine", "weight": [[-1, "-0.99"]], "bias": ["0.123456789"]}]}
#: Outputs of at least 1/10 are unsafe.
ABOVE = {"format": "polyregions-property/1", "input": {"low": [-1], "high": [1]},
         "unsafe": [[{"c": [-1], "d": "-0.1"}]]}

#: The labels of the lines that show an exact point, vector or matrix.
VECTORS = ("point", "ray", "input point", "counterexample", "outputs", "outputs of A", "outputs of B", "jacobian")


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    out = {}
    for name, obj in (("peak", PEAK), ("bent", BENT), ("above", ABOVE)):
        out[name] = tmp_path / f"{name}.json"
        out[name].write_text(json.dumps(obj))
    return out


def rounded(q: F) -> Decimal:
    """q to 6 significant digits, half to even: one decimal division."""
    with localcontext() as ctx:
        ctx.prec, ctx.rounding = 6, ROUND_HALF_EVEN
        return Decimal(q.numerator) / Decimal(q.denominator)


def is_short(q: F) -> bool:
    return q.denominator == 1 or len(f"{q.numerator}/{q.denominator}") <= 5


def check_decimals(out: str) -> int:
    """Every decimal shown is the exact value rounded; every long exact value has one. Returns how many."""
    lines = out.splitlines()
    shown = 0
    for i, line in enumerate(lines):
        scalar = re.search(r": +(-?\d+/\d+) \(~(\S+)\)$", line)
        if scalar:
            assert Decimal(scalar[2]) == rounded(F(scalar[1])), line
            assert not is_short(F(scalar[1])), line
            shown += 1
        elif re.search(r": +-?\d+/\d+$", line):
            assert is_short(F(line.rsplit(None, 1)[1])), f"no decimal beside a long value: {line}"
        label = line.split(":", 1)[0]
        if label not in VECTORS:
            continue
        exact = re.match(r"[(\[]([^)\]]*)[)\]]", line.split(":", 1)[1].strip())
        assert exact, line
        values = [F(v) for v in re.split(r"[,;] ", exact[1])] if exact[1] else []
        after = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if all(is_short(v) for v in values):
            assert not after.startswith("~"), (line, after)
            continue
        assert after.startswith("~"), (line, after)
        assert lines[i + 1].index("~") == len(label) + 1 + len(line.split(":", 1)[1]) - \
            len(line.split(":", 1)[1].lstrip()), "the decimals line up under the exact values"
        decimals = re.split(r"[,;] ", after[2:-1])
        assert [Decimal(d) for d in decimals] == [rounded(v) for v in values], (line, after)
        shown += 1
    return shown


def check_floats(found: dict, keys: list[str]) -> None:
    """``<key>_float`` holds float(Fraction) of every exact string of ``<key>`` (null for null)."""
    def floats(value):
        if value is None:
            return None
        if isinstance(value, list):
            return [floats(v) for v in value]
        return float(F(value))

    for key in keys:
        assert f"{key}_float" in found, key
        assert found[f"{key}_float"] == floats(found[key]), key
        names = list(found)
        assert names.index(f"{key}_float") > names.index(key)


def test_max_shows_decimals(capsys, files):
    code, out, err = run(capsys, "max", files["peak"], "--box", -1, 1)
    assert code == 0, err
    assert "maximum:         123456789/1000000000 (~0.123457)\n" in out
    assert "point:           (10/131)\n                 ~(0.0763359)\n" in out
    assert check_decimals(out) == 2
    code, out, err = run(capsys, "max", files["peak"], "--box", -1, 1, "--min")
    assert "minimum:         -13976543211/1000000000 (~-13.9765)\npoint:           (-1)\nregion:" in out
    assert check_decimals(out) == 1


def test_short_values_show_no_decimal(capsys):
    code, out, _ = run(capsys, "max", DEMO, "--box", -1, 1, "--min")
    assert code == 0 and "minimum:         0\npoint:           (5/28, -1)\nregion:" in out and "~" not in out
    code, out, _ = run(capsys, "max", ROOT / "examples" / "identity.json", "--min")
    assert "point:           (0)\nray:             (-1)\n" in out and "~" not in out
    assert check_decimals(out) == 0


def test_max_json_has_floats(capsys, files):
    code, out, _ = run(capsys, "max", files["peak"], "--box", -1, 1, "--json")
    found = json.loads(out)
    assert (found["value"], found["value_float"]) == ("123456789/1000000000", 0.123456789)
    assert found["point_float"] == [10 / 131] and found["ray_float"] is None
    check_floats(found, ["value", "point", "ray"])
    code, out, _ = run(capsys, "max", ROOT / "examples" / "identity.json", "--min", "--json")
    found = json.loads(out)
    assert (found["value"], found["value_float"], found["ray_float"]) == (None, None, [-1.0])
    check_floats(found, ["value", "point", "ray"])


def test_max_on_a_slice(capsys):
    plane = ["0,0", "0.7,0.1", "0,0.9"]
    code, out, _ = run(capsys, "max", DEMO, "--slice", *plane, "--box", -1, 1, "--min")
    assert code == 0
    assert ("input point:     (28/255, -451/510)  (the point in the model's inputs)\n"
            "                 ~(0.109804, -0.884314)\n") in out
    assert check_decimals(out) == 1
    code, out, _ = run(capsys, "max", DEMO, "--slice", *plane, "--box", -1, 1, "--min", "--json")
    found = json.loads(out)
    assert found["input_point"] == ["28/255", "-451/510"]
    check_floats(found, ["value", "point", "input_point"])


def test_verify_shows_decimals(capsys, files):
    # the region search finds the one point where the peak reaches the threshold
    code, out, err = run(capsys, "verify", files["peak"], files["above"], "--method", "regions")
    assert code == 1, err
    assert "counterexample:  (10/131)\n                 ~(0.0763359)\n" in out
    assert "outputs:         (123456789/1000000000)\n                 ~(0.123457)\n" in out
    assert check_decimals(out) == 2
    code, out, err = run(capsys, "verify", files["peak"], files["above"])  # input splitting: another point
    assert code == 1 and check_decimals(out) == 2, err
    code, out, _ = run(capsys, "verify", files["peak"], files["above"], "--json", "--method", "regions")
    found = json.loads(out)
    assert found["outputs_float"] == [0.123456789]
    check_floats(found, ["counterexample", "outputs"])


def test_verify_holds_has_null_floats(capsys):
    code, out, _ = run(capsys, "verify", DEMO, ROOT / "examples" / "demo_bound.vnnlib", "--json")
    found = json.loads(out)
    assert code == 0 and found["counterexample_float"] is None and found["outputs_float"] is None


def test_equiv_shows_decimals(capsys, files):
    code, out, err = run(capsys, "equiv", files["peak"], files["bent"], "--box", -1, 1)
    assert code == 1, err
    assert check_decimals(out) == 2
    assert re.search(r"outputs of A:    \(\d+/\d+\)\n {17}~\(0\.0\d{6}\)\n", out), out
    code, out, _ = run(capsys, "equiv", files["peak"], files["bent"], "--box", -1, 1, "--json")
    check_floats(json.loads(out), ["counterexample", "outputs_a", "outputs_b"])
    code, out, _ = run(capsys, "equiv", ROOT / "examples" / "identity.json",
                       ROOT / "examples" / "identity_nudged.json")
    assert "outputs of B:    (-1099511627775/1099511627776)\n                 ~(-1.00000)\n" in out
    assert check_decimals(out) == 1
    code, out, _ = run(capsys, "equiv", ROOT / "examples" / "identity.json", ROOT / "examples" / "linear.json",
                       "--json")
    found = json.loads(out)
    assert code == 0 and found["outputs_a_float"] is None and found["counterexample_float"] is None


def test_lipschitz_shows_decimals(capsys, files):
    code, out, err = run(capsys, "lipschitz", files["peak"], "--box", -1, 1, "--norm", "1")
    assert code == 0, err
    assert "lipschitz constant: 131/10 (~13.1)\n" in out
    assert "jacobian:           [-131/10]\n                    ~[-13.1]\n" in out
    assert check_decimals(out) == 2
    code, out, _ = run(capsys, "lipschitz", DEMO, "--box", -1, 1, "--norm", "inf")
    assert "jacobian:           [-1059/16, 4867/32]\n                    ~[-66.1875, 152.094]\n" in out
    assert check_decimals(out) == 2
    code, out, _ = run(capsys, "lipschitz", DEMO, "--box", -1, 1, "--norm", "inf", "--json")
    found = json.loads(out)
    assert (found["value_float"], found["jacobian_float"]) == (218.28125, [[-66.1875, 152.09375]])
    check_floats(found, ["value", "jacobian"])
