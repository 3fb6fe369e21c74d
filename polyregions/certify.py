"""Certificates of region counts, checked by :mod:`polyregions.checker`.

The engine's decision tree is recorded as the list of leaves (each region's states,
unit by unit, and an exact interior point) and the list of dropped branches, each
with Gordan/Motzkin multipliers on the branch's strict inequalities, in the
normalisation the checker recomputes from the weights (see the checker's docstring
for what is proved). Multipliers come from the exact double description: when no
generator of the piece lies strictly on the branch's side of ``g``, the maximum of
``g`` is attained at a vertex, and ``g``'s linear part is a nonnegative combination of
the rows tight there; that small exact system is solved in rationals (an exact LP
decides when the vertex is degenerate), and every certificate is verified before it
is written.
"""

from __future__ import annotations

import json
from fractions import Fraction
from math import gcd, lcm
from operator import mul
from pathlib import Path
from typing import Any, Sequence

from . import lp
from .atomic import open_atomic
from .checker import FORMAT, _branches, model_digest
from .domain import Domain
from .engine import StageTrace, enumerate_regions
from .errors import SolverError
from .network import HardTanh, LeakyReLU, Maxout, Network
from .numbers import format_rational
from .adjacency import facet_neighbors
from .polyhedron import primitive
from .regions import pattern_key

__all__ = ["certify", "write_certificate"]

Row = tuple[list[Fraction], Fraction]  # (a, b): a . x < b


def _tokens(states: str, activation: Any) -> list[str]:
    if isinstance(activation, Maxout):
        return states.split(",") if states else []
    return list(states)


def _checker_layer(activation: Any) -> tuple:
    """The activation in the checker's layer tuple form."""
    if isinstance(activation, HardTanh):
        return ("hardtanh", activation.low, activation.high)
    if isinstance(activation, Maxout):
        return ("maxout", activation.rank)
    if isinstance(activation, LeakyReLU):
        return ("leaky_relu", activation.slope)
    return (type(activation).__name__.lower(),)


def _unit_rows(step: StageTrace, unit: int, state: str) -> list[tuple[int, ...]]:
    """The checker's canonical strict rows of *unit* in *state* (the checker computes them)."""
    layer = _checker_layer(step.stage.activation)
    k = layer[1] if layer[0] == "maxout" else 1
    funcs = [list(r) for r in step.rows[unit * k:(unit + 1) * k]]
    return _branches(layer[0], layer, funcs, step.den).get(state, [])


class _Recorder:
    """Collects the dropped branches with their multipliers during the enumeration.

    The table maps each engine row tag on the path to the checker's reference
    ``[depth, m]`` (or ``["domain", i]``); the engine's primitive rows are exactly
    the checker's canonical rows, so multipliers carry over unchanged.
    """

    def __init__(self, network: Network, domain: Domain) -> None:
        self.n = network.input_dim
        self.pruned: list[dict] = []
        self.domain_rows = [tuple(a) + (b,) for a, b in domain.rows]
        self._cached: tuple[Any, dict, list[str]] | None = None

    def _path(self, trace: tuple[StageTrace, ...]) -> tuple[dict, list[str]]:
        """Tags and the flat prefix of the completed stages (the last path is cached)."""
        if self._cached is not None and self._cached[0] is trace:
            return self._cached[1], self._cached[2]
        table: dict = {("domain", d): (["domain", d], None, d, "") for d in range(len(self.domain_rows))}
        prefix: list[str] = []
        for step in trace:
            _add(step, _tokens(step.states, step.stage.activation), table, prefix)
        self._cached = (trace, table, prefix)
        return table, prefix

    def rows(self, table: dict) -> list[tuple[list, tuple[int, ...]]]:
        """Every row of a branch with its reference (for the LP fallback)."""
        out = []
        for ref, step, unit, state in table.values():
            if step is None:
                out.append((ref, self.domain_rows[unit]))
            else:
                out.append((ref, _unit_rows(step, unit, state)[ref[1]]))
        return out

    def dropped(self, trace: tuple[StageTrace, ...], current: StageTrace, unit: int, state: str,
                piece: Any, g: Sequence[int]) -> None:
        base, base_prefix = self._path(trace)
        table = dict(base)
        prefix = list(base_prefix)
        _add(current, _tokens(current.states, current.stage.activation), table, prefix)
        depth = len(prefix)
        own_rows = _unit_rows(current, unit, state)
        for m, (tag, _) in enumerate(_tags(current, unit, state)):
            table[tag] = ([depth, m], current, unit, state)
        strict_g = tuple(-v for v in g[:-1]) + (g[-1],)
        own = next((m for m, row in enumerate(own_rows) if row == strict_g), None)
        multipliers = None
        if own is not None:
            multipliers = _from_vertex(piece, g, table, [depth, own])
        if multipliers is None:
            multipliers = _from_lp(self.rows(table), self.n)
        self.pruned.append({"prefix": prefix, "state": state,
                            "multipliers": [[ref, y] for ref, y in multipliers]})


