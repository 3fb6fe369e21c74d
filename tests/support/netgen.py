"""Seeded generators of small random networks, many degenerate on purpose.

Every function takes its randomness from an explicit :class:`random.Random`
(or a seed), never from the global random state, so a failing case is named by
its seed and index and can be rebuilt exactly.

Degenerate constructions (``degenerate=True``): repeated rows, zero rows (dead
units with negative bias, always-on units with positive bias, units identically
zero), rows that are scalar multiples of others (parallel and coincident
hyperplanes, either orientation), all-zero biases (concurrent hyperplanes
through the origin), maxout groups with repeated candidates (ties), later-layer
rows that copy an earlier unit (its hyperplane reappears), and boxes with a face
on a hyperplane of the network.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any, Iterator, Sequence

from polyregions.core.layers import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, ReLU
from polyregions.core.network import Network

__all__ = ["ACTIVATIONS", "random_rational", "random_affine", "random_activation",
           "random_network", "random_box", "random_cases"]

ACTIVATIONS = ("relu", "leaky_relu", "abs", "hardtanh", "maxout")

Case = tuple[str, Network, list[list[Fraction]], list[Fraction]]


def random_rational(rng: random.Random, bound: int = 3,
                    denominators: Sequence[int] = (1, 2, 3)) -> Fraction:
    """A rational p/q with q from *denominators* and |p/q| <= bound.

    Examples
    --------
    >>> random_rational(random.Random(0), 3, (1,)) in {Fraction(k) for k in range(-3, 4)}
    True
    """
    q = rng.choice(list(denominators))
    return Fraction(rng.randint(-bound * q, bound * q), q)


def _random_row(rng: random.Random, cols: int, denominators: Sequence[int]) -> list[Fraction]:
    while True:
        row = [random_rational(rng, 3, denominators) for _ in range(cols)]
        if any(row):
            return row


def random_affine(rng: random.Random, rows: int, cols: int, degenerate: bool = False,
                  denominators: Sequence[int] = (1, 2, 3), previous: int = 0,
                  group: int = 1) -> Affine:
    """A random affine layer ``rows x cols``.

    With *degenerate*, rows are often copies, multiples or zero, biases often
    zero, and (when *previous* > 0, the width of the previous activation's output)
    some rows select a single earlier unit so that its hyperplane reappears.
    *group* > 1 (maxout rank) makes repeated candidates inside a group likely.
    """
    weight: list[list[Fraction]] = []
    bias: list[Fraction] = []
    zero_bias = degenerate and rng.random() < 0.3
    for r in range(rows):
        b = Fraction(0) if zero_bias else random_rational(rng, 2, denominators)
        kinds = ["plain"] * 10
        if degenerate:
            kinds += ["zero"] * 2
            if weight:
                kinds += ["repeat"] * 2 + ["multiple"] * 3
            if previous:
                kinds += ["copy-unit"] * 3
            if group > 1 and r % group:
                kinds += ["tie"] * 4
        kind = rng.choice(kinds)
        if kind == "repeat":  # the same hyperplane again
            src = rng.randrange(len(weight))
            w, b = list(weight[src]), bias[src]
        elif kind == "tie":  # a maxout candidate repeated inside its group
            src = r - 1 - rng.randrange(r % group)
            w, b = list(weight[src]), bias[src]
        elif kind == "multiple":  # coincident or parallel, either orientation
            src = rng.randrange(len(weight))
            k = rng.choice([Fraction(2), Fraction(-1), Fraction(1, 2), Fraction(-3)])
            w = [k * v for v in weight[src]]
            b = k * bias[src] if rng.random() < 0.6 else b
        elif kind == "zero":  # dead, always on, or identically zero
            w = [Fraction(0)] * cols
            b = rng.choice([Fraction(-1), Fraction(1), Fraction(0), b])
        elif kind == "copy-unit":  # select one earlier unit: its hyperplane reappears
            w = [Fraction(0)] * cols
            w[rng.randrange(cols)] = rng.choice([Fraction(1), Fraction(2), Fraction(-1)])
            b = rng.choice([Fraction(0), Fraction(0), b])
        else:
            w = _random_row(rng, cols, denominators)
        weight.append(w)
        bias.append(b)
    return Affine(tuple(tuple(row) for row in weight), tuple(bias))


def random_activation(rng: random.Random, kind: str) -> Any:
    """An activation layer of the given kind with random parameters."""
    if kind == "relu":
        return ReLU()
    if kind == "leaky_relu":
        return LeakyReLU(rng.choice([Fraction(1, 2), Fraction(-1), Fraction(1), Fraction(0),
                                     Fraction(1, 10), Fraction(-1, 3), Fraction(2)]))
    if kind == "abs":
        return Abs()
    if kind == "hardtanh":
        low, high = rng.choice([(-1, 1), (0, 1), (Fraction(-1, 2), 2), (-2, Fraction(1, 3))])
        return HardTanh(Fraction(low), Fraction(high))
    if kind == "maxout":
        return Maxout(rng.choice([2, 2, 3]))
    if kind == "identity":
        return Identity()
    raise ValueError(f"unknown activation {kind!r}")


def random_network(rng: random.Random, n0: int, widths: Sequence[int], activation: str | Sequence[str],
                   degenerate: bool = False, denominators: Sequence[int] = (1, 2, 3),
                   output_dim: int | None = None) -> Network:
    """A random network: for each width, an affine layer and an activation.

    Parameters
    ----------
    rng
        The source of randomness.
    n0
        Input dimension.
    widths
        Number of units of each activation layer (for maxout the affine layer
        before it has ``rank`` times as many outputs).
    activation
        One kind for every layer, or one kind per layer (see :data:`ACTIVATIONS`).
    degenerate
        Build degenerate rows on purpose (see :func:`random_affine`).
    denominators
        Denominators of the random weights.
    output_dim
        When given, a final affine layer with this many outputs is appended;
        otherwise the network ends with an activation.

    Examples
    --------
    >>> net = random_network(random.Random(1), 2, [3, 2], "maxout", output_dim=1)
    >>> net.input_dim, net.output_dim
    (2, 1)
    """
    kinds = [activation] * len(widths) if isinstance(activation, str) else list(activation)
    layers: list[Any] = []
    width = n0
    for i, (units, kind) in enumerate(zip(widths, kinds)):
        act = random_activation(rng, kind)
        rank = act.rank if isinstance(act, Maxout) else 1
        layers.append(random_affine(rng, units * rank, width, degenerate, denominators,
                                    previous=width if i else 0, group=rank))
        layers.append(act)
        width = units
    if output_dim is not None:
        layers.append(random_affine(rng, output_dim, width, False, denominators))
    return Network.from_layers(n0, layers)


def random_box(rng: random.Random, n0: int) -> tuple[list[list[Fraction]], list[Fraction]]:
    """Rows of a random box ``[lo, hi]^n0`` with rational ``lo < hi``."""
    if rng.random() < 0.8:  # around the origin, where random hyperplanes pass
        lo = -Fraction(rng.randint(1, 6), rng.choice([1, 2]))
        hi = Fraction(rng.randint(1, 6), rng.choice([1, 2, 3]))
    else:
        lo = random_rational(rng, 2, (1, 2))
        hi = lo + Fraction(rng.randint(1, 6), rng.choice([1, 2, 3]))
    return _box_rows(n0, [lo] * n0, [hi] * n0)


def _box_rows(n0: int, lo: Sequence[Fraction], hi: Sequence[Fraction]
              ) -> tuple[list[list[Fraction]], list[Fraction]]:
    A: list[list[Fraction]] = []
    b: list[Fraction] = []
    for i in range(n0):
        e = [Fraction(0)] * n0
        e[i] = Fraction(1)
        A.append(list(e))
        b.append(Fraction(hi[i]))
        A.append([-v for v in e])
        b.append(-Fraction(lo[i]))
    return A, b


def _aligned_box(rng: random.Random, net: Network) -> tuple[Network, list[list[Fraction]], list[Fraction]]:
    """Put a first-layer hyperplane on a face of a box: unit 0 becomes k * (x_i - t)."""
    first = net.layers[0]
    assert isinstance(first, Affine)
    n0 = net.input_dim
    i = rng.randrange(n0)
    lo, hi = Fraction(-1), Fraction(rng.randint(1, 3), rng.choice([1, 2]))
    t = rng.choice([lo, hi])
    k = rng.choice([Fraction(1), Fraction(-2)])
    row = tuple(k if j == i else Fraction(0) for j in range(n0))
    weight = (row,) + first.weight[1:]
    bias = (-k * t,) + first.bias[1:]
    net = Network.from_layers(n0, (Affine(weight, bias),) + net.layers[1:])
    A, b = _box_rows(n0, [lo] * n0, [hi] * n0)
    return net, A, b


def _special_networks(rng: random.Random) -> list[tuple[str, Network]]:
    """Hand-shaped layer orders: activation on the input, affine after affine, identity."""
    q = lambda: random_rational(rng, 2, (1, 2))  # noqa: E731
    n0 = rng.randint(1, 3)
    nets = [
        ("act-on-input", Network.from_layers(n0, [
            ReLU(), random_affine(rng, 2, n0, True), Abs()])),
        ("affine-affine", Network.from_layers(n0, [
            random_affine(rng, 3, n0), random_affine(rng, 2, 3), ReLU(), random_affine(rng, 1, 2)])),
        ("identity", Network.from_layers(n0, [
            random_affine(rng, 2, n0), Identity(), ReLU(), Identity(), random_affine(rng, 1, 2)])),
        ("mixed", Network.from_layers(n0, [
            random_affine(rng, 4, n0, True), Maxout(2), random_affine(rng, 2, 2, True, previous=2),
            HardTanh(Fraction(-1), q() + 2), random_affine(rng, 2, 2), LeakyReLU(Fraction(1, 2))])),
        ("maxout-ties", Network.from_layers(n0, [
            Affine(tuple(tuple(Fraction(v) for v in row) for row in
                         ([1] * n0, [1] * n0, [-1] * n0, [0] * n0, [0] * n0, [0] * n0)),
                   (Fraction(0), Fraction(0), Fraction(0), Fraction(1), Fraction(1), Fraction(1))),
            Maxout(3), random_affine(rng, 1, 2)])),
    ]
    return nets


def random_cases(seed: int, count: int) -> Iterator[Case]:
    """Yield *count* reproducible ``(name, network, A, b)`` test cases.

    The activation cycles through :data:`ACTIVATIONS` and a mixed kind; two in
    three cases are degenerate; the domain is all of R^n0 (``A = b = []``), a
    random box, or a box with a face on a hyperplane of the network. Every
    tenth case is one of the hand-shaped networks of unusual layer order. Sizes
    stay small (n0 <= 4, depth <= 3, widths <= 4, fewer units in high
    dimension) so that the reference can afford its many LPs.

    Examples
    --------
    >>> [name for name, *_ in random_cases(0, 3)]
    ['0:relu:n0=4:w=[1, 3]:out=1:R^n', '1:leaky_relu:n0=2:w=[1, 3, 1]:out=1:degenerate:box', '2:abs:n0=1:w=[1]:out=1:degenerate:aligned-box']
    """
    kinds = ACTIVATIONS + ("mixed",)
    for index in range(count):
        rng = random.Random(seed * 1_000_003 + index)
        if index % 10 == 9:
            specials = _special_networks(rng)
            label, net = specials[(index // 10) % len(specials)]
            A, b = ([], []) if rng.random() < 0.5 else random_box(rng, net.input_dim)
            yield f"{index}:special-{label}:n0={net.input_dim}", net, A, b
            continue
        kind = kinds[index % len(kinds)]
        n0 = rng.randint(1, 4)
        depth = rng.randint(1, 3 if n0 <= 2 else 2)
        max_units = {1: 8, 2: 7, 3: 6, 4: 5}[n0]
        widths: list[int] = []
        for _ in range(depth):
            if sum(widths) >= max_units:
                break
            widths.append(rng.randint(1, min(4, max_units - sum(widths))))
        if kind == "maxout":
            widths = [min(w, 2) for w in widths]
        activation: str | list[str] = (
            [rng.choice(ACTIVATIONS) for _ in widths] if kind == "mixed" else kind)
        degenerate = index % 3 != 0
        output_dim = rng.choice([None, 1, 2]) if index % 2 else 1
        net = random_network(rng, n0, widths, activation, degenerate,
                             rng.choice([(1,), (1, 2), (1, 2, 3)]), output_dim)
        domain_roll = index % 4
        if domain_roll == 0 or (domain_roll == 3 and n0 == 4):
            A, b, where = [], [], "R^n"
        elif domain_roll == 2 and degenerate:
            net, A, b = _aligned_box(rng, net)
            where = "aligned-box"
        else:
            A, b = random_box(rng, n0)
            where = "box"
        parts = [str(index), kind, f"n0={n0}", f"w={widths}"]
        if output_dim is not None:
            parts.append(f"out={output_dim}")
        if degenerate:
            parts.append("degenerate")
        parts.append(where)
        yield ":".join(parts), net, A, b
