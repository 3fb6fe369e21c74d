"""Input domains: all of R^n0, a box, or a rational polyhedron ``{x : A x <= b}``.

A :class:`Domain` holds canonical rows (primitive integer vectors, duplicates and
trivial rows removed) and is full-dimensional by construction: the factories reject
an empty domain or one without interior, deciding it with the exact LP layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from ..geometry import lp
from ..errors import DomainError, InputError, NumberError
from ..checker.fileformat import MAX_INPUT_DIM
from ..files import parse_json_exact, read_text
from ..rationals import counted, format_rational, primitive_row, to_rational

__all__ = ["Domain", "load_domain", "check_double_description", "MAX_DOMAIN_GENERATORS"]

Row = tuple[tuple[int, ...], int]

#: Most vertices and rays of the domain's exact double description. The engine keeps
#: every vertex of every piece, and a box in R^n has 2^n of them: boxes up to R^12.
MAX_DOMAIN_GENERATORS = 4096
#: Most inequalities in a domain file (its exact interior-point LP grows with them).
MAX_DOMAIN_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Domain:
    """A full-dimensional rational polyhedron ``{x in R^dim : a . x <= b for (a, b) in rows}``.

    Examples
    --------
    >>> Domain.box(2, "-1/2", 1).rows
    (((-2, 0), 1), ((1, 0), 1), ((0, -2), 1), ((0, 1), 1))
    >>> Domain.whole(3).describe()
    'all of R^3'
    """

    dim: int
    rows: tuple[Row, ...]
    kind: str = "polyhedron"
    bounds: tuple[tuple[Fraction, Fraction], ...] | None = None

    @classmethod
    def whole(cls, dim: int) -> "Domain":
        """All of R^dim (the default domain, as in the paper)."""
        _check_dim(dim)
        return cls(dim, (), "all")

    @classmethod
    def box(cls, dim: int, low: Any, high: Any, flat: bool = False) -> "Domain":
        """The box ``low <= x_i <= high``; *low* and *high* are numbers or one per coordinate.

        With *flat* a coordinate may be fixed (``low == high``): such a box is not
        full-dimensional; only properties build one (``verify`` fixes those inputs first).
        """
        _check_dim(dim)
        lows = _per_coordinate(low, dim, "box low")
        highs = _per_coordinate(high, dim, "box high")
        rows: list[Row] = []
        for i, (lo, hi) in enumerate(zip(lows, highs)):
            if not (lo < hi or (flat and lo == hi)):
                what = "empty" if lo > hi else "not full-dimensional"
                raise DomainError(
                    f"box coordinate {i}: low {format_rational(lo)} must be below high "
                    f"{format_rational(hi)} ({what})")
            e = [Fraction(0)] * dim
            e[i] = Fraction(-1)
            rows.append(_canonical_row(e, -lo))
            e[i] = Fraction(1)
            rows.append(_canonical_row(e, hi))
        return cls(dim, tuple(rows), "box", tuple(zip(lows, highs)))

    @classmethod
    def from_inequalities(cls, A: Sequence[Sequence[Any]], b: Sequence[Any],
                          dim: int | None = None, source: str = "domain") -> "Domain":
        """``{x : A x <= b}``; rejected when empty or not full-dimensional."""
        if isinstance(A, (str, bytes)) or not isinstance(A, Sequence):
            raise DomainError(f"{source}: A must be a list of rows")
        if isinstance(b, (str, bytes)) or not isinstance(b, Sequence):
            raise DomainError(f"{source}: b must be a list of numbers")
        if len(A) != len(b):
            raise DomainError(f"{source}: A has {len(A)} rows but b has {len(b)} entries")
        if len(A) > MAX_DOMAIN_ROWS:
            raise DomainError(f"{source}: {len(A)} inequalities, more than the limit of {MAX_DOMAIN_ROWS:,} "
                              "for a domain")
        if dim is None:
            if not A:
                raise DomainError(f"{source}: no rows, so the dimension is unknown")
            if isinstance(A[0], (str, bytes)) or not isinstance(A[0], Sequence):
                raise DomainError(f"{source}: A[0] must be a list of numbers")
            dim = len(A[0])
        _check_dim(dim, source)
        rows: list[Row] = []
        seen = set()
        for i, (a_row, b_val) in enumerate(zip(A, b)):
            if isinstance(a_row, (str, bytes)) or not isinstance(a_row, Sequence):
                raise DomainError(f"{source}: A[{i}] must be a list of numbers")
            if len(a_row) != dim:
                raise DomainError(f"{source}: A[{i}] has {len(a_row)} entries, expected {dim}")
            try:
                a = [to_rational(v, f"{source}: A[{i}][{j}]") for j, v in enumerate(a_row)]
                rhs = to_rational(b_val, f"{source}: b[{i}]")
            except NumberError as exc:
                raise DomainError(str(exc)) from None
            if not any(a):
                if rhs < 0:
                    raise DomainError(f"{source}: row {i} reads 0 <= {format_rational(rhs)}: the domain is empty")
                continue
            row = _canonical_row(a, rhs)
            if row not in seen:
                seen.add(row)
                rows.append(row)
        domain = cls(dim, tuple(rows), "polyhedron")
        domain.check_full_dimensional(source)
        return domain

    @classmethod
    def from_json(cls, obj: Any, dim: int | None = None, source: str = "domain") -> "Domain":
        """From ``{"A": [[...]], "b": [...]}`` (the domain file format)."""
        if not isinstance(obj, dict):
            raise DomainError(f"{source}: expected an object with keys 'A' and 'b'")
        missing = {"A", "b"} - set(obj)
        if missing:
            raise DomainError(f"{source}: missing key(s) {', '.join(sorted(missing))}")
        unknown = set(obj) - {"A", "b", "description"}
        if unknown:
            raise DomainError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
        return cls.from_inequalities(obj["A"], obj["b"], dim=dim, source=source)

    def check_full_dimensional(self, source: str = "domain") -> None:
        """Raise :class:`DomainError` unless the domain has an interior point (exact LP)."""
        if not self.rows:
            return
        A = [a for a, _ in self.rows]
        b = [rhs for _, rhs in self.rows]
        if lp.interior_point(A, b, dim=self.dim) is None:
            raise DomainError(f"{source}: the domain is empty or not full-dimensional")

    def to_json(self) -> dict[str, Any]:
        """A description for JSON output: kind, and the rows or the box bounds."""
        if self.kind == "all":
            return {"kind": "all", "dim": self.dim}
        if self.kind == "box" and self.bounds is not None:
            return {"kind": "box", "dim": self.dim,
                    "low": [format_rational(lo) for lo, _ in self.bounds],
                    "high": [format_rational(hi) for _, hi in self.bounds]}
        return {"kind": "polyhedron", "dim": self.dim,
                "A": [[format_rational(Fraction(v)) for v in a] for a, _ in self.rows],
                "b": [format_rational(Fraction(rhs)) for _, rhs in self.rows]}

    def describe(self) -> str:
        """One line for humans."""
        if self.kind == "all":
            return f"all of R^{self.dim}"
        if self.kind == "box" and self.bounds is not None:
            los = {lo for lo, _ in self.bounds}
            his = {hi for _, hi in self.bounds}
            if len(los) == 1 and len(his) == 1:
                return (f"box [{format_rational(next(iter(los)))}, "
                        f"{format_rational(next(iter(his)))}]^{self.dim}")
            return "box " + " x ".join(f"[{format_rational(lo)}, {format_rational(hi)}]"
                                       for lo, hi in self.bounds)
        return f"polyhedron in R^{self.dim} with {counted(len(self.rows), 'inequality')}"

    def contains(self, point: Sequence[Fraction]) -> bool:
        """True when *point* satisfies every row."""
        return all(sum(c * x for c, x in zip(a, point)) <= rhs for a, rhs in self.rows)

    def __repr__(self) -> str:
        return f"Domain({self.describe()})"


def check_double_description(domain: Domain, generators: int | None = None) -> None:
    """Refuse a domain whose double description has more than MAX_DOMAIN_GENERATORS generators.

    Called by :func:`polyregions.search.engine.initial_cell` before building the domain's
    cell (with *generators* None: a box's 2^n vertices are known in advance) and
    after each of its cuts (with the number of vertices and rays so far).

    Raises
    ------
    DomainError
        Naming the dimension and the limit.
    """
    if generators is None:
        if domain.kind != "box" or domain.dim <= MAX_DOMAIN_GENERATORS.bit_length() - 1:
            return
        raise DomainError(f"the box in R^{domain.dim} has 2^{domain.dim} vertices, more than the "
                          f"limit of {MAX_DOMAIN_GENERATORS:,} for a domain (boxes up to R^"
                          f"{MAX_DOMAIN_GENERATORS.bit_length() - 1}); use all of R^{domain.dim}, "
                          "a --slice, or a domain with fewer vertices")
    if generators > MAX_DOMAIN_GENERATORS:
        raise DomainError(f"the domain in R^{domain.dim} has more than {MAX_DOMAIN_GENERATORS:,} "
                          "vertices and rays, the limit for a domain; use all of "
                          f"R^{domain.dim}, a --slice, or a domain with fewer vertices")


def _check_dim(dim: Any, place: str = "domain") -> None:
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise DomainError(f"{place}: dimension must be a positive integer, got {dim!r}")
    if dim > MAX_INPUT_DIM:
        raise DomainError(f"{place}: dimension {dim} exceeds the limit {MAX_INPUT_DIM} (a network's inputs)")


def _per_coordinate(value: Any, dim: int, place: str) -> tuple[Fraction, ...]:
    try:
        if isinstance(value, (list, tuple)):
            if len(value) != dim:
                raise DomainError(f"{place}: {len(value)} values for {dim} coordinates")
            return tuple(to_rational(v, f"{place}[{i}]") for i, v in enumerate(value))
        single = to_rational(value, place)
    except NumberError as exc:
        raise DomainError(str(exc)) from None
    return tuple(single for _ in range(dim))


def _canonical_row(a: Sequence[Fraction], rhs: Fraction) -> Row:
    vec = primitive_row(list(a) + [rhs])
    return tuple(vec[:-1]), vec[-1]


def load_domain(path: str | Path, dim: int | None = None) -> Domain:
    """Read a domain file ``{"A": [[...]], "b": [...]}``."""
    obj = parse_json_exact(read_text(path, "domain file"), str(path))
    try:
        return Domain.from_json(obj, dim=dim, source=str(path))
    except InputError as exc:
        if isinstance(exc, DomainError):
            raise
        raise DomainError(str(exc)) from None
