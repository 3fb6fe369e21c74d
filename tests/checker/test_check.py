"""Tests of the standalone checker against adversarial certificates (issue 14).

A checker that cannot be fooled (a domain row ``0 . x <= 0``), nor stalled (numbers
of millions of digits, exponents of millions, deep JSON), that takes time and
memory linear in the tree (not in its square), and that never shows a traceback.
The general certify/check tests are in test_certify.py.
"""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clirun import run
from polyregions.checker import check as checker, regions
from polyregions.certificates.regions import certify, write_certificate
from polyregions.checker.check import (FORMAT, MAX_CERTIFICATE_DIGITS, CheckFailure, check_certificate,
                                       model_digest, parse_certificate)
from polyregions.core.domain import Domain
from polyregions.checker.fileformat import FormatError
from polyregions.core.network import Network, load_network

REPO_ROOT = Path(__file__).resolve().parents[2]
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


# --------------------------------------------------------------------------- 1. domain rows a = 0

def _everything_pruned_by_a_zero_row(cert: dict, b: str) -> dict:
    """The adversarial test's forgery: domain row 0 . x <= b and both root branches
    'pruned' by it (as 0 < b, which is false for b = 0)."""
    forged = copy.deepcopy(cert)
    forged["domain"] = {"A": [["0", "0"]], "b": [b]}
    forged.pop("merges", None)
    forged["regions"] = []
    forged["pruned"] = [{"prefix": [], "state": s, "multipliers": [[["domain", 0], 1]]} for s in "+-"]
    forged["counts"] = {"activation_regions": 0}
    return forged


def test_zero_domain_row_does_not_prove_zero_regions(demo_cert, capsys, tmp_path):
    """Regression: 0 . x <= 0 (all of R^2) made the demo VALID with 0 regions (count: 149)."""
    forged = _everything_pruned_by_a_zero_row(demo_cert, "0")
    message = "domain A[0]: every coefficient is zero (a domain row must be a hyperplane)"
    with pytest.raises(CheckFailure, match=exact(message)):
        check_certificate(forged, model_json(DEMO))
    code, out, err = check_via_cli(capsys, tmp_path, forged)
    assert (code, out, err) == (1, f"INVALID: {message}\n", "")


@pytest.mark.parametrize("b", ["1", "-1", "1/2"])
def test_zero_domain_rows_are_refused_whatever_b(demo_cert, b):
    forged = copy.deepcopy(demo_cert)
    forged["domain"] = {"A": [["0", "0"]], "b": [b]}
    with pytest.raises(CheckFailure, match=r"^domain A\[0\]: every coefficient is zero"):
        check_certificate(forged, model_json(DEMO))


def test_zero_row_after_real_rows(demo_cert):
    forged = copy.deepcopy(demo_cert)
    forged["domain"] = {"A": [["1", "0"], ["0", "0"]], "b": ["5", "0"]}
    with pytest.raises(CheckFailure, match=r"^domain A\[1\]: every coefficient is zero"):
        check_certificate(forged, model_json(DEMO))


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

    from polyregions.queries.count import count_regions

    big = 10 ** 1500
    net = Network.mlp([[[big, 1], [1, -big], [big + 1, big - 1]], [[1, big, 1], [big, 1, -1]], [[1, 1]]],
                      [[big - 7, Fraction(1, 3), big], [big, -5], [0]])
    cert = certify(net)
    with checker.large_certificate():   # str() of ints past Python's 4,300-digit limit
        longest = max(len(str(y)) for item in cert["pruned"] for _, y in item["multipliers"])
        model = json.loads(json.dumps(net.to_json()))
    assert 4300 < longest <= MAX_CERTIFICATE_DIGITS
    assert check_certificate(cert, model) == {"activation_regions": count_regions(net).activation_regions}


# --------------------------------------------------------------------------- 3. linear time and memory

def _dead_units(tmp_path: Path, units: int) -> tuple[Path, Path]:
    """A model with *units* dead ReLUs (one region) and its certificate, written by hand
    (one region, every unit '-', no pruned branch): as certify makes it, without the wait."""
    model = {"format": "polyregions-network/1", "input_dim": 2,
             "layers": [{"type": "affine", "weight": [[0, 0]] * units, "bias": [-1] * units},
                        {"type": "relu"}, {"type": "affine", "weight": [[1] * units], "bias": [0]}]}
    cert = {"format": FORMAT, "model_sha256": model_digest(model), "domain": {"A": [], "b": []},
            "counts": {"activation_regions": 1}, "regions": [{"states": ["-"] * units, "point": ["0", "0"]}],
            "pruned": []}
    model_path, cert_path = tmp_path / f"m{units}.json", tmp_path / f"c{units}.json"
    model_path.write_text(json.dumps(model))
    cert_path.write_text(json.dumps(cert))
    return model_path, cert_path


def test_hand_made_dead_unit_certificate_is_what_certify_makes(tmp_path):
    model_path, cert_path = _dead_units(tmp_path, 7)
    made = certify(load_network(model_path))
    assert made == json.loads(cert_path.read_text())


