"""Activation rules: what each activation family means to the search.

One rules object per family, looked up once per stage (:func:`rules_for`):

- :class:`SignRules` for relu, leaky_relu and abs: one hyperplane per unit, states
  ``+`` (pre-activation > 0), ``-`` (< 0) and ``0`` (identically zero);
- :class:`ThresholdRules` for hardtanh: two parallel hyperplanes per unit, states
  ``L``, ``M``, ``H`` (below min, between, above max) and ``l``, ``h`` (identically
  min or max);
- :class:`ArgmaxRules` for maxout: one cell per candidate of a group, the state is
  the argmax index (the smallest among candidates identical on the region);
- :class:`IdentityRules` for identity layers: no units.

A rules object owns everything that depends on the family: how a unit splits a cell
(its branches in a fixed order and their cuts), how states are written and read
back, the map after the activation, which units differ between two patterns, and
which state a unit takes just across a facet (:mod:`polyregions.search.adjacency`). The
engine, adjacency, graph, certificates and folding ask the rules instead of testing
the activation's type. The standalone checker (:mod:`polyregions.checker`) repeats
the branch rules on purpose: it must not trust this module.

Every branch of a unit has an index (its place in the family's order); a search
path is the sequence of branch indices, and the order of the indices is the order
in which the search visits the branches, so sorting paths gives the serial order.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from bisect import bisect_right
from math import lcm
from operator import mul
from typing import Any, Callable, Container, Hashable, Protocol, Sequence

from ..core.layers import Abs, Activation, HardTanh, Identity, LeakyReLU, Maxout, ReLU
from ..errors import InputError
from ..geometry import polyhedron
from ..geometry.polyhedron import Cell, Planes, dot, hyperplane_prints, oriented_key, oriented_keys, primitive
from ..rationals import reduce_rows

__all__ = ["ActivationRules", "SignRules", "ThresholdRules", "ArgmaxRules", "IdentityRules",
           "rules_for", "threshold_row", "FacetKey"]

IntRows = list[list[int]]
Vector = tuple[int, ...]


class Trace(Protocol):
    """What the rules read of one stage's work on a piece
    (:class:`polyregions.search.stages.StageTrace`, which holds the rules in turn)."""

    rows: IntRows
    den: int
    states: str
    cache: dict
    stage: Any

#: ``drop(token, piece, g, values)``: the branch *token* has no interior: no generator of
#: *piece* has ``g . (x, 1) > 0`` while the branch lies in ``{g > 0}``; *values* are
#: ``g`` at ``piece.vecs`` when the cut computed them, else None.
Drop = Callable[[str, Cell, Sequence[int], "list[int] | None"], None]


def threshold_row(row: Sequence[int], den: int, value: Fraction) -> list[int]:
    """Integer row of ``z - value`` (up to a positive factor) where ``z = row . (x, 1) / den``.

    Examples
    --------
    >>> threshold_row([2, 1], 3, Fraction(1, 2))
    [4, -1]
    """
    return ([v * value.denominator for v in row[:-1]]
            + [row[-1] * value.denominator - value.numerator * den])


def _sign_char(value: int) -> str:
    return "+" if value > 0 else "-" if value < 0 else "0"


def _negated(h: Sequence[int]) -> tuple[int, ...]:
    return tuple(-v for v in h)


def _negated_values(values: list[int] | None) -> list[int] | None:
    return None if values is None else [-v for v in values]




#: Cell.sides codes (1: the cell is on h >= 0, 2: on h <= 0, 3: constant) to a sign unit's
#: branch index and state
_SIDE_INDEX = bytes([0, 0, 1, 0] + [0] * 252)
_SIDE_STATE = bytes([0, ord("+"), ord("-"), 0] + [0] * 252)


class FacetKey(tuple):
    """The oriented key of a facet's hyperplane (a tuple, equal to it) with its
    :func:`~polyregions.geometry.polyhedron.hyperplane_prints` fingerprint, made once per
    facet (:mod:`polyregions.search.adjacency`) and read by every stage's rules."""

    print: int

    @classmethod
    def of(cls, key: tuple) -> "FacetKey":
        made = cls(key)
        made.print = hyperplane_prints([key])[0]
        return made

    @classmethod
    def with_print(cls, key: tuple, print_: int) -> "FacetKey":
        """The key with its fingerprint, already computed (``hyperplane_prints([key])[0]``)."""
        made = cls(key)
        made.print = print_
        return made


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


