"""Command line: ``polyregions count``, ``regions``, ``graph`` and ``plot``.

Bad input of any kind prints one line ``polyregions: error: ...`` and exits 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from typing import Any, Sequence

from .atomic import Terminated, check_file_name, is_same_file
from .counting import count_regions
from .domain import Domain, load_domain
from .errors import InputError, PolyregionsError
from .export import write_regions_jsonl
from .graph_io import FORMATS, write_graph
from .io.models import load_model, model_kind, model_kind_of_name, rationalize_note, save_model
from .network import Affine, Network, layer_type, parse_json_exact, read_text
from .numbers import counted
from .slicing import parse_point, slice_network

__all__ = ["main"]

#: Progress lines shown by this run, cleared before an error or interruption is printed.
_PROGRESS: list[Any] = []

#: Values such as -1, -1/2, -0.25, -1e-3 and -1,0 are numbers, not options.
_NEGATIVE = re.compile(r"^-[\d.]")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that reports errors on one line and exits 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(message)


def model_argument(p: argparse.ArgumentParser, name: str = "model") -> None:
    """The MODEL positional argument and the options that say how to read it."""
    p.add_argument(name, metavar="MODEL",
                   help="the network: polyregions-network/1 JSON, ONNX (.onnx) or PyTorch (.pt/.pth)")
    p.add_argument("--input-dim", type=_int_arg, metavar="N",
                   help="the input size, for models that do not record it (checked where they do)")
    p.add_argument("--arch", metavar="SPEC",
                   help="the layers of a PyTorch state dict: mlp:ACT, mlp:ACT:FINAL or a list such as "
                        "linear,relu,linear (README: Bring your own model)")
    p.add_argument("--rationalize", type=_int_arg, metavar="D",
                   help="snap every number to the nearest rational with denominator <= D (a different "
                        "network; every output says so)")


def _build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="polyregions",
                     description="Exact linear regions of piecewise-linear neural networks.")
    parser.add_argument("--version", action="version", version=f"polyregions {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def domain_options(p: argparse.ArgumentParser) -> None:
        group = p.add_mutually_exclusive_group()
        group.add_argument("--domain", metavar="FILE",
                           help='a JSON file {"A": [[...]], "b": [...]} for {x : A x <= b}')
        group.add_argument("--slice", nargs=3, metavar=("P0", "P1", "P2"),
                           help="the plane x = P0 + s (P1 - P0) + t (P2 - P0) through three "
                                "comma-separated input points; (s, t) ranges over --box "
                                "(default [0, 1]^2)")
        p.add_argument("--box", nargs=2, metavar=("LO", "HI"),
                       help="the box LO <= x_i <= HI; rationals such as -1/2, 0.25, 3, "
                            "or comma-separated, one per coordinate")

    def run_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--jobs", type=_int_arg, metavar="N",
                       help="worker processes (default: all cores; a run that ends within a "
                            "quarter of a second never starts one); with --scheduler local, "
                            "the workers of the local cluster")
        p.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the search on a Dask cluster: the scheduler's address "
                            "(tcp://host:8786), or 'local' to start a LocalCluster")
        p.add_argument("--checkpoint", metavar="FILE",
                       help="record finished parts of the search in FILE as the run goes; "
                            "the same command with the same FILE resumes a killed run")
        p.add_argument("--task-seconds", type=_seconds_arg, metavar="S",
                       help="how long a piece of the search runs before it reports back and is "
                            "written to the checkpoint (default 1 here, 2 on workers)")
        p.add_argument("--quiet", action="store_true", help="no progress line on stderr")

    count = sub.add_parser("count", help="count activation, linear and bounded regions")
    model_argument(count)
    domain_options(count)
    count.add_argument("--no-linear", action="store_true", help="skip the linear-region count")
    count.add_argument("--json", action="store_true", help="print one JSON object")
    count.add_argument("--bounds", action="store_true",
                       help="print the counting-theory bounds for the network's architecture beside the count")
    run_options(count)

    regions = sub.add_parser("regions", help="write every activation region to a JSON-lines file")
    model_argument(regions)
    domain_options(regions)
    regions.add_argument("-o", "--output", required=True, metavar="FILE.jsonl",
                         help="output file, one region per line (written atomically)")
    run_options(regions)
    graph = sub.add_parser("graph", help="write the region adjacency graph (GraphML, GEXF or JSON)")
    model_argument(graph)
    domain_options(graph)
    graph.add_argument("--merge", action="store_true",
                       help="write the quotient graph of linear regions instead")
    graph.add_argument("--maps", action="store_true", help="add each region's output map")
    graph.add_argument("--inequalities", action="store_true", help="add each region's inequalities")
    graph.add_argument("-o", "--output", required=True, metavar="OUT",
                       help=f"output file; the extension picks the format ({', '.join(FORMATS)})")
    run_options(graph)
    plot = sub.add_parser("plot", help="draw the regions of a 2-input view (or a 1-input function)",
                          description="Draw the exact activation regions of a 2-input network, "
                                      "or of a 2-D --slice of a bigger one, filled by linear region "
                                      "with boundaries styled per layer; a 1-input network is drawn "
                                      "as the graph of its function with every breakpoint marked. "
                                      "Without --box, --domain or --slice the domain is [-1, 1]^n.")
    model_argument(plot)
    domain_options(plot)
    plot.add_argument("-o", "--output", required=True, metavar="FILE.png|FILE.svg|FILE.pdf|FILE.html",
                      help="output image; the extension picks the format (written atomically); .html "
                           "writes the interactive region explorer, one self-contained file")
    plot.add_argument("--graph", action="store_true",
                      help="overlay the region adjacency graph (nodes at interior points)")
    plot.add_argument("--heatmap", action="store_true",
                      help="colour by the network's first output instead of by linear region")
    plot.add_argument("--level-set", action="store_true",
                      help="draw the decision boundary output_1 = 0")
    plot.add_argument("--title", metavar="TEXT", help="title of the picture")

    certify = sub.add_parser("certify", help="write a certificate of the count that "
                                             "'polyregions check' verifies independently")
    model_argument(certify)
    domain_options(certify)
    certify.add_argument("--linear", action="store_true",
                         help="also certify the merges of activation regions into linear regions")
    certify.add_argument("-o", "--output", required=True, metavar="CERT.json",
                         help="certificate file (written atomically)")
    run_options(certify)

    check = sub.add_parser("check", help="verify a certificate against a model with the "
                                         "standalone checker (fractions only)",
                           description="Verify a certificate with the standalone checker. The count "
                                       "must be about the domain given here (--box, --domain, or "
                                       "nothing for all of R^n0): a certificate about another domain "
                                       "is INVALID.")
    check.add_argument("certificate", metavar="CERT.json")
    model_argument(check)
    expected = check.add_mutually_exclusive_group()
    expected.add_argument("--box", nargs=2, metavar=("LO", "HI"),
                          help="the domain the count must be about: the box LO <= x_i <= HI")
    expected.add_argument("--domain", metavar="FILE",
                          help='the domain the count must be about: {"A": [[...]], "b": [...]}')
    expected.add_argument("--property", metavar="FILE",
                          help="a verify certificate: the property (.vnnlib or JSON) it must be about")

    maximum = sub.add_parser("max", help="the exact maximum (or minimum) of an output or a linear "
                                         "function of the outputs, with a maximiser",
                             description="The exact maximum (or --min minimum) of one output or of a "
                                         "linear function of the outputs over the domain, an exact "
                                         "maximiser (a vertex of a region, checked by an exact forward "
                                         "pass) and its region, or 'unbounded' with a region and a ray. "
                                         "Subtrees of the search whose exact bound cannot beat the best "
                                         "value found are dropped.")
    model_argument(maximum)
    domain_options(maximum)
    which = maximum.add_mutually_exclusive_group()
    which.add_argument("--output", type=_int_arg, metavar="I",
                       help="the output to maximise (0-based; default: the only output)")
    which.add_argument("--objective", metavar="C1,...,CM",
                       help="maximise c . y: one exact coefficient per output, comma-separated")
    maximum.add_argument("--min", action="store_true", help="the minimum instead")
    maximum.add_argument("--compare", action="store_true",
                         help="also count every region (a full enumeration), to show what pruning saved")
    maximum.add_argument("--json", action="store_true", help="print one JSON object")
    maximum.add_argument("-o", "--certificate", metavar="CERT.json",
                         help="write a certificate that 'polyregions check' verifies")

    verify = sub.add_parser("verify", help="prove that no input of a domain maps into an unsafe set of "
                                           "outputs, or find an exact counterexample",
                            description="Prove a property (VNN-LIB subset or polyregions-property/1 JSON: "
                                        "linear constraints on the inputs, and an unsafe set of outputs, a "
                                        "disjunction of conjunctions of linear constraints) or find an exact "
                                        "counterexample. Exit 0: holds; 1: violated; 2: bad input.")
    model_argument(verify)
    verify.add_argument("property", metavar="PROPERTY", help="property file (.vnnlib, or JSON)")
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.add_argument("-o", "--certificate", metavar="CERT.json",
                        help="write a certificate that 'polyregions check' verifies")

    equiv = sub.add_parser("equiv", help="whether two networks compute the same function on a domain",
                           description="Whether two networks with the same input dimension compute the same "
                                       "function on the domain; otherwise an exact input where they differ, "
                                       "with both outputs. Exit 0: equivalent; 1: they differ; 2: bad input.")
    model_argument(equiv)
    equiv.add_argument("model_b", metavar="MODEL_B", help="the second network, in any of MODEL's formats "
                                                          "(--input-dim, --arch and --rationalize apply to both)")
    equiv_domain = equiv.add_mutually_exclusive_group()
    equiv_domain.add_argument("--domain", metavar="FILE",
                              help='a JSON file {"A": [[...]], "b": [...]} for {x : A x <= b}')
    equiv_domain.add_argument("--box", nargs=2, metavar=("LO", "HI"),
                              help="the box LO <= x_i <= HI (rationals, or comma-separated per coordinate)")
    equiv.add_argument("--json", action="store_true", help="print one JSON object")

    bnd = sub.add_parser("boundary", help="the exact decision boundary of a classifier, as pieces",
                         description="The exact decision boundary of a classifier (the argmax of the "
                                     "outputs): the (n0-1)-dimensional pieces where output I equals output "
                                     "J and both are the largest (by default every pair I < J), counted, "
                                     "exported as JSON lines (-o) and, for 2 inputs, plotted over the "
                                     "regions (--plot).")
    model_argument(bnd)
    domain_options(bnd)
    bnd.add_argument("--classes", metavar="I,J", help="only the boundary between outputs I and J (0-based)")
    bnd.add_argument("-o", "--output", metavar="PIECES.jsonl",
                     help="write one piece per line: classes, region, equalities, inequalities, point")
    bnd.add_argument("--plot", metavar="FILE.png|FILE.svg|FILE.pdf",
                     help="draw the pieces over the regions (2 inputs, bounded domain)")
    bnd.add_argument("--json", action="store_true", help="print one JSON object")

    lip = sub.add_parser("lipschitz", help="the exact Lipschitz constant for the l1 or l-infinity norm",
                         description="The exact Lipschitz constant of the network on the (convex) domain "
                                     "for the l1 or l-infinity norm on inputs and outputs: the largest "
                                     "induced norm of a region's Jacobian, with a region attaining it; "
                                     "with --output, the constant of one output (its gradient's norm).")
    model_argument(lip)
    domain_options(lip)
    lip.add_argument("--norm", required=True, choices=["1", "inf"], help="the norm on inputs and outputs")
    lip.add_argument("--output", type=_int_arg, metavar="I",
                     help="the constant of one output (0-based) instead of the whole map")
    lip.add_argument("--json", action="store_true", help="print one JSON object")

    folding = sub.add_parser("folding", help="space folding per layer and the N_R recursion "
                                             "(bounded domains)")
    model_argument(folding)
    domain_options(folding)
    folding.add_argument("--json", action="store_true", help="print one JSON object")

    bounds = sub.add_parser("bounds", help="the counting-theory bounds for an architecture")
    bounds.add_argument("--n0", required=True, type=_int_arg, help="input dimension")
    bounds.add_argument("--widths", required=True, metavar="N1,N2,...",
                        help="units per hidden layer (maxout: units after taking the maximum)")
    bounds.add_argument("--rank", type=_int_arg, help="maxout rank k")
    bounds.add_argument("--activation", choices=["relu", "leaky_relu", "abs", "hardtanh", "maxout"],
                        help="activation of every layer (default relu, or maxout with --rank); "
                             "a bound applies only where its hypotheses hold for it")
    bounds.add_argument("--json", action="store_true", help="print one JSON object")

    construct = sub.add_parser("construct", help="write one of the paper's constructions or a "
                                                 "classical arrangement as a model file")
    kinds = construct.add_subparsers(dest="construction", metavar="KIND", parser_class=_Parser)
    rect = kinds.add_parser("rectifier", help="Montufar et al. 2014 zig-zag rectifier network")
    rect.add_argument("--n0", required=True, type=_int_arg)
    rect.add_argument("--widths", required=True, metavar="N1,...,NL")
    maxout = kinds.add_parser("maxout", help="maxout network attaining k^(L-1) k^n0 on the unit cube")
    maxout.add_argument("--n0", required=True, type=_int_arg)
    maxout.add_argument("--rank", required=True, type=_int_arg)
    maxout.add_argument("--depth", required=True, type=_int_arg)
    arrangement = kinds.add_parser("arrangement", help="one ReLU layer realising an arrangement")
    arrangement.add_argument("name", choices=["braid", "shi", "catalan", "generic"])
    arrangement.add_argument("--dim", required=True, type=_int_arg)
    arrangement.add_argument("--count", type=_int_arg, help="hyperplanes (generic only)")
    for p in (rect, maxout, arrangement):
        p.add_argument("-o", "--output", required=True, metavar="FILE.json",
                       help="model file to write (atomically)")

    convert = sub.add_parser("convert", help="write a model (ONNX, PyTorch, JSON) as an exact "
                                             "polyregions-network/1 JSON file")
    model_argument(convert)
    convert.add_argument("-o", "--output", required=True, metavar="FILE.json",
                         help="model file to write (atomically)")
    return parser


def _int_arg(text: str) -> int:
    """An integer option in ASCII digits (argparse names the option in its message); Python's
    int() would also take '2_0' and other scripts' digits."""
    if not re.fullmatch(r"[+-]?[0-9]{1,18}", text.strip()):
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return int(text)


