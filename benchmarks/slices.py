"""Benchmarks of wide layers on local views: image networks on 2-D slices, ACAS Xu in a small box.

Each count runs in a fresh process, with this engine and with the previous one (the
package at --baseline, exported from git and its compiled kernels built in a temporary
directory), at 1 and 2 processes, side by side in one run:

1. a 784-256-256-10 ReLU MLP (float32 ONNX, He-initialised random weights, seed 0) on the
   slice through three random points of [0,1]^784, box [0,1]^2;
2. examples/cnn.onnx (Conv 8@3x3, BatchNorm, ReLU, MaxPool 4x4, Gemm: 6272 ReLU units) on
   the README's plane (black image, top half white, left half white), box [0,1/8]^2;
3. an MNIST-shaped CNN (Conv 16@3x3 + ReLU + MaxPool 2, Conv 32@3x3 + ReLU + MaxPool 2,
   Dense 128, Dense 10; He-initialised random weights, seed 1) on the slice through three
   random points of [0,1]^784, box [0,1/256]^2 (the second convolution is a sparse layer;
   engines before it refuse the model);
4. ACAS Xu network 1_1 in the input box of prop_3 (read from ../shared/external/acasxu).

Printed per case: activation regions, seconds of the count (loading apart), regions per
second and the peak memory, for both engines and both process counts, and the speed-up.

    python benchmarks/slices.py [--baseline REV] [--only mlp|cnn|mnist|acas ...] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from baseline import export_baseline  # benchmarks/baseline.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent

#: The engine before units were settled in bulk (one search node per unit, every affine map in full).
BASELINE = "f968fe4"

RUNNER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from polyregions import Domain, count_regions, load_model
spec = json.loads(sys.argv[2])
start = time.perf_counter()
try:
    if spec.get("property"):
        from polyregions.io.vnnlib import load_property
        net = load_model(spec["model"])
        domain = load_property(spec["property"], net.input_dim, net.output_dim).domain
    else:
        plane = [[line for line in open(p).read().split(",")] for p in spec["plane"]]
        net = load_model(spec["model"], plane=plane)
        domain = Domain.box(2, spec["low"], spec["high"])
except Exception as exc:  # a refusal is a result too
    print(json.dumps({"refused": f"{type(exc).__name__}: {exc}"}))
    raise SystemExit(0)
loaded = time.perf_counter() - start
start = time.perf_counter()
counts = count_regions(net, domain, jobs=spec["jobs"])
seconds = time.perf_counter() - start
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "load": loaded, "rss_mib": peak / 1024,
                  "regions": counts.activation_regions, "linear": counts.linear_regions}))
"""


def _write_points(folder: Path, points: list[list[float]]) -> list[str]:
    paths = []
    for k, p in enumerate(points):
        path = folder / f"p{k}.txt"
        path.write_text(",".join(repr(v) for v in p))
        paths.append(str(path))
    return paths


def _mlp(folder: Path) -> dict:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    sizes = [784, 256, 256, 10]
    inits, nodes, x = [], [], "x"
    for i in range(3):
        w = (rng.normal(size=(sizes[i + 1], sizes[i])) * np.sqrt(2 / sizes[i])).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"W{i}"),
                  numpy_helper.from_array(np.zeros(sizes[i + 1], np.float32), f"b{i}")]
        nodes.append(helper.make_node("Gemm", [x, f"W{i}", f"b{i}"], [f"g{i}"], transB=1))
        x = f"g{i}"
        if i < 2:
            nodes.append(helper.make_node("Relu", [x], [f"r{i}"]))
            x = f"r{i}"
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 784])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 10])], initializer=inits)
    model = folder / "mlp.onnx"
    model.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                        ir_version=8).SerializeToString())
    points = [[float(np.float32(v)) for v in rng.uniform(0, 1, size=784)] for _ in range(3)]
    return {"model": str(model), "plane": _write_points(folder / "mlp", points), "low": 0, "high": 1}


