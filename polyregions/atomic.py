"""Atomic file output: write a temporary file beside the target, then rename."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from .errors import InputError

__all__ = ["write_text_atomic", "open_atomic"]


@contextmanager
def open_atomic(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside *path*; rename it onto *path* on success.

    If the body raises (or the process dies), *path* is left untouched and the
    temporary file is removed where possible.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"{path}: directory {directory} does not exist")
    if target.is_dir():
        raise InputError(f"{path}: is a directory, expected a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # what a plain open() would give, not mkstemp's 0600
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror}") from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write *text* to *path* atomically."""
    with open_atomic(path) as handle:
        handle.write(text)
