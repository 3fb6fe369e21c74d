"""Certificates of region counts, checked by :mod:`polyregions.checker`.

The engine's decision tree is recorded as the list of leaves (each region's states,
unit by unit, and an exact interior point, a short binary fraction) and the list of
dropped branches, each with Gordan/Motzkin multipliers on the branch's strict
inequalities, in the normalisation the checker recomputes from the weights (see the
checker's docstring for what is proved). Multipliers come from the exact double description: when no
generator of the piece lies strictly on the branch's side of ``g``, the maximum of
``g`` is attained at a vertex, and ``g``'s linear part is a nonnegative combination of
the rows tight there; that small exact system is solved by fraction-free
elimination, cached per set of tight rows (an exact LP decides when the vertex is
degenerate). Each combination is checked on the engine's rows before it is recorded
(zero linear part, constant <= 0); the whole certificate is proved only by the
checker.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from math import gcd, lcm
from operator import mul
from pathlib import Path
from typing import Any, Sequence

from ..geometry import lp
from ..files import open_atomic
from ..core.domain import Domain
from ..search.engine import Node, Search
from ..errors import InputError, SolverError
from ..run.jobs import Collector, JobSpec, ProgressCallback, Reducer
from ..core.network import Network
from ..io.models import load_model, takes_models
from ..search.reduce import LinearRegions, map_text
from ..search.regions import Region
from ..search.stages import StageTrace
from ..rationals import format_rational
from ..search.adjacency import facet_neighbors
from ..core.maps import pattern_key
from ..checker import regions as checker  # the count checker: FORMAT, unit_branches, model_digest, large_certificate
from ..run.executors import run_search
from ..checker.check import CheckFailure, check_certificate, read_certificate
from ..checker.fileformat import FormatError, UnreadableFile

__all__ = ["certify", "write_certificate", "check_network_certificate"]

Row = tuple[list[Fraction], Fraction]  # (a, b): a . x < b


def _unit_rows(step: StageTrace, unit: int, state: str) -> list[tuple[int, ...]]:
    """The checker's canonical strict rows of *unit* in *state*, as the checker computes them (cached)."""
    key = ("certify-rows", unit, state)
    found = step.cache.get(key)
    if found is None:
        rules = step.rules
        layer = rules.checker_layer()
        funcs = rules.unit_functions(step.rows, unit)
        found = step.cache[key] = checker.unit_branches(layer[0], layer, funcs, step.den).get(state, [])
    return found


