"""Tests of the standalone checker against adversarial certificates (issue 14).

A checker that cannot be stalled (numbers of millions of digits, exponents of
millions, deep JSON) and that never shows a traceback. The general certify/check
tests are in test_certify.py.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clirun import run
from polyregions import checker
from polyregions.certify import certify, write_certificate
from polyregions.checker import MAX_CERTIFICATE_DIGITS, CheckFailure, check_certificate, parse_certificate
from polyregions.fileformat import FormatError
from polyregions.network import Network, load_network

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO = REPO_ROOT / "examples" / "demo.json"


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


def model_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def demo_cert() -> dict:
    return json.loads(json.dumps(certify(load_network(DEMO), linear=True)))


def check_via_cli(capsys, tmp_path: Path, cert, model_path: Path = DEMO):
    path = tmp_path / "cert.json"
    path.write_text(cert if isinstance(cert, str) else json.dumps(cert))
    return run(capsys, "check", path, model_path)


def checker_process(cert_path: Path, model_path: Path, timeout: float = 120, **kwargs):
    return subprocess.run([sys.executable, "-m", "polyregions.checker", str(cert_path), str(model_path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, **kwargs)


# --------------------------------------------------------------------------- 2. numbers too big

def test_point_with_a_huge_exponent(demo_cert, capsys, tmp_path):
    """Regression: a point "1e10000000" ran for minutes; now INVALID at once."""
    forged = copy.deepcopy(demo_cert)
    forged["regions"][3]["point"][0] = "1e10000000"
    message = "regions[3].point: number 1E+10000000 has an absurd exponent"
    with pytest.raises(CheckFailure, match=exact(message)):
        check_certificate(forged, model_json(DEMO))
    code, out, err = check_via_cli(capsys, tmp_path, forged)
    assert (code, out, err) == (1, f"INVALID: {message}\n", "")


def test_huge_numbers_in_a_file_do_not_stall_the_checker(demo_cert, tmp_path):
    """Two-million-digit integers took minutes; a process with a deadline shows they do not now."""
    path = tmp_path / "cert.json"
    text = json.dumps(demo_cert)
    # a multiplier literal of 2,000,000 digits, and a point "p/q" of 2,000,000 digits
    big = "7" * 2_000_000
    multiplier = demo_cert["pruned"][0]["multipliers"][0]
    old = json.dumps(demo_cert["pruned"][0])
    new = old.replace(json.dumps(multiplier), json.dumps([multiplier[0], 0]).replace("0]", big + "]"), 1)
    assert new != old
    path.write_text(text.replace(old, new, 1))
    proc = checker_process(path, DEMO)
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout == (f"INVALID: pruned[0] (branch {' '.join(demo_cert['pruned'][0]['prefix'] + [demo_cert['pruned'][0]['state']])}): "
                           f"multiplier 0 is too long: more than {MAX_CERTIFICATE_DIGITS:,} digits\n")
    forged = copy.deepcopy(demo_cert)
    forged["regions"][0]["point"][0] = big + "/3"
    path.write_text(json.dumps(forged))
    proc = checker_process(path, DEMO)
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout == "INVALID: regions[0].point: number too long: more than 100,000 digits\n"


def test_huge_multiplier_in_process(demo_cert):
    forged = copy.deepcopy(demo_cert)
    forged["pruned"][0]["multipliers"][0][1] = 10 ** MAX_CERTIFICATE_DIGITS
    with pytest.raises(CheckFailure, match=r"^pruned\[0\] \(branch .*\): multiplier 0 is too long: more than "
                                           r"100,000 digits$"):
        check_certificate(forged, model_json(DEMO))


def test_long_but_allowed_numbers_still_check():
    """Weights of 1,500 digits give multipliers of more than 4,300 digits: within the limit."""
    from fractions import Fraction

    from polyregions.counting import count_regions

    big = 10 ** 1500
    net = Network.mlp([[[big, 1], [1, -big], [big + 1, big - 1]], [[1, big, 1], [big, 1, -1]], [[1, 1]]],
                      [[big - 7, Fraction(1, 3), big], [big, -5], [0]])
    cert = certify(net)
    with checker.large_certificate():   # str() of ints past Python's 4,300-digit limit
        longest = max(len(str(y)) for item in cert["pruned"] for _, y in item["multipliers"])
        model = json.loads(json.dumps(net.to_json()))
    assert 4300 < longest <= MAX_CERTIFICATE_DIGITS
    assert check_certificate(cert, model) == {"activation_regions": count_regions(net).activation_regions}


# --------------------------------------------------------------------------- 6. deep JSON, no tracebacks

def test_deeply_nested_certificate(capsys, tmp_path):
    """Regression: check printed a RecursionError traceback."""
    text = "[" * 200_000 + "]" * 200_000
    code, out, err = check_via_cli(capsys, tmp_path, text)
    assert (code, err) == (1, "")
    assert out == f"INVALID: {tmp_path / 'cert.json'}: JSON nested too deeply\n"
    path = tmp_path / "nested.json"
    path.write_text(text)
    proc = checker_process(path, DEMO)
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout == f"INVALID: cannot read input: {path}: JSON nested too deeply\n"


def test_parse_certificate_limits():
    with pytest.raises(FormatError, match=r"^c: JSON nested too deeply$"):
        parse_certificate("[" * 100_000, "c")
    assert parse_certificate('{"a": [1, "2/3"]}', "c") == {"a": [1, "2/3"]}


def test_checker_is_one_module_plus_the_reader(tmp_path):
    """Copied out of the package, checker.py and fileformat.py check a certificate alone."""
    import shutil

    for name in ("checker.py", "fileformat.py"):
        shutil.copy(REPO_ROOT / "polyregions" / name, tmp_path / name)
    net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    write_certificate(certify(net, linear=True), tmp_path / "c.json")
    net.save(tmp_path / "m.json")
    proc = subprocess.run([sys.executable, "checker.py", "c.json", "m.json"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": ""})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "VALID activation_regions=2 linear_regions_at_most=1\n", "")
    code = ("import sys; sys.path.insert(0, '.'); import checker; "
            "print(sorted(m for m in sys.modules if m in ('checker', 'fileformat') or m.split('.')[0] in "
            "('polyregions', 'cdd', 'sympy', 'numpy', 'networkx')))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "['checker', 'fileformat']", proc.stderr
    assert checker.__file__.endswith("checker.py")


# --------------------------------------------------------------------------- shapes of the parts

def test_unexpected_recursion_is_invalid_not_a_traceback(demo_cert, monkeypatch):
    def recurse(self):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(checker._Checker, "run", recurse)
    with pytest.raises(CheckFailure, match=r"^malformed certificate or model: nested too deeply$"):
        check_certificate(demo_cert, model_json(DEMO))