def _seconds_arg(text: str) -> float:
    """A number of seconds from 0 up to 1e6."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 <= value < 1e6:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 1e6, got {text!r}")
    return value


def _widths(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"--widths: expected comma-separated integers, got {text!r}") from None


def _print_bounds(table: dict, count: int | None = None) -> None:
    """The bounds, one block each; with *count*, the exact count and a verdict beside each."""
    from .bounds import verdict

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


def _load(args: argparse.Namespace) -> Network:
    """The network of the command line's MODEL (any format; see polyregions.io.load_model)."""
    return load_model(args.model, input_dim=getattr(args, "input_dim", None), arch=getattr(args, "arch", None),
                      rationalize=getattr(args, "rationalize", None))


def _note(args: argparse.Namespace) -> str | None:
    """What every output of this command says about the network, if anything (--rationalize)."""
    limit = getattr(args, "rationalize", None)
    return None if limit is None else rationalize_note(limit)


def _problem(args: argparse.Namespace) -> tuple[Network, Domain]:
    """The network and domain a command line asks for (a slice restricts the network)."""
    network = _load(args)
    if args.domain is not None and args.box is not None:
        raise InputError("argument --box: not allowed with argument --domain")
    if args.slice is not None:
        n = network.input_dim
        points = [parse_point(text, n, f"--slice P{i}") for i, text in enumerate(args.slice)]
        args.sliced = (network, points)  # what outputs say about the view (see _context)
        network = slice_network(network, *points)
        if args.box is None:
            return network, Domain.box(2, 0, 1)
    n = network.input_dim
    if args.box is not None:
        low, high = (_box_value(v, n) for v in args.box)
        return network, Domain.box(n, low, high)
    if args.domain is not None:
        return network, load_domain(args.domain, dim=n)
    return network, Domain.whole(n)


