"""ACAS Xu: every instance of VNN-COMP 2021 with its time limit, against the competition's answers.

Reads ../shared/external/acasxu (the 45 networks, the 10 properties, acasxu_instances.csv
and expected.csv; skipped with a note when absent). Each instance is verified in this
process with `verify_property(..., timeout=limit)`; the answer is compared with the
competition's only afterwards (the search never reads it). Prints one line per instance
(answer, expected, boxes, seconds, and nnenum's and alpha-beta-CROWN's reported seconds
side by side: their machines, not ours), then per property: decided, wrong (must be 0),
unknown, total and largest seconds, and the competition's totals. Loading a network
(ONNX, converted to exact rationals) is timed apart and not counted, as the competition
subtracts start-up.

    python benchmarks/acasxu.py [--quick] [--only PROP ...] [--limit SECONDS] [--certify] [--jobs N]

--quick: the first instance of each property (10 instances) with a 30 s limit. A line per
finished instance goes to stderr as the run goes; the table comes at the end.
--certify: each answer with its certificate (the search's limit covers writing it), checked
by the standalone checker afterwards: its size (JSON bytes) and check seconds are printed
beside the search's seconds ("-" where there is none: unknown), and the summary counts the
decided instances whose certificate the checker accepted ("certified").
--jobs N: `verify_property(..., jobs=N)`: the search on N worker processes (with --certify:
the exact checks of the boxes it closes on N workers).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polyregions.checker.check import check_certificate  # noqa: E402
from polyregions.errors import InputError  # noqa: E402
from polyregions.io.models import load_model  # noqa: E402
from polyregions.io.vnnlib import load_property  # noqa: E402
from polyregions.queries.verify import verify_property  # noqa: E402


def data_dir() -> Path | None:
    shared = os.environ.get("POLYREGIONS_SHARED")
    base = Path(shared) if shared else ROOT.parent / "shared"
    path = base / "external" / "acasxu"
    return path if path.is_dir() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one instance per property, 30 s each")
    parser.add_argument("--only", nargs="*", help="properties to run, e.g. prop_1 prop_3")
    parser.add_argument("--limit", type=float, help="seconds per instance instead of the competition's")
    parser.add_argument("--certify", action="store_true", help="certificates too, checked, with sizes and times")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    args = parser.parse_args()
    folder = data_dir()
    if folder is None:
        print("acasxu: skipped: ../shared/external/acasxu not found (set POLYREGIONS_SHARED)")
        return 0
    with open(folder / "acasxu_instances.csv") as handle:
        instances = [row for row in csv.reader(handle) if row]
    if args.only:
        instances = [row for row in instances if row[1].removesuffix(".vnnlib") in args.only]
    if args.quick:
        seen: set[str] = set()
        instances = [row for row in instances if not (row[1] in seen or seen.add(row[1]))]
    limit_override = args.limit if args.limit is not None else (30.0 if args.quick else None)
    networks: dict[str, object] = {}
    load_seconds = 0.0
    per_prop: dict[str, dict] = defaultdict(lambda: {"n": 0, "decided": 0, "certified": 0, "wrong": 0, "unknown": 0,
                                                    "total": 0.0, "largest": 0.0, "nnenum": 0.0, "abcrown": 0.0})
    results = []
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{len(instances)} instances")
    print(f"{'network':<10} {'property':<8} {'answer':<9} {'expected':<9} {'boxes':>7} {'seconds':>8}  "
          f"{'nnenum s':>8} {'abcrown s':>9}" + (f" {'cert KB':>8} {'check s':>8}" if args.certify else ""))
    for onnx_name, vnnlib, limit in instances:
        if onnx_name not in networks:
            start = time.perf_counter()
            networks[onnx_name] = load_model(folder / onnx_name)
            load_seconds += time.perf_counter() - start
        net = networks[onnx_name]
        prop = load_property(folder / vnnlib, 5, 5)
        seconds_limit = limit_override if limit_override is not None else float(limit)
        start = time.perf_counter()
        certified = args.certify
        try:
            result = verify_property(net, prop, timeout=seconds_limit, certificate=certified, jobs=args.jobs)
        except InputError as exc:  # a certificate this instance cannot have yet
            print(f"{onnx_name} {vnnlib}: {exc}; verified without a certificate")
            certified = False
            result = verify_property(net, prop, timeout=seconds_limit, jobs=args.jobs)
        seconds = time.perf_counter() - start
        proof, checked = "", False
        if args.certify:
            proof = f" {'-':>8} {'-':>8}"
            if certified and result.certificate is not None:
                text = json.dumps(result.certificate)
                start = time.perf_counter()
                check_certificate(json.loads(text), net.to_json(), None, prop.to_json())
                proof = f" {len(text) / 1024:>8.1f} {time.perf_counter() - start:>8.2f}"
                checked = True
        results.append((onnx_name, vnnlib, result.result, seconds, result.boxes, proof, checked))
        # progress on stderr as the run goes (the comparison with expected.csv comes at the end)
        print(f"[{len(results)}/{len(instances)}] {onnx_name} {vnnlib}: {result.result}, {seconds:.2f} s",
              file=sys.stderr, flush=True)
    with open(folder / "expected.csv") as handle:
        expected = {(row["onnx"], row["vnnlib"]): row for row in csv.DictReader(handle)}
    for onnx_name, vnnlib, answer, seconds, boxes, proof, checked in results:
        row = expected[(onnx_name, vnnlib)]
        name = onnx_name.removeprefix("ACASXU_run2a_").removesuffix("_batch_2000.onnx")
        prop_name = vnnlib.removesuffix(".vnnlib")
        stats = per_prop[prop_name]
        stats["n"] += 1
        stats["total"] += seconds
        stats["largest"] = max(stats["largest"], seconds)
        stats["nnenum"] += float(row["nnenum_s"] or 0)
        stats["abcrown"] += float(row["abcrown_s"] or 0)
        if answer == "unknown":
            stats["unknown"] += 1
        elif answer == row["answer"]:
            stats["decided"] += 1
            stats["certified"] += checked
        else:
            stats["wrong"] += 1
        print(f"{name:<10} {prop_name:<8} {answer:<9} {row['answer']:<9} {boxes:>7} {seconds:>8.2f}  "
              f"{row['nnenum_s'] or '-':>8} {row['abcrown_s'] or '-':>9}{proof}")
    print()
    print(f"{'property':<9} {'instances':>9} {'decided':>8} {'wrong':>6} {'unknown':>8} {'total s':>9} "
          f"{'largest s':>10} {'nnenum s':>9} {'abcrown s':>10}" + (f" {'certified':>9}" if args.certify else ""))
    totals = defaultdict(float)
    for prop_name in sorted(per_prop, key=lambda p: int(p.split("_")[1])):
        s = per_prop[prop_name]
        print(f"{prop_name:<9} {s['n']:>9} {s['decided']:>8} {s['wrong']:>6} {s['unknown']:>8} {s['total']:>9.1f} "
              f"{s['largest']:>10.1f} {s['nnenum']:>9.1f} {s['abcrown']:>10.1f}"
              + (f" {s['certified']:>9}" if args.certify else ""))
        for key in ("n", "decided", "certified", "wrong", "unknown", "total", "nnenum", "abcrown"):
            totals[key] += s[key]
        totals["largest"] = max(totals["largest"], s["largest"])
    print(f"{'all':<9} {int(totals['n']):>9} {int(totals['decided']):>8} {int(totals['wrong']):>6} "
          f"{int(totals['unknown']):>8} {totals['total']:>9.1f} {totals['largest']:>10.1f} "
          f"{totals['nnenum']:>9.1f} {totals['abcrown']:>10.1f}"
          + (f" {int(totals['certified']):>9}" if args.certify else ""))
    print(f"(loading {len(networks)} networks: {load_seconds:.1f} s, not counted)")
    return 1 if totals["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
