"""The splitting engine: exact activation regions, layer by layer.

The network is compiled into *stages*: an affine map (consecutive affine layers
composed exactly) followed by one activation layer. Starting from the domain, the
engine keeps, for each piece of input space, the exact affine map from the input to
the current layer's values (integer numerators over one positive denominator). At
each stage it computes every unit's pre-activation as an affine function of the
input on the piece and splits the piece by that hyperplane with one exact double
description step (:meth:`~polyregions.polyhedron.Cell.cut`). Pieces are explored
depth first, so the regions stream out and only one root-to-leaf path of pieces is
held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd, lcm
from typing import Callable, Iterator, Sequence

from .domain import Domain, check_double_description
from .errors import DomainError, InputError
from .network import (Abs, Activation, Affine, HardTanh, Identity, LeakyReLU, Maxout, Network,
                      ReLU)
from .polyhedron import Cell, primitive, whole_space
from .regions import Region

__all__ = ["Stage", "StageTrace", "compile_stages", "enumerate_regions", "initial_cell"]

IntRows = list[list[int]]


@dataclass(frozen=True, slots=True)
class Stage:
    """An exact affine map (or None) followed by an activation (or None at the end).

    The affine map is ``(weight @ v + bias) / den`` with integer ``weight`` and ``bias``.
    """

    weight: tuple[tuple[int, ...], ...] | None
    bias: tuple[int, ...] | None
    den: int
    activation: Activation | None
    layer: int  # index in Network.layers of the activation (or of the last affine layer)


@dataclass(slots=True)
class StageTrace:
    """What one stage computed on one piece: the pre-activations and the states.

    ``rows`` are the pre-activations as affine functions of the input, ``(c, c_0)``
    over the positive denominator ``den``; pieces split from one parent share them.
    """

    stage: Stage
    rows: IntRows
    den: int
    states: str
    cache: dict = field(default_factory=dict)


#: ``on_drop(trace, stage, unit, state, piece, g, values)``: the branch giving *unit*
#: of the stage the *state* has no interior. ``trace`` holds the completed stages of
#: the path, ``stage`` the current one (its ``states`` are those of the earlier
#: units), and no generator of the cell ``piece`` has ``g . (x, 1) > 0`` while the
#: branch lies in ``{g > 0}``. ``values`` are ``g`` at ``piece.vecs`` when the cut
#: computed them, else None.
DropObserver = Callable[[tuple[StageTrace, ...], StageTrace, int, str, Cell, Sequence[int],
                         "list[int] | None"], None]


def compile_stages(network: Network) -> tuple[Stage, ...]:
    """Compose consecutive affine layers and pair each with the activation after it."""
    stages: list[Stage] = []
    pending_w: list[list[Fraction]] | None = None
    pending_b: list[Fraction] | None = None
    last_affine = -1
    for index, layer in enumerate(network.layers):
        if isinstance(layer, Affine):
            w = [list(row) for row in layer.weight]
            b = list(layer.bias)
            if pending_w is not None and pending_b is not None:
                b = [sum((wi * bj for wi, bj in zip(row, pending_b)), Fraction(0)) + bi
                     for row, bi in zip(w, b)]
                w = [[sum((row[k] * pending_w[k][j] for k in range(len(row))), Fraction(0))
                      for j in range(len(pending_w[0]))] for row in w]
            pending_w, pending_b = w, b
            last_affine = index
            continue
        stages.append(_make_stage(pending_w, pending_b, layer, index))
        pending_w = pending_b = None
    if pending_w is not None:
        stages.append(_make_stage(pending_w, pending_b, None, last_affine))
    return tuple(stages)


def _make_stage(w: list[list[Fraction]] | None, b: list[Fraction] | None,
                activation: Activation | None, layer: int) -> Stage:
    if w is None or b is None:
        return Stage(None, None, 1, activation, layer)
    den = lcm(*(v.denominator for row in w for v in row), *(v.denominator for v in b))
    weight = tuple(tuple(int(v * den) for v in row) for row in w)
    bias = tuple(int(v * den) for v in b)
    return Stage(weight, bias, den, activation, layer)


def initial_cell(domain: Domain) -> Cell:
    """The domain as a cell, built by cutting all of space by each domain row."""
    check_double_description(domain)
    cell = whole_space(domain.dim)
    for i, (a, b) in enumerate(domain.rows):
        h = tuple(-v for v in a) + (b,)
        pos = cell.cut(h, ("domain", i), want=1)[0]
        if pos is None:
            raise DomainError("the domain is empty or not full-dimensional")
        cell = pos
        check_double_description(domain, len(cell.vecs))
    return cell.pruned()


def enumerate_regions(network: Network, domain: Domain | None = None,
                      on_drop: "DropObserver | None" = None) -> Iterator[Region]:
    """Yield every activation region of *network* on *domain* (default: all of R^n0).

    Each :class:`~polyregions.regions.Region` carries its pattern, an exact interior
    point, its irredundant inequalities, the exact output map and boundedness.

    on_drop
        Called for every branch of the decision tree found to have no interior (see
        :data:`DropObserver`); :mod:`polyregions.certify` uses it.

    Notes
    -----
    Depth-first over the stages; within a stage, the pieces of one parent are refined
    unit by unit. Each unit costs one integer dot product per generator of each
    piece, and a proper cut one bitmask test per pair of generators on opposite sides.
    No LP is solved and no float is used.

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]], [[0, 0, 0], [0]])
    >>> sorted(r.key for r in enumerate_regions(net))
    ['+++', '+-+', '+--', '-++', '-+-', '---']
    """
    if domain is None:
        domain = Domain.whole(network.input_dim)
    elif domain.dim != network.input_dim:
        raise InputError(f"domain has dimension {domain.dim}, the network input_dim is {network.input_dim}")
    stages = compile_stages(network)
    n = network.input_dim
    rows = [[1 if i == j else 0 for j in range(n)] + [0] for i in range(n)]
    yield from _descend(stages, 0, initial_cell(domain), rows, 1, (), on_drop)


def _descend(stages: Sequence[Stage], index: int, cell: Cell, rows: IntRows, den: int,
             trace: tuple[StageTrace, ...], on_drop: "DropObserver | None") -> Iterator[Region]:
    if index == len(stages):
        yield Region(tuple(t.states for t in trace if t.stage.activation is not None),
                     cell, rows, den, trace)
        return
    stage = stages[index]
    if stage.weight is not None:
        rows, den = _apply_affine(stage, rows, den)
    activation = stage.activation
    if activation is None:
        yield from _descend(stages, index + 1, cell, rows, den, trace, on_drop)
        return
    shared: dict = {}
    drop = None
    if on_drop is not None:
        def drop(unit: int, state: str, partial: str, piece: Cell, g: Sequence[int],
                 values: list[int] | None) -> None:
            on_drop(trace, StageTrace(stage, rows, den, partial, shared), unit, state, piece, g, values)
    for piece, states in _split(stage, cell, rows, den, drop):
        out_rows, out_den = _activate(activation, rows, den, states)
        step = StageTrace(stage, rows, den, states, shared)
        if index + 1 < len(stages):
            piece = piece.pruned()
        yield from _descend(stages, index + 1, piece, out_rows, out_den, trace + (step,), on_drop)


def _apply_affine(stage: Stage, rows: IntRows, den: int) -> tuple[IntRows, int]:
    assert stage.weight is not None and stage.bias is not None
    live = [(j, row) for j, row in enumerate(rows) if any(row)]
    width = len(rows[0]) if rows else 0
    out = []
    for wrow, b in zip(stage.weight, stage.bias):
        acc = [0] * width
        for j, row in live:
            w = wrow[j]
            if w:
                for k in range(width):
                    acc[k] += w * row[k]
        acc[-1] += b * den
        out.append(acc)
    return _reduce(out, den * stage.den)


def _reduce(rows: IntRows, den: int) -> tuple[IntRows, int]:
    g = gcd(den, *(v for row in rows for v in row))
    if g > 1:
        rows = [[v // g for v in row] for row in rows]
        den //= g
    return rows, den


def threshold_row(row: Sequence[int], den: int, value: Fraction) -> list[int]:
    """Integer row of ``z - value`` (up to a positive factor) where ``z = row . (x, 1) / den``."""
    return ([v * value.denominator for v in row[:-1]]
            + [row[-1] * value.denominator - value.numerator * den])


def _sign_char(value: int) -> str:
    return "+" if value > 0 else "-" if value < 0 else "0"


def _negated(h: Sequence[int]) -> tuple[int, ...]:
    return tuple(-v for v in h)


def _negated_values(values: list[int] | None) -> list[int] | None:
    return None if values is None else [-v for v in values]


def _split(stage: Stage, cell: Cell, rows: IntRows, den: int,
           drop: "Callable[[int, str, str, Cell, Sequence[int], list[int] | None], None] | None" = None
           ) -> list[tuple[Cell, str]]:
    """All full-dimensional pieces of *cell* with their state strings for this stage.

    *drop* is told of every branch without interior: ``drop(unit, state, partial,
    piece, g, values)`` where ``partial`` are the states of the stage's earlier units,
    no generator of ``piece`` has ``g > 0`` while the branch lies in ``{g > 0}``, and
    ``values`` are ``g`` at the generators when the cut computed them (else None).
    """
    activation = stage.activation
    layer = stage.layer
    pieces: list[tuple[Cell, str]] = [(cell, "")]
    if isinstance(activation, Identity):
        return pieces
    if isinstance(activation, (ReLU, LeakyReLU, Abs)):
        for unit, row in enumerate(rows):
            if not any(row[:-1]):
                char = _sign_char(row[-1])
                pieces = [(c, s + char) for c, s in pieces]
                continue
            h = primitive(row)
            tag = (layer, unit)
            refined = []
            for c, s in pieces:
                pos, neg, values = c.cut(h, tag)
                if pos is not None:
                    refined.append((pos, s + "+"))
                elif drop is not None:
                    drop(unit, "+", s, c, h, values)
                if neg is not None:
                    refined.append((neg, s + "-"))
                elif drop is not None:
                    drop(unit, "-", s, c, _negated(h), _negated_values(values))
            pieces = refined
        return pieces
    if isinstance(activation, HardTanh):
        low, high = activation.low, activation.high
        for unit, row in enumerate(rows):
            if not any(row[:-1]):
                z = Fraction(row[-1], den)
                char = ("L" if z < low else "l" if z == low else "M" if z < high
                        else "h" if z == high else "H")
                pieces = [(c, s + char) for c, s in pieces]
                continue
            h_low = primitive(threshold_row(row, den, low))
            h_high = primitive(threshold_row(row, den, high))
            refined = []
            for c, s in pieces:
                above, below, low_values = c.cut(h_low, (layer, unit, "min"))
                if below is not None:
                    refined.append((below, s + "L"))
                elif drop is not None:
                    drop(unit, "L", s, c, _negated(h_low), _negated_values(low_values))
                if above is not None:
                    top, middle, high_values = above.cut(h_high, (layer, unit, "max"))
                    if middle is not None:
                        refined.append((middle, s + "M"))
                    elif drop is not None:
                        drop(unit, "M", s, above, _negated(h_high), _negated_values(high_values))
                    if top is not None:
                        refined.append((top, s + "H"))
                    elif drop is not None:
                        drop(unit, "H", s, c, h_high, None)  # nothing of c is above max: see above
                elif drop is not None:
                    drop(unit, "M", s, c, h_low, low_values)
                    drop(unit, "H", s, c, h_high, None)
            pieces = refined
        return pieces
    if isinstance(activation, Maxout):
        k = activation.rank
        pieces_t: list[tuple[Cell, tuple[int, ...]]] = [(cell, ())]
        for unit in range(len(rows) // k):
            group = rows[unit * k:(unit + 1) * k]
            refined_t = []
            for c, s in pieces_t:
                for j in range(k):
                    if any(group[i] == group[j] for i in range(j)):
                        continue
                    piece: Cell | None = c
                    for i in range(k):
                        if group[i] == group[j]:
                            continue
                        h = primitive([a - b for a, b in zip(group[j], group[i])])
                        before = piece
                        piece, _, values = piece.cut(h, (layer, unit, j, i), want=1)
                        if piece is None:
                            if drop is not None:
                                drop(unit, str(j), ",".join(map(str, s)), before, h, values)
                            break
                    if piece is not None:
                        refined_t.append((piece, s + (j,)))
            pieces_t = refined_t
        return [(c, ",".join(map(str, s))) for c, s in pieces_t]
    raise InputError(f"layer {layer}: unsupported activation {activation!r}")


def maxout_states(states: str) -> list[int]:
    """The argmax indices of a maxout state string."""
    return [int(v) for v in states.split(",")] if states else []


def _activate(activation: Activation, rows: IntRows, den: int, states: str) -> tuple[IntRows, int]:
    """The map after the activation, given the states of every unit on the piece."""
    if isinstance(activation, Identity):
        return rows, den
    width = len(rows[0])
    zero = [0] * width
    if isinstance(activation, ReLU):
        return [row if s == "+" else zero for row, s in zip(rows, states)], den
    if isinstance(activation, Abs):
        return [row if s == "+" else [-v for v in row] if s == "-" else zero
                for row, s in zip(rows, states)], den
    if isinstance(activation, LeakyReLU):
        p, q = activation.slope.numerator, activation.slope.denominator
        out = [[v * q for v in row] if s == "+" else [v * p for v in row] if s == "-" else zero
               for row, s in zip(rows, states)]
        return _reduce(out, den * q)
    if isinstance(activation, HardTanh):
        low, high = activation.low, activation.high
        scale = lcm(low.denominator, high.denominator)
        const_low = [0] * (width - 1) + [int(low * scale) * den]
        const_high = [0] * (width - 1) + [int(high * scale) * den]
        out = []
        for row, s in zip(rows, states):
            if s in "Ll":
                out.append(const_low)
            elif s in "Hh":
                out.append(const_high)
            else:
                out.append([v * scale for v in row])
        return _reduce(out, den * scale)
    if isinstance(activation, Maxout):
        k = activation.rank
        return [rows[u * k + j] for u, j in enumerate(maxout_states(states))], den
    raise InputError(f"unsupported activation {activation!r}")
