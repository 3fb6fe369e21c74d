"""Exact linear programming: the only module of polyregions that talks to cdd.

Every function here takes a system of rows in the project's one sign convention,
a row ``(a, b)`` meaning ``a . x <= b``, with exact rational entries (ints,
:class:`~fractions.Fraction`, ``"p/q"`` strings, ...; floats are refused). The
translation to cdd's ``[b, -A]`` layout happens only in this module, and every LP
is solved by ``cdd.gmp`` in exact GMP rational arithmetic.

The answers carry witnesses (an interior point, a Farkas/Motzkin multiplier
vector, an optimal point with its dual, an unbounded ray) and each witness is
checked in plain :class:`~fractions.Fraction` arithmetic before it is returned;
a witness from cdd that fails that check raises
:class:`~polyregions.errors.SolverError`.

Every LP built here is feasible and bounded by construction (a slack variable
capped at 1, or a normalising row), so cdd's status is never relied upon to tell
"infeasible" from "unbounded": it only has to return an optimal basis, whose
primal and dual solutions are then verified.
"""

from __future__ import annotations

import numbers
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm
from typing import Any, Iterator, Literal, Sequence

import cdd.gmp as _cdd

from ..errors import DomainError, InputError, NumberError, PolyregionsError, SolverError
from ..rationals import primitive_row, to_rational

__all__ = [
    "InteriorPoint",
    "NoInterior",
    "LPResult",
    "decide_interior",
    "interior_point",
    "is_full_dimensional",
    "minimize",
    "maximize",
    "irredundant_rows",
]

Vector = tuple[Fraction, ...]
Matrix = tuple[Vector, ...]

_ZERO = Fraction(0)
_ONE = Fraction(1)


# --------------------------------------------------------------------------- input


def _exact(value: Any, place: str) -> Fraction:
    """Coerce one entry exactly; floats (and other inexact reals) are refused."""
    if isinstance(value, float) or (isinstance(value, numbers.Real)
                                    and not isinstance(value, numbers.Rational)
                                    and not type(value).__module__.startswith("sympy")):
        raise NumberError(f"{place}: expected an exact rational, got {type(value).__name__} "
                          f"{value!r} (floats are not accepted; pass Fraction({value!r}) "
                          f"if the binary value is meant)")
    return to_rational(value, place)


def _as_list(value: Any, place: str) -> list[Any]:
    if isinstance(value, (str, bytes)):
        raise InputError(f"{place}: expected a sequence, got {type(value).__name__}")
    try:
        return list(value)
    except TypeError:
        raise InputError(f"{place}: expected a sequence, got {type(value).__name__}") from None


def _vector(values: Any, place: str) -> Vector:
    return tuple(_exact(v, f"{place}[{i}]") for i, v in enumerate(_as_list(values, place)))


def _rows(A: Any, b: Any, name: str, rhs_name: str,
          dim: int | None) -> tuple[Matrix, Vector, int | None]:
    """Coerce ``A`` and ``b`` and check their shapes; return the column count found."""
    rows = tuple(_vector(row, f"{name}[{i}]") for i, row in enumerate(_as_list(A, name)))
    rhs = _vector(b, rhs_name)
    if len(rows) != len(rhs):
        raise InputError(f"{name} has {len(rows)} rows but its right-hand side has "
                         f"{len(rhs)} entries")
    for i, row in enumerate(rows):
        if dim is None:
            dim = len(row)
        elif len(row) != dim:
            raise InputError(f"{name}[{i}] has {len(row)} entries, expected {dim}")
    return rows, rhs, dim


def _system(A: Any, b: Any, A_eq: Any, b_eq: Any,
            dim: int | None) -> tuple[Matrix, Vector, Matrix, Vector, int]:
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int) or dim < 0):
        raise InputError(f"dim must be a non-negative integer, got {dim!r}")
    A_, b_, n = _rows(A, b, "A", "b", dim)
    E_, f_, n = _rows(A_eq, b_eq, "A_eq", "b_eq", n)
    if n is None:
        raise InputError("dim is required when A and A_eq have no rows")
    return A_, b_, E_, f_, n


# --------------------------------------------------------------------------- arithmetic


def _dot(u: Sequence[Fraction], v: Sequence[Fraction]) -> Fraction:
    return sum((x * y for x, y in zip(u, v)), _ZERO)