class ActivationRules:
    """What an activation family means to the search (see the module docstring).

    Methods that take a *plan* use what :meth:`plan` prepared once per stage and
    parent piece from the stage's pre-activations ``rows`` over ``den``: the
    hyperplanes of every unit, so that the many pieces of one stage do not repeat
    the arithmetic.
    """

    __slots__ = ()
    #: The family's name: ``"sign"``, ``"threshold"``, ``"argmax"`` or ``"identity"``.
    family = ""
    #: True when a unit with a non-constant pre-activation has exactly one row per
    #: branch, the pre-activation itself (certificates use it to skip a lookup).
    single_row = False
    #: True when the adjacency rules read the plan from the stage's cache (``"plan"``):
    #: the search puts it there (else the plan is not kept with the regions' traces).
    plan_in_cache = False

    # -- units and states -------------------------------------------------------------

    def unit_count(self, rows: Sequence[Sequence[int]]) -> int:
        """The number of units of a stage whose pre-activations are *rows*."""
        return len(rows)

    def join(self, tokens: Sequence[str]) -> str:
        """The state string of a layer from the states of its units."""
        return "".join(tokens)

    def tokens(self, states: str) -> list[str]:
        """The states of the units, read back from a layer's state string."""
        return list(states)

    def differing_units(self, first: str, second: str) -> list[int]:
        """The units (0-based) whose states differ between two state strings of this layer.

        Examples
        --------
        >>> ArgmaxRules(14).differing_units("10", "11")
        [0]
        >>> SignRules("relu").differing_units("+-+", "++-")
        [1, 2]
        """
        a, b = self.tokens(first), self.tokens(second)
        return [u for u, (x, y) in enumerate(zip(a, b)) if x != y]

    # -- splitting --------------------------------------------------------------------

    def plan(self, rows: IntRows, den: int, layer: int) -> list[Any]:
        """Per unit, what :meth:`children` and :meth:`child` need (hyperplanes, tags)."""
        raise NotImplementedError

    def children(self, cell: Cell, plan: list[Any], unit: int,
                 drop: Drop | None = None) -> list[tuple[int, str, Cell]]:
        """The full-dimensional branches of *unit* in *cell*: ``(index, state, piece)``, in order.

        *drop* is told of every branch without interior (see :data:`Drop`).
        """
        raise NotImplementedError

    def planes(self, plan: list[Any], width: int, cell: Cell | None = None) -> Planes | None:
        """The units' hyperplanes for :meth:`Cell.sides <polyregions.geometry.polyhedron.Cell.sides>`,
        or None when this family settles no unit that way. *cell* is the stage's first piece
        (the one the plan was made on), for families whose planes depend on where it lies."""
        return None

    def settled(self, plan: list[Any], start: int, sides: bytes) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """The branch indices and states of the units ``start, start + 1, ...`` in a cell
        that lies on the *sides* of their hyperplanes (codes of ``Cell.sides``), each unit
        having one branch with interior, the cell itself; they stop before the first unit
        that a cut must decide."""
        return (), ()

    def child(self, cell: Cell, plan: list[Any], unit: int, index: int) -> tuple[str, Cell]:
        """The branch *index* of *unit* alone: the same piece :meth:`children` makes.

        Raises :class:`~polyregions.errors.InputError` when that branch has no interior.
        """
        raise NotImplementedError

    def activate(self, rows: IntRows, den: int, tokens: Sequence[str]) -> tuple[IntRows, int]:
        """The map after the activation, given the state of every unit on the piece."""
        raise NotImplementedError

    # -- neighbours across a facet (polyregions.search.adjacency) ----------------------------

    def on_facet(self, trace: Trace, key: tuple) -> bool:
        """True when a unit of this stage is at a breakpoint on the hyperplane *key* and not on
        the whole piece (a ReLU's hyperplane, two candidates of a maxout that meet there)."""
        raise NotImplementedError

    def vanishing(self, trace: Trace) -> bool:
        """True when a unit of this stage is at a breakpoint on the whole piece (a ReLU
        identically zero, identical candidates of a maxout): its state across a facet changes
        only when the derivatives of an earlier stage do."""
        raise NotImplementedError

    def facet_prints(self, trace: Trace) -> Container[int] | None:
        """A set of fingerprints (:class:`FacetKey`'s ``print``) outside which :meth:`on_facet`
        is False for every facet, so that a region's many facets skip this stage with one
        lookup each; None when every facet must ask :meth:`on_facet`."""
        return None

    def flipped(self, trace: Trace, key: tuple) -> str | None:
        """The states just across a facet whose hyperplane is *key*, when this stage has
        units on it that simply change side (and no other unit can change state); None
        when there is none or the family does not say (then :meth:`crossed` decides)."""
        return None

    def crossed(self, trace: Trace, key: tuple, d: Sequence[int]) -> tuple[str, list[int]]:
        """States just across the facet with hyperplane *key*, and the derivative after the
        activation, given the derivative *d* of the pre-activations along the outward normal."""
        raise NotImplementedError

    # -- one unit at a time (a crossing that changes few derivatives: sparse layers) ------------

    def unit_of(self, row: int) -> int:
        """The unit that pre-activation row *row* belongs to."""
        return row

    def unit_rows(self, unit: int) -> range:
        """The pre-activation rows of *unit*."""
        return range(unit, unit + 1)

    def changing_units(self, trace: Trace, key: tuple, touched: set[int] | None = None) -> list[int]:
        """The units whose state :meth:`crossed` decides by the derivative (the others keep theirs).

        With *touched* (the units whose derivatives differ across the facet from this side's),
        a unit that is at a breakpoint on the whole piece (a ReLU identically zero, a window
        of identical candidates) is listed only if touched: otherwise its derivatives are
        those of this side, and so is its state.
        """
        raise NotImplementedError

    def unit_across(self, trace: Trace, unit: int, key: tuple, d: Sequence[Any]) -> str:
        """The state of one of :meth:`changing_units` just across the facet, given the derivatives
        *d* of its rows (:meth:`unit_rows`) there; as :meth:`crossed` decides it."""
        raise NotImplementedError

    def unit_derivative(self, state: str, d: Sequence[Any]) -> Any:
        """The derivative of the unit's output in *state*, given the derivatives *d* of its rows
        (true values, not scaled as :meth:`crossed` scales them)."""
        raise NotImplementedError

    def crossed_states(self, trace: Trace, key: tuple, direction: Sequence[int]) -> str:
        """The states of :meth:`crossed` alone, for the outward normal *direction* (when no
        later stage needs the derivatives)."""
        return self.crossed(trace, key, [dot(row[:-1], direction) for row in trace.rows])[0]

    # -- certificates (polyregions.certificates.regions) -------------------------------------------

    def checker_layer(self) -> tuple:
        """The activation in the standalone checker's layer tuple form."""
        raise NotImplementedError

    def branch_tags(self, step: Trace, unit: int, token: str) -> list[Hashable]:
        """The engine's tags of the rows of *unit* in state *token*, in the checker's order."""
        raise NotImplementedError

    def unit_functions(self, rows: Sequence[Sequence[int]], unit: int) -> list[list[int]]:
        """The pre-activation rows that belong to *unit*."""
        return [list(rows[unit])]


