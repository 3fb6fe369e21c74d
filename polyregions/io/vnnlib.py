"""Properties for ``polyregions verify``: a subset of VNN-LIB, and a JSON form.

A property says which inputs are considered (linear constraints on the input: a box or
``A x <= b``) and which outputs must never occur there: an *unsafe set*, a
disjunction of conjunctions of linear constraints ``c . y <= d`` on the outputs (the
VNN-LIB convention: the assertions describe a counterexample; the property holds when
there is none). :class:`Property` holds both exactly.

VNN-LIB subset read by :func:`parse_vnnlib` (VNN-LIB 1.0, as in the VNN-COMP
benchmarks):

- ``(declare-const X_i Real)`` and ``(declare-const Y_j Real)``: inputs ``X_0 ..
  X_{n0-1}`` and outputs ``Y_0 .. Y_{m-1}``, every one declared, numbered from 0;
- ``(assert F)`` where every atom of ``F`` is ``(<= s t)``, ``(>= s t)`` or ``(= s t)``
  between linear terms: a variable, a number (an integer or a decimal such as
  ``-0.5`` or ``1e-3``, read as the exact decimal it spells), ``(+ t ...)``, ``(- t
  ...)`` (with one argument: the negation), ``(* a t)`` with a number ``a``;
- an assertion about inputs only gives rows of the input domain; an assertion about
  outputs only is an atom, an ``and``,
  or an ``or`` of such (an ``or`` of ``and``\\s of atoms, ``or`` inside ``and`` too,
  which is multiplied out); the unsafe set is the conjunction of all output
  assertions;
- comments start with ``;``.

- an assertion about inputs only is a formula of ``and``/``or`` over atoms like an
  output assertion: with an ``or`` the inputs are a union of polyhedra (at most
  1,024 once multiplied out), and the property holds when it holds on each; bounds
  may fix an input (``X_2`` between 0 and 0), which ``verify`` substitutes into the
  network.

Not supported (each refused with a message saying what and where): strict ``<`` and
``>`` (the unsafe set would not be closed), ``not``, ``=>``, assertions that mix
inputs and outputs, nonlinear terms, other sorts and commands.

The JSON form (``polyregions-property/1``)::

    {"format": "polyregions-property/1",
     "input": {"low": [...], "high": [...]}      (a box; or {"A": [[...]], "b": [...]};
                                                  or a list of those: a union),
     "unsafe": [[{"c": [1, -1], "d": 0}, ...], ...]}

``unsafe`` is the disjunction (a list) of conjunctions (lists) of rows ``c . y <= d``;
numbers as in model files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from os import PathLike
from pathlib import Path
from typing import Any, Sequence

from ..core.domain import Domain
from ..errors import InputError, NumberError, naming
from ..checker.fileformat import FormatError, read_number
from ..files import parse_json_exact, read_text
from ..rationals import format_rational, to_rational

__all__ = ["Property", "parse_vnnlib", "property_from_json", "load_property"]

PROPERTY_FORMAT = "polyregions-property/1"

Row = tuple[tuple[Fraction, ...], Fraction]


@dataclass(frozen=True, slots=True)
class Property:
    """Inputs considered and outputs that must never occur there.

    Attributes
    ----------
    domain
        The input set (a :class:`~polyregions.core.domain.Domain`); a box may fix
        inputs (``low == high``: the set is then lower-dimensional).
    unsafe
        A disjunction of conjunctions: each conjunction a tuple of rows ``(c, d)``
        meaning ``c . y <= d`` over the outputs ``y``.
    others
        More input sets: the inputs are the union of ``domain`` and these (VNN-LIB's
        ``or`` over inputs); the property holds when it holds on each.
    """

    domain: Domain
    unsafe: tuple[tuple[Row, ...], ...]
    others: tuple[Domain, ...] = ()

    @property
    def domains(self) -> tuple[Domain, ...]:
        """Every input set of the union (one unless the inputs have an ``or``)."""
        return (self.domain,) + self.others

    @property
    def outputs(self) -> int:
        return len(self.unsafe[0][0][0]) if self.unsafe and self.unsafe[0] else 0

    def unsafe_json(self) -> list[list[dict[str, Any]]]:
        """The unsafe set as JSON (exact strings)."""
        return [[{"c": [format_rational(v) for v in c], "d": format_rational(d)} for c, d in conj]
                for conj in self.unsafe]

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``polyregions-property/1``), each input set as rows ``A x <= b``
        (a list of them for a union)."""
        parts = [{"A": [[format_rational(Fraction(v)) for v in a] for a, _ in domain.rows],
                  "b": [format_rational(Fraction(b)) for _, b in domain.rows]} for domain in self.domains]
        return {"format": PROPERTY_FORMAT, "input": parts[0] if len(parts) == 1 else parts,
                "unsafe": self.unsafe_json()}

    def describe(self) -> str:
        """One line: ``2 unsafe disjuncts over 3 outputs on box [-1, 1]^2``."""
        count = len(self.unsafe)
        where = (self.domain.describe() if not self.others
                 else f"the union of {len(self.domains)} input sets ({self.domain.describe()}, ...)")
        return (f"{count} unsafe {'disjunct' if count == 1 else 'disjuncts'} over {self.outputs} "
                f"{'output' if self.outputs == 1 else 'outputs'} on {where}")


