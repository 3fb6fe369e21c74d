"""The exact forward pass: outputs, activation patterns and the region at one point.

``network(x)`` (:func:`evaluate`) computes the outputs at a rational point exactly;
``network.pattern(x)`` (:func:`point_pattern`) gives the activation pattern there in
the symbols of the region patterns, and reports every unit that sits on a
breakpoint at *x*; :func:`region_containing` returns the activation region that
contains a point without enumerating the others: it cuts the domain by the
inequalities of the pattern at *x*, one unit after another, exactly as the engine
cuts a piece (one :meth:`~polyregions.geometry.polyhedron.Cell.cut` per unit, no LP).

The pattern is computed here from the weights alone, independently of the engine,
so the tests use it to check the engine's regions point by point.

Ties. A unit whose pre-activation is *identically* at a breakpoint near *x* (a ReLU
whose pre-activation is the zero function there, a hardtanh stuck at ``min``, maxout
candidates that are the same affine function) is no tie: the regions have the states
``0``, ``l``, ``h`` or the smallest index for it too. A tie is a unit whose
pre-activation crosses a breakpoint at *x*: then *x* lies on the common boundary of
several activation regions. Each tie names the states the unit takes around *x*.
After a first tie the pattern of the later units is the one with the tied units in
their breakpoint state (``0``, ``l``, ``h``, the smallest tied index), which is one
of several possibilities; ties of later units are reported with that choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol, Sequence

from ..errors import InputError, NumberError
from ..rationals import counted, format_rational, to_rational
from .layers import Abs, Affine, HardTanh, Identity, Layer, LeakyReLU, Maxout, ReLU
from .maps import pattern_key
from .sparse import SparseRows


class NetworkLike(Protocol):
    """What the forward pass reads of a network (:class:`polyregions.core.network.Network`,
    which imports this module for ``net(x)`` and ``net.pattern(x)``)."""

    @property
    def input_dim(self) -> int: ...

    @property
    def layers(self) -> tuple[Layer, ...]: ...

__all__ = ["Tie", "PointPattern", "evaluate", "point_pattern", "exact_point", "walk_units", "shown_point"]

#: An affine function of the input: coefficients, then the constant.
_Row = tuple[Fraction, ...]


@dataclass(frozen=True, slots=True)
class Tie:
    """A unit on a breakpoint at a point.

    Attributes
    ----------
    layer
        The activation layer's number: 1 for the first activation layer (affine
        layers are not counted), as everywhere in polyregions' output.
    unit
        The unit's place in that layer, from 0 (for maxout, of the maxout unit).
    index
        The activation layer's place in the model file's ``layers`` list (from 0).
    states
        The states the unit takes around the point, in the region-pattern symbols
        (``('+', '-')``; hardtanh ``('L', 'M')`` or ``('M', 'H')``; maxout the tied
        candidate indices such as ``('0', '2')``).
    """

    layer: int
    unit: int
    states: tuple[str, ...]
    index: int

    def describe(self) -> str:
        """``layer 1 unit 0 (states + and -)``."""
        return f"layer {self.layer} unit {self.unit} (states {' and '.join(self.states)})"


@dataclass(frozen=True, slots=True)
class PointPattern:
    """The activation pattern at one point, with the units that sit on a breakpoint.

    Attributes
    ----------
    pattern
        One string per activation layer, as in the region patterns; a tied unit has
        its breakpoint state (``0``, ``l``, ``h``, or the smallest tied index).
    ties
        The units on a breakpoint at the point, in network order (empty when the
        point is interior to its activation region).
    output
        The network's outputs at the point (as ``network(x)``).
    """

    pattern: tuple[str, ...]
    ties: tuple[Tie, ...]
    output: tuple[Fraction, ...] = ()

    @property
    def key(self) -> str:
        """The pattern's key, e.g. ``'+-0|1'``: the region key when there is no tie."""
        return pattern_key(self.pattern)

    @property
    def is_generic(self) -> bool:
        """True when no unit sits on a breakpoint, so the point is interior to its region."""
        return not self.ties

    def __repr__(self) -> str:
        return f"PointPattern(pattern={self.key}, ties={len(self.ties)})"


def exact_point(network: NetworkLike, x: Any) -> tuple[Fraction, ...]:
    values = x.tolist() if callable(getattr(x, "tolist", None)) else x
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InputError(f"x: expected a sequence of {network.input_dim} numbers, "
                         f"got {type(x).__name__}")
    if len(values) != network.input_dim:
        raise InputError(f"x has {counted(len(values), 'coordinate')}, the network has "
                         f"{counted(network.input_dim, 'input')}")
    try:
        return tuple(to_rational(v, f"x[{i}]") for i, v in enumerate(values))
    except NumberError as exc:
        raise NumberError(str(exc)) from None