class Recorder:
    """Collects the dropped branches with their multipliers during the enumeration.

    A row of a piece is named by its engine tag; the checker names it ``[depth, m]``
    (or ``["domain", i]``): the unit's place on the path and the row's place among
    the unit's strict rows. The engine's primitive rows are exactly the checker's
    canonical rows, so multipliers carry over unchanged. Everything that depends
    only on a stage's pre-activations is cached in the stage's ``cache``, which all
    pieces split from one parent share.
    """

    def __init__(self, search: Search) -> None:
        self.n = search.network.input_dim
        self.pruned: list[dict] = []
        self.domain_rows = [tuple(a) + (b,) for a, b in search.domain.rows]
        self._trace: tuple[StageTrace, ...] | None = None
        self._steps: dict[int, tuple[StageTrace, int, list[str]]] = {}
        self._prefix: list[str] = []
        self._single_row = {stage.layer: stage.rules.single_row
                            for stage in search.stages if stage.rules is not None}

    def _load(self, trace: tuple[StageTrace, ...]) -> None:
        """Index the completed stages of *trace* by layer (the last trace is kept)."""
        if trace is self._trace:
            return
        steps = {}
        prefix: list[str] = []
        for step in trace:
            tokens = step.rules.tokens(step.states)
            steps[step.stage.layer] = (step, len(prefix), tokens)
            prefix.extend(tokens)
        self._trace, self._steps, self._prefix = trace, steps, prefix

    def _ref(self, tag: Any, current: tuple[StageTrace, int, list[str]]) -> list | None:
        """The checker's reference of the row tagged *tag*, or None when it is not on the path."""
        if tag[0] == "domain":
            return ["domain", tag[1]]
        step, start, tokens = current if tag[0] == current[0].stage.layer else self._steps[tag[0]]
        unit = tag[1]
        if unit >= len(tokens):
            return None
        if self._single_row[tag[0]]:
            return [start + unit, 0]  # a unit's one row: its pre-activation is not constant
        m = _tag_index(step, unit, tokens[unit]).get(tag)
        return None if m is None else [start + unit, m]

    def rows(self, current: StageTrace, unit: int, state: str) -> list[tuple[list, tuple[int, ...]]]:
        """Every row of the branch with its reference (for the LP fallback)."""
        out = [(["domain", d], row) for d, row in enumerate(self.domain_rows)]
        here = (current, len(self._prefix), current.rules.tokens(current.states) + [state])
        for step, start, tokens in [*self._steps.values(), here]:
            for u, token in enumerate(tokens):
                out += [([start + u, m], row) for m, row in enumerate(_unit_rows(step, u, token))]
        return out

    def dropped(self, node: Node, state: str, piece: Any, g: Sequence[int], values: list[int] | None) -> None:
        """The engine's drop observer: record the branch with its multipliers."""
        self._load(node.trace)
        current = node.partial
        unit = node.unit
        partial = list(node.tokens)
        prefix = self._prefix + partial
        here = (current, len(self._prefix), partial + [state])
        if self._single_row[current.stage.layer]:
            own: int | None = 0  # the unit's one row is g's strict form
        else:
            strict_g = tuple(-v for v in g[:-1]) + (g[-1],)
            own_rows = _unit_rows(current, unit, state)
            own = own_rows.index(strict_g) if strict_g in own_rows else None
        multipliers = None
        if own is not None:
            multipliers = _from_vertex(piece, g, values, lambda tag: self._ref(tag, here), [len(prefix), own])
        if multipliers is None:
            multipliers = _from_lp(self.rows(current, unit, state), self.n)
        self.pruned.append({"prefix": prefix, "state": state,
                            "multipliers": [[ref, y] for ref, y in multipliers]})