def _add(step: StageTrace, tokens: Sequence[str], table: dict, prefix: list[str]) -> None:
    for u, token in enumerate(tokens):
        depth = len(prefix)
        for m, (tag, _) in enumerate(_tags(step, u, token)):
            table[tag] = ([depth, m], step, u, token)
        prefix.append(token)


def _tags(step: StageTrace, unit: int, state: str) -> list[tuple[Any, None]]:
    """The engine tags of a unit's rows in *state*, in the checker's order (no arithmetic)."""
    activation = step.stage.activation
    layer = step.stage.layer
    if isinstance(activation, Maxout):
        k = activation.rank
        group = step.rows[unit * k:(unit + 1) * k]
        j = int(state)
        return [((layer, unit, j, i), None) for i, fi in enumerate(group) if fi != group[j]]
    if not any(step.rows[unit][:-1]):
        return []
    if isinstance(activation, HardTanh):
        return {"L": [((layer, unit, "min"), None)],
                "M": [((layer, unit, "min"), None), ((layer, unit, "max"), None)],
                "H": [((layer, unit, "max"), None)]}.get(state, [])
    return [((layer, unit), None)]


def _integers(values: Sequence[Fraction]) -> list[int]:
    """The smallest positive integer multiple of nonnegative rationals."""
    scale = lcm(*(v.denominator for v in values))
    return [int(v * scale) for v in values]


def _verify(pairs: Sequence[tuple[tuple[int, ...], int]], n: int) -> bool:
    total = [0] * (n + 1)
    for row, y in pairs:
        if y < 0:
            return False
        total = [t + y * c for t, c in zip(total, row)]
    return any(y > 0 for _, y in pairs) and not any(total[:-1]) and total[-1] <= 0


