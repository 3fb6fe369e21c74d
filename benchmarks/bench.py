"""Benchmarks: the engine against the slow exact reference, side by side in one run.

For each relucent fixture (read from ../shared/external/relucent when present) and a
few seeded random networks, prints the activation regions, the engine's seconds and
regions per second, the seconds of a full count (linear regions too), the seconds
of building the region adjacency graph with its ratio to the full count and to the
activation-only count ("graph/count": full/activation-only), and the slow
reference's seconds on the same network in the same run, with the ratio. The
reference is skipped above --reference-max regions (it needs many minutes there).

    python benchmarks/bench.py [--reference-max N] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polyregions.queries.count import count_regions  # noqa: E402
from polyregions.search.engine import enumerate_regions  # noqa: E402
from polyregions.queries.graph import region_graph  # noqa: E402
from polyregions.certificates.regions import certify  # noqa: E402
from polyregions.checker.check import check_certificate  # noqa: E402
from polyregions.core.network import Network, load_network  # noqa: E402
from tests.support.reference import reference_count  # noqa: E402

FIXTURES = ["phantom_ckpt0", "parity_ckpt10", "dual_recovery_4392", "shi_bound_5303", "parity_6013",
            "parity_4630", "parity_5065", "parity_5490", "meta_graph_large"]


def _random(seed: int, widths: list[int], activation: str = "relu", **options) -> Network:
    rng = random.Random(seed)
    rank = options.get("rank", 1)
    fan_in = [widths[0]] + [w // rank for w in widths[1:-1]]
    weights = [[[Fraction(rng.randint(-9, 9), rng.choice([1, 2, 3, 4])) for _ in range(fan_in[i])]
                for _ in range(widths[i + 1])] for i in range(len(widths) - 1)]
    biases = [[Fraction(rng.randint(-9, 9), rng.choice([1, 2, 4])) for _ in range(widths[i + 1])]
              for i in range(len(widths) - 1)]
    return Network.mlp(weights, biases, activation=activation, **options)


def _networks() -> list[tuple[str, Network]]:
    out = []
    shared = Path(os.environ.get("POLYREGIONS_SHARED", ROOT.parent / "shared"))
    folder = shared / "external" / "relucent"
    if folder.is_dir():
        out += [(name, load_network(folder / f"{name}.json")) for name in FIXTURES]
    else:
        print(f"(relucent fixtures not found in {folder}; random networks only)")
    out += [
        ("random 2-12-12-1 relu", _random(1, [2, 12, 12, 1])),
        ("random 3-8-8-1 relu", _random(2, [3, 8, 8, 1])),
        ("random 4-8-6-1 leaky", _random(3, [4, 8, 6, 1], "leaky_relu", slope=Fraction(1, 5))),
        ("random 3-8-8-1 maxout2", _random(4, [3, 8, 8, 1], "maxout", rank=2)),
    ]
    return out


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-max", type=int, default=7000,
                        help="run the slow reference only up to this many regions (default 7000)")
    parser.add_argument("--only", nargs="*", help="run only the named networks")
    parser.add_argument("--no-graph", action="store_true", help="skip the region graph timing")
    parser.add_argument("--no-certify", action="store_true", help="skip the certificate timing")
    args = parser.parse_args()
    rows = []
    header = (f"{'network':28} {'regions':>8} {'engine s':>9} {'regions/s':>10} {'+linear s':>10} "
              f"{'linear':>7} {'graph s':>8} {'graph/count':>12} {'reference s':>12} {'speed-up':>9}")
    print(header)
    print("-" * len(header))
    for name, net in _networks():
        if args.only and name not in args.only:
            continue
        count, seconds = _timed(lambda: sum(1 for _ in enumerate_regions(net)))
        counts, full_seconds = _timed(lambda: count_regions(net))
        assert counts.activation_regions == count
        graph_text = ratio_graph = "-"
        if not args.no_graph:
            graph, graph_seconds = _timed(lambda: region_graph(net))
            assert graph.number_of_nodes() == count and graph.graph["linear_regions"] == counts.linear_regions
            graph_text = f"{graph_seconds:.2f}"
            ratio_graph = f"{graph_seconds / full_seconds:.1f}/{graph_seconds / seconds:.1f}"
        ref_text = ratio_text = "-"
        if count <= args.reference_max:
            ref, ref_seconds = _timed(lambda: reference_count(net))
            if ref != count:
                print(f"MISMATCH on {name}: engine {count}, reference {ref}")
                return 1
            ref_text = f"{ref_seconds:.2f}"
            ratio_text = f"{ref_seconds / seconds:.1f}x"
        print(f"{name:28} {count:>8} {seconds:>9.2f} {count / seconds:>10.0f} {full_seconds:>10.2f} "
              f"{counts.linear_regions:>7} {graph_text:>8} {ratio_graph:>12} {ref_text:>12} {ratio_text:>9}",
              flush=True)
        if not args.no_certify:
            cert, certify_seconds = _timed(lambda: certify(net))
            model = json.loads(json.dumps(net.to_json()))
            checked, check_seconds = _timed(lambda: check_certificate(cert, model))
            assert checked["activation_regions"] == count
            rows.append((name, count, seconds, full_seconds, certify_seconds, check_seconds))
    if rows:
        print()
        header = (f"{'certificates':28} {'regions':>8} {'count s':>8} {'+linear s':>10} {'certify s':>10} "
                  f"{'certify/count':>14} {'check s':>8} {'check/count':>12}")
        print(header)
        print("-" * len(header))
        for name, count, seconds, full_seconds, certify_seconds, check_seconds in rows:
            print(f"{name:28} {count:>8} {seconds:>8.2f} {full_seconds:>10.2f} {certify_seconds:>10.2f} "
                  f"{certify_seconds / full_seconds:>6.1f}/{certify_seconds / seconds:<7.1f} "
                  f"{check_seconds:>8.2f} {check_seconds / seconds:>12.2f}")
        print("certify/count: against the full count (activation and linear) / against the activation-only count")
    return 0


if __name__ == "__main__":
    sys.exit(main())