# -- S-expressions -----------------------------------------------------------------------------

_TOKEN = re.compile(r";[^\n]*|\(|\)|[^\s();]+|\s+")


def _tokens(text: str, source: str) -> list[tuple[str, int]]:
    """The tokens with their line numbers (comments and blanks left out)."""
    out = []
    line = 1
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token[0] == ";" or token.isspace():
            line += token.count("\n")
            continue
        out.append((token, line))
    return out


class _List(list):
    """A parenthesised list, with the line of its ``(``."""

    line = 0


#: The most input sets of a union (an ``or`` over inputs, multiplied out).
MAX_INPUT_PARTS = 1024

#: How deep parentheses may nest (the terms and formulas are walked recursively).
MAX_NESTING = 100


def _parse(tokens: list[tuple[str, int]], source: str) -> list[Any]:
    """Nested lists of (token, line) atoms."""
    stack: list[list[Any]] = [[]]
    lines: list[int] = []
    for token, line in tokens:
        if token == "(":
            if len(stack) > MAX_NESTING:
                raise InputError(f"{source}: line {line}: parentheses nested more than {MAX_NESTING} deep")
            opened = _List()
            opened.line = line
            stack.append(opened)
            lines.append(line)
        elif token == ")":
            if len(stack) == 1:
                raise InputError(f"{source}: line {line}: ')' without '('")
            done = stack.pop()
            lines.pop()
            stack[-1].append(done)
        else:
            stack[-1].append((token, line))
    if len(stack) != 1:
        raise InputError(f"{source}: line {lines[-1]}: '(' is never closed")
    return stack[0]


def _line(expr: Any) -> int:
    return expr.line if isinstance(expr, _List) else expr[1]


def _word(expr: Any) -> str | None:
    return expr[0] if isinstance(expr, tuple) else None


# -- linear terms ------------------------------------------------------------------------------

class _Vars:
    def __init__(self) -> None:
        self.declared: dict[str, tuple[str, int]] = {}

    def declare(self, name: str, sort: str, source: str, line: int) -> None:
        match = re.fullmatch(r"([XY])_(0|[1-9][0-9]*)", name)
        if match is None:
            raise InputError(f"{source}: line {line}: variable {name!r}: expected X_i (inputs) or Y_j (outputs)")
        if sort != "Real":
            raise InputError(f"{source}: line {line}: variable {name} has sort {sort}, expected Real")
        if name in self.declared:
            raise InputError(f"{source}: line {line}: variable {name} declared twice")
        self.declared[name] = (match.group(1), int(match.group(2)))


def _term(expr: Any, names: _Vars, source: str) -> dict[Any, Fraction]:
    """A linear term as {variable: coefficient, None: constant}."""
    line = _line(expr)
    if isinstance(expr, tuple):
        word = expr[0]
        if word in names.declared:
            return {names.declared[word]: Fraction(1)}
        try:
            return {None: read_number(word, f"{source}: line {line}")}
        except FormatError:
            raise InputError(f"{source}: line {line}: {word!r} is neither a declared variable nor a number") from None
    if not expr or not isinstance(expr[0], tuple):
        raise InputError(f"{source}: line {line}: expected a term")
    op, args = expr[0][0], [_term(a, names, source) for a in expr[1:]]
    if op == "+" and args:
        return _add(args)
    if op == "-" and args:
        if len(args) == 1:
            return {k: -v for k, v in args[0].items()}
        return _add([args[0]] + [{k: -v for k, v in a.items()} for a in args[1:]])
    if op == "*" and len(args) == 2:
        constant = [a for a in args if set(a) <= {None}]
        if not constant:
            raise InputError(f"{source}: line {line}: a product of two variables is not linear")
        factor = constant[0].get(None, Fraction(0))
        other = args[1] if constant[0] is args[0] else args[0]
        return {k: factor * v for k, v in other.items()}
    raise InputError(f"{source}: line {line}: unsupported term ({op} ...): use +, -, * by a number")


