"""Checkpoints: finished subtrees written as the run goes, so a killed run resumes.

A checkpoint file (``polyregions-checkpoint/1``) is JSON lines. The first line
names what the run computes: the model's sha256 (the certificate's digest of the
canonical model), the domain and the job with its options. Every other line is one
finished task: the open paths it took (``paths``), the paths it left open
(``frontier``), its partial result and its region count.

Each line is appended, flushed and synced to disk before the run goes on, so a run
killed at any moment (SIGKILL included) leaves complete lines and at most one torn
last line, which resuming drops (and cuts off the file). The open paths follow from
the lines in order (the root first; each line takes open paths and leaves its
frontier open): resuming runs exactly those, so no region is lost or counted twice. A checkpoint whose first line
does not match the run (another model, domain or job) is refused with one line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import write_text_atomic
from ..errors import InputError
from .tasks import Path as SearchPath, TaskResult
from ..checker.common import long_integers
from ..checker.models import model_digest

if TYPE_CHECKING:
    from ..search.engine import Search
    from .jobs import JobSpec

__all__ = ["Checkpoint", "FORMAT"]

FORMAT = "polyregions-checkpoint/1"
#: The longest first line read when looking for a header (another run's may be longer than ours).
MAX_HEADER_BYTES = 64 << 20


def _header(search: "Search", spec: "JobSpec") -> dict[str, Any]:
    return {"format": FORMAT, "model_sha256": model_digest(search.network.to_json()),
            "domain": search.domain.to_json(), "job": spec.identity()}


def _describe_job(job: Any) -> str:
    if not isinstance(job, dict):
        return repr(job)
    options = ", ".join(f"{k}={v}" for k, v in sorted(job.items()) if k != "job")
    return f"{job.get('job')}" + (f" ({options})" if options else "")


def _paths(value: Any, least: int) -> list[SearchPath]:
    """A list of at least *least* search paths (lists of branch indices), or ValueError."""
    if not isinstance(value, list) or len(value) < least:
        raise ValueError("expected a list of paths")
    out = []
    for path in value:
        if not isinstance(path, list) or not all(type(i) is int and i >= 0 for i in path):
            raise ValueError("a path is a list of branch indices")
        out.append(tuple(path))
    return out


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("expected a count")
    return value


class Checkpoint:
    """An open checkpoint file: the results it holds and an append handle.

    Use :meth:`open`; :attr:`results` are the finished tasks read back.
    """

    def __init__(self, path: Path, results: list[TaskResult], handle: Any) -> None:
        self.path = path
        self.results = results
        self._handle = handle

    @classmethod
    def open(cls, path: str | Path, search: "Search", spec: "JobSpec") -> "Checkpoint":
        """Open *path* for this run: read it back when it exists, else create it."""
        path = Path(path)
        header = _header(search, spec)
        if path.is_dir():
            raise InputError(f"checkpoint {path}: is a directory, expected a file name")
        if path.exists() and not path.is_file():
            raise InputError(f"checkpoint {path}: not a regular file (a device or a pipe); name a file")
        results: list[TaskResult] = []
        if path.exists() and path.stat().st_size > 0:
            results, good_bytes, header_ok = cls._read(path, header)
            if header_ok:
                with open(path, "r+b") as handle:
                    handle.truncate(good_bytes)  # drop a torn last line
            else:
                write_text_atomic(path, json.dumps(header) + "\n")
        else:
            write_text_atomic(path, json.dumps(header) + "\n")
        try:
            handle = open(path, "a", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"checkpoint {path}: cannot write: {exc.strerror}") from None
        checkpoint = cls(path, results, handle)
        checkpoint.open_paths()  # refuse inconsistent files before the run starts
        return checkpoint

    @staticmethod
    def _read(path: Path, header: dict[str, Any]) -> tuple[list[TaskResult], int, bool]:
        expected = (json.dumps(header) + "\n").encode()
        try:
            with open(path, "rb") as handle:
                first = handle.readline(max(len(expected) + 1, MAX_HEADER_BYTES))
                if not first.endswith(b"\n"):
                    # no complete first line: a run killed while writing the header leaves a
                    # piece of it; anything else is some other file, which is not overwritten
                    if expected.startswith(first) and not handle.read(1):
                        return [], 0, False
                    raise InputError(f"checkpoint {path}: not a {FORMAT} file; name a new file or a checkpoint")
                data = first + handle.read()
        except OSError as exc:
            raise InputError(f"checkpoint {path}: cannot read: {exc.strerror}") from None
        lines = data.split(b"\n")
        try:
            found = json.loads(lines[0])
        except (ValueError, RecursionError):
            raise InputError(f"checkpoint {path}: not a polyregions checkpoint (line 1 is not JSON)") from None
        if not isinstance(found, dict) or found.get("format") != FORMAT:
            raise InputError(f"checkpoint {path}: not a {FORMAT} file")
        if found.get("model_sha256") != header["model_sha256"]:
            raise InputError(f"checkpoint {path}: made for another model (sha256 "
                             f"{str(found.get('model_sha256'))[:12]}..., this one is "
                             f"{header['model_sha256'][:12]}...); use another file or delete it")
        if found.get("domain") != header["domain"]:
            raise InputError(f"checkpoint {path}: made for another domain; use another file or delete it")
        if found.get("job") != header["job"]:
            raise InputError(f"checkpoint {path}: made for {_describe_job(found.get('job'))}, "
                             f"this run is {_describe_job(header['job'])}; use another file or delete it")
        results = []
        good = len(lines[0]) + 1
        complete = lines[1:-1]  # the last piece has no newline: empty or torn
        with long_integers():
            for number, line in enumerate(complete, 2):
                try:
                    entry = json.loads(line)
                    result = TaskResult(_paths(entry["paths"], 1), _paths(entry["frontier"], 0), entry["partial"],
                                        _count(entry["regions"]), float(entry.get("seconds", 0)))
                    result.paths = tuple(result.paths)
                except (ValueError, KeyError, TypeError, RecursionError):
                    if number == len(lines):  # pragma: no cover - complete lines end with a newline
                        break
                    raise InputError(f"checkpoint {path}: line {number} is damaged; delete the file "
                                     "to start over") from None
                results.append(result)
                good += len(line) + 1
        return results, good, True

    def open_paths(self) -> list[SearchPath]:
        """The paths left open after the finished tasks, in the serial order.

        Replays the lines in the order they were written: each task takes open paths
        and leaves its frontier open (a task is written only after the one that
        opened its paths, and a frontier may hand back a path the task did not reach).
        """
        open_now: set[SearchPath] = {()}
        for number, result in enumerate(self.results, 2):
            for p in result.paths:
                if p not in open_now:
                    raise InputError(f"checkpoint {self.path}: inconsistent (line {number} takes path "
                                     f"{list(p)}, which is not open); delete the file to start over")
                open_now.discard(p)
            open_now.update(result.frontier)
        return sorted(open_now)

    def append(self, result: TaskResult) -> None:
        """Write one finished task and sync it to disk."""
        entry = {"paths": [list(p) for p in result.paths], "frontier": [list(p) for p in result.frontier],
                 "regions": result.regions, "seconds": round(result.seconds, 6), "partial": result.partial}
        with long_integers():
            line = json.dumps(entry, separators=(",", ":"))
        self._handle.write(line + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()
