"""Rigorous bounds of linear functions of a ReLU network's output over input boxes.

:class:`BoxBounds` prepares a network of affine and ReLU layers with a list of *spec
rows* ``c . y`` on its output ``y`` (the rows are composed into the last affine layer,
exactly). :meth:`BoxBounds.bounds` then gives, for a box ``[low, high]`` of inputs, a
lower bound of every spec row over the box, by *symbolic intervals* (Wang et al. 2018,
ReluVal; the linear relaxation of Neurify, Wang et al. 2018):

- each unit carries a lower and an upper linear function of the input ``x`` that
  enclose its pre-activation on the box; an affine layer combines its inputs'
  functions by the signs of its weights;
- a ReLU whose pre-activation interval ``[l, u]`` (the extremes of those functions over
  the box) lies on one side is that side; otherwise it is bounded above by
  ``s (z - l)`` with ``s = u / (u - l)`` (the chord) and below by ``lam z``, ``lam =
  min(s, 1)``;
- the spec rows' lower functions are minimised over the box (at a vertex).

The compiled code (``_bounds.c``) then tightens: the interval of every unit the forward
pass leaves open (from the second layer on) by back-substitution to the input through
the relaxations below it (DeepPoly, Singh et al. 2019; CROWN, Zhang et al. 2018), and
the spec rows the same way, keeping the higher of the two bounds; each back-substitution
is done twice, with DeepPoly's lower lines of the open ReLUs and with CROWN's, keeping the
better bound; a spec row that still refutes nothing can have the slopes of its lower
lines optimised for it by projected gradient (alpha-CROWN, Xu et al. 2021: the floats
choose slopes in [0, 1], the bound is then computed rigorously with them); a box inside
another takes that box's intervals too. The Python code here is the forward pass only: its
bounds are valid and looser (it is used when the extension is not built).

The bounds hold for the exact rational network. The arithmetic is in doubles with
every rounding directed outward (see ``_bounds.c``, the compiled twin, which rounds
upward throughout; here each operation is rounded to nearest and then moved one unit
in the last place outward with :func:`math.nextafter`). A coefficient's rounding
spread times ``max |x_p|`` goes into the constant, weights that doubles cannot hold
become a centre and a radius, and the box is rounded outward: floating point only
ever makes a bound weaker, never wrong. A refutation is decided by comparing the
bound, an exact binary fraction, with the exact threshold.
"""

from __future__ import annotations

import math
import sys
from array import array
from dataclasses import dataclass
from fractions import Fraction
from operator import mul
from typing import Sequence

from ..core.layers import Affine, Identity, ReLU
from ..core.network import Network
from ..io.layers import compose

try:  # the compiled twin (setup.py builds it); the Python code below is the reference
    from . import _bounds as _compiled
except ImportError:  # pragma: no cover - depends on the build
    _compiled = None

#: Layers of :meth:`BoxBounds.piece` kept for the next calls (each a layer's exact maps).
PIECE_MEMO = 1024

__all__ = ["BoxBounds", "BoxResult", "supports", "round_down", "round_up"]

_INF = math.inf


def _up(x: float) -> float:
    return math.nextafter(x, _INF)


def _down(x: float) -> float:
    return math.nextafter(x, -_INF)


def _nearest(value: Fraction) -> float:
    """The double nearest *value*; beyond the largest double, the largest double (of its sign)."""
    try:
        return float(value)
    except OverflowError:
        return sys.float_info.max if value > 0 else -sys.float_info.max


def round_down(value: Fraction) -> float:
    """The largest double at most *value* (minus infinity below every double)."""
    f = _nearest(value)
    return f if Fraction(f) <= value else _down(f)


def round_up(value: Fraction) -> float:
    """The smallest double at least *value* (infinity above every double)."""
    f = _nearest(value)
    return f if Fraction(f) >= value else _up(f)


def _enclose(value: Fraction) -> tuple[float, float]:
    """A double centre and a double radius with ``|value - centre| <= radius`` (infinite
    beyond the doubles: the bounds that use it then refute nothing)."""
    centre = _nearest(value)
    gap = abs(value - Fraction(centre))
    return centre, (0.0 if not gap else round_up(gap))


