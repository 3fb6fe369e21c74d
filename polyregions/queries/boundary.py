"""The exact decision boundary of a classifier, as (n0-1)-dimensional pieces.

For classes ``I`` and ``J`` (outputs, 0-based) the boundary is the closed set
``B_IJ = {x in the domain : y_I(x) = y_J(x) >= y_k(x) for every k}``; by default the union
over all pairs ``I < J``: where the argmax changes (points where two classes touch
without crossing are included). On an activation region ``R`` the outputs are affine,
so ``B_IJ`` meets the closure of ``R`` in a polyhedron inside the hyperplane
``H = {y_I = y_J}`` of ``R``'s map. A *piece* is such a polyhedron when it is
(n0-1)-dimensional, with:

- its equality (``H`` as a primitive integer row ``a . x = b``, the first nonzero ``a_i``
  positive), its inequalities (the
  region's and ``y_I >= y_k``, irredundant within ``H``, as rows ``a . x <= b``) and an
  exact point of its relative interior (where ``y_I = y_J`` is strictly above every
  other output, checked by an exact forward pass in the tests);
- when ``H`` is a facet hyperplane of ``R`` (the boundary runs along a boundary between
  activation regions), the piece is reported from one side only: from the region on
  the positive side of ``H`` (its primitive normal's first nonzero coefficient
  positive), or from ``R`` when the other side is outside the domain or is a *tie
  region*.

A tie region is an activation region where ``y_I`` and ``y_J`` are the same affine
function and the largest on a full-dimensional part: the boundary is not
(n0-1)-dimensional there; tie regions are listed apart.

:func:`decision_boundary` walks the decision tree as the other queries do and drops a
subtree where an exact bound (:func:`polyregions.search.relax.node_bounds`) shows, for every
pair, that ``y_I < y_J``, ``y_J < y_I`` or ``y_I < y_k`` for some ``k`` on all of it.
Each remaining region costs one exact LP per pair whose hyperplane meets it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from operator import mul
from pathlib import Path
from typing import Any, Sequence

from ..geometry import lp
from ..search.adjacency import neighbor_pattern
from ..files import open_atomic
from ..core.domain import Domain
from ..search.engine import Node, Search, apply_affine
from ..errors import InputError
from ..core.network import Network
from ..io.models import takes_models
from ..rationals import format_rational
from ..geometry.polyhedron import oriented_key, primitive
from ..search.regions import Region
from ..search.relax import node_bounds

__all__ = ["Piece", "BoundaryResult", "decision_boundary", "write_pieces_jsonl", "piece_segment", "parse_classes"]


@dataclass(frozen=True, slots=True)
class Piece:
    """One (n0-1)-dimensional piece of the boundary between classes ``I`` and ``J``.

    Attributes
    ----------
    classes
        ``(I, J)`` with ``I < J``.
    region
        The pattern key of the activation region whose closure holds the piece.
    equality
        ``(a, b)``: the piece lies on ``a . x = b`` (primitive integers).
    inequalities
        Rows ``(a, b)`` meaning ``a . x <= b``, irredundant within the hyperplane.
    point
        An exact point of the piece's relative interior.
    """

    classes: tuple[int, int]
    region: str
    equality: tuple[tuple[int, ...], int]
    inequalities: tuple[tuple[tuple[int, ...], int], ...]
    point: tuple[Fraction, ...]

    def to_json(self) -> dict[str, Any]:
        """One line of the JSONL export (every number an exact string)."""
        def rows(items: Sequence[tuple[tuple[int, ...], int]]) -> dict[str, Any]:
            return {"A": [[str(v) for v in a] for a, _ in items], "b": [str(b) for _, b in items]}

        return {"classes": list(self.classes), "region": self.region, "equalities": rows([self.equality]),
                "inequalities": rows(self.inequalities), "point": [format_rational(v) for v in self.point]}


@dataclass(frozen=True, slots=True)
class BoundaryResult:
    """The pieces of the decision boundary, the tie regions, and what the search visited."""

    pieces: tuple[Piece, ...]
    ties: tuple[tuple[tuple[int, int], str], ...]
    pairs: tuple[tuple[int, int], ...]
    regions_visited: int
    nodes_visited: int
    subtrees_dropped: int

    def counts(self) -> dict[str, int]:
        """Pieces per pair, keys ``"I,J"``."""
        return {f"{i},{j}": sum(1 for p in self.pieces if p.classes == (i, j)) for i, j in self.pairs}

    def to_json(self) -> dict[str, Any]:
        """The JSON keys of ``polyregions boundary --json`` (the pieces themselves go to the JSONL file)."""
        return {"pieces": len(self.pieces), "pairs": self.counts(),
                "tie_regions": [{"classes": list(c), "region": key} for c, key in self.ties],
                "regions_visited": self.regions_visited, "nodes_visited": self.nodes_visited,
                "subtrees_dropped": self.subtrees_dropped}


def parse_classes(text: str, outputs: int) -> tuple[int, int]:
    """``"I,J"`` as a pair of distinct output indices, sorted.

    Examples
    --------
    >>> parse_classes("2,0", 3)
    (0, 2)
    """
    parts = [p.strip() for p in str(text).split(",")]
    try:
        i, j = (int(p) for p in parts)
    except ValueError:
        raise InputError(f"--classes: expected two output indices I,J, got {text!r}") from None
    for c in (i, j):
        if not 0 <= c < outputs:
            raise InputError(f"--classes: output {c} is not between 0 and {outputs - 1}")
    if i == j:
        raise InputError(f"--classes: the two classes must differ, got {text!r}")
    return (min(i, j), max(i, j))


def _map_of(search: Search, pattern: Sequence[str]) -> tuple[list[list[int]], int]:
    """The output map (integer rows over a denominator) of the region with this pattern."""
    n = search.network.input_dim
    rows = [[int(i == j) for j in range(n)] + [0] for i in range(n)]
    den = 1
    layer = 0
    for stage in search.stages:
        if stage.weight is not None:
            rows, den = apply_affine(stage, rows, den)
        if stage.rules is not None:
            rows, den = stage.rules.activate(rows, den, stage.rules.tokens(pattern[layer]))
            layer += 1
    return rows, den


def _difference(rows: Sequence[Sequence[int]], i: int, j: int) -> list[int]:
    return [a - b for a, b in zip(rows[i], rows[j])]


def _proportional(row: Sequence[int], base: Sequence[int]) -> bool:
    """``row = t * base`` for some rational t (t = 0 allowed); *base* is not zero."""
    pivot = next(k for k, v in enumerate(base) if v)
    return all(r * base[pivot] == row[pivot] * v for r, v in zip(row, base))


def _project(equality: Sequence[int], rows: Sequence[tuple[Sequence[Fraction], Fraction]]
             ) -> tuple[int, list[list[Fraction]], list[Fraction]]:
    """Rows of ``a . x <= b`` restricted to ``e . x = f`` (``equality = (e, -f)`` as a row
    ``e . x - f``) in the coordinates other than a pivot ``p``: ``(p, A', b')``."""
    e, f = list(equality[:-1]), -equality[-1]
    p = next(k for k, v in enumerate(e) if v)
    A2, b2 = [], []
    for a, b in rows:
        factor = Fraction(a[p], e[p])
        A2.append([Fraction(a[k]) - factor * e[k] for k in range(len(e)) if k != p])
        b2.append(Fraction(b) - factor * f)
    return p, A2, b2


def _piece(region: Region, rows: Sequence[Sequence[int]], den: int, i: int, j: int, on_facet: bool
           ) -> tuple[tuple[Fraction, ...], list[tuple[tuple[int, ...], int]]] | None:
    """The relative interior point and the irredundant inequalities of the piece of (i, j) in
    the region's closure, or None when it is not (n0-1)-dimensional."""
    n = region.cell.dim
    delta = primitive(_difference(rows, i, j))
    key = oriented_key(delta)
    strict: list[tuple[tuple[int, ...], int]] = []
    for a, b in region.inequalities:
        if on_facet and oriented_key(tuple(a) + (-b,)) == key:
            continue  # the facet the piece lies on
        strict.append((tuple(a), b))
    for k in range(len(rows)):
        if k in (i, j):
            continue
        diff = _difference(rows, k, i)  # y_k - y_i <= 0
        if _proportional(diff, delta):
            continue  # constant 0 on the hyperplane
        strict.append((tuple(diff[:-1]), -diff[-1]))
    eq_a = [list(delta[:-1])]
    eq_b = [-delta[-1]]
    decision = lp.decide_interior([a for a, _ in strict], [b for _, b in strict], eq_a, eq_b, dim=n)
    if not isinstance(decision, lp.InteriorPoint):
        return None
    point = decision.point
    kept: list[tuple[tuple[int, ...], int]] = []
    if n > 1 and strict:
        _, A2, b2 = _project(delta, [(a, Fraction(b)) for a, b in strict])
        for index in lp.irredundant_rows(A2, b2, dim=n - 1):
            kept.append(strict[index])
    kept = [(tuple(r[:-1]), r[-1]) for r in (primitive(list(a) + [b]) for a, b in kept)]
    return point, kept