def _tag_index(step: StageTrace, unit: int, token: str) -> dict:
    """{engine tag: place among the checker's rows} for *unit* in state *token* (cached)."""
    key = ("certify-tags", unit, token)
    found = step.cache.get(key)
    if found is None:
        found = step.cache[key] = {tag: m for m, tag in enumerate(step.rules.branch_tags(step, unit, token))}
    return found


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

    Fraction-free (Bareiss) Gauss-Jordan elimination of ``[columns | identity]``,
    done once: each step multiplies by the pivot and divides exactly by the previous
    one, so every entry stays an integer minor. Each target then costs one integer
    dot product per unknown. Free variables are 0.
    """

    __slots__ = ("pivots", "checks", "den")

    def __init__(self, columns: Sequence[Sequence[int]], n: int) -> None:
        m = len(columns)
        matrix = [[c[r] for c in columns] + [int(r == c) for c in range(n)] for r in range(n)]
        pivots = []
        row = 0
        previous = 1
        for col in range(m):
            pivot = next((r for r in range(row, n) if matrix[r][col]), None)
            if pivot is None:
                continue
            matrix[row], matrix[pivot] = matrix[pivot], matrix[row]
            lead = matrix[row]
            p = lead[col]
            for r in range(n):
                if r != row:
                    f = matrix[r][col]
                    matrix[r] = [(p * v - f * w) // previous for v, w in zip(matrix[r], lead)]
            previous = p
            pivots.append((row, col))
            row += 1
        # y[col] = (transform_row . target) / pivot value; rows past the rank must give 0
        den = 1
        for r, col in pivots:
            den = lcm(den, matrix[r][col])
        self.den = abs(den)
        self.pivots = [(col, self.den // matrix[r][col], matrix[r][m:]) for r, col in pivots]
        self.checks = [matrix[r][m:] for r in range(row, n)]

    def solve(self, target: Sequence[int], m: int) -> tuple[list[int], int] | None:
        """Integers (y, d) with d > 0 and y / d a solution, or None when there is none."""
        if any(sum(map(mul, check, target)) for check in self.checks):
            return None
        y = [0] * m
        for col, scale, transform in self.pivots:
            y[col] = sum(map(mul, transform, target)) * scale
        return y, self.den


class _SquareSolver:
    """Solves ``A y = target`` for a square nonsingular integer A (given by its columns).

    Fraction-free (Bareiss) LU: forward elimination once, with exact divisions by the
    previous pivot; below the diagonal each row keeps the factor it was eliminated
    with, so row swaps carry the factors along. Each target then goes through the
    same row operations and an exact back substitution of ``det(A) y``. About half
    the set-up of :class:`_Solver`, which handles the other systems (a vertex where
    more than n rows are tight, or fewer because the piece has lines).
    """

    __slots__ = ("order", "lu")

    def __init__(self, columns: Sequence[Sequence[int]], n: int) -> None:
        a = [[c[r] for c in columns] for r in range(n)]
        order = list(range(n))
        previous = 1
        for col in range(n):
            pivot = next((r for r in range(col, n) if a[r][col]), None)
            if pivot is None:
                raise ZeroDivisionError("singular system")
            a[col], a[pivot] = a[pivot], a[col]
            order[col], order[pivot] = order[pivot], order[col]
            lead = a[col]
            p = lead[col]
            for r in range(col + 1, n):
                row = a[r]
                f = row[col]
                a[r] = row[:col + 1] + [(p * v - f * w) // previous for v, w in zip(row[col + 1:], lead[col + 1:])]
            previous = p
        self.order, self.lu = order, a

    def solve(self, target: Sequence[int], m: int) -> tuple[list[int], int]:
        """Integers (y, d) with d > 0 and y / d the solution."""
        lu = self.lu
        b = [target[r] for r in self.order]
        previous = 1
        for col in range(m):
            p = lu[col][col]
            pivot_value = b[col]
            for r in range(col + 1, m):
                b[r] = (p * b[r] - lu[r][col] * pivot_value) // previous
            previous = p
        det = previous
        y = [0] * m
        for r in range(m - 1, -1, -1):
            row = lu[r]
            y[r] = (det * b[r] - sum(map(mul, row[r + 1:], y[r + 1:]))) // row[r]
        return ([-v for v in y], -det) if det < 0 else (y, det)


_SOLVERS: dict[tuple, "_Solver | _SquareSolver"] = {}


def solver_for(slacks: tuple, n: int) -> "_Solver | _SquareSolver":
    """The cached solver for the linear parts of these rows (one per set of tight rows)."""
    solver = _SOLVERS.get(slacks)
    if solver is None:
        if len(_SOLVERS) > 4096:
            _SOLVERS.clear()
        columns = [s[:-1] for s in slacks]
        try:
            solver = _SquareSolver(columns, n) if len(columns) == n else _Solver(columns, n)
        except ZeroDivisionError:
            solver = _Solver(columns, n)
        _SOLVERS[slacks] = solver
    return solver


def _from_vertex(piece: Any, g: Sequence[int], values: list[int] | None, reference: Any,
                 own: list) -> list[tuple[list, int]] | None:
    """Integer multipliers from the rows tight at a vertex where g is largest, or None.

    No generator has g > 0, so the maximum of g over the piece is at a vertex and the
    linear part of -g is a nonnegative combination of the rows tight there (the
    vertex is optimal); the combination's constant is then g at the vertex, <= 0.
    *values* are g at the generators when known; *reference* names a row's tag in the
    checker's terms (None: not on the path).
    The elimination is cached per set of tight rows: one vertex serves many branches.
    """
    if values is None:
        values = [sum(map(mul, g, vec)) for vec in piece.vecs]
    best_value = best_t = best = None
    for k, (vec, value) in enumerate(zip(piece.vecs, values)):
        t = vec[-1]
        if t:
            if best_t is None or value * best_t > best_value * t:
                best_value, best_t, best = value, t, k
    if best is None:
        return None
    indices = piece.tight_rows(best)
    refs = [reference(piece.tags[i]) for i in indices]
    if None in refs:
        return None
    slacks = tuple(piece.rows[i] for i in indices)
    solved = solver_for(slacks, len(g) - 1).solve([-v for v in g[:-1]], len(slacks))
    if solved is None or any(v < 0 for v in solved[0]):
        return None
    ys = [solved[1]] + solved[0]
    common = gcd(*ys)
    ys = [v // common for v in ys]
    # the check the checker makes: y0 g + sum y_i s_i has zero linear part, constant <= 0
    total = [sum(map(mul, ys, column)) for column in zip(g, *slacks)]
    if any(total[:-1]) or total[-1] > 0:
        return None
    return [(own, ys[0])] + [(r, y) for r, y in zip(refs, ys[1:]) if y]


def _from_lp(items: list[tuple[list, tuple[int, ...]]], n: int) -> list[tuple[list, int]]:
    """Integer multipliers on the rows of the branch from the exact LP (cdd.gmp)."""
    decision = lp.decide_interior([row[:-1] for _, row in items], [row[-1] for _, row in items], dim=n)
    if isinstance(decision, lp.InteriorPoint):
        raise SolverError("a dropped branch has an interior point (internal error)")
    ys = _integers(list(decision.multipliers))
    if not _verify([(row, y) for (_, row), y in zip(items, ys)], n):
        raise SolverError("the exact LP's certificate does not verify (internal error)")
    return [(ref, y) for (ref, _), y in zip(items, ys) if y]


class CertifySpec(JobSpec):
    """The certificate's regions, dropped branches and merges, in the serial order."""

    ordered = True

    def __init__(self, linear: bool = False) -> None:
        self.linear = linear

    def identity(self) -> dict[str, Any]:
        return {"job": "certify", "linear": self.linear}

    def collector(self, search: Search) -> "_CertifyCollector":
        return _CertifyCollector(search, self.linear)

    def task_context(self) -> Any:
        return checker.large_certificate()