def _combine(weights: Sequence[Fraction], rows: Sequence[Sequence[Fraction]], n: int) -> list[Fraction]:
    """``sum_i weights[i] * rows[i]`` as a list of length *n*."""
    out = [_ZERO] * n
    for w, row in zip(weights, rows):
        if w:
            for j, v in enumerate(row):
                out[j] += w * v
    return out


def _equality_conflict(E: Matrix, f: Vector, n: int) -> Vector | None:
    """Exact Gaussian elimination on ``E x = f``.

    Return ``z`` with ``z^T E = 0`` and ``z^T f = -1`` when the system is
    inconsistent, else ``None``.
    """
    m = len(E)
    # Each working row: (coefficients, rhs, combination of original rows).
    work = [(list(E[i]), f[i], [_ONE if k == i else _ZERO for k in range(m)]) for i in range(m)]
    pivot_row = 0
    for col in range(n):
        pick = next((r for r in range(pivot_row, m) if work[r][0][col] != 0), None)
        if pick is None:
            continue
        work[pivot_row], work[pick] = work[pick], work[pivot_row]
        prow, prhs, pcomb = work[pivot_row]
        for r in range(m):
            if r == pivot_row or work[r][0][col] == 0:
                continue
            coeffs, rhs, comb = work[r]
            factor = coeffs[col] / prow[col]
            work[r] = ([c - factor * p for c, p in zip(coeffs, prow)], rhs - factor * prhs,
                       [c - factor * p for c, p in zip(comb, pcomb)])
        pivot_row += 1
    for coeffs, rhs, comb in work[pivot_row:]:
        if rhs != 0:
            return tuple(-c / rhs for c in comb)
    return None


# --------------------------------------------------------------------------- cdd


@contextmanager
def _long_numbers() -> Iterator[None]:
    """Let cdd's text conversion of big rationals pass Python's int/str digit limit."""
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:
        yield
        return
    old = get()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)



#: cdd's LP method for every LP built here. ``dd_LPSolve`` in cddlib's GMP build first
#: solves the LP in floating point and only then checks (or redoes) the basis in
#: GMP. Its dual simplex (the default) can, in that floating-point pass, choose a
#: pivot column 0 in ``dd_SelectDualSimplexPivot``'s lexicographic tie-break
#: (ties are decided with a tolerance) and then writes before the start of its
#: arrays in ``dd_GaussianColumnPivot``: heap corruption and an abort (issue 23,
#: README "Notes on dependencies"). The criss-cross method never calls that
#: function; the answer is checked exactly either way.
_LP_SOLVER = _cdd.LPSolverType.CRISS_CROSS

_REPORT = "please report it with the LP (README.md, 'Notes on dependencies', says how)"