def _box_value(text: str, n: int) -> Any:
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != n:
            raise InputError(f"--box: {len(parts)} values in {text!r}, the network has {n} inputs")
        return parts
    return text


def _run(args: argparse.Namespace, quiet: bool = False) -> dict[str, Any]:
    """The executor options of a command line, with a progress line unless asked for quiet."""
    from .executors import MAX_JOBS, default_jobs
    from .progress import ProgressLine

    jobs = args.jobs if args.jobs is not None else default_jobs()
    if jobs < 1:
        raise InputError(f"--jobs: expected a positive integer, got {jobs}")
    if jobs > MAX_JOBS:
        raise InputError(f"--jobs: {jobs} worker processes is more than the limit of {MAX_JOBS}")
    progress = None if (args.quiet or quiet) else ProgressLine()
    if progress is not None:
        _PROGRESS.append(progress)
    return {"jobs": jobs, "scheduler": args.scheduler, "checkpoint": args.checkpoint, "progress": progress,
            "task_seconds": args.task_seconds}


def _architecture(network: Network) -> str:
    names = []
    for layer in network.layers:
        if not isinstance(layer, Affine):
            kind = layer_type(layer)
            if kind not in names:
                names.append(kind)
    widths = " -> ".join(map(str, network.widths()))
    return f"{widths}, {', '.join(names) or 'affine'}"


