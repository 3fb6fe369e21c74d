"""Tests of :mod:`polyregions.files`: output files appear complete or not at all."""

from __future__ import annotations

import os
import re
import tempfile

import pytest

from polyregions.files import open_atomic, write_text_atomic
from polyregions.errors import InputError


def names(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_write_text_atomic_writes_the_file(tmp_path):
    path = tmp_path / "out.txt"
    write_text_atomic(path, "héllo\nworld\n")
    assert path.read_text(encoding="utf-8") == "héllo\nworld\n"
    assert names(tmp_path) == ["out.txt"]


def test_write_text_atomic_replaces_old_contents(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    write_text_atomic(str(path), "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert names(tmp_path) == ["out.txt"]


def test_relative_path_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_text_atomic("here.txt", "x")
    assert (tmp_path / "here.txt").read_text(encoding="utf-8") == "x"
    assert names(tmp_path) == ["here.txt"]


def test_open_atomic_binary(tmp_path):
    path = tmp_path / "out.bin"
    with open_atomic(path, "wb") as handle:
        handle.write(b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"


def test_file_appears_only_at_the_end(tmp_path):
    path = tmp_path / "out.jsonl"
    with open_atomic(path) as handle:
        handle.write("line 1\n")
        handle.flush()
        assert not path.exists()
        (temporary,) = names(tmp_path)
        assert temporary.startswith(".out.jsonl.") and temporary.endswith(".tmp")
    assert path.read_text(encoding="utf-8") == "line 1\n"
    assert names(tmp_path) == ["out.jsonl"]


def test_failing_body_keeps_old_contents_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old contents", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"^boom$"):
        with open_atomic(path) as handle:
            handle.write("half of the new ")
            raise RuntimeError("boom")
    assert path.read_text(encoding="utf-8") == "old contents"
    assert names(tmp_path) == ["out.txt"]


def test_interrupted_body_creates_nothing(tmp_path):
    path = tmp_path / "new.txt"
    with pytest.raises(KeyboardInterrupt):
        with open_atomic(path) as handle:
            handle.write("partial")
            raise KeyboardInterrupt
    assert names(tmp_path) == []


def test_missing_directory(tmp_path):
    path = tmp_path / "no" / "such" / "out.txt"
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: directory "
                                         rf"{re.escape(str(path.parent))} does not exist$"):
        write_text_atomic(path, "x")
    assert names(tmp_path) == []


def test_parent_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    path = tmp_path / "file" / "out.txt"
    with pytest.raises(InputError, match=r"file is not a directory$"):
        write_text_atomic(path, "y")


def test_target_is_a_directory(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError,
                       match=rf"^{re.escape(str(tmp_path / 'out'))}: is a directory, expected a file name$"):
        write_text_atomic(tmp_path / "out", "x")
    assert names(tmp_path) == ["out"]


def test_temporary_file_cannot_be_created(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    path = tmp_path / "out.txt"
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: cannot write: Permission denied$"):
        write_text_atomic(path, "x")
    assert names(tmp_path) == []


def test_rename_fails(tmp_path):
    path = tmp_path / "out.txt"
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: cannot write: Is a directory$"):
        with open_atomic(path) as handle:
            handle.write("x")
            os.mkdir(path)  # something else takes the name meanwhile
    assert names(tmp_path) == ["out.txt"]
    assert path.is_dir()


def test_written_files_get_ordinary_permissions(tmp_path):
    import os
    import stat

    from polyregions.files import write_text_atomic

    umask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644


# --------------------------------------------------------------------------- targets that are not plain files (issue 14)

def _no_replacing(monkeypatch):
    """Make any attempt to write a temporary file and rename it fail loudly (and harmlessly)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a temporary file and a rename for a target that is not a regular file")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(os, "replace", refuse)


def test_named_pipe_is_written_directly(tmp_path, monkeypatch):
    """Regression: the pipe was replaced by a regular file (as /dev/null was)."""
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    _no_replacing(monkeypatch)
    write_text_atomic(fifo, "through the pipe")
    reader.join(timeout=60)
    assert received == ["through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert names(tmp_path) == ["pipe"]


def test_broken_pipe_is_an_error(tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def close_at_once():
        with open(fifo, "rb"):
            pass

    reader = threading.Thread(target=close_at_once, daemon=True)
    reader.start()
    with pytest.raises(InputError, match=rf"^{re.escape(str(fifo))}: cannot write: Broken pipe$"):
        with open_atomic(fifo) as handle:
            reader.join(timeout=60)
            handle.write("x" * 1_000_000)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null here")
def test_dev_null_stays_a_device(monkeypatch):
    import stat

    _no_replacing(monkeypatch)   # before the fix this stops the replacement of /dev/null
    write_text_atomic("/dev/null", "nothing")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_dev_full_reports_the_error(monkeypatch):
    """Regression: writing to /dev/full reported success (it wrote a temporary file instead)."""
    _no_replacing(monkeypatch)
    with pytest.raises(InputError, match=r"^/dev/full: cannot write: No space left on device$"):
        write_text_atomic("/dev/full", "x" * 100_000)


def test_symlink_is_followed(tmp_path):
    """Regression: the link was replaced by a regular file."""
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real.name)
    write_text_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert real.read_text() == "new"
    assert names(tmp_path) == ["link.json", "real.json"]


def test_symlink_into_another_directory_and_dangling_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    link = tmp_path / "a" / "out.json"
    link.symlink_to(tmp_path / "b" / "target.json")   # dangling: the target does not exist yet
    write_text_atomic(link, "made")
    assert (tmp_path / "b" / "target.json").read_text() == "made"
    assert link.is_symlink()
    assert names(tmp_path / "a") == ["out.json"] and names(tmp_path / "b") == ["target.json"]


@pytest.mark.parametrize("length", [200, 240, 255])
def test_names_up_to_255_characters(tmp_path, length):
    """Regression: the temporary file's name (".NAME.XXXXXXXX.tmp") was too long."""
    path = tmp_path / ("r" * (length - 5) + ".json")
    with open_atomic(path) as handle:
        handle.write("x")
        (temporary,) = [n for n in names(tmp_path)]
        assert len(temporary) <= 255 and temporary.endswith(".tmp")
    assert path.read_text() == "x"
    assert names(tmp_path) == [path.name]


def test_name_too_long_for_the_file_system(tmp_path):
    path = tmp_path / ("r" * 300)
    with pytest.raises(InputError, match=r": cannot write: File name too long$"):
        write_text_atomic(path, "x")
    assert names(tmp_path) == []


# --------------------------------------------------------------------------- SIGTERM (issue 14)

def test_sigterm_removes_the_temporary_file(tmp_path):
    """Regression: SIGTERM killed the process and left the .tmp file behind."""
    import signal
    import subprocess
    import sys

    target = tmp_path / "out.txt"
    code = ("import sys, time; from polyregions.files import open_atomic\n"
            f"with open_atomic({str(target)!r}) as handle:\n"
            "    handle.write('partial'); handle.flush(); print('ready', flush=True); time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        assert len(names(tmp_path)) == 1 and names(tmp_path)[0].endswith(".tmp")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert "Terminated: terminated" in err
    assert names(tmp_path) == []


def test_sigterm_handler_is_restored(tmp_path):
    import signal

    before = signal.getsignal(signal.SIGTERM)
    with open_atomic(tmp_path / "x.txt") as handle:
        assert signal.getsignal(signal.SIGTERM) is not before
        handle.write("x")
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_in_process_raises_terminated(tmp_path):
    import signal

    from polyregions.files import Terminated

    with pytest.raises(Terminated, match=r"^terminated$"):
        with open_atomic(tmp_path / "out.txt") as handle:
            handle.write("partial")
            os.kill(os.getpid(), signal.SIGTERM)
    assert names(tmp_path) == []
    assert issubclass(Terminated, KeyboardInterrupt)


def test_device_that_cannot_be_opened(tmp_path):
    """A socket is not a regular file: it is opened directly, which fails clearly."""
    import socket

    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: cannot write: No such device or address$"):
            write_text_atomic(path, "x")
    finally:
        server.close()


def test_an_output_name_ending_with_a_slash_is_refused(tmp_path, capsys):
    """`-o m.json/` used to write m.json (the input model) past the same-file check."""
    from pathlib import Path

    from tests.support.clirun import assert_one_error_line, run

    model = tmp_path / "m.json"
    model.write_text((Path(__file__).resolve().parent.parent / "examples" / "demo.json").read_text())
    before = model.read_bytes()
    for command in (["regions", model, "-o", f"{model}/"], ["certify", model, "-o", f"{model}/"],
                    ["count", model, "--checkpoint", f"{model}/"], ["regions", model, "-o", f"{tmp_path}/new/"]):
        code, out, err = run(capsys, *command)
        assert_one_error_line(code, out, err, r"ends with '/', a directory's name; expected a file name")
    assert model.read_bytes() == before and not (tmp_path / "new").exists()
    assert_one_error_line(*run(capsys, "regions", model, "-o", ""), r"an empty output file name")
    assert_one_error_line(*run(capsys, "regions", model, "-o", f"{model}/out"), r"m\.json is not a directory")
    out_file = tmp_path / "f.jsonl"
    assert_one_error_line(*run(capsys, "regions", model, "-o", out_file, "--checkpoint", out_file),
                          r"--checkpoint .*f\.jsonl: is the output file")
    classifier = Path(__file__).resolve().parent.parent / "examples" / "classifier.json"
    assert_one_error_line(*run(capsys, "boundary", classifier, "--box", -1, 1, "-o", tmp_path / "p.png",
                               "--plot", tmp_path / "p.png"), r"--plot .*p\.png: is the -o file too")