def _limited_checker(cert_path: Path, model_path: Path, megabytes: int):
    """The standalone checker in a process whose address space is capped."""
    code = ("import resource, sys; "
            f"resource.setrlimit(resource.RLIMIT_AS, ({megabytes << 20}, {megabytes << 20})); "
            "from polyregions.checker.command import main; "
            f"sys.exit(main([{str(cert_path)!r}, {str(model_path)!r}]))")
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)


def test_twenty_thousand_units_in_little_memory(tmp_path):
    """Regression: the walk copied the path at every unit, 4.7 GB and 26 to 54 s for
    20,000 units. Linear now: under a second and about 50 MB; here capped at 1 GB."""
    if sys.platform != "linux":
        pytest.skip("RLIMIT_AS as a memory cap is Linux behaviour")
    model_path, cert_path = _dead_units(tmp_path, 20_000)
    proc = _limited_checker(cert_path, model_path, 1024)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("VALID activation_regions=1\ndomain: all of R^2\n")


@pytest.mark.slow
def test_hundred_thousand_units(tmp_path):
    """100,000 units (the network limit): was killed at 23.5 GB; about 4 s and 150 MB now."""
    model_path, cert_path = _dead_units(tmp_path, 100_000)
    proc = _limited_checker(cert_path, model_path, 2048)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("VALID activation_regions=1\ndomain: all of R^2\n")


def test_the_walk_does_not_recurse(tmp_path):
    """2,000 units checked under a recursion limit of 150: an explicit stack, no recursion."""
    model_path, cert_path = _dead_units(tmp_path, 2000)
    model, cert = json.loads(model_path.read_text()), json.loads(cert_path.read_text())
    limit = sys.getrecursionlimit()
    depth = len(__import__("inspect").stack(0))
    sys.setrecursionlimit(depth + 150)
    try:
        result = check_certificate(cert, model)
    finally:
        sys.setrecursionlimit(limit)
    assert result == {"activation_regions": 1}


# --------------------------------------------------------------------------- 5. Ctrl-C