def _tie(region: Region, rows: Sequence[Sequence[int]], i: int, j: int) -> bool:
    """y_i and y_j are the same function on the region, and the largest on a full-dimensional part."""
    strict = [(tuple(a), b) for a, b in region.inequalities]
    for k in range(len(rows)):
        if k in (i, j):
            continue
        diff = _difference(rows, k, i)
        if not any(diff):
            continue
        strict.append((tuple(diff[:-1]), -diff[-1]))
    decision = lp.decide_interior([a for a, _ in strict], [b for _, b in strict], dim=region.cell.dim)
    return isinstance(decision, lp.InteriorPoint)


def _reports_facet(search: Search, region: Region, key: tuple, i: int, j: int) -> bool:
    """Whether *region* reports the piece on its facet with hyperplane *key* (see the module)."""
    cell = region.cell
    row = next((r for r in region.facet_rows() if cell.row_key(r) == key), None)
    if row is None:
        return True  # H only touches the region in a lower-dimensional face: no piece anyway
    other = neighbor_pattern(region, row)
    if other is None:
        return True  # the other side is outside the domain
    rows, den = _map_of(search, other)
    if not any(_difference(rows, i, j)):
        return True  # the other side is a tie region: it reports nothing
    # the region lies on the positive side of the oriented hyperplane?
    point = cell.interior_point()
    return sum((Fraction(a) * b for a, b in zip(key[:-1], point)), Fraction(key[-1])) > 0


