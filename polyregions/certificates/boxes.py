"""Certificates of the input-splitting search (``polyregions-verify-boxes-certificate/1``).

:class:`BoxCertifier` follows :func:`polyregions.queries.splitting.split_verify` box by box
and writes the bisection tree the checker walks (:mod:`polyregions.checker.boxes`). The
search's bounds are doubles with upward rounding; a box they close is only closed in the
certificate once the checker's own exact bounds (:class:`~polyregions.checker.boxes.BoxProver`,
called here) refute a row of every disjunct on it, so the search keeps splitting where
they do not: a certificate the search writes is one the checker accepts. Boxes with
few open units are closed piece by piece with exact LPs whose Farkas multipliers go
into the certificate; boxes still open at the end are closed by the region search's
own certificate.
"""

from __future__ import annotations

import signal
from concurrent.futures import FIRST_COMPLETED, Future, wait
from fractions import Fraction
from typing import Any, Sequence

from ..checker.boxes import BOXES_FORMAT, BoxProver, box_rows, box_stages
from ..checker.queries import VERIFY_FORMAT
from ..checker.common import CheckFailure
from ..checker.models import _read_model, model_digest
from ..core.network import Network
from ..errors import InputError, SolverError
from ..geometry import lp
from ..geometry.boxlp import box_farkas
from ..rationals import format_rational
from ..run.executors import _start_method

__all__ = ["BoxCertifier", "BOXES_FORMAT", "PIECE_UNITS_LIMIT"]

#: A box with more open units than this (by the exact bounds) is split rather than closed
#: piece by piece in a certificate.
PIECE_UNITS_LIMIT = 8

Rows = Sequence[Sequence[tuple[Sequence[Fraction], Fraction]]]


def _texts(values: Sequence[Fraction]) -> list[str]:
    return [format_rational(Fraction(v)) for v in values]


#: The prover and the unsafe set of a worker process of :class:`BoxCertifier` (set when it starts).
_WORKER: tuple[BoxProver, list] | None = None


def _start_worker(stages: list, unsafe: list) -> None:
    """A checking worker ignores Ctrl-C and SIGTERM (its parent ends it) and builds its prover once."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _WORKER = (BoxProver(stages), unsafe)


#: Per disjunct, per row: the search's optimised slopes ``{unit: s}`` (s over 2^SLOPE_BITS), or None.
Slopes = Sequence[Sequence[dict[int, int] | None]]


def _refuting_rows(prover: BoxProver, unsafe: list, low: Sequence[Fraction], high: Sequence[Fraction],
                   order: Sequence[Sequence[int]], slopes: Slopes | None = None
                   ) -> tuple[list[int | None], list[dict[int, int] | None], list]:
    """Per disjunct, the first row (in the order *order* gives) whose exact lower bound over
    the box exceeds its threshold, or None, with the slopes that bound used (from *slopes*,
    or None); and the box's exact intervals."""
    ivals = prover.intervals(low, high)
    rows: list[int | None] = []
    used: list[dict[int, int] | None] = []
    for k, (conj, tries) in enumerate(zip(unsafe, order)):
        for r in tries:
            given = None if slopes is None else slopes[k][r]
            c, d = conj[r]
            if prover.lower(c, ivals, low, high, d) > d:
                rows.append(r)
                used.append(None)
                break
            if given and prover.lower(c, ivals, low, high, d, given) > d:
                rows.append(r)
                used.append(given)
                break
        else:
            rows.append(None)
            used.append(None)
    return rows, used, ivals


def _leaf(rows: list[int | None], used: list[dict[int, int] | None]) -> dict[str, Any]:
    """A leaf's proof: the refuting rows, and the slopes of those whose bound needs them."""
    proof: dict[str, Any] = {"rows": rows}
    if any(used):
        proof["slopes"] = [None if u is None else [[unit, s] for unit, s in sorted(u.items())] for u in used]
    return proof


def _check_in_worker(low: Sequence[Fraction], high: Sequence[Fraction], order: Sequence[Sequence[int]],
                     slopes: Slopes | None) -> tuple[list[int | None], list[dict[int, int] | None]]:
    assert _WORKER is not None
    rows, used, _ = _refuting_rows(*_WORKER, low, high, order, slopes)
    return rows, used


