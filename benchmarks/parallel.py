"""Benchmarks of the search as tasks: workers, the serial fallback, memory, and the old engine.

Everything in one run, side by side, each measurement in a fresh process:

1. speed on the large relucent fixtures (parity_5490, meta_graph_large; read from
   ../shared/external/relucent): the previous serial engine (the package as it was at
   --baseline, exported from git), this engine on 1 worker, on 2 local processes and on
   a Dask LocalCluster of 2 worker processes (started once, before the timings);
2. the serial fallback on networks below 1,000 regions: --jobs 2 against --jobs 1
   (the best of --repeat runs each);
3. memory: the peak RSS of `count --no-linear` on parity_4630 and meta_graph_large, and
   of `count` (activation and linear regions) on the generic arrangements of 40
   hyperplanes in R^4 and 21 in R^6, this engine against the baseline.

    python benchmarks/parallel.py [--baseline REV] [--only speed|fallback|memory ...]
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
sys.path.insert(0, str(ROOT))

#: The last commit before the search became tasks (the serial, recursive engine).
BASELINE = "c8c57df"

RUNNER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
try:  # a baseline from before the subpackages (issue 19): its own module names first
    from polyregions.network import load_network
    from polyregions.counting import count_regions
except ImportError:  # this tree
    from polyregions.core.network import load_network
    from polyregions.queries.count import count_regions
model, linear, jobs, scheduler = sys.argv[2], sys.argv[3] == "1", int(sys.argv[4]), sys.argv[5]
net = load_network(model)
kwargs = {}
if scheduler != "-":
    import distributed  # noqa: F401  (a client library already loaded, as in a notebook: not timed)
if jobs or scheduler != "-":
    kwargs = {"jobs": max(jobs, 1)}
    if scheduler != "-":
        kwargs["scheduler"] = scheduler
start = time.perf_counter()
counts = count_regions(net, linear=linear, **kwargs)
seconds = time.perf_counter() - start
# the peak of this process's own address space (ru_maxrss would include the parent's pages
# shared before exec)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "rss_mib": peak / 1024,
                  "regions": counts.activation_regions, "linear": counts.linear_regions}))
"""


def _measure(package_root: Path, model: Path, linear: bool, jobs: int = 0, scheduler: str = "-",
             repeat: int = 1) -> dict:
    """Run one count in a fresh process (the fastest of *repeat* runs); jobs 0 calls the old
    signature (no executor options)."""
    best = None
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", RUNNER, str(package_root), str(model), "1" if linear else "0",
                              str(jobs), scheduler], capture_output=True, text=True, check=True)
        found = json.loads(out.stdout.strip().splitlines()[-1])
        if best is None or found["seconds"] < best["seconds"]:
            best = found
    return best


def _fixtures() -> Path | None:
    shared = Path(os.environ.get("POLYREGIONS_SHARED", ROOT.parent / "shared"))
    folder = shared / "external" / "relucent"
    return folder if folder.is_dir() else None


def speed(base: Path | None, folder: Path, dask: bool, repeat: int) -> None:
    print(f"\n1. count (activation and linear regions), seconds, best of {repeat}; ratios against 1 worker "
          "of this engine")
    rows = []
    for name in ("parity_5490", "meta_graph_large"):
        model = folder / f"{name}.json"
        old = _measure(base, model, True) if base is not None else None
        one = _measure(ROOT, model, True, 1, repeat=repeat)
        two = _measure(ROOT, model, True, 2, repeat=repeat)
        rows.append((name, model, old, one, two))
    results = {}
    if dask:  # the cluster runs only while the Dask timings do (its idle processes cost CPU)
        try:
            import importlib
            import logging

            import distributed
        except ImportError:
            print("(dask.distributed is not installed: no Dask timings)")
        else:
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                               dashboard_address=":0", silence_logs=logging.ERROR)
            try:  # warm up: each worker imports polyregions once (a long-lived cluster has)
                with distributed.Client(cluster) as client:
                    client.run(importlib.import_module, "polyregions.run.executors")
                for name, model, *_ in rows:
                    results[name] = _measure(ROOT, model, True, 2, cluster.scheduler_address, repeat=repeat)
            finally:
                cluster.close()
    header = (f"{'network':18} {'regions':>8} {'old engine':>11} {'1 worker':>9} {'2 processes':>12} "
              f"{'speed-up':>9} {'Dask 2':>8} {'speed-up':>9} {'old/1 worker':>13}")
    print(header)
    print("-" * len(header))
    for name, model, old, one, two in rows:
        dask_run = results.get(name)
        for other in (old, two, dask_run):
            if other is not None and (other["regions"], other["linear"]) != (one["regions"], one["linear"]):
                raise SystemExit(f"MISMATCH on {name}: {other} against {one}")
        old_text = f"{old['seconds']:.2f}" if old else "-"
        dask_text = f"{dask_run['seconds']:.2f}" if dask_run else "-"
        dask_ratio = f"{one['seconds'] / dask_run['seconds']:.2f}x" if dask_run else "-"
        old_ratio = f"{old['seconds'] / one['seconds']:.2f}" if old else "-"
        print(f"{name:18} {one['regions']:>8} {old_text:>11} {one['seconds']:>9.2f} {two['seconds']:>12.2f} "
              f"{one['seconds'] / two['seconds']:>8.2f}x {dask_text:>8} {dask_ratio:>9} {old_ratio:>13}", flush=True)
    print("targets: 2 processes >= 1.8x, Dask 2 workers >= 1.6x (a warm cluster started before, and the "
          "client library loaded, not timed); old/1 worker >= 1 (no regression)")


