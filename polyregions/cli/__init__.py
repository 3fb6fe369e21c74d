"""The command line: ``polyregions COMMAND ...``, one module per family of commands.

:data:`COMMANDS` is the table of commands: each names the module that declares its
arguments and runs it (``add_<command>`` and ``run_<command>`` there) and its one-line
summary. Only the chosen command's module is imported, so ``polyregions count`` loads
neither networkx (``graph``) nor sympy (``bounds``), and ``polyregions --help`` lists
the commands without importing any.

Bad input of any kind prints one line ``polyregions: error: ...`` and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module
from typing import Sequence

from .._version import __version__
from ..errors import InputError, PolyregionsError
from ..files import Terminated, sigterm_interrupts
from .common import Parser, clear_progress, refuse_overwriting_inputs

__all__ = ["main", "COMMANDS"]

#: command -> (module of polyregions.cli, one-line summary), in the order of --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "count": ("regions", "count activation, linear and bounded regions"),
    "regions": ("regions", "write every activation region to a JSON-lines file"),
    "graph": ("graph", "write the region adjacency graph (GraphML, GEXF or JSON)"),
    "plot": ("plot", "draw the regions of a 2-input view (or a 1-input function)"),
    "certify": ("certificates", "write a certificate of the count that 'polyregions check' verifies independently"),
    "check": ("certificates", "verify a certificate against a model with the standalone checker (fractions only)"),
    "max": ("queries", "the exact maximum (or minimum) of an output or a linear "
                       "function of the outputs, with a maximiser"),
    "verify": ("queries", "prove that no input of a domain maps into an unsafe set of "
                          "outputs, or find an exact counterexample"),
    "equiv": ("queries", "whether two networks compute the same function on a domain"),
    "boundary": ("queries", "the exact decision boundary of a classifier, as pieces"),
    "lipschitz": ("queries", "the exact Lipschitz constant for the l1 or l-infinity norm"),
    "folding": ("queries", "space folding per layer and the N_R recursion (bounded domains)"),
    "bounds": ("theory", "the counting-theory bounds for an architecture"),
    "construct": ("theory", "write one of the paper's constructions or a classical arrangement as a model file"),
    "convert": ("models", "write a model (ONNX, PyTorch, JSON) as an exact polyregions-network/1 JSON file"),
}


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is not an option)."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def _build_parser(command: str | None) -> argparse.ArgumentParser:
    """The parser: every command listed, the arguments of *command* alone declared."""
    parser = Parser(prog="polyregions", description="Exact linear regions of piecewise-linear neural networks.")
    parser.add_argument("--version", action="version", version=f"polyregions {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, (module, summary) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=summary)
        if name == command:
            add, _ = _module(name).COMMANDS[name]
            add(command_parser)
    return parser


def _module(command: str):
    return import_module(f".{COMMANDS[command][0]}", __name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 2 bad input, 1 internal error)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        command = _chosen(argv)
        args = _build_parser(command).parse_args(argv)
        if args.command is None:
            raise InputError("missing command: count, regions, graph, plot, certify, check, max, verify, "
                             "equiv, lipschitz, boundary, folding, bounds, construct or convert "
                             "(see polyregions --help)")
        refuse_overwriting_inputs(args)
        _, run = _module(args.command).COMMANDS[args.command]
        with sigterm_interrupts():  # SIGTERM (a batch scheduler's) is handled as Ctrl-C is
            return run(args)
    except PolyregionsError as exc:
        clear_progress()
        print(f"polyregions: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InputError) else 1
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        clear_progress()
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
