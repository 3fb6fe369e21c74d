"""Exact queries: max, verify, equiv, boundary, lipschitz, and the space folding of a network.

Each command has ``add_<command>(parser)``, which declares its arguments, and
``run_<command>(args)``, which runs it and returns the exit code; :data:`COMMANDS` lists
them for the command table of :mod:`polyregions.cli`.
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Sequence

from ..certificates.regions import write_certificate
from ..core.domain import Domain, load_domain
from ..errors import InputError
from ..io.models import load_model
from ..io.vnnlib import load_property
from ..queries.boundary import decision_boundary, parse_classes, write_pieces_jsonl
from ..queries.count import count_regions
from ..queries.equivalence import equivalent
from ..queries.folding import folding_analysis
from ..queries.lipschitz import lipschitz_constant
from ..queries.optimize import maximize
from ..files import write_text_atomic
from ..queries.verify import METHODS, verify_property
from ..rationals import counted, format_rational, to_floats, with_approximation
from ..views.boundary import figure_boundary
from ..views.plot import image_format, require_matplotlib, save_figure
from .common import (architecture, box_value, context, domain_options, executor_options, int_arg, load,
                     model_argument, print_header, print_json, print_matrix, print_point, problem, run_options)
from .progress import BoxProgressLine


def objective(text: str | None) -> list[str] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if not all(parts):
        raise InputError(f"--objective: expected comma-separated numbers, got {text!r}")
    return parts


def dropped(count: int) -> str:
    return f"{counted(count, 'subtree')} dropped by {'its bound' if count == 1 else 'their bounds'}"


def lift(args: argparse.Namespace, point: Sequence[Any]) -> list[Any]:
    """A point (s, t) of a --slice view as the model's input P0 + s (P1 - P0) + t (P2 - P0)."""
    p0, p1, p2 = args.sliced[1]
    s, t = point
    return [a + s * (b - a) + t * (c - a) for a, b, c in zip(p0, p1, p2)]


def add_max(parser: argparse.ArgumentParser) -> None:
    parser.description = ('The exact maximum (or --min minimum) of one output or of a linear function of the '
                          'outputs over '
                       'the domain, an exact maximiser (a vertex of a region, checked by an exact forward pass) and '
                       'its '
                       "region, or 'unbounded' with a region and a ray. Subtrees of the search whose exact bound "
                       'cannot '
                       'beat the best value found are dropped.')
    model_argument(parser)
    domain_options(parser)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--output", type=int_arg, metavar="I",
                       help="the output to maximise (0-based; default: the only output)")
    which.add_argument("--objective", metavar="C1,...,CM",
                       help="maximise c . y: one exact coefficient per output, comma-separated")
    parser.add_argument("--min", action="store_true", help="the minimum instead")
    parser.add_argument("--compare", action="store_true",
                         help="also count every region (a full enumeration), to show what pruning saved")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("-o", "--certificate", metavar="CERT.json",
                         help="write a certificate that 'polyregions check' verifies")


