"""Stages: the network compiled for the search.

A *stage* is an exact affine map (consecutive affine layers composed) followed by
one activation layer, or a final affine map with no activation. The search keeps,
for each piece of input space, the exact affine map from the input to the current
layer's values as integer rows over one positive denominator; a
:class:`StageTrace` records what one stage computed on one piece.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm

from .activations import ActivationRules, rules_for
from ..geometry.polyhedron import _built_kernel
from ..core.layers import Activation, Affine
from ..core.network import Network
from ..core.sparse import SparseRows, product_rows, terms_of

__all__ = ["Stage", "StageTrace", "compile_stages"]

IntRows = list[list[int]]


@dataclass(frozen=True, slots=True)
class Stage:
    """An exact affine map (or None) followed by an activation (or None at the end).

    The affine map is ``(weight @ v + bias) / den`` with integer ``weight`` and ``bias``;
    the weight is a :class:`~polyregions.core.sparse.SparseRows` when a layer of the map
    is (a large convolution after an activation).

    Attributes
    ----------
    layer
        Index in ``Network.layers`` of the activation (or of the last affine layer).
    ordinal
        The activation layer's number for users: 1 for the first activation layer,
        2 for the second, ... (0 for the final affine map).
    rules
        The activation's :class:`~polyregions.search.activations.ActivationRules` (None at the end).
    """

    weight: tuple[tuple[int, ...], ...] | SparseRows | None
    bias: tuple[int, ...] | None
    den: int
    activation: Activation | None
    layer: int
    ordinal: int = 0
    rules: ActivationRules | None = None
    #: ``weight`` as the compiled kernel's int64 bytes (its fast affine map), when every entry fits
    small: bytes | None = field(default=None, compare=False, repr=False)
    #: a sparse ``weight``'s columns (:meth:`SparseRows.column_terms`), for updating a product by changed rows
    columns: tuple | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class StageTrace:
    """What one stage computed on one piece: the pre-activations and the states.

    ``rows`` are the pre-activations as affine functions of the input, ``(c, c_0)``
    over the positive denominator ``den``; pieces split from one parent share them
    and the ``cache`` (hyperplane keys and the like, filled on demand).
    """

    stage: Stage
    rows: IntRows
    den: int
    states: str
    cache: dict = field(default_factory=dict)

    @property
    def rules(self) -> ActivationRules:
        rules = self.stage.rules
        assert rules is not None
        return rules


def compile_stages(network: Network) -> tuple[Stage, ...]:
    """Compose consecutive affine layers and pair each with the activation after it.

    Examples
    --------
    >>> net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    >>> [(s.layer, s.ordinal, s.rules) for s in compile_stages(net)]
    [(1, 1, SignRules(kind='relu', slope=None)), (2, 0, None)]
    """
    stages: list[Stage] = []
    pending_w: list[list[Fraction]] | SparseRows | None = None
    pending_b: list[Fraction] | None = None
    last_affine = -1
    ordinal = 0
    for index, layer in enumerate(network.layers):
        if isinstance(layer, Affine):
            if layer.is_sparse or isinstance(pending_w, SparseRows):
                w, b = _sparse_after(layer, pending_w, pending_b)
            else:
                w = [list(row) for row in layer.weight]
                b = list(layer.bias)
                if pending_w is not None and pending_b is not None:
                    b = [sum((wi * bj for wi, bj in zip(row, pending_b)), Fraction(0)) + bi
                         for row, bi in zip(w, b)]
                    w = [[sum((row[k] * pending_w[k][j] for k in range(len(row))), Fraction(0))
                          for j in range(len(pending_w[0]))] for row in w]
            pending_w, pending_b = w, b
            last_affine = index
            continue
        ordinal += 1
        stages.append(_make_stage(pending_w, pending_b, layer, index, ordinal))
        pending_w = pending_b = None
    if pending_w is not None:
        stages.append(_make_stage(pending_w, pending_b, None, last_affine, 0))
    return tuple(stages)


def _sparse_after(layer: Affine, pending_w: list[list[Fraction]] | SparseRows | None,
                  pending_b: list[Fraction] | None) -> tuple[SparseRows, list[Fraction]]:
    """*layer* after the pending affine map (if any), keeping nonzero weights only."""
    weight = layer.weight if isinstance(layer.weight, SparseRows) else SparseRows.from_terms(
        layer.in_dim, terms_of(layer.weight))
    if pending_w is None or pending_b is None:
        return weight, list(layer.bias)
    rows, bias = [], []
    for row, b in product_rows(zip(weight.terms, layer.bias), terms_of(pending_w), pending_b):
        rows.append(row)
        bias.append(b)
    return SparseRows(len(pending_w[0]) if not isinstance(pending_w, SparseRows) else pending_w.columns,
                      tuple(rows)), bias


def _common_denominator(weights: list[Fraction], bias: list[Fraction]) -> tuple[int, dict[int, int]]:
    """The least common denominator of the weights and biases, and for each of their
    denominators q the factor ``den // q`` (so that ``v * den = v.numerator * factor[q]``,
    an integer: no Fraction product). Weights have few distinct denominators (powers of two
    for float weights): each factor is computed once."""
    dens = {v.denominator for v in weights}
    dens.update(v.denominator for v in bias)
    den = lcm(*dens)
    return den, {q: den // q for q in dens}


def _make_stage(w: list[list[Fraction]] | SparseRows | None, b: list[Fraction] | None,
                activation: Activation | None, layer: int, ordinal: int) -> Stage:
    rules = None if activation is None else rules_for(activation)
    if w is None or b is None:
        return Stage(None, None, 1, activation, layer, ordinal, rules)
    if isinstance(w, SparseRows):
        den, factor = _common_denominator([v for terms in w.terms for _, v in terms], b)
        sparse = SparseRows(w.columns, tuple(tuple((c, v.numerator * factor[v.denominator]) for c, v in terms)
                                             for terms in w.terms))
        return Stage(sparse, tuple(v.numerator * factor[v.denominator] for v in b), den, activation, layer, ordinal,
                     rules, columns=sparse.column_terms())
    den, factor = _common_denominator([v for row in w for v in row], b)
    weight = tuple(tuple(v.numerator * factor[v.denominator] for v in row) for row in w)
    bias = tuple(v.numerator * factor[v.denominator] for v in b)
    small = None if _built_kernel is None else _built_kernel.small(weight)
    return Stage(weight, bias, den, activation, layer, ordinal, rules, small)
