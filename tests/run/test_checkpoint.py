"""Checkpoints: a run stopped at any point (SIGKILL and Ctrl-C included) resumes to the
serial answer, nothing lost or counted twice; a checkpoint of another run is refused."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from polyregions.run import executors
from polyregions.certificates.regions import certify
from polyregions.checker.check import check_certificate
from polyregions.run.checkpoint import Checkpoint
from polyregions.queries.count import count_regions
from polyregions.errors import InputError
from polyregions.queries.export import write_regions_jsonl
from polyregions.queries.graph import region_graph
from polyregions.io.graphs import write_graph
from polyregions.core.network import Network

from tests.support.clirun import assert_one_error_line, run
from tests.support.signals import assert_gone, signal_when_checkpointed, start

REPO = Path(__file__).resolve().parents[2]
CLI = [str(Path(sys.executable).parent / "polyregions")]


def _network(seed: int, widths: list[int]) -> Network:
    rng = random.Random(seed)
    weights = [[[rng.randint(-9, 9) for _ in range(widths[i])] for _ in range(widths[i + 1])]
               for i in range(len(widths) - 1)]
    biases = [[rng.randint(-9, 9) for _ in range(widths[i + 1])] for i in range(len(widths) - 1)]
    return Network.mlp(weights, biases)


class Stop(Exception):
    """Stands for a kill between two checkpoint lines."""


@pytest.fixture
def split_often(monkeypatch):
    monkeypatch.setattr(executors, "HEAD_START_SECONDS", 0.0)
    monkeypatch.setattr(executors, "CHUNK_REGIONS", 7)


def _stop_after(monkeypatch, lines: int) -> None:
    original = Checkpoint.append
    written = {"n": 0}

    def append(self, result):
        original(self, result)
        written["n"] += 1
        if written["n"] >= lines:
            raise Stop

    monkeypatch.setattr(Checkpoint, "append", append)


JOBS = {
    "count": lambda net, path, **run: count_regions(net, **run),
    "count-no-linear": lambda net, path, **run: count_regions(net, linear=False, **run),
    "regions": lambda net, path, **run: (write_regions_jsonl(net, None, path, **run), path.read_bytes()),
    "graph": lambda net, path, **run: (write_graph(region_graph(net, **run), path.with_suffix(".graphml")),
                                       path.with_suffix(".graphml").read_bytes()),
    "certify": lambda net, path, **run: json.dumps(certify(net, linear=True, **run)),
}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("job", sorted(JOBS))
@pytest.mark.parametrize("jobs", [1, 2])
def test_stopped_runs_resume_to_the_serial_answer(job, jobs, seed, tmp_path, monkeypatch, split_often):
    """Stop after a random number of checkpoint lines, again and again, then finish."""
    net = _network(3, [3, 5, 4, 1])
    serial = JOBS[job](net, tmp_path / "serial.out")
    rng = random.Random(f"{job}{jobs}{seed}")
    checkpoint = tmp_path / "run.ckpt"
    stops = 0
    while True:
        with monkeypatch.context() as m:
            _stop_after(m, rng.randint(1, 6))
            try:
                # None: tasks long enough to take several open paths at once after a restore
                seconds = 0.0 if stops < 5 else rng.choice([0.0, None])
                found = JOBS[job](net, tmp_path / "run.out", jobs=jobs, checkpoint=checkpoint,
                                  task_seconds=seconds)
                break
            except Stop:
                stops += 1
                assert not (tmp_path / "run.out").exists()
    assert stops >= 5
    assert found == serial
    # the finished checkpoint answers again without searching
    again = JOBS[job](net, tmp_path / "again.out", jobs=jobs, checkpoint=checkpoint)
    assert again == serial


def test_a_torn_last_line_is_dropped(tmp_path, monkeypatch, split_often):
    net = _network(4, [2, 6, 1])
    checkpoint = tmp_path / "c.ckpt"
    with monkeypatch.context() as m:
        _stop_after(m, 2)
        with pytest.raises(Stop):
            count_regions(net, checkpoint=checkpoint, task_seconds=0.0)
    good = checkpoint.read_bytes()
    assert good.count(b"\n") == 3
    checkpoint.write_bytes(good + b'{"paths": [[0, 1]], "frontier": [[0, 1, 0')  # killed mid-write
    assert count_regions(net, checkpoint=checkpoint) == count_regions(net)
    assert checkpoint.read_bytes().startswith(good)


def test_a_damaged_line_is_refused(tmp_path, monkeypatch, split_often):
    net = _network(4, [2, 6, 1])
    checkpoint = tmp_path / "c.ckpt"
    with monkeypatch.context() as m:
        _stop_after(m, 3)
        with pytest.raises(Stop):
            count_regions(net, checkpoint=checkpoint, task_seconds=0.0)
    lines = checkpoint.read_text().splitlines(keepends=True)
    lines[2] = "garbage\n"
    checkpoint.write_text("".join(lines))
    with pytest.raises(InputError, match=r"c\.ckpt: line 3 is damaged; delete the file"):
        count_regions(net, checkpoint=checkpoint)


def test_an_inconsistent_checkpoint_is_refused(tmp_path, monkeypatch, split_often):
    net = _network(4, [2, 6, 1])
    checkpoint = tmp_path / "c.ckpt"
    with monkeypatch.context() as m:
        _stop_after(m, 2)
        with pytest.raises(Stop):
            count_regions(net, checkpoint=checkpoint, task_seconds=0.0)
    lines = checkpoint.read_text().splitlines(keepends=True)
    checkpoint.write_text("".join(lines + lines[1:2]))  # one task written twice
    with pytest.raises(InputError, match="inconsistent"):
        count_regions(net, checkpoint=checkpoint)


def test_a_checkpoint_killed_before_its_first_line_starts_over(tmp_path):
    net = _network(4, [2, 6, 1])
    for text in (b"", b'{"format": "polyregions-chec'):
        checkpoint = tmp_path / "c.ckpt"
        checkpoint.write_bytes(text)
        assert count_regions(net, checkpoint=checkpoint) == count_regions(net)


def test_checkpoints_of_other_runs_are_refused(tmp_path, capsys):
    demo = REPO / "examples" / "demo.json"
    other = tmp_path / "other.json"
    _network(1, [2, 3, 1]).save(other)
    checkpoint = tmp_path / "run.ckpt"
    code, out, err = run(capsys, "count", demo, "--checkpoint", checkpoint, "--jobs", 1)
    assert code == 0, err
    code, out, err = run(capsys, "count", other, "--checkpoint", checkpoint)
    assert_one_error_line(code, out, err, r"run\.ckpt: made for another model \(sha256 [0-9a-f]{12}\.\.\., "
                                          r"this one is [0-9a-f]{12}\.\.\.\); use another file or delete it")
    code, out, err = run(capsys, "count", demo, "--box", -1, 1, "--checkpoint", checkpoint)
    assert_one_error_line(code, out, err, r"made for another domain")
    code, out, err = run(capsys, "count", demo, "--no-linear", "--checkpoint", checkpoint)
    assert_one_error_line(code, out, err, r"made for count \(linear=True\), this run is count \(linear=False\)")
    code, out, err = run(capsys, "regions", demo, "-o", tmp_path / "r.jsonl", "--checkpoint", checkpoint)
    assert_one_error_line(code, out, err, r"made for count \(linear=True\), this run is regions")
    (tmp_path / "notes.txt").write_text("my notes\n")
    code, out, err = run(capsys, "count", demo, "--checkpoint", tmp_path / "notes.txt")
    assert_one_error_line(code, out, err, r"notes\.txt: not a polyregions checkpoint")
    code, out, err = run(capsys, "count", demo, "--checkpoint", tmp_path)
    assert_one_error_line(code, out, err, r"is a directory, expected a file name")
    assert (tmp_path / "notes.txt").read_text() == "my notes\n"


# -- real processes: SIGKILL, SIGTERM and Ctrl-C ---------------------------------------------


def _start(args: list, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(CLI + [str(a) for a in args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _serial_outputs(net: Network, tmp_path: Path) -> dict:
    write_regions_jsonl(net, None, tmp_path / "serial.jsonl")
    write_graph(region_graph(net), tmp_path / "serial.graphml")
    counts = count_regions(net)
    return {"count": {"activation_regions": counts.activation_regions, "linear_regions": counts.linear_regions,
                      "bounded_regions": counts.bounded_regions},
            "regions": (tmp_path / "serial.jsonl").read_bytes(),
            "graph": (tmp_path / "serial.graphml").read_bytes(),
            "certify": certify(net)}


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume(tmp_path):
    """At least 20 SIGKILLs of whole runs (workers included) at random moments."""
    net = _network(1, [4, 10, 10, 1])
    model = tmp_path / "net.json"
    net.save(model)
    expected = _serial_outputs(net, tmp_path)
    commands = {
        "count": (["count", model, "--json", "--jobs", 2], None),
        "regions": (["regions", model, "-o", "out.jsonl", "--jobs", 2], "out.jsonl"),
        "graph": (["graph", model, "-o", "out.graphml", "--jobs", 1], "out.graphml"),
        "certify": (["certify", model, "-o", "out.cert.json", "--jobs", 2], "out.cert.json"),
    }
    rng = random.Random(2026)
    kills = 0
    rounds = 0
    while kills < 20 or rounds < len(commands):
        name = sorted(commands)[rounds % len(commands)]
        args, output = commands[name]
        work = tmp_path / f"round{rounds}"
        work.mkdir()
        checkpoint = work / "run.ckpt"
        while True:
            proc = _start(args + ["--checkpoint", checkpoint, "--task-seconds", 0.05], work)
            try:
                out, err = proc.communicate(timeout=rng.uniform(0.5, 1.4))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                kills += 1
                continue
            assert proc.returncode == 0, err
            break
        if name == "count":
            found = json.loads(out)
            assert {k: found[k] for k in expected["count"]} == expected["count"]
        elif name == "certify":
            cert = json.loads((work / output).read_text())
            assert cert == expected["certify"]
            assert check_certificate(cert, json.loads(json.dumps(net.to_json())))["activation_regions"] == \
                expected["count"]["activation_regions"]
        else:
            assert (work / output).read_bytes() == expected[name], name
        rounds += 1
    assert kills >= 20


def test_ctrl_c_prints_one_line_leaves_no_temporary_file_and_resumes(tmp_path):
    net = _network(1, [4, 10, 10, 1])
    model = tmp_path / "net.json"
    net.save(model)
    args = ["regions", model, "-o", "out.jsonl", "--jobs", 2, "--checkpoint", "run.ckpt", "--task-seconds", 0.05]
    proc = _start(args, tmp_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until some work is in the checkpoint
        ckpt = tmp_path / "run.ckpt"
        if ckpt.exists() and ckpt.read_bytes().count(b"\n") >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1:] == ["polyregions: interrupted"]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.json", "run.ckpt"]
    proc = _start(args, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    write_regions_jsonl(net, None, tmp_path / "serial.jsonl")
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "serial.jsonl").read_bytes()


@pytest.fixture(scope="module")
def signalled_net(tmp_path_factory) -> tuple[Path, dict]:
    """A network whose count with two workers takes seconds, and its serial count."""
    net = _network(1, [4, 10, 10, 10, 1])
    model = tmp_path_factory.mktemp("signalled") / "net.json"
    net.save(model)
    counts = count_regions(net)
    return model, {"activation_regions": counts.activation_regions, "linear_regions": counts.linear_regions,
                   "bounded_regions": counts.bounded_regions}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to see the workers")
@pytest.mark.parametrize("signum, whom, code, line", [
    (signal.SIGTERM, "parent", 143, "polyregions: terminated"),  # kill PID
    (signal.SIGTERM, "group", 143, "polyregions: terminated"),   # a batch scheduler: every process of the job
    (signal.SIGINT, "group", 130, "polyregions: interrupted"),   # a terminal's Ctrl-C
])
def test_a_signal_with_workers_prints_one_line_and_the_checkpoint_resumes(tmp_path, signalled_net, signum,
                                                                          whom, code, line):
    """Regression (issue 22): SIGTERM with --jobs 2 exited 143 but every worker printed a
    BrokenPipeError traceback. Now SIGTERM is handled as Ctrl-C is: one line, the workers
    end quietly, the checkpoint resumes to the serial count."""
    source, expected = signalled_net
    model = tmp_path / "net.json"
    model.write_bytes(source.read_bytes())
    args = ["count", model, "--json", "--jobs", 2, "--checkpoint", "run.ckpt", "--task-seconds", 0.05]
    proc = start(CLI + args, tmp_path)
    out, err, workers = signal_when_checkpointed(proc, tmp_path / "run.ckpt", signum, whom)
    assert (proc.returncode, out, err) == (code, "", line + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.json", "run.ckpt"]
    assert_gone(workers)
    proc = _start(args, tmp_path)
    out, err = proc.communicate(timeout=300)
    assert (proc.returncode, err) == (0, "")
    found = json.loads(out)
    assert {k: found[k] for k in expected} == expected


def test_progress_line_on_a_terminal(tmp_path):
    """The progress line (forced here: the tests' stderr is not a terminal)."""
    import io

    from polyregions.cli.progress import ProgressLine

    stream = io.StringIO()
    line = ProgressLine(stream, delay=0.0, force=True)
    net = _network(1, [3, 6, 6, 1])
    count_regions(net, jobs=2, progress=line, task_seconds=0.0)
    text = stream.getvalue()
    assert "polyregions: " in text and " regions " in text and "tasks " in text
    assert text.endswith("\r\x1b[K")  # cleared at the end
    silent = io.StringIO()
    count_regions(net, progress=ProgressLine(silent))  # not a terminal: nothing
    assert silent.getvalue() == ""


def test_a_file_that_is_no_checkpoint_is_never_overwritten(tmp_path, capsys):
    """Only a piece of this run's own header counts as a checkpoint killed while starting;
    any other file without a complete line (notes, a model written without a newline, a
    device) is refused and left as it is."""
    demo = REPO / "examples" / "demo.json"
    for content in (b"notes", b'{"format": "polyregions-network/1"}', b"\x00" * 100):
        path = tmp_path / "n.txt"
        path.write_bytes(content)
        code, out, err = run(capsys, "count", demo, "--checkpoint", path)
        assert_one_error_line(code, out, err, r"checkpoint .*n\.txt: not a polyregions-checkpoint/1 file")
        assert path.read_bytes() == content
    code, out, err = run(capsys, "count", demo, "--checkpoint", "/dev/null")
    assert_one_error_line(code, out, err, r"checkpoint /dev/null: not a regular file")


@pytest.mark.parametrize("edit", [
    lambda e: e.__setitem__("partial", None),
    lambda e: e.__setitem__("partial", []),
    lambda e: e["partial"].__setitem__("regions", "x"),
    lambda e: e["partial"].__setitem__("bounded", -7),
    lambda e: e.__setitem__("paths", []),
    lambda e: e.__setitem__("frontier", [[[0]]]),
    lambda e: e.__setitem__("frontier", [[True]]),
    lambda e: e.__setitem__("regions", -1),
])
def test_a_damaged_result_is_refused_in_one_line(tmp_path, capsys, edit):
    demo = REPO / "examples" / "demo.json"
    checkpoint = tmp_path / "c.ckpt"
    code, out, err = run(capsys, "count", demo, "--checkpoint", checkpoint, "--jobs", 1, "--task-seconds", 0)
    assert code == 0, err
    lines = checkpoint.read_text().splitlines()
    entry = json.loads(lines[1])
    edit(entry)
    checkpoint.write_text("\n".join([lines[0], json.dumps(entry)] + lines[2:]) + "\n")
    code, out, err = run(capsys, "count", demo, "--checkpoint", checkpoint)
    assert_one_error_line(code, out, err, r"checkpoint .*c\.ckpt: (line 2 is damaged|a finished task's partial "
                                          r"result is damaged)")
