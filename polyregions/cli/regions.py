"""Region listings: count and regions (graph has a module of its own: it needs networkx).

Each command has ``add_<command>(parser)``, which declares its arguments, and
``run_<command>(args)``, which runs it and returns the exit code; :data:`COMMANDS` lists
them for the command table of :mod:`polyregions.cli`.
"""

from __future__ import annotations

import argparse
import time

from ..queries.count import count_regions
from ..queries.export import write_regions_jsonl
from ..rationals import counted
from .common import (domain_options, executor_options, model_argument, print_header, print_json, print_note,
                     problem, run_options)


def add_count(parser: argparse.ArgumentParser) -> None:
    model_argument(parser)
    domain_options(parser)
    parser.add_argument("--no-linear", action="store_true", help="skip the linear-region count")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--bounds", action="store_true",
                       help="print the counting-theory bounds for the network's architecture beside the count")
    run_options(parser)


def run_count(args: argparse.Namespace) -> int:
    network, domain = problem(args)
    start = time.perf_counter()
    counts = count_regions(network, domain, linear=not args.no_linear, **executor_options(args, quiet=args.json))
    seconds = time.perf_counter() - start
    table = None
    if args.bounds:
        # sympy takes most of a second to import: only --bounds loads the theory
        from .theory import count_bounds, print_bounds

        table = count_bounds(network, counts.activation_regions)
    if args.json:
        extra = {} if table is None else {"bounds": table}
        print_json(args, counts.to_json(), seconds, model=args.model, **extra)
        return 0
    print_header(args, network, domain, 20)
    print(f"activation regions: {counts.activation_regions}  (full-dimensional sets with one activation pattern)")
    if counts.linear_regions is not None:
        print(f"linear regions:     {counts.linear_regions}  (maximal connected pieces with one affine output map)")
    print(f"bounded regions:    {counts.bounded_regions}  (activation regions that are bounded)")
    print(f"time:               {seconds:.3f} s")
    if table is not None:
        print()
        print_bounds(table, counts.activation_regions)
    return 0


def add_regions(parser: argparse.ArgumentParser) -> None:
    model_argument(parser)
    domain_options(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE.jsonl",
                         help="output file, one region per line (written atomically)")
    run_options(parser)


def run_regions(args: argparse.Namespace) -> int:
    network, domain = problem(args)
    start = time.perf_counter()
    count = write_regions_jsonl(network, domain, args.output, **executor_options(args))
    seconds = time.perf_counter() - start
    print(f"wrote {counted(count, 'activation region')} to {args.output} in {seconds:.3f} s")
    print_note(args)
    return 0


#: command -> (declare its arguments, run it), for the command table of polyregions.cli.
COMMANDS = {
    "count": (add_count, run_count),
    "regions": (add_regions, run_regions),
}