def run_max(args: argparse.Namespace) -> int:
    network, domain = problem(args)
    if args.certificate is not None and args.slice is not None:
        raise InputError("max: --slice is not supported with a certificate (-o); use the model's own inputs")
    start = time.perf_counter()
    result = maximize(network, domain, output=args.output, objective=objective(args.objective),
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
            lifted = lift(args, result.point)
            extra["input_point"] = [format_rational(v) for v in lifted]
            extra["input_point_float"] = to_floats(lifted)
        print_json(args, out, seconds, model=args.model, domain=domain.to_json(), **extra)
        return 0
    name = "maximum" if not args.min else "minimum"
    if args.objective is not None:
        what = "c . y with c = (" + ", ".join(format_rational(v) for v in result.objective) + ")"
    else:
        what = f"output {result.objective.index(1)}"
    print_header(args, network, domain, 17)
    print(f"objective:       {what}")
    if result.status == "unbounded":
        print(f"{name}:{' ' * (16 - len(name))}unbounded ({'grows' if not args.min else 'falls'} without bound)")
        print(f"region:          {result.region}")
        print_point("point", result.point, 17)
        print_point("ray", result.ray or (), 17)
    else:
        assert result.value is not None
        print(f"{name}:{' ' * (16 - len(name))}{with_approximation(result.value)}")
        print_point("point", result.point, 17)
        if getattr(args, "sliced", None) is not None:
            print_point("input point", lift(args, result.point), 17, "  (the point in the model's inputs)")
        print(f"region:          {result.region}")
    shown = f" of {total}" if total is not None else ""
    print(f"regions visited: {result.regions_visited}{shown} ({dropped(result.subtrees_dropped)})")
    if result.certificate is not None:
        print(f"certificate:     {args.certificate}")
    print(f"time:            {seconds:.3f} s")
    return 0


def add_verify(parser: argparse.ArgumentParser) -> None:
    parser.description = ('Prove a property (VNN-LIB subset or polyregions-property/1 JSON: linear constraints on the '
                       'inputs, and an unsafe set of outputs, a disjunction of conjunctions of linear constraints) or '
                       'find an exact counterexample. Exit 0: holds; 1: violated; 2: bad input; 3: unknown (the '
                       '--timeout passed first); 130: interrupted (Ctrl-C); 143: terminated (SIGTERM). Input '
                       'splitting runs on --jobs worker processes or a Dask --scheduler and keeps a --checkpoint; '
                       'the region search runs in this process.')
    model_argument(parser)
    parser.add_argument("property", metavar="PROPERTY", help="property file (.vnnlib, or JSON)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("-o", "--certificate", metavar="CERT.json",
                        help="write a certificate that 'polyregions check' verifies")
    parser.add_argument("--timeout", metavar="SECONDS", type=positive_seconds,
                        help="answer 'unknown' (exit 3) when no answer is found within this time")
    parser.add_argument("--method", choices=METHODS, default="auto",
                        help="auto (default): input splitting on boxes of ReLU networks, else the region search; "
                             "split; regions")
    parser.add_argument("--vnncomp", metavar="RESULT.txt",
                        help="also write VNN-COMP's result file: unsat, sat with the counterexample, or timeout")
    run_options(parser)


def positive_seconds(text: str) -> float:
    """A positive number of seconds (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def run_verify(args: argparse.Namespace) -> int:
    network = load(args)
    prop = load_property(args.property, network.input_dim, network.output_dim)
    start = time.perf_counter()
    run = executor_options(args, quiet=args.json, line=BoxProgressLine)
    result = verify_property(network, prop, certificate=args.certificate is not None, timeout=args.timeout,
                             method=args.method, **run)
    seconds = time.perf_counter() - start
    if result.certificate is not None:
        write_certificate(result.certificate, args.certificate)
    if args.vnncomp is not None:
        write_text_atomic(args.vnncomp, result.vnncomp())
    code = {"holds": 0, "violated": 1}.get(result.result, 3)
    if args.json:
        out = result.to_json()
        print_json(args, out, seconds, model=args.model, property=args.property)
        return code
    print_header(args, network, None, 17)
    print(f"property:        {args.property} ({prop.describe()})")
    if result.holds:
        print("result:          holds (no input of the domain has outputs in the unsafe set)")
    elif result.result == "unknown":
        print(f"result:          unknown (the time limit of {args.timeout:g} s passed first)")
    else:
        assert result.counterexample is not None and result.outputs is not None
        part = f", input set {result.part}" if prop.others else ""
        print(f"result:          violated (disjunct {result.disjunct} of the unsafe set{part})")
        print_point("counterexample", result.counterexample, 17)
        print_point("outputs", result.outputs, 17)
    if result.boxes:
        print(f"boxes:           {result.boxes} (input splitting; {result.exact_leaves} decided by the region search)")
    print(f"regions visited: {result.regions_visited} ({dropped(result.subtrees_dropped)})")
    if result.certificate is not None:
        print(f"certificate:     {args.certificate}")
    if args.vnncomp is not None:
        print(f"vnncomp result:  {args.vnncomp}")
    print(f"time:            {seconds:.3f} s")
    return code


def add_equiv(parser: argparse.ArgumentParser) -> None:
    parser.description = ('Whether two networks with the same input dimension compute the same function on the domain; '
                       'otherwise an exact input where they differ, with both outputs. Exit 0: equivalent; 1: they '
                       'differ; 2: bad input.')
    model_argument(parser)
    parser.add_argument("model_b", metavar="MODEL_B", help="the second network, in any of MODEL's formats "
                                                          "(--input-dim, --arch and --rationalize apply to both)")
    equiv_domain = parser.add_mutually_exclusive_group()
    equiv_domain.add_argument("--domain", metavar="FILE",
                              help='a JSON file {"A": [[...]], "b": [...]} for {x : A x <= b}')
    equiv_domain.add_argument("--box", nargs=2, metavar=("LO", "HI"),
                              help="the box LO <= x_i <= HI (rationals, or comma-separated per coordinate)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_equiv(args: argparse.Namespace) -> int:
    a = load(args)
    b = load_model(args.model_b, input_dim=args.input_dim, arch=args.arch, rationalize=args.rationalize)
    n = a.input_dim
    if args.box is not None:
        domain = Domain.box(n, *(box_value(v, n) for v in args.box))
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
        print_json(args, out, seconds, model_a=args.model, model_b=args.model_b, domain=domain.to_json())
        return code
    print(f"network A:       {args.model} ({architecture(a)})")
    print(f"network B:       {args.model_b} ({architecture(b)})")
    for label, text in context(args):
        print(f"{label + ':':17}{text} (both networks)")
    print(f"domain:          {domain.describe()}")
    if result.equivalent:
        print("result:          equivalent (the same function on the domain)")
    else:
        assert result.counterexample is not None and result.regions is not None
        print("result:          they differ")
        print_point("counterexample", result.counterexample, 17)
        print_point("outputs of A", result.outputs_a or (), 17)
        print_point("outputs of B", result.outputs_b or (), 17)
        print(f"regions:         {result.regions[0]} (A), {result.regions[1]} (B)")
    print(f"pieces compared: {result.pieces_visited}")
    print(f"time:            {seconds:.3f} s")
    return code


def add_boundary(parser: argparse.ArgumentParser) -> None:
    parser.description = ('The exact decision boundary of a classifier (the argmax of the outputs): the '
                          '(n0-1)-dimensional '
                       'pieces where output I equals output J and both are the largest (by default every pair I < J), '
                       'counted, exported as JSON lines (-o) and, for 2 inputs, plotted over the regions (--plot).')
    model_argument(parser)
    domain_options(parser)
    parser.add_argument("--classes", metavar="I,J", help="only the boundary between outputs I and J (0-based)")
    parser.add_argument("-o", "--output", metavar="PIECES.jsonl",
                     help="write one piece per line: classes, region, equalities, inequalities, point")
    parser.add_argument("--plot", metavar="FILE.png|FILE.svg|FILE.pdf",
                     help="draw the pieces over the regions (2 inputs, bounded domain)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_boundary(args: argparse.Namespace) -> int:
    if args.plot is not None:
        image_format(args.plot)
        require_matplotlib()
    network, domain = problem(args)
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
        figure, _ = figure_boundary(network, domain, result, title=args.model)
        save_figure(figure, args.plot)
    seconds = time.perf_counter() - start
    if args.json:
        out = result.to_json()
        print_json(args, out, seconds, model=args.model, domain=domain.to_json())
        return 0
    pairs = "; ".join(f"{k}: {v}" for k, v in result.counts().items())
    which = "every pair (where the argmax changes)" if classes is None else f"{classes[0]} and {classes[1]}"
    print_header(args, network, domain, 17)
    print(f"classes:         {which}")
    print(f"boundary pieces: {len(result.pieces)} ({pairs})")
    if result.ties:
        print(f"tie regions:     {len(result.ties)} (two classes are the same function there: "
              + ", ".join(f"{c[0]},{c[1]} in {key}" for c, key in result.ties[:4])
              + (", ..." if len(result.ties) > 4 else "") + ")")
    print(f"regions visited: {result.regions_visited} ({dropped(result.subtrees_dropped)})")
    for path in (args.output, args.plot):
        if path is not None:
            print(f"wrote:           {path}")
    print(f"time:            {seconds:.3f} s")
    return 0


def add_lipschitz(parser: argparse.ArgumentParser) -> None:
    parser.description = ('The exact Lipschitz constant of the network on the (convex) domain for the l1 or l-infinity '
                       "norm on inputs and outputs: the largest induced norm of a region's Jacobian, with a region "
                       "attaining it; with --output, the constant of one output (its gradient's norm).")
    model_argument(parser)
    domain_options(parser)
    parser.add_argument("--norm", default="inf", choices=["1", "inf"],
                        help="the norm on inputs and outputs (default: inf, the l-infinity norm)")
    parser.add_argument("--output", type=int_arg, metavar="I",
                     help="the constant of one output (0-based) instead of the whole map")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_lipschitz(args: argparse.Namespace) -> int:
    network, domain = problem(args)
    start = time.perf_counter()
    result = lipschitz_constant(network, domain, norm=args.norm, output=args.output)
    seconds = time.perf_counter() - start
    if args.json:
        out = result.to_json()
        print_json(args, out, seconds, model=args.model, domain=domain.to_json())
        return 0
    norm = "l1" if args.norm == "1" else "l-infinity"
    what = "the whole map" if args.output is None else f"output {args.output}"
    print_header(args, network, domain, 20)
    print(f"norm:               {norm} on inputs and outputs ({what})")
    print(f"lipschitz constant: {with_approximation(result.value)}")
    print(f"region:             {result.region}")
    print_matrix("jacobian", result.jacobian, 20)
    print(f"regions visited:    {result.regions_visited} ({dropped(result.subtrees_dropped)})")
    print(f"time:               {seconds:.3f} s")
    return 0


def add_folding(parser: argparse.ArgumentParser) -> None:
    model_argument(parser)
    domain_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_folding(args: argparse.Namespace) -> int:
    network, domain = problem(args)
    start = time.perf_counter()
    report = folding_analysis(network, domain)
    seconds = time.perf_counter() - start
    if args.json:
        out = report.to_json()
        print_json(args, out, seconds, model=args.model, domain=domain.to_json())
        return 0
    print_header(args, network, domain, 9)
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


#: command -> (declare its arguments, run it), for the command table of polyregions.cli.
COMMANDS = {
    "max": (add_max, run_max),
    "verify": (add_verify, run_verify),
    "equiv": (add_equiv, run_equiv),
    "boundary": (add_boundary, run_boundary),
    "lipschitz": (add_lipschitz, run_lipschitz),
    "folding": (add_folding, run_folding),
}