def _add(terms: Sequence[dict[Any, Fraction]]) -> dict[Any, Fraction]:
    out: dict[Any, Fraction] = {}
    for t in terms:
        for k, v in t.items():
            out[k] = out.get(k, Fraction(0)) + v
    return out


def _atom(expr: Any, names: _Vars, source: str) -> list[dict[Any, Fraction]]:
    """The rows ``term <= 0`` of a comparison (two for ``=``)."""
    line = _line(expr)
    op = _word(expr[0]) if isinstance(expr, list) and expr else None
    if op in ("<", ">"):
        raise InputError(f"{source}: line {line}: strict '{op}' is not supported (the unsafe set must be "
                         "closed); use '<=' or '>='")
    if op not in ("<=", ">=", "=") or len(expr) != 3:
        shown = op if op is not None else "a term"
        raise InputError(f"{source}: line {line}: expected a comparison (<= s t), (>= s t) or (= s t), "
                         f"got {shown}")
    left, right = _term(expr[1], names, source), _term(expr[2], names, source)
    diff = _add([left, {k: -v for k, v in right.items()}])
    if op == "<=":
        return [diff]
    if op == ">=":
        return [{k: -v for k, v in diff.items()}]
    return [diff, {k: -v for k, v in diff.items()}]


def _kinds(row: dict[Any, Fraction]) -> set[str]:
    return {k[0] for k, v in row.items() if k is not None and v}


def _dnf(expr: Any, names: _Vars, source: str) -> list[list[dict[Any, Fraction]]]:
    """A formula of and/or over atoms as a disjunction of conjunctions of rows ``term <= 0``."""
    line = _line(expr)
    op = _word(expr[0]) if isinstance(expr, list) and expr else None
    if op == "and":
        out: list[list[dict[Any, Fraction]]] = [[]]
        for part in expr[1:]:
            out = [a + b for a in out for b in _dnf(part, names, source)]
            if len(out) > 100_000:
                raise InputError(f"{source}: line {line}: the unsafe set has more than 100,000 disjuncts")
        return out
    if op == "or" and len(expr) == 1:
        raise InputError(f"{source}: line {line}: (or) with no terms is false: nothing would be unsafe; "
                         "give at least one term")
    if op == "or":
        return [conj for part in expr[1:] for conj in _dnf(part, names, source)]
    if op in ("not", "=>", "xor", "ite"):
        raise InputError(f"{source}: line {line}: '{op}' is not supported: use and, or and comparisons")
    return [_atom(expr, names, source)]


def parse_vnnlib(text: str, input_dim: int, output_dim: int, source: str = "property") -> Property:
    """Read a VNN-LIB property (the subset in the module docstring) for a network with
    *input_dim* inputs and *output_dim* outputs.

    Raises
    ------
    InputError
        Naming the line and what was expected, for anything outside the subset.

    Examples
    --------
    >>> prop = parse_vnnlib('''
    ... (declare-const X_0 Real) (declare-const Y_0 Real) (declare-const Y_1 Real)
    ... (assert (<= X_0 0.5)) (assert (>= X_0 -0.5))
    ... (assert (or (<= Y_0 Y_1) (>= Y_0 3)))''', 1, 2)
    >>> prop.domain.describe(), prop.unsafe[1]
    ('box [-1/2, 1/2]^1', (((Fraction(-1, 1), Fraction(0, 1)), Fraction(-3, 1)),))
    """
    names = _Vars()
    inputs: list[list[dict[Any, Fraction]]] = [[]]  # a union (an 'or' over inputs) of conjunctions
    outputs: list[list[list[dict[Any, Fraction]]]] = []
    for expr in _parse(_tokens(text, source), source):
        line = _line(expr)
        if not isinstance(expr, list) or not expr or not isinstance(expr[0], tuple):
            raise InputError(f"{source}: line {line}: expected (declare-const ...) or (assert ...)")
        command = expr[0][0]
        if command == "declare-const":
            if len(expr) != 3 or not all(isinstance(e, tuple) for e in expr[1:]):
                raise InputError(f"{source}: line {line}: expected (declare-const NAME Real)")
            names.declare(expr[1][0], expr[2][0], source, line)
            continue
        if command != "assert" or len(expr) != 2:
            raise InputError(f"{source}: line {line}: unsupported command {command!r}: "
                             "expected declare-const or assert")
        dnf = _dnf(expr[1], names, source)
        kinds = set().union(*(_kinds(row) for conj in dnf for row in conj))
        if kinds == {"X", "Y"}:
            raise InputError(f"{source}: line {line}: an assertion mixes inputs and outputs (not supported)")
        if "X" in kinds:
            inputs = [a + b for a in inputs for b in dnf]
            if len(inputs) > MAX_INPUT_PARTS:
                raise InputError(f"{source}: line {line}: the inputs are a union of more than "
                                 f"{MAX_INPUT_PARTS} polyhedra")
        else:
            outputs.append(dnf)
    _check_declared(names, input_dim, output_dim, source)
    domains = []
    for k, part in enumerate(inputs):
        A = [[row.get(("X", i), Fraction(0)) for i in range(input_dim)] for row in part]
        b = [-row.get(None, Fraction(0)) for row in part]
        where = source if len(inputs) == 1 else f"{source}: input set {k}"
        domains.append(_domain(A, b, input_dim, where))
    if not outputs:
        raise InputError(f"{source}: no assertion about the outputs (nothing is unsafe)")
    unsafe: list[list[dict[Any, Fraction]]] = [[]]
    for dnf in outputs:
        unsafe = [a + b for a in unsafe for b in dnf]
        if len(unsafe) > 100_000:
            raise InputError(f"{source}: the unsafe set has more than 100,000 disjuncts")
    rows = [[(tuple(row.get(("Y", j), Fraction(0)) for j in range(output_dim)), -row.get(None, Fraction(0)))
             for row in conj] for conj in unsafe]
    return _property(domains, rows, source)


