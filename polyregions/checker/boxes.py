"""Proofs over boxes: the checker of verify certificates whose proof bisects the input box
(``polyregions-verify-boxes-certificate/1``), and the exact bounds it checks them with.

The certificate is the bisection tree of the input box in preorder: an entry
``["split", p, first]`` halves the current box at the midpoint of input ``p`` (exact)
and goes on with the lower half (``first`` 0) or the upper half (1) first; an entry
``["leaf", proof]`` closes the current box. A leaf proves that no input of its box maps
into any disjunct of the unsafe set, disjunct by disjunct:

- ``rows``: per disjunct, the index of one of its rows whose lower bound over the box
  (:meth:`BoxProver.lower`) exceeds the row's threshold, or null;
- ``slopes`` (optional): per disjunct, null or ``[[unit, s], ...]`` (units numbered over
  all hidden layers, increasing; s an integer from 0 to ``2^SLOPE_BITS``): the slopes
  ``s / 2^SLOPE_BITS`` of those units' lower lines for one more bound of the row
  (alpha-CROWN's optimised slopes; any slope in [0, 1] gives a valid line, and units the
  checker's intervals do not leave open ignore theirs);
- ``pieces`` (when some disjunct has null): the open units of the box (those whose sign
  the bounds leave open) and a tree over their on/off choices in that order; a node is
  ``{"infeasible": y}`` (Farkas multipliers: the box and the chosen sides so far meet
  nowhere), ``{"split": [off, on]}``, or at a full choice ``{"disjuncts": [y or null,
  ...]}``, Farkas multipliers showing that the box, the sides and the disjunct's rows
  (the network being one affine map there) meet nowhere;
- or ``["regions", certificate]``: a ``polyregions-verify-certificate/1`` of the region
  search on the leaf's box, checked as such.

The bounds (:class:`BoxProver`) are computed here, in exact integer arithmetic: interval
arithmetic layer by layer, then, for every unit it leaves open, back-substitution to the
input box through the ReLU relaxations of the layers before (the upper line through
``(L, 0)`` and ``(U, U)`` with its slope rounded up, the lower line ``0`` or ``z`` by the
sizes of the ends: DeepPoly); a spec row's bound the same way, and again with the lower
lines through 0 parallel to the upper ones (CROWN) and with the leaf's slopes, keeping
the best; each
interval end is rounded outward to 60 significant bits. A linear combination of rows is
one sum of products of integers that each pack a whole row (:class:`_Fields`), so Python's
integer arithmetic does the inner loops; back-substitution leaves out the units that are
off on the box (their activations are 0). Every relaxation holds on its
interval, so every bound holds; nothing is taken from the certificate but the choice of
rows, slopes, units and multipliers.
"""

from __future__ import annotations

import signal
from fractions import Fraction
from operator import itemgetter, mul

from .common import CheckFailure, _list_of, _num, _show
from .domains import compare_domains
from .models import _read_model, model_digest

BOXES_FORMAT = "polyregions-verify-boxes-certificate/1"

#: Bits of the upper lines' slopes (rounded up) and of the intervals' ends (rounded outward).
SLOPE_BITS = 40
END_BITS = 60
#: Significant bits kept of the coefficients on the activations (rounded down: they are >= 0).
COEFFICIENT_BITS = 64
#: A bound on the bits of a coefficient on the pre-activations in back-substitution: one
#: on the activations (at most 2^COEFFICIENT_BITS) times a slope (at most 2^SLOPE_BITS).
RELAXED_BITS = COEFFICIENT_BITS + SLOPE_BITS + 1

__all__ = ["BOXES_FORMAT", "BoxProver", "box_stages", "check_boxes", "read_box"]


def box_stages(layers):
    """The affine maps between the ReLU layers as integers ``(W, b, s)`` (the map is ``(W a +
    b) / s``), consecutive affine layers composed, identities dropped; CheckFailure unless
    the network is affine maps with ReLUs between them, ending with an affine map."""
    stages, pending = [], None
    for index, layer in enumerate(layers):
        kind = layer[0]
        if kind == "identity":
            continue
        if kind == "affine":
            w, b = [list(r) for r in layer[1]], list(layer[2])
            if pending is not None:
                pw, pb = pending
                w, b = ([[sum((r[j] * pw[j][i] for j in range(len(pw))), Fraction(0)) for i in range(len(pw[0]))]
                         for r in w],
                        [sum((r[j] * pb[j] for j in range(len(pb))), Fraction(0)) + c for r, c in zip(w, b)])
            pending = (w, b)
        elif kind == "relu" and pending is not None:
            stages.append(pending)
            pending = None
        else:
            raise CheckFailure(f"model: layer {index} ({kind}): proofs over boxes need affine layers with relu "
                               "layers between them, ending with an affine layer")
    if pending is None:
        raise CheckFailure("model: proofs over boxes need a network that ends with an affine layer")
    stages.append(pending)
    out = []
    for w, b in stages:
        s = 1
        for v in [*b, *(x for r in w for x in r)]:
            s = s * v.denominator // _gcd(s, v.denominator)
        out.append(([[int(v * s) for v in r] for r in w], [int(v * s) for v in b], s))
    return out