@takes_models("network")
def decision_boundary(network: Network, domain: Domain | None = None, *, classes: tuple[int, int] | None = None,
                      prune: bool = True, bound_every: int = 2) -> BoundaryResult:
    """The pieces of the decision boundary of a classifier (argmax of the outputs).

    Parameters
    ----------
    network, domain
        A network with at least 2 outputs, and the domain (default: all of R^n0).
    classes
        ``(I, J)``: only the boundary between these two classes; default: every pair.
    prune, bound_every
        As for :func:`polyregions.queries.optimize.maximize`.

    Returns
    -------
    BoundaryResult

    Examples
    --------
    Two classes, y = (x1, x2), on the square: the boundary is the diagonal, one piece.

    >>> net = Network.mlp([[[1, 0], [0, 1]]], [[0, 0]])
    >>> result = decision_boundary(net, Domain.box(2, -1, 1))
    >>> len(result.pieces), result.pieces[0].equality, result.pieces[0].point
    (1, ((1, -1), 0), (Fraction(0, 1), Fraction(0, 1)))
    """
    m = network.output_dim
    if m < 2:
        raise InputError(f"the network has {m} output: a classifier needs at least 2 (the argmax of the outputs)")
    if isinstance(bound_every, bool) or not isinstance(bound_every, int) or bound_every < 1:
        raise InputError(f"bound_every must be a positive integer, got {bound_every!r}")
    if classes is not None:
        i, j = classes
        if not (0 <= i < m and 0 <= j < m and i != j):
            raise InputError(f"classes {classes!r}: expected two different outputs between 0 and {m - 1}")
        pairs = [(min(i, j), max(i, j))]
    else:
        pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
    search = Search(network, domain)
    # objectives e_a - e_b for every ordered pair: an upper bound below 0 means y_a < y_b throughout
    ordered = [(a, b) for a in range(m) for b in range(m) if a != b]
    objectives = [[Fraction(int(k == a) - int(k == b)) for k in range(m)] for a, b in ordered]
    pieces: list[Piece] = []
    ties: list[tuple[tuple[int, int], str]] = []
    regions = nodes = dropped = 0

    def drop(item: Node) -> bool:
        """True when, on the whole subtree, every pair is apart or not on top."""
        nonlocal nodes, dropped
        nodes += 1
        if prune and item.unit % bound_every == 0:
            bounds = dict(zip(ordered, node_bounds(search, item, objectives).bounds))

            def below(a: int, b: int) -> bool:  # y_a < y_b on the whole subtree
                value = bounds[(a, b)]
                return value is not None and value < 0

            if all(below(i, j) or below(j, i) or any(below(i, k) for k in range(m) if k not in (i, j))
                   for i, j in pairs):
                dropped += 1
                return True
        return False

    for item in search.walk([search.root()], skip=drop):
        regions += 1
        _region_pieces(search, item, pairs, pieces, ties)
    return BoundaryResult(tuple(pieces), tuple(ties), tuple(pairs), regions, nodes, dropped)


