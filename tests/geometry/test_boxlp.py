"""Tests of :mod:`polyregions.geometry.boxlp`: proofs that a box and a few rows meet nowhere,
proposed by a float simplex and checked exactly, against the exact LP."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from polyregions.geometry import lp
from polyregions.checker.boxes import box_rows
from polyregions.geometry.boxlp import box_farkas, box_refuted, propose_multipliers, refutes


def exact_empty(A, b, low, high):
    n = len(low)
    rows, rhs = [list(a) for a in A], list(b)
    for p in range(n):
        rows.append([Fraction(int(q == p)) for q in range(n)])
        rhs.append(high[p])
        rows.append([Fraction(-int(q == p)) for q in range(n)])
        rhs.append(-low[p])
    return lp.maximize([0] * n, 0, rows, rhs, dim=n).status == "infeasible"


def random_system(rng, degenerate):
    n = rng.randint(1, 5)
    m = rng.randint(1, 6)
    low = [Fraction(rng.randint(-5, 0), rng.choice([1, 3, 7])) for _ in range(n)]
    high = [lo + Fraction(rng.randint(1, 5), rng.choice([1, 2, 9])) for lo in low]
    A = [[Fraction(rng.randint(-9, 9), rng.choice([1, 2, 3, 10 ** 9 + 7])) for _ in range(n)] for _ in range(m)]
    b = [Fraction(rng.randint(-9, 9), rng.choice([1, 5])) for _ in range(m)]
    if degenerate and m >= 2:
        # a row repeated, a row and its negation through one box vertex (the set is a face there)
        A[1] = list(A[0])
        b[1] = b[0]
        vertex = [lo if rng.random() < 0.5 else hi for lo, hi in zip(low, high)]
        c = A[0]
        level = sum((a * v for a, v in zip(c, vertex)), Fraction(0))
        A.append(list(c))
        b.append(level)
        A.append([-a for a in c])
        b.append(-level)
    return A, b, low, high


@pytest.mark.parametrize("seed", range(300))
def test_never_refutes_a_set_that_is_not_empty_and_mostly_agrees(seed):
    rng = random.Random(seed)
    A, b, low, high = random_system(rng, degenerate=seed % 3 == 0)
    empty = exact_empty(A, b, low, high)
    refuted = box_refuted(A, b, low, high)
    assert not refuted or empty
    proof = box_farkas(A, b, low, high)
    assert (proof is not None) == refuted
    if proof is not None:  # Farkas multipliers of the box's rows (as the certificates order them), then A's
        rows = box_rows(low, high) + list(zip(A, b))
        assert len(proof) == len(rows) and all(v >= 0 for v in proof)
        assert all(sum(v * a[p] for v, (a, _) in zip(proof, rows)) == 0 for p in range(len(low)))
        assert sum(v * beta for v, (_, beta) in zip(proof, rows)) < 0
    if empty and seed % 3 != 0:  # with a margin the float proposal proves it (the point of the module)
        margin_b = [beta - 1 for beta in b]
        assert box_refuted(A, margin_b, low, high)


def test_agreement_rate_on_random_systems():
    """The proposals prove almost every empty set (else the exact LP does all the work)."""
    rng = random.Random(7)
    empty = proved = 0
    for _ in range(400):
        A, b, low, high = random_system(rng, degenerate=False)
        if exact_empty(A, b, low, high):
            empty += 1
            proved += box_refuted(A, b, low, high)
    assert empty > 50
    assert proved >= 0.95 * empty


def test_the_exact_check_decides_not_the_floats():
    # x in [0, 1], x >= 1/2 and x <= 1/2 + 10^-30: not empty, though nearly a point
    low, high = [Fraction(0)], [Fraction(1)]
    A = [[Fraction(-1)], [Fraction(1)]]
    b = [Fraction(-1, 2), Fraction(1, 2) + Fraction(1, 10 ** 30)]
    assert not box_refuted(A, b, low, high)
    # 10^-30 the other way: empty, and proved exactly (y = (1, 1): (-x + x) = 0 > -10^-30)
    b_empty = [Fraction(-1, 2), Fraction(1, 2) - Fraction(1, 10 ** 30)]
    assert box_refuted(A, b_empty, low, high)
    # multipliers that would prove it in floats but not exactly
    assert not refutes([1.0, 1.0], A, b, low, high)
    assert not refutes([-1.0, 1.0], A, b_empty, low, high)  # negative multipliers prove nothing
    assert refutes([1.0, 1.0], A, b_empty, low, high)
    for odd in (math.inf, math.nan):  # nor do multipliers that are not finite numbers
        assert not refutes([odd, 1.0], A, b_empty, low, high)


def test_no_rows_and_numbers_beyond_doubles_prove_nothing():
    low, high = [Fraction(0)], [Fraction(1)]
    assert not box_refuted([], [], low, high)
    assert propose_multipliers([[Fraction(10) ** 400]], [Fraction(-1)], low, high) is None
    assert not box_refuted([[Fraction(10) ** 400]], [Fraction(-1)], low, high)
    assert box_refuted([[Fraction(1)]], [Fraction(-1)], low, high)  # x <= -1 misses [0, 1]