class _CertifyCollector(Collector):
    """Per region ``[key, states, point, map text, [[neighbour, face point or None], ...]]``.

    A neighbour seen earlier in the task with another map cannot be a merge (no face
    point); one not seen in the task may come earlier in another task, so its face
    point is ready in case it has the same map.
    """

    def __init__(self, search: Search, linear: bool) -> None:
        self.recorder = Recorder(search)
        self.on_drop = self.recorder.dropped
        self.linear = linear
        self.seen: dict[str, str] = {}
        self.records: list[list] = []
        self.bounded = 0

    def add(self, region: Region) -> None:
        states = [t for step in region.trace for t in step.rules.tokens(step.states)]
        point = [format_rational(v) for v in region.cell.interior_point(simplest=False)]
        self.bounded += region.bounded
        key = region.key
        if not self.linear:
            self.records.append([key, states, point, None, []])
            return
        map_key = map_text(region.map_rows, region.map_den)
        facets = []
        for row, other in facet_neighbors(region):
            if other is None:
                continue
            other_key = pattern_key(other)
            found = self.seen.get(other_key)
            face = None
            if found is None or found == map_key:
                face = [format_rational(v) for v in region.cell.face_point(row)]
            facets.append([other_key, face])
        self.seen[key] = map_key
        self.records.append([key, states, point, map_key, facets])

    def partial(self) -> dict[str, Any]:
        return {"records": self.records, "pruned": self.recorder.pruned, "bounded": self.bounded}


class _CertificateBuilder(Reducer):
    def __init__(self, linear: bool) -> None:
        super().__init__()
        self.linear = LinearRegions() if linear else None
        self.regions: list[dict[str, Any]] = []
        self.pruned: list[dict[str, Any]] = []
        self.merges: list[dict[str, Any]] = []
        self.states_of: dict[str, list[str]] = {}

    def absorb(self, partial: dict[str, Any]) -> None:
        for key, states, point, map_key, facets in partial["records"]:
            self.regions.append({"states": states, "point": point})
            if self.linear is None:
                continue
            self.states_of[key] = states
            for place in self.linear.add(key, map_key, [other for other, _ in facets]):
                other, face = facets[place]
                if face is None:
                    raise SolverError(f"merge {key} ~ {other} without a face point (internal error)")
                self.merges.append({"first": states, "second": self.states_of[other], "point": face})
        self.pruned.extend(partial["pruned"])
        self.activation_regions += len(partial["records"])
        self.bounded_regions += partial["bounded"]