def _region_pieces(search: Search, region: Region, pairs: Sequence[tuple[int, int]], pieces: list[Piece],
                   ties: list[tuple[tuple[int, int], str]]) -> None:
    rows, den = region.map_rows, region.map_den
    cell = region.cell
    for i, j in pairs:
        delta = _difference(rows, i, j)
        if not any(delta[:-1]):
            if not delta[-1] and _tie(region, rows, i, j):
                ties.append(((i, j), region.key))
            continue
        values = [sum(map(mul, delta, vec)) for vec in cell.vecs]
        lines = [sum(map(mul, delta[:-1], line[:-1])) for line in cell.lines]
        crosses = any(lines) or (any(v > 0 for v in values) and any(v < 0 for v in values))
        if not crosses:
            if not any(v == 0 for v, vec in zip(values, cell.vecs) if vec[-1]):
                continue  # H misses the region's closure
            if not _reports_facet(search, region, oriented_key(primitive(delta)), i, j):
                continue
        found = _piece(region, rows, den, i, j, on_facet=not crosses)
        if found is None:
            continue
        point, inequalities = found
        p = oriented_key(delta)
        pieces.append(Piece((i, j), region.key, (tuple(p[:-1]), -p[-1]), tuple(inequalities), tuple(point)))


def write_pieces_jsonl(result: BoundaryResult, path: str | Path) -> None:
    """Write one piece per line (:meth:`Piece.to_json`), atomically."""
    with open_atomic(path) as handle:
        for piece in result.pieces:
            handle.write(json.dumps(piece.to_json()) + "\n")


def piece_segment(piece: Piece) -> tuple[tuple[Fraction, Fraction], tuple[Fraction, Fraction]] | None:
    """The exact ends of a piece of a 2-input network (a segment), or None when unbounded."""
    (a1, a2), b = piece.equality
    rows = [(a, Fraction(bb)) for a, bb in piece.inequalities]
    p, A2, b2 = _project(list(piece.equality[0]) + [-piece.equality[1]], rows)
    low, high = None, None
    for (c,), d in zip(A2, b2):
        if c > 0:
            high = d / c if high is None else min(high, d / c)
        elif c < 0:
            low = d / c if low is None else max(low, d / c)
    if low is None or high is None:
        return None
    ends = []
    for t in (low, high):
        other = t
        solved = (Fraction(b) - (a2 if p == 0 else a1) * other) / (a1 if p == 0 else a2)
        x = (solved, other) if p == 0 else (other, solved)
        ends.append((x[0], x[1]))
    return ends[0], ends[1]
