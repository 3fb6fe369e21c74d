"""Benchmarks of the exact queries: `max` with pruning against without, and against a full count.

For each relucent fixture (read from ../shared/external/relucent; skipped with a note
when absent) on the box [-1, 1]^n0 (and meta_graph_large also on [-10, 10]^4), prints
the activation regions (a full count), the regions that `max` visits with pruning and
without it, the CPU seconds of each, the seconds of a full count in the same run
(`polyregions count`: activation and linear regions) and the ratio count / max; then
the same for the certificate of `max` (certify and check). Times are CPU seconds of
this process (time.process_time), so other work on the machine disturbs them less;
they remain noisy on a shared machine.

Then `lipschitz` (l-infinity) against a full count on meta_graph_large (on the box and
on all of R^4), and the two ways of `equiv` on random ReLU pairs: the refinement (the
regions of A, each searched by B's units) against the difference network, on unrelated
pairs and on a network against a copy with permuted and rescaled units (equivalent).

    python benchmarks/queries.py [--only NAME ...] [--no-certificates] [--no-lipschitz] [--no-equiv]
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

from polyregions.checker.check import check_certificate  # noqa: E402
from polyregions.queries.count import count_regions  # noqa: E402
from polyregions.core.domain import Domain  # noqa: E402
from polyregions.core.network import load_network  # noqa: E402
from polyregions.queries.optimize import maximize  # noqa: E402
from polyregions.search.engine import Search  # noqa: E402
from polyregions.queries.equivalence import difference_network  # noqa: E402
from polyregions.queries.lipschitz import lipschitz_constant  # noqa: E402
from polyregions.core.network import Network  # noqa: E402

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
    parser.add_argument("--no-lipschitz", action="store_true", help="skip the Lipschitz timing")
    parser.add_argument("--no-equiv", action="store_true", help="skip the equivalence timing")
    args = parser.parse_args()
    if not args.no_equiv:
        _equiv()
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
    if not args.no_lipschitz and (not args.only or "meta_graph_large" in args.only):
        _lipschitz(load_network(folder / "meta_graph_large.json"))
    return 0


def _lipschitz(net: Network) -> None:
    print()
    header = f"{'lipschitz (inf), meta_graph_large':34} {'regions':>8} {'visited':>8} {'lipschitz s':>12} " \
             f"{'count s':>8} {'count/lip':>10}"
    print(header)
    print("-" * len(header))
    for label, domain in (("box [-1, 1]^4", Domain.box(4, -1, 1)), ("box [-10, 10]^4", Domain.box(4, -10, 10)),
                          ("all of R^4", Domain.whole(4))):
        result, lip_s = _cpu(lambda: lipschitz_constant(net, domain, norm="inf"))
        counts, count_s = _cpu(lambda: count_regions(net, domain, jobs=1))
        print(f"{label:34} {counts.activation_regions:>8} {result.regions_visited:>8} {lip_s:>12.3f} "
              f"{count_s:>8.3f} {count_s / lip_s:>9.1f}x", flush=True)


def _random_mlp(seed: int, widths: list[int]) -> tuple[list, list]:
    import random
    from fractions import Fraction

    rng = random.Random(seed)
    weights = [[[Fraction(rng.randint(-9, 9), rng.choice([1, 2, 4])) for _ in range(widths[i])]
                for _ in range(widths[i + 1])] for i in range(len(widths) - 1)]
    biases = [[Fraction(rng.randint(-9, 9), rng.choice([1, 2])) for _ in range(widths[i + 1])]
              for i in range(len(widths) - 1)]
    return weights, biases


def _reparametrised(weights: list, biases: list, seed: int) -> tuple[list, list]:
    """The same function: hidden units permuted and scaled by positive factors."""
    import random
    from fractions import Fraction

    rng = random.Random(seed)
    weights = [[list(r) for r in w] for w in weights]
    biases = [list(b) for b in biases]
    for layer in range(len(weights) - 1):
        units = len(weights[layer])
        order = list(range(units))
        rng.shuffle(order)
        scale = [Fraction(rng.randint(1, 4)) for _ in range(units)]
        weights[layer] = [[v * scale[i] for v in weights[layer][order[i]]] for i in range(units)]
        biases[layer] = [biases[layer][order[i]] * scale[i] for i in range(units)]
        weights[layer + 1] = [[row[order[i]] / scale[i] for i in range(units)] for row in weights[layer + 1]]
    return weights, biases


def _equiv() -> None:
    """The pieces of the common refinement, enumerated both ways (all of them: the timing of a
    proof of equivalence)."""
    def refine(a: Network, b: Network, domain: Domain) -> int:
        outer, inner, pieces = Search(a, domain), Search(b, domain), 0
        for region in outer.regions():
            inner.cell = region.cell
            pieces += sum(1 for _ in inner.regions())
        return pieces

    def difference(a: Network, b: Network, domain: Domain) -> int:
        return sum(1 for _ in Search(difference_network(a, b), domain).regions())

    header = f"{'equiv: common refinement':34} {'pieces':>8} {'refine s':>9} {'difference s':>13} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for widths in ([2, 12, 12, 12, 1], [3, 8, 8, 1], [4, 8, 8, 1]):
        weights, biases = _random_mlp(1, widths)
        a = Network.mlp(weights, biases)
        for label, b in (("unrelated", Network.mlp(*_random_mlp(5, widths))),
                         ("reparametrised", Network.mlp(*_reparametrised(weights, biases, 2)))):
            domain = Domain.whole(widths[0])
            pieces, refine_s = _cpu(lambda: refine(a, b, domain))
            same, diff_s = _cpu(lambda: difference(a, b, domain))
            assert same == pieces
            name = f"{'-'.join(map(str, widths))} {label} on R^{widths[0]}"
            print(f"{name:34} {pieces:>8} {refine_s:>9.3f} {diff_s:>13.3f} {refine_s / diff_s:>6.2f}x", flush=True)
    print()


if __name__ == "__main__":
    sys.exit(main())
