"""The independent slow reference: activation and linear regions by brute force.

This module computes what the engine computes by the simplest correct method and
shares no code with it: a depth-first search over activation patterns, one unit at
a time, keeping a branch when the exact LP :func:`polyregions.geometry.lp.interior_point`
finds a point that satisfies all of the branch's rows strictly. Pre-activations
are affine functions of the input ``x``, tracked here in
:class:`~fractions.Fraction` arithmetic from the network's layers.

Pattern convention (the engine uses the same): one string per non-affine layer,
in order; an Identity layer gives ``""``. ReLU, LeakyReLU and Abs give one
character per unit: ``+`` (pre-activation > 0 on the region), ``-`` (< 0) or
``0`` (identically zero). HardTanh gives ``L`` (z < low), ``l`` (z identically
low), ``M`` (low < z < high), ``h`` (identically high), ``H`` (z > high). Maxout
gives the argmax index of each unit, the smallest among candidates that are the
same affine function, joined by ``,``. The key of a region is ``"|".join(pattern)``.

Speed is no concern: this runs on tiny networks only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterator, Sequence

from polyregions.geometry.lp import interior_point
from polyregions.core.layers import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, ReLU
from polyregions.core.network import Network

__all__ = ["RefRegion", "reference_regions", "reference_count", "reference_linear_region_count",
           "reference_linear_regions", "affine_functions_equal"]

Vector = tuple[Fraction, ...]
#: An affine function of x: (coefficients, constant).
Fn = tuple[Vector, Fraction]
#: A strict row a . x < b of a cell.
Row = tuple[Vector, Fraction]


@dataclass(frozen=True)
class RefRegion:
    """One activation region found by the reference.

    ``rows`` are the cell's inequality rows ``a . x <= b`` (the region is the set
    where all hold strictly; redundant rows are allowed), ``output_map`` is
    ``(weight, bias)`` with the network output ``weight @ x + bias`` on the region.
    """

    key: str
    pattern: tuple[str, ...]
    point: Vector
    rows: tuple[Row, ...]
    output_map: tuple[tuple[Vector, ...], Vector]

    @property
    def A(self) -> list[Vector]:
        return [a for a, _ in self.rows]

    @property
    def b(self) -> list[Fraction]:
        return [b for _, b in self.rows]

    def __repr__(self) -> str:
        return f"RefRegion(key={self.key!r})"


# --------------------------------------------------------------------------- affine functions


def _const(value: Fraction, n: int) -> Fn:
    return (tuple(Fraction(0) for _ in range(n)), Fraction(value))


def _scale(fn: Fn, k: Fraction) -> Fn:
    return (tuple(k * v for v in fn[0]), k * fn[1])


def _sub(f: Fn, g: Fn) -> Fn:
    return (tuple(p - q for p, q in zip(f[0], g[0])), f[1] - g[1])


def _is_constant(fn: Fn) -> bool:
    return not any(fn[0])


def affine_functions_equal(f: Fn, g: Fn) -> bool:
    """Identical coefficients and constant (identical on any full-dimensional set)."""
    return f == g


def _apply_affine(layer: Affine, vec: list[Fn], n: int) -> list[Fn]:
    out = []
    for row, bias in zip(layer.weight, layer.bias):
        coeffs = [Fraction(0)] * n
        const = Fraction(bias)
        for w, (a, c) in zip(row, vec):
            if w:
                for j in range(n):
                    coeffs[j] += w * a[j]
                const += w * c
        out.append((tuple(coeffs), const))
    return out


# strict row builders: each says  "fn < 0"  or  "fn > 0"  as a . x < b


def _below(fn: Fn) -> Row:
    """Row for fn(x) < 0, i.e. a . x < -c."""
    return (fn[0], -fn[1])


def _above(fn: Fn) -> Row:
    """Row for fn(x) > 0, i.e. -a . x < c."""
    return (tuple(-v for v in fn[0]), fn[1])


# --------------------------------------------------------------------------- search


def _feasible(rows: list[Row], n: int) -> Vector | None:
    return interior_point([a for a, _ in rows], [b for _, b in rows], dim=n)


def _unit_branches(layer: Any, fns: list[Fn], n: int) -> list[tuple[str, list[Row], Fn]]:
    """The candidate states of one unit: (state, rows to add, output function).

    *fns* is the unit's input: one pre-activation, or ``rank`` candidates for maxout.
    A state whose rows are empty needs no LP (it is decided by a constant).
    """
    if isinstance(layer, Maxout):
        out = []
        for j, fj in enumerate(fns):
            if any(affine_functions_equal(fns[i], fj) for i in range(j)):
                continue  # an earlier identical candidate takes the index
            rows = []
            for i, fi in enumerate(fns):
                diff = _sub(fi, fj)
                if i == j or affine_functions_equal(fi, fj):
                    continue
                if _is_constant(diff):
                    if diff[1] > 0:
                        break  # fi > fj everywhere: candidate j never attains the max
                    continue  # fi < fj everywhere: no row needed
                rows.append(_below(diff))
            else:
                out.append((str(j), rows, fj))
        return out
    (z,) = fns
    if isinstance(layer, HardTanh):
        low, high = _const(layer.low, n), _const(layer.high, n)
        if _is_constant(z):
            c = z[1]
            state = ("L" if c < layer.low else "l" if c == layer.low else
                     "M" if c < layer.high else "h" if c == layer.high else "H")
            value = low if state in "Ll" else high if state in "hH" else z
            return [(state, [], value)]
        return [("L", [_below(_sub(z, low))], low),
                ("M", [_above(_sub(z, low)), _below(_sub(z, high))], z),
                ("H", [_above(_sub(z, high))], high)]
    if isinstance(layer, ReLU):
        neg = _const(Fraction(0), n)
    elif isinstance(layer, LeakyReLU):
        neg = _scale(z, layer.slope)
    elif isinstance(layer, Abs):
        neg = _scale(z, Fraction(-1))
    else:  # pragma: no cover - the network validated its layers
        raise TypeError(f"not an activation: {layer!r}")
    if _is_constant(z):
        c = z[1]
        if c > 0:
            return [("+", [], z)]
        if c < 0:
            return [("-", [], neg)]
        return [("0", [], _const(Fraction(0), n))]
    return [("+", [_above(z)], z), ("-", [_below(z)], neg)]


def _unit_inputs(layer: Any, vec: list[Fn]) -> list[list[Fn]]:
    if isinstance(layer, Maxout):
        k = layer.rank
        return [vec[i:i + k] for i in range(0, len(vec), k)]
    return [[z] for z in vec]


def _layer_states(layer: Any, units: list[list[Fn]], u: int, rows: list[Row], point: Vector,
                  n: int) -> Iterator[tuple[list[str], list[Row], Vector, list[Fn]]]:
    """All full-dimensional combinations of states of units u, u+1, ... of one layer."""
    if u == len(units):
        yield [], rows, point, []
        return
    for state, extra, out in _unit_branches(layer, units[u], n):
        if extra:
            new_rows = rows + extra
            new_point = _feasible(new_rows, n)
            if new_point is None:
                continue
        else:
            new_rows, new_point = rows, point
        for states, final_rows, final_point, outs in _layer_states(layer, units, u + 1, new_rows,
                                                                   new_point, n):
            yield [state] + states, final_rows, final_point, [out] + outs


def _search(layers: Sequence[Any], li: int, rows: list[Row], point: Vector, vec: list[Fn],
            pattern: tuple[str, ...], n: int) -> Iterator[RefRegion]:
    if li == len(layers):
        weight = tuple(a for a, _ in vec)
        bias = tuple(c for _, c in vec)
        yield RefRegion("|".join(pattern), pattern, point, tuple(rows), (weight, bias))
        return
    layer = layers[li]
    if isinstance(layer, Affine):
        yield from _search(layers, li + 1, rows, point, _apply_affine(layer, vec, n), pattern, n)
        return
    if isinstance(layer, Identity):
        yield from _search(layers, li + 1, rows, point, vec, pattern + ("",), n)
        return
    sep = "," if isinstance(layer, Maxout) else ""
    for states, new_rows, new_point, outs in _layer_states(layer, _unit_inputs(layer, vec), 0,
                                                           rows, point, n):
        yield from _search(layers, li + 1, new_rows, new_point, outs, pattern + (sep.join(states),), n)


def reference_regions(network: Network, A: Sequence[Sequence[Any]] = (),
                      b: Sequence[Any] = ()) -> list[RefRegion]:
    """All activation regions of *network* inside the domain ``{x : A x <= b}``.

    Parameters
    ----------
    network
        The network.
    A, b
        Domain rows (exact rationals); empty for all of R^n0. A domain that is
        not full-dimensional has no activation regions.

    Returns
    -------
    list of RefRegion
        In depth-first order (``+`` before ``-``; ``L``, ``M``, ``H``; maxout by
        index); keys are distinct.

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])
    >>> [r.key for r in reference_regions(net)]
    ['+-', '-+']
    >>> [r.output_map for r in reference_regions(net)]
    [(((Fraction(1, 1),),), (Fraction(0, 1),)), (((Fraction(1, 1),),), (Fraction(0, 1),))]
    """
    n = network.input_dim
    rows: list[Row] = []
    for a_row, b_value in zip(A, b):
        a = tuple(Fraction(v) for v in a_row)
        bv = Fraction(b_value)
        if len(a) != n:
            raise ValueError(f"domain row has {len(a)} entries, expected {n}")
        if not any(a):
            if bv < 0:
                return []
            continue  # 0 <= b with b >= 0 holds everywhere
        rows.append((a, bv))
    point = _feasible(rows, n)
    if point is None:
        return []
    identity = [tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n)]
    vec = [(identity[i], Fraction(0)) for i in range(n)]
    return list(_search(network.layers, 0, rows, point, vec, (), n))


def reference_count(network: Network, A: Sequence[Sequence[Any]] = (),
                    b: Sequence[Any] = ()) -> int:
    """The number of activation regions (see :func:`reference_regions`).

    Examples
    --------
    >>> reference_count(Network.mlp([[[1, 0], [0, 1], [1, 1]]], [[0, 0, 0]], final_activation="relu"))
    6
    """
    return len(reference_regions(network, A, b))


# --------------------------------------------------------------------------- linear regions


def _proportional(a1: Vector, b1: Fraction, a2: Vector, b2: Fraction) -> bool:
    """(a2, b2) is a nonzero multiple (either sign) of (a1, b1): the same hyperplane."""
    v1, v2 = (*a1, b1), (*a2, b2)
    pivot = next(i for i, v in enumerate(v1) if v)
    if not v2[pivot]:
        return False
    k = v2[pivot] / v1[pivot]
    return all(k * p == q for p, q in zip(v1, v2))


def share_facet(r1: RefRegion, r2: RefRegion, n: int) -> bool:
    """Whether the closures of two regions meet in an (n-1)-dimensional face.

    For each row (a, b) of ``r1``: look for a point with ``a . x = b`` and every
    row of both regions that is not on that hyperplane strictly satisfied.
    """
    both = list(r1.rows) + list(r2.rows)
    for a, bv in r1.rows:
        others = [(c, d) for c, d in both if not _proportional(a, bv, c, d)]
        if interior_point([c for c, _ in others], [d for _, d in others], [a], [bv], dim=n) is not None:
            return True
    return False


def reference_linear_regions(network: Network, A: Sequence[Sequence[Any]] = (),
                             b: Sequence[Any] = ()) -> list[list[RefRegion]]:
    """Activation regions grouped into linear regions.

    Two activation regions join when their output maps are identical and their
    closures share a facet; linear regions are the connected components.
    """
    regions = reference_regions(network, A, b)
    n = network.input_dim
    parent = list(range(len(regions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(regions)):
        for j in range(i + 1, len(regions)):
            if regions[i].output_map != regions[j].output_map or find(i) == find(j):
                continue
            if share_facet(regions[i], regions[j], n):
                parent[find(i)] = find(j)
    groups: dict[int, list[RefRegion]] = {}
    for i, region in enumerate(regions):
        groups.setdefault(find(i), []).append(region)
    return list(groups.values())


def reference_linear_region_count(network: Network, A: Sequence[Sequence[Any]] = (),
                                  b: Sequence[Any] = ()) -> int:
    """The number of linear regions (see :func:`reference_linear_regions`).

    Examples
    --------
    >>> net = Network.mlp([[[1], [-1]], [[1, -1]]], [[0, 0], [0]])  # relu(x) - relu(-x) = x
    >>> reference_count(net), reference_linear_region_count(net)
    (2, 1)
    """
    return len(reference_linear_regions(network, A, b))
