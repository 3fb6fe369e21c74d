"""Exception types of polyregions.

Every error the library raises on purpose derives from :class:`PolyregionsError`.
Each subclass also inherits the builtin that fits, so callers may catch either.
"""

from __future__ import annotations

import copy

__all__ = [
    "PolyregionsError",
    "InputError",
    "NumberError",
    "NetworkError",
    "DomainError",
    "BreakpointError",
    "UnsupportedError",
    "SolverError",
    "naming",
]


class PolyregionsError(Exception):
    """Base class of every error raised on purpose by polyregions."""


class InputError(PolyregionsError, ValueError):
    """Bad input from the user: a file, a shape, a number, an option."""


class NumberError(InputError):
    """A value that is not an exact finite rational number."""


class NetworkError(InputError):
    """A network description that is malformed or inconsistent."""


class DomainError(InputError):
    """A domain that is malformed, empty or not full-dimensional."""


class BreakpointError(InputError):
    """A point on a breakpoint where one region was asked for.

    ``ties`` holds the units on a breakpoint there (:class:`polyregions.core.forward.Tie`).
    """

    def __init__(self, message: str, ties: tuple = ()) -> None:
        super().__init__(message)
        self.ties = tuple(ties)


class UnsupportedError(PolyregionsError, NotImplementedError):
    """A request that is valid but not supported yet."""


class SolverError(PolyregionsError, RuntimeError):
    """The exact LP solver returned something it should not have."""


def naming(exc: PolyregionsError, source: str) -> PolyregionsError:
    """*exc* with its message starting with *source* (the file at fault) exactly once:
    the same type and attributes, so it can be raised in its place."""
    text = str(exc)
    if text.startswith(f"{source}: "):
        return exc
    renamed = copy.copy(exc)
    renamed.args = (f"{source}: {text}",) + exc.args[1:]
    return renamed
