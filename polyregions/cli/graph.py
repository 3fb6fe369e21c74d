"""The region adjacency graph: graph (networkx is loaded for this command only)."""

from __future__ import annotations

import argparse
import time

from ..errors import InputError
from ..io.graphs import FORMATS, write_graph
from ..queries.graph import linear_region_graph, region_graph
from ..rationals import counted
from .common import context, domain_options, executor_options, model_argument, print_note, problem, run_options


def add_graph(parser: argparse.ArgumentParser) -> None:
    model_argument(parser)
    domain_options(parser)
    parser.add_argument("--merge", action="store_true",
                       help="write the quotient graph of linear regions instead")
    parser.add_argument("--maps", action="store_true", help="add each region's output map")
    parser.add_argument("--inequalities", action="store_true", help="add each region's inequalities")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                       help=f"output file; the extension picks the format ({', '.join(FORMATS)})")
    run_options(parser)


def run_graph(args: argparse.Namespace) -> int:
    suffix = args.output[args.output.rfind("."):].lower() if "." in args.output else ""
    if suffix not in FORMATS:
        raise InputError(f"{args.output}: unknown graph format {suffix or '(none)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    if args.merge and args.inequalities:
        raise InputError("--inequalities: a linear region (--merge) is a union of activation regions, not one "
                         "polyhedron; use --inequalities without --merge")
    network, domain = problem(args)
    start = time.perf_counter()
    graph = region_graph(network, domain, maps=args.maps or args.merge, inequalities=args.inequalities,
                         **executor_options(args))
    if args.merge:
        graph = linear_region_graph(graph)
    for label, text in context(args):
        graph.graph[label] = text
    write_graph(graph, args.output)
    seconds = time.perf_counter() - start
    what = "linear region" if args.merge else "activation region"
    print(f"wrote {counted(graph.number_of_nodes(), what)} and "
          f"{counted(graph.number_of_edges(), 'adjacency')} "
          f"to {args.output} in {seconds:.3f} s")
    print_note(args)
    return 0


#: command -> (declare its arguments, run it), for the command table of polyregions.cli.
COMMANDS = {
    "graph": (add_graph, run_graph),
}