def _domain(A: list[list[Fraction]], b: list[Fraction], dim: int, source: str) -> Domain:
    """The input rows as a domain: a box when they bound every coordinate alone, from both sides."""
    if not A:
        return Domain.whole(dim)
    low: dict[int, Fraction] = {}
    high: dict[int, Fraction] = {}
    for a, rhs in zip(A, b):
        axes = [i for i, v in enumerate(a) if v]
        if len(axes) != 1:
            break
        i = axes[0]
        bound = rhs / a[i]
        if a[i] > 0:
            high[i] = min(high.get(i, bound), bound)
        else:
            low[i] = max(low.get(i, bound), bound)
    else:
        if len(low) == len(high) == dim:
            if any(low[i] > high[i] for i in range(dim)):
                i = next(i for i in range(dim) if low[i] > high[i])
                raise InputError(f"{source}: the inputs are empty: X_{i} >= {format_rational(low[i])} and "
                                 f"X_{i} <= {format_rational(high[i])}")
            return Domain.box(dim, [low[i] for i in range(dim)], [high[i] for i in range(dim)], flat=True)
    return Domain.from_inequalities(A, b, dim=dim, source=f"{source}: inputs")


def _check_declared(names: _Vars, input_dim: int, output_dim: int, source: str) -> None:
    for kind, dim, what in (("X", input_dim, "inputs"), ("Y", output_dim, "outputs")):
        found = sorted(i for k, i in names.declared.values() if k == kind)
        if found != list(range(dim)):
            got = ", ".join(f"{kind}_{i}" for i in found[:6]) + (", ..." if len(found) > 6 else "") or "none"
            raise InputError(f"{source}: declares {got}; expected {kind}_0 to {kind}_{dim - 1} "
                             f"(the network has {dim} {what})")


def _property(domains: Sequence[Domain], rows: list[list[Row]], source: str) -> Property:
    """Drop rows 0 <= d that always hold and disjuncts with a row 0 <= d < 0 that never does."""
    unsafe = []
    for conj in rows:
        kept = []
        possible = True
        for c, d in conj:
            if not any(c):
                if d < 0:
                    possible = False
                continue
            kept.append((tuple(c), d))
        if possible:
            if not kept:
                raise InputError(f"{source}: a disjunct of the unsafe set puts no constraint on the outputs: "
                                 "every input would be a counterexample")
            unsafe.append(tuple(kept))
    return Property(domains[0], tuple(unsafe), tuple(domains[1:]))


