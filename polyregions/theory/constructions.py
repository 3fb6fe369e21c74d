"""The counting theory's extremal networks, built with exact rational weights.

* :func:`rectifier_zigzag`: the zig-zag (space folding) ReLU network of Montúfar,
  Pascanu, Cho and Bengio 2014 (Sec. 3, proof of Theorem 4) whose regions on the
  unit cube are exactly their lower bound.
* :func:`maxout_construction`: a rank-k maxout network of width n0 with exactly
  ``k^(L-1) k^n0`` regions on the unit cube (their Theorem 8).
* :func:`arrangement_network`: classical hyperplane arrangements (braid, Shi,
  Catalan, generic) as one affine layer followed by ReLU, whose regions on R^n are
  the arrangement's regions (Stanley's lecture notes).

Each construction has a companion that returns the counts it is built to have
(:func:`rectifier_zigzag_counts`, :func:`maxout_construction_counts`,
:func:`arrangement_counts`), so tests and users can compare with
:func:`polyregions.queries.count.count_regions`. The networks end with their activation
layer: the output is the last hidden layer, as in the paper.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from math import comb, factorial, prod
from typing import Any, Sequence

from .arrangements import zaslavsky_bounded_regions, zaslavsky_regions
from .maxout import montufar2014_maxout_lower
from .relu import montufar2014_lower
from ..errors import InputError, PolyregionsError
from ..core.layers import Affine, Maxout, ReLU
from ..core.network import Network

__all__ = [
    "rectifier_zigzag", "rectifier_zigzag_counts",
    "maxout_construction", "maxout_construction_counts",
    "arrangement_network", "arrangement_counts", "ARRANGEMENTS",
    "is_general_position",
]

#: Kinds accepted by :func:`arrangement_network`.
ARRANGEMENTS = ("braid", "shi", "catalan", "generic")

#: Sizes past which a construction is taken to be a mistake (the networks would
#: still be exact, but far too large to count).
MAX_DIM = 64
MAX_WIDTH = 4096
MAX_DEPTH = 64
#: Most weights and biases of a constructed network (about 4 s and 200 MB to build).
MAX_PARAMETERS = 1_000_000

Vector = list[Fraction]
Row = tuple[Vector, Fraction]   # pre-activation a . y + c


# ---------------------------------------------------------------------------
# validation and exact linear algebra


def _positive_int(value: Any, what: str, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{what} must be a positive integer, got {value!r}")
    if value > limit:
        raise InputError(f"{what} is {value}, above the limit {limit}")
    return value


def _check_widths(widths: Any) -> tuple[int, ...]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or not widths:
        raise InputError(f"widths must be a non-empty sequence of positive integers, got {widths!r}")
    if len(widths) > MAX_DEPTH:
        raise InputError(f"{len(widths)} layers, above the limit {MAX_DEPTH}")
    return tuple(_positive_int(w, f"width of layer {i + 1}", MAX_WIDTH) for i, w in enumerate(widths))


def _check_parameters(shapes: Sequence[tuple[int, int]]) -> None:
    """Refuse a network whose affine layers (in, out) are too big to build."""
    parameters = sum(w * (v + 1) for v, w in shapes)
    if parameters > MAX_PARAMETERS:
        raise InputError(f"the construction would have {parameters:,} weights and biases, "
                         f"more than the limit of {MAX_PARAMETERS:,}")


def _solve(matrix: Sequence[Sequence[Fraction]], rhs: Sequence[Fraction]) -> Vector | None:
    """The unique solution of a square system, or None when it is singular."""
    size = len(matrix)
    aug = [list(map(Fraction, row)) + [Fraction(b)] for row, b in zip(matrix, rhs)]
    for col in range(size):
        pivot = next((r for r in range(col, size) if aug[r][col] != 0), None)
        if pivot is None:
            return None
        aug[col], aug[pivot] = aug[pivot], aug[col]
        for r in range(size):
            if r != col and aug[r][col] != 0:
                f = aug[r][col] / aug[col][col]
                aug[r] = [x - f * y for x, y in zip(aug[r], aug[col])]
    return [aug[r][size] / aug[r][r] for r in range(size)]


def _rank(rows: Sequence[Sequence[Fraction]]) -> int:
    work = [list(map(Fraction, row)) for row in rows]
    rank = 0
    cols = len(work[0]) if work else 0
    for col in range(cols):
        pivot = next((r for r in range(rank, len(work)) if work[r][col] != 0), None)
        if pivot is None:
            continue
        work[rank], work[pivot] = work[pivot], work[rank]
        for r in range(rank + 1, len(work)):
            if work[r][col] != 0:
                f = work[r][col] / work[rank][col]
                work[r] = [x - f * y for x, y in zip(work[r], work[rank])]
        rank += 1
    return rank


def _inverse(matrix: Sequence[Sequence[Fraction]]) -> list[Vector]:
    """The rows of ``M^{-1}``."""
    inverse = _inverse_or_none(matrix)
    if inverse is None:
        raise PolyregionsError("singular matrix in a construction (internal error)")
    return inverse


def _inverse_or_none(matrix: Sequence[Sequence[Fraction]]) -> list[Vector] | None:
    """The rows of ``M^{-1}``, or None when M is singular: one Gauss-Jordan pass on [M | I]."""
    size = len(matrix)
    aug = [list(map(Fraction, row)) + [Fraction(int(r == c)) for c in range(size)]
           for r, row in enumerate(matrix)]
    for col in range(size):
        pivot = next((r for r in range(col, size) if aug[r][col] != 0), None)
        if pivot is None:
            return None
        aug[col], aug[pivot] = aug[pivot], aug[col]
        lead = aug[col]
        p = lead[col]
        aug[col] = lead = [x / p for x in lead]
        for r in range(size):
            f = aug[r][col]
            if r != col and f != 0:
                aug[r] = [x - f * y for x, y in zip(aug[r], lead)]
    return [row[size:] for row in aug]


def is_general_position(weight: Sequence[Sequence[Any]], bias: Sequence[Any]) -> bool:
    """True when the hyperplanes ``w_i . x + b_i = 0`` are in general position.

    Decided exactly: every ``min(m, n)`` normals are linearly independent (so every
    k <= n hyperplanes meet in a flat of dimension n - k), and every ``n + 1``
    hyperplanes have no common point (their rows ``(w_i, b_i)`` are independent).

    Notes
    -----
    ``C(m, n) + C(m, n + 1)`` exact ranks of at most (n+1) x (n+1) matrices.

    Examples
    --------
    >>> is_general_position([[1, 0], [0, 1], [1, 1]], [0, 0, -1])
    True
    >>> is_general_position([[1, 0], [0, 1], [1, 1]], [0, 0, 0])   # concurrent
    False
    """
    rows = [[Fraction(v) for v in w] for w in weight]
    offsets = [Fraction(b) for b in bias]
    if not rows or len(rows) != len(offsets):
        raise InputError("is_general_position: weight and bias must be non-empty and of one length")
    dim = len(rows[0])
    if any(len(r) != dim for r in rows):
        raise InputError("is_general_position: weight rows have different lengths")
    size = min(len(rows), dim)
    for subset in combinations(range(len(rows)), size):
        if _rank([rows[i] for i in subset]) < size:
            return False
    for subset in combinations(range(len(rows)), dim + 1):
        if _rank([rows[i] + [offsets[i]] for i in subset]) < dim + 1:
            return False
    return True


# ---------------------------------------------------------------------------
# the deep rectifier zig-zag network


def _compose(rows: Sequence[Row], alternating: Sequence[Sequence[tuple[int, int]]] | None,
             width: int) -> tuple[list[Vector], Vector]:
    """Pre-activations ``a . y + c`` on y, written on the previous layer's outputs.

    *alternating* lists for each coordinate y_g the (unit, sign) pairs with
    ``y_g = sum sign * h_unit``; None means y is the network input (width entries).
    """
    weight, bias = [], []
    for a, c in rows:
        w = [Fraction(0)] * width
        if alternating is None:
            w = list(a)
        else:
            for g, coeff in enumerate(a):
                if coeff:
                    for unit, sign in alternating[g]:
                        w[unit] += sign * coeff
        weight.append(w)
        bias.append(c)
    return weight, bias


def _elementary(values: Sequence[int], k: int) -> int:
    """The elementary symmetric polynomial e_k of *values* (sum of all k-fold products)."""
    e = [1] + [0] * k
    for v in values:
        for i in range(k, 0, -1):
            e[i] += e[i - 1] * v
    return e[k]


def _arrangement_in_cube(n0: int, units: int) -> list[Row]:
    """``units >= n0`` hyperplanes in general position, every region meeting (0,1)^n0.

    For ``units > n0``: rows on the moment curve, scaled so that every vertex lies in
    [1/4, 3/4]^n0, each unit oriented so that no region has all units negative.
    For ``units == n0``: a simplicial cone whose all-negative region touches the
    cube only on the face y_1 = 0. Every coefficient of every row is nonzero.
    """
    if units > n0:
        ts = list(range(1, units + 1))
        normals = [[Fraction(t) ** e for e in range(n0)] for t in ts]
        rhs = [Fraction(t) ** n0 for t in ts]
        # The vertex of the rows S (n0 of the t's) is the z with t^n0 - sum_e z_e t^e =
        # prod_{s in S} (t - s): z_e = (-1)^(k+1) e_k(S), k = n0 - e, with e_k the
        # elementary symmetric polynomial. On positive t's, e_k grows with each t, so
        # over all C(units, n0) vertices its extremes are at the n0 smallest and the
        # n0 largest t's: the bounding box without enumerating the vertices.
        lo, hi = [], []
        for e in range(n0):
            k = n0 - e
            smallest, largest = _elementary(ts[:n0], k), _elementary(ts[-n0:], k)
            lo.append(Fraction(smallest if k % 2 else -largest))
            hi.append(Fraction(largest if k % 2 else -smallest))
        centre = [(a + b) / 2 for a, b in zip(lo, hi)]
        scale = 2 * max(b - a for a, b in zip(lo, hi))   # > 0: the vertices are distinct
        # q(t) = t^n0 - sum z_e t^e has sign vector s over t_1 < ... < t_m; the regions
        # realise every vector with < n0 sign changes or n0 changes ending in +, so
        # the vector with n0 changes ending in - is missing. Orient unit i by s_i so
        # that this missing vector is "every unit negative".
        signs = []
        for i in range(units):
            d = min(units - 1 - i, n0)
            signs.append(-1 if d % 2 == 0 else 1)
        rows = []
        for a, b, sigma in zip(normals, rhs, signs):
            # z = centre + scale * (y - 1/2); pre = sigma * (a . z - b)
            coeff = [sigma * scale * x for x in a]
            const = sigma * (sum((x * (c - scale / 2) for x, c in zip(a, centre)), Fraction(0)) - b)
            rows.append((coeff, const))
        return rows
    # units == n0: apex v = (1/4, 1/2, ..., 1/2), extreme rays (-1, w_j) with
    # |w_j| <= 1/2, so the cone stays within 1/8 of v in y_2..y_n0 while y_1 >= 0.
    # The w_j are a simplex around 0 (n0 e_j - 1, and -1), shifted a little so that
    # no coefficient of a facet normal vanishes (a zero coefficient would let a
    # region keep its output map across a fold of that coordinate).
    apex = [Fraction(1, 4)] + [Fraction(1, 2)] * (n0 - 1)
    for shift in range(64):
        rays = []
        for jj in range(n0):
            w = [Fraction(n0 * (e == jj and jj < n0 - 1) - 1, 2 * n0)
                 + Fraction(shift * (jj + 1) * (e + 2), 1000 * n0 ** 3) for e in range(n0 - 1)]
            rays.append([Fraction(-1)] + w)
        # y in apex + cone(rays)  <=>  y - apex = R^T lambda with lambda > 0; pre_i = -lambda_i
        transposed = [[rays[r][c] for r in range(n0)] for c in range(n0)]
        inv_t = _inverse_or_none(transposed)
        if inv_t is not None and all(x != 0 for row in inv_t for x in row):
            break
    else:
        raise PolyregionsError("no simplicial cone with nonzero normals found (internal error)")
    rows = []
    for row in inv_t:
        coeff = [-x for x in row]
        rows.append((coeff, -sum((x * v for x, v in zip(coeff, apex)), Fraction(0))))
    return rows


def rectifier_zigzag(n0: int, widths: Sequence[int]) -> Network:
    """The zig-zag network of Montúfar et al. 2014, exact on the unit cube.

    Layers ``l = 1 .. L-1`` fold: the ``n_l`` units are split into n0 groups of
    ``p = floor(n_l / n0)``; group g reads coordinate ``y_g in [0, 1]`` of the
    layer's input and computes ``h_1 = max(0, p y_g)``, ``h_i = max(0, 2 p y_g -
    2 (i - 1))`` for ``i = 2 .. p``, whose alternating sum ``h_1 - h_2 + h_3 - ...``
    maps each of the p intervals ``[(i-1)/p, i/p]`` onto [0, 1] (the next layer's
    weights take that sum). So layer l folds the cube onto itself ``p^n0`` times, and
    the first L-1 layers cut [0,1]^n0 into ``P^n0`` boxes, ``P = prod p_l``, each
    mapped affinely onto the cube. The last layer's ``n_L`` units are hyperplanes in
    general position with every region meeting the open cube, so every box carries
    ``sum_{j<=n0} C(n_L, j)`` regions: the count on [0,1]^n0 is the bound of
    :func:`polyregions.theory.relu.montufar2014_lower`. The network ends with the last
    ReLU layer (its output is the ``n_L`` units, as in the paper).

    Parameters
    ----------
    n0 : int
        Input dimension.
    widths : sequence of int
        ``n_1, ..., n_L``, each at least n0.

    Returns
    -------
    Network
        Exact rational weights; count it with
        ``count_regions(net, Domain.box(n0, 0, 1))``.

    Raises
    ------
    InputError
        On a non-positive dimension or width, or a width below n0.

    Notes
    -----
    Choices the paper leaves open:

    * the ``n_l - n0 p`` spare units of a folding layer are dead (zero weights,
      bias -1): they split nothing and change no output;
    * the last layer's rows lie on the moment curve ``(1, t, ..., t^{n0-1})``,
      ``t = 1..n_L``, scaled so that all vertices lie in [1/4, 3/4]^n0;
    * with ``n_L > n0`` every unit is oriented so that no region of the cube has
      all last-layer units off. Then neighbouring regions always have different
      output maps, and the linear regions equal the activation regions.

    With ``n_L = n0`` the all-off region (output identically 0) exists in every
    box and touches a box face; boxes mirrored across a fold share that face, so
    their zero regions merge into one linear region. The construction puts it on the
    face ``y_1 = 0`` only, which is a face of the cube itself when ``P <= 2``; for
    ``P >= 3`` the linear regions are ``P^n0 - (floor(P/2) + 1) P^(n0-1)`` fewer
    than the activation regions (see :func:`rectifier_zigzag_counts`). No fold of
    this kind avoids that: in 1-D, every piece must cross the last unit's
    threshold, so the pieces alternate direction and consecutive folds meet at a
    local minimum below the threshold.

    References
    ----------
    Montúfar, Pascanu, Cho, Bengio 2014, Sec. 3 (Eq. 4 and Figure 4), proof of
    Theorem 4 in Appendix B.

    Examples
    --------
    >>> from polyregions.queries.count import count_regions
    >>> from polyregions.core.domain import Domain
    >>> net = rectifier_zigzag(1, [2, 2])
    >>> c = count_regions(net, Domain.box(1, 0, 1))
    >>> c.activation_regions, c.linear_regions   # 2 * (1 + 2)
    (6, 6)
    """
    n0 = _positive_int(n0, "n0 (the input dimension)", MAX_DIM)
    ws = _check_widths(widths)
    small = [i + 1 for i, w in enumerate(ws) if w < n0]
    if small:
        raise InputError(f"the zig-zag construction needs every width >= n0 = {n0}; "
                         f"layer {small[0]} has width {ws[small[0] - 1]}")
    _check_parameters(list(zip((n0, *ws), ws)))
    layers: list[Any] = []
    alternating: list[list[tuple[int, int]]] | None = None
    width_in = n0
    for width in ws[:-1]:
        p = width // n0
        rows: list[Row] = []
        groups: list[list[tuple[int, int]]] = []
        for g in range(n0):
            members = []
            for i in range(p):
                a = [Fraction(0)] * n0
                a[g] = Fraction(p if i == 0 else 2 * p)
                rows.append((a, Fraction(0 if i == 0 else -2 * i)))
                members.append((len(rows) - 1, 1 if i % 2 == 0 else -1))
            groups.append(members)
        weight, bias = _compose(rows, alternating, width_in)
        for _ in range(width - n0 * p):   # spare units: dead
            weight.append([Fraction(0)] * width_in)
            bias.append(Fraction(-1))
        layers += [Affine(tuple(map(tuple, weight)), tuple(bias)), ReLU()]
        alternating, width_in = groups, width
    weight, bias = _compose(_arrangement_in_cube(n0, ws[-1]), alternating, width_in)
    layers += [Affine(tuple(map(tuple, weight)), tuple(bias)), ReLU()]
    return Network.from_layers(n0, layers)


def rectifier_zigzag_counts(n0: int, widths: Sequence[int]) -> dict[str, int]:
    """The counts of :func:`rectifier_zigzag` on [0, 1]^n0, in closed form.

    Returns
    -------
    dict
        ``formula`` (Montúfar et al.'s bound), ``activation_regions`` (equal to it),
        ``linear_regions`` and ``boxes`` (``P^n0``, ``P = prod_{l<L} floor(n_l/n0)``).
        The linear regions equal the bound unless ``n_L = n0`` and ``P >= 3``, where
        they are ``formula - P^n0 + (floor(P/2) + 1) P^(n0 - 1)``: the zero regions of
        the boxes along coordinate 1 merge in runs (see :func:`rectifier_zigzag`).

    Raises
    ------
    InputError
        As :func:`rectifier_zigzag`.

    Examples
    --------
    >>> rectifier_zigzag_counts(1, [3, 1])
    {'formula': 6, 'activation_regions': 6, 'linear_regions': 5, 'boxes': 3}
    >>> rectifier_zigzag_counts(2, [4, 4])["linear_regions"]
    44
    """
    n0 = _positive_int(n0, "n0 (the input dimension)", MAX_DIM)
    ws = _check_widths(widths)
    formula = montufar2014_lower(n0, ws)
    folds = prod(w // n0 for w in ws[:-1])
    linear = formula
    if ws[-1] == n0 and folds >= 3:
        linear = formula - folds ** n0 + (folds // 2 + 1) * folds ** (n0 - 1)
    return {"formula": formula, "activation_regions": formula, "linear_regions": linear,
            "boxes": folds ** n0}


# ---------------------------------------------------------------------------
# the deep maxout construction


def _convex_pieces(slope0: Fraction, breaks: Sequence[tuple[Fraction, Fraction]]) -> list[tuple[Fraction, Fraction]]:
    """Affine pieces (slope, intercept) of ``slope0 t + sum c relu(t - b)`` (c > 0)."""
    pieces = [(slope0, Fraction(0))]
    for b, c in breaks:
        s, i = pieces[-1]
        pieces.append((s + c, i - c * b))
    return pieces


def maxout_construction(n0: int, rank: int, depth: int) -> Network:
    """A maxout network of L layers of width n0 and rank k with ``k^(L-1) k^n0`` regions.

    On the unit cube [0, 1]^n0 its activation regions and its linear regions both
    number exactly ``k^(L-1) k^n0``, the lower bound of Montúfar et al. 2014,
    Theorem 8 (:func:`polyregions.theory.maxout.montufar2014_maxout_lower`).

    Construction (write y for the current coordinates, y = x at the input):

    * each of the first L - 1 layers folds coordinate 1 into k pieces. A maxout
      unit is convex, so one unit cannot fold more than twice; two can. The
      zig-zag ``z`` with k pieces of slope +-k on [0, 1] is ``P - N`` for two
      convex functions (the positive and the negative kinks), which units 1 and 2
      compute with at most k affine candidates each; the next layer reads
      ``y_1 = u_1 - u_2 = z(y_1)``. Both units also carry ``alpha y_2`` in every
      candidate, and the next layer reads ``y_2 = u_2 / alpha = y_2 + N(y_1) /
      alpha``: the drift ``N / alpha`` adds up to at most 1/4 over all layers.
      Units 3..n0 pass ``y_3..y_n0`` through;
    * the last layer's unit g is the convex function of ``y_g`` with k pieces of
      slopes 1, 2, ..., k, breaking inside the range that every folded box covers
      ((0, 1) for y_1 and y_3.., (1/4, 1) for y_2): a grid of ``k^n0`` cells in each
      of the ``k^(L-1)`` strips.

    Neighbouring cells differ in one unit's piece, hence in slope; neighbouring
    strips are mirror images in x_1 and output 1 has nonzero slope there; so no two
    activation regions merge. With ``n0 = 1`` and ``k = 2`` the folds are the tent
    map ``max(2 y - 1, 1 - 2 y)``. Unused candidates repeat the last one (a tie
    that splits nothing).

    Parameters
    ----------
    n0 : int
        Input dimension and width of every layer.
    rank : int
        Maxout rank k >= 2.
    depth : int
        Number of maxout layers L >= 1.

    Raises
    ------
    InputError
        On a non-positive dimension or depth, a rank below 2, or ``n0 = 1`` with
        ``k >= 3`` and ``L >= 2``: there the bound is not attainable (one rank-k
        unit of one input is convex with k pieces, so two layers give at most
        ``3k - 2 < k^2`` pieces), contrary to Theorem 8 as stated.

    References
    ----------
    Montúfar, Pascanu, Cho, Bengio 2014, Sec. 4, Theorem 8. The folding by a
    difference of two maxout units is this module's, not the paper's.

    Examples
    --------
    >>> from polyregions.queries.count import count_regions
    >>> from polyregions.core.domain import Domain
    >>> c = count_regions(maxout_construction(2, 3, 2), Domain.box(2, 0, 1))
    >>> c.activation_regions, c.linear_regions   # 3 * 3^2
    (27, 27)
    """
    n0 = _positive_int(n0, "n0 (the input dimension)", MAX_DIM)
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 2:
        raise InputError(f"maxout rank must be an integer >= 2, got {rank!r}")
    if rank > MAX_WIDTH:
        raise InputError(f"maxout rank is {rank}, above the limit {MAX_WIDTH}")
    depth = _positive_int(depth, "depth", MAX_DEPTH)
    if n0 == 1 and rank >= 3 and depth >= 2:
        raise InputError(f"no width-1 rank-{rank} maxout network reaches {rank}^{depth} regions: "
                         f"a width-1 layer is convex, so two layers give at most "
                         f"{3 * rank - 2} < {rank * rank} pieces (Theorem 8 fails for n0 = 1)")
    _check_parameters([(n0, n0 * rank)] * depth)  # each affine layer n0 -> n0 k, maxout back to n0
    kf = Fraction(rank)
    layers: list[Any] = []
    # transform[g] = (coefficients on the previous outputs u, constant): y_g as affine in u
    transform: list[tuple[Vector, Fraction]] = [
        ([Fraction(int(g == h)) for h in range(n0)], Fraction(0)) for g in range(n0)]

    def emit(units: list[list[tuple[Vector, Fraction]]]) -> None:
        weight, bias = [], []
        for candidates in units:
            candidates = candidates + [candidates[-1]] * (rank - len(candidates))
            for a, c in candidates:
                w = [Fraction(0)] * n0
                const = c
                for g, coeff in enumerate(a):
                    if coeff:
                        tw, tc = transform[g]
                        w = [x + coeff * y for x, y in zip(w, tw)]
                        const += coeff * tc
                weight.append(w)
                bias.append(const)
        layers.extend([Affine(tuple(map(tuple, weight)), tuple(bias)), Maxout(rank)])

    def on(g: int, slope: Fraction, extra: tuple[int, Fraction] | None = None) -> Vector:
        a = [Fraction(0)] * n0
        a[g] = slope
        if extra is not None:
            a[extra[0]] += extra[1]
        return a

    folds = depth - 1
    if n0 == 1:
        for _ in range(folds):   # rank 2: the tent map
            emit([[(on(0, Fraction(2)), Fraction(-1)), (on(0, Fraction(-2)), Fraction(1))]])
    else:
        odd = [i for i in range(1, rank) if i % 2 == 1]
        even = [i for i in range(1, rank) if i % 2 == 0]
        positive = _convex_pieces(kf, [(Fraction(i, rank), 2 * kf) for i in even])
        negative = _convex_pieces(Fraction(0), [(Fraction(i, rank), 2 * kf) for i in odd])
        n_max = sum(2 * (rank - i) for i in odd)    # N(1), the largest value of N on [0, 1]
        alpha = Fraction(4 * max(folds, 1) * n_max)
        for _ in range(folds):
            units = [[(on(0, s, (1, alpha)), c) for s, c in positive],
                     [(on(0, s, (1, alpha)), c) for s, c in negative]]
            units += [[(on(g, Fraction(1)), Fraction(0))] for g in range(2, n0)]
            emit(units)
            # next coordinates: y_1 = u_1 - u_2, y_2 = u_2 / alpha, y_g = u_g
            transform = [([Fraction(1), Fraction(-1)] + [Fraction(0)] * (n0 - 2), Fraction(0)),
                         ([Fraction(0), 1 / alpha] + [Fraction(0)] * (n0 - 2), Fraction(0))]
            transform += [([Fraction(int(g == h)) for h in range(n0)], Fraction(0))
                          for g in range(2, n0)]
    final = []
    for g in range(n0):
        low, span = (Fraction(1, 4), Fraction(3, 4)) if g == 1 else (Fraction(0), Fraction(1))
        breaks = [(low + span * Fraction(i, rank), Fraction(1)) for i in range(1, rank)]
        final.append([(on(g, s), c) for s, c in _convex_pieces(Fraction(1), breaks)])
    emit(final)
    return Network.from_layers(n0, layers)


def maxout_construction_counts(n0: int, rank: int, depth: int) -> dict[str, int]:
    """The counts of :func:`maxout_construction` on [0, 1]^n0: all ``k^(L-1) k^n0``.

    Raises
    ------
    InputError
        As :func:`maxout_construction`.

    Examples
    --------
    >>> maxout_construction_counts(2, 2, 3)
    {'formula': 16, 'activation_regions': 16, 'linear_regions': 16}
    """
    n0 = _positive_int(n0, "n0 (the input dimension)", MAX_DIM)
    depth = _positive_int(depth, "depth", MAX_DEPTH)
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 2:
        raise InputError(f"maxout rank must be an integer >= 2, got {rank!r}")
    if n0 == 1 and rank >= 3 and depth >= 2:
        raise InputError(f"no width-1 rank-{rank} maxout network reaches {rank}^{depth} regions "
                         "(Theorem 8 fails for n0 = 1)")
    formula = montufar2014_maxout_lower(n0, rank, depth)
    return {"formula": formula, "activation_regions": formula, "linear_regions": formula}


# ---------------------------------------------------------------------------
# hyperplane arrangements as one-layer networks


def _arrangement_rows(kind: str, dim: int, count: int | None) -> tuple[list[Vector], Vector]:
    weight: list[Vector] = []
    bias: Vector = []
    if kind == "generic":
        assert count is not None
        for t in range(1, count + 1):
            weight.append([Fraction(t) ** e for e in range(dim)])
            bias.append(-Fraction(t) ** dim)
        return weight, bias
    offsets = {"braid": (0,), "shi": (0, 1), "catalan": (-1, 0, 1)}[kind]
    for i, jj in combinations(range(dim), 2):
        for c in offsets:
            row = [Fraction(0)] * dim
            row[i], row[jj] = Fraction(1), Fraction(-1)
            weight.append(row)
            bias.append(Fraction(-c))   # unit: x_i - x_j - c
    return weight, bias


def _check_arrangement(kind: Any, dim: Any, count: Any) -> tuple[str, int, int | None]:
    if kind not in ARRANGEMENTS:
        raise InputError(f"unknown arrangement {kind!r} (known: {', '.join(ARRANGEMENTS)})")
    dim = _positive_int(dim, "dim", MAX_DIM)
    if kind == "generic":
        if count is None:
            raise InputError("the generic arrangement needs count, the number of hyperplanes")
        count = _positive_int(count, "count", MAX_WIDTH)
    else:
        if count is not None:
            raise InputError(f"the {kind} arrangement takes no count, got {count!r}")
        if dim < 2:
            raise InputError(f"the {kind} arrangement needs dim >= 2 (x_i - x_j with i < j), "
                             f"got {dim}")
    return kind, dim, count


def arrangement_network(kind: str, dim: int, count: int | None = None) -> Network:
    """A hyperplane arrangement in R^dim as one affine layer followed by ReLU.

    One unit per hyperplane, so the activation regions on all of R^dim are the
    regions of the arrangement; no two hyperplanes coincide, so crossing any of
    them switches one unit and the linear regions are the same regions.

    ============  ==============================  ====================  ==============
    kind          hyperplanes (1 <= i < j <= n)   regions               source
    ============  ==============================  ====================  ==============
    ``braid``     x_i - x_j = 0                   n!                    Stanley Cor. 2.2
    ``shi``       x_i - x_j = 0, 1                (n + 1)^(n - 1)       Stanley Thm. 5.16,
                                                                        Cor. 5.10
    ``catalan``   x_i - x_j = -1, 0, 1            n! * Catalan(n)       Stanley Prop. 5.14
    ``generic``   count rows (1, t, .., t^(n-1))  sum_{j<=n} C(m, j)    Stanley Prop. 2.4
                  . x = t^n, t = 1..count
    ============  ==============================  ====================  ==============

    (Region counts via Zaslavsky's theorem, Stanley Thm. 2.5.) The generic rows are
    moment-curve (Vandermonde) rows: any n normals are independent and any n + 1
    rows ``(a, t^n)`` are, so the arrangement is in general position; the
    constructor also checks it exactly with :func:`is_general_position` when that
    takes at most 50,000 rank computations.

    Parameters
    ----------
    kind : {"braid", "shi", "catalan", "generic"}
    dim : int
        n; at least 2 except for ``generic``.
    count : int, optional
        Number of hyperplanes, for ``generic`` only.

    Raises
    ------
    InputError
        On an unknown kind, a non-positive dim or count, dim < 2 for braid, Shi or
        Catalan, a missing count for generic or a count for the others.

    References
    ----------
    R. P. Stanley, "An Introduction to Hyperplane Arrangements" (2006).

    Examples
    --------
    >>> from polyregions.queries.count import count_regions
    >>> c = count_regions(arrangement_network("shi", 3))
    >>> c.activation_regions, c.linear_regions, c.bounded_regions   # 4^2; none bounded
    (16, 16, 0)
    """
    kind, dim, count = _check_arrangement(kind, dim, count)
    weight, bias = _arrangement_rows(kind, dim, count)
    if kind == "generic" and comb(len(weight), min(len(weight), dim)) + comb(len(weight), dim + 1) <= 50_000:
        if not is_general_position(weight, bias):
            raise PolyregionsError("moment-curve arrangement not in general position (internal error)")
    return Network.from_layers(dim, [Affine(tuple(map(tuple, weight)), tuple(bias)), ReLU()])


def arrangement_counts(kind: str, dim: int, count: int | None = None) -> dict[str, int]:
    """Regions and bounded regions of :func:`arrangement_network` on R^dim.

    ``bounded_regions`` counts bounded polytopes, as
    :func:`polyregions.queries.count.count_regions` does: 0 for braid, Shi and Catalan
    (every region contains the line through (1, ..., 1); Stanley's b counts
    *relatively* bounded regions instead, e.g. ``b(Shi_n) = (n - 1)^(n - 1)``), and
    ``C(m - 1, n)`` for ``m`` generic hyperplanes (Stanley Prop. 2.4).

    Raises
    ------
    InputError
        As :func:`arrangement_network`.

    Examples
    --------
    >>> arrangement_counts("catalan", 3)
    {'regions': 30, 'bounded_regions': 0}
    >>> arrangement_counts("generic", 2, 4)
    {'regions': 11, 'bounded_regions': 3}
    """
    kind, dim, count = _check_arrangement(kind, dim, count)
    if kind == "braid":
        return {"regions": factorial(dim), "bounded_regions": 0}
    if kind == "shi":
        return {"regions": (dim + 1) ** (dim - 1), "bounded_regions": 0}
    if kind == "catalan":
        return {"regions": factorial(dim) * comb(2 * dim, dim) // (dim + 1), "bounded_regions": 0}
    assert count is not None
    return {"regions": zaslavsky_regions(dim, count),
            "bounded_regions": zaslavsky_bounded_regions(dim, count)}