def shown_point(x: Sequence[Fraction]) -> str:
    text = ", ".join(format_rational(v) for v in x)
    return f"({text if len(text) <= 60 else text[:57] + '...'})"


def evaluate(network: NetworkLike, x: Any) -> tuple[Fraction, ...]:
    """The network's outputs at *x*, exactly (``network(x)``).

    Parameters
    ----------
    network : Network (or anything with ``input_dim`` and ``layers``)
    x : sequence of numbers
        ``input_dim`` numbers, each read by :func:`~polyregions.rationals.to_rational`
        (a float is the exact binary value it holds); NumPy arrays are accepted.

    Raises
    ------
    InputError
        When *x* has the wrong length or an entry is not a finite number.

    Examples
    --------
    >>> from polyregions import Network
    >>> net = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], ["1/3"]])   # |x| + 1/3
    >>> net(["-1/2"])
    (Fraction(5, 6),)
    >>> evaluate(net, [0.25])
    (Fraction(7, 12),)
    """
    v = list(exact_point(network, x))
    for layer in network.layers:
        if isinstance(layer, Affine):
            v = layer.times(v)
        elif isinstance(layer, ReLU):
            v = [z if z > 0 else Fraction(0) for z in v]
        elif isinstance(layer, LeakyReLU):
            v = [z if z >= 0 else layer.slope * z for z in v]
        elif isinstance(layer, Abs):
            v = [abs(z) for z in v]
        elif isinstance(layer, HardTanh):
            v = [min(max(z, layer.low), layer.high) for z in v]
        elif isinstance(layer, Maxout):
            k = layer.rank
            v = [max(v[i:i + k]) for i in range(0, len(v), k)]
    return tuple(v)


def _values_pattern(network: NetworkLike, x: tuple[Fraction, ...]
                    ) -> tuple[tuple[str, ...], bool, tuple[Fraction, ...]]:
    """The pattern at *x* from the values alone, whether no unit sits at a breakpoint, and
    the outputs.

    When no value is at a breakpoint there is no tie and this is the pattern; otherwise
    the affine functions near *x* decide (see :func:`_walk`).
    """
    v = list(x)
    pattern: list[str] = []
    clean = True
    for layer in network.layers:
        if isinstance(layer, Affine):
            v = layer.times(v)
        elif isinstance(layer, Identity):
            pattern.append("")
        elif isinstance(layer, Maxout):
            k = layer.rank
            groups = [v[i:i + k] for i in range(0, len(v), k)]
            tops = [max(g) for g in groups]
            clean = clean and all(g.count(top) == 1 for g, top in zip(groups, tops))
            pattern.append(",".join(str(g.index(top)) for g, top in zip(groups, tops)))
            v = tops
        elif isinstance(layer, HardTanh):
            lo, hi = layer.low, layer.high
            clean = clean and not any(z == lo or z == hi for z in v)
            pattern.append("".join("L" if z < lo else "l" if z == lo else "M" if z < hi
                                   else "h" if z == hi else "H" for z in v))
            v = [min(max(z, lo), hi) for z in v]
        else:
            clean = clean and all(v)
            pattern.append("".join("+" if z > 0 else "-" if z < 0 else "0" for z in v))
            if isinstance(layer, ReLU):
                v = [z if z > 0 else Fraction(0) for z in v]
            elif isinstance(layer, Abs):
                v = [abs(z) for z in v]
            else:
                v = [z if z >= 0 else layer.slope * z for z in v]
    return tuple(pattern), clean, tuple(v)


def _composed(layer: Affine, rows: list[_Row], n: int) -> list[_Row]:
    """The rows of *layer* after the affine functions *rows* of the input (n + 1 entries each)."""
    zero = Fraction(0)
    if isinstance(layer.weight, SparseRows):
        return [tuple(sum((w * rows[j][c] for j, w in terms), zero) for c in range(n))
                + (sum((w * rows[j][n] for j, w in terms), zero) + b,)
                for terms, b in zip(layer.weight.terms, layer.bias)]
    return [tuple(sum((w * r[c] for w, r in zip(wrow, rows)), zero) for c in range(n))
            + (sum((w * r[n] for w, r in zip(wrow, rows)), zero) + b,)
            for wrow, b in zip(layer.weight, layer.bias)]