def _unexpected(index: int, unit: int) -> InputError:
    return InputError(f"branch {index} of unit {unit} has no interior here")


@dataclass(frozen=True, slots=True)
class SignRules(ActivationRules):
    """relu, leaky_relu and abs: one hyperplane per unit; branches ``+`` (0) then ``-`` (1)."""

    kind: str
    slope: Fraction | None = None
    family = "sign"
    single_row = True

    def plan(self, rows: IntRows, den: int, layer: int) -> list[Any]:
        # a unit's row is made primitive when it first cuts (_hyperplane): most never do
        return [(None, _sign_char(row[-1])) if not any(row[:-1]) else (row, (layer, unit))
                for unit, row in enumerate(rows)]

    @staticmethod
    def _hyperplane(plan: list[Any], unit: int) -> tuple[Vector | None, Any]:
        h, tag = entry = plan[unit]
        if type(h) is list:
            entry = plan[unit] = (primitive(h), tag)
        return entry

    def children(self, cell: Cell, plan: list[Any], unit: int,
                 drop: Drop | None = None) -> list[tuple[int, str, Cell]]:
        h, tag = self._hyperplane(plan, unit)
        if h is None:
            return [(0, tag, cell)]
        pos, neg, values = cell.cut(h, tag)
        out = []
        if pos is not None:
            out.append((0, "+", pos))
        elif drop is not None:
            drop("+", cell, h, values)
        if neg is not None:
            out.append((1, "-", neg))
        elif drop is not None:
            drop("-", cell, _negated(h), _negated_values(values))
        return out

    def planes(self, plan: list[Any], width: int, cell: Cell | None = None) -> Planes | None:
        return Planes([h for h, _ in plan], width)

    def settled(self, plan: list[Any], start: int, sides: bytes) -> tuple[tuple[int, ...], tuple[str, ...]]:
        # as children: the cell itself is the one piece, "+" (0) or "-" (1); a constant unit's
        # state (side 3) is its tag; side 0 (vanishing on a full-dimensional cell) is left to a cut
        end = sides.find(0)
        if end >= 0:
            sides = sides[:end]
        indices = tuple(sides.translate(_SIDE_INDEX))
        if 3 not in sides:
            return indices, tuple(sides.translate(_SIDE_STATE).decode())
        return indices, tuple(plan[start + k][1] if side == 3 else "+" if side == 1 else "-"
                              for k, side in enumerate(sides))

    def child(self, cell: Cell, plan: list[Any], unit: int, index: int) -> tuple[str, Cell]:
        h, tag = self._hyperplane(plan, unit)
        if h is None:
            if index != 0:
                raise _unexpected(index, unit)
            return tag, cell
        if index not in (0, 1):
            raise _unexpected(index, unit)
        piece = cell.cut(h, tag, want=1 if index == 0 else 2)[index]
        if piece is None:
            raise _unexpected(index, unit)
        return "+-"[index], piece

    def activate(self, rows: IntRows, den: int, tokens: Sequence[str]) -> tuple[IntRows, int]:
        zero = [0] * len(rows[0])
        if self.kind == "relu":
            return [row if s == "+" else zero for row, s in zip(rows, tokens)], den
        if self.kind == "abs":
            return [row if s == "+" else [-v for v in row] if s == "-" else zero
                    for row, s in zip(rows, tokens)], den
        assert self.slope is not None
        p, q = self.slope.numerator, self.slope.denominator
        out = [[v * q for v in row] if s == "+" else [v * p for v in row] if s == "-" else zero
               for row, s in zip(rows, tokens)]
        return reduce_rows(out, den * q)

    def _on_hyperplane(self, trace: Trace, key: tuple) -> list[int]:
        """The units whose hyperplane is *key* (an oriented key), exactly.

        Their rows' fingerprints (:func:`~polyregions.geometry.polyhedron.hyperplane_prints`,
        once per stage and piece) pick the candidates, an exact key comparison decides; the
        last answer is kept (a facet asks ``ambiguous`` and then ``crossed`` of one stage).
        """
        cache = trace.cache
        last = cache.get("on")
        if last is not None and last[0] == key:
            return last[1]
        prints = self._prints(trace)
        rows = trace.rows
        fp = key.print if type(key) is FacetKey else hyperplane_prints([key])[0]
        candidates = range(len(rows)) if fp == -1 else prints.get(fp, []) + prints.get(-1, [])
        keys = cache.get("keys")
        if keys is None:
            keys = cache["keys"] = oriented_keys(rows)
        units = [u for u in candidates if keys[u] == key]
        cache["on"] = (key, units)
        return units

    def facet_prints(self, trace: Trace) -> Container[int] | None:
        prints = self._prints(trace)
        return None if -1 in prints else prints

    def _prints(self, trace: Trace) -> dict[int, list[int]]:
        """The units by the fingerprint of their hyperplane (once per stage and piece)."""
        prints = trace.cache.get("prints")
        if prints is None:
            prints = {}
            for u, fp in enumerate(hyperplane_prints(trace.rows)):
                prints.setdefault(fp, []).append(u)
            trace.cache["prints"] = prints
        return prints

    def flipped(self, trace: Trace, key: tuple) -> str | None:
        # a unit whose hyperplane is a facet is nonzero inside the piece, so it changes sign
        # across the facet; only units identically zero could do otherwise (not asked then)
        states = trace.states
        if "0" in states:
            return None
        units = self._on_hyperplane(trace, key)
        if not units:
            return None
        out = list(states)
        for u in units:
            out[u] = "-" if out[u] == "+" else "+"
        return "".join(out)

    def vanishing(self, trace: Trace) -> bool:
        return "0" in trace.states

    def on_facet(self, trace: Trace, key: tuple) -> bool:
        prints = trace.cache.get("prints")
        if prints is not None and type(key) is FacetKey and key.print != -1 and key.print not in prints \
                and -1 not in prints:
            return False  # the usual answer, without a list
        return bool(self._on_hyperplane(trace, key))

    def crossed(self, trace: Trace, key: tuple, d: Sequence[int]) -> tuple[str, list[int]]:
        states = trace.states
        units = self._on_hyperplane(trace, key)
        if "0" in states:
            units = units + [u for u, s in enumerate(states) if s == "0"]
        if units:  # only the units on the facet's hyperplane and those identically zero change
            out = list(states)
            for u in units:
                out[u] = _sign_char(d[u])
            text = "".join(out)
        else:
            text = states
        return text, self._post(text, d)

    def changing_units(self, trace: Trace, key: tuple, touched: set[int] | None = None) -> list[int]:
        units = self._on_hyperplane(trace, key)
        states = trace.states
        if "0" in states:
            candidates = range(len(states)) if touched is None else sorted(touched)
            units = units + [u for u in candidates if states[u] == "0"]
        return units

    def unit_across(self, trace: Trace, unit: int, key: tuple, d: Sequence[Any]) -> str:
        return _sign_char(d[0])

    def unit_derivative(self, state: str, d: Sequence[Any]) -> Any:
        if state == "+":
            return d[0]
        if state == "-":
            return -d[0] if self.kind == "abs" else self.slope * d[0] if self.kind == "leaky_relu" else 0
        return 0

    def _post(self, text: str, d: Sequence[int]) -> list[int]:
        if self.kind == "relu":
            return [dv if s == "+" else 0 for s, dv in zip(text, d)]
        if self.kind == "abs":
            return [dv if s == "+" else -dv if s == "-" else 0 for s, dv in zip(text, d)]
        assert self.slope is not None
        p, q = self.slope.numerator, self.slope.denominator
        return [dv * q if s == "+" else dv * p if s == "-" else 0 for s, dv in zip(text, d)]

    def crossed_states(self, trace: Trace, key: tuple, direction: Sequence[int]) -> str:
        # only the units on the facet's hyperplane and those identically zero can change
        states = trace.states
        units = self._on_hyperplane(trace, key)
        if "0" in states:
            units = units + [u for u, s in enumerate(states) if s == "0"]
        if not units:
            return states
        out = list(states)
        rows = trace.rows
        for u in units:
            out[u] = _sign_char(dot(rows[u][:-1], direction))
        return "".join(out)

    def checker_layer(self) -> tuple:
        return (self.kind, self.slope) if self.kind == "leaky_relu" else (self.kind,)

    def branch_tags(self, step: Trace, unit: int, token: str) -> list[Hashable]:
        if not any(step.rows[unit][:-1]):
            return []
        return [(step.stage.layer, unit)]