def _mnist(folder: Path) -> dict:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1)

    def tensor(name, shape, fan_in):
        return numpy_helper.from_array((rng.normal(size=shape) * np.sqrt(2 / fan_in)).astype(np.float32), name)

    inits = [tensor("c1.w", (16, 1, 3, 3), 9), tensor("c1.b", (16,), 9),
             tensor("c2.w", (32, 16, 3, 3), 144), tensor("c2.b", (32,), 144),
             tensor("f1.w", (128, 32 * 7 * 7), 1568), tensor("f1.b", (128,), 1568),
             tensor("f2.w", (10, 128), 128), tensor("f2.b", (10,), 128)]
    nodes = [helper.make_node("Conv", ["x", "c1.w", "c1.b"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Conv", ["p1", "c2.w", "c2.b"], ["c2"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c2"], ["r2"]),
             helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p2"], ["f"]),
             helper.make_node("Gemm", ["f", "f1.w", "f1.b"], ["h"], transB=1),
             helper.make_node("Relu", ["h"], ["hr"]),
             helper.make_node("Gemm", ["hr", "f2.w", "f2.b"], ["y"], transB=1)]
    graph = helper.make_graph(nodes, "mnist", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 28, 28])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], initializer=inits)
    model = folder / "mnist.onnx"
    model.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                        ir_version=8).SerializeToString())
    points = [[float(np.float32(v)) for v in rng.uniform(0, 1, size=784)] for _ in range(3)]
    return {"model": str(model), "plane": _write_points(folder / "mnist", points), "low": 0, "high": "1/256"}


def _cnn(folder: Path) -> dict:
    n = 784
    points = [[0] * n, [1 if i // 28 < 14 else 0 for i in range(n)], [1 if i % 28 < 14 else 0 for i in range(n)]]
    return {"model": str(ROOT / "examples" / "cnn.onnx"), "plane": _write_points(folder / "cnn", points),
            "low": 0, "high": "1/8"}


def _acas() -> dict | None:
    shared = Path(os.environ.get("POLYREGIONS_SHARED", ROOT.parent / "shared")) / "external" / "acasxu"
    model = shared / "ACASXU_run2a_1_1_batch_2000.onnx"
    if not model.is_file():
        print(f"(ACAS Xu not found in {shared}: no ACAS Xu case)")
        return None
    return {"model": str(model), "property": str(shared / "prop_3.vnnlib")}


def _measure(package: Path, spec: dict, jobs: int) -> dict:
    out = subprocess.run([sys.executable, "-c", RUNNER, str(package), json.dumps({**spec, "jobs": jobs})],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return {"refused": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cell(result: dict | None) -> str:
    if result is None:
        return f"{'-':>22}"
    if "refused" in result:
        return f"{'refused':>22}"
    rate = result["regions"] / result["seconds"] if result["seconds"] else float("inf")
    return f"{result['seconds']:>7.2f} s {rate:>7.0f}/s {result['rss_mib']:>3.0f}M"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"the previous engine's git revision ({BASELINE})")
    parser.add_argument("--no-baseline", action="store_true", help="time this engine only")
    parser.add_argument("--only", nargs="+", choices=["mlp", "cnn", "mnist", "acas"])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="polyregions-slices-"))
    try:
        for sub in ("mlp", "cnn", "mnist"):
            (tmp / sub).mkdir()
        base = None if args.no_baseline else export_baseline(args.baseline, tmp)
        cases = {"mlp": ("MLP 784-256-256-10, slice", _mlp), "cnn": ("examples/cnn.onnx, slice", _cnn),
                 "mnist": ("MNIST-shaped CNN, slice", _mnist), "acas": ("ACAS Xu 1_1, prop_3 box", None)}
        print("count (activation and linear regions) in a fresh process: seconds of the count (the model's "
              "loading apart), regions per second, peak memory")
        header = (f"{'case':28} {'regions':>8} {'load':>6} {'this, 1 process':>22} {'this, 2 processes':>22} "
                  f"{'previous, 1':>22} {'previous, 2':>22} {'speed-up 1':>10} {'speed-up 2':>10}")
        print(header)
        print("-" * len(header))
        for key, (title, make) in cases.items():
            if args.only and key not in args.only:
                continue
            spec = _acas() if key == "acas" else make(tmp)
            if spec is None:
                continue
            runs = [_measure(ROOT, spec, 1), _measure(ROOT, spec, 2)]
            runs += [_measure(base, spec, 1), _measure(base, spec, 2)] if base is not None else [None, None]
            done = [r for r in runs if r is not None and "refused" not in r]
            if any((r["regions"], r["linear"]) != (done[0]["regions"], done[0]["linear"]) for r in done):
                raise SystemExit(f"MISMATCH on {title}: {runs}")
            first = runs[0]
            if "refused" in first:
                print(f"{title:28} refused: {first['refused'][:150]}")
                continue
            ups = [f"{old['seconds'] / new['seconds']:>9.1f}x" if old and "refused" not in old else f"{'-':>10}"
                   for new, old in zip(runs[:2], runs[2:])]
            print(f"{title:28} {first['regions']:>8} {first['load']:>5.1f}s "
                  + " ".join(_cell(r) for r in runs) + " " + " ".join(ups), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