def _affine_stages(network: Network) -> list[Affine] | None:
    """The affine maps between the ReLU layers (consecutive affine layers composed,
    exactly; identities dropped), or None unless the network is affine maps with ReLUs
    between them, ending with an affine map."""
    stages: list[Affine] = []
    pending: Affine | None = None
    for layer in network.layers:
        if isinstance(layer, Identity):
            continue
        if isinstance(layer, Affine):
            pending = layer if pending is None else compose(pending, layer)
        elif isinstance(layer, ReLU) and pending is not None:
            stages.append(pending)
            pending = None
        else:
            return None
    if pending is None:
        return None
    return stages + [pending]


def supports(network: Network) -> bool:
    """True when *network* is affine layers with ReLUs between them, ending with an affine
    layer (identities allowed): the networks :class:`BoxBounds` handles."""
    return _affine_stages(network) is not None


@dataclass(frozen=True, slots=True)
class BoxResult:
    """Bounds over one box.

    Attributes
    ----------
    lower
        A lower bound of each spec row over the box (a double, exact as a binary fraction).
    coefficients
        Each spec row's lower linear function's input coefficients, from DeepPoly's or
        CROWN's lines (not the optimised slopes', which flatten it): a direction in which
        the row grows (the search splits the inputs where it grows most). The bound is at
        least that function's minimum over the box.
    open_units
        Units whose sign the bounds leave open, per hidden layer.
    states
        One byte per hidden unit, layer by layer: 0 (never positive on the box), 1 (never
        negative) or 2 (open). With no 2 the network is one affine map on the box
        (:meth:`BoxBounds.affine_rows`).
    intervals
        The hidden units' pre-activation intervals (doubles: every low, then every
        high; the compiled code only), for the boxes inside this one.
    slopes
        Per spec row, the slopes of the open units' lower lines (doubles in [0, 1], one per
        hidden unit) that gave its bound when they were optimised for it (alpha-CROWN),
        else None (the compiled code only): a certificate carries them to the checker.
    """

    lower: tuple[float, ...]
    coefficients: tuple[tuple[float, ...], ...]
    open_units: tuple[int, ...]
    states: bytes
    intervals: bytes | None = None
    slopes: tuple[bytes | None, ...] | None = None


