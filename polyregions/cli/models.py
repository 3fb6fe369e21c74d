"""Models: convert any model to the exact JSON form.

Each command has ``add_<command>(parser)``, which declares its arguments, and
``run_<command>(args)``, which runs it and returns the exit code; :data:`COMMANDS` lists
them for the command table of :mod:`polyregions.cli`.
"""

from __future__ import annotations

import argparse

from ..errors import InputError
from ..io.models import model_kind_of_name, save_model
from .common import architecture, load, model_argument, note, print_note


def add_convert(parser: argparse.ArgumentParser) -> None:
    model_argument(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE.json",
                         help="model file to write (atomically)")


def run_convert(args: argparse.Namespace) -> int:
    if model_kind_of_name(args.output) not in (None, "json"):
        raise InputError(f"-o {args.output}: convert writes polyregions JSON (polyregions-network/1); "
                         "name the output .json")
    network = load(args)
    description = f"converted by polyregions from {args.model}"
    if note(args):
        description += f"; {note(args)}"
    save_model(network, args.output, description)
    print(f"wrote {args.model} ({architecture(network)}) as exact JSON to {args.output}")
    print_note(args)
    return 0


#: command -> (declare its arguments, run it), for the command table of polyregions.cli.
COMMANDS = {
    "convert": (add_convert, run_convert),
}