def fallback(folder: Path | None, repeat: int) -> None:
    print(f"\n2. serial fallback below 1,000 regions: count, best of {repeat} runs, seconds")
    header = f"{'network':20} {'regions':>8} {'--jobs 1':>9} {'--jobs 2':>9} {'overhead':>9}"
    print(header)
    print("-" * len(header))
    models = []
    if folder is not None:
        models += [(n, folder / f"{n}.json") for n in ("phantom_ckpt0", "parity_ckpt10", "dual_recovery_4392",
                                                        "shi_bound_5303")]
    models.append(("examples/demo.json", ROOT / "examples" / "demo.json"))
    for name, model in models:
        one = min(_measure(ROOT, model, True, 1)["seconds"] for _ in range(repeat))
        runs = [_measure(ROOT, model, True, 2) for _ in range(repeat)]
        two = min(r["seconds"] for r in runs)
        print(f"{name:20} {runs[0]['regions']:>8} {one:>9.4f} {two:>9.4f} {100 * (two / one - 1):>8.1f}%", flush=True)
    print("target: under 5% (a run that ends within the head start never starts a process)")


def memory(base: Path | None, folder: Path | None, scratch: Path) -> None:
    from polyregions.theory.constructions import arrangement_network

    print("\n3. peak RSS, MiB (fresh process each; the Python interpreter and imports included)")
    header = f"{'run':44} {'regions':>8} {'this engine':>12} {'old engine':>11}"
    print(header)
    print("-" * len(header))
    runs = []
    if folder is not None:
        runs += [(f"count --no-linear {n}", folder / f"{n}.json", False) for n in ("parity_4630", "meta_graph_large")]
    for dim, count in ((4, 40), (6, 21)):
        path = scratch / f"generic_{dim}_{count}.json"
        arrangement_network("generic", dim, count).save(path)
        runs.append((f"count arrangement generic --dim {dim} --count {count}", path, True))
    flat = {}
    for name, model, linear in runs:
        new = _measure(ROOT, model, linear, 1)
        old = _measure(base, model, linear) if base is not None else None
        flat[name] = new["rss_mib"]
        old_text = f"{old['rss_mib']:.0f}" if old else "-"
        print(f"{name:44} {new['regions']:>8} {new['rss_mib']:>12.0f} {old_text:>11}", flush=True)
    small, large = (flat.get(f"count --no-linear {n}") for n in ("parity_4630", "meta_graph_large"))
    if small and large:
        print(f"count --no-linear: meta_graph_large / parity_4630 = {large / small:.2f} (target: within 20%)")
    print("target: the arrangements under 150 MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"git revision of the old engine (default {BASELINE})")
    parser.add_argument("--only", nargs="*", choices=["speed", "fallback", "memory"])
    parser.add_argument("--repeat", type=int, default=5, help="runs per small network (default 5)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask timings")
    parser.add_argument("--repeat-speed", type=int, default=2, help="runs per speed timing (default 2)")
    args = parser.parse_args()
    parts = set(args.only or ["speed", "fallback", "memory"])
    folder = _fixtures()
    if folder is None:
        print("(relucent fixtures not found: set POLYREGIONS_SHARED; the fixture rows are skipped)")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        base = export_baseline(args.baseline, scratch, build=False) if parts & {"speed", "memory"} else None
        if "speed" in parts and folder is not None:
            speed(base, folder, not args.no_dask, args.repeat_speed)
        if "fallback" in parts:
            fallback(folder, args.repeat)
        if "memory" in parts:
            memory(base, folder, scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