class BoxBounds:
    """A ReLU network prepared for bounds of spec rows ``c . y`` over input boxes.

    Parameters
    ----------
    network
        Affine and ReLU layers (:func:`supports`).
    rows
        The spec rows: each a sequence of output coefficients ``c`` (exact).
    compiled
        Use the compiled twin when built (default); False forces the Python code.
    """

    def __init__(self, network: Network, rows: Sequence[Sequence[Fraction]], compiled: bool = True) -> None:
        affines = _affine_stages(network)
        if affines is None:
            raise ValueError("BoxBounds needs affine layers with ReLUs between them")
        last = affines[-1]
        spec_weight = [[sum((Fraction(c) * row[j] for c, row in zip(spec, last.weight) if c), Fraction(0))
                        for j in range(last.in_dim)] for spec in rows]
        spec_bias = [sum((Fraction(c) * b for c, b in zip(spec, last.bias) if c), Fraction(0)) for spec in rows]
        self.input_dim = network.input_dim
        self.widths = tuple(layer.out_dim for layer in affines[:-1]) + (len(rows),)
        self._integer_stages = [_integer_affine(layer.weight, layer.bias) for layer in affines[:-1]]
        self._integer_stages.append(_integer_affine(spec_weight, spec_bias))
        self.network = network
        wc: list[float] = []
        wr: list[float] = []
        bc: list[float] = []
        br: list[float] = []
        for weight, bias in [(layer.weight, layer.bias) for layer in affines[:-1]] + [(spec_weight, spec_bias)]:
            for row in weight:
                for value in row:
                    centre, radius = _enclose(value)
                    wc.append(centre)
                    wr.append(radius)
            for value in bias:
                centre, radius = _enclose(value)
                bc.append(centre)
                br.append(radius)
        self._buffers = tuple(array("d", values) for values in (wc, wr, bc, br))
        self._compiled = _compiled if compiled else None
        self._piece_memo: dict[tuple[int, bytes], tuple] = {}

    def bounds(self, low: Sequence[Fraction], high: Sequence[Fraction]) -> BoxResult:
        """Lower bounds of the spec rows over the box ``[low, high]`` (exact ends, rounded outward)."""
        xl = array("d", [round_down(Fraction(v)) for v in low])
        xu = array("d", [round_up(Fraction(v)) for v in high])
        return self.bounds_float(xl, xu)

    def bounds_float(self, xl: Sequence[float], xu: Sequence[float], tighten: bool = True,
                     parent: "BoxResult | None" = None, need: Sequence[float] | None = None) -> BoxResult:
        """As :meth:`bounds` with the box already as doubles (``xl <= low``, ``high <= xu``).

        *parent*: the result of a box containing this one, whose unit intervals are
        intersected in (the compiled code; the Python code ignores it). *need*: per spec row,
        the bound it would take to refute something (``-inf``: nothing); a row whose bound
        is not above its need gets the slopes of its open units' lower lines optimised for
        it (the compiled code; alpha-CROWN style, every bound still rigorous)."""
        if self._compiled is not None:
            lower, coefs, open_units, states, intervals, slopes = self._compiled.bounds(
                self.input_dim, self.widths, *self._buffers, array("d", xl), array("d", xu), tighten,
                None if parent is None else parent.intervals, None if need is None else array("d", need))
        else:
            lower, coefs, open_units, states = _bounds_python(self.input_dim, self.widths, *self._buffers, xl, xu)
            intervals, slopes = None, None
        return BoxResult(tuple(lower), tuple(map(tuple, coefs)), tuple(open_units), states, intervals,
                         None if slopes is None else tuple(slopes))

    def affine_rows(self, states: bytes) -> list[tuple[tuple[Fraction, ...], Fraction]]:
        """The spec rows as exact affine functions ``(a, b)`` (``a . x + b``) of the input where
        every hidden unit is in the given state (0 off, 1 on; no 2), in integer arithmetic."""
        return self.piece(states)[0]

    def piece(self, states: bytes, sides_only: int | None = None
              ) -> tuple[list[tuple[tuple[Fraction, ...], Fraction]], list[tuple[tuple[Fraction, ...], Fraction, int]]]:
        """Where every hidden unit is in the given state (0 off, 1 on), exactly: the spec rows
        as affine functions ``(a, b)`` of the input, and for every unit given as 2 or 3
        (open: taken off for 2, on for 3) its pre-activation ``(a, b)`` and 0 or 1, the
        side it is taken on (``a . x + b <= 0`` for off, ``>= 0`` for on). Integer arithmetic.

        A layer's result depends only on the states up to it, not on any box: it is kept (the
        last :data:`PIECE_MEMO` of them) for the next call with the same prefix, as the boxes
        and choices of one search share most of theirs. *sides_only*: stop after the layer
        where that many sides are known (the spec rows then come back empty)."""
        n = self.input_dim
        memo = self._piece_memo
        # the current layer's affine functions of x as n + 1 integer columns over den (the
        # constant last), one entry per unit (0 for a unit that is off)
        columns: list[list[int]] = [[int(c == p) for p in range(n)] for c in range(n)] + [[0] * n]
        den = 1
        at = 0
        sides: list[tuple[tuple[Fraction, ...], Fraction, int]] = []
        last = len(self._integer_stages) - 1
        for k, (weight, bias, scale) in enumerate(self._integer_stages):
            hidden = k < last
            key = (k, states[:at + len(weight)])  # (the spec rows': every state)
            known = memo.get(key)
            if known is None:
                z = [[sum(map(mul, w_row, col)) for col in columns] for w_row in weight]
                for values, b in zip(z, bias):
                    values[n] += b * den
                if hidden:
                    layer_sides = []
                    for i, values in enumerate(z):
                        state = states[at + i]
                        if state >= 2:
                            layer_sides.append((tuple(Fraction(v, den * scale) for v in values[:n]),
                                                Fraction(values[n], den * scale), state - 2))
                        if state == 0 or state == 2:
                            values[:] = [0] * (n + 1)
                    known = ([list(col) for col in zip(*z)], layer_sides)
                else:
                    known = (z, [])
                if len(memo) >= PIECE_MEMO:
                    del memo[next(iter(memo))]
                memo[key] = known
            den *= scale
            if not hidden:
                spec = [(tuple(Fraction(v, den) for v in values[:n]), Fraction(values[n], den)) for values in known[0]]
                return spec, sides
            columns, layer_sides = known
            sides.extend(layer_sides)
            at += len(weight)
            if sides_only is not None and len(sides) >= sides_only:
                return [], sides
        raise AssertionError("unreachable: the last stage returns")

    def exact_rows(self, x: Sequence[Fraction]) -> list[Fraction]:
        """The spec rows at the point *x*, exactly (integer arithmetic: an exact forward pass)."""
        scale = 1
        for v in x:
            scale = math.lcm(scale, Fraction(v).denominator)
        values = [int(Fraction(v) * scale) for v in x]
        den = scale
        last = len(self._integer_stages) - 1
        for k, (weight, bias, factor) in enumerate(self._integer_stages):
            out = []
            for w_row, b in zip(weight, bias):
                total = b * den
                for w, v in zip(w_row, values):
                    if w and v:
                        total += w * v
                out.append(total if k == last or total > 0 else 0)
            values = out
            den *= factor
        return [Fraction(v, den) for v in values]

    def gradient(self, point: Sequence[float]) -> tuple[list[float], list[list[float]]]:
        """The spec rows at *point* and each row's input gradient there, in plain floating
        point (for attacks: a proposal only)."""
        if self._compiled is not None:
            return self._compiled.gradient(self.input_dim, self.widths, *self._buffers, array("d", point))
        return _gradient_python(self.input_dim, self.widths, self._buffers[0], self._buffers[2], point)

    def evaluate(self, points: Sequence[Sequence[float]]) -> list[list[float]]:
        """The spec rows at each point, in plain floating point (a proposal only: a point is a
        counterexample once an exact forward pass confirms it)."""
        flat = array("d", [v for point in points for v in point])
        if self._compiled is not None:
            return self._compiled.evaluate(self.input_dim, self.widths, *self._buffers, flat)
        return _evaluate_python(self.input_dim, self.widths, self._buffers[0], self._buffers[2], points)


