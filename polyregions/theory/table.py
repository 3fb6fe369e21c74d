"""The table of bounds for one architecture: which bound holds for which network.

:func:`bounds_table` evaluates every bound of :mod:`polyregions.theory` for an input
dimension, widths, activation families and maxout ranks, with the source of each
formula and whether its hypotheses hold (a bound applies only where its proof does);
:func:`network_bounds` does it for a network's own :func:`architecture`, and
:func:`verdict` compares an exact count with an entry. The `polyregions bounds` and
`polyregions count --bounds` commands print this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import sympy as sp

from ..core.layers import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, ReLU
from ..errors import InputError
from ..io.models import as_network
from ..rationals import counted
from .arrangements import (SRC_ZASLAVSKY, zaslavsky_bounded_regions, zaslavsky_bounded_regions_expr,
                           zaslavsky_regions, zaslavsky_regions_expr)
from .formulas import check_n0, check_rank, check_widths, m, n, narrow_layer, width_symbols
from .maxout import (MRZ21_NOTE, SRC_M14_MAXOUT_DEEP, SRC_M14_MAXOUT_LAYER, SRC_MRZ21, SRC_S18_MAXOUT,
                     montufar2014_maxout_layer_lower, montufar2014_maxout_layer_lower_expr,
                     montufar2014_maxout_layer_upper, montufar2014_maxout_layer_upper_expr,
                     montufar2014_maxout_lower, montufar2014_maxout_lower_expr, mrz2021_maxout_layer_upper,
                     mrz2021_maxout_layer_upper_expr, serra2018_maxout_upper, serra2018_maxout_upper_expr)
from .relu import (SRC_M14_LOWER, SRC_M17_UPPER, SRC_S18_LOWER, SRC_S18_UPPER, montufar2014_lower,
                   montufar2014_lower_expr, montufar2017_upper, montufar2017_upper_expr, serra2018_lower,
                   serra2018_lower_expr, serra2018_upper, serra2018_upper_expr, width_hypothesis)

__all__ = ["FAMILIES", "ONE_BREAKPOINT", "UPPER", "LOWER", "COMPARISON", "Architecture", "architecture",
           "bounds_table", "network_bounds", "verdict"]


#: Activation families, as in the network file format (a leaky ReLU of slope 0 is a ReLU).
FAMILIES = ("relu", "leaky_relu", "abs", "hardtanh", "maxout")

#: Families whose every unit has one breakpoint (one hyperplane per unit and region).
ONE_BREAKPOINT = frozenset({"relu", "leaky_relu", "abs"})

#: What an entry's ``relation`` says about the exact count of a network it applies to.
UPPER = "count <= bound"      # every network of the architecture
LOWER = "max >= bound"        # the best network of the architecture (the paper's construction)
COMPARISON = "comparison"     # the count of another (shallow) network, for comparison

_NOT_RELU = {
    "leaky_relu": "a leaky ReLU (slope != 0) is not a ReLU",
    "abs": "abs is not a ReLU (|z| = relu(z) + relu(-z) folds the input)",
    "hardtanh": "hardtanh is not a ReLU (two breakpoints per unit)",
    "maxout": "maxout units are not ReLUs (see the maxout bounds)",
}

_TWO_OR_MORE = {
    "hardtanh": ("a hardtanh unit has two breakpoints (min and max): a layer of n units makes up "
                 "to 2n hyperplanes, not n"),
    "maxout": ("a rank-k maxout unit makes up to k(k-1)/2 tie hyperplanes, not one "
               "(see the maxout bounds)"),
}


@dataclass(frozen=True, slots=True)
class Architecture:
    """What the bounds see of a network: input dimension, and per activation layer its
    number of units, activation family and maxout rank (None for other families).

    Examples
    --------
    >>> from polyregions import Network
    >>> architecture(Network.mlp([[[1, 0], [0, 1], [1, 1]], [[1, 1, 1]]], [[0, 0, 0], [0]],
    ...                          activation="abs"))
    Architecture(input_dim=2, widths=(3,), activations=('abs',), ranks=(None,))
    """

    input_dim: int
    widths: tuple[int, ...]
    activations: tuple[str, ...]
    ranks: tuple[int | None, ...]


def architecture(network: Any) -> Architecture:
    """The :class:`Architecture` of a :class:`~polyregions.core.network.Network`.

    Identity layers and affine layers are not activation layers; a maxout layer has
    as many units as maxima it takes; a leaky ReLU of slope 0 is a ReLU.
    """
    widths: list[int] = []
    kinds: list[str] = []
    ranks: list[int | None] = []
    width = network.input_dim
    for layer in network.layers:
        if isinstance(layer, Affine):
            width = layer.out_dim
            continue
        if isinstance(layer, Identity):
            continue
        rank = None
        if isinstance(layer, Maxout):
            width //= layer.rank
            kind, rank = "maxout", layer.rank
        elif isinstance(layer, ReLU) or (isinstance(layer, LeakyReLU) and layer.slope == 0):
            kind = "relu"
        elif isinstance(layer, LeakyReLU):
            kind = "leaky_relu"
        elif isinstance(layer, Abs):
            kind = "abs"
        elif isinstance(layer, HardTanh):
            kind = "hardtanh"
        else:  # pragma: no cover - Network.from_layers admits no other layer
            raise InputError(f"unknown activation layer {layer!r}")
        widths.append(width)
        kinds.append(kind)
        ranks.append(rank)
    return Architecture(network.input_dim, tuple(widths), tuple(kinds), tuple(ranks))


def _entry(value: int | None, formula: sp.Expr, source: str, kind: str, network: str,
           relation: str, note: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value, "formula": sp.sstr(formula), "source": source,
                           "kind": kind, "network": network, "applies": value is not None,
                           "relation": relation if value is not None else None}
    if note:
        out["note"] = note
    return out


def _first_other(kinds: Sequence[str], allowed: frozenset[str] | set[str]) -> tuple[int, str] | None:
    """The first layer (1-based) whose family is not in *allowed*, with its family."""
    for i, kind in enumerate(kinds):
        if kind not in allowed:
            return i + 1, kind
    return None


def _family_note(kinds: Sequence[str], allowed: frozenset[str] | set[str], reasons: dict[str, str],
                 stated_for: str) -> str | None:
    """Why a bound stated for *stated_for* does not hold here, or None when every layer fits."""
    other = _first_other(kinds, allowed)
    if other is None:
        return None
    layer, kind = other
    reason = reasons.get(kind, f"{kind} is not {stated_for}")
    where = "" if len(set(kinds)) == 1 else f" (layer {layer} is {kind})"
    return f"stated for {stated_for} networks; {reason}{where}"


def _activations(activation: Any, depth: int, rank: Any) -> tuple[str, ...]:
    if activation is None:
        activation = "relu" if rank is None else "maxout"
    kinds = [activation] * depth if isinstance(activation, str) else list(activation)
    if len(kinds) != depth:
        raise InputError(f"activation: {counted(len(kinds), 'family')} for {counted(depth, 'layer')}")
    for i, kind in enumerate(kinds):
        if kind not in FAMILIES:
            raise InputError(f"activation of layer {i + 1}: expected one of {', '.join(FAMILIES)}, "
                             f"got {kind!r}")
    return tuple(kinds)


def _ranks(rank: Any, kinds: Sequence[str]) -> tuple[int | None, ...]:
    """One rank per maxout layer (None elsewhere); rank 1 (a linear layer) is kept as 1."""
    if rank is None or isinstance(rank, (str, bytes)) or not isinstance(rank, Sequence):
        if rank is None:
            if "maxout" in kinds:
                raise InputError("maxout layers need a rank (--rank K)")
            return tuple(None for _ in kinds)
        rank = check_rank(rank)
        return tuple(rank if kind == "maxout" else None for kind in kinds)
    ranks = list(rank)
    if len(ranks) != len(kinds):
        raise InputError(f"rank: {counted(len(ranks), 'rank')} for {counted(len(kinds), 'layer')}")
    out: list[int | None] = []
    for i, (r, kind) in enumerate(zip(ranks, kinds)):
        if kind != "maxout":
            out.append(None)
        elif isinstance(r, int) and not isinstance(r, bool) and r == 1:
            out.append(1)
        else:
            out.append(check_rank(r))
    return tuple(out)


def bounds_table(n0: int, widths: Sequence[int], rank: int | Sequence[int | None] | None = None,
                 activation: str | Sequence[str] | None = None) -> dict[str, dict]:
    """Every bound of :mod:`polyregions.theory` for one architecture, with sources and hypotheses.

    A bound *applies* only when its hypotheses hold for this architecture: the
    activation family of every layer, the widths and the rank. The ReLU bounds are
    proved for ReLU networks, and only carry over where the proof does (see
    Notes); everywhere else the entry says ``applies: false`` and why.

    Parameters
    ----------
    n0 : int
        Input dimension.
    widths : sequence of int
        Hidden widths ``n_1, ..., n_L`` (units per layer; for maxout, maxout units).
    rank : int or sequence, optional
        Maxout rank k (or one per layer); adds the maxout bounds.
    activation : str or sequence of str, optional
        The family of every layer (or one per layer) among :data:`FAMILIES`;
        default ``"relu"``, or ``"maxout"`` when *rank* is given.

    Returns
    -------
    dict
        Name -> entry. Each entry has ``value`` (an int, or None where the bound
        does not apply), ``formula`` (sympy's ``sstr`` of the expression),
        ``source`` (citation), ``kind`` (``"upper"``, ``"lower"`` or
        ``"exact in general position"``), ``network`` (the family the bound is
        stated for), ``applies`` (bool), ``relation`` (where it applies: what it
        says about the exact activation-region count of a network of this
        architecture: :data:`UPPER` ``"count <= bound"`` for every network,
        :data:`LOWER` ``"max >= bound"`` for the best one, or :data:`COMPARISON`
        for the count of the shallow network with as many units) and, where
        something needs saying, ``note``. Keys: ``zaslavsky_shallow`` and
        ``zaslavsky_shallow_bounded`` (one layer with as many units as all layers
        together), ``montufar2014_lower``, ``montufar2017_upper``,
        ``serra2018_upper``, ``serra2018_lower``; with *rank*:
        ``montufar2014_maxout_lower``, ``serra2018_maxout_upper`` and the one-layer
        ``montufar2014_maxout_layer_lower``, ``montufar2014_maxout_layer_upper``
        and ``mrz2021_maxout_layer_upper`` (unverified form, see its docstring).

    Raises
    ------
    InputError
        On a non-positive dimension or width, a rank below 2, an unknown family,
        or maxout layers without a rank.

    Notes
    -----
    Which bound holds for which family, and why:

    - ``serra2018_upper``: ReLU only. The proof uses that an inactive ReLU outputs
      0, which lowers the dimension of the image; a leaky ReLU (slope != 0) or an
      abs unit keeps it. Three abs layers of width 1 on R have 8 regions, above
      the formula's 4.
    - ``montufar2017_upper`` and the one-layer ``zaslavsky_shallow``: ReLU, leaky
      ReLU and abs. The proof needs only that each unit has one breakpoint: on a
      region of the earlier layers, layer l's pre-activations are affine and factor
      through a space of dimension at most ``d_l``, so the layer's ``n_l``
      hyperplanes cut it into at most ``sum_{j<=d_l} C(n_l, j)`` pieces. Not
      hardtanh (two breakpoints per unit) nor maxout (several tie hyperplanes).
    - ``montufar2014_lower``, ``serra2018_lower``: lower bounds on the best ReLU
      network (the constructions use ReLUs): ReLU only.
    - The maxout bounds: maxout layers of one rank k >= 2 only.

    Examples
    --------
    >>> table = bounds_table(2, [4, 4])
    >>> table["serra2018_upper"]["value"], table["montufar2014_lower"]["value"]
    (121, 44)
    >>> table["serra2018_lower"]["applies"], table["serra2018_lower"]["note"]
    (False, 'needs every width >= 3 n0 = 6; layer 1 has width 4')
    >>> abs_table = bounds_table(1, [1, 1, 1], activation="abs")
    >>> abs_table["serra2018_upper"]["applies"], abs_table["montufar2017_upper"]["value"]
    (False, 8)
    """
    n0_ = check_n0(n0)
    ws = check_widths(widths)
    depth = len(ws)
    kinds = _activations(activation, depth, rank)
    ranks = _ranks(rank, kinds)
    total = sum(ws)
    table: dict[str, dict] = {}

    one_break = _family_note(kinds, ONE_BREAKPOINT, _TWO_OR_MORE, "ReLU-like (one breakpoint per unit)")
    not_relu = _family_note(kinds, {"relu"}, _NOT_RELU, "ReLU")
    carried = ("" if set(kinds) == {"relu"} else
               "; stated for ReLU, and the proof holds for any unit with one breakpoint "
               "(leaky ReLU, abs)")
    shallow_relation = UPPER if depth == 1 else COMPARISON
    shallow_note = (f"one layer of {total} units with one breakpoint each (all layers side by side) "
                    f"on all of R^{n0_}: the maximum over such layers, attained exactly when the "
                    "hyperplanes are in general position"
                    + ("" if depth == 1 else "; this network has "
                       f"{depth} layers, so this is for comparison, not a bound on its count"))
    shallow = sum(width_symbols(depth))   # one layer of n1 + ... + nL units
    table["zaslavsky_shallow"] = _entry(
        None if one_break else zaslavsky_regions(n0_, total),
        zaslavsky_regions_expr().subs(m, shallow),
        SRC_ZASLAVSKY, "exact in general position", "relu, leaky_relu or abs", shallow_relation,
        one_break or shallow_note)
    table["zaslavsky_shallow_bounded"] = _entry(
        None if one_break else zaslavsky_bounded_regions(n0_, total),
        zaslavsky_bounded_regions_expr().subs(m, shallow),
        SRC_ZASLAVSKY, "exact in general position", "relu, leaky_relu or abs", COMPARISON,
        one_break or f"bounded regions of {total} hyperplanes in general position in R^{n0_} "
                     "(for comparison: on a bounded domain every region is bounded)")
    table["montufar2014_lower"] = _relu_lower(
        montufar2014_lower, montufar2014_lower_expr(depth), SRC_M14_LOWER, n0_, ws, 1, not_relu,
        "the best network of this architecture has at least this many linear regions "
        "(zig-zag construction: polyregions construct rectifier)")
    table["montufar2017_upper"] = _entry(
        None if one_break else montufar2017_upper(n0_, ws), montufar2017_upper_expr(depth),
        SRC_M17_UPPER, "upper", "relu", UPPER,
        one_break or "bounds activation regions, hence linear regions" + carried)
    table["serra2018_upper"] = _entry(
        None if not_relu else serra2018_upper(n0_, ws), serra2018_upper_expr(depth), SRC_S18_UPPER,
        "upper", "relu", UPPER,
        (not_relu + "; the proof uses that an inactive ReLU outputs 0, which lowers the dimension "
         "of the image") if not_relu else
        "bounds activation regions, hence linear regions" + ("; tight for one layer" if depth == 1 else ""))
    table["serra2018_lower"] = _relu_lower(
        serra2018_lower, serra2018_lower_expr(depth), SRC_S18_LOWER, n0_, ws, 3, not_relu,
        "the best network of this architecture has at least this many linear regions")
    if rank is None:
        return table
    _maxout_entries(table, n0_, ws, kinds, ranks)
    return table


def _relu_lower(bound: Callable[[int, Sequence[int]], int], formula: sp.Expr, source: str, n0_: int,
                ws: tuple[int, ...], times: int, not_relu: str | None, note: str) -> dict[str, Any]:
    """The entry of a ReLU lower bound: its construction needs ReLU layers, every one of
    width ``n_l >= times * n0`` (:func:`~polyregions.theory.relu.width_hypothesis`)."""
    why_not = not_relu + "; the construction uses ReLUs" if not_relu else width_hypothesis(n0_, ws, times)
    return _entry(None if why_not else bound(n0_, ws), formula, source, "lower", "relu", LOWER,
                  why_not or note)


def _maxout_entries(table: dict[str, dict], n0_: int, ws: tuple[int, ...], kinds: Sequence[str],
                    ranks: Sequence[int | None]) -> None:
    depth = len(ws)
    not_maxout = _family_note(kinds, {"maxout"}, {}, "maxout")
    distinct = sorted({r for r in ranks if r is not None})
    if not_maxout is None and len(distinct) > 1:
        not_maxout = (f"stated for maxout layers of one rank k; these layers have ranks "
                      f"{', '.join(map(str, distinct))}")
    if not_maxout is None and distinct == [1]:
        not_maxout = "stated for rank k >= 2; a rank-1 maxout layer is a linear layer"
    rank = distinct[-1] if distinct else 2
    formulas = {
        "montufar2014_maxout_lower": (montufar2014_maxout_lower_expr(), SRC_M14_MAXOUT_DEEP, "lower"),
        "serra2018_maxout_upper": (serra2018_maxout_upper_expr(depth), SRC_S18_MAXOUT, "upper"),
    }
    one_layer = {   # key: the bound, its formula in n, source, kind, note
        "montufar2014_maxout_layer_lower": (
            montufar2014_maxout_layer_lower, montufar2014_maxout_layer_lower_expr, SRC_M14_MAXOUT_LAYER,
            "lower", None),
        "montufar2014_maxout_layer_upper": (
            montufar2014_maxout_layer_upper, montufar2014_maxout_layer_upper_expr, SRC_M14_MAXOUT_LAYER,
            "upper", None),
        "mrz2021_maxout_layer_upper": (mrz2021_maxout_layer_upper, mrz2021_maxout_layer_upper_expr,
                                       SRC_MRZ21, "upper", MRZ21_NOTE),
    }
    unit = width_symbols(1)[0] if depth == 1 else n   # the layer's width is n1 when there is one layer
    for key, (_, expr, source, kind, _) in one_layer.items():
        formulas[key] = (expr().subs(n, unit), source, kind)

    def put(key: str, value: int | None, note: str | None) -> None:
        expr, source, kind = formulas[key]
        table[key] = _entry(value, expr, source, kind, "maxout", UPPER if kind == "upper" else LOWER, note)

    if not_maxout:
        for key in formulas:
            put(key, None, not_maxout)
        return
    narrow = narrow_layer(ws, n0_)
    if narrow:
        put("montufar2014_maxout_lower", None,
            f"stated for layers of width n0 = {n0_} (wider layers cannot do worse); {narrow}")
    elif n0_ == 1 and rank >= 3 and depth >= 2:
        put("montufar2014_maxout_lower", None,
            "false as stated for n0 = 1 and rank >= 3: a width-1 rank-k layer is convex, so two "
            "such layers have at most 3k - 2 < k^2 pieces")
    else:
        put("montufar2014_maxout_lower", montufar2014_maxout_lower(n0_, rank, depth),
            "stated for layers of width n0; wider layers cannot do worse (construction: "
            "polyregions construct maxout)")
    put("serra2018_maxout_upper", serra2018_maxout_upper(n0_, ws, rank),
        "bounds activation regions, hence linear regions")
    for key, (bound, _, _, _, note) in one_layer.items():
        if depth == 1:
            put(key, bound(n0_, ws[0], rank), note)
        else:
            put(key, None, f"a one-layer bound; this network has {depth} layers")


def network_bounds(network: Any) -> dict[str, dict]:
    """:func:`bounds_table` for the architecture of *network* (see :func:`architecture`).

    Raises
    ------
    InputError
        When the network has no activation layer.

    Examples
    --------
    >>> from polyregions import Network
    >>> net = Network.mlp([[[1], [-1]], [[1, 1]]], [[0, 0], [0]], activation="abs")
    >>> table = network_bounds(net)
    >>> table["serra2018_upper"]["applies"], table["montufar2017_upper"]["value"]
    (False, 3)
    """
    arch = architecture(as_network(network))
    if not arch.widths:
        raise InputError("the network has no activation layer, so no bound applies to it")
    maxout = "maxout" in arch.activations
    return bounds_table(arch.input_dim, arch.widths, arch.ranks if maxout else None, arch.activations)


def verdict(entry: dict[str, Any], count: int) -> str | None:
    """How an exact activation-region count compares with an entry of :func:`bounds_table`.

    ``"count <= bound"`` or ``"VIOLATED: count > bound"`` for an upper bound;
    ``"count >= bound"`` or ``"count < bound"`` for a lower bound (a lower bound on
    the best network of the architecture: a smaller count is allowed, only the
    construction must reach it); ``"comparison"`` for the shallow counts (another
    network's); None where the bound does not apply.

    Examples
    --------
    >>> table = bounds_table(2, [4, 4])
    >>> verdict(table["serra2018_upper"], 44), verdict(table["serra2018_upper"], 122)
    ('count <= bound', 'VIOLATED: count > bound')
    >>> verdict(table["montufar2014_lower"], 44), verdict(table["serra2018_lower"], 44) is None
    ('count >= bound', True)
    """
    if not entry.get("applies"):
        return None
    relation = entry.get("relation")
    value = entry["value"]
    if relation == UPPER:
        return "count <= bound" if count <= value else "VIOLATED: count > bound"
    if relation == LOWER:
        return "count >= bound" if count >= value else "count < bound"
    return "comparison"
