"""The counting theory: bounds of an architecture, the papers' constructions.

Each command has ``add_<command>(parser)``, which declares its arguments, and
``run_<command>(args)``, which runs it and returns the exit code; :data:`COMMANDS` lists
them for the command table of :mod:`polyregions.cli`.
"""

from __future__ import annotations

import argparse
import json

from ..core.network import Network
from ..errors import InputError
from ..theory import constructions
from ..theory.bounds import bounds_table, network_bounds, verdict
from .common import Parser, architecture, int_arg


def count_bounds(network: Network, count: int) -> dict[str, dict]:
    """The bounds of the network's architecture, each with its verdict beside the exact *count*."""
    try:
        table = network_bounds(network)
    except InputError as exc:
        raise InputError(f"--bounds: {exc}") from None
    for entry in table.values():
        entry["verdict"] = verdict(entry, count)
    return table


def widths_arg(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"--widths: expected comma-separated integers, got {text!r}") from None


def print_bounds(table: dict, count: int | None = None) -> None:
    """The bounds, one block each; with *count*, the exact count and a verdict beside each."""
    if count is not None:
        print(f"{'bound':34} {'kind':26} {'value':>12}  {'count':>12}  verdict")
    lower_below = violated = False
    for key, entry in table.items():
        if not entry["applies"]:
            print(f"{key:34} {entry['kind']:26} {'does not apply':>12}")
        elif count is None:
            print(f"{key:34} {entry['kind']:26} {entry['value']:>12}")
        else:
            said = verdict(entry, count)
            lower_below |= said == "count < bound"
            violated |= bool(said and said.startswith("VIOLATED"))
            shown = "" if said == "comparison" else count
            print(f"{key:34} {entry['kind']:26} {entry['value']:>12}  {shown:>12}  {said}")
        print(f"{'':34} {entry['formula']}")
        print(f"{'':34} {entry['source']}")
        if entry.get("note"):
            print(f"{'':34} {'note' if entry['applies'] else 'why not'}: {entry['note']}")
    if count is not None:
        print("count: exact activation regions of this network on its domain (an upper bound on "
              "all of R^n0 bounds them on any domain)")
    if lower_below:
        print("count < bound is no contradiction for a lower bound: it says that the best network "
              "of this architecture (the paper's construction) reaches the bound, not every network")
    if violated:
        print("VIOLATED: an upper bound that applies is below the exact count; please report this "
              "network (a bound, its hypotheses or the count is wrong)")


def add_bounds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n0", required=True, type=int_arg, help="input dimension")
    parser.add_argument("--widths", required=True, metavar="N1,N2,...",
                        help="units per hidden layer (maxout: units after taking the maximum)")
    parser.add_argument("--rank", type=int_arg, help="maxout rank k")
    parser.add_argument("--activation", choices=["relu", "leaky_relu", "abs", "hardtanh", "maxout"],
                        help="activation of every layer (default relu, or maxout with --rank); "
                             "a bound applies only where its hypotheses hold for it")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_bounds(args: argparse.Namespace) -> int:
    table = bounds_table(args.n0, widths_arg(args.widths), args.rank, args.activation)
    if args.json:
        print(json.dumps(table))
    else:
        print_bounds(table)
    return 0


def add_construct(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="construction", metavar="KIND", parser_class=Parser)
    rect = kinds.add_parser("rectifier", help="Montufar et al. 2014 zig-zag rectifier network")
    rect.add_argument("--n0", required=True, type=int_arg)
    rect.add_argument("--widths", required=True, metavar="N1,...,NL")
    maxout = kinds.add_parser("maxout", help="maxout network attaining k^(L-1) k^n0 on the unit cube")
    maxout.add_argument("--n0", required=True, type=int_arg)
    maxout.add_argument("--rank", required=True, type=int_arg)
    maxout.add_argument("--depth", required=True, type=int_arg)
    arrangement = kinds.add_parser("arrangement", help="one ReLU layer realising an arrangement")
    arrangement.add_argument("name", choices=["braid", "shi", "catalan", "generic"])
    arrangement.add_argument("--dim", required=True, type=int_arg)
    arrangement.add_argument("--count", type=int_arg, help="hyperplanes (generic only)")
    for p in (rect, maxout, arrangement):
        p.add_argument("-o", "--output", required=True, metavar="FILE.json",
                       help="model file to write (atomically)")


def run_construct(args: argparse.Namespace) -> int:
    if args.construction is None:
        raise InputError("construct: missing kind: rectifier, maxout or arrangement")
    if args.construction == "rectifier":
        network = constructions.rectifier_zigzag(args.n0, widths_arg(args.widths))
    elif args.construction == "maxout":
        network = constructions.maxout_construction(args.n0, args.rank, args.depth)
    else:
        if args.name == "generic" and args.count is None:
            raise InputError("construct arrangement generic: needs --count M, the number of hyperplanes")
        if args.name != "generic" and args.count is not None:
            raise InputError(f"construct arrangement {args.name}: --count is for generic "
                             "arrangements only (this one has a fixed set of hyperplanes)")
        network = constructions.arrangement_network(args.name, args.dim, args.count)
    network.save(args.output)
    print(f"wrote {args.construction} network ({architecture(network)}) to {args.output}")
    return 0


#: command -> (declare its arguments, run it), for the command table of polyregions.cli.
COMMANDS = {
    "bounds": (add_bounds, run_bounds),
    "construct": (add_construct, run_construct),
}