def _integer_affine(weight: Sequence[Sequence[Fraction]], bias: Sequence[Fraction]
                    ) -> tuple[list[list[int]], list[int], int]:
    """``weight`` and ``bias`` times their common denominator, as integers, and that denominator."""
    scale = 1
    for value in [v for row in weight for v in row] + list(bias):
        scale = math.lcm(scale, Fraction(value).denominator)
    return ([[int(Fraction(v) * scale) for v in row] for row in weight], [int(Fraction(b) * scale) for b in bias],
            scale)


def _bounds_python(n0: int, widths: Sequence[int], wc: Sequence[float], wr: Sequence[float],
                   bc: Sequence[float], br: Sequence[float], xl: Sequence[float], xu: Sequence[float]
                   ) -> tuple[list[float], list[list[float]], list[int], bytes]:
    """The reference of ``_bounds.bounds``'s forward pass (the compiled code also
    back-substitutes, which only tightens): the same steps, each rounding moved outward."""
    up, down = _up, _down
    xmag = [max(abs(a), abs(b)) for a, b in zip(xl, xu)]
    # enclosures of the inputs: rows (coefficients..., constant)
    HL = [[1.0 if q == p else 0.0 for q in range(n0)] + [0.0] for p in range(n0)]
    HU = [row[:] for row in HL]
    hl, hu = list(xl), list(xu)
    open_units = []
    states = bytearray()
    w_at = b_at = 0
    cols = n0
    L: list[list[float]] = []
    low: list[float] = []
    for k, rows in enumerate(widths):
        last = k == len(widths) - 1
        L, U, low, high = [], [], [], []
        for i in range(rows):
            weights = wc[w_at + i * cols: w_at + (i + 1) * cols]
            radius = br[b_at + i]
            for j, r in enumerate(wr[w_at + i * cols: w_at + (i + 1) * cols]):
                if r:
                    radius = up(radius + up(r * max(abs(hl[j]), abs(hu[j]))))
            lo_row, up_row = [], []
            spread_l = spread_u = 0.0
            for p in range(n0 + 1):
                hi_l = lo_l = hi_u = lo_u = 0.0  # exact lower coefficient in [lo_l, hi_l], upper in [lo_u, hi_u]
                for j, a in enumerate(weights):
                    if not a:
                        continue
                    first, second = (HL[j][p], HU[j][p]) if a > 0 else (HU[j][p], HL[j][p])
                    hi_l, lo_l = up(hi_l + up(a * first)), down(lo_l + down(a * first))
                    hi_u, lo_u = up(hi_u + up(a * second)), down(lo_u + down(a * second))
                if p < n0:
                    lo_row.append(lo_l)
                    up_row.append(hi_u)
                    spread_l = up(spread_l + up(up(hi_l - lo_l) * xmag[p]))
                    spread_u = up(spread_u + up(up(hi_u - lo_u) * xmag[p]))
                else:
                    lo_row.append(down(down(down(lo_l - spread_l) - radius) + bc[b_at + i]))
                    up_row.append(up(up(up(hi_u + spread_u) + radius) + bc[b_at + i]))
            L.append(lo_row)
            U.append(up_row)
            value = lo_row[n0]
            for p in range(n0):
                a = lo_row[p]
                value = down(value + down(a * (xl[p] if a >= 0 else xu[p])))
            low.append(value)
            if not last:
                value = up_row[n0]
                for p in range(n0):
                    a = up_row[p]
                    value = up(value + up(a * (xu[p] if a >= 0 else xl[p])))
                high.append(value)
        w_at += rows * cols
        b_at += rows
        cols = rows
        if last:
            break
        HL, HU, hl, hu = [], [], [], []
        count = 0
        for i in range(rows):
            l_i, u_i = low[i], high[i]
            states.append(0 if u_i <= 0 else 1 if l_i >= 0 else 2)
            if u_i <= 0:
                HL.append([0.0] * (n0 + 1))
                HU.append([0.0] * (n0 + 1))
                hl.append(0.0)
                hu.append(0.0)
            elif l_i >= 0:
                HL.append(L[i])
                HU.append(U[i])
                hl.append(l_i)
                hu.append(u_i)
            else:
                count += 1
                s = up(u_i / down(u_i - l_i))
                lam = min(s, 1.0)
                upper, lower = [], []
                spread_u = spread_l = 0.0
                for p in range(n0):
                    hi, lo = up(s * U[i][p]), down(s * U[i][p])
                    upper.append(hi)
                    spread_u = up(spread_u + up(up(hi - lo) * xmag[p]))
                    hi, lo = up(lam * L[i][p]), down(lam * L[i][p])
                    lower.append(lo)
                    spread_l = up(spread_l + up(up(hi - lo) * xmag[p]))
                upper.append(up(up(s * up(U[i][n0] - l_i)) + spread_u))
                lower.append(down(down(lam * L[i][n0]) - spread_l))
                HL.append(lower)
                HU.append(upper)
                hl.append(0.0)
                hu.append(u_i)
        open_units.append(count)
    return low, [row[:n0] for row in L], open_units, bytes(states)


