"""Tests of :mod:`polyregions.atomic`: output files appear complete or not at all."""

from __future__ import annotations

import os
import re
import tempfile

import pytest

from polyregions.atomic import open_atomic, write_text_atomic
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
    with pytest.raises(InputError, match=r"does not exist$"):
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

    from polyregions.atomic import write_text_atomic

    umask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "out.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644
