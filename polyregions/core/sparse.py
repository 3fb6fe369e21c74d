"""Matrices stored by their nonzero entries, read as tuples of dense rows.

A convolution after an activation is an affine layer whose matrix is mostly zeros: a
Conv 32@3x3 on a 16 x 14 x 14 image has 6,272 x 3,136 entries of which 144 per row are
not zero. :class:`SparseRows` keeps only those. It is a sequence of dense rows (each
built when asked for), so code that reads a weight matrix row by row reads it
unchanged; the search's hot paths use :meth:`SparseRows.row_terms` and
:meth:`SparseRows.column_terms` instead and never build a dense row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, overload

__all__ = ["SparseRows", "Terms", "terms_of", "product_rows"]

#: The nonzero entries of one row (or column): ``(index, value)`` pairs by increasing index.
Terms = tuple[tuple[int, Any], ...]


@dataclass(frozen=True, slots=True, eq=False)
class SparseRows(Sequence):
    """A ``len(terms) x columns`` matrix given by the nonzero entries of each row.

    ``terms[i]`` holds row ``i``'s ``(column, value)`` pairs, columns increasing, no zero
    value (:meth:`from_terms` sorts, sums repeated columns and drops zeros). Read as a
    sequence it is a tuple of dense rows: ``m[i]`` is row ``i`` with its zeros, of the
    value type's zero (``0 * value``, or the int 0 for an empty row).

    Two sparse matrices are equal when their entries are; a sparse matrix is never equal
    to a tuple of rows (compare ``tuple(m)`` for that).

    Examples
    --------
    >>> from fractions import Fraction
    >>> m = SparseRows.from_terms(3, [[(2, Fraction(1, 2)), (0, 1)], []])
    >>> m[0], len(m), m.columns, m.nonzeros
    ((1, 0, Fraction(1, 2)), 2, 3, 2)
    >>> m.times([4, 5, 6])
    [Fraction(7, 1), 0]
    """

    columns: int
    terms: tuple[Terms, ...]

    @classmethod
    def from_terms(cls, columns: int, rows: Sequence[Sequence[tuple[int, Any]]]) -> "SparseRows":
        """The matrix of *rows* of ``(column, value)`` pairs in any order (repeats summed, zeros dropped)."""
        canonical = []
        for row in rows:
            merged: dict[int, Any] = {}
            for c, v in row:
                if not 0 <= c < columns:
                    raise ValueError(f"column {c} outside 0..{columns - 1}")
                merged[c] = merged[c] + v if c in merged else v
            canonical.append(tuple((c, merged[c]) for c in sorted(merged) if merged[c]))
        return cls(columns, tuple(canonical))

    def __len__(self) -> int:
        return len(self.terms)

    @overload
    def __getitem__(self, index: int) -> tuple: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self._dense(t) for t in self.terms[index]]
        return self._dense(self.terms[index])

    def __iter__(self) -> Iterator[tuple]:
        return (self._dense(t) for t in self.terms)

    def _dense(self, terms: Terms) -> tuple:
        zero = 0 * terms[0][1] if terms else 0
        line = [zero] * self.columns
        for c, v in terms:
            line[c] = v
        return tuple(line)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SparseRows):
            return NotImplemented
        return self.columns == other.columns and self.terms == other.terms

    def __hash__(self) -> int:
        return hash((self.columns, self.terms))

    def __repr__(self) -> str:
        return f"SparseRows({len(self.terms)}x{self.columns}, {self.nonzeros} nonzeros)"

    @property
    def nonzeros(self) -> int:
        return sum(len(t) for t in self.terms)

    def row_terms(self, i: int) -> Terms:
        """Row *i*'s nonzero entries."""
        return self.terms[i]

    def column_terms(self) -> tuple[Terms, ...]:
        """Each column's nonzero entries ``(row, value)`` (the transpose's rows).

        Notes
        -----
        O(nonzeros); callers that need it often keep the result.
        """
        columns: list[list[tuple[int, Any]]] = [[] for _ in range(self.columns)]
        for i, terms in enumerate(self.terms):
            for c, v in terms:
                columns[c].append((i, v))
        return tuple(tuple(col) for col in columns)

    def times(self, x: Sequence[Any]) -> list[Any]:
        """The product with the vector *x* (no dense row built)."""
        return [sum((v * x[c] for c, v in terms), 0) for terms in self.terms]

    def mapped(self, f: Callable[[Any], Any]) -> "SparseRows":
        """The matrix with *f* applied to every nonzero entry (zeros it makes are dropped)."""
        return SparseRows(self.columns, tuple(tuple((c, w) for c, w in ((c, f(v)) for c, v in terms) if w)
                                               for terms in self.terms))

    def reordered(self, order: Sequence[int]) -> "SparseRows":
        """The matrix with rows ``order[0], order[1], ...``."""
        return SparseRows(self.columns, tuple(self.terms[r] for r in order))


def terms_of(weight: Sequence[Sequence[Any]]) -> Sequence[Terms]:
    """Each row's nonzero entries, for a sparse or a dense matrix."""
    if isinstance(weight, SparseRows):
        return weight.terms
    return [tuple((c, v) for c, v in enumerate(row) if v) for row in weight]


def product_rows(outer: Iterable[tuple[Terms, Any]], inner: Sequence[Terms], inner_bias: Sequence[Any]
                 ) -> Iterator[tuple[Terms, Any]]:
    """The rows of the affine map ``outer(inner(x))``, sparse, one by one.

    *outer* gives each row's nonzero entries and its bias; *inner* is the inner map's rows
    (:func:`terms_of`) and *inner_bias* its bias. Each row of the result is the combination
    of the inner rows that the outer row reads, zeros dropped.

    Examples
    --------
    >>> list(product_rows([(((0, 2), (1, 1)), 5)], [((0, 1),), ((0, -2), (1, 3))], [1, 0]))
    [(((1, 3),), 7)]
    """
    for terms, b in outer:
        merged: dict[int, Any] = {}
        for k, w in terms:
            for c, v in inner[k]:
                merged[c] = merged[c] + w * v if c in merged else w * v
            b += w * inner_bias[k]
        yield tuple((c, merged[c]) for c in sorted(merged) if merged[c]), b