class _Ends(tuple):
    """A hidden stage's intervals ``(L, U, t)`` (ends ``L[j] / 2^t`` and ``U[j] / 2^t``), with
    ``lines``: per unit, the factors (over ``2^SLOPE_BITS``) that back-substitution
    multiplies a coefficient on its activation by to get one on its pre-activation: for a
    positive coefficient (the lower line: ``z`` or ``0``, by the sizes of the ends), for a
    positive one with the lower line parallel to the upper, for a negative one (the upper
    line ``slope (z - L)``, slope rounded up), and that line's intercept factor ``slope L``."""

    def __new__(cls, L, U, t):
        return super().__new__(cls, (L, U, t))

    def __init__(self, L, U, t):
        one = 1 << SLOPE_BITS
        up, parallel, down, intercept = [], [], [], []
        for lo, hi in zip(L, U):
            if lo >= 0:
                up.append(one), parallel.append(one), down.append(one), intercept.append(0)
            elif hi <= 0:
                up.append(0), parallel.append(0), down.append(0), intercept.append(0)
            else:
                slope = -((-(hi << SLOPE_BITS)) // (hi - lo))  # U / (U - L), rounded up: at most 1
                up.append(one if hi >= -lo else 0), parallel.append(slope), down.append(slope)
                intercept.append(slope * lo)
        self.lines = (up, parallel, down, intercept)
        # the units that are not off (an off unit's activation is 0: its coefficient never
        # matters), and their factors: back-substitution works on these alone
        self.keep = [j for j, (lo, hi) in enumerate(zip(L, U)) if lo >= 0 or hi > 0]
        self.kept = tuple([line[j] for j in self.keep] for line in self.lines)
        self.rows = None  # (_Fields, packed rows): see BoxProver._compress



class _Fields:
    """Vectors of *count* integers, each below ``2^bits`` in absolute value, packed into one
    integer as the digits of base ``2^B`` (``B > bits``, a multiple of 8): a linear
    combination of packed vectors is then one sum of integer products, done by Python's
    integer arithmetic a limb at a time, and it packs the combination itself as long as
    each of its entries stays below the bound (the callers size *bits* so)."""

    __slots__ = ("count", "width", "shift", "half", "offset")

    def __init__(self, count, bits):
        self.count = count
        self.width = (bits + 8) // 8  # bytes per field: one bit to spare at least
        self.shift = 8 * self.width
        self.half = 1 << (self.shift - 1)
        # adding half to every field makes every digit nonnegative: no borrows between them
        self.offset = sum(self.half << (self.shift * i) for i in range(count))

    def pack(self, values):
        shift = self.shift
        return sum(v << (shift * i) for i, v in enumerate(values))

    def unpack(self, packed):
        width, half = self.width, self.half
        data = (packed + self.offset).to_bytes(width * self.count, "little")
        return [int.from_bytes(data[i:i + width], "little") - half for i in range(0, width * self.count, width)]


def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def _rounded(num, den, t, up):
    """``num / den`` rounded down (or up) to a multiple of ``2^-t``, as that multiple's integer."""
    if t >= 0:
        num <<= t
    else:
        den <<= -t
    return -((-num) // den) if up else num // den


def _picker(indices):
    """A function of a list giving its items at *indices*, as a tuple (empty, one or more)."""
    if not indices:
        return lambda values: ()
    if len(indices) == 1:
        i = indices[0]
        return lambda values: (values[i],)
    return itemgetter(*indices)


def _dyadic(num, den, e):
    """``num / (den 2^e)`` as a Fraction."""
    return Fraction(num, den << e) if e >= 0 else Fraction(num << -e, den)


def _grid(values):
    """The exponent t that gives the largest |value| END_BITS significant bits on the grid 2^-t."""
    top = max((abs(n) // d for n, d in values), default=0)
    return END_BITS - top.bit_length()


class BoxProver:
    """Exact bounds of a ReLU network over boxes (the module docstring)."""

    def __init__(self, stages):
        self.stages = stages
        self.widths = [len(w) for w, _, _ in stages]
        self.n = len(stages[0][0][0]) if stages[0][0] else 0
        # per stage and row: its nonzero weights, and the picks of the inputs' lower (upper)
        # functions for a lower (upper) function of the row from the columns side by side
        self.rows = []
        for w, _, _ in stages:
            width = len(w[0])
            rows = []
            for row in w:
                nonzero = [i for i, v in enumerate(row) if v]
                lower = [i if row[i] > 0 else width + i for i in nonzero]
                upper = [width + i if row[i] > 0 else i for i in nonzero]
                rows.append(([row[i] for i in nonzero], _picker(lower), _picker(upper)))
            self.rows.append(rows)
        # per stage: the bits of a field of its rows with the bias packed (_Fields) for
        # back-substitution, whose coefficients are below 2^RELAXED_BITS
        self.weight_bits = [max((abs(v) for r in w for v in r), default=0).bit_length() for w, _, _ in stages]
        # the fields of the exact pre-activation functions (sides): a bound on every numerator
        top, den, most = 1, 1, 1
        for w, b, s in stages:
            top = len(w[0]) * max((abs(v) for r in w for v in r), default=0) * top \
                + max(map(abs, b), default=0) * den
            den *= s
            most = max(most, top)
        self.side_fields = _Fields(self.n + 1, most.bit_length() + 1)
        self.packed_bits = []
        for w, b, _ in stages:
            top = max((abs(v) for v in (*b, *(x for r in w for x in r))), default=0).bit_length()
            self.packed_bits.append(RELAXED_BITS + top + len(w).bit_length())

    # -- intervals ------------------------------------------------------------------------

    def intervals(self, low, high):
        """Every hidden stage's pre-activation intervals over the box: ``(L, U, t)``, the ends
        being ``L[j] / 2^t`` and ``U[j] / 2^t`` (integers).

        Forward, each unit carries a lower and an upper affine function of ``u = x - low``
        (``0 <= u <= high - low``), as integer columns over ``2^e``: rounding a lower
        function's coefficients down (an upper's up) keeps it a bound where ``u >= 0``, so
        every layer's functions are cut to :data:`COEFFICIENT_BITS` bits that way. Units
        the functions leave open are bounded again by back-substitution."""
        n = self.n
        xden = 1
        for v in (*low, *high):
            xden = xden * v.denominator // _gcd(xden, v.denominator)
        xlo = [int(v * xden) for v in low]
        xhi = [int(v * xden) for v in high]
        box = (xlo, xhi, xden)
        span = [hi - lo for lo, hi in zip(xlo, xhi)]
        # the inputs x = low + u: columns p < n are u_p's coefficients, column n the constant, over 2^e
        e = 0
        lo_cols = [[xden * int(i == p) for i in range(n)] for p in range(n)] + [list(xlo)]
        up_cols = [list(col) for col in lo_cols]
        e_den = xden  # the first columns are over xden, not a power of two
        out = []
        for k in range(len(self.stages) - 1):
            w, b, s = self.stages[k]
            den = s * e_den
            # a lower function takes the lower functions where the weight is positive, the upper
            # where negative (the columns side by side: lower then upper), an upper the other way
            # (each unit's function packed into one integer: a row's function is then one sum)
            top = max((abs(v) for col in (*lo_cols, *up_cols) for v in col), default=0).bit_length()
            fields = _Fields(n + 1, top + self.weight_bits[k] + len(w[0]).bit_length())
            both = [fields.pack(f) for f in zip(*lo_cols)] + [fields.pack(f) for f in zip(*up_cols)]
            z_lo = [list(col) for col in zip(*[fields.unpack(sum(map(mul, values, pick(both))))
                                               for values, pick, _ in self.rows[k]])]
            z_up = [list(col) for col in zip(*[fields.unpack(sum(map(mul, values, pick(both))))
                                               for values, _, pick in self.rows[k]])]
            for j, bias in enumerate(b):
                z_lo[n][j] += bias * e_den
                z_up[n][j] += bias * e_den
            # onto the grid 2^-e with COEFFICIENT_BITS bits: lower functions down, upper up
            top = max(max(map(abs, col), default=0) for col in (*z_lo, *z_up))
            e = COEFFICIENT_BITS - top.bit_length() + den.bit_length()
            z_lo = [[_rounded(v, den, e, False) for v in col] for col in z_lo]
            z_up = [[_rounded(v, den, e, True) for v in col] for col in z_up]
            lows, highs = [], []
            for j in range(len(w)):
                lo_sum = z_lo[n][j] * xden + sum(z_lo[p][j] * span[p] for p in range(n) if z_lo[p][j] < 0)
                hi_sum = z_up[n][j] * xden + sum(z_up[p][j] * span[p] for p in range(n) if z_up[p][j] > 0)
                lows.append(_dyadic(lo_sum, xden, e))
                highs.append(_dyadic(hi_sum, xden, e))
            if k > 0:
                for j in range(len(w)):
                    if lows[j] < 0 < highs[j]:
                        # the end nearer 0 first: when it settles the sign, the other is not needed
                        row, neg = w[j], [-v for v in w[j]]
                        if highs[j] < -lows[j]:
                            highs[j] = min(highs[j], -self._back(k, neg, s, Fraction(-b[j], s), out, box, False))
                            if highs[j] > 0:
                                lows[j] = max(lows[j], self._back(k, row, s, Fraction(b[j], s), out, box, False))
                        else:
                            lows[j] = max(lows[j], self._back(k, row, s, Fraction(b[j], s), out, box, False))
                            if lows[j] < 0:
                                highs[j] = min(highs[j], -self._back(k, neg, s, Fraction(-b[j], s), out, box, False))
            t = _grid([(v.numerator, v.denominator) for v in (*lows, *highs)])
            L = [_rounded(v.numerator, v.denominator, t, False) for v in lows]
            U = [_rounded(v.numerator, v.denominator, t, True) for v in highs]
            ends = _Ends(L, U, t)
            self._compress(k, ends, out[-1].keep if out else None)
            out.append(ends)
            # through the ReLUs: columns over 2^(e + SLOPE_BITS)
            one = 1 << SLOPE_BITS
            lo_cols = [[0] * len(w) for _ in range(n + 1)]
            up_cols = [[0] * len(w) for _ in range(n + 1)]
            for j, (lo, hi) in enumerate(zip(L, U)):
                if hi <= 0:
                    continue
                if lo >= 0 or hi >= -lo:  # on, or open with the lower line z
                    for p in range(n + 1):
                        lo_cols[p][j] = z_lo[p][j] * one
                if lo >= 0:
                    for p in range(n + 1):
                        up_cols[p][j] = z_up[p][j] * one
                    continue
                slope = -((-(hi << SLOPE_BITS)) // (hi - lo))  # U / (U - L), rounded up
                for p in range(n + 1):
                    up_cols[p][j] = z_up[p][j] * slope
                lift = -slope * lo  # -slope L >= 0, over 2^(SLOPE_BITS + t): onto 2^(e + SLOPE_BITS), up
                up_cols[n][j] += lift << (e - t) if e >= t else -((-lift) >> (t - e))
            e_den = 1 << (e + SLOPE_BITS) if e + SLOPE_BITS >= 0 else None
            if e_den is None:  # a grid coarser than 1: scale the columns up instead
                lo_cols = [[v << -(e + SLOPE_BITS) for v in col] for col in lo_cols]
                up_cols = [[v << -(e + SLOPE_BITS) for v in col] for col in up_cols]
                e_den = 1
        return out

    def _compress(self, k, ends, before):
        """Pack stage *k*'s rows (with their biases) for back-substitution into *ends* (the
        intervals of the units they make): only the rows of the units *ends* keeps, and only
        the columns of the units *before* keeps (all of them for the inputs: *before* None)."""
        w, b, _ = self.stages[k]
        columns = range(len(w[0])) if before is None else before
        fields = _Fields(len(columns) + 1, self.packed_bits[k])
        ends.rows = (fields, [fields.pack([*(w[j][i] for i in columns), b[j]]) for j in ends.keep])

    def _best(self, k, g, den, const, ivals, box, need, slopes=None):
        """The best of :meth:`_back`'s bounds: with the lower lines 0 or z, then (when given)
        with the lower lines of *slopes* (per hidden stage, the factors of a positive
        coefficient, as :attr:`_Ends.lines`' first), then with the lower lines parallel to
        the upper ones; each is computed only while the best so far does not exceed *need*."""
        best = self._back(k, g, den, const, ivals, box, False)
        for lines in ([slopes] if slopes is not None else []) + [True]:
            if best > need:
                break
            best = max(best, self._back(k, g, den, const, ivals, box, lines))
        return best

    def _back(self, k, g, den, const, ivals, box, parallel):
        """A lower bound of ``g . a_k / den + const`` over the box, where ``a_k`` are the
        activations of hidden stage k (1-based: a_0 is the input) and g integers. An open
        unit with a positive coefficient takes the lower line ``z`` or ``0`` (the larger
        end decides), or with *parallel* True the line ``slope z``, the slope of its upper line
        (in [0, 1]: valid too), or with *parallel* a list (per hidden stage, the factors over
        ``2^SLOPE_BITS`` of a positive coefficient for the units it keeps, :attr:`_Ends.keep`,
        each in [0, 1] for an open unit) those. Units that are off (``U <= 0``) drop out: their
        activations are 0 on the box."""
        xlo, xhi, xden = box
        # den = dnum / 2^dexp; const gets one exact term per stage
        dnum, dexp = den, 0
        if k:  # the coefficients of the units that are not off (the others are 0 times theirs)
            g = [g[j] for j in ivals[k - 1].keep]
        while True:
            if k and g:
                # a_k >= 0: rounding the coefficients down to COEFFICIENT_BITS significant bits
                # keeps a lower bound of g . a_k (and the numbers short)
                extra = max(map(abs, g)).bit_length() - COEFFICIENT_BITS
                if extra > 0:
                    g = [v >> extra for v in g]
                    dexp += extra
            if k == 0:
                total = 0
                for c, lo, hi in zip(g, xlo, xhi):
                    if c:
                        total += c * (lo if c > 0 else hi)
                return const + Fraction(total << dexp, dnum * xden)
            ends = ivals[k - 1]
            t = ends[2]
            on_up, on_up_parallel, on_down, intercepts = ends.kept
            if type(parallel) is list:  # given slopes, per stage (of the kept units)
                on_up = parallel[k - 1]
            elif parallel:
                on_up = on_up_parallel
            relaxed = [c * (p if c > 0 else q) for c, p, q in zip(g, on_up, on_down)]
            intercept = -sum([c * v for c, v in zip(g, intercepts) if c < 0 and v])
            dnum <<= SLOPE_BITS  # now the coefficients' denominator (times 2^-dexp)
            s = self.stages[k - 1][2]
            live = [j for j, c in enumerate(relaxed) if c]
            fields, rows = ends.rows
            if live:
                # the new coefficients (of the units kept below) and the bias term at once:
                # the sum of relaxed_j (W_j, b_j), each row packed into one integer
                *g, bias = fields.unpack(sum([relaxed[j] * rows[j] for j in live]))
            else:
                g, bias = [0] * (fields.count - 1), 0
            # intercept / (den 2^t) + bias / (den s), den the coefficients' denominator
            if t >= 0:
                term, below = intercept * s + (bias << t), dnum * (s << t)
            else:
                term, below = (intercept << -t) * s + bias, dnum * s
            if term:
                const += Fraction(term << dexp, below)
            dnum *= s
            k -= 1

    @staticmethod
    def states(ivals):
        """One byte per hidden unit: 0 off (U <= 0), 1 on (L >= 0), 2 open."""
        out = bytearray()
        for L, U, _ in ivals:
            out.extend(0 if hi <= 0 else 1 if lo >= 0 else 2 for lo, hi in zip(L, U))
        return bytes(out)

    def lower(self, row, ivals, low, high, need, slopes=None):
        """A lower bound of ``row . y`` (y the outputs) over the box [low, high]: the best
        of two or three (:meth:`_best`), each only while the best so far is not above
        *need*. *slopes*: ``{unit: s}`` (units numbered over all hidden stages, s in
        ``[0, 2^SLOPE_BITS]``): the lower line ``(s / 2^SLOPE_BITS) z`` of each such unit
        the intervals leave open, for a third bound (alpha-CROWN's optimised slopes, read
        from a certificate: any slope in [0, 1] gives a valid line)."""
        den = 1
        for v in row:
            den = den * v.denominator // _gcd(den, v.denominator)
        w, b, s = self.stages[-1]
        g = [int(v * den) for v in row]
        coeffs = [sum(c * r[i] for c, r in zip(g, w) if c) for i in range(len(w[0]))]
        const = Fraction(sum(c * v for c, v in zip(g, b)), den * s)
        xden = 1
        for v in (*low, *high):
            xden = xden * v.denominator // _gcd(xden, v.denominator)
        box = ([int(v * xden) for v in low], [int(v * xden) for v in high], xden)
        lines = None
        if slopes:
            lines, at = [], 0
            for ends in ivals:
                L, U, _ = ends
                lines.append([slopes[at + j] if at + j in slopes and L[j] < 0 < U[j] else factor
                              for j, factor in zip(ends.keep, ends.kept[0])])
                at += len(L)
        return self._best(len(self.stages) - 1, coeffs, den * s, const, ivals, box, need, lines)

    # -- pieces ---------------------------------------------------------------------------

    def sides(self, states, count):
        """The pre-activations of the first *count* hidden units (network order) as exact
        affine functions ``(a, c)`` of the input (a sequence: item ``u`` is unit u's), every
        earlier unit on (1) or off (0) as *states* says; the network's outputs too (lists of
        the coefficients and the constant) when *count* is every unit.

        In integers: a layer's functions are integer vectors over one denominator, each
        packed into one integer (:class:`_Fields`), so a unit's function is one sum; the
        exact fractions are made only for the units and outputs asked for."""
        n = self.n
        fields = self.side_fields
        const = fields.shift * n  # where the constant's field starts
        funcs = [1 << (fields.shift * i) for i in range(n)]  # the inputs: x_i, over 1
        den = 1
        packed, dens, index = [], [], 0
        for k, (w, b, s) in enumerate(self.stages):
            z = [sum([c * f for c, f in zip(row, funcs) if c and f]) + ((bias * den) << const)
                 for row, bias in zip(w, b)]
            den *= s
            if k == len(self.stages) - 1:
                return _Sides(packed, dens, fields, n), [[Fraction(v, den) for v in fields.unpack(f)] for f in z]
            funcs = []
            for f in z:
                if index == count:
                    return _Sides(packed, dens, fields, n), None
                packed.append(f)
                dens.append(den)
                funcs.append(f if states[index] == 1 else 0)
                index += 1
        return _Sides(packed, dens, fields, n), None


class _Sides:
    """Units' pre-activations as packed integer vectors over their denominators: item ``u``
    is ``(a, c)``, exact fractions, made when asked for."""

    __slots__ = ("packed", "dens", "fields", "n")

    def __init__(self, packed, dens, fields, n):
        self.packed, self.dens, self.fields, self.n = packed, dens, fields, n

    def __len__(self):
        return len(self.packed)

    def __getitem__(self, u):
        values, den = self.fields.unpack(self.packed[u]), self.dens[u]
        return [Fraction(v, den) for v in values[:self.n]], Fraction(values[self.n], den)


def read_box(cert, n):
    """The certificate's box ``(low, high)``: exact numbers, ``low <= high``."""
    box = cert["box"]
    _list_of(box["low"], None, "box.low")
    _list_of(box["high"], None, "box.high")
    if len(box["low"]) != n or len(box["high"]) != n:
        raise CheckFailure(f"box: expected {n} lows and highs")
    low = [_num(v, f"box.low[{i}]") for i, v in enumerate(box["low"])]
    high = [_num(v, f"box.high[{i}]") for i, v in enumerate(box["high"])]
    for i, (lo, hi) in enumerate(zip(low, high)):
        if lo > hi:
            raise CheckFailure(f"box: input {i}: low {lo} is above high {hi}")
    return low, high


def box_rows(low, high):
    """The box as rows ``(a, b)`` of ``a . x <= b``: ``x_i <= high_i`` then ``-x_i <= -low_i``."""
    n = len(low)
    rows = []
    for i in range(n):
        e = [Fraction(int(i == j)) for j in range(n)]
        rows.append((e, high[i]))
        rows.append(([-v for v in e], -low[i]))
    return rows


def _farkas(y, rows, place):
    """Raise unless the multipliers *y* (one per row) prove that ``a . x <= b`` for all rows
    has no solution: ``y >= 0``, ``sum y a = 0`` and ``sum y b < 0``."""
    _list_of(y, None, place)
    if len(y) != len(rows):
        raise CheckFailure(f"{place}: {len(y)} multipliers for {len(rows)} rows")
    ys = [_num(v, place) for v in y]
    if any(v < 0 for v in ys):
        raise CheckFailure(f"{place}: a negative multiplier")
    n = len(rows[0][0])
    total = [Fraction(0)] * n
    rhs = Fraction(0)
    for v, (a, b) in zip(ys, rows):
        if v:
            total = [t + v * c for t, c in zip(total, a)]
            rhs += v * b
    if any(total) or not rhs < 0:
        raise CheckFailure(f"{place}: the multipliers do not prove the rows infeasible")


def check_boxes(cert, model, domain, disjuncts, check_regions, jobs=1):
    """Check a ``polyregions-verify-boxes-certificate/1`` of a property that holds, with the
    unsafe set *disjuncts* (lists of rows ``(c, d)``: ``c . y <= d``); *domain* is the input
    set asked for (None: not compared); *check_regions(cert, model, domain)* checks a leaf's
    region-search certificate. Returns the number of leaves. With *jobs* > 1 the leaves are
    checked on that many worker processes after the tree is read (the first failing leaf
    in tree order is reported)."""
    n, layers = _read_model(model)
    if cert.get("format") != BOXES_FORMAT:
        raise CheckFailure(f"format: expected {BOXES_FORMAT!r}, got {_show(cert.get('format'))}")
    if cert.get("model_sha256") != model_digest(model):
        raise CheckFailure("model_sha256: the certificate is for another model")
    if cert.get("result") != "holds":
        raise CheckFailure(f"result: expected 'holds', got {_show(cert.get('result'))}")
    prover = BoxProver(box_stages(layers))
    low, high = read_box(cert, n)
    own = {"A": [list(a) for a, _ in box_rows(low, high)], "b": [b for _, b in box_rows(low, high)]}
    compare_domains(own, domain, n, "the property")
    entries = cert["tree"]
    _list_of(entries, list, "tree")
    pending = [(low, high)]
    leaves = 0
    later = [] if jobs > 1 else None  # (place, box, proof) of the leaves left to the workers
    for e, entry in enumerate(entries):
        place = f"tree[{e}]"
        if not pending:
            raise CheckFailure(f"{place}: every box is closed before this entry")
        box_low, box_high = pending.pop()
        if not entry:
            raise CheckFailure(f"{place}: an empty entry")
        kind = entry[0]
        if kind == "split":
            if len(entry) != 3 or type(entry[1]) is not int or entry[2] not in (0, 1) or type(entry[2]) is not int:
                raise CheckFailure(f"{place}: expected ['split', input, 0 or 1], got {_show(entry)}")
            p = entry[1]
            if not 0 <= p < n or not box_low[p] < box_high[p]:
                raise CheckFailure(f"{place}: input {_show(p)} cannot be split")
            mid = (box_low[p] + box_high[p]) / 2
            lower = (box_low, box_high[:p] + [mid] + box_high[p + 1:])
            upper = (box_low[:p] + [mid] + box_low[p + 1:], box_high)
            pending += [upper, lower] if entry[2] == 0 else [lower, upper]
        elif kind == "leaf":
            if len(entry) != 2 or type(entry[1]) is not dict:
                raise CheckFailure(f"{place}: expected ['leaf', proof], got {_show(entry)}")
            if later is None:
                _check_leaf(prover, entry[1], box_low, box_high, disjuncts, place)
            else:
                later.append((place, box_low, box_high, entry[1]))
            leaves += 1
        elif kind == "regions":
            if len(entry) != 2 or type(entry[1]) is not dict:
                raise CheckFailure(f"{place}: expected ['regions', certificate], got {_show(entry)}")
            rows = box_rows(box_low, box_high)
            sub = {"A": [list(a) for a, _ in rows], "b": [b for _, b in rows]}
            try:
                check_regions(entry[1], model, sub)
            except CheckFailure as exc:
                raise CheckFailure(f"{place}: {exc}") from None
            leaves += 1
        else:
            raise CheckFailure(f"{place}: unknown entry {_show(kind)}")
    if pending:
        raise CheckFailure(f"tree: {len(pending)} boxes left open")
    if later:
        _check_leaves(prover, disjuncts, later, jobs)
    return leaves


#: The prover and the unsafe set of a checking worker process (set when it starts).
_WORKER = None


def _start_worker(stages, disjuncts):
    """A worker ignores Ctrl-C (its parent ends it) and builds its prover once."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = (BoxProver(stages), disjuncts)


def _leaf_verdict(task):
    """None when the leaf holds, else the CheckFailure's message (in a worker)."""
    place, low, high, proof = task
    prover, disjuncts = _WORKER
    try:
        _check_leaf(prover, proof, low, high, disjuncts, place)
    except CheckFailure as exc:
        return str(exc)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        return f"malformed certificate or model: {type(exc).__name__}: {str(exc)[:200]}"
    return None


def _check_leaves(prover, disjuncts, tasks, jobs):
    """Check the leaves *tasks* on *jobs* worker processes; raise the first failure in order."""
    import multiprocessing

    with multiprocessing.get_context().Pool(jobs, _start_worker, (prover.stages, disjuncts)) as pool:
        for verdict in pool.imap(_leaf_verdict, tasks, chunksize=max(1, min(16, len(tasks) // (4 * jobs)))):
            if verdict is not None:
                raise CheckFailure(verdict)


def _read_slopes(entry, count, units, place):
    """A leaf's ``slopes`` (absent: none): per disjunct null or ``[[unit, s], ...]``, units
    increasing, each below *units*, s an integer in ``[0, 2^SLOPE_BITS]``; as dicts or None."""
    if entry is None:
        return [None] * count
    _list_of(entry, None, f"{place}.slopes")
    if len(entry) != count:
        raise CheckFailure(f"{place}.slopes: {len(entry)} entries for {count} disjuncts")
    out = []
    for k, pairs in enumerate(entry):
        if pairs is None:
            out.append(None)
            continue
        where = f"{place}.slopes[{k}]"
        _list_of(pairs, list, where)
        last = -1
        for pair in pairs:
            if (len(pair) != 2 or any(type(v) is not int for v in pair) or not last < pair[0] < units
                    or not 0 <= pair[1] <= 1 << SLOPE_BITS):
                raise CheckFailure(f"{where}: expected [unit, s] pairs, units increasing and below {units}, "
                                   f"s from 0 to 2^{SLOPE_BITS}; got {_show(pair)}")
            last = pair[0]
        out.append(dict(pairs))
    return out


def _check_leaf(prover, proof, low, high, disjuncts, place):
    ivals = prover.intervals(low, high)
    refuting = proof["rows"]
    _list_of(refuting, None, f"{place}.rows")
    if len(refuting) != len(disjuncts):
        raise CheckFailure(f"{place}.rows: {len(refuting)} entries for {len(disjuncts)} disjuncts")
    slopes = _read_slopes(proof.get("slopes"), len(disjuncts), sum(prover.widths[:-1]), place)
    left = []
    for k, (r, rows) in enumerate(zip(refuting, disjuncts)):
        if r is None:
            left.append(k)
            continue
        if type(r) is not int or not 0 <= r < len(rows):
            raise CheckFailure(f"{place}.rows[{k}]: disjunct {k} has no row {_show(r)}")
        c, d = rows[r]
        if not prover.lower(c, ivals, low, high, d, slopes[k]) > d:
            raise CheckFailure(f"{place}.rows[{k}]: the bound of row {r} over the box does not exceed {d}")
    if not left:
        return
    states = prover.states(ivals)
    units = proof["pieces"]["units"]
    _list_of(units, int, f"{place}.pieces.units")
    open_units = [i for i, s in enumerate(states) if s == 2]
    if sorted(set(units)) != units or not set(open_units) <= set(units) or any(not 0 <= u < len(states)
                                                                                 for u in units):
        raise CheckFailure(f"{place}.pieces.units: must list every open unit of the box in network order")
    base = box_rows(low, high)
    todo = [(proof["pieces"]["tree"], (), f"{place}.pieces.tree")]
    while todo:
        node, choice, where = todo.pop()
        if type(node) is not dict or len(node) != 1:
            raise CheckFailure(f"{where}: expected one of infeasible, split, disjuncts")
        chosen = bytearray(states)
        for u, on in zip(units, choice):
            chosen[u] = on
        count = units[len(choice) - 1] + 1 if choice else 0
        sides, outputs = prover.sides(chosen, count if len(choice) < len(units) else len(states))
        rows = list(base)
        for u, on in zip(units, choice):
            a, c = sides[u]
            rows.append((a, -c) if not on else ([-v for v in a], c))
        if "infeasible" in node:
            _farkas(node["infeasible"], rows, f"{where}.infeasible")
        elif "split" in node:
            if len(choice) == len(units) or type(node["split"]) is not list or len(node["split"]) != 2:
                raise CheckFailure(f"{where}.split: expected [off, on] below a partial choice")
            todo.append((node["split"][0], choice + (0,), f"{where}.split[0]"))
            todo.append((node["split"][1], choice + (1,), f"{where}.split[1]"))
        elif "disjuncts" in node:
            if len(choice) != len(units):
                raise CheckFailure(f"{where}.disjuncts: a partial choice ({len(choice)} of {len(units)} units)")
            ys = node["disjuncts"]
            _list_of(ys, None, f"{where}.disjuncts")
            if len(ys) != len(disjuncts):
                raise CheckFailure(f"{where}.disjuncts: {len(ys)} entries for {len(disjuncts)} disjuncts")
            for k in left:
                extra = []
                for c, d in disjuncts[k]:
                    a = [sum((ci * f[p] for ci, f in zip(c, outputs) if ci), Fraction(0)) for p in range(len(low))]
                    extra.append((a, d - sum((ci * f[-1] for ci, f in zip(c, outputs) if ci), Fraction(0))))
                _farkas(ys[k], rows + extra, f"{where}.disjuncts[{k}]")
        else:
            raise CheckFailure(f"{where}: expected one of infeasible, split, disjuncts")
