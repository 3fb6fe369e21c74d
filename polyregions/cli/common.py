"""What the commands share: the parser, the MODEL and domain options, the network and
domain a command line asks for, and the lines every output prints.

Bad input of any kind raises :class:`~polyregions.errors.InputError`, which
:func:`polyregions.cli.main` prints as one line ``polyregions: error: ...`` (exit 2).
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any, Sequence

from ..core.domain import Domain, load_domain
from ..core.layers import Affine, layer_type
from ..core.network import Network
from ..core.slices import PlaneSizeError, parse_point, slice_network
from ..errors import DomainError, InputError
from ..files import check_file_name, is_same_file
from ..io.models import load_model, model_kind, rationalize_note
from ..rationals import approximate, approximate_point, format_rational, is_short
from ..run.executors import MAX_JOBS, default_jobs
from .progress import ProgressLine

#: Progress lines shown by this run, cleared before an error or interruption is printed.
PROGRESS: list[Any] = []

#: Values such as -1, -1/2, -0.25, -1e-3 and -1,0 are numbers, not options.
NEGATIVE = re.compile(r"^-[\d.]")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that reports errors on one line and exits 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(message)


def model_argument(p: argparse.ArgumentParser, name: str = "model") -> None:
    """The MODEL positional argument and the options that say how to read it."""
    p.add_argument(name, metavar="MODEL",
                   help="the network: polyregions-network/1 JSON, ONNX (.onnx) or PyTorch (.pt/.pth)")
    p.add_argument("--input-dim", type=int_arg, metavar="N",
                   help="the input size, for models that do not record it (checked where they do)")
    p.add_argument("--arch", metavar="SPEC",
                   help="the layers of a PyTorch state dict: mlp:ACT, mlp:ACT:FINAL or a list such as "
                        "linear,relu,linear (README: Bring your own model)")
    p.add_argument("--rationalize", type=int_arg, metavar="D",
                   help="snap every number to the nearest rational with denominator <= D (a different "
                        "network; every output says so)")


def int_arg(text: str) -> int:
    """An integer option in ASCII digits (argparse names the option in its message); Python's
    int() would also take '2_0' and other scripts' digits."""
    if not re.fullmatch(r"[+-]?[0-9]{1,18}", text.strip()):
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return int(text)


