"""Benchmark of the engine's kernel: this engine against the slow reference and the old engine.

Everything in one run, each measurement in a fresh process, CPU seconds of that
process (``time.process_time``: the machine may be shared, so wall-clock times are
noisier) and its peak RSS:

1. parity_4630: this engine (compiled kernel) against the slow exact reference
   (tests/support/reference.py, two cdd-GMP LPs per unit); target: at least 100x;
2. regions per second on parity_4630, parity_5490 and meta_graph_large (activation
   regions only), and on the generic arrangement of 16 hyperplanes in R^5 (small
   integers): this engine with the compiled kernel, with the pure-Python kernel
   (POLYREGIONS_KERNEL=python), and the old engine, the package as it was at
   --baseline (exported with git archive into a temporary folder; its compiled
   kernel, if it has one, is built there first); target: meta_graph_large in under
   7 s, about a third of the old engine;
3. peak RSS of the same runs; target: at most 30% above the old engine.

With --repeat N each run is made N times, alternating between the engines, and the
fastest counts.

    python benchmarks/kernel.py [--baseline REV] [--repeat N] [--no-reference] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from baseline import export_baseline  # benchmarks/baseline.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent

#: The engine before issue 13 (pure Python, exact dot products everywhere).
BASELINE = "1a1b34c"
ARRANGEMENT = "generic 16 in R^5"

RUNNER = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.append(sys.argv[3])  # the repository, for tests.support.reference
try:  # a baseline from before the subpackages (issue 19): its own module names first
    from polyregions.network import load_network
    from polyregions.engine import enumerate_regions
    try:
        from polyregions.polyhedron import kernel_name
    except ImportError:  # a baseline from before the compiled kernel
        kernel_name = lambda: "python"
except ImportError:  # this tree
    from polyregions.core.network import load_network
    from polyregions.search.engine import enumerate_regions
    from polyregions.geometry.polyhedron import kernel_name
net = load_network(sys.argv[2])
mode = sys.argv[4]
kernel = kernel_name()
start, wall = time.process_time(), time.perf_counter()
if mode == "reference":
    from tests.support.reference import reference_count
    count = reference_count(net)
    kernel = "-"
else:
    count = sum(1 for _ in enumerate_regions(net))
cpu, wall = time.process_time() - start, time.perf_counter() - wall
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kept across exec: includes the parent's
try:
    with open("/proc/self/status") as status:  # the peak of this address space only
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    pass
print(json.dumps({"cpu": cpu, "wall": wall, "regions": count, "kernel": kernel, "rss_mib": rss}))
"""


def _measure(package_root: Path, model: Path, mode: str = "engine", kernel: str | None = None) -> dict:
    env = dict(os.environ)
    env.pop("POLYREGIONS_KERNEL", None)
    if kernel is not None:
        env["POLYREGIONS_KERNEL"] = kernel
    out = subprocess.run([sys.executable, "-c", RUNNER, str(package_root), str(model), str(ROOT), mode],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"benchmark run failed ({package_root}, {model.name}, {mode}):\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["cpu"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"git revision of the old engine (default {BASELINE})")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest counts")
    parser.add_argument("--no-reference", action="store_true", help="skip the slow reference (about a minute)")
    parser.add_argument("--no-python", action="store_true", help="skip the pure-Python kernel")
    parser.add_argument("--only", nargs="*", help="run only these fixtures")
    args = parser.parse_args()
    shared = Path(os.environ.get("POLYREGIONS_SHARED", ROOT.parent / "shared"))
    folder = shared / "external" / "relucent"
    if not folder.is_dir():
        print(f"(relucent fixtures not found in {folder}: nothing to measure)")
        return 0
    names = [n for n in ("parity_4630", "parity_5490", "meta_graph_large", ARRANGEMENT)
             if not args.only or n in args.only]
    with tempfile.TemporaryDirectory() as scratch:
        base = export_baseline(args.baseline, Path(scratch))
        sys.path.insert(0, str(ROOT))
        from polyregions.theory.constructions import arrangement_network

        arrangement = Path(scratch) / "arrangement.json"
        arrangement_network("generic", 5, 16).save(arrangement)
        print(f"CPU seconds of one process each (best of {args.repeat}); old engine: {args.baseline}")
        header = (f"{'network':20} {'regions':>8} {'this engine':>12} {'regions/s':>10} {'python kernel':>14} "
                  f"{'old engine':>11} {'old/this':>9} {'RSS MiB':>8} {'old RSS':>8} {'RSS ratio':>10}")
        print(header)
        print("-" * len(header))
        results = {}
        for name in names:
            model = arrangement if name == ARRANGEMENT else folder / f"{name}.json"
            this_runs, py_runs, old_runs = [], [], []
            for _ in range(args.repeat):
                this_runs.append(_measure(ROOT, model))
                if base is not None:
                    old_runs.append(_measure(base, model))
                if not args.no_python:
                    py_runs.append(_measure(ROOT, model, kernel="python"))
            this = _best(this_runs)
            old = _best(old_runs) if old_runs else None
            py = _best(py_runs) if py_runs else None
            for other in (old, py):
                if other is not None and other["regions"] != this["regions"]:
                    raise SystemExit(f"MISMATCH on {name}: {other['regions']} against {this['regions']}")
            results[name] = this
            py_text = f"{py['cpu']:.2f}" if py else "-"
            old_text = f"{old['cpu']:.2f}" if old else "-"
            ratio = f"{old['cpu'] / this['cpu']:.2f}x" if old else "-"
            old_rss = f"{old['rss_mib']:.0f}" if old else "-"
            rss_ratio = f"{this['rss_mib'] / old['rss_mib']:.2f}" if old else "-"
            print(f"{name:20} {this['regions']:>8} {this['cpu']:>12.2f} {this['regions'] / this['cpu']:>10.0f} "
                  f"{py_text:>14} {old_text:>11} {ratio:>9} {this['rss_mib']:>8.0f} {old_rss:>8} {rss_ratio:>10}",
                  flush=True)
        print(f"this engine: kernel {this['kernel']}; targets: meta_graph_large under 7 s, RSS ratio at most 1.30")
        if not args.no_reference and "parity_4630" in results:
            model = folder / "parity_4630.json"
            ref = _measure(ROOT, model, mode="reference")
            this = results["parity_4630"]
            if ref["regions"] != this["regions"]:
                raise SystemExit(f"MISMATCH on parity_4630: reference {ref['regions']}, engine {this['regions']}")
            print(f"\nparity_4630: slow exact reference {ref['cpu']:.2f} s, this engine {this['cpu']:.2f} s: "
                  f"{ref['cpu'] / this['cpu']:.0f}x (target: at least 100x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
