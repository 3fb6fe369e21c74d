"""Certificates: certify a count, check any certificate with the standalone checker.

Each command has ``add_<command>(parser)``, which declares its arguments, and
``run_<command>(args)``, which runs it and returns the exit code; :data:`COMMANDS` lists
them for the command table of :mod:`polyregions.cli`.
"""

from __future__ import annotations

import argparse
import time

from ..certificates.regions import certify, write_certificate
from ..checker.check import (MAX_CERTIFICATE_BYTES, VERIFY_FORMATS, CheckFailure, check_certificate, parse_certificate,
                             report)
from ..checker.command import OWN_PROPERTY
from ..checker.fileformat import FormatError, UnreadableFile, read_file
from ..core.domain import Domain, load_domain
from ..errors import InputError
from ..files import parse_json_exact, read_text
from ..io.models import model_kind
from ..io.vnnlib import load_property
from ..rationals import counted
from ..run.executors import MAX_JOBS
from .common import (box_value, domain_options, executor_options, int_arg, load, model_argument, print_note,
                     problem, run_options)


def add_certify(parser: argparse.ArgumentParser) -> None:
    model_argument(parser)
    domain_options(parser)
    parser.add_argument("--linear", action="store_true",
                         help="also certify the merges of activation regions into linear regions")
    parser.add_argument("-o", "--output", required=True, metavar="CERT.json",
                         help="certificate file (written atomically)")
    run_options(parser)


def run_certify(args: argparse.Namespace) -> int:
    network, domain = problem(args)
    if args.slice is not None:
        raise InputError("certify: --slice is not supported; certify the model on its own inputs")
    start = time.perf_counter()
    cert = certify(network, domain, linear=args.linear, **executor_options(args))
    write_certificate(cert, args.output)
    seconds = time.perf_counter() - start
    counts = ", ".join(counted(v, k.replace("_", " ")[:-1]) for k, v in cert["counts"].items())
    print(f"wrote a certificate of {counts} ({counted(len(cert['pruned']), 'pruned branch')}) "
          f"to {args.output} in {seconds:.3f} s")
    print_note(args)
    return 0


def add_check(parser: argparse.ArgumentParser) -> None:
    parser.description = ('Verify a certificate with the standalone checker. The count must be about the domain '
                          'given here '
                       '(--box, --domain, or nothing for all of R^n0): a certificate about another domain is INVALID.')
    parser.add_argument("certificate", metavar="CERT.json")
    model_argument(parser)
    expected = parser.add_mutually_exclusive_group()
    expected.add_argument("--box", nargs=2, metavar=("LO", "HI"),
                          help="the domain the count must be about: the box LO <= x_i <= HI")
    expected.add_argument("--domain", metavar="FILE",
                          help='the domain the count must be about: {"A": [[...]], "b": [...]}')
    expected.add_argument("--property", metavar="FILE",
                          help="a verify certificate: the property (.vnnlib or JSON) it must be about")
    parser.add_argument("--jobs", type=int_arg, metavar="N", default=1,
                        help="worker processes for the boxes of a verify certificate by input splitting "
                             "(default 1)")


def run_check(args: argparse.Namespace) -> int:
    if not 1 <= args.jobs <= MAX_JOBS:
        raise InputError(f"--jobs: expected a positive integer up to {MAX_JOBS}, got {args.jobs}")
    network = load(args)  # bad model files are bad input (exit 2), not an invalid certificate
    n = network.input_dim
    prop = None
    if args.property is not None:
        prop = load_property(args.property, n, network.output_dim).to_json()
    if args.box is not None:
        expected = Domain.box(n, *(box_value(v, n) for v in args.box))
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
    is_verify = isinstance(cert, dict) and cert.get("format") in VERIFY_FORMATS
    if args.property is not None and not is_verify:
        raise InputError(f"--property: only for verify certificates ({', '.join(VERIFY_FORMATS)}); "
                         f"{args.certificate} is "
                         f"{'a ' + str(cert.get('format')) if isinstance(cert, dict) else 'not a'} certificate")
    if is_verify and args.box is None and args.domain is None:
        rows = None  # a property's domain is its input set: compared through --property
    start = time.perf_counter()
    try:
        counts = check_certificate(cert, model, rows, prop, jobs=args.jobs)
        seconds = time.perf_counter() - start
        lines = report(counts, cert, model, seconds)
        if is_verify and prop is None:
            lines.append(OWN_PROPERTY)
    except CheckFailure as exc:
        print(f"INVALID: {exc}")
        return 1
    print("\n".join(lines))
    print_note(args)
    return 0


#: command -> (declare its arguments, run it), for the command table of polyregions.cli.
COMMANDS = {
    "certify": (add_certify, run_certify),
    "check": (add_check, run_check),
}
