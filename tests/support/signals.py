"""Signalling a parallel command-line run once its workers run: the children of a process
(Linux /proc), the signal sent once both workers run and the checkpoint has lines, and the
wait until the workers are gone."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def start(args: list, cwd: Path) -> subprocess.Popen:
    """*args* (a full command) in a session of its own, with this process's Ctrl-C handling
    reset for it (an ignored SIGINT would stay ignored in the child)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen([str(a) for a in args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)


def children(pid: int) -> set[int]:
    """The processes whose parent is *pid* (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def signal_when_checkpointed(proc: subprocess.Popen, checkpoint: Path, signum: int, whom: str
                             ) -> tuple[str, str, set[int]]:
    """Send *signum* to *proc* (``whom`` ``"parent"``) or its process group (``"group"``) once two
    workers run and *checkpoint* has three lines; its stdout, stderr and the workers seen."""
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            workers = children(proc.pid)
            if len(workers) >= 2 and checkpoint.exists() and checkpoint.read_bytes().count(b"\n") >= 3:
                break
            time.sleep(0.05)
        if whom == "group":
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return out, err, workers


def assert_gone(workers: set[int], seconds: float = 10) -> None:
    """Every process of *workers* ends within *seconds* (ended by their parent, not left running)."""
    deadline = time.monotonic() + seconds
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, workers
        time.sleep(0.05)