def _value(row: _Row, x: Sequence[Fraction]) -> Fraction:
    return sum((c * xi for c, xi in zip(row, x)), row[-1])


def _scaled(row: _Row, factor: Fraction) -> _Row:
    return tuple(factor * c for c in row)


def walk_units(network: NetworkLike, x: tuple[Fraction, ...]
          ) -> tuple[tuple[str, ...], tuple[Tie, ...], list[tuple[int, int, str, list[_Row], _Row | None]],
                     list[_Row]]:
    """The pattern and ties at *x*, the local pieces of every unit, and the output map.

    Every unit is recorded as ``(layer, unit, state, functions, constant)``: its
    pre-activation(s) as affine functions of the input near *x* (the candidates for
    maxout) and, for hardtanh, the threshold that the state refers to.
    """
    n = len(x)
    zero: _Row = (Fraction(0),) * (n + 1)
    rows: list[_Row] = [tuple(Fraction(int(i == j)) for j in range(n)) + (Fraction(0),) for i in range(n)]
    pattern: list[str] = []
    ties: list[Tie] = []
    units: list[tuple[int, int, str, list[_Row], _Row | None]] = []
    ordinal = 0
    for index, layer in enumerate(network.layers):
        if isinstance(layer, Affine):
            rows = _composed(layer, rows, n)
            continue
        ordinal += 1
        if isinstance(layer, Identity):
            pattern.append("")
            continue
        states: list[str] = []
        out: list[_Row] = []
        if isinstance(layer, Maxout):
            k = layer.rank
            for unit in range(len(rows) // k):
                group = rows[unit * k:(unit + 1) * k]
                values = [_value(r, x) for r in group]
                top = max(values)
                # candidates that are the same function as an earlier one are that one
                best = [j for j, v in enumerate(values) if v == top and group[j] not in group[:j]]
                if len(best) > 1:
                    ties.append(Tie(ordinal, unit, tuple(map(str, best)), index))
                j = best[0]
                states.append(str(j))
                units.append((index, unit, str(j), group, None))
                out.append(group[j])
            pattern.append(",".join(states))
            rows = out
            continue
        for unit, row in enumerate(rows):
            z = _value(row, x)
            constant = not any(row[:-1])
            if isinstance(layer, HardTanh):
                lo, hi = layer.low, layer.high
                if z < lo:
                    state = "L"
                elif z == lo:
                    state = "l"
                    if not constant:
                        ties.append(Tie(ordinal, unit, ("L", "M"), index))
                elif z < hi:
                    state = "M"
                elif z == hi:
                    state = "h"
                    if not constant:
                        ties.append(Tie(ordinal, unit, ("M", "H"), index))
                else:
                    state = "H"
                if state in "Ll":
                    out.append(zero[:-1] + (lo,))
                elif state in "Hh":
                    out.append(zero[:-1] + (hi,))
                else:
                    out.append(row)
            else:
                state = "+" if z > 0 else "-" if z < 0 else "0"
                if state == "0" and not constant:
                    ties.append(Tie(ordinal, unit, ("+", "-"), index))
                if isinstance(layer, ReLU):
                    out.append(row if state == "+" else zero)
                elif isinstance(layer, Abs):
                    out.append(row if state == "+" else _scaled(row, Fraction(-1)) if state == "-" else zero)
                else:
                    out.append(row if state == "+" else _scaled(row, layer.slope) if state == "-" else zero)
            states.append(state)
            units.append((index, unit, state, [row], None))
        pattern.append("".join(states))
        rows = out
    return tuple(pattern), tuple(ties), units, rows


def point_pattern(network: NetworkLike, x: Any) -> PointPattern:
    """The activation pattern at *x* and the units on a breakpoint there (``network.pattern(x)``).

    Raises
    ------
    InputError
        When *x* has the wrong length or an entry is not a finite number.

    Examples
    --------
    >>> from polyregions import Network
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> net.pattern([1, -2]).key
    '+-'
    >>> at = net.pattern([0, 3])
    >>> at.key, at.is_generic, at.ties[0].describe(), at.output
    ('0+', False, 'layer 1 unit 0 (states + and -)', (Fraction(3, 1),))
    """
    point = exact_point(network, x)
    pattern, clean, output = _values_pattern(network, point)
    if clean:   # no value at a breakpoint: no tie (the usual case, one cheap pass)
        return PointPattern(pattern, (), output)
    pattern, ties, _, _ = walk_units(network, point)
    return PointPattern(pattern, ties, output)