@dataclass(frozen=True, slots=True)
class ThresholdRules(ActivationRules):
    """hardtanh: hyperplanes ``z = min`` and ``z = max``; branches ``L`` (0), ``M`` (1), ``H`` (2)."""

    low: Fraction
    high: Fraction
    family = "threshold"

    def _const_char(self, z: Fraction) -> str:
        low, high = self.low, self.high
        return "L" if z < low else "l" if z == low else "M" if z < high else "h" if z == high else "H"

    def plan(self, rows: IntRows, den: int, layer: int) -> list[Any]:
        out: list[Any] = []
        for unit, row in enumerate(rows):
            if not any(row[:-1]):
                out.append((None, self._const_char(Fraction(row[-1], den))))
            else:
                out.append((primitive(threshold_row(row, den, self.low)),
                            primitive(threshold_row(row, den, self.high)),
                            (layer, unit, "min"), (layer, unit, "max")))
        return out

    def children(self, cell: Cell, plan: list[Any], unit: int,
                 drop: Drop | None = None) -> list[tuple[int, str, Cell]]:
        entry = plan[unit]
        if entry[0] is None:
            return [(0, entry[1], cell)]
        h_low, h_high, tag_low, tag_high = entry
        out = []
        above, below, low_values = cell.cut(h_low, tag_low)
        if below is not None:
            out.append((0, "L", below))
        elif drop is not None:
            drop("L", cell, _negated(h_low), _negated_values(low_values))
        if above is not None:
            top, middle, high_values = above.cut(h_high, tag_high)
            if middle is not None:
                out.append((1, "M", middle))
            elif drop is not None:
                drop("M", above, _negated(h_high), _negated_values(high_values))
            if top is not None:
                out.append((2, "H", top))
            elif drop is not None:
                drop("H", cell, h_high, None)  # nothing of the cell is above max: see above
        elif drop is not None:
            drop("M", cell, h_low, low_values)
            drop("H", cell, h_high, None)
        return out

    def child(self, cell: Cell, plan: list[Any], unit: int, index: int) -> tuple[str, Cell]:
        entry = plan[unit]
        if entry[0] is None:
            if index != 0:
                raise _unexpected(index, unit)
            return entry[1], cell
        h_low, h_high, tag_low, tag_high = entry
        piece: Cell | None
        if index == 0:
            piece = cell.cut(h_low, tag_low, want=2)[1]
        elif index in (1, 2):
            piece = cell.cut(h_low, tag_low, want=1)[0]
            if piece is not None:
                piece = piece.cut(h_high, tag_high, want=2 if index == 1 else 1)[2 - index]
        else:
            raise _unexpected(index, unit)
        if piece is None:
            raise _unexpected(index, unit)
        return "LMH"[index], piece

    def activate(self, rows: IntRows, den: int, tokens: Sequence[str]) -> tuple[IntRows, int]:
        width = len(rows[0])
        scale = lcm(self.low.denominator, self.high.denominator)
        const_low = [0] * (width - 1) + [int(self.low * scale) * den]
        const_high = [0] * (width - 1) + [int(self.high * scale) * den]
        out = []
        for row, s in zip(rows, tokens):
            if s in "Ll":
                out.append(const_low)
            elif s in "Hh":
                out.append(const_high)
            else:
                out.append([v * scale for v in row])
        return reduce_rows(out, den * scale)

    def _keys(self, trace: Trace) -> list:
        keys = trace.cache.get("keys")
        if keys is None:
            den = trace.den
            keys = trace.cache["keys"] = [
                (oriented_key(threshold_row(row, den, self.low)), oriented_key(threshold_row(row, den, self.high)))
                for row in trace.rows]
            trace.cache["keyset"] = {k for pair in keys for k in pair}
        return keys

    def on_facet(self, trace: Trace, key: tuple) -> bool:
        self._keys(trace)
        return key in trace.cache["keyset"]

    def vanishing(self, trace: Trace) -> bool:
        return "l" in trace.states or "h" in trace.states

    def crossed(self, trace: Trace, key: tuple, d: Sequence[int]) -> tuple[str, list[int]]:
        out = []
        for s, (k_lo, k_hi), dv in zip(trace.states, self._keys(trace), d):
            sg = _sign(dv)
            if s == "l" or (s in "LM" and k_lo == key):
                s = "L" if sg < 0 else "M" if sg > 0 else "l"
            elif s == "h" or (s in "MH" and k_hi == key):
                s = "M" if sg < 0 else "H" if sg > 0 else "h"
            out.append(s)
        text = "".join(out)
        return text, [dv if s == "M" else 0 for s, dv in zip(text, d)]

    def changing_units(self, trace: Trace, key: tuple, touched: set[int] | None = None) -> list[int]:
        return [u for u, (s, (k_lo, k_hi)) in enumerate(zip(trace.states, self._keys(trace)))
                if (s in "lh" and (touched is None or u in touched))
                or (s in "LM" and k_lo == key) or (s in "MH" and k_hi == key)]

    def unit_across(self, trace: Trace, unit: int, key: tuple, d: Sequence[Any]) -> str:
        s, (k_lo, _) = trace.states[unit], self._keys(trace)[unit]
        sg = _sign(d[0])
        if s == "l" or (s in "LM" and k_lo == key):
            return "L" if sg < 0 else "M" if sg > 0 else "l"
        return "M" if sg < 0 else "H" if sg > 0 else "h"

    def unit_derivative(self, state: str, d: Sequence[Any]) -> Any:
        return d[0] if state == "M" else 0

    def checker_layer(self) -> tuple:
        return ("hardtanh", self.low, self.high)

    def branch_tags(self, step: Trace, unit: int, token: str) -> list[Hashable]:
        if not any(step.rows[unit][:-1]):
            return []
        layer = step.stage.layer
        return {"L": [(layer, unit, "min")], "M": [(layer, unit, "min"), (layer, unit, "max")],
                "H": [(layer, unit, "max")]}.get(token, [])