@takes_models("network")
def certify(network: Network, domain: Domain | None = None, linear: bool = False, *,
            jobs: int = 1, scheduler: str | None = None, checkpoint: str | Path | None = None,
            progress: ProgressCallback | None = None, task_seconds: float | None = None) -> dict[str, Any]:
    """A certificate of the activation-region count (and merges of linear regions).

    The certificate is the same whatever *jobs* and *scheduler* (see
    :func:`polyregions.run.executors.run_search`).

    Examples
    --------
    >>> from polyregions.checker.check import check_certificate
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> cert = certify(net, linear=True)
    >>> check_certificate(cert, net.to_json())
    {'activation_regions': 2, 'linear_regions_at_most': 1}
    """
    search = Search(network, domain)
    builder = _CertificateBuilder(linear)
    with checker.large_certificate():
        run_search(search, CertifySpec(linear), builder, jobs=jobs, scheduler=scheduler,
                   checkpoint=checkpoint, progress=progress, task_seconds=task_seconds)
    cert: dict[str, Any] = {
        "format": checker.FORMAT,
        "model_sha256": checker.model_digest(network.to_json()),
        "domain": {"A": [[str(v) for v in a] for a, _ in search.domain.rows],
                   "b": [str(b) for _, b in search.domain.rows]},
        "counts": {"activation_regions": len(builder.regions)},
        "regions": builder.regions,
        "pruned": builder.pruned,
    }
    if builder.linear is not None:
        cert["merges"] = builder.merges
        cert["counts"]["linear_regions"] = builder.linear.linear_regions
    return cert


def write_certificate(cert: dict[str, Any], path: str | Path) -> None:
    """Write a certificate as JSON, atomically."""
    with open_atomic(path) as handle, checker.large_certificate():
        json.dump(cert, handle, separators=(",", ":"))
        handle.write("\n")


def check_network_certificate(cert: dict[str, Any] | str | Path, network: Any, domain: Domain | None = None
                              ) -> dict[str, int]:
    """Check a certificate against a network with the standalone checker; return the counts.

    The notebook form of :func:`polyregions.checker.check.check_certificate` (exported as
    ``polyregions.check_certificate``): *cert* is a certificate dict or the path of a
    certificate file, *network* a :class:`~polyregions.core.network.Network` or anything
    :func:`polyregions.io.load_model` reads, and *domain* the domain the count must be
    about (default all of R^n0). The checker itself sees only the canonical JSON form
    of the network.

    Raises
    ------
    polyregions.checker.check.CheckFailure
        When the certificate does not prove its counts on this network and domain,
        or its file holds no certificate (binary, truncated, not JSON).
    polyregions.InputError
        When the certificate file cannot be opened, or *cert* is neither a dict nor a path.

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> check_network_certificate(certify(net, linear=True), net)
    {'activation_regions': 2, 'linear_regions_at_most': 1}
    >>> check_network_certificate(certify(net, Domain.box(1, -1, 1)), net)
    Traceback (most recent call last):
    ...
    polyregions.checker.common.CheckFailure: domain: the certificate proves the count on box [-1, 1]^1, not on the domain asked for (all of R^1)
    """
    if isinstance(cert, (str, os.PathLike)):
        try:  # as `polyregions check`: a file that cannot be opened is bad input, one that is
            cert = read_certificate(cert)  # no certificate (binary, truncated, not JSON) is invalid
        except UnreadableFile as exc:
            raise InputError(str(exc)) from None
        except FormatError as exc:
            raise CheckFailure(str(exc)) from None
    elif not isinstance(cert, dict):
        raise InputError(f"expected a certificate (a dict, or the path of a certificate file), "
                         f"got {type(cert).__name__}")
    network = load_model(network)
    domain = Domain.whole(network.input_dim) if domain is None else domain
    rows = {"A": [list(a) for a, _ in domain.rows], "b": [b for _, b in domain.rows]}
    return check_certificate(cert, network.to_json(), rows)
