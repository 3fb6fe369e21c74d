"""Domains as the checker compares them: the canonical rows of ``{"A": [...], "b": [...]}``
(:func:`domain_rows`), the box of ``--box LO HI`` (:func:`box_domain`), one line for
humans (:func:`describe_domain`), and the comparison of a certificate's domain with the
one asked for (:func:`compare_domains`).

A valid proof about a smaller box proves nothing about the domain someone asks for, so
the domains must be the same set of inequalities, up to order, positive scaling,
duplicates and trivial rows.
"""

from __future__ import annotations

from fractions import Fraction

from .common import CheckFailure, _lcm, _list_of, _num, _primitive, _text


def domain_rows(domain, n, place="domain"):
    """The canonical rows of ``{"A": [...], "b": [...]}``: a set of primitive integer tuples
    ``(a_1, ..., a_n, b)`` for ``a . x <= b``, trivial rows ``0 <= b`` (b >= 0) left out."""
    _list_of(domain["A"], list, f"{place}.A")
    _list_of(domain["b"], None, f"{place}.b")
    if len(domain["A"]) != len(domain["b"]):
        raise CheckFailure(f"{place}: A has {len(domain['A'])} rows but b has {len(domain['b'])} entries")
    rows = set()
    for i, (a, b) in enumerate(zip(domain["A"], domain["b"])):
        if len(a) != n:
            raise CheckFailure(f"{place} A[{i}]: {len(a)} coefficients, expected {n}")
        row = [_num(v, f"{place} A[{i}]") for v in a] + [_num(b, f"{place} b[{i}]")]
        if not any(row[:-1]) and row[-1] >= 0:
            continue
        scale = _lcm(v.denominator for v in row)
        rows.add(tuple(_primitive([int(v * scale) for v in row])))
    return rows


def box_domain(low, high, n):
    """``{"A": ..., "b": ...}`` of the box ``low_i <= x_i <= high_i``; *low* and *high* are one
    exact number (text such as ``-1/2`` or ``0.25``) or one per coordinate (a comma-separated text)."""
    bounds = []
    for name, text in (("low", low), ("high", high)):
        parts = [p.strip() for p in str(text).split(",")]
        if len(parts) == 1:
            parts = parts * n
        if len(parts) != n:
            raise CheckFailure(f"--box: {len(parts)} values in {text!r}, the model has {n} inputs")
        bounds.append([_num(v, f"--box {name}") for v in parts])
    rows, rhs = [], []
    for i, (lo, hi) in enumerate(zip(*bounds)):
        if not lo < hi:
            raise CheckFailure(f"--box: coordinate {i}: low {_text(lo)} must be below high {_text(hi)}")
        rows += [[-int(i == j) for j in range(n)], [int(i == j) for j in range(n)]]
        rhs += [-lo, hi]
    return {"A": rows, "b": rhs}


def _row_text(row):
    terms = []
    for i, c in enumerate(row[:-1]):
        if c:
            sign = "-" if c < 0 else "+"
            size = "" if abs(c) == 1 else f"{abs(c)} "
            terms.append(f"{sign} {size}x{i + 1}")
    lhs = " ".join(terms).lstrip("+ ") if terms else "0"
    if lhs.startswith("- "):
        lhs = "-" + lhs[2:]
    return f"{lhs} <= {row[-1]}"


def describe_domain(domain, n):
    """One line for humans: ``all of R^2``, ``box [-1, 1]^2``, ``box [0, 1] x [-1/2, 2]``, or
    ``polyhedron in R^2: x1 + x2 <= 1, -x1 <= 0, -x2 <= 0`` (every row)."""
    rows = sorted(domain_rows(domain, n))
    if not rows:
        return f"all of R^{n}"
    low, high = {}, {}
    for row in rows:
        axes = [i for i, c in enumerate(row[:-1]) if c]
        if len(axes) != 1:
            break
        c = row[axes[0]]
        side = high if c > 0 else low
        if axes[0] in side:
            break
        side[axes[0]] = Fraction(row[-1], c)
    else:
        if len(low) == len(high) == n and all(low[i] < high[i] for i in range(n)):
            if len(set(low.values())) == 1 and len(set(high.values())) == 1:
                return f"box [{_text(low[0])}, {_text(high[0])}]^{n}"
            return "box " + " x ".join(f"[{_text(low[i])}, {_text(high[i])}]" for i in range(n))
    return f"polyhedron in R^{n}: " + ", ".join(_row_text(row) for row in rows)


def compare_domains(proved, asked, n, what):
    """Raise :class:`CheckFailure` unless the certificate's domain *proved* is the domain
    *asked* for (None: not compared); *what* the certificate proves there ("the count")."""
    if asked is not None:
        if domain_rows(proved, n) != domain_rows(asked, n, "expected domain"):
            raise CheckFailure(f"domain: the certificate proves {what} on {describe_domain(proved, n)}, "
                               f"not on the domain asked for ({describe_domain(asked, n)})")