def _cmd_count(args: argparse.Namespace) -> int:
    network, domain = _problem(args)
    start = time.perf_counter()
    counts = count_regions(network, domain, linear=not args.no_linear, **_run(args, quiet=args.json))
    seconds = time.perf_counter() - start
    table = None
    if args.bounds:
        from .bounds import network_bounds, verdict

        try:
            table = network_bounds(network)
        except InputError as exc:
            raise InputError(f"--bounds: {exc}") from None
        for entry in table.values():
            entry["verdict"] = verdict(entry, counts.activation_regions)
    if args.json:
        extra = {} if table is None else {"bounds": table}
        _print_json(args, counts.to_json(), seconds, model=args.model, **extra)
        return 0
    _print_header(args, network, domain, 20)
    print(f"activation regions: {counts.activation_regions}  (full-dimensional sets with one activation pattern)")
    if counts.linear_regions is not None:
        print(f"linear regions:     {counts.linear_regions}  (maximal connected pieces with one affine output map)")
    print(f"bounded regions:    {counts.bounded_regions}  (activation regions that are bounded)")
    print(f"time:               {seconds:.3f} s")
    if table is not None:
        print()
        _print_bounds(table, counts.activation_regions)
    return 0


def _cmd_regions(args: argparse.Namespace) -> int:
    network, domain = _problem(args)
    start = time.perf_counter()
    count = write_regions_jsonl(network, domain, args.output, **_run(args))
    seconds = time.perf_counter() - start
    print(f"wrote {counted(count, 'activation region')} to {args.output} in {seconds:.3f} s")
    _print_note(args)
    return 0


def _cmd_graph(args: argparse.Namespace) -> int:
    from .graph import linear_region_graph, region_graph

    suffix = args.output[args.output.rfind("."):].lower() if "." in args.output else ""
    if suffix not in FORMATS:
        raise InputError(f"{args.output}: unknown graph format {suffix or '(none)'!r}; "
                         f"use one of {', '.join(FORMATS)}")
    if args.merge and args.inequalities:
        raise InputError("--inequalities: a linear region (--merge) is a union of activation regions, not one "
                         "polyhedron; use --inequalities without --merge")
    network, domain = _problem(args)
    start = time.perf_counter()
    graph = region_graph(network, domain, maps=args.maps or args.merge, inequalities=args.inequalities,
                         **_run(args))
    if args.merge:
        graph = linear_region_graph(graph)
    for label, text in _context(args):
        graph.graph[label] = text
    write_graph(graph, args.output)
    seconds = time.perf_counter() - start
    what = "linear region" if args.merge else "activation region"
    print(f"wrote {counted(graph.number_of_nodes(), what)} and "
          f"{counted(graph.number_of_edges(), 'adjacency')} "
          f"to {args.output} in {seconds:.3f} s")
    _print_note(args)
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from .plot import image_format, plot_network, require_matplotlib

    html = args.output.lower().endswith(".html")
    if html:
        from .explorer import require_plotly

        if args.heatmap:
            raise InputError("plot: --heatmap is for images (.png, .svg, .pdf), not for the .html explorer")
        require_plotly()
    else:
        image_format(args.output)
        require_matplotlib()
    network, domain = _problem(args)
    n = network.input_dim
    if n > 2 and args.slice is None:
        raise InputError(f"plot: the network has {n} inputs; plot a 2-D slice with "
                         "--slice P0 P1 P2 (the plane through three input points)")
    label = None
    if domain.kind == "all":
        domain = Domain.box(n, -1, 1)
        label = f"{domain.describe()} (default domain)"
    start = time.perf_counter()
    title = args.title or args.model
    if _note(args):
        title += f" (weights rationalized to denominators <= {args.rationalize})"
    axis_labels = ("s", "t") if args.slice is not None else ("x1", "x2")
    if html:
        from .explorer import write_explorer

        summary = write_explorer(network, domain, args.output, title=title, domain_label=label,
                                 axis_labels=axis_labels, level_set=args.level_set, note=_note(args))
    else:
        summary = plot_network(network, domain, args.output, graph=args.graph, heatmap=args.heatmap,
                               level_set=args.level_set, title=title, domain_label=label,
                               axis_labels=axis_labels)
    seconds = time.perf_counter() - start
    print(f"wrote {args.output}: {counted(summary.activation_regions, 'activation region')}, "
          f"{counted(summary.linear_regions, 'linear region')} on {label or domain.describe()} "
          f"in {seconds:.3f} s")
    _print_note(args)
    return 0