def seconds_arg(text: str) -> float:
    """A number of seconds from 0 up to 1e6."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 <= value < 1e6:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 1e6, got {text!r}")
    return value


def load(args: argparse.Namespace, plane: Sequence[Sequence[Any]] | None = None) -> Network:
    """The network of the command line's MODEL (any format; see polyregions.io.load_model),
    restricted to *plane* if given."""
    return load_model(args.model, input_dim=getattr(args, "input_dim", None), arch=getattr(args, "arch", None),
                      rationalize=getattr(args, "rationalize", None), plane=plane)


def note(args: argparse.Namespace) -> str | None:
    """What every output of this command says about the network, if anything (--rationalize)."""
    limit = getattr(args, "rationalize", None)
    return None if limit is None else rationalize_note(limit)


def problem(args: argparse.Namespace) -> tuple[Network, Domain]:
    """The network and domain a command line asks for (a slice restricts the network)."""
    if args.domain is not None and args.box is not None:
        raise InputError("argument --box: not allowed with argument --domain")
    if args.slice is not None:
        if model_kind(args.model) in ("onnx", "torch") and getattr(args, "rationalize", None) is None:
            # read straight onto the plane: the layers before the first activation never see the whole input space
            points = [parse_point(text, None, f"--slice P{i}") for i, text in enumerate(args.slice)]
            try:
                network = load(args, points)
            except PlaneSizeError as exc:
                raise DomainError(f"--slice P{exc.index}: {len(points[exc.index])} coordinates in "
                                  f"{args.slice[exc.index]!r}, the network has {exc.inputs} inputs") from None
            own = f"on the plane: {architecture(network)}"
        else:  # the whole network first (with --rationalize, the rounding is of the model's own weights)
            model = load(args)
            points = [parse_point(text, model.input_dim, f"--slice P{i}") for i, text in enumerate(args.slice)]
            network = slice_network(model, *points)
            own = architecture(model)
        args.sliced = (own, points)  # what outputs say about the view (see context)
        if args.box is None:
            return network, Domain.box(2, 0, 1)
    else:
        network = load(args)
    n = network.input_dim
    if args.box is not None:
        low, high = (box_value(v, n) for v in args.box)
        return network, Domain.box(n, low, high)
    if args.domain is not None:
        return network, load_domain(args.domain, dim=n)
    return network, Domain.whole(n)


def box_value(text: str, n: int) -> Any:
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != n:
            raise InputError(f"--box: {len(parts)} values in {text!r}, the network has {n} inputs")
        return parts
    return text


def executor_options(args: argparse.Namespace, quiet: bool = False,
                     line: type[ProgressLine] = ProgressLine) -> dict[str, Any]:
    """The executor options of a command line, with a progress line (*line*) unless asked for quiet."""
    jobs = args.jobs if args.jobs is not None else default_jobs()
    if jobs < 1:
        raise InputError(f"--jobs: expected a positive integer, got {jobs}")
    if jobs > MAX_JOBS:
        raise InputError(f"--jobs: {jobs} worker processes is more than the limit of {MAX_JOBS}")
    progress = None if (args.quiet or quiet) else line()
    if progress is not None:
        PROGRESS.append(progress)
    return {"jobs": jobs, "scheduler": args.scheduler, "checkpoint": args.checkpoint, "progress": progress,
            "task_seconds": args.task_seconds}


def architecture(network: Network) -> str:
    """``2 -> 8 -> 1, relu``: the widths and activations of *network*."""
    names = []
    for layer in network.layers:
        if not isinstance(layer, Affine):
            kind = layer_type(layer)
            if kind not in names:
                names.append(kind)
    return f"{' -> '.join(map(str, network.widths()))}, {', '.join(names) or 'affine'}"


def point_text(point: Sequence[Any]) -> str:
    return "(" + ", ".join(format_rational(v) for v in point) + ")"


def print_point(label: str, point: Sequence[Any], width: int, after: str = "") -> None:
    """A labelled exact point (vector), then, unless every entry is short, its rounded decimals on the
    next line, marked ``~``: ``~(0.0607143, -1)`` (:func:`polyregions.rationals.approximate_point`)."""
    print(f"{label + ':':{width}}{point_text(point)}{after}")
    approx = approximate_point(point)
    if approx is not None:
        print(f"{'':{width}}~{approx}")


def print_matrix(label: str, rows: Sequence[Sequence[Any]], width: int) -> None:
    """A labelled exact matrix ``[a, b; c, d]`` (rows ``;``-separated), then its rounded decimals as
    :func:`print_point` does."""
    print(f"{label + ':':{width}}[" + "; ".join(", ".join(format_rational(v) for v in row) for row in rows) + "]")
    if not all(is_short(v) for row in rows for v in row):
        print(f"{'':{width}}~[" + "; ".join(", ".join(approximate(v) for v in row) for row in rows) + "]")


def slice_text(args: argparse.Namespace) -> str | None:
    """The plane of a --slice view, in words, or None."""
    sliced = getattr(args, "sliced", None)
    if sliced is None:
        return None
    p0, p1, p2 = (point_text(p) for p in sliced[1])
    return (f"the plane x = P0 + s (P1 - P0) + t (P2 - P0) with P0 = {p0}, P1 = {p1}, P2 = {p2}; "
            "the domain, points and regions are in (s, t)")


def context(args: argparse.Namespace) -> list[tuple[str, str]]:
    """What every output of this command says beside its results: a --slice view, --rationalize."""
    lines = []
    plane = slice_text(args)
    if plane:
        lines.append(("slice", plane))
    if note(args):
        lines.append(("note", note(args)))
    return lines


def print_json(args: argparse.Namespace, out: dict[str, Any], seconds: float, **keys: Any) -> None:
    """A command's --json line: its result, what it ran on (*keys*), the time, slice and note."""
    out.update(keys, seconds=round(seconds, 6), **context_json(args))
    print(json.dumps(out))


