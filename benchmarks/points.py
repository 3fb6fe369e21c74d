"""Benchmark of the regions' interior points: the central point against the old one.

For each network and domain, over every activation region: how far inside its region
the shown point is (the Euclidean distance to the nearest facet over the Chebyshev
radius, the radius of the largest ball inside the region: median, minimum and how
many below 1e-3, over the regions of finite radius), how often a float64 forward pass
at ``float(point)`` sees the region's own activation pattern, and the median digits of
the point (the characters of its exact coordinates). The central point
(``Cell.central_point``, what ``regions -o``, graph nodes, the explorer and
``regions_table`` show) is measured against the old one (``Cell.interior_point``, the
homogeneous sum of the generators moved to the simplest rationals within the full
safe radius).

Costs in CPU seconds of this process (best of --repeat runs, the engines alternating):
``count`` enumerates the activation regions; ``regions -o`` is that plus one JSON line
per region (``region_to_json``), the work of ``polyregions regions -o`` without the
file, with each point; "points" computes the points alone. The Chebyshev radius takes
one exact LP per region (tests/support/interior.py): at most --sample regions, evenly
spaced, are measured for it.

    python benchmarks/points.py [--only NAME ...] [--repeat N] [--sample N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polyregions.core.domain import Domain  # noqa: E402
from polyregions.core.network import Network, load_network  # noqa: E402
from polyregions.queries.export import region_to_json  # noqa: E402
from polyregions.search.engine import enumerate_regions  # noqa: E402
from tests.support.interior import (chebyshev_radius, facet_distance, float_pattern, float_weight_network,
                                    same_pattern)  # noqa: E402

POINTS = {"old": lambda region: region.cell.interior_point(), "central": lambda region: region.cell.central_point()}


def _cases() -> list[tuple[str, Network, Domain | None]]:
    out: list[tuple[str, Network, Domain | None]] = [
        ("random 2-16-16-1 on R^2", float_weight_network(1, [2, 16, 16, 1]), None),
        ("random 3-10-10-1 on [-1, 1]^3", float_weight_network(2, [3, 10, 10, 1]), Domain.box(3, -1, 1)),
    ]
    shared = Path(os.environ.get("POLYREGIONS_SHARED", ROOT.parent / "shared"))
    folder = shared / "external" / "relucent"
    if not folder.is_dir():
        print(f"(relucent fixtures not found in {folder}; random networks only)")
        return out
    for name, box in (("parity_6013", False), ("parity_6013", True), ("parity_4630", True),
                      ("meta_graph_large", True)):
        net = load_network(folder / f"{name}.json")
        label = f"{name} on [-1, 1]^{net.input_dim}" if box else f"{name} on R^{net.input_dim}"
        out.append((label, net, Domain.box(net.input_dim, -1, 1) if box else None))
    return out


def _cpu(fn):
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


def _export(net: Network, domain: Domain | None, point) -> int:
    """The work of regions -o with the given point: enumerate, one JSON line per region."""
    lines = []
    for region in enumerate_regions(net, domain):
        object.__setattr__(region, "_point", point(region))   # the point region_to_json shows
        lines.append(json.dumps(region_to_json(region), separators=(",", ":")))
    return len(lines)


def _quality(net: Network, regions, points, sample: list[int], radii) -> dict:
    ratios = []
    for k, radius in zip(sample, radii):
        if radius is not None:
            ratios.append(facet_distance(regions[k].inequalities, points[k]) / float(radius))
    agree = sum(same_pattern(r.pattern, float_pattern(net, p)) for r, p in zip(regions, points))
    digits = statistics.median(sum(len(str(v)) for v in p) for p in points)
    return {"median": statistics.median(ratios), "min": min(ratios), "below": sum(r < 1e-3 for r in ratios),
            "measured": len(ratios), "agree": agree, "digits": digits}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only the cases whose name starts with one of these")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs of each (default 3, the fastest counts)")
    parser.add_argument("--sample", type=int, default=1500,
                        help="at most this many regions get a Chebyshev radius (default 1500)")
    args = parser.parse_args()
    header = (f"{'network, domain':32} {'regions':>8} {'point':>8} {'median':>7} {'min':>8} {'<1e-3':>6} "
              f"{'float64 agree':>14} {'digits':>6} {'points s':>9} {'count s':>8} {'regions -o s':>13} "
              f"{'new/old':>8}")
    print(header)
    print("-" * len(header))
    for label, net, domain in _cases():
        if args.only and not any(label.startswith(name) for name in args.only):
            continue
        regions = list(enumerate_regions(net, domain))
        step = max(1, -(-len(regions) // args.sample))
        sample = list(range(0, len(regions), step))
        radii = [chebyshev_radius(regions[k].inequalities) for k in sample]
        times: dict[str, list[float]] = {name: [] for name in ("count", *POINTS, *(f"-o {p}" for p in POINTS))}
        for _ in range(args.repeat):
            times["count"].append(_cpu(lambda: sum(1 for _ in enumerate_regions(net, domain)))[1])
            for name, point in POINTS.items():
                times[name].append(_cpu(lambda: [point(region) for region in regions])[1])
                times[f"-o {name}"].append(_cpu(lambda: _export(net, domain, point))[1])
        best = {name: min(values) for name, values in times.items()}
        for name, point in POINTS.items():
            q = _quality(net, regions, [point(region) for region in regions], sample, radii)
            ratio = best["-o central"] / best["-o old"]
            share = f"{q['agree']}/{len(regions)}"
            print(f"{label if name == 'old' else '':32} {len(regions) if name == 'old' else '':>8} {name:>8} "
                  f"{q['median']:>7.3g} {q['min']:>8.2g} {q['below']:>6} {share:>14} {q['digits']:>6} "
                  f"{best[name]:>9.3f} {best['count']:>8.3f} {best['-o ' + name]:>13.3f} "
                  f"{(f'{ratio:.2f}x' if name == 'central' else ''):>8}", flush=True)
    print("median, min, <1e-3: distance to the nearest facet over the Chebyshev radius (regions of finite radius);")
    print("digits: median characters of a point's exact coordinates; CPU seconds, fastest of --repeat runs;")
    print("new/old: regions -o with the central point against the old one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