def _cmd_certify(args: argparse.Namespace) -> int:
    from .certify import certify, write_certificate

    network, domain = _problem(args)
    if args.slice is not None:
        raise InputError("certify: --slice is not supported; certify the model on its own inputs")
    start = time.perf_counter()
    cert = certify(network, domain, linear=args.linear, **_run(args))
    write_certificate(cert, args.output)
    seconds = time.perf_counter() - start
    counts = ", ".join(counted(v, k.replace("_", " ")[:-1]) for k, v in cert["counts"].items())
    print(f"wrote a certificate of {counts} ({counted(len(cert['pruned']), 'pruned branch')}) "
          f"to {args.output} in {seconds:.3f} s")
    _print_note(args)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .checker import (MAX_CERTIFICATE_BYTES, OWN_PROPERTY, VERIFY_FORMAT, CheckFailure, check_certificate,
                          parse_certificate, report)
    from .fileformat import FormatError, UnreadableFile, read_file

    network = _load(args)  # bad model files are bad input (exit 2), not an invalid certificate
    n = network.input_dim
    prop = None
    if args.property is not None:
        from .vnnlib import load_property

        prop = load_property(args.property, n, network.output_dim).to_json()
    if args.box is not None:
        expected = Domain.box(n, *(_box_value(v, n) for v in args.box))
    elif args.domain is not None:
        expected = load_domain(args.domain, dim=n)
    else:
        expected = Domain.whole(n)
    rows: dict | None = {"A": [list(a) for a, _ in expected.rows], "b": [b for _, b in expected.rows]}
    if model_kind(args.model) == "json" and args.rationalize is None:
        model = parse_json_exact(read_text(args.model, "model file"), args.model)  # what the checker reads
    else:  # the canonical JSON network of an ONNX or PyTorch model (or of the rationalized one)
        model = network.to_json()
    try:  # a file that cannot be opened is bad input; one that is not a certificate is INVALID
        cert = parse_certificate(read_file(args.certificate, "certificate file", MAX_CERTIFICATE_BYTES),
                                 args.certificate)
    except UnreadableFile as exc:
        raise InputError(str(exc)) from None
    except FormatError as exc:
        print(f"INVALID: {exc}")
        return 1
    is_verify = isinstance(cert, dict) and cert.get("format") == VERIFY_FORMAT
    if args.property is not None and not is_verify:
        raise InputError(f"--property: only for verify certificates ({VERIFY_FORMAT}); {args.certificate} is "
                         f"{'a ' + str(cert.get('format')) if isinstance(cert, dict) else 'not a'} certificate")
    if is_verify and args.box is None and args.domain is None:
        rows = None  # a property's domain is its input set: compared through --property
    start = time.perf_counter()
    try:
        counts = check_certificate(cert, model, rows, prop)
        seconds = time.perf_counter() - start
        lines = report(counts, cert, model, seconds)
        if is_verify and prop is None:
            lines.append(OWN_PROPERTY)
    except CheckFailure as exc:
        print(f"INVALID: {exc}")
        return 1
    print("\n".join(lines))
    _print_note(args)
    return 0


def _objective(text: str | None) -> list[str] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if not all(parts):
        raise InputError(f"--objective: expected comma-separated numbers, got {text!r}")
    return parts


def _dropped(count: int) -> str:
    return f"{counted(count, 'subtree')} dropped by {'its bound' if count == 1 else 'their bounds'}"


def _lift(args: argparse.Namespace, point: Sequence[Any]) -> list[Any]:
    """A point (s, t) of a --slice view as the model's input P0 + s (P1 - P0) + t (P2 - P0)."""
    p0, p1, p2 = args.sliced[1]
    s, t = point
    return [a + s * (b - a) + t * (c - a) for a, b, c in zip(p0, p1, p2)]


def _point_text(point: Sequence[Any]) -> str:
    from .numbers import format_rational

    return "(" + ", ".join(format_rational(v) for v in point) + ")"


