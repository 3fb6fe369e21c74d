"""Exact equivalence of two networks on a domain, or an exact input where they differ.

Two networks with the same input dimension compute the same function on the domain
exactly when their output maps agree on every full-dimensional piece of the *common
refinement* of their activation regions (the outputs are continuous, so agreement on
the pieces' interiors is agreement everywhere). :func:`equivalent` builds that
refinement without comparing regions: it walks the decision tree of the first network
and, in each of its regions, the decision tree of the second network started from that
region's cell (the same exact cuts); each leaf is a piece with both maps, compared
exactly. At the first piece where they differ it returns an input inside it where the
outputs differ (the piece's interior point, or a point between it and a generator),
with both outputs from exact forward passes.

``method="difference"`` instead enumerates the regions of one *difference network*
``f(x) - g(x)`` (both networks side by side, layer by layer: only when their activation
layers pair up, same count and same activation), whose regions are the same pieces but
cut in the order layer 1 of both, layer 2 of both, ..., so that the cuts of early
layers are shared instead of repeated in every region of the first network.
``benchmarks/queries.py`` measures both: on unrelated random ReLU networks the
difference network is about as fast (0.99 to 1.17 times), on a network against a copy
with permuted and rescaled units (equivalent: every piece is compared) about twice as
fast. So
``method="auto"`` (the default) takes the difference network when the layers pair up,
else the refinement.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..core.domain import Domain
from ..search.engine import Search
from ..errors import InputError, SolverError
from ..core.layers import Affine
from ..core.network import Network
from ..io.models import takes_models
from ..rationals import format_rational, to_floats
from ..search.stages import compile_stages
from ..core.layers import layer_to_json

__all__ = ["EquivalenceResult", "equivalent", "difference_network"]


@dataclass(frozen=True, slots=True)
class EquivalenceResult:
    """The answer of :func:`equivalent`.

    Attributes
    ----------
    equivalent
        True when the networks compute the same function on the domain.
    counterexample
        An input of the domain where the outputs differ, or None.
    outputs_a, outputs_b
        The two networks' outputs there (exact), or None.
    regions
        The pair of region keys (first network, second network) holding the
        counterexample, or None.
    pieces_visited
        Pieces of the common refinement compared.
    """

    equivalent: bool
    counterexample: tuple[Fraction, ...] | None
    outputs_a: tuple[Fraction, ...] | None
    outputs_b: tuple[Fraction, ...] | None
    regions: tuple[str, str] | None
    pieces_visited: int

    def to_json(self) -> dict[str, Any]:
        """The JSON keys of ``polyregions equiv --json``: exact strings, with a float copy ``<key>_float``
        beside each exact result (``counterexample``, ``outputs_a``, ``outputs_b``)."""
        def text(values: Sequence[Fraction] | None) -> list[str] | None:
            return None if values is None else [format_rational(v) for v in values]

        return {"equivalent": self.equivalent, "counterexample": text(self.counterexample),
                "counterexample_float": to_floats(self.counterexample),
                "outputs_a": text(self.outputs_a), "outputs_a_float": to_floats(self.outputs_a),
                "outputs_b": text(self.outputs_b), "outputs_b_float": to_floats(self.outputs_b),
                "regions": None if self.regions is None else list(self.regions),
                "pieces_visited": self.pieces_visited}

    def __repr__(self) -> str:
        return f"EquivalenceResult(equivalent={self.equivalent}, pieces_visited={self.pieces_visited})"


def _map(rows: Sequence[Sequence[int]], den: int) -> list[list[Fraction]]:
    return [[Fraction(v, den) for v in row] for row in rows]


def _differing_point(cell: Any, delta: Sequence[Sequence[Fraction]]) -> tuple[Fraction, ...]:
    """An interior point of *cell* where the affine map *delta* (rows: coefficients, constant)
    is not zero; *delta* is not identically zero on the cell."""
    n = cell.dim
    p = cell.interior_point()
    row = next(r for r in delta if any(r))

    def value(x: Sequence[Fraction]) -> Fraction:
        return sum((a * b for a, b in zip(row, x)), Fraction(0)) + row[-1]

    if value(p):
        return p
    for vec in cell.vecs:
        if vec[-1]:
            v = [Fraction(c, vec[-1]) for c in vec[:-1]]
            if value(v):
                return tuple((a + b) / 2 for a, b in zip(p, v))
        elif sum((a * b for a, b in zip(row, vec[:-1])), Fraction(0)):
            return tuple(a + b for a, b in zip(p, vec[:-1]))
    for line in cell.lines:
        if sum((a * b for a, b in zip(row, line[:-1])), Fraction(0)):
            return tuple(a + b for a, b in zip(p, line[:-1]))
    raise SolverError("the maps differ but not on the piece (internal error)")  # pragma: no cover


def _check_shapes(a: Network, b: Network, domain: Domain | None) -> Domain:
    if a.input_dim != b.input_dim:
        raise InputError(f"the networks have different input dimensions ({a.input_dim} and {b.input_dim})")
    if a.output_dim != b.output_dim:
        raise InputError(f"the networks have different output dimensions ({a.output_dim} and {b.output_dim}): "
                         "they cannot compute the same function")
    if domain is None:
        return Domain.whole(a.input_dim)
    if domain.dim != a.input_dim:
        raise InputError(f"domain has dimension {domain.dim}, the networks have {a.input_dim} inputs")
    return domain


def _found(a: Network, b: Network, cell: Any, delta: list[list[Fraction]], keys: tuple[str, str],
           pieces: int) -> EquivalenceResult:
    x = _differing_point(cell, delta)
    ya, yb = a(x), b(x)
    if ya == yb:
        raise SolverError("the forward passes agree at the counterexample (internal error)")
    return EquivalenceResult(False, x, ya, yb, keys, pieces)


@takes_models("a", "b")
def equivalent(a: Network, b: Network, domain: Domain | None = None, *, method: str = "auto") -> EquivalenceResult:
    """Whether *a* and *b* compute the same function on *domain* (default: all of R^n0).

    Parameters
    ----------
    a, b
        Networks with the same input and output dimensions.
    domain
        The domain.
    method
        ``"refine"``: the regions of *a*, each cut by the units of *b*; ``"difference"``:
        the regions of :func:`difference_network` (activation layers that pair up only);
        ``"auto"``: the difference network when the layers pair up, else ``"refine"``.

    Returns
    -------
    EquivalenceResult

    Examples
    --------
    The identity as relu(x) - relu(-x) and as x itself; then with one weight moved by 2^-40:

    >>> relu_pair = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> linear = Network.mlp([[[1]]], [[0]])
    >>> equivalent(relu_pair, linear).equivalent
    True
    >>> moved = Network.mlp([[[1], [-1]], [[1, -1 + Fraction(1, 2 ** 40)]]], [[0, 0], [0]])
    >>> found = equivalent(relu_pair, moved)
    >>> found.equivalent, found.counterexample, found.outputs_a, found.outputs_b
    (False, (Fraction(-1, 1),), (Fraction(-1, 1),), (Fraction(-1099511627775, 1099511627776),))
    """
    domain = _check_shapes(a, b, domain)
    if method not in ("auto", "refine", "difference"):
        raise InputError(f"method must be 'auto', 'refine' or 'difference', got {method!r}")
    if method != "refine":
        try:
            diff = difference_network(a, b)
        except InputError:
            if method == "difference":
                raise
        else:
            return _by_difference(a, b, diff, domain)
    outer = Search(a, domain)
    inner = Search(b, domain)
    pieces = 0
    for region_a in outer.regions():
        inner.cell = region_a.cell  # the second network's search, started from this region
        map_a = _map(region_a.map_rows, region_a.map_den)
        for region_b in inner.regions():
            pieces += 1
            map_b = _map(region_b.map_rows, region_b.map_den)
            if map_a != map_b:
                delta = [[x - y for x, y in zip(ra, rb)] for ra, rb in zip(map_a, map_b)]
                return _found(a, b, region_b.cell, delta, (region_a.key, region_b.key), pieces)
    return EquivalenceResult(True, None, None, None, None, pieces)


def _stages_as_layers(network: Network) -> tuple[list[tuple[Any, Any]], Any]:
    """``([(affine map or None, activation), ...], final map or None)``, maps as (W, b) Fractions."""
    out = []
    final = None
    for stage in compile_stages(network):
        mapping = None
        if stage.weight is not None and stage.bias is not None:
            mapping = ([[Fraction(v, stage.den) for v in row] for row in stage.weight],
                       [Fraction(v, stage.den) for v in stage.bias])
        if stage.activation is None:
            final = mapping
        else:
            out.append((mapping, stage.activation))
    return out, final


def difference_network(a: Network, b: Network) -> Network:
    """The network ``x -> a(x) - b(x)``: both side by side, layer by layer.

    Raises
    ------
    InputError
        When the activation layers do not pair up (another count, or another activation
        at some depth) or the dimensions differ.

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], [0]])
    >>> diff = difference_network(net, net)
    >>> diff.widths(), diff([3])
    ((1, 4, 1), (Fraction(0, 1),))
    """
    _check_shapes(a, b, None)
    layers_a, final_a = _stages_as_layers(a)
    layers_b, final_b = _stages_as_layers(b)
    if len(layers_a) != len(layers_b):
        raise InputError(f"the networks have {len(layers_a)} and {len(layers_b)} activation layers: "
                         "no difference network layer by layer")
    n = a.input_dim
    width_a = width_b = n
    layers: list[Any] = []
    for depth, ((map_a, act_a), (map_b, act_b)) in enumerate(zip(layers_a, layers_b), 1):
        if act_a != act_b:
            raise InputError(f"activation layer {depth}: {_describe(act_a)} and {_describe(act_b)} differ: "
                             "no difference network layer by layer")
        wa, ba = map_a if map_a is not None else _identity(width_a)
        wb, bb = map_b if map_b is not None else _identity(width_b)
        if depth == 1:
            weight = [list(r) for r in wa] + [list(r) for r in wb]
        else:
            weight = [list(r) + [Fraction(0)] * width_b for r in wa] + [[Fraction(0)] * width_a + list(r) for r in wb]
        layers += [Affine.from_lists(weight, list(ba) + list(bb)), act_a]
        width_a, width_b = _width(wa, act_a), _width(wb, act_b)
    wa, ba = final_a if final_a is not None else _identity(width_a)
    wb, bb = final_b if final_b is not None else _identity(width_b)
    weight = [list(ra) + [-v for v in rb] for ra, rb in zip(wa, wb)]
    layers.append(Affine.from_lists(weight, [x - y for x, y in zip(ba, bb)]))
    return Network.from_layers(n, layers)


def _describe(activation: Any) -> str:
    """``relu``, ``leaky_relu (slope 1/2)``, ``hardtanh (min -1, max 1)``, ``maxout (rank 3)``."""
    data = layer_to_json(activation)
    kind = data.pop("type")
    return kind + (" (" + ", ".join(f"{k} {v}" for k, v in data.items()) + ")" if data else "")


def _identity(width: int) -> tuple[list[list[Fraction]], list[Fraction]]:
    return ([[Fraction(int(i == j)) for j in range(width)] for i in range(width)], [Fraction(0)] * width)


def _width(weight: Sequence[Sequence[Fraction]], activation: Any) -> int:
    rank = getattr(activation, "rank", 1)
    return len(weight) // rank


def _by_difference(a: Network, b: Network, diff: Network, domain: Domain) -> EquivalenceResult:
    pieces = 0
    for region in Search(diff, domain).regions():
        pieces += 1
        delta = _map(region.map_rows, region.map_den)
        if any(any(row) for row in delta):
            x = _differing_point(region.cell, delta)
            keys = (a.pattern(x).key, b.pattern(x).key)
            return EquivalenceResult(False, x, a(x), b(x), keys, pieces)
    return EquivalenceResult(True, None, None, None, None, pieces)