def _evaluate_python(n0: int, widths: Sequence[int], wc: Sequence[float], bc: Sequence[float],
                     points: Sequence[Sequence[float]]) -> list[list[float]]:
    out = []
    for point in points:
        values = list(point)
        w_at = b_at = 0
        cols = n0
        for k, rows in enumerate(widths):
            nxt = []
            for i in range(rows):
                s = bc[b_at + i] + sum(a * v for a, v in zip(wc[w_at + i * cols: w_at + (i + 1) * cols], values))
                nxt.append(max(s, 0.0) if k < len(widths) - 1 else s)
            values = nxt
            w_at += rows * cols
            b_at += rows
            cols = rows
        out.append(values)
    return out


def _gradient_python(n0: int, widths: Sequence[int], wc: Sequence[float], bc: Sequence[float],
                     point: Sequence[float]) -> tuple[list[float], list[list[float]]]:
    layers = []
    values = list(point)
    w_at = b_at = 0
    cols = n0
    for k, rows in enumerate(widths):
        matrix = [wc[w_at + i * cols: w_at + (i + 1) * cols] for i in range(rows)]
        nxt = [bc[b_at + i] + sum(a * v for a, v in zip(matrix[i], values)) for i in range(rows)]
        if k < len(widths) - 1:
            nxt = [max(v, 0.0) for v in nxt]
        layers.append((matrix, nxt))
        values = nxt
        w_at += rows * cols
        b_at += rows
        cols = rows
    gradients = []
    for r in range(len(values)):
        g = [float(i == r) for i in range(len(values))]
        for k in range(len(widths) - 1, -1, -1):
            matrix, outputs = layers[k]
            if k < len(widths) - 1:
                g = [gi if o > 0 else 0.0 for gi, o in zip(g, outputs)]
            g = [sum(gi * row[j] for gi, row in zip(g, matrix)) for j in range(len(matrix[0]))]
        gradients.append(g)
    return values, gradients