def _scaled(row: Sequence[Fraction]) -> tuple[Fraction, list[int]]:
    """``(k, ints)`` with ``ints == k * row`` exactly, ``k > 0`` and ``ints`` primitive."""
    den = lcm(*(v.denominator for v in row)) if row else 1
    ints = [v.numerator * (den // v.denominator) for v in row]
    g = gcd(*ints) if ints else 0
    if g > 1:
        ints = [v // g for v in ints]
        return Fraction(den, g), ints
    return Fraction(den), ints


def describe_lp(array: Sequence[Sequence[Any]]) -> str:
    """``"4 rows x 5 columns, largest entry 194 bits"`` for an array handed to cdd."""
    bits = 0
    for row in array:
        for v in row:
            v = Fraction(v)
            bits = max(bits, abs(v.numerator).bit_length(), v.denominator.bit_length())
    cols = len(array[0]) if array else 0
    return f"{len(array)} rows x {cols} columns, largest entry {bits} bits"


@contextmanager
def _cdd_call(what: str, array: Sequence[Sequence[Any]]) -> Iterator[None]:
    """Turn any Python exception raised by cdd into a SolverError that names the LP."""
    try:
        yield
    except (PolyregionsError, MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # cdd raises ValueError/RuntimeError for its error codes
        raise SolverError(f"cdd failed on the {what} ({describe_lp(array)}): "
                          f"{type(exc).__name__}: {exc}; {_REPORT}") from exc


def _solve_max(g: Sequence[Fraction], G: Sequence[Sequence[Fraction]], h: Sequence[Fraction],
               E: Sequence[Sequence[Fraction]], f: Sequence[Fraction],
               ) -> tuple[Any, Fraction, Vector, Vector, Vector]:
    """Maximise ``g . v`` subject to ``G v <= h`` and ``E v = f`` with ``cdd.gmp``.

    Return the cdd status, the optimal value, the primal ``v``, and the dual
    multipliers ``y >= 0`` (one per row of ``G``) and ``z`` (one per row of ``E``)
    with ``G^T y + E^T z = g`` when the status is optimal. This is the one place
    where the ``[b, -A]`` layout of cdd appears.

    cdd is given every row and the objective as primitive integer vectors: row
    ``i`` scaled by ``k_i > 0`` (the same inequality), the objective by
    ``k_g > 0``. cdd's dual ``y'`` then satisfies ``sum y'_i k_i G_i = k_g g``,
    so ``y_i = y'_i k_i / k_g`` and the value is cdd's divided by ``k_g``; the
    caller checks all of it exactly against the unscaled rows.
    """
    scales: list[Fraction] = []
    array: list[list[int]] = []
    for row, hi in zip(G, h):
        k, ints = _scaled([hi, *(-v for v in row)])
        scales.append(k)
        array.append(ints)
    for row, fi in zip(E, f):
        k, ints = _scaled([fi, *(-v for v in row)])
        scales += [k, k]
        array.append(ints)
        array.append([-v for v in ints])
    kg, obj = _scaled([_ZERO, *g])
    array.append(obj)
    with _long_numbers(), _cdd_call("LP", array):
        lp = _cdd.linprog_from_array(array, _cdd.LPObjType.MAX)
        _cdd.linprog_solve(lp, _LP_SOLVER)
        status = lp.status
        if status != _cdd.LPStatusType.OPTIMAL:
            return status, _ZERO, (), (), ()
        dual = [_ZERO] * (len(array) - 1)
        for index, value in lp.dual_solution:
            dual[index] = Fraction(value) * scales[index] / kg
        primal = tuple(Fraction(v) for v in lp.primal_solution)
        value = Fraction(lp.obj_value) / kg
    m = len(G)
    y = tuple(dual[:m])
    z = tuple(dual[m + 2 * k] - dual[m + 2 * k + 1] for k in range(len(E)))
    return status, value, primal, y, z


def _check_dual(g: Sequence[Fraction], G: Sequence[Sequence[Fraction]], h: Sequence[Fraction],
                E: Sequence[Sequence[Fraction]], f: Sequence[Fraction],
                v: Vector, y: Vector, z: Vector, value: Fraction) -> bool:
    """Exact check that ``v`` and ``(y, z)`` are optimal primal and dual solutions."""
    n = len(g)
    if len(v) != n or any(_dot(row, v) > hi for row, hi in zip(G, h)):
        return False
    if any(_dot(row, v) != fi for row, fi in zip(E, f)):
        return False
    if any(yi < 0 for yi in y):
        return False
    lhs = [p + q for p, q in zip(_combine(y, G, n), _combine(z, E, n))]
    if lhs != list(g):
        return False
    return _dot(g, v) == value == _dot(y, h) + _dot(z, f)


def _solve_max_checked(g: Sequence[Fraction], G: Sequence[Sequence[Fraction]], h: Sequence[Fraction],
                       E: Sequence[Sequence[Fraction]], f: Sequence[Fraction],
                       what: str) -> tuple[Fraction, Vector, Vector, Vector]:
    """:func:`_solve_max` for an LP that is feasible and bounded by construction."""
    status, value, v, y, z = _solve_max(g, G, h, E, f)
    if status != _cdd.LPStatusType.OPTIMAL:
        raise SolverError(f"cdd returned status {status.name} for the {what} LP, "
                          f"which is feasible and bounded by construction")
    if not _check_dual(g, G, h, E, f, v, y, z, value):
        raise SolverError(f"cdd's solution of the {what} LP does not verify in exact arithmetic")
    return value, v, y, z


# --------------------------------------------------------------------------- interior


@dataclass(frozen=True, slots=True)
class InteriorPoint:
    """A point satisfying every inequality row strictly and every equality row exactly."""

    point: Vector

    def verify(self, A: Any, b: Any, A_eq: Any = (), b_eq: Any = ()) -> bool:
        """Check the witness against the system in exact arithmetic.

        Examples
        --------
        >>> InteriorPoint((Fraction(1, 2),)).verify([[1], [-1]], [1, 0])
        True
        >>> InteriorPoint((Fraction(0),)).verify([[1], [-1]], [1, 0])
        False
        """
        A_, b_, E_, f_, n = _system(A, b, A_eq, b_eq, len(self.point))
        x = self.point
        return (all(_dot(row, x) < bi for row, bi in zip(A_, b_))
                and all(_dot(row, x) == fi for row, fi in zip(E_, f_)))


@dataclass(frozen=True, slots=True)
class NoInterior:
    """Multipliers proving that ``A x < b, A_eq x = b_eq`` has no solution.

    ``multipliers`` ``y >= 0`` (one per inequality row) and ``eq_multipliers``
    ``z`` (free, one per equality row) satisfy ``y^T A + z^T A_eq = 0`` and
    ``y^T b + z^T b_eq <= 0``, with ``y != 0`` or ``y^T b + z^T b_eq < 0``
    (Motzkin's transposition theorem). Any solution ``x`` would give
    ``0 = y^T A x + z^T A_eq x < y^T b + z^T b_eq`` (or ``=`` when ``y = 0``), a
    contradiction.
    """

    multipliers: Vector
    eq_multipliers: Vector

    def verify(self, A: Any, b: Any, A_eq: Any = (), b_eq: Any = (), dim: int | None = None) -> bool:
        """Check the certificate against the system in exact arithmetic.

        Examples
        --------
        >>> NoInterior((Fraction(1), Fraction(1)), ()).verify([[1], [-1]], [0, 0])
        True
        >>> NoInterior((Fraction(1), Fraction(0)), ()).verify([[1], [-1]], [0, 0])
        False
        """
        A_, b_, E_, f_, n = _system(A, b, A_eq, b_eq, dim if dim is not None else _guess_dim(A, A_eq))
        y, z = self.multipliers, self.eq_multipliers
        if len(y) != len(A_) or len(z) != len(E_) or any(v < 0 for v in y):
            return False
        combo = [p + q for p, q in zip(_combine(y, A_, n), _combine(z, E_, n))]
        if any(combo):
            return False
        total = _dot(y, b_) + _dot(z, f_)
        return total < 0 or (total == 0 and any(y))


def _guess_dim(A: Any, A_eq: Any) -> int:
    for rows in (A, A_eq):
        for row in rows:
            return len(row)
    return 0


def decide_interior(A: Any, b: Any, A_eq: Any = (), b_eq: Any = (), *,
                    dim: int | None = None) -> InteriorPoint | NoInterior:
    """Decide whether ``A x < b, A_eq x = b_eq`` has a solution; return a witness.

    Parameters
    ----------
    A, b
        Inequality rows, ``A[i] . x < b[i]`` strictly. Exact rationals.
    A_eq, b_eq
        Equality rows, ``A_eq[k] . x = b_eq[k]``.
    dim
        The dimension of ``x``; required only when ``A`` and ``A_eq`` are both empty.

    Returns
    -------
    InteriorPoint or NoInterior
        A point satisfying every inequality strictly and every equality, or
        multipliers proving that there is none. Either is verified exactly
        before it is returned.

    Raises
    ------
    InputError
        On inconsistent shapes, a missing ``dim``, or (as ``NumberError``) a float.
    SolverError
        If cdd's answer does not verify in exact arithmetic.

    Notes
    -----
    One exact LP in ``dim + 1`` variables: maximise ``s`` subject to
    ``A x + s <= b``, ``A_eq x = b_eq``, ``s <= 1``; the point is the optimal ``x``
    when the optimum is positive, the multipliers are the optimal dual solution
    otherwise. Rows with zero coefficients are decided without the LP
    (``0 < b`` holds exactly when ``b > 0``), and an inconsistent equality system
    is detected by exact Gaussian elimination. With these, the LP is feasible and
    bounded by construction.

    Examples
    --------
    >>> decide_interior([[1, 0], [0, 1], [-1, -1]], [1, 1, 0])
    InteriorPoint(point=(Fraction(1, 3), Fraction(1, 3)))
    >>> decide_interior([[1], [-1]], [0, 0])
    NoInterior(multipliers=(Fraction(1, 2), Fraction(1, 2)), eq_multipliers=())
    """
    A_, b_, E_, f_, n = _system(A, b, A_eq, b_eq, dim)
    m = len(A_)
    for i, (row, bi) in enumerate(zip(A_, b_)):
        if not any(row) and bi <= 0:
            y = tuple(_ONE if k == i else _ZERO for k in range(m))
            return _checked_certificate(NoInterior(y, (_ZERO,) * len(E_)), A_, b_, E_, f_, n)
    conflict = _equality_conflict(E_, f_, n)
    if conflict is not None:
        return _checked_certificate(NoInterior((_ZERO,) * m, conflict), A_, b_, E_, f_, n)
    live = [i for i, row in enumerate(A_) if any(row)]
    # Variables (x, s): maximise s s.t. a_i x + s <= b_i, s <= 1, E x = f.
    G = [(*A_[i], _ONE) for i in live] + [(*([_ZERO] * n), _ONE)]
    h = [b_[i] for i in live] + [_ONE]
    E = [(*row, _ZERO) for row in E_]
    g = (*([_ZERO] * n), _ONE)
    value, v, y, z = _solve_max_checked(g, G, h, E, f_, "interior point")
    if value > 0:
        witness = InteriorPoint(v[:n])
        if not witness.verify(A_, b_, E_, f_):
            raise SolverError("the interior point from cdd does not verify in exact arithmetic")
        return witness
    full = [_ZERO] * m
    for k, i in enumerate(live):
        full[i] = y[k]
    return _checked_certificate(NoInterior(tuple(full), z), A_, b_, E_, f_, n)


def _checked_certificate(cert: NoInterior, A: Matrix, b: Vector, E: Matrix, f: Vector,
                         n: int) -> NoInterior:
    if not cert.verify(A, b, E, f, dim=n):
        raise SolverError("the infeasibility certificate does not verify in exact arithmetic")
    return cert


def interior_point(A: Any, b: Any, A_eq: Any = (), b_eq: Any = (), *,
                   dim: int | None = None) -> Vector | None:
    """A point with ``A x < b`` strictly and ``A_eq x = b_eq``, or ``None``.

    A thin wrapper of :func:`decide_interior`; see there for the parameters.

    Examples
    --------
    >>> interior_point([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])
    (Fraction(1, 3), Fraction(1, 3))
    >>> interior_point([[-1, 0], [0, -1], [1, 1]], [0, 0, 0]) is None
    True
    >>> interior_point([[-1, 0]], [0], A_eq=[[1, 1]], b_eq=[2])
    (Fraction(1, 1), Fraction(1, 1))
    >>> interior_point([], [], dim=2)
    (Fraction(0, 1), Fraction(0, 1))
    """
    result = decide_interior(A, b, A_eq, b_eq, dim=dim)
    return result.point if isinstance(result, InteriorPoint) else None


def is_full_dimensional(A: Any, b: Any, dim: int | None = None) -> bool:
    """Whether ``{x : A x <= b}`` has dimension ``dim`` (non-empty interior).

    Rows with zero coefficients and ``b >= 0`` hold everywhere and are ignored
    (``0 <= 0`` does not make the set thin); a zero row with ``b < 0`` makes
    it empty. Otherwise the set is full-dimensional exactly when the strict
    system ``A x < b`` has a solution.

    Examples
    --------
    >>> is_full_dimensional([[1, 0], [-1, 0]], [1, 0])
    True
    >>> is_full_dimensional([[1, 0], [-1, 0]], [0, 0])
    False
    >>> is_full_dimensional([[0, 0]], [0])
    True
    """
    A_, b_, _, _, n = _system(A, b, (), (), dim)
    if any(not any(row) and bi < 0 for row, bi in zip(A_, b_)):
        return False
    keep = [i for i, row in enumerate(A_) if any(row)]
    return interior_point([A_[i] for i in keep], [b_[i] for i in keep], dim=n) is not None


# --------------------------------------------------------------------------- optimisation


@dataclass(frozen=True, slots=True)
class LPResult:
    """The exact outcome of :func:`minimize` or :func:`maximize`.

    Attributes
    ----------
    sense
        ``"min"`` or ``"max"``.
    status
        ``"optimal"``, ``"unbounded"`` or ``"infeasible"``.
    value
        The optimal value of ``c . x + d`` (``None`` unless optimal).
    point
        An optimal point when optimal; a feasible point when unbounded.
    ray
        When unbounded: a direction ``r`` with ``A r <= 0``, ``A_eq r = 0`` and
        ``c . r`` of the improving sign, so ``point + t r`` is feasible for every
        ``t >= 0`` and the objective is unbounded along it.
    multipliers, eq_multipliers
        When optimal: a dual solution ``y >= 0``, ``z`` proving optimality, with
        ``y^T A + z^T A_eq = c`` and ``value = y^T b + z^T b_eq + d`` for ``max``,
        and ``y^T A + z^T A_eq = -c`` and ``value = d - (y^T b + z^T b_eq)`` for
        ``min``. When infeasible: a Farkas certificate ``y >= 0``, ``z`` with
        ``y^T A + z^T A_eq = 0`` and ``y^T b + z^T b_eq < 0``.
    """

    sense: Literal["min", "max"]
    status: Literal["optimal", "unbounded", "infeasible"]
    value: Fraction | None = None
    point: Vector | None = None
    ray: Vector | None = None
    multipliers: Vector | None = None
    eq_multipliers: Vector | None = None

    @property
    def is_optimal(self) -> bool:
        return self.status == "optimal"

    def __repr__(self) -> str:
        if self.status == "optimal":
            return f"LPResult({self.sense}, optimal, value={self.value})"
        return f"LPResult({self.sense}, {self.status})"

    def verify(self, c: Any, d: Any, A: Any, b: Any, A_eq: Any = (), b_eq: Any = ()) -> bool:
        """Check every witness of this result against the LP in exact arithmetic.

        Examples
        --------
        >>> res = minimize([1], 0, [[-1]], [-2])
        >>> res.value, res.verify([1], 0, [[-1]], [-2]), res.verify([1], 0, [[-1]], [-3])
        (Fraction(2, 1), True, False)
        """
        cvec = _vector(c, "c")
        A_, b_, E_, f_, n = _system(A, b, A_eq, b_eq, len(cvec))
        dd = _exact(d, "d")
        sign = _ONE if self.sense == "max" else -_ONE
        g = tuple(sign * v for v in cvec)
        if self.status == "infeasible":
            y, z = self.multipliers, self.eq_multipliers
            if y is None or z is None or len(y) != len(A_) or len(z) != len(E_) or any(v < 0 for v in y):
                return False
            if any(p + q for p, q in zip(_combine(y, A_, n), _combine(z, E_, n))):
                return False
            return _dot(y, b_) + _dot(z, f_) < 0
        x = self.point
        if x is None or len(x) != n:
            return False
        if any(_dot(r, x) > bi for r, bi in zip(A_, b_)) or any(_dot(r, x) != fi for r, fi in zip(E_, f_)):
            return False
        if self.status == "unbounded":
            r = self.ray
            if r is None or len(r) != n:
                return False
            return (all(_dot(row, r) <= 0 for row in A_) and all(_dot(row, r) == 0 for row in E_)
                    and _dot(g, r) > 0)
        y, z = self.multipliers, self.eq_multipliers
        if y is None or z is None or self.value is None:
            return False
        if len(y) != len(A_) or len(z) != len(E_):
            return False
        if not _check_dual(g, A_, b_, E_, f_, x, y, z, _dot(g, x)):
            return False
        return self.value == _dot(cvec, x) + dd


def _optimize(sense: Literal["min", "max"], c: Any, d: Any, A: Any, b: Any, A_eq: Any, b_eq: Any,
              dim: int | None) -> LPResult:
    cvec = _vector(c, "c")
    if dim is not None and dim != len(cvec):
        raise InputError(f"c has {len(cvec)} entries, expected dim={dim}")
    A_, b_, E_, f_, n = _system(A, b, A_eq, b_eq, len(cvec))
    dd = _exact(d, "d")
    sign = _ONE if sense == "max" else -_ONE
    g = tuple(sign * v for v in cvec)

    # 1. Try the LP directly; an optimal basis whose dual verifies is a proof.
    status, value, x, y, z = _solve_max(g, A_, b_, E_, f_)
    if status == _cdd.LPStatusType.OPTIMAL and _check_dual(g, A_, b_, E_, f_, x, y, z, value):
        return LPResult(sense, "optimal", sign * value + dd, x, None, y, z)

    # 2. Feasibility: maximise -t s.t. A x - t <= b, t >= 0, A_eq x = b_eq.
    conflict = _equality_conflict(E_, f_, n)
    if conflict is not None:
        return _checked(LPResult(sense, "infeasible", multipliers=(_ZERO,) * len(A_),
                                 eq_multipliers=conflict), cvec, dd, A_, b_, E_, f_)
    G = [(*row, -_ONE) for row in A_] + [(*([_ZERO] * n), -_ONE)]
    h = [*b_, _ZERO]
    E = [(*row, _ZERO) for row in E_]
    t_value, v, y, z = _solve_max_checked((*([_ZERO] * n), -_ONE), G, h, E, f_, "feasibility")
    if t_value < 0:
        return _checked(LPResult(sense, "infeasible", multipliers=y[:len(A_)], eq_multipliers=z),
                        cvec, dd, A_, b_, E_, f_)
    feasible = v[:n]

    # 3. Improving ray: maximise g . r s.t. A r <= 0, A_eq r = 0, g . r <= 1.
    ray_value, r, _, _ = _solve_max_checked(g, [*A_, g], [*([_ZERO] * len(A_)), _ONE],
                                            E_, [_ZERO] * len(E_), "ray")
    if ray_value > 0:
        return _checked(LPResult(sense, "unbounded", point=feasible, ray=r), cvec, dd, A_, b_, E_, f_)
    raise SolverError(f"cdd returned status {status.name} for an LP that is feasible and bounded")


def _checked(result: LPResult, c: Vector, d: Fraction, A: Matrix, b: Vector, E: Matrix,
             f: Vector) -> LPResult:
    if not result.verify(c, d, A, b, E, f):
        raise SolverError(f"the {result.status} answer from cdd does not verify in exact arithmetic")
    return result


def minimize(c: Any, d: Any, A: Any, b: Any, A_eq: Any = (), b_eq: Any = (), *,
             dim: int | None = None) -> LPResult:
    """Minimise ``c . x + d`` over ``{x : A x <= b, A_eq x = b_eq}`` exactly.

    Parameters
    ----------
    c, d
        The objective: a vector (its length is the dimension) and a constant.
    A, b, A_eq, b_eq
        The feasible set, ``A x <= b`` and ``A_eq x = b_eq``.
    dim
        Optional; must equal ``len(c)`` when given.

    Returns
    -------
    LPResult
        Infeasibility and unboundedness are reported in ``status``, not raised;
        every outcome carries a witness that :meth:`LPResult.verify` checks
        (and that has been checked before it is returned).

    Raises
    ------
    InputError
        On inconsistent shapes or (as ``NumberError``) a float.
    SolverError
        If cdd's answer does not verify in exact arithmetic.

    Notes
    -----
    One exact LP when the optimum is finite; otherwise a feasibility LP and a
    ray LP decide between ``"infeasible"`` and ``"unbounded"``.

    Examples
    --------
    >>> res = minimize([1, 1], 0, [[-1, 0], [0, -1], [-1, -2]], [0, 0, -2])
    >>> res.status, res.value, res.point
    ('optimal', Fraction(1, 1), (Fraction(0, 1), Fraction(1, 1)))
    >>> res = minimize([1], 0, [[1]], [3])
    >>> res, res.ray
    (LPResult(min, unbounded), (Fraction(-1, 1),))
    >>> minimize([1], 0, [[1], [-1]], [0, -1]).status
    'infeasible'
    """
    return _optimize("min", c, d, A, b, A_eq, b_eq, dim)


def maximize(c: Any, d: Any, A: Any, b: Any, A_eq: Any = (), b_eq: Any = (), *,
             dim: int | None = None) -> LPResult:
    """Maximise ``c . x + d`` over ``{x : A x <= b, A_eq x = b_eq}`` exactly.

    See :func:`minimize` for the parameters and the result.

    Examples
    --------
    >>> res = maximize([1, 2], 1, [[1, 0], [0, 1], [-1, 0], [0, -1]], [1, 1, 0, 0])
    >>> res.value, res.point, res.multipliers
    (Fraction(4, 1), (Fraction(1, 1), Fraction(1, 1)), (Fraction(1, 1), Fraction(2, 1), Fraction(0, 1), Fraction(0, 1)))
    """
    return _optimize("max", c, d, A, b, A_eq, b_eq, dim)


# --------------------------------------------------------------------------- redundancy


def irredundant_rows(A: Any, b: Any, dim: int | None = None) -> tuple[int, ...]:
    """Indices of the rows of ``A x <= b`` that define facets, one per facet.

    Parameters
    ----------
    A, b
        The rows of a full-dimensional polyhedron ``{x : A x <= b}``.
    dim
        Required only when ``A`` has no rows.

    Returns
    -------
    tuple of int
        Increasing row indices. Of several rows that are positive multiples of
        each other (the same halfspace), the first is kept; rows with zero
        coefficients are never kept.

    Raises
    ------
    DomainError
        If the polyhedron is not full-dimensional (empty or thin).

    Notes
    -----
    Duplicates are removed by comparing primitive integer rows; then one exact,
    checked LP per remaining row (not ``cdd.gmp.redundant_rows``, whose dual
    simplex can abort the process, issue 23).

    Examples
    --------
    >>> irredundant_rows([[1, 0], [2, 0], [0, 1], [-1, 0], [0, -1], [1, 1], [0, 0]],
    ...                  [1, 2, 1, 0, 0, 5, 1])
    (0, 2, 3, 4)
    """
    A_, b_, _, _, n = _system(A, b, (), (), dim)
    if not is_full_dimensional(A_, b_, n):
        raise DomainError("irredundant_rows needs a full-dimensional polyhedron; "
                          "{x : A x <= b} is empty or has lower dimension")
    seen: set[tuple[int, ...]] = set()
    candidates: list[int] = []
    for i, (row, bi) in enumerate(zip(A_, b_)):
        if not any(row):
            continue
        key = primitive_row((*row, bi))
        if key not in seen:
            seen.add(key)
            candidates.append(i)
    if not candidates:
        return ()
    # One exact LP per candidate through _solve_max (integer rows, criss-cross, checked),
    # not cdd.redundant_rows: that runs cddlib's dual simplex, whose floating-point pass
    # can corrupt the heap (issue 23). Row i is a facet iff max a_i . x over the other
    # candidates and a_i . x <= b_i + 1 exceeds b_i.
    kept = []
    for i in candidates:
        others = [j for j in candidates if j != i]
        res = _optimize("max", A_[i], 0, [A_[j] for j in others] + [A_[i]],
                        [b_[j] for j in others] + [b_[i] + 1], (), (), n)
        if res.status != "optimal":
            raise SolverError(f"the redundancy LP of row {i} is {res.status}, expected optimal")
        if res.value > b_[i]:
            kept.append(i)
    return tuple(kept)


def extreme_points(points: Any) -> tuple[int, ...]:
    """Indices of the vertices of the convex hull of *points*, one per distinct point.

    Examples
    --------
    >>> extreme_points([[0, 0], [1, 0], [0, 1], [1, 1], ["1/2", "1/2"], [1, 0]])
    (0, 1, 2, 3)
    """
    rows = [_vector(p, f"points[{i}]") for i, p in enumerate(_as_list(points, "points"))]
    seen: set[Vector] = set()
    candidates: list[int] = []
    for i, row in enumerate(rows):
        if row not in seen:
            seen.add(row)
            candidates.append(i)
    if len(candidates) <= 1:
        return tuple(candidates)
    # Point i is a vertex iff it is not a convex combination of the other distinct
    # points: one exact LP per point (see irredundant_rows for why not cdd's test).
    kept = []
    for i in candidates:
        others = [rows[j] for j in candidates if j != i]
        k = len(others)
        A_eq = [[p[t] for p in others] for t in range(len(rows[i]))] + [[_ONE] * k]
        res = _optimize("max", [_ZERO] * k, 0,
                        [[-_ONE if u == v else _ZERO for u in range(k)] for v in range(k)],
                        [_ZERO] * k, A_eq, [*rows[i], _ONE], k)
        if res.status == "infeasible":
            kept.append(i)
    return tuple(kept)