def context_json(args: argparse.Namespace) -> dict[str, Any]:
    """The same as JSON keys: ``slice`` (the three points, exact strings) and ``rationalized``/``note``."""
    out: dict[str, Any] = {}
    sliced = getattr(args, "sliced", None)
    if sliced is not None:
        out["slice"] = {name: [format_rational(v) for v in point]
                        for name, point in zip(("p0", "p1", "p2"), sliced[1])}
        out["slice"]["coordinates"] = "x = p0 + s (p1 - p0) + t (p2 - p0); domain, points and regions in (s, t)"
    limit = getattr(args, "rationalize", None)
    if limit is not None:
        out.update(rationalized=limit, note=note(args))
    return out


def network_text(args: argparse.Namespace, network: Network) -> str:
    """The model and its architecture: under a --slice view the model's own, or for an ONNX or
    PyTorch model read straight onto the plane that of the network on the plane, labelled so."""
    sliced = getattr(args, "sliced", None)
    return f"{args.model} ({architecture(network) if sliced is None else sliced[0]})"


def print_header(args: argparse.Namespace, network: Network, domain: Domain | None, width: int) -> None:
    """The first lines of a command's text output: network, slice and note, domain."""
    print(f"{'network:':{width}}{network_text(args, network)}")
    for label, text in context(args):
        print(f"{label + ':':{width}}{text}")
    if domain is not None:
        print(f"{'domain:':{width}}{domain.describe()}")


def print_note(args: argparse.Namespace) -> None:
    for label, text in context(args):
        print(f"{label}: {text}")


def clear_progress() -> None:
    for line in PROGRESS:
        line.clear()
    PROGRESS.clear()


def refuse_overwriting_inputs(args: argparse.Namespace) -> None:
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
    result = getattr(args, "vnncomp", None) if args.command == "verify" else None
    for name in (output, checkpoint, plot, result):
        if name is not None:
            check_file_name(name)
    if output is not None and plot is not None and is_same_file(output, plot):
        raise InputError(f"--plot {plot}: is the -o file too; write them to two files")
    if output is not None and result is not None and is_same_file(output, result):
        raise InputError(f"--vnncomp {result}: is the -o file too; write them to two files")
    for name in inputs:
        source = getattr(args, name, None)
        if source is None:
            continue
        for out in (output, plot, result):
            if out is not None and is_same_file(out, source):
                raise InputError(f"{out}: is the input file {source}; write the output to another file")
        if checkpoint is not None and is_same_file(checkpoint, source):
            raise InputError(f"--checkpoint {checkpoint}: is the input file {source}; use another file")
    for out in (output, result):
        if out is not None and checkpoint is not None and is_same_file(out, checkpoint):
            raise InputError(f"--checkpoint {checkpoint}: is the output file; use another file")


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
    p.add_argument("--jobs", type=int_arg, metavar="N",
                   help="worker processes (default: all cores; a run that ends within a "
                        "quarter of a second never starts one); with --scheduler local, "
                        "the workers of the local cluster")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the search on a Dask cluster: the scheduler's address "
                        "(tcp://host:8786), or 'local' to start a LocalCluster")
    p.add_argument("--checkpoint", metavar="FILE",
                   help="record finished parts of the search in FILE as the run goes; "
                        "the same command with the same FILE resumes a killed run")
    p.add_argument("--task-seconds", type=seconds_arg, metavar="S",
                   help="how long a piece of the search runs before it reports back and is "
                        "written to the checkpoint (default 1 here, 2 on workers)")
    p.add_argument("--quiet", action="store_true", help="no progress line on stderr")
