"""Benchmarks of the exact queries: `max` with pruning against without, and against a full count.

For each relucent fixture (read from ../shared/external/relucent; skipped with a note
when absent) on the box [-1, 1]^n0 (and meta_graph_large also on [-10, 10]^4), prints
the activation regions (a full count), the regions that `max` visits with pruning and
without it, the CPU seconds of each, the seconds of a full count in the same run
(`polyregions count`: activation and linear regions) and the ratio count / max; then
the same for the certificate of `max` (certify and check). Times are CPU seconds of
this process (time.process_time), so other work on the machine disturbs them less;
they remain noisy on a shared machine.

    python benchmarks/queries.py [--only NAME ...] [--no-certificates]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polyregions.checker import check_certificate  # noqa: E402
from polyregions.counting import count_regions  # noqa: E402
from polyregions.domain import Domain  # noqa: E402
from polyregions.network import load_network  # noqa: E402
from polyregions.optimize import maximize  # noqa: E402

FIXTURES = ["phantom_ckpt0", "parity_ckpt10", "dual_recovery_4392", "shi_bound_5303", "parity_6013",
            "parity_4630", "parity_5065", "parity_5490", "meta_graph_large"]
#: (fixture, low, high) of the boxes; meta_graph_large with the box of the 5x target first.
BOXES = [(name, -1, 1) for name in FIXTURES] + [("meta_graph_large", -10, 10)]


def _cpu(fn):
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only the named fixtures")
    parser.add_argument("--no-certificates", action="store_true", help="skip certify and check")
    args = parser.parse_args()
    shared = Path(os.environ.get("POLYREGIONS_SHARED", ROOT.parent / "shared"))
    folder = shared / "external" / "relucent"
    if not folder.is_dir():
        print(f"(relucent fixtures not found in {folder}: nothing to measure)")
        return 0
    header = (f"{'max on a box':34} {'regions':>8} {'visited':>8} {'pruned s':>9} {'unpruned s':>11} "
              f"{'count s':>8} {'count/max':>10}")
    print(header)
    print("-" * len(header))
    certs = []
    for name, low, high in BOXES:
        if args.only and name not in args.only:
            continue
        net = load_network(folder / f"{name}.json")
        domain = Domain.box(net.input_dim, low, high)
        pruned, pruned_s = _cpu(lambda: maximize(net, domain))
        full, full_s = _cpu(lambda: maximize(net, domain, prune=False))
        counts, count_s = _cpu(lambda: count_regions(net, domain, jobs=1))
        if pruned.value != full.value or full.regions_visited != counts.activation_regions:
            print(f"MISMATCH on {name}: {pruned.value} / {full.value}, {full.regions_visited} regions "
                  f"/ {counts.activation_regions}")
            return 1
        label = f"{name} [{low}, {high}]^{net.input_dim}"
        print(f"{label:34} {counts.activation_regions:>8} {pruned.regions_visited:>8} {pruned_s:>9.3f} "
              f"{full_s:>11.3f} {count_s:>8.3f} {count_s / pruned_s:>9.1f}x", flush=True)
        if not args.no_certificates:
            result, cert_s = _cpu(lambda: maximize(net, domain, certificate=True))
            model = json.loads(json.dumps(net.to_json()))
            proved, check_s = _cpu(lambda: check_certificate(result.certificate, model))
            assert proved["maximum"] == str(result.value)
            certs.append((label, pruned_s, cert_s, check_s, len(result.certificate["bounded"])))
    print("visited: regions reached by max with pruning (without pruning it visits them all);")
    print("count: polyregions count (activation and linear regions) in this process; CPU seconds")
    if certs:
        print()
        header = f"{'max certificates':34} {'max s':>8} {'certify s':>10} {'check s':>8} {'subtrees':>9}"
        print(header)
        print("-" * len(header))
        for label, pruned_s, cert_s, check_s, subtrees in certs:
            print(f"{label:34} {pruned_s:>8.3f} {cert_s:>10.3f} {check_s:>8.3f} {subtrees:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
