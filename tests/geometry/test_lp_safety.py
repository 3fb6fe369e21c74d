"""The exact LP must never take the process down (issue 23).

pycddlib 3.0.2 / cddlib 0.94m aborted the process (heap corruption) on an LP
found by differential fuzzing: ``tests/geometry/data/cdd_lp_abort.json``. Every LP here
runs in a child process (``python tests/test_lp_safety.py ...``), so an abort
is a failed test and not a crash of the test run. The child checks every
answer exactly and against the same LP with its rows (and objective) scaled
by random positive rationals, which must not change feasibility, the optimum
(up to the objective's factor) or which rows are facets.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "cdd_lp_abort.json"


def _child(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run this file as a script in a fresh interpreter importing the same polyregions."""
    import polyregions
    root = str(Path(polyregions.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, str(Path(__file__).resolve()), *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


def _survived(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, (f"child exited with {proc.returncode} "
                                  f"(negative: killed by signal {-proc.returncode})\n"
                                  f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- generators


def _float(r: random.Random) -> F:
    """The exact rational of a random float of magnitude 1e-12 .. 1e12."""
    return F(r.choice([-1.0, 1.0]) * 10 ** r.uniform(-12, 12))


def _near_parallel(r: random.Random, base: list[F]) -> list[F]:
    k = _float(r)
    return [F(float(k * v * F(1 + r.choice([-1, 1]) * 10 ** r.uniform(-12, -1))))
            for v in base]


def random_lp(seed: int) -> tuple[list[F], list[list[F]], list[F]]:
    """``(c, A, b)``: float-derived rationals, mixed denominators, near-parallel rows.

    Even seeds give the shape of the issue's LP (an interior-point LP: a column
    of ones, maximise that variable), odd seeds general LPs.
    """
    r = random.Random(seed)
    n = r.randint(1, 4)
    m = r.randint(1, 7)
    base = [_float(r) for _ in range(n)]
    A = []
    for _ in range(m):
        if A and r.random() < 0.5:
            A.append(_near_parallel(r, base if r.random() < 0.5 else r.choice(A)[:n]))
        else:
            A.append([_float(r) if r.random() < 0.9 else F(0) for _ in range(n)])
    b = [_float(r) for _ in range(m)]
    if seed % 2 == 0:
        return [F(0)] * n + [F(1)], [row + [F(1)] for row in A], b
    return [_float(r) for _ in range(n)], A, b


def random_points(seed: int) -> list[list[F]]:
    r = random.Random(seed)
    n = r.randint(1, 3)
    pts = [[_float(r) for _ in range(n)] for _ in range(r.randint(1, 7))]
    for _ in range(r.randint(0, 3)):  # convex combinations and repeats: not extreme
        p, q = r.choice(pts), r.choice(pts)
        t = F(r.randint(0, 4), 4)
        pts.append([t * x + (1 - t) * y for x, y in zip(p, q)])
    r.shuffle(pts)
    return pts


# --------------------------------------------------------------------------- the checks (child side)


def _scale(r: random.Random) -> F:
    return F(r.randint(1, 10**6), r.randint(1, 10**6)) * F(r.choice([1, 3, 7])) ** r.randint(-30, 30)


def _summary(res) -> tuple:
    return (res.status, res.value)


def check_lp(seed: int) -> dict:
    """Every public LP function on one random LP; raises AssertionError on a wrong answer."""
    from polyregions.geometry import lp
    c, A, b = random_lp(seed)
    r = random.Random(-seed - 1)
    k = [_scale(r) for _ in A]
    q = _scale(r)
    As = [[ki * v for v in row] for ki, row in zip(k, A)]
    bs = [ki * bi for ki, bi in zip(k, b)]
    cs = [q * v for v in c]
    out = {}
    for sense, fn in (("max", lp.maximize), ("min", lp.minimize)):
        res, scaled = fn(c, 0, A, b), fn(cs, 0, As, bs)
        assert res.verify(c, 0, A, b) and scaled.verify(cs, 0, As, bs)
        assert res.status == scaled.status, (seed, sense, res, scaled)
        if res.status == "optimal":
            assert scaled.value == q * res.value, (seed, sense)
        out[sense] = res.status
    d, ds = lp.decide_interior(A, b), lp.decide_interior(As, bs)
    assert type(d) is type(ds), seed
    assert d.verify(A, b) and ds.verify(As, bs)
    if isinstance(d, lp.InteriorPoint):
        assert all(sum(a * x for a, x in zip(row, d.point)) < bi for row, bi in zip(A, b))
    point = lp.interior_point(A, b)
    assert (point is None) == isinstance(d, lp.NoInterior)
    full = lp.is_full_dimensional(A, b)
    assert full == lp.is_full_dimensional(As, bs) == isinstance(d, lp.InteriorPoint)
    if full:
        kept = lp.irredundant_rows(A, b)
        assert kept == lp.irredundant_rows(As, bs), seed
        assert kept == facets_by_lp(A, b), seed
        out["facets"] = len(kept)
    return out


def facets_by_lp(A: list[list[F]], b: list[F]) -> tuple[int, ...]:
    """Facet rows decided by one exact LP per row (independent of cdd's redundancy test)."""
    from polyregions.geometry import lp
    from polyregions.rationals import primitive_row
    first: dict[tuple[int, ...], int] = {}
    for i, (row, bi) in enumerate(zip(A, b)):
        if any(row):
            first.setdefault(primitive_row((*row, bi)), i)
    cand = sorted(first.values())
    kept = []
    for i in cand:
        others = [j for j in cand if j != i]
        res = lp.maximize(A[i], 0, [A[j] for j in others] + [A[i]],
                          [b[j] for j in others] + [b[i] + 1])
        assert res.status == "optimal"
        if res.value > b[i]:
            kept.append(i)
    return tuple(kept)


def check_points(seed: int) -> dict:
    """extreme_points against an exact LP per point (is it a convex combination of the others?)."""
    from polyregions.geometry import lp
    pts = random_points(seed)
    got = lp.extreme_points(pts)
    firsts = [i for i, p in enumerate(pts) if p not in pts[:i]]
    expected = []
    for i in firsts:
        others = [pts[j] for j in firsts if j != i]
        if not others:
            expected.append(i)
            continue
        n = len(pts[i])
        A_eq = [[p[t] for p in others] for t in range(n)] + [[1] * len(others)]
        res = lp.maximize([0] * len(others), 0, [[-1 if u == v else 0 for u in range(len(others))]
                                                 for v in range(len(others))],
                          [0] * len(others), A_eq, [*pts[i], 1])
        if res.status == "infeasible":
            expected.append(i)
    assert got == tuple(expected), (seed, got, expected)
    return {"extreme": len(got)}


def run_batch(start: int, count: int) -> dict:
    statuses: dict[str, int] = {}
    for seed in range(start, start + count):
        for key, value in (*check_lp(seed).items(), *check_points(seed).items()):
            name = f"{key}={value}" if isinstance(value, str) else key
            statuses[name] = statuses.get(name, 0) + 1
    return statuses


def run_repro() -> dict:
    from polyregions.geometry import lp
    d = json.loads(DATA.read_text())
    c, A, b = ([F(v) for v in d["c"]], [[F(v) for v in row] for row in d["A"]],
               [F(v) for v in d["b"]])
    res = lp.maximize(c, 0, A, b)
    assert res.verify(c, 0, A, b)
    k = [F(3, 7), F(10**30 + 1, 2**70), F(5), F(1, 3**40)]
    As = [[ki * v for v in row] for ki, row in zip(k, A)]
    bs = [ki * bi for ki, bi in zip(k, b)]
    scaled = lp.maximize([2 * v for v in c], 0, As, bs)
    assert scaled.verify([2 * v for v in c], 0, As, bs)
    assert scaled.status == res.status and scaled.value == 2 * res.value
    interior = lp.decide_interior([row[:-1] for row in A], b)
    return {"status": res.status, "value": str(res.value),
            "interior": type(interior).__name__}


# --------------------------------------------------------------------------- tests (parent side)


def test_issue_23_lp_does_not_abort():
    result = _survived(_child("repro"))
    assert result["status"] == "optimal"
    # The optimum of the issue's LP is negative: the last row forces s < 0.
    assert F(result["value"]) < 0


def test_issue_23_data_is_the_reported_lp():
    d = json.loads(DATA.read_text())
    assert len(d["A"]) == len(d["b"]) == 4 and all(len(row) == len(d["c"]) == 4 for row in d["A"])


@pytest.mark.parametrize("start", [0, 1000])
def test_fuzz_float_derived_lps(start):
    statuses = _survived(_child("batch", str(start), "25"))
    assert sum(v for k, v in statuses.items() if k.startswith("max=")) == 25


@pytest.mark.slow
@pytest.mark.parametrize("start", range(10_000, 14_000, 500))
def test_fuzz_float_derived_lps_slow(start):
    statuses = _survived(_child("batch", str(start), "500", timeout=1800))
    assert sum(v for k, v in statuses.items() if k.startswith("max=")) == 500


def test_child_failure_is_reported():
    """The harness turns a child killed by a signal into a failure naming the signal."""
    proc = subprocess.run([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGABRT)"],
                          capture_output=True, text=True)
    with pytest.raises(AssertionError, match="killed by signal 6"):
        _survived(proc)


def test_cdd_error_names_the_lp(monkeypatch):
    from polyregions.geometry import lp
    from polyregions.errors import SolverError

    def broken(*args, **kwargs):
        raise ValueError("simulated cdd error")

    monkeypatch.setattr(lp._cdd, "linprog_solve", broken)
    with pytest.raises(SolverError, match=r"cdd failed on the LP \(3 rows x 2 columns, largest "
                                          r"entry \d+ bits\): ValueError: simulated cdd error; "
                                          r"please report it .*Notes on dependencies"):
        lp.maximize([1], 0, [[F(1, 3)], [-1]], [1, 0])
    monkeypatch.undo()
    # irredundant_rows and extreme_points go through the same checked LPs, never through
    # cdd.redundant_rows (its dual simplex aborted on seed 11672's points).
    monkeypatch.setattr(lp._cdd, "redundant_rows", broken)
    assert lp.irredundant_rows([[1], [-1], [2]], [1, 0, 3]) == (0, 1)
    assert lp.extreme_points([[0], [1], [F(1, 2)]]) == (0, 1)
    monkeypatch.setattr(lp._cdd, "linprog_solve", broken)
    with pytest.raises(SolverError, match=r"cdd failed on the LP \(\d+ rows x \d+ columns"):
        lp.extreme_points([[0], [1]])


def test_describe_lp_bits():
    from polyregions.geometry.lp import describe_lp
    assert describe_lp([[1, F(-1, 2**70)], [0, 5]]) == "2 rows x 2 columns, largest entry 71 bits"


if __name__ == "__main__":
    if sys.argv[1] == "repro":
        print(json.dumps(run_repro()))
    else:
        print(json.dumps(run_batch(int(sys.argv[2]), int(sys.argv[3]))))