@dataclass(frozen=True, slots=True)
class ArgmaxRules(ActivationRules):
    """maxout of rank k: candidate j of a group wins where ``f_j > f_i`` for every different ``f_i``.

    The branch index is the candidate's index; a candidate identical to an earlier one
    has no branch (the smaller index stands for both).
    """

    rank: int
    family = "argmax"
    plan_in_cache = True  # the tie tables start from the planes' winners and differences

    def unit_count(self, rows: Sequence[Sequence[int]]) -> int:
        return len(rows) // self.rank

    def join(self, tokens: Sequence[str]) -> str:
        return ",".join(tokens)

    def tokens(self, states: str) -> list[str]:
        return states.split(",") if states else []

    def unit_functions(self, rows: Sequence[Sequence[int]], unit: int) -> list[list[int]]:
        k = self.rank
        return [list(r) for r in rows[unit * k:(unit + 1) * k]]

    def plan(self, rows: IntRows, den: int, layer: int) -> "_ArgmaxPlan":
        return _ArgmaxPlan(rows, self.rank, layer)

    @staticmethod
    def _cuts(plan: list[Any], unit: int, j: int) -> list[tuple[Vector, Any]]:
        cuts = plan[unit][j]
        if cuts and type(cuts[0][0]) is list:
            cuts = plan[unit][j] = [(primitive(h), tag) for h, tag in cuts]
        return cuts

    def planes(self, plan: list[Any], width: int, cell: Cell | None = None) -> Planes | None:
        # per unit, the differences of one candidate (the winner at a point inside the stage's
        # first piece) from the other distinct ones; starts[u]: the first plane of unit u
        assert isinstance(plan, _ArgmaxPlan)
        return plan.planes(width, cell)

    def settled(self, plan: list[Any], start: int, sides: bytes) -> tuple[tuple[int, ...], tuple[str, ...]]:
        # a unit is settled when its candidate of the planes is above every other on the whole
        # cell (all its differences on side 1): the cell is then that candidate's one piece, as
        # in children. A unit whose winner on this piece is another candidate is left to a cut.
        assert isinstance(plan, _ArgmaxPlan) and plan.starts is not None
        starts = plan.starts
        base = starts[start]
        bad = len(sides)
        for code in (0, 2, 3):
            at = sides.find(code)
            if 0 <= at < bad:
                bad = at
        stop = bisect_right(starts, base + bad, lo=start) - 1  # the unit holding the first plane not on side 1
        if base + bad == starts[-1]:  # every plane on side 1 (or none left)
            stop = len(starts) - 1
        return tuple(plan.winners[start:stop]), tuple(plan.tokens[start:stop])

    def children(self, cell: Cell, plan: list[Any], unit: int,
                 drop: Drop | None = None) -> list[tuple[int, str, Cell]]:
        out = []
        for j in plan[unit]:
            piece: Cell | None = cell
            for h, tag in self._cuts(plan, unit, j):
                before = piece
                piece, _, values = piece.cut(h, tag, want=1)
                if piece is None:
                    if drop is not None:
                        drop(str(j), before, h, values)
                    break
            if piece is not None:
                out.append((j, str(j), piece))
        return out

    def child(self, cell: Cell, plan: list[Any], unit: int, index: int) -> tuple[str, Cell]:
        if index not in plan[unit]:
            raise _unexpected(index, unit)
        piece: Cell | None = cell
        for h, tag in self._cuts(plan, unit, index):
            piece = piece.cut(h, tag, want=1)[0]
            if piece is None:
                raise _unexpected(index, unit)
        return str(index), piece

    def activate(self, rows: IntRows, den: int, tokens: Sequence[str]) -> tuple[IntRows, int]:
        k = self.rank
        return [rows[u * k + int(j)] for u, j in enumerate(tokens)], den

    def _tie_table(self, trace: Trace) -> list[Any]:
        """``[winners, same, ties]`` of the trace's states: each unit's winner, the candidates
        identical to it (on the whole piece, by unit), and the :class:`_Ties` for
        :meth:`_tied_on`. Computed once per states (the cache is shared by the pieces of one
        parent): in full for the first states, then for the units whose winner differs."""
        cache = trace.cache
        table = cache.get(("ties", trace.states))
        if table is None:
            winners = [int(j) for j in self.tokens(trace.states)]
            first = cache.get("ties")
            if first is None:
                plan = cache.get("plan")
                if isinstance(plan, _ArgmaxPlan) and plan.ties is not None:
                    plan_winners, same, starts, planes = plan.ties
                    first = _Ties(plan_winners, same, planes, starts=starts)
                else:
                    first = _Ties.of_units(self.rank, trace.rows, winners, range(len(winners)))
                cache["ties"] = first
            changed = [u for u, (a, b) in enumerate(zip(winners, first.winners)) if a != b]
            ties = _Ties.of_units(self.rank, trace.rows, winners, changed, first) if changed else first
            table = cache[("ties", trace.states)] = [winners, ties.same, ties]
        return table

    def _tied_on(self, trace: Trace, key: tuple) -> dict[int, list[int]]:
        """The candidates that equal their unit's winner on the hyperplane *key* (not on the
        whole piece), by unit: fingerprints pick them, an exact key comparison decides."""
        return self._tie_table(trace)[2].tied_on(key)

    def on_facet(self, trace: Trace, key: tuple) -> bool:
        return bool(self._tied_on(trace, key))

    def vanishing(self, trace: Trace) -> bool:
        return bool(self._tie_table(trace)[1])

    def crossed(self, trace: Trace, key: tuple, d: Sequence[int]) -> tuple[str, list[int]]:
        k = self.rank
        chosen = list(self._tie_table(trace)[0])
        for u in self.changing_units(trace, key):  # only units with a candidate tied to the winner on the facet
            chosen[u] = int(self.unit_across(trace, u, key, d[u * k:(u + 1) * k]))
        return ",".join(map(str, chosen)), [d[u * k + j] for u, j in enumerate(chosen)]

    def unit_of(self, row: int) -> int:
        return row // self.rank

    def unit_rows(self, unit: int) -> range:
        return range(unit * self.rank, (unit + 1) * self.rank)

    def changing_units(self, trace: Trace, key: tuple, touched: set[int] | None = None) -> list[int]:
        same = self._tie_table(trace)[1]
        units = set(same) if touched is None else {u for u in touched if u in same}
        return list(units.union(self._tied_on(trace, key)))

    def unit_across(self, trace: Trace, unit: int, key: tuple, d: Sequence[Any]) -> str:
        winners, same = self._tie_table(trace)[:2]
        j = winners[unit]
        ties = sorted(same.get(unit, []) + self._tied_on(trace, key).get(unit, []))
        if len(ties) == self.rank - 1:  # every candidate tied (e.g. a pooling window of dead units)
            return str(list(d).index(max(d)))  # the first of the largest
        best = max(d[i] for i in ties + [j])
        return str(min(i for i in ties + [j] if d[i] == best))

    def unit_derivative(self, state: str, d: Sequence[Any]) -> Any:
        return d[int(state)]

    def checker_layer(self) -> tuple:
        return ("maxout", self.rank)

    def branch_tags(self, step: Trace, unit: int, token: str) -> list[Hashable]:
        k = self.rank
        group = step.rows[unit * k:(unit + 1) * k]
        j = int(token)
        return [(step.stage.layer, unit, j, i) for i, fi in enumerate(group) if fi != group[j]]