def property_from_json(obj: Any, input_dim: int, output_dim: int, source: str = "property") -> Property:
    """The JSON form (see the module docstring).

    Examples
    --------
    >>> prop = property_from_json({"format": "polyregions-property/1", "input": {"low": [0], "high": [1]},
    ...                            "unsafe": [[{"c": [1, -1], "d": "0.5"}]]}, 1, 2)
    >>> prop.describe()
    '1 unsafe disjunct over 2 outputs on box [0, 1]^1'
    """
    if not isinstance(obj, dict):
        raise InputError(f"{source}: expected a JSON object with keys format, input and unsafe")
    if obj.get("format") != PROPERTY_FORMAT:
        raise InputError(f"{source}: format: expected {PROPERTY_FORMAT!r}, got {obj.get('format')!r}")
    unknown = set(obj) - {"format", "input", "unsafe", "description"}
    if unknown:
        raise InputError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    given = obj.get("input")
    parts = given if isinstance(given, list) and given else [given]
    if len(parts) > MAX_INPUT_PARTS:
        raise InputError(f"{source}: input: a union of more than {MAX_INPUT_PARTS} input sets")
    domains = [_json_domain(part, input_dim, f"{source}: input" if len(parts) == 1 else f"{source}: input[{k}]")
               for k, part in enumerate(parts)]
    unsafe = obj.get("unsafe")
    if not isinstance(unsafe, list) or not unsafe:
        raise InputError(f"{source}: unsafe: expected a non-empty list of conjunctions")
    rows: list[list[Row]] = []
    for k, conj in enumerate(unsafe):
        if not isinstance(conj, list) or not conj:
            raise InputError(f"{source}: unsafe[{k}]: expected a non-empty list of rows {{\"c\": [...], \"d\": ...}}")
        out = []
        for j, row in enumerate(conj):
            place = f"{source}: unsafe[{k}][{j}]"
            if not isinstance(row, dict) or set(row) != {"c", "d"}:
                raise InputError(f"{place}: expected {{\"c\": [...], \"d\": ...}}")
            if not isinstance(row["c"], list) or len(row["c"]) != output_dim:
                raise InputError(f"{place}.c: expected {output_dim} coefficients (one per output)")
            try:
                c = tuple(to_rational(v, f"{place}.c[{i}]") for i, v in enumerate(row["c"]))
                d = to_rational(row["d"], f"{place}.d")
            except NumberError as exc:
                raise InputError(str(exc)) from None
            out.append((c, d))
        rows.append(out)
    return _property(domains, rows, source)


def _json_domain(given: Any, input_dim: int, place: str) -> Domain:
    """One input set of the JSON form: a box (``low``, ``high``; an input may be fixed) or rows."""
    if not isinstance(given, dict):
        raise InputError(f"{place}: expected {{\"low\": [...], \"high\": [...]}} or {{\"A\": [...], \"b\": [...]}}"
                         " (or a list of them: a union)")
    if set(given) == {"low", "high"}:
        try:
            return Domain.box(input_dim, list(given["low"]) if isinstance(given["low"], list) else given["low"],
                              list(given["high"]) if isinstance(given["high"], list) else given["high"], flat=True)
        except InputError as exc:
            raise naming(exc, place) from None
    if set(given) <= {"A", "b", "description"}:
        A, b = given.get("A"), given.get("b")
        if (isinstance(A, list) and isinstance(b, list) and len(A) == len(b)
                and all(isinstance(row, list) and len(row) == input_dim for row in A)):
            # rows that bound each input alone, from both sides, are a box (as Property.to_json
            # writes one, fixed inputs too): the same input set as in VNN-LIB
            try:
                rows = [[to_rational(v, f"{place}.A[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(A)]
                rhs = [to_rational(v, f"{place}.b[{i}]") for i, v in enumerate(b)]
            except NumberError as exc:
                raise InputError(str(exc)) from None
            return _domain(rows, rhs, input_dim, place)
        return Domain.from_json(given, dim=input_dim, source=place)  # its messages for malformed rows
    raise InputError(f"{place}: expected keys low and high, or A and b")


def as_property(prop: Any, network: Any) -> Property:
    """*prop* as a :class:`Property` for *network*: a Property, a property file's path, or a
    parsed ``polyregions-property/1`` object."""
    if isinstance(prop, Property):
        return prop
    if isinstance(prop, (str, PathLike)):
        return load_property(prop, network.input_dim, network.output_dim)
    if isinstance(prop, dict):
        return property_from_json(prop, network.input_dim, network.output_dim)
    raise InputError(f"expected a property (a Property, a .vnnlib or JSON property file, or a "
                     f"polyregions-property/1 object), got {type(prop).__name__}")


def load_property(path: str | Path, input_dim: int, output_dim: int) -> Property:
    """Read a property file: JSON (``polyregions-property/1``) when it starts with ``{``,
    else VNN-LIB."""
    text = read_text(path, "property file")
    if text.lstrip().startswith("{"):
        return property_from_json(parse_json_exact(text, str(path)), input_dim, output_dim, str(path))
    return parse_vnnlib(text, input_dim, output_dim, str(path))