def _cmd_max(args: argparse.Namespace) -> int:
    from .certify import write_certificate
    from .numbers import format_rational
    from .optimize import maximize

    network, domain = _problem(args)
    if args.certificate is not None and args.slice is not None:
        raise InputError("max: --slice is not supported with a certificate (-o); use the model's own inputs")
    start = time.perf_counter()
    result = maximize(network, domain, output=args.output, objective=_objective(args.objective),
                      minimize=args.min, certificate=args.certificate is not None)
    seconds = time.perf_counter() - start
    total = None
    if args.compare:
        total = count_regions(network, domain, linear=False, jobs=1).activation_regions
    if result.certificate is not None:
        write_certificate(result.certificate, args.certificate)
    if args.json:
        out = result.to_json()
        extra: dict[str, Any] = {}
        if total is not None:
            extra["regions_total"] = total
        if getattr(args, "sliced", None) is not None:
            extra["input_point"] = [format_rational(v) for v in _lift(args, result.point)]
        _print_json(args, out, seconds, model=args.model, domain=domain.to_json(), **extra)
        return 0
    name = "maximum" if not args.min else "minimum"
    if args.objective is not None:
        what = "c . y with c = (" + ", ".join(format_rational(v) for v in result.objective) + ")"
    else:
        what = f"output {result.objective.index(1)}"
    _print_header(args, network, domain, 17)
    print(f"objective:       {what}")
    if result.status == "unbounded":
        print(f"{name}:{' ' * (16 - len(name))}unbounded ({'grows' if not args.min else 'falls'} without bound)")
        print(f"region:          {result.region}")
        print(f"point:           {_point_text(result.point)}")
        print(f"ray:             {_point_text(result.ray or ())}")
    else:
        assert result.value is not None
        print(f"{name}:{' ' * (16 - len(name))}{format_rational(result.value)}")
        print(f"point:           {_point_text(result.point)}")
        if getattr(args, "sliced", None) is not None:
            print(f"input point:     {_point_text(_lift(args, result.point))}  (the point in the model's inputs)")
        print(f"region:          {result.region}")
    shown = f" of {total}" if total is not None else ""
    print(f"regions visited: {result.regions_visited}{shown} ({_dropped(result.subtrees_dropped)})")
    if result.certificate is not None:
        print(f"certificate:     {args.certificate}")
    print(f"time:            {seconds:.3f} s")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from .certify import write_certificate
    from .verify import verify_property
    from .vnnlib import load_property

    network = _load(args)
    prop = load_property(args.property, network.input_dim, network.output_dim)
    start = time.perf_counter()
    result = verify_property(network, prop, certificate=args.certificate is not None)
    seconds = time.perf_counter() - start
    if result.certificate is not None:
        write_certificate(result.certificate, args.certificate)
    code = 0 if result.holds else 1
    if args.json:
        out = result.to_json()
        _print_json(args, out, seconds, model=args.model, property=args.property)
        return code
    _print_header(args, network, None, 17)
    print(f"property:        {args.property} ({prop.describe()})")
    if result.holds:
        print("result:          holds (no input of the domain has outputs in the unsafe set)")
    else:
        assert result.counterexample is not None and result.outputs is not None
        print(f"result:          violated (disjunct {result.disjunct} of the unsafe set)")
        print(f"counterexample:  {_point_text(result.counterexample)}")
        print(f"outputs:         {_point_text(result.outputs)}")
    print(f"regions visited: {result.regions_visited} ({_dropped(result.subtrees_dropped)})")
    if result.certificate is not None:
        print(f"certificate:     {args.certificate}")
    print(f"time:            {seconds:.3f} s")
    return code


def _cmd_equiv(args: argparse.Namespace) -> int:
    from .equivalence import equivalent

    a = _load(args)
    b = load_model(args.model_b, input_dim=args.input_dim, arch=args.arch, rationalize=args.rationalize)
    n = a.input_dim
    if args.box is not None:
        domain = Domain.box(n, *(_box_value(v, n) for v in args.box))
    elif args.domain is not None:
        domain = load_domain(args.domain, dim=n)
    else:
        domain = Domain.whole(n)
    start = time.perf_counter()
    result = equivalent(a, b, domain)
    seconds = time.perf_counter() - start
    code = 0 if result.equivalent else 1
    if args.json:
        out = result.to_json()
        _print_json(args, out, seconds, model_a=args.model, model_b=args.model_b, domain=domain.to_json())
        return code
    print(f"network A:       {args.model} ({_architecture(a)})")
    print(f"network B:       {args.model_b} ({_architecture(b)})")
    for label, text in _context(args):
        print(f"{label + ':':17}{text} (both networks)")
    print(f"domain:          {domain.describe()}")
    if result.equivalent:
        print("result:          equivalent (the same function on the domain)")
    else:
        assert result.counterexample is not None and result.regions is not None
        print("result:          they differ")
        print(f"counterexample:  {_point_text(result.counterexample)}")
        print(f"outputs of A:    {_point_text(result.outputs_a or ())}")
        print(f"outputs of B:    {_point_text(result.outputs_b or ())}")
        print(f"regions:         {result.regions[0]} (A), {result.regions[1]} (B)")
    print(f"pieces compared: {result.pieces_visited}")
    print(f"time:            {seconds:.3f} s")
    return code