class _Ties:
    """The winners' differences from the other candidates of a maxout stage's units, by the
    fingerprint of their hyperplane, and the candidates identical to each winner (``same``).

    Made in full (:meth:`of_units`, or from the planes of :class:`_ArgmaxPlan`, which hold
    the same differences for the winners at its point), or for a few *changed* units over a
    *base* of the same rows whose winners the other units share."""

    __slots__ = ("winners", "same", "_pairs", "_starts", "_differences", "_prints", "_base", "_changed", "_memo")

    def __init__(self, winners: list[int], same: dict[int, list[int]], differences: "list[list[int]] | Planes", *,
                 pairs: list[tuple[int, int]] | None = None, starts: list[int] | None = None,
                 base: "_Ties | None" = None, changed: Sequence[int] = ()) -> None:
        # each difference's (unit, candidate): listed in pairs; or, from a plan's planes, found
        # from starts (where each unit's differences begin: its candidates in order, less the
        # winner and those in same)
        assert (pairs is None) != (starts is None)
        self._changed = frozenset(changed)
        if base is not None:
            kept = {u: v for u, v in base.same.items() if u not in self._changed}
            kept.update(same)
            same = dict(sorted(kept.items()))
        self.winners = winners
        self.same = same
        self._pairs = pairs
        self._starts = starts
        self._differences: Any = differences  # a list of rows, or Planes whose rows are read on first use
        self._prints: dict[int, list[int]] | None = None  # made on first use
        self._base = base
        self._memo: dict = {}

    @classmethod
    def of_units(cls, rank: int, rows: IntRows, winners: list[int], units: Sequence[int],
                 base: "_Ties | None" = None) -> "_Ties":
        """The differences of the *units* (all, or those changed from *base*)."""
        k = rank
        same: dict[int, list[int]] = {}
        pairs: list[tuple[int, int]] = []
        differences: list[list[int]] = []
        for u in units:
            winner = winners[u]
            top = rows[u * k + winner]
            for i in range(k):
                other = rows[u * k + i]
                if i == winner:
                    continue
                if other is top or other == top:
                    same.setdefault(u, []).append(i)
                else:
                    pairs.append((u, i))
                    differences.append([a - b for a, b in zip(top, other)])
        return cls(winners, same, differences, pairs=pairs, base=base, changed=units if base is not None else ())

    def _by_print(self) -> dict[int, list[int]]:
        by_print = self._prints
        if by_print is None:
            by_print = self._prints = {}
            if isinstance(self._differences, Planes):
                self._differences = self._differences.rows
            differences = self._differences
            for n, fp in enumerate(hyperplane_prints(differences) if differences else []):
                by_print.setdefault(fp, []).append(n)
        return by_print

    def _own(self, key: tuple) -> dict[int, list[int]]:
        fp = key.print if type(key) is FacetKey else -1
        by_print = self._by_print()
        differences = self._differences
        candidates = range(len(differences)) if fp == -1 else sorted(by_print.get(fp, []) + by_print.get(-1, []))
        found: dict[int, list[int]] = {}
        for n in candidates:
            if oriented_key(differences[n]) == key:
                u, i = self._pair(n)
                found.setdefault(u, []).append(i)
        return found

    def _pair(self, n: int) -> tuple[int, int]:
        """The unit and the candidate of difference *n*."""
        starts = self._starts
        if starts is None:
            assert self._pairs is not None
            return self._pairs[n]
        u = bisect_right(starts, n) - 1  # starts[u] <= n < starts[u + 1]
        w, same = self.winners[u], self.same.get(u, ())
        rank = starts[u + 1] - starts[u] + 1 + len(same)  # each other candidate: a difference or in same
        return u, [i for i in range(rank) if i != w and i not in same][n - starts[u]]

    def tied_on(self, key: tuple) -> dict[int, list[int]]:
        found = self._memo.get(key)
        if found is None:
            found = self._own(key)
            base = self._base
            if base is not None:
                changed = self._changed
                found.update((u, i) for u, i in base.tied_on(key).items() if u not in changed)
                found = dict(sorted(found.items()))
            self._memo[key] = found
        return found


