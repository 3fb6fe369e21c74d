"""The package as it was at an earlier revision, for benchmarks that time it beside this one.

    from baseline import export_baseline   # benchmarks/ is on sys.path when a benchmark runs
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def export_baseline(rev: str, into: Path, build: bool = True) -> Path | None:
    """Export polyregions/ (and setup.py, when it has one) as it was at *rev* into *into*, and
    with *build* its compiled kernels too when it has them (if they do not build, it runs its
    pure-Python kernel, and this says so). None when git cannot export it."""
    archive = into / "baseline.tar"
    paths = ["polyregions"]
    has_setup = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{rev}:setup.py"], capture_output=True)
    if has_setup.returncode == 0:
        paths.append("setup.py")
    done = subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), rev, *paths],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(f"(no baseline: git archive {rev} failed: {done.stderr.strip()})")
        return None
    base = into / "baseline"
    with tarfile.open(archive) as tar:
        tar.extractall(base, filter="data")
    kernel_sources = [base / "polyregions" / "_kernel.c", base / "polyregions" / "geometry" / "_kernel.c"]
    if build and any(p.is_file() for p in kernel_sources) and (base / "setup.py").is_file():
        built = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=base,
                               capture_output=True, text=True)
        if built.returncode != 0:
            print("(the baseline's compiled kernel did not build; it runs its pure-Python kernel)")
    return base