class BoxCertifier:
    """The tree of a boxes certificate, built while the search runs.

    The search works on the free inputs of the property's box (``free``: their indices in
    the network's inputs; ``base``: the full input with the fixed ones set); the
    certificate is about the network's inputs, so boxes and splits are lifted to them.
    The search names the box it visits (:meth:`visiting`); each box's entry is kept by its
    path and the tree is written in preorder at the end.

    With *jobs* > 1 the exact check of a box the search's bounds close runs on one of
    *jobs* worker processes while the search goes on: the box counts as closed at once,
    and a box the exact bounds do not close comes back from :meth:`reopened` to be
    searched again (split further, as without workers). The tree is the same as with
    one process, byte for byte. Call :meth:`shutdown` at the end.
    """

    def __init__(self, network: Network, low: Sequence[Fraction], high: Sequence[Fraction], unsafe: Rows,
                 free: Sequence[int], base: Sequence[Fraction], jobs: int = 1) -> None:
        model = network.to_json()
        try:
            _, layers = _read_model(model)
            stages = box_stages(layers)
            self.prover = BoxProver(stages)
        except CheckFailure as exc:
            raise InputError(f"certificate: {exc}") from None
        self.model = model
        self.network = network
        self.unsafe = [[(tuple(Fraction(v) for v in c), Fraction(d)) for c, d in conj] for conj in unsafe]
        self.free = list(free)
        self.base = list(base)
        self.low, self.high = self.full(low, high)
        self.nodes: dict[tuple[int, ...], list[Any]] = {}  # box path -> its entry
        self.boxes = 0
        self.path: tuple[int, ...] = ()  # the box being visited
        self.box: Any = None
        self.refused: set[tuple[int, ...]] = set()  # boxes the exact bounds did not close
        self.pending: dict[Future, tuple[tuple[int, ...], Any]] = {}
        self.pool = None
        if jobs > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(_start_method()),
                                            initializer=_start_worker, initargs=(stages, self.unsafe))

    def visiting(self, path: tuple[int, ...], box: Any = None) -> None:
        """The search visits the box at *path* (the :class:`~polyregions.queries.splitting.Box`
        itself, handed back by :meth:`reopened` when its exact check fails)."""
        self.path, self.box = tuple(path), box

    def reopened(self, block: bool) -> list[Any]:
        """The boxes whose exact check on a worker failed since the last call (to be searched
        again); with *block*, waits (up to half a second) for a check to finish."""
        if not self.pending:
            return []
        done, _ = wait(list(self.pending), timeout=0.5 if block else 0, return_when=FIRST_COMPLETED)
        out = []
        for future in sorted(done, key=lambda f: self.pending[f][0]):  # (an order that does not depend on timing)
            path, box = self.pending.pop(future)
            rows, used = future.result()
            if None in rows:
                del self.nodes[path]
                self.refused.add(path)
                out.append(box)
            else:
                self.nodes[path] = ["leaf", _leaf(rows, used)]
                self.boxes += 1
        return out

    def shutdown(self) -> None:
        """End the worker processes (pending checks are dropped)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            self.pending.clear()

    def full(self, low: Sequence[Fraction], high: Sequence[Fraction]) -> tuple[list[Fraction], list[Fraction]]:
        """A box of the free inputs as a box of all inputs."""
        full_low, full_high = list(self.base), list(self.base)
        for i, lo, hi in zip(self.free, low, high):
            full_low[i], full_high[i] = lo, hi
        return full_low, full_high

    # -- entries --------------------------------------------------------------------------

    def split(self, p: int, lower_first: bool) -> None:
        """The current box is halved at free input *p*'s midpoint."""
        self.nodes[self.path] = ["split", self.free[p], 0 if lower_first else 1]

    def _refuted(self, low: Sequence[Fraction], high: Sequence[Fraction], order: Sequence[Sequence[int]],
                 slopes: Slopes | None = None) -> tuple[list[int | None], list[dict[int, int] | None], list]:
        """:func:`_refuting_rows` on the box (of the free inputs)."""
        return _refuting_rows(self.prover, self.unsafe, *self.full(low, high), order, slopes)

    def close(self, low: Sequence[Fraction], high: Sequence[Fraction], order: Sequence[Sequence[int]],
              slopes: Slopes | None = None) -> bool:
        """Close the box when the exact bounds refute a row of every disjunct (tried in the
        order *order* gives per disjunct; a row's bound also with the search's optimised
        *slopes* for it, if any); False (nothing written) when they do not. With workers the
        check is sent to one and the box counts as closed (see :meth:`reopened`)."""
        if self.path in self.refused:
            return False
        if self.pool is not None and self.box is not None:
            self.nodes[self.path] = ["leaf", None]  # filled in when the check comes back
            future = self.pool.submit(_check_in_worker, *self.full(low, high), [list(t) for t in order], slopes)
            self.pending[future] = (self.path, self.box)
            return True
        rows, used, _ = self._refuted(low, high, order, slopes)
        if None in rows:
            return False
        self.nodes[self.path] = ["leaf", _leaf(rows, used)]
        self.boxes += 1
        return True

    def pieces(self, low: Sequence[Fraction], high: Sequence[Fraction], order: Sequence[Sequence[int]],
               deadline_check: Any, slopes: Slopes | None = None) -> tuple[bool, tuple[Fraction, ...] | None]:
        """Close the box piece by piece (the exact bounds' open units, each on/off choice an
        affine map, exact LPs): (closed, counterexample of the free inputs). Not closed
        (nothing written) when the bounds leave more than :data:`PIECE_UNITS_LIMIT` units open."""
        full_low, full_high = self.full(low, high)
        rows, used, ivals = self._refuted(low, high, order, slopes)
        states = self.prover.states(ivals)
        units = [u for u, s in enumerate(states) if s == 2]
        if None not in rows:
            self.nodes[self.path] = ["leaf", _leaf(rows, used)]
            self.boxes += 1
            return True, None
        if len(units) > PIECE_UNITS_LIMIT:
            return False, None
        n = len(full_low)
        base = box_rows(full_low, full_high)
        left = [k for k, r in enumerate(rows) if r is None]

        def walk(choice: tuple[int, ...]) -> tuple[dict[str, Any], tuple[Fraction, ...] | None]:
            deadline_check()
            chosen = bytearray(states)
            for u, on in zip(units, choice):
                chosen[u] = on
            count = units[len(choice) - 1] + 1 if choice else 0
            sides, outputs = self.prover.sides(chosen, count if len(choice) < len(units) else len(states))
            system = list(base)
            for u, on in zip(units, choice):
                a, c = sides[u]
                system.append((a, -c) if not on else ([-v for v in a], c))
            A = [list(a) for a, _ in system]
            b = [v for _, v in system]
            if len(choice) < len(units):
                if choice:
                    proof = box_farkas(A[len(base):], b[len(base):], full_low, full_high)
                    if proof is not None:  # (the box's rows first, as in *system*)
                        return {"infeasible": _texts(proof)}, None
                    answer = lp.maximize([0] * n, 0, A, b, dim=n)
                    if answer.status == "infeasible":
                        return {"infeasible": _texts(answer.multipliers)}, None
                nodes = []
                for on in (0, 1):
                    node, found = walk(choice + (on,))
                    if found is not None:
                        return {}, found
                    nodes.append(node)
                return {"split": nodes}, None
            proofs: list[list[str] | None] = [None] * len(self.unsafe)
            for k in left:
                extra_A, extra_b = [], []
                for c, d in self.unsafe[k]:
                    extra_A.append([sum((ci * f[p] for ci, f in zip(c, outputs) if ci), Fraction(0)) for p in range(n)])
                    extra_b.append(d - sum((ci * f[-1] for ci, f in zip(c, outputs) if ci), Fraction(0)))
                proof = box_farkas(A[len(base):] + extra_A, b[len(base):] + extra_b, full_low, full_high)
                if proof is not None:
                    proofs[k] = _texts(proof)
                    continue
                answer = lp.maximize([0] * n, 0, A + extra_A, b + extra_b, dim=n)
                if answer.status != "infeasible":
                    x = tuple(answer.point)
                    y = self.network(x)
                    if not all(sum((ci * v for ci, v in zip(c, y)), Fraction(0)) <= d for c, d in self.unsafe[k]):
                        raise SolverError("an exact LP point that the forward pass does not confirm (internal error)")
                    return {}, tuple(x[i] for i in self.free)
                proofs[k] = _texts(answer.multipliers)
            return {"disjuncts": proofs}, None

        tree, found = walk(())
        if found is not None:
            return True, found
        self.nodes[self.path] = ["leaf", {**_leaf(rows, used), "pieces": {"units": units, "tree": tree}}]
        self.boxes += 1
        return True, None

    def regions(self, certificate: dict[str, Any]) -> None:
        """The current box is closed by the region search's certificate."""
        self.nodes[self.path] = ["regions", certificate]
        self.boxes += 1

    def _domain(self) -> dict[str, Any]:
        rows = box_rows(self.low, self.high)
        return {"A": [[int(v) for v in a] for a, _ in rows], "b": _texts([v for _, v in rows])}

    def violated(self, x: Sequence[Fraction], disjunct: int, unsafe_json: Any) -> dict[str, Any]:
        """The certificate that the property is violated: the counterexample (all inputs)."""
        return {"format": VERIFY_FORMAT, "model_sha256": model_digest(self.model), "domain": self._domain(),
                "property": {"unsafe": unsafe_json}, "result": "violated", "counterexample": _texts(x),
                "disjunct": disjunct}

    def certificate(self, unsafe_json: Any) -> dict[str, Any]:
        """The certificate that the property holds on the box: the tree written so far."""
        return {"format": BOXES_FORMAT, "model_sha256": model_digest(self.model), "domain": self._domain(),
                "box": {"low": _texts(self.low), "high": _texts(self.high)},
                "property": {"unsafe": unsafe_json}, "result": "holds", "boxes_closed": self.boxes,
                "tree": self.tree()}

    def tree(self) -> list[list[Any]]:
        """The entries in preorder: each split's first half (its entry's third item) first."""
        assert not self.pending, "checks still pending"
        out, todo = [], [()]
        while todo:
            path = todo.pop()
            entry = self.nodes[path]
            out.append(entry)
            if entry[0] == "split":
                todo += [path + (1 - entry[2],), path + (entry[2],)]
        return out