class _ArgmaxPlan:
    """:meth:`ArgmaxRules.plan`: per unit, made on first use, a dict from each distinct candidate
    (the index of its first occurrence) to its cuts, the differences from the other distinct
    candidates with their tags; and, once :meth:`planes` is made, each unit's candidate whose
    differences the planes hold (``winners``, ``tokens``) and where they begin (``starts``)."""

    __slots__ = ("rows", "rank", "layer", "_units", "winners", "tokens", "starts", "ties")

    def __init__(self, rows: IntRows, rank: int, layer: int) -> None:
        self.rows = rows
        self.rank = rank
        self.layer = layer
        self._units: list[dict | None] = [None] * (len(rows) // rank)
        self.winners: list[int] = []
        self.tokens: list[str] = []
        self.starts: list[int] | None = None
        #: (winners, same, starts, planes): what :class:`_Ties` reads, once the planes are made
        self.ties: tuple | None = None

    def __len__(self) -> int:
        return len(self._units)

    def __getitem__(self, unit: int) -> dict:
        made = self._units[unit]
        if made is None:
            k, layer = self.rank, self.layer
            group = self.rows[unit * k:(unit + 1) * k]
            distinct = self._distinct(group)
            # Candidate j against each distinct other function once: a second candidate equal to
            # one already cut leaves the piece as it is (it lies on that side already). The rows
            # are made primitive when they first cut (ArgmaxRules._cuts).
            made = self._units[unit] = {j: [([a - b for a, b in zip(group[j], group[i])], (layer, unit, j, i))
                                             for i in distinct if i != j] for j in distinct}
        return made

    @staticmethod
    def _distinct(group: Sequence[Sequence[int]]) -> list[int]:
        first: dict = {}  # each distinct function: the index of its first candidate
        for i, row in enumerate(group):
            first.setdefault(tuple(row), i)
        return list(first.values())

    def planes(self, width: int, cell: Cell | None) -> Planes | None:
        """Each unit's differences of its winner at a point inside *cell* (a positive
        combination of all its generators: inside the cell also when the cell has lines)
        from its other distinct candidates."""
        if cell is None:
            return None
        point = [sum(column) for column in zip(*cell.vecs)]
        if not point or point[-1] <= 0:
            return None
        k = self.rank
        all_rows = self.rows
        kernel = polyhedron._kernel
        if kernel is not None and width == len(point):
            winners, starts, exact, image = kernel.argmax_planes(all_rows, k, tuple(point))
            planes = Planes.packed(exact, image, starts[-1], width, starts)
            self._keep(winners, starts, planes)
            return planes
        values = [sum(map(mul, row, point)) for row in all_rows]
        rows: list = []
        starts = []
        winners = []
        for at in range(0, len(all_rows) - k + 1, k):
            group = values[at:at + k]
            w = group.index(max(group))  # the first of the largest (a first occurrence); any choice is correct
            starts.append(len(rows))
            winners.append(w)
            top = all_rows[at + w]
            # the differences from the other candidates, none identical to the winner (a
            # candidate repeated adds the same plane again, which settles the same way)
            rows.extend([a - b for a, b in zip(top, other)] for other in all_rows[at:at + k]
                        if other is not top and other != top)
        starts.append(len(rows))
        planes = Planes(rows, width, starts)
        self._keep(winners, starts, planes)
        return planes

    def _keep(self, winners: list[int], starts: list[int], planes: Planes) -> None:
        """Keep the winners and where their units' planes start (for settled), and what
        :class:`_Ties` reads: the candidates identical to the winner (where a unit has fewer
        than k - 1 planes) and the planes' rows (read only when the adjacency asks)."""
        k, all_rows = self.rank, self.rows
        same = {u: [i for i in range(k) if i != w and all_rows[u * k + i] == all_rows[u * k + w]]
                for u, w in enumerate(winners) if starts[u + 1] - starts[u] < k - 1}
        self.winners, self.tokens, self.starts = winners, [str(w) for w in winners], starts
        self.ties = (winners, same, starts, planes)


@dataclass(frozen=True, slots=True)
class IdentityRules(ActivationRules):
    """identity: no units, no branches; its state string is empty."""

    family = "identity"

    def unit_count(self, rows: Sequence[Sequence[int]]) -> int:
        return 0

    def tokens(self, states: str) -> list[str]:
        return []

    def plan(self, rows: IntRows, den: int, layer: int) -> list[Any]:
        return []

    def activate(self, rows: IntRows, den: int, tokens: Sequence[str]) -> tuple[IntRows, int]:
        return rows, den

    def on_facet(self, trace: Trace, key: tuple) -> bool:
        return False

    def vanishing(self, trace: Trace) -> bool:
        return False

    def crossed(self, trace: Trace, key: tuple, d: Sequence[int]) -> tuple[str, list[int]]:
        return trace.states, list(d)

    def changing_units(self, trace: Trace, key: tuple, touched: set[int] | None = None) -> list[int]:
        return []

    def checker_layer(self) -> tuple:
        return ("identity",)

    def branch_tags(self, step: Trace, unit: int, token: str) -> list[Hashable]:
        return []


def rules_for(activation: Activation) -> ActivationRules:
    """The rules object of an activation layer.

    Examples
    --------
    >>> rules_for(Maxout(3))
    ArgmaxRules(rank=3)
    >>> rules_for(LeakyReLU(Fraction(1, 5))).family
    'sign'
    """
    if isinstance(activation, ReLU):
        return SignRules("relu")
    if isinstance(activation, Abs):
        return SignRules("abs")
    if isinstance(activation, LeakyReLU):
        return SignRules("leaky_relu", activation.slope)
    if isinstance(activation, HardTanh):
        return ThresholdRules(activation.low, activation.high)
    if isinstance(activation, Maxout):
        return ArgmaxRules(activation.rank)
    if isinstance(activation, Identity):
        return IdentityRules()
    raise InputError(f"unsupported activation {activation!r}")