def _cmd_boundary(args: argparse.Namespace) -> int:
    from .boundary import decision_boundary, figure_boundary, parse_classes, write_pieces_jsonl
    from .plot import image_format, require_matplotlib

    if args.plot is not None:
        image_format(args.plot)
        require_matplotlib()
    network, domain = _problem(args)
    classes = None if args.classes is None else parse_classes(args.classes, network.output_dim)
    if args.plot is not None:
        if network.input_dim != 2:
            raise InputError(f"--plot: the network has {network.input_dim} inputs; plot a 2-D --slice")
        if domain.kind == "all":
            raise InputError("--plot needs a bounded domain (--box, --domain or --slice)")
    start = time.perf_counter()
    result = decision_boundary(network, domain, classes=classes)
    if args.output is not None:
        write_pieces_jsonl(result, args.output)
    if args.plot is not None:
        from .plot import save_figure

        figure, _ = figure_boundary(network, domain, result, title=args.model)
        save_figure(figure, args.plot)
    seconds = time.perf_counter() - start
    if args.json:
        out = result.to_json()
        _print_json(args, out, seconds, model=args.model, domain=domain.to_json())
        return 0
    pairs = "; ".join(f"{k}: {v}" for k, v in result.counts().items())
    which = "every pair (where the argmax changes)" if classes is None else f"{classes[0]} and {classes[1]}"
    _print_header(args, network, domain, 17)
    print(f"classes:         {which}")
    print(f"boundary pieces: {len(result.pieces)} ({pairs})")
    if result.ties:
        print(f"tie regions:     {len(result.ties)} (two classes are the same function there: "
              + ", ".join(f"{c[0]},{c[1]} in {key}" for c, key in result.ties[:4])
              + (", ..." if len(result.ties) > 4 else "") + ")")
    print(f"regions visited: {result.regions_visited} ({_dropped(result.subtrees_dropped)})")
    for path in (args.output, args.plot):
        if path is not None:
            print(f"wrote:           {path}")
    print(f"time:            {seconds:.3f} s")
    return 0


def _cmd_lipschitz(args: argparse.Namespace) -> int:
    from .lipschitz import lipschitz_constant
    from .numbers import format_rational

    network, domain = _problem(args)
    start = time.perf_counter()
    result = lipschitz_constant(network, domain, norm=args.norm, output=args.output)
    seconds = time.perf_counter() - start
    if args.json:
        out = result.to_json()
        _print_json(args, out, seconds, model=args.model, domain=domain.to_json())
        return 0
    norm = "l1" if args.norm == "1" else "l-infinity"
    what = "the whole map" if args.output is None else f"output {args.output}"
    _print_header(args, network, domain, 20)
    print(f"norm:               {norm} on inputs and outputs ({what})")
    print(f"lipschitz constant: {format_rational(result.value)}")
    print(f"region:             {result.region}")
    rows = "; ".join(", ".join(format_rational(v) for v in row) for row in result.jacobian)
    print(f"jacobian:           [{rows}]")
    print(f"regions visited:    {result.regions_visited} ({_dropped(result.subtrees_dropped)})")
    print(f"time:               {seconds:.3f} s")
    return 0


def _cmd_folding(args: argparse.Namespace) -> int:
    from .folding import folding_analysis

    network, domain = _problem(args)
    start = time.perf_counter()
    report = folding_analysis(network, domain)
    seconds = time.perf_counter() - start
    if args.json:
        out = report.to_json()
        _print_json(args, out, seconds, model=args.model, domain=domain.to_json())
        return 0
    _print_header(args, network, domain, 9)
    for layer in report.layers:
        largest = sorted(layer.multiplicities, reverse=True)
        shown = ", ".join(map(str, largest[:12])) + (", ..." if len(largest) > 12 else "")
        print(f"layer {layer.layer}: {counted(layer.cells, 'cell')} onto "
              f"{counted(layer.distinct_images, 'distinct image')}; multiplicities, largest first: {shown}")
    print(f"N_R recursion total: {report.recursion_total}")
    print(f"activation regions:  {report.activation_regions}")
    print(f"recursion matches:   {'yes' if report.recursion_matches else 'NO'}")
    print(f"time:                {seconds:.3f} s")
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    if model_kind_of_name(args.output) not in (None, "json"):
        raise InputError(f"-o {args.output}: convert writes polyregions JSON (polyregions-network/1); "
                         "name the output .json")
    network = _load(args)
    description = f"converted by polyregions from {args.model}"
    if _note(args):
        description += f"; {_note(args)}"
    save_model(network, args.output, description)
    print(f"wrote {args.model} ({_architecture(network)}) as exact JSON to {args.output}")
    _print_note(args)
    return 0


def _cmd_bounds(args: argparse.Namespace) -> int:
    from .bounds import bounds_table

    table = bounds_table(args.n0, _widths(args.widths), args.rank, args.activation)
    if args.json:
        print(json.dumps(table))
    else:
        _print_bounds(table)
    return 0


def _cmd_construct(args: argparse.Namespace) -> int:
    from . import constructions

    if args.construction is None:
        raise InputError("construct: missing kind: rectifier, maxout or arrangement")
    if args.construction == "rectifier":
        network = constructions.rectifier_zigzag(args.n0, _widths(args.widths))
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
    print(f"wrote {args.construction} network ({_architecture(network)}) to {args.output}")
    return 0


def _slice_text(args: argparse.Namespace) -> str | None:
    """The plane of a --slice view, in words, or None."""
    sliced = getattr(args, "sliced", None)
    if sliced is None:
        return None
    p0, p1, p2 = (_point_text(p) for p in sliced[1])
    return (f"the plane x = P0 + s (P1 - P0) + t (P2 - P0) with P0 = {p0}, P1 = {p1}, P2 = {p2}; "
            "the domain, points and regions are in (s, t)")