class _Solver:
    """Solves sum_i y_i columns[i] = target for many targets and one set of columns.

    Integer Gauss-Jordan elimination of ``[columns | identity]`` done once (rows scaled
    by cross multiplication, then by their gcd); each target then costs one integer
    dot product per unknown. Free variables are 0.
    """

    __slots__ = ("pivots", "checks")

    def __init__(self, columns: Sequence[Sequence[int]], n: int) -> None:
        m = len(columns)
        matrix = [[columns[i][r] for i in range(m)] + [int(r == c) for c in range(n)] for r in range(n)]
        pivots = []
        row = 0
        for col in range(m):
            pivot = next((r for r in range(row, n) if matrix[r][col]), None)
            if pivot is None:
                continue
            matrix[row], matrix[pivot] = matrix[pivot], matrix[row]
            lead = matrix[row]
            for r in range(n):
                if r != row and matrix[r][col]:
                    f, p = matrix[r][col], lead[col]
                    matrix[r] = list(primitive([p * v - f * w for v, w in zip(matrix[r], lead)]))
            pivots.append((row, col))
            row += 1
        # y[col] = (transform_row . target) / pivot value; rows past the rank must give 0
        self.pivots = [(col, matrix[r][col], matrix[r][m:]) for r, col in pivots]
        self.checks = [matrix[r][m:] for r in range(row, n)]

    def solve(self, target: Sequence[int], m: int) -> tuple[list[int], int] | None:
        """Integers (y, d) with d > 0 and y / d a solution, or None when there is none."""
        if any(sum(map(mul, check, target)) for check in self.checks):
            return None
        den = 1
        for _, lead, _ in self.pivots:
            den = lcm(den, lead)
        den = abs(den)
        y = [0] * m
        for col, lead, transform in self.pivots:
            y[col] = sum(map(mul, transform, target)) * (den // lead)
        return y, den


_SOLVERS: dict[tuple, _Solver] = {}


def _solve(columns: list[Sequence[int]], target: Sequence[int]) -> tuple[list[int], int] | None:
    """One solution y / d of sum_i y_i columns[i] = target over the rationals (free variables 0).

    The elimination is cached per set of columns: the same vertex (the same tight rows)
    serves many dropped branches.
    """
    key = tuple(tuple(c) for c in columns)
    solver = _SOLVERS.get(key)
    if solver is None:
        if len(_SOLVERS) > 4096:
            _SOLVERS.clear()
        solver = _SOLVERS[key] = _Solver(columns, len(target))
    return solver.solve(target, len(columns))


def _from_vertex(piece: Any, g: Sequence[int], table: dict, own: list) -> list[tuple[list, int]] | None:
    """Integer multipliers from the rows tight at a vertex where g is largest, or None.

    No generator has g > 0, so the maximum of g over the piece is at a vertex and the
    linear part of -g is a nonnegative combination of the rows tight there (the
    vertex is optimal); the combination's constant is then g at the vertex, <= 0.
    """
    best = None
    for vec, tight in zip(piece.vecs, piece.tights):
        if vec[-1]:
            value = sum(map(mul, g, vec))
            if best is None or value * best[1] > best[0] * vec[-1]:
                best = (value, vec[-1], tight)
    if best is None:
        return None
    indices = [i for i in range(len(piece.rows)) if best[2] >> (i + 1) & 1]
    refs = [table.get(piece.tags[i]) for i in indices]
    if any(r is None for r in refs):
        return None
    slacks = [piece.rows[i] for i in indices]
    solved = _solve([s[:-1] for s in slacks], [-v for v in g[:-1]])
    if solved is None or any(v < 0 for v in solved[0]):
        return None
    ys = [solved[1]] + solved[0]
    common = gcd(*ys)
    ys = [v // common for v in ys]
    pairs = [(tuple(-v for v in g[:-1]) + (g[-1],), ys[0])]
    pairs += [(tuple(-v for v in s[:-1]) + (s[-1],), y) for s, y in zip(slacks, ys[1:])]
    if not _verify(pairs, len(g) - 1):
        return None
    return [(own, ys[0])] + [(r[0], y) for r, y in zip(refs, ys[1:]) if y]


def _from_lp(items: list[tuple[list, tuple[int, ...]]], n: int) -> list[tuple[list, int]]:
    """Integer multipliers on the rows of the branch from the exact LP (cdd.gmp)."""
    decision = lp.decide_interior([row[:-1] for _, row in items], [row[-1] for _, row in items], dim=n)
    if isinstance(decision, lp.InteriorPoint):
        raise SolverError("a dropped branch has an interior point (internal error)")
    ys = _integers(list(decision.multipliers))
    if not _verify([(row, y) for (_, row), y in zip(items, ys)], n):
        raise SolverError("the exact LP's certificate does not verify (internal error)")
    return [(ref, y) for (ref, _), y in zip(items, ys) if y]


def certify(network: Network, domain: Domain | None = None, linear: bool = False) -> dict[str, Any]:
    """A certificate of the activation-region count (and merges of linear regions).

    Examples
    --------
    >>> from polyregions.checker import check_certificate
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> cert = certify(net, linear=True)
    >>> check_certificate(cert, net.to_json())
    {'activation_regions': 2, 'linear_regions_at_most': 1}
    """
    if domain is None:
        domain = Domain.whole(network.input_dim)
    recorder = _Recorder(network, domain)
    regions = []
    merges = []
    keys: dict[tuple[str, ...], str] = {}

    def _key(states: list[str]) -> str:
        return keys[tuple(states)]

    seen: dict[str, tuple[list[str], tuple]] = {}
    for region in enumerate_regions(network, domain, on_drop=recorder.dropped):
        states = [t for step in region.trace for t in _tokens(step.states, step.stage.activation)]
        keys[tuple(states)] = region.key
        regions.append({"states": states,
                        "point": [format_rational(v) for v in region.interior_point]})
        if linear:
            map_key = region.map_key()
            seen[region.key] = (states, map_key)
            for row, other in facet_neighbors(region):
                if other is None:
                    continue
                found = seen.get(pattern_key(other))
                if found is not None and found[1] == map_key:
                    merges.append({"first": states, "second": found[0],
                                   "point": [format_rational(v) for v in region.cell.face_point(row)]})
    cert: dict[str, Any] = {
        "format": FORMAT,
        "model_sha256": model_digest(network.to_json()),
        "domain": {"A": [[str(v) for v in a] for a, _ in domain.rows],
                   "b": [str(b) for _, b in domain.rows]},
        "counts": {"activation_regions": len(regions)},
        "regions": regions,
        "pruned": recorder.pruned,
    }
    if linear:
        cert["merges"] = merges
        parent = {key: key for key in seen}

        def find(key: str) -> str:
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for merge in merges:
            parent[find(_key(merge["first"]))] = find(_key(merge["second"]))
        cert["counts"]["linear_regions"] = sum(1 for key in seen if find(key) == key)
    return cert


def write_certificate(cert: dict[str, Any], path: str | Path) -> None:
    """Write a certificate as JSON, atomically."""
    with open_atomic(path) as handle:
        json.dump(cert, handle, separators=(",", ":"))
        handle.write("\n")
