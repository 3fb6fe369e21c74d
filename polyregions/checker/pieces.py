"""The arithmetic that bounded subtrees of query certificates are checked with: the
activations with one input per unit as linear pieces (breakpoints, the slope left of the
first and right of the last, and the function itself), their ranges over an interval,
lines checked against them, consecutive affine layers composed as the engine compiles
them, and the exact forward pass.
"""

from __future__ import annotations

from fractions import Fraction


def _act(layer, z):
    kind = layer[0]
    if kind == "relu":
        return z if z > 0 else Fraction(0)
    if kind == "leaky_relu":
        return z if z >= 0 else layer[1] * z
    if kind == "abs":
        return abs(z)
    return min(max(z, layer[1]), layer[2])  # hardtanh


def _breaks(layer):
    return [layer[1], layer[2]] if layer[0] == "hardtanh" else [Fraction(0)]


def _end_slopes(layer):
    """The slopes of the activation left of its first breakpoint and right of its last."""
    kind = layer[0]
    if kind == "hardtanh":
        return Fraction(0), Fraction(0)
    if kind == "leaky_relu":
        return layer[1], Fraction(1)
    return (Fraction(-1) if kind == "abs" else Fraction(0)), Fraction(1)


def _piece(layer, state):
    """(slope, offset, lowest z, highest z) of the linear piece named *state* (None: infinite)."""
    kind = layer[0]
    if kind == "hardtanh":
        lo, hi = layer[1], layer[2]
        if state in ("L", "l"):
            return Fraction(0), lo, None, lo
        if state in ("H", "h"):
            return Fraction(0), hi, hi, None
        if state == "M":
            return Fraction(1), Fraction(0), lo, hi
        return None
    if state == "+":
        return Fraction(1), Fraction(0), Fraction(0), None
    if state == "-":
        return _end_slopes(layer)[0], Fraction(0), None, Fraction(0)
    if state == "0":
        return Fraction(0), Fraction(0), Fraction(0), Fraction(0)
    return None


def _inter(lo, hi, a, b):
    """[lo, hi] cut down to [a, b] (None: infinite)."""
    lo = a if lo is None else lo if a is None else max(lo, a)
    hi = b if hi is None else hi if b is None else min(hi, b)
    return lo, hi


def _range(layer, lo, hi):
    """The range of the activation over [lo, hi] (None: infinite ends)."""
    points = [p for p in (lo, hi) if p is not None]
    points += [b for b in _breaks(layer) if (lo is None or b > lo) and (hi is None or b < hi)]
    values = [_act(layer, p) for p in points]
    low, high = (min(values), max(values)) if values else (None, None)
    left, right = _end_slopes(layer)
    if lo is None:
        if left > 0:
            low = None
        elif left < 0:
            high = None
    if hi is None:
        if right > 0:
            high = None
        elif right < 0:
            low = None
    return low, high


def _line_ok(layer, line, lo, hi, upper):
    """True when s z + t is above (below) the activation on [lo, hi]."""
    s, t = line
    points = [p for p in (lo, hi) if p is not None]
    points += [b for b in _breaks(layer) if (lo is None or b > lo) and (hi is None or b < hi)]
    left, right = _end_slopes(layer)
    if upper:
        if (lo is None and s > left) or (hi is None and s < right):
            return False
        return all(s * p + t >= _act(layer, p) for p in points)
    if (lo is None and s < left) or (hi is None and s > right):
        return False
    return all(s * p + t <= _act(layer, p) for p in points)


def _compose(first, second):
    """The affine map second o first; each is (W, b) with Fraction entries, or None (identity)."""
    if first is None:
        return second
    w1, b1 = first
    w2, b2 = second
    weight = [[sum((row[k] * w1[k][j] for k in range(len(row))), Fraction(0)) for j in range(len(w1[0]))]
              for row in w2]
    bias = [sum((row[k] * b1[k] for k in range(len(row))), Fraction(0)) + c for row, c in zip(w2, b2)]
    return weight, bias


def _stage_list(layers):
    """Consecutive affine layers composed and paired with the activation after them, as the
    engine compiles them: ``([(map or None, activation index), ...], final map or None)``."""
    stages, pending = [], None
    for index, layer in enumerate(layers):
        if layer[0] == "affine":
            pending = _compose(pending, ([list(r) for r in layer[1]], list(layer[2])))
        else:
            stages.append((pending, index))
            pending = None
    return stages, pending


def _forward(layers, x):
    """The network's outputs at the point *x* (exact)."""
    v = list(x)
    for layer in layers:
        kind = layer[0]
        if kind == "affine":
            v = [sum((w * c for w, c in zip(row, v)), Fraction(0)) + b for row, b in zip(layer[1], layer[2])]
        elif kind == "maxout":
            k = layer[1]
            v = [max(v[i:i + k]) for i in range(0, len(v), k)]
        elif kind != "identity":
            v = [_act(layer, z) for z in v]
    return v
