"""The command line's output files and signals (issue 14, items 4 and 5).

Writers never clobber: an output equal to an input is refused, devices and pipes are
written directly, symbolic links are followed; SIGTERM while an output file is
written removes the temporary file, as Ctrl-C does.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.clirun import assert_one_error_line, run

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / "examples" / "demo.json"


@pytest.fixture
def model(tmp_path) -> Path:
    path = tmp_path / "model.json"
    path.write_text(DEMO.read_text())
    return path


@pytest.mark.parametrize("command", [
    ["regions"], ["graph"], ["certify"], ["certify", "--linear"], ["plot"],
])
def test_output_equal_to_the_model_is_refused(capsys, tmp_path, model, command):
    """Regression: '-o MODEL' overwrote the model with the output."""
    before = model.read_text()
    code, out, err = run(capsys, *command, model, "-o", model)
    assert_one_error_line(code, out, err, rf"^polyregions: error: {model}: is the input file {model}; "
                                          r"write the output to another file$")
    assert model.read_text() == before


def test_output_reaching_the_model_another_way_is_refused(capsys, tmp_path, model, monkeypatch):
    before = model.read_text()
    link = tmp_path / "link.json"
    link.symlink_to(model.name)
    hard = tmp_path / "hard.json"
    os.link(model, hard)
    monkeypatch.chdir(tmp_path)
    for output in (link, hard, "./model.json", f"../{tmp_path.name}/model.json"):
        code, out, err = run(capsys, "regions", "model.json", "-o", output)
        assert_one_error_line(code, out, err, r"is the input file model\.json; write the output to another file$")
    assert model.read_text() == before


def test_output_equal_to_the_domain_is_refused(capsys, tmp_path, model):
    domain = tmp_path / "domain.json"
    domain.write_text(json.dumps({"A": [[1, 0], [-1, 0], [0, 1], [0, -1]], "b": [1, 1, 1, 1]}))
    code, out, err = run(capsys, "regions", model, "--domain", domain, "-o", domain)
    assert_one_error_line(code, out, err, rf"{domain}: is the input file {domain}")


def test_output_through_a_symlink(capsys, tmp_path, model):
    real = tmp_path / "regions.jsonl"
    real.write_text("old\n")
    link = tmp_path / "out.jsonl"
    link.symlink_to(real.name)
    code, out, err = run(capsys, "regions", model, "--box", "-1", "1", "-o", link)
    assert (code, err) == (0, "")
    assert link.is_symlink() and len(real.read_text().splitlines()) == 69


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null here")
def test_output_to_dev_null(capsys, model, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):   # before the fix: a temporary file in /dev renamed over /dev/null
        raise AssertionError("a temporary file for /dev/null")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    code, out, err = run(capsys, "regions", model, "-o", "/dev/null")
    assert (code, err) == (0, "")
    assert out.startswith("wrote 149 activation regions to /dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_output_to_dev_full_fails(capsys, model, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise AssertionError("a temporary file for /dev/full")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    code, out, err = run(capsys, "certify", model, "-o", "/dev/full")
    assert_one_error_line(code, out, err, r"^polyregions: error: /dev/full: cannot write: No space left on device$")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_output_name_of_255_characters(capsys, tmp_path, model):
    output = tmp_path / ("g" * 250 + ".json")
    code, out, err = run(capsys, "graph", model, "--box", "-1", "1", "-o", output)
    assert (code, err) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([model.name, output.name])


def test_sigterm_while_writing_regions(tmp_path):
    """Regression: SIGTERM left '.out.jsonl.XXXXXXXX.tmp' behind; now it is removed and the
    command says so (exit 143), as Ctrl-C does (exit 130)."""
    zigzag = tmp_path / "zigzag.json"
    assert subprocess.run([sys.executable, "-m", "polyregions", "construct", "rectifier", "--n0", "2",
                           "--widths", "16,16,16", "-o", str(zigzag)], cwd=REPO_ROOT,
                          capture_output=True, timeout=120).returncode == 0
    output = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "polyregions", "regions", str(zigzag), "-o", str(output)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):   # 563,332 regions: minutes
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert (proc.returncode, out, err) == (143, "", "polyregions: terminated\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zigzag.json"]


def test_terminated_exit_code_in_process(capsys, model, monkeypatch):
    from polyregions.cli import regions
    from polyregions.files import Terminated

    def terminated(args):
        raise Terminated("terminated")

    monkeypatch.setitem(regions.COMMANDS, "regions", (regions.add_regions, terminated))
    code, out, err = run(capsys, "regions", model, "-o", model.parent / "out.jsonl")
    assert (code, out, err) == (143, "", "polyregions: terminated\n")