def _context(args: argparse.Namespace) -> list[tuple[str, str]]:
    """What every output of this command says beside its results: a --slice view, --rationalize."""
    lines = []
    plane = _slice_text(args)
    if plane:
        lines.append(("slice", plane))
    if _note(args):
        lines.append(("note", _note(args)))
    return lines


def _print_json(args: argparse.Namespace, out: dict[str, Any], seconds: float, **keys: Any) -> None:
    """A command's --json line: its result, what it ran on (*keys*), the time, slice and note."""
    out.update(keys, seconds=round(seconds, 6), **_context_json(args))
    print(json.dumps(out))


def _context_json(args: argparse.Namespace) -> dict[str, Any]:
    """The same as JSON keys: ``slice`` (the three points, exact strings) and ``rationalized``/``note``."""
    from .numbers import format_rational

    out: dict[str, Any] = {}
    sliced = getattr(args, "sliced", None)
    if sliced is not None:
        out["slice"] = {name: [format_rational(v) for v in point]
                        for name, point in zip(("p0", "p1", "p2"), sliced[1])}
        out["slice"]["coordinates"] = "x = p0 + s (p1 - p0) + t (p2 - p0); domain, points and regions in (s, t)"
    limit = getattr(args, "rationalize", None)
    if limit is not None:
        out.update(rationalized=limit, note=_note(args))
    return out


def _network_text(args: argparse.Namespace, network: Network) -> str:
    """The model and its architecture (the model's own, under a --slice view)."""
    sliced = getattr(args, "sliced", None)
    return f"{args.model} ({_architecture(network if sliced is None else sliced[0])})"


def _print_header(args: argparse.Namespace, network: Network, domain: Domain | None, width: int) -> None:
    """The first lines of a command's text output: network, slice and note, domain."""
    print(f"{'network:':{width}}{_network_text(args, network)}")
    for label, text in _context(args):
        print(f"{label + ':':{width}}{text}")
    if domain is not None:
        print(f"{'domain:':{width}}{domain.describe()}")


def _print_note(args: argparse.Namespace) -> None:
    for label, text in _context(args):
        print(f"{label}: {text}")


def _clear_progress() -> None:
    for line in _PROGRESS:
        line.clear()
    _PROGRESS.clear()


def _refuse_overwriting_inputs(args: argparse.Namespace) -> None:
    """An output file (or the checkpoint) must not be one of the command's input files."""
    output = getattr(args, "output", None)
    inputs = ("model", "model_b", "domain", "certificate", "property")
    if args.command in ("max", "verify"):  # their output file is the certificate (max's --output is an index)
        output = args.certificate
        inputs = ("model", "domain", "property")
    if not isinstance(output, str):
        output = None  # lipschitz's --output is an output index, not a file
    checkpoint = getattr(args, "checkpoint", None)
    plot = getattr(args, "plot", None) if args.command == "boundary" else None
    for name in (output, checkpoint, plot):
        if name is not None:
            check_file_name(name)
    if output is not None and plot is not None and is_same_file(output, plot):
        raise InputError(f"--plot {plot}: is the -o file too; write them to two files")
    for name in inputs:
        source = getattr(args, name, None)
        if source is None:
            continue
        for out in (output, plot):
            if out is not None and is_same_file(out, source):
                raise InputError(f"{out}: is the input file {source}; write the output to another file")
        if checkpoint is not None and is_same_file(checkpoint, source):
            raise InputError(f"--checkpoint {checkpoint}: is the input file {source}; use another file")
    if output is not None and checkpoint is not None and is_same_file(output, checkpoint):
        raise InputError(f"--checkpoint {checkpoint}: is the output file; use another file")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input, 1 internal error)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise InputError("missing command: count, regions, graph, plot, certify, check, max, verify, "
                             "equiv, lipschitz, boundary, folding, bounds, construct or convert "
                             "(see polyregions --help)")
        _refuse_overwriting_inputs(args)
        if args.command == "count":
            return _cmd_count(args)
        if args.command == "graph":
            return _cmd_graph(args)
        if args.command == "plot":
            return _cmd_plot(args)
        if args.command == "certify":
            return _cmd_certify(args)
        if args.command == "check":
            return _cmd_check(args)
        if args.command == "bounds":
            return _cmd_bounds(args)
        if args.command == "folding":
            return _cmd_folding(args)
        if args.command == "max":
            return _cmd_max(args)
        if args.command == "verify":
            return _cmd_verify(args)
        if args.command == "lipschitz":
            return _cmd_lipschitz(args)
        if args.command == "equiv":
            return _cmd_equiv(args)
        if args.command == "boundary":
            return _cmd_boundary(args)
        if args.command == "construct":
            return _cmd_construct(args)
        if args.command == "convert":
            return _cmd_convert(args)
        return _cmd_regions(args)
    except PolyregionsError as exc:
        _clear_progress()
        print(f"polyregions: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InputError) else 1
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM while an output file is written
        _clear_progress()
        if isinstance(exc, Terminated):
            print("polyregions: terminated", file=sys.stderr)
            return 143
        print("polyregions: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"polyregions: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print("polyregions: error: out of memory", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
