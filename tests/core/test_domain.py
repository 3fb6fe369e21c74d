"""Tests of :mod:`polyregions.core.domain`: whole space, boxes and rational polyhedra."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import pytest

from polyregions.core import domain as domain_module
from polyregions.core.domain import Domain, load_domain
from polyregions.errors import DomainError, InputError, PolyregionsError

TRIANGLE_A = [[-1, 0], [0, -1], [1, 1]]
TRIANGLE_b = [0, 0, 1]


def write(tmp_path: Path, obj, name="domain.json") -> Path:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return path


def esc(path) -> str:
    return re.escape(str(path))


# ---------------------------------------------------------------- whole space

def test_whole():
    d = Domain.whole(3)
    assert d.dim == 3
    assert d.rows == ()
    assert d.kind == "all"
    assert d.bounds is None
    assert d.describe() == "all of R^3"
    assert repr(d) == "Domain(all of R^3)"
    assert d.to_json() == {"kind": "all", "dim": 3}
    assert d.contains([F(10**9), F(-5), F(1, 3)])
    d.check_full_dimensional()
    assert Domain.whole(3) == d and hash(Domain.whole(3)) == hash(d)


@pytest.mark.parametrize("dim", [0, -1, 2.0, "2", True, None])
def test_whole_needs_a_positive_integer_dimension(dim):
    with pytest.raises(DomainError,
                       match=rf"^domain: dimension must be a positive integer, got {re.escape(repr(dim))}$"):
        Domain.whole(dim)


# ---------------------------------------------------------------- boxes

def test_box_one_interval():
    d = Domain.box(2, "-1/2", 1)
    assert d.kind == "box"
    assert d.rows == (((-2, 0), 1), ((1, 0), 1), ((0, -2), 1), ((0, 1), 1))
    assert d.bounds == ((F(-1, 2), F(1)), (F(-1, 2), F(1)))
    assert d.describe() == "box [-1/2, 1]^2"
    assert repr(d) == "Domain(box [-1/2, 1]^2)"
    assert d.to_json() == {"kind": "box", "dim": 2, "low": ["-1/2", "-1/2"], "high": ["1", "1"]}


def test_box_number_types():
    assert Domain.box(1, Decimal("0.25"), 3) == Domain.box(1, "0.25", "3/1") == Domain.box(1, F(1, 4), 3.0)
    assert Domain.box(1, 0.25, 3).rows == (((-4,), -1), ((1,), 3))


def test_box_per_coordinate():
    d = Domain.box(2, [-1, 0], [1, "2"])
    assert d.rows == (((-1, 0), 1), ((1, 0), 1), ((0, -1), 0), ((0, 1), 2))
    assert d.bounds == ((F(-1), F(1)), (F(0), F(2)))
    assert d.describe() == "box [-1, 1] x [0, 2]"
    assert d.to_json() == {"kind": "box", "dim": 2, "low": ["-1", "0"], "high": ["1", "2"]}
    assert Domain.box(2, (-1, -1), 1) == Domain.box(2, -1, 1)


def test_box_contains():
    d = Domain.box(2, -1, 1)
    assert d.contains([F(1), F(-1)])
    assert d.contains([F(0), F(0)])
    assert not d.contains([F(1), F(3, 2)])


def test_box_low_equal_high_is_not_full_dimensional():
    with pytest.raises(DomainError, match=r"^box coordinate 0: low 1 must be below high 1 \(not full-dimensional\)$"):
        Domain.box(2, 1, 1)
    with pytest.raises(DomainError, match=r"^box coordinate 1: low 0 must be below high 0 \(not full-dimensional\)$"):
        Domain.box(2, [-1, 0], [1, "0/3"])


def test_box_low_above_high_is_empty():
    with pytest.raises(DomainError, match=r"^box coordinate 0: low 1 must be below high 0 \(empty\)$"):
        Domain.box(3, 1, 0)
    with pytest.raises(DomainError, match=r"^box coordinate 2: low 1/2 must be below high -1/2 \(empty\)$"):
        Domain.box(3, [0, 0, "1/2"], [1, 1, "-1/2"])


def test_box_wrong_number_of_values():
    with pytest.raises(DomainError, match=r"^box low: 3 values for 2 coordinates$"):
        Domain.box(2, [0, 0, 0], 1)
    with pytest.raises(DomainError, match=r"^box high: 1 values for 2 coordinates$"):
        Domain.box(2, 0, [1])


def test_box_bad_numbers():
    with pytest.raises(DomainError, match=r"^box low: expected a finite number, got 'nan'$"):
        Domain.box(2, "nan", 1)
    with pytest.raises(DomainError, match=r"^box high\[1\]: expected a number, got 'x'$"):
        Domain.box(2, 0, [1, "x"])
    with pytest.raises(DomainError, match=r"^box high: expected a finite number, got inf$"):
        Domain.box(1, 0, float("inf"))


def test_box_bad_dimension():
    with pytest.raises(DomainError, match=r"^domain: dimension must be a positive integer, got 0$"):
        Domain.box(0, 0, 1)


# ---------------------------------------------------------------- polyhedra

def test_triangle():
    d = Domain.from_inequalities(TRIANGLE_A, TRIANGLE_b)
    assert d.dim == 2
    assert d.kind == "polyhedron"
    assert d.rows == (((-1, 0), 0), ((0, -1), 0), ((1, 1), 1))
    assert d.describe() == "polyhedron in R^2 with 3 inequalities"
    assert repr(d) == "Domain(polyhedron in R^2 with 3 inequalities)"
    assert Domain.from_inequalities([[1, 0]], [1]).describe() == "polyhedron in R^2 with 1 inequality"
    assert d.to_json() == {"kind": "polyhedron", "dim": 2, "A": [["-1", "0"], ["0", "-1"], ["1", "1"]],
                           "b": ["0", "0", "1"]}
    assert d.contains([F(1, 3), F(1, 3)])
    assert d.contains([F(1), F(0)])
    assert not d.contains([F(1), F(1, 100)])


def test_scaled_rows_become_primitive_integers():
    d = Domain.from_inequalities([["1/2", "1/3"], ["-0.5", 0], [0, -7]], ["1/6", 0, 0])
    assert d.rows == (((3, 2), 1), ((-1, 0), 0), ((0, -1), 0))
    assert all(type(v) is int for a, b in d.rows for v in (*a, b))


def test_duplicate_rows_are_removed():
    d = Domain.from_inequalities([[1, 1], [-1, 0], [2, 2], [0, -1], ["1/3", "1/3"], [-5, 0]],
                                 [1, 0, 2, 0, "1/3", 0])
    assert d.rows == (((1, 1), 1), ((-1, 0), 0), ((0, -1), 0))


def test_same_direction_other_bound_is_kept():
    d = Domain.from_inequalities([[1, 0], [2, 0], [-1, 0]], [1, 4, 0])
    assert d.rows == (((1, 0), 1), ((1, 0), 2), ((-1, 0), 0))


def test_trivial_rows_are_dropped():
    d = Domain.from_inequalities([[0, 0], [1, 0], [0, 0]], [5, 1, 0])
    assert d.rows == (((1, 0), 1),)
    assert Domain.from_inequalities([[0, 0]], [1]).rows == ()


def test_structural_equality():
    a = Domain.from_inequalities(TRIANGLE_A, TRIANGLE_b)
    b = Domain.from_inequalities([[-2, 0], [0, "-1/2"], [3, 3]], [0, 0, 3])
    assert a == b and hash(a) == hash(b)


def test_unbounded_polyhedron_is_fine():
    d = Domain.from_inequalities([[1, 0]], [0])
    assert d.rows == (((1, 0), 0),)


def test_explicit_dimension_and_no_rows():
    d = Domain.from_inequalities([], [], dim=3)
    assert d.dim == 3 and d.rows == ()


def test_row_zero_below_negative_is_empty():
    with pytest.raises(DomainError, match=r"^domain: row 1 reads 0 <= -1: the domain is empty$"):
        Domain.from_inequalities([[1, 0], [0, 0]], [1, -1])
    with pytest.raises(DomainError, match=r"^d.json: row 0 reads 0 <= -1/2: the domain is empty$"):
        Domain.from_inequalities([[0, 0]], ["-1/2"], source="d.json")


def test_pair_of_opposite_rows_is_not_full_dimensional():
    with pytest.raises(DomainError, match=r"^domain: the domain is empty or not full-dimensional$"):
        Domain.from_inequalities([[1], [-1]], [0, 0])
    with pytest.raises(DomainError, match=r"^slice: the domain is empty or not full-dimensional$"):
        Domain.from_inequalities([[1, 0], [-1, 0], [0, 1]], [0, 0, 5], source="slice")


def test_infeasible_rows_are_empty():
    with pytest.raises(DomainError, match=r"^domain: the domain is empty or not full-dimensional$"):
        Domain.from_inequalities([[1, 0], [-1, 0]], [0, -1])
    with pytest.raises(DomainError, match=r"^domain: the domain is empty or not full-dimensional$"):
        Domain.from_inequalities([[1, 1], [-1, 0], [0, -1]], [-1, 0, 0])


@pytest.mark.parametrize("A, b, kwargs, pattern", [
    ("[[1]]", [1], {}, r"^domain: A must be a list of rows$"),
    ({0: [1]}, [1], {}, r"^domain: A must be a list of rows$"),
    ([[1]], "1", {}, r"^domain: b must be a list of numbers$"),
    ([[1]], 1, {}, r"^domain: b must be a list of numbers$"),
    ([[1], [2]], [1], {}, r"^domain: A has 2 rows but b has 1 entries$"),
    ([], [], {}, r"^domain: no rows, so the dimension is unknown$"),
    ([5], [1], {}, r"^domain: A\[0\] must be a list of numbers$"),
    (["12"], [1], {}, r"^domain: A\[0\] must be a list of numbers$"),
    ([[]], [1], {}, r"^domain: dimension must be a positive integer, got 0$"),
    ([[1]], [1], {"dim": 0}, r"^domain: dimension must be a positive integer, got 0$"),
    ([[1, 0], 3], [1, 1], {}, r"^domain: A\[1\] must be a list of numbers$"),
    ([[1, 0], [1, 0, 0]], [1, 1], {}, r"^domain: A\[1\] has 3 entries, expected 2$"),
    ([[1, 0]], [1], {"dim": 3}, r"^domain: A\[0\] has 2 entries, expected 3$"),
    ([[1, "nan"]], [1], {}, r"^domain: A\[0\]\[1\]: expected a finite number, got 'nan'$"),
    ([[1, 0]], [float("inf")], {}, r"^domain: b\[0\]: expected a finite number, got inf$"),
    ([[True, 0]], [1], {}, r"^domain: A\[0\]\[0\]: expected a number, got boolean True$"),
    ([[1, 0]], [None], {"source": "f.json"}, r"^f.json: b\[0\]: expected a number, got NoneType None$"),
])
def test_from_inequalities_errors(A, b, kwargs, pattern):
    with pytest.raises(DomainError, match=pattern):
        Domain.from_inequalities(A, b, **kwargs)


# ---------------------------------------------------------------- JSON and files

def test_from_json():
    d = Domain.from_json({"A": TRIANGLE_A, "b": TRIANGLE_b, "description": "a triangle"})
    assert d == Domain.from_inequalities(TRIANGLE_A, TRIANGLE_b)
    assert Domain.from_json({"A": [[1, 0]], "b": [1]}, dim=2).dim == 2


@pytest.mark.parametrize("obj, pattern", [
    ([[1, 0]], r"^d: expected an object with keys 'A' and 'b'$"),
    (None, r"^d: expected an object with keys 'A' and 'b'$"),
    ({"A": [[1]]}, r"^d: missing key\(s\) b$"),
    ({}, r"^d: missing key\(s\) A, b$"),
    ({"A": [[1]], "b": [1], "c": 1, "kind": "box"}, r"^d: unknown key\(s\) c, kind$"),
    ({"A": [[1, 0]], "b": [1]}, r"^d: A\[0\] has 2 entries, expected 3$"),
])
def test_from_json_errors(obj, pattern):
    with pytest.raises(DomainError, match=pattern):
        Domain.from_json(obj, dim=3, source="d")


def test_load_domain(tmp_path):
    path = write(tmp_path, '{"A": [[-1, 0], [0, -1], [0.5, 0.5]], "b": [0, 0, 0.5], "description": "triangle"}')
    assert load_domain(path) == Domain.from_inequalities(TRIANGLE_A, TRIANGLE_b)
    assert load_domain(str(path), dim=2).rows == (((-1, 0), 0), ((0, -1), 0), ((1, 1), 1))


def test_load_domain_reads_decimals_exactly(tmp_path):
    path = write(tmp_path, '{"A": [[1, 0], [-1, 0]], "b": [0.1, 0.1]}')
    assert load_domain(path).rows == (((10, 0), 1), ((-10, 0), 1))


@pytest.mark.parametrize("text, pattern", [
    ('{"A": [[1, 0]]}', r"missing key\(s\) b$"),
    ('{"b": [1]}', r"missing key\(s\) A$"),
    ('{"A": [[1, 0]], "b": [1], "B": 2}', r"unknown key\(s\) B$"),
    ('{"A": [[1, 0, 0]], "b": [1]}', r"A\[0\] has 3 entries, expected 2$"),
    ('{"A": [[1, 0], [0, 1]], "b": [1]}', r"A has 2 rows but b has 1 entries$"),
    ('{"A": [[1, NaN]], "b": [1]}', r"A\[0\]\[1\]: expected a finite number, got NaN$"),
    ('{"A": [[1, 0]], "b": [Infinity]}', r"b\[0\]: expected a finite number, got Infinity$"),
    ('{"A": [[1, 0]], "b": ["nan"]}', r"b\[0\]: expected a finite number, got 'nan'$"),
    ('{"A": [[1, 0], [-1, 0]], "b": [0, 0]}', r"the domain is empty or not full-dimensional$"),
    ('{"A": [[0, 0]], "b": [-1]}', r"row 0 reads 0 <= -1: the domain is empty$"),
    ('[1, 2]', r"expected an object with keys 'A' and 'b'$"),
])
def test_load_domain_errors_name_the_file(tmp_path, text, pattern):
    path = write(tmp_path, text)
    with pytest.raises(DomainError, match=rf"^{esc(path)}: {pattern}"):
        load_domain(path, dim=2)


def test_load_domain_malformed_json(tmp_path):
    path = write(tmp_path, '{"A": [[1, 0]],\n "b": [1')
    with pytest.raises(InputError, match=rf"^{esc(path)}: malformed JSON: Expecting ',' delimiter at line 2 column 9$"):
        load_domain(path)
    empty = write(tmp_path, "", "empty.json")
    with pytest.raises(InputError, match=rf"^{esc(empty)}: malformed JSON: Expecting value at line 1 column 1$"):
        load_domain(empty)


def test_load_domain_missing_file(tmp_path):
    with pytest.raises(InputError, match=rf"^{esc(tmp_path / 'no.json')}: no such domain file$"):
        load_domain(tmp_path / "no.json")
    with pytest.raises(InputError, match=rf"^{esc(tmp_path)}: is a directory, expected a domain file$"):
        load_domain(tmp_path)


def test_load_domain_turns_other_input_errors_into_domain_errors(tmp_path, monkeypatch):
    path = write(tmp_path, '{"A": [[1]], "b": [1]}')

    def fail(obj, dim=None, source="domain"):
        raise InputError(f"{source}: something else")

    monkeypatch.setattr(domain_module.Domain, "from_json", staticmethod(fail))
    with pytest.raises(DomainError, match=rf"^{esc(path)}: something else$"):
        load_domain(path)


def test_domain_errors_are_value_errors():
    assert issubclass(DomainError, InputError)
    assert issubclass(DomainError, ValueError)
    assert issubclass(DomainError, PolyregionsError)
    with pytest.raises(ValueError):
        Domain.box(1, 1, 0)


def test_to_json_of_long_numbers():
    # Built directly: the factory's exact LP goes through cdd, which cannot take such numbers yet.
    big = 10**5000 + 1
    d = Domain(2, (((big, 0), 1), ((-1, 0), 0)), "polyhedron")
    out = d.to_json()
    assert out["A"][0] == ["1" + "0" * 4999 + "1", "0"]
    assert out["b"] == ["1", "0"]
    assert json.loads(json.dumps(out)) == out


# ---------------------------------------------------------------- size of the exact domain (issue 14)

def _cell(domain):
    from polyregions.search.engine import initial_cell
    return initial_cell(domain)


def test_box_in_16_dimensions_is_refused_at_once():
    """Regression: a box in R^16 has 65,536 vertices; counting 2 units took over 120 s."""
    with pytest.raises(DomainError, match=r"^the box in R\^16 has 2\^16 vertices, more than the limit of "
                                          r"4,096 for a domain \(boxes up to R\^12\); use all of R\^16, "
                                          r"a --slice, or a domain with fewer vertices$"):
        _cell(Domain.box(16, -1, 1))


def test_box_in_12_dimensions_is_accepted():
    assert len(_cell(Domain.box(12, -1, 1)).vecs) == 4096 == domain_module.MAX_DOMAIN_GENERATORS


def test_polyhedron_with_too_many_vertices_is_refused():
    """A box written as a polyhedron: the vertices are counted while the cell is built."""
    n = 13
    A = [[int(i == j) * s for j in range(n)] for i in range(n) for s in (1, -1)]
    domain = Domain(n, tuple((tuple(a), 1) for a in A), "polyhedron")
    with pytest.raises(DomainError, match=r"^the domain in R\^13 has more than 4,096 vertices and rays, the "
                                          r"limit for a domain; use all of R\^13, a --slice, or a domain "
                                          r"with fewer vertices$"):
        _cell(domain)


def test_cli_box_in_16_dimensions(capsys, tmp_path):
    from tests.support.clirun import assert_one_error_line, run

    model = tmp_path / "m.json"
    model.write_text(json.dumps({"format": "polyregions-network/1", "input_dim": 16, "layers": [
        {"type": "affine", "weight": [[1] * 16, [1] + [0] * 15]}, {"type": "relu"}]}))
    code, out, err = run(capsys, "count", model, "--box", "-1", "1")
    assert_one_error_line(code, out, err, r"the box in R\^16 has 2\^16 vertices")
    code, out, err = run(capsys, "count", model)   # all of R^16 is no problem
    assert code == 0 and "activation regions: 4 " in out
