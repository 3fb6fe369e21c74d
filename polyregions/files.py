"""Files: reading text and exact JSON, and atomic output.

:func:`read_text` reads a UTF-8 file within a size limit and :func:`parse_json_exact`
parses JSON with decimals kept exact (both through :mod:`polyregions.checker.fileformat`,
the reader the standalone checker uses too), turning their errors into
:class:`~polyregions.errors.InputError`.

Atomic file output: write a temporary file beside the target, then rename.

Only regular files are replaced that way. A target that exists and is not a regular
file (``/dev/null``, ``/dev/stdout``, a named pipe) is written directly, as a shell
redirection would, and a write error there (``/dev/full``) is an error. A symbolic
link is followed: the file it points to is replaced and the link stays. While the
temporary file exists, SIGTERM is handled like Ctrl-C (:class:`Terminated`, a
KeyboardInterrupt), so that the temporary file is removed.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

from .checker import fileformat
from .checker.fileformat import FormatError
from .errors import InputError

__all__ = ["read_text", "parse_json_exact", "write_text_atomic", "open_atomic", "Terminated", "sigterm_interrupts"]

#: Characters of the target's name kept in the temporary file's name (".NAME.XXXXXXXX.tmp"
#: must stay within the 255 bytes a file name may have).
_NAME_KEPT = 100


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (while an output file was written, a search ran or a command ran):
    handled like Ctrl-C."""


def _terminate(signum, frame):  # noqa: ARG001 - the signal handler's signature
    raise Terminated("terminated")


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` inside the block (main thread only), so that
    ``finally`` blocks run (temporary files removed, worker processes ended); the
    handler that was there before is put back at the end."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except (ValueError, OSError):  # no signals here (an embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _cannot_write(path: str | Path, exc: OSError) -> InputError:
    return InputError(f"{path}: cannot write: {exc.strerror or exc}")


@contextmanager
def open_atomic(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside *path*; rename it onto *path* on success.

    If the body raises (or SIGTERM or Ctrl-C arrives), *path* is left untouched and
    the temporary file is removed. A symbolic link is followed (the file it points
    to is replaced, the link stays); an existing target that is not a regular file
    (a device such as ``/dev/null``, a named pipe) is opened and written directly.
    """
    check_file_name(path)
    given = Path(path)
    try:
        info = os.stat(given)  # through links
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except OSError as exc:  # a name too long, a loop of links, no permission
        raise _cannot_write(path, exc) from None
    if info is not None and not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        with _direct(path, given, mode) as handle:  # a device or a pipe, maybe through a link
            yield handle
        return
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        if directory.exists():
            raise InputError(f"{path}: {directory} is not a directory")
        raise InputError(f"{path}: directory {directory} does not exist")
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a directory, expected a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:_NAME_KEPT]}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    with sigterm_interrupts():
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # what a plain open() would give, not mkstemp's 0600
            with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
                yield handle
                try:
                    handle.flush()
                    os.fsync(handle.fileno())
                except OSError as exc:
                    raise _cannot_write(path, exc) from None
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _cannot_write(path, exc) from None
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


@contextmanager
def _direct(path: str | Path, target: Path, mode: str) -> Iterator[IO]:
    """Write straight into a device or pipe; a failed write or flush is an InputError."""
    try:
        handle = open(target, mode, encoding=None if "b" in mode else "utf-8")
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        yield handle
        handle.flush()
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    finally:
        try:
            handle.close()
        except OSError:
            pass


def is_same_file(a: str | Path, b: str | Path) -> bool:
    """True when both names are one file: the same existing file (through links, ``..``,
    hard links), or the same absolute name."""
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        first, second = os.stat(a), os.stat(b)
    except OSError:
        return False
    return stat.S_ISREG(first.st_mode) and (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def check_file_name(path: str | Path) -> None:
    """Refuse a name that cannot be an output file: empty, or ending with a separator (a
    directory's name: ``m.json/`` would otherwise be written as ``m.json``), or not a name."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"expected an output file name (str or Path), got {type(path).__name__}")
    text = os.fspath(path)
    if not text:
        raise InputError("an empty output file name")
    if text.endswith(os.sep) or (os.altsep and text.endswith(os.altsep)):
        raise InputError(f"{text}: ends with {text[-1]!r}, a directory's name; expected a file name")


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write *text* to *path* atomically."""
    with open_atomic(path) as handle:
        handle.write(text)


def parse_json_exact(text: str, source: str = "input") -> Any:
    """Parse JSON text with decimals read as exact :class:`~decimal.Decimal`.

    The non-standard tokens ``NaN``, ``Infinity`` and ``-Infinity`` are read as the
    non-finite Decimals, which :func:`~polyregions.rationals.to_rational` rejects with
    a message naming the place (``layers[0] (affine): weight[0][1]``). Syntax errors
    name *source*, the line and the column. This is
    :func:`polyregions.checker.fileformat.loads`, which the checker reads models with too.
    """
    try:
        return fileformat.loads(text, source)
    except FormatError as exc:
        raise InputError(str(exc)) from None


def read_text(path: str | Path, what: str = "file", limit: int = fileformat.MAX_MODEL_BYTES) -> str:
    """Read a UTF-8 file of at most *limit* bytes, turning OS errors into :class:`InputError`."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"{what}: expected a file path (str or Path), got {type(path).__name__}")
    try:
        return fileformat.read_file(path, what, limit)
    except FormatError as exc:
        message = str(exc)
        if "not a text file" in message or "not UTF-8 text" in message:
            kind = _binary_kind(path)
            if kind:
                message += f"; this looks like {kind}"
                if what == "model file":
                    message += ("; polyregions reads its own JSON format (polyregions-network/1): build the "
                                "network from the weights with Network.mlp(weights, biases) and save it "
                                "(README: 'Models from PyTorch and NumPy')")
        raise InputError(message) from None


#: Leading bytes of the binary files that people hand over first, and what they are.
_MAGIC = (
    (b"PK\x03\x04", "a zip archive (a PyTorch .pt/.pth file saved by torch.save, or a .npz)"),
    (b"\x80", "a Python pickle (a PyTorch file in the legacy format, or a pickled object)"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"\x89HDF", "an HDF5 file (a Keras .h5 model)"),
)


def _binary_kind(path: str | Path) -> str | None:
    """What a binary file looks like from its first bytes (or its .onnx suffix), if known."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if Path(path).suffix.lower() == ".onnx":
        return "an ONNX model (protocol buffers)"
    return None