def test_ctrl_c_in_the_standalone_checker(tmp_path):
    """Regression: Ctrl-C printed a traceback. The certificate is a named pipe, so the
    checker is surely inside main() (waiting to read) when SIGINT arrives."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    fifo = tmp_path / "cert.json"
    os.mkfifo(fifo)
    proc = subprocess.Popen([sys.executable, "-m", "polyregions.checker", str(fifo), str(DEMO)], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with open(fifo, "w") as writer:   # returns once the checker has opened the pipe
            writer.write('{"format": ')
            writer.flush()
            proc.send_signal(signal.SIGINT)
            try:
                out, err = proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                # the signal came between the pipe's open() and the first read(), where Python
                # notes it but only acts after the blocking read returns; a second Ctrl-C
                # interrupts the read (the pending signal is raised once)
                proc.send_signal(signal.SIGINT)
                out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert (proc.returncode, out, err) == (130, "", "checker: interrupted\n")


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
    assert proc.stdout == f"INVALID: {path}: JSON nested too deeply\n"


def test_nested_values_inside_a_certificate(demo_cert):
    """Deep values where a list of states or a number belongs: short messages, no recursion."""
    deep = []
    for _ in range(900):
        deep = [deep]
    for mutate, pattern in [
        (lambda c: c["regions"][0].__setitem__("states", deep), r"^regions\[0\]\.states: expected a list of str, "),
        (lambda c: c["regions"][0]["point"].__setitem__(0, deep), r"^regions\[0\]\.point: expected a number, "),
        (lambda c: c["pruned"][0]["multipliers"][0].__setitem__(1, deep),
         r"^pruned\[0\] .*: multiplier 0 is not a nonnegative integer \(\[\[\[\[\.\.\.\]\]\]\]\)$"),
        (lambda c: c.__setitem__("format", deep), r"^format: expected 'polyregions-certificate/1', got \[\[\[\[\.\.\.\]\]\]\]$"),
    ]:
        forged = copy.deepcopy(demo_cert)
        mutate(forged)
        with pytest.raises(CheckFailure, match=pattern) as info:
            check_certificate(forged, model_json(DEMO))
        assert len(str(info.value)) < 200


def test_parse_certificate_limits():
    with pytest.raises(FormatError, match=r"^c: JSON nested too deeply$"):
        parse_certificate("[" * 100_000, "c")
    assert parse_certificate('{"a": [1, "2/3"]}', "c") == {"a": [1, "2/3"]}


def test_checker_folder_runs_copied_out(tmp_path):
    """Copied out of the package, the checker's folder checks a certificate alone
    (``python -m checker``) and loads nothing but itself and the standard library."""
    import shutil

    shutil.copytree(REPO_ROOT / "polyregions" / "checker", tmp_path / "checker",
                    ignore=shutil.ignore_patterns("__pycache__"))
    net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    write_certificate(certify(net, linear=True), tmp_path / "c.json")
    net.save(tmp_path / "m.json")
    env = {**os.environ, "PYTHONPATH": ""}
    proc = subprocess.run([sys.executable, "-m", "checker", "c.json", "m.json"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=env)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("VALID activation_regions=2 linear_regions_at_most=1\ndomain: all of R^1\n")
    code = ("import sys; import checker.command; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('checker', 'polyregions', 'cdd', 'sympy', 'numpy', 'networkx')))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=env)
    names = ["checker"] + [f"checker.{path.stem}" for path in (tmp_path / "checker").glob("*.py")
                           if path.stem not in ("__init__", "__main__")]
    assert proc.stdout.strip() == str(sorted(names)), proc.stderr


# --------------------------------------------------------------------------- shapes of the parts

@pytest.mark.parametrize("mutate, pattern", [
    (lambda c: c["pruned"][0]["multipliers"].__setitem__(0, [["domain", 0], 1, 2]),
     r"^pruned\[0\] \(branch .*\): multiplier 0 is not a pair \[inequality, y\]$"),
    (lambda c: c["domain"].update(A=[5], b=["1"]), r"^domain A\[0\]: expected a list, got 5$"),
    (lambda c: c.__setitem__("merges", [["a"]]), r"^merges: expected a list of dict, got \[\['a'\]\]$"),
    (lambda c: c["merges"][0].__setitem__("first", "+-"), r"^merges\[0\]\.first: expected a list, got '\+-'$"),
    (lambda c: c["merges"][0].__setitem__("second", 3), r"^merges\[0\]\.second: expected a list, got 3$"),
    (lambda c: c["merges"][0].__setitem__("point", "0,0"), r"^merges\[0\]\.point: expected a list, got '0,0'$"),
])
def test_malformed_parts_are_named(demo_cert, mutate, pattern):
    forged = copy.deepcopy(demo_cert)
    mutate(forged)
    with pytest.raises(CheckFailure, match=pattern):
        check_certificate(forged, model_json(DEMO))


def test_unexpected_recursion_is_invalid_not_a_traceback(demo_cert, monkeypatch):
    def recurse(self):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(regions._Checker, "run", recurse)
    with pytest.raises(CheckFailure, match=r"^malformed certificate or model: nested too deeply$"):
        check_certificate(demo_cert, model_json(DEMO))


# --------------------------------------------------------------------------- 7. exit codes: INVALID or bad input

def _both_checkers(capsys, cert_path, model_path, *extra):
    """(exit code, the one line it printed) from `polyregions check` and from the standalone checker."""
    from polyregions.checker.command import main

    cli = run(capsys, "check", cert_path, model_path, *extra)
    standalone = (main([str(cert_path), str(model_path), *map(str, extra)]), *capsys.readouterr()[:2])
    return cli, standalone


@pytest.mark.parametrize("case, code", [
    ("missing certificate", 2), ("certificate is a directory", 2), ("missing model", 2),
    ("model is not a model", 2), ("model is binary", 2), ("domain file is not a domain", 2), ("bad --box", 2),
    ("certificate is binary", 1), ("certificate is truncated", 1), ("certificate is not UTF-8", 1),
    ("certificate is a model", 1), ("certificate is for another domain", 1),
])
def test_invalid_certificate_or_bad_input(capsys, tmp_path, case, code):
    """Both checkers answer alike: exit 2 (one error line on stderr) when an input cannot be
    used, INVALID (exit 1, on stdout) when the certificate file was read and proves nothing."""
    cert_path, model_path = tmp_path / "cert.json", tmp_path / "model.json"
    net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    net.save(model_path)
    write_certificate(certify(net, Domain.box(2, -1, 1)), cert_path)
    extra = ["--box", "-1", "1"]
    if case == "missing certificate":
        cert_path = tmp_path / "none.json"
    elif case == "certificate is a directory":
        cert_path = tmp_path
    elif case == "missing model":
        model_path = tmp_path / "none.json"
    elif case == "model is not a model":
        model_path = cert_path
    elif case == "model is binary":
        model_path.write_bytes(b"PK\x03\x04\x00\x00")
    elif case == "domain file is not a domain":
        (tmp_path / "d.json").write_text('{"A": [[1, 0, 0]], "b": [1]}')
        extra = ["--domain", tmp_path / "d.json"]
    elif case == "bad --box":
        extra = ["--box", "1", "0"]
    elif case == "certificate is binary":
        cert_path.write_bytes(b'{"format": \x00}')
    elif case == "certificate is truncated":
        cert_path.write_text(cert_path.read_text()[:60])
    elif case == "certificate is not UTF-8":
        cert_path.write_bytes(b'{"format": "\xff"}')
    elif case == "certificate is a model":
        cert_path = model_path
    elif case == "certificate is for another domain":
        extra = ["--box", "-2", "2"]
    for got_code, out, err in _both_checkers(capsys, cert_path, model_path, *extra):
        assert got_code == code, (case, out, err)
        if code == 1:
            assert out.startswith("INVALID: ") and out.count("\n") == 1 and err == "", (case, out, err)
        else:
            assert out == "" and err.count("\n") == 1 and ": error: " in err, (case, out, err)
            assert "Traceback" not in err
