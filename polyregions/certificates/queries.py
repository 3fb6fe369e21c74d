"""Certificates of the exact queries (``max`` and ``verify``), checked by :mod:`polyregions.checker`.

A query walks the decision tree of the search (:mod:`polyregions.search.engine`) and either
expands a node, drops a branch without interior (recorded with Gordan/Motzkin
multipliers, exactly as for count certificates: :mod:`polyregions.certificates.regions`), or
stops at a node whose subtree cannot matter (a *bounded* subtree). The certificate
lists, besides the dropped branches:

- every leaf region reached, with an interior point (as in count certificates) and
  the proof of the query's claim there: LP multipliers on the region's inequalities
  showing that the objective is at most a value (``max``), or that no point of the
  region's closure satisfies a disjunct of the property (``verify``: Farkas
  multipliers on the region's inequalities and the disjunct's rows);
- every bounded subtree, with what the checker needs to redo its bound
  (:mod:`polyregions.search.relax`): the intervals of the current layer's pre-activations
  over the node's cell, each with LP multipliers; the piece, lines or candidates of
  every unit of the later layers; and LP multipliers proving the final affine bound.

LP multipliers come from the vertex of the cell where a maximum is attained: its
tight rows, solved by the fraction-free elimination of :mod:`polyregions.certificates.regions`
(cached per set of rows), or from the exact LP (:mod:`polyregions.geometry.lp`) when that
vertex is degenerate. Every record is checked by the standalone checker only.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm
from typing import Any, Sequence

from ..geometry import lp
from .regions import Recorder, solver_for
from ..search.engine import Node, Search
from ..errors import SolverError
from ..rationals import format_rational
from ..geometry.polyhedron import Cell
from ..search.regions import Region
from ..checker.models import model_digest

__all__ = ["QueryRecorder", "MAX_FORMAT", "VERIFY_FORMAT", "UNION_FORMAT", "union_certificate"]

MAX_FORMAT = "polyregions-max-certificate/1"
VERIFY_FORMAT = "polyregions-verify-certificate/1"
UNION_FORMAT = "polyregions-verify-union-certificate/1"


def _text(value: Fraction | None) -> str | None:
    return None if value is None else format_rational(Fraction(value))


class QueryRecorder(Recorder):
    """Records dropped branches, leaves and bounded subtrees in the checker's terms."""

    def __init__(self, search: Search) -> None:
        super().__init__(search)
        self.regions: list[dict[str, Any]] = []
        self.bounded: list[dict[str, Any]] = []

    # -- where a row comes from -------------------------------------------------------------

    def node_context(self, node: Node) -> tuple:
        """The recorder's context at *node*: its states so far and the reference of each row."""
        self._load(node.trace)
        here = (node.partial, len(self._prefix), list(node.tokens))
        return here, self._prefix + list(node.tokens)

    def region_context(self, region: Region) -> tuple:
        """The context of a leaf region (every stage complete)."""
        self._load(region.trace)
        here = next(iter(self._steps.values()), None)
        states = [t for step in region.trace for t in step.rules.tokens(step.states)]
        return here, states

    def reference(self, tag: Any, here: Any) -> list | None:
        if tag[0] == "domain":
            return ["domain", tag[1]]
        if here is None:
            return None
        return self._ref(tag, here)

    # -- LP multipliers -----------------------------------------------------------------------

    def multipliers(self, cell: Cell, here: Any, row: Sequence[int], row_den: int, vertex: int,
                    bound: Fraction) -> dict[str, Any]:
        """Multipliers proving ``row . (x, 1) / row_den <= bound`` on the closure of *cell*.

        *vertex* is the index of a generator of the cell where the maximum is attained.
        The record is ``{"multipliers": [[ref, y], ...], "scale": D}``: integers ``y >= 0``
        and ``D > 0`` with ``sum y a = D h_lin`` and ``sum y b <= D (bound - h_0)`` for the
        strict rows ``a . x < b`` named by ``ref`` and ``h = row / row_den``.
        """
        n = len(row) - 1
        vec = cell.vecs[vertex]
        indices = cell.tight_rows(vertex)
        refs = [self.reference(cell.tags[i], here) for i in indices]
        if vec[-1] and None not in refs:
            slacks = tuple(cell.rows[i] for i in indices)
            solved = solver_for(slacks, n).solve([-v for v in row[:-1]], len(slacks)) if slacks else (
                None if any(row[:-1]) else ([], 1))
            if solved is not None and all(v >= 0 for v in solved[0]):
                ys, d = solved
                total_b = sum(y * s[-1] for y, s in zip(ys, slacks))
                scale = d * row_den
                # sum y b <= scale (bound - row_0 / row_den)
                if (total_b + d * row[-1]) <= scale * bound:
                    common = gcd(scale, *ys)
                    return {"multipliers": [[r, y // common] for r, y in zip(refs, ys) if y],
                            "scale": scale // common}
        return self._lp_multipliers(cell, here, row, row_den, bound)

    def _named_rows(self, cell: Cell, here: Any) -> tuple[list, list]:
        """The cell's rows that the checker names, with their names. The others are implied
        by them: a hardtanh unit above its max keeps the row of its min from the first cut."""
        refs, slacks = [], []
        for tag, s in zip(cell.tags, cell.rows):
            ref = self.reference(tag, here)
            if ref is not None:
                refs.append(ref)
                slacks.append(s)
        return refs, slacks

    def _lp_multipliers(self, cell: Cell, here: Any, row: Sequence[int], row_den: int,
                        bound: Fraction) -> dict[str, Any]:
        refs, slacks = self._named_rows(cell, here)
        A = [[-v for v in s[:-1]] for s in slacks]
        b = [s[-1] for s in slacks]
        n = len(row) - 1
        c = [Fraction(v, row_den) for v in row[:-1]]
        result = lp.maximize(c, Fraction(row[-1], row_den), A, b, dim=n)
        if result.status != "optimal" or result.value is None or result.value > bound:
            raise SolverError(f"the exact LP does not confirm the bound {bound} (internal error)")
        ys = list(result.multipliers or ())
        scale = lcm(*(y.denominator for y in ys)) if ys else 1
        ints = [int(y * scale) for y in ys]
        return {"multipliers": [[r, y] for r, y in zip(refs, ints) if y], "scale": scale}

    def farkas(self, cell: Cell, here: Any, extra: Sequence[tuple[Sequence[Fraction], Fraction]]
               ) -> list[list] | None:
        """Farkas multipliers proving that the closure of *cell* meets no point of
        ``{x : c . x <= d for (c, d) in extra}``, or None when it does.

        Each multiplier is ``[ref, y]`` with integer ``y >= 0``; *extra* rows are named
        ``["property", j]``. With ``a, b`` the rows' coefficients and bounds,
        ``sum y a = 0`` and ``sum y b < 0``.
        """
        refs, slacks = self._named_rows(cell, here)
        A: list[list[Fraction]] = [[Fraction(-v) for v in s[:-1]] for s in slacks]
        b: list[Fraction] = [Fraction(s[-1]) for s in slacks]
        names = list(refs)
        for j, (c, d) in enumerate(extra):
            A.append(list(c))
            b.append(d)
            names.append(["property", j])
        n = cell.dim
        result = lp.maximize([0] * n, 0, A, b, dim=n)
        if result.status != "infeasible":
            return None
        ys = list(result.multipliers or ())
        scale = lcm(*(y.denominator for y in ys)) if ys else 1
        return [[r, int(y * scale)] for r, y in zip(names, ys) if y]

    # -- records ---------------------------------------------------------------------------------

    def leaf(self, region: Region, extra: dict[str, Any]) -> None:
        """Record a leaf region: its states, an interior point and the query's proof there."""
        _, states = self.region_context(region)
        point = [format_rational(v) for v in region.cell.interior_point(simplest=False)]
        self.regions.append({"states": states, "point": point, **extra})

    def bounded_node(self, search: Search, node: Node, nb: Any, bounds: list[dict[str, Any]]) -> None:
        """Record a bounded subtree: the relaxation of :func:`polyregions.search.relax.node_bounds`
        (computed with ``keep=True``) and, per entry of *bounds* (``{"index": i, ...}``), the
        multipliers of the final bound of objective ``i``."""
        here, path = self.node_context(node)
        cell = node.cell
        data = nb.certificate_data()
        rows = node.ctx.rows
        den = node.ctx.den
        intervals = []
        proofs = []
        for r, (lo, hi, k_lo, k_hi) in zip(rows, data["intervals"]):
            intervals.append([_text(lo), _text(hi)])
            proofs.append([None if lo is None else self.multipliers(cell, here, [-v for v in r], den, k_lo, -lo),
                           None if hi is None else self.multipliers(cell, here, r, den, k_hi, hi)])
        relaxation = [[_entry_text(entry) for entry in layer] for layer in data["entries"]]
        finals = []
        for item in bounds:
            i = item.pop("index")
            row, row_den, k = data["finals"][i]
            bound = nb.bounds[i]
            finals.append({**item, "bound": _text(bound),
                           **self.multipliers(cell, here, row, row_den, k, bound)})
        self.bounded.append({"path": path, "intervals": intervals, "interval_multipliers": proofs,
                             "relaxation": relaxation, "bounds": finals})


def _entry_text(entry: Any) -> Any:
    if entry is None or isinstance(entry, str):
        return entry
    return [v if (v is None or isinstance(v, int)) else _text(v) for v in entry]


def domain_json(search: Search) -> dict[str, Any]:
    """The domain's rows as a certificate states them."""
    return {"A": [[str(v) for v in a] for a, _ in search.domain.rows],
            "b": [str(b) for _, b in search.domain.rows]}


def _model_digest(search: Search) -> str:
    return model_digest(search.network.to_json())


def max_certificate(search: Search, recorder: QueryRecorder, objective: Sequence[Fraction], sense: str,
                    value: Fraction, point: Sequence[Fraction], regions: int) -> dict[str, Any]:
    """The certificate of an optimum: the point attains *value*, and every leaf and bounded
    subtree of the tree is proved not to beat it."""
    return {"format": MAX_FORMAT, "model_sha256": _model_digest(search), "domain": domain_json(search),
            "objective": [format_rational(v) for v in objective], "sense": sense, "status": "optimal",
            "value": format_rational(value), "point": [format_rational(v) for v in point],
            "regions_visited": regions, "regions": recorder.regions, "pruned": recorder.pruned,
            "bounded": recorder.bounded}


def unbounded_certificate(search: Search, recorder: QueryRecorder, region: Region, objective: Sequence[Fraction],
                          sense: str, point: Sequence[Fraction], ray: Sequence[int]) -> dict[str, Any]:
    """The certificate of an unbounded objective: a region (its states), a point of its closure
    and a ray of it along which the objective grows (no tree is needed)."""
    _, states = recorder.region_context(region)
    return {"format": MAX_FORMAT, "model_sha256": _model_digest(search), "domain": domain_json(search),
            "objective": [format_rational(v) for v in objective], "sense": sense, "status": "unbounded",
            "value": None, "region": states, "point": [format_rational(v) for v in point],
            "ray": [str(v) for v in ray]}


def holds_certificate(search: Search, recorder: QueryRecorder, prop: Any, regions: int) -> dict[str, Any]:
    """The certificate that a property holds: every leaf's closure and every bounded subtree
    misses every disjunct of the unsafe set."""
    return {"format": VERIFY_FORMAT, "model_sha256": _model_digest(search), "domain": domain_json(search),
            "property": {"unsafe": prop.unsafe_json()}, "result": "holds", "regions_visited": regions,
            "regions": recorder.regions, "pruned": recorder.pruned, "bounded": recorder.bounded}


def violated_certificate(search: Search, prop: Any, point: Sequence[Fraction], disjunct: int) -> dict[str, Any]:
    """The certificate that a property is violated: the counterexample (no tree is needed)."""
    return {"format": VERIFY_FORMAT, "model_sha256": _model_digest(search), "domain": domain_json(search),
            "property": {"unsafe": prop.unsafe_json()}, "result": "violated",
            "counterexample": [format_rational(v) for v in point], "disjunct": disjunct}


def union_certificate(parts: Sequence[dict[str, Any]], prop: Any) -> dict[str, Any]:
    """The certificate that a property holds on a union of input sets: the certificates that
    it holds on each set (verify or boxes certificates), in the property's order."""
    return {"format": UNION_FORMAT, "model_sha256": parts[0]["model_sha256"],
            "property": {"unsafe": prop.unsafe_json()}, "result": "holds", "parts": list(parts)}
