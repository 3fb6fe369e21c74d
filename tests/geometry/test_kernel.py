"""The compiled kernel against the pure-Python reference, and its float sign filter.

Both kernels must build the same tree: the same cells (rows, tags, generators,
bitmasks, lines, in the same order) at every node, the same facets, and the same
output files byte for byte. The filter must give exact signs whatever the inputs:
exact zeros, near-ties, integers of thousands of bits, tiny entries beside huge ones;
where its error bound does not settle a sign it falls back to the exact integer,
and the counters say how often.
"""

from __future__ import annotations

import json
import os
import random
from contextlib import contextmanager
from operator import mul
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from polyregions.geometry import polyhedron
from polyregions.certificates.regions import certify
from polyregions.theory.constructions import arrangement_network
from polyregions.queries.count import count_regions
from polyregions.core.domain import Domain
from polyregions.search.engine import Search
from polyregions.errors import InputError
from polyregions.queries.export import write_regions_jsonl
from polyregions.queries.graph import region_graph
from polyregions.io.graphs import write_graph
from polyregions.core.network import load_network
from polyregions.geometry.polyhedron import (LazyValues, Planes, hyperplane_prints, kernel_counters, kernel_name,
                                             oriented_key, use_kernel, whole_space)
from polyregions.search.regions import Region

from tests.support.netgen import random_cases

kernel = pytest.importorskip("polyregions.geometry._kernel", reason="the compiled kernel is not built")

ENGINE_CASES = list(random_cases(seed=2026, count=220))   # the networks of tests/test_engine.py
FILE_CASES = list(random_cases(seed=909, count=40))


@contextmanager
def _kernel(name):
    previous = use_kernel(name)
    try:
        yield
    finally:
        use_kernel(previous)


def _domain(net, A, b):
    return Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)


def _facts(cell):
    assert cell.is_bounded() == (not cell.lines and all(v[-1] for v in cell.vecs))
    return (cell.dim, cell.rows, cell.tags, cell.vecs, cell.tights, cell.lines)


def _tree(net, domain):
    """Every node and region of the search, depth first, with its cell and, for
    regions, the facets."""
    search = Search(net, domain)
    out = [("root", _facts(search.cell))]
    stack = [search.root()]
    while stack:
        node = stack.pop()
        if isinstance(node, Region):
            out.append(("region", node.pattern, node.map_rows, node.map_den, _facts(node.cell),
                        node.cell.facet_indices(), node.inequalities, node.interior_point))
            continue
        out.append(("node", node.path, node.unit, node.tokens, _facts(node.cell)))
        grown = search.children(node)
        stack.extend(reversed(grown))
    return out


def test_the_compiled_kernel_is_built_and_the_default():
    assert polyhedron._built_kernel is not None, "make setup builds polyregions.geometry._kernel"
    if os.environ.get("POLYREGIONS_KERNEL", "c") != "python":
        assert kernel_name() == "c"


@pytest.mark.parametrize("case", ENGINE_CASES, ids=[c[0] for c in ENGINE_CASES])
def test_kernels_build_the_same_tree(case):
    name, net, A, b = case
    domain = _domain(net, A, b)
    with _kernel("python"):
        expected = _tree(net, domain)
    with _kernel("c"):
        found = _tree(net, domain)
    assert found == expected


@pytest.mark.parametrize("kind,dim,count", [("generic", 3, 8), ("generic", 4, 9), ("braid", 4, 0),
                                            ("shi", 3, 0), ("catalan", 3, 0)])
def test_kernels_build_the_same_tree_on_arrangements(kind, dim, count):
    net = arrangement_network(kind, dim, count) if count else arrangement_network(kind, dim)
    for domain in (Domain.whole(dim), Domain.box(dim, -2, 3)):
        with _kernel("python"):
            expected = _tree(net, domain)
        with _kernel("c"):
            found = _tree(net, domain)
        assert found == expected


def _files(net, domain, tmp_path, tag):
    counts = count_regions(net, domain)
    write_regions_jsonl(net, domain, tmp_path / f"{tag}.jsonl")
    write_graph(region_graph(net, domain, maps=True), tmp_path / f"{tag}.graphml")
    cert = certify(net, domain, linear=True)
    return {"counts": (counts.activation_regions, counts.linear_regions, counts.bounded_regions),
            "jsonl": (tmp_path / f"{tag}.jsonl").read_bytes(),
            "graphml": (tmp_path / f"{tag}.graphml").read_bytes(),
            "certificate": json.dumps(cert, separators=(",", ":"))}


@pytest.mark.parametrize("case", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_kernels_write_the_same_files(case, tmp_path):
    name, net, A, b = case
    domain = _domain(net, A, b)
    with _kernel("python"):
        expected = _files(net, domain, tmp_path, "python")
    with _kernel("c"):
        found = _files(net, domain, tmp_path, "c")
    assert found == expected


def _relucent(name):
    shared = Path(os.environ.get("POLYREGIONS_SHARED", Path(__file__).resolve().parents[3] / "shared"))
    path = shared / "external" / "relucent" / f"{name}.json"
    if not path.is_file():
        pytest.skip(f"{path} not found (relucent fixtures live in ../shared/external)")
    return load_network(path)


@pytest.mark.parametrize("name", ["phantom_ckpt0", "parity_ckpt10", "dual_recovery_4392"])
def test_kernels_agree_on_float_weights(name, tmp_path):
    """Weights read exactly from float64 give integers of hundreds of bits."""
    net = _relucent(name)
    domain = Domain.whole(net.input_dim)
    with _kernel("python"):
        expected = _tree(net, domain), _files(net, domain, tmp_path, "python")
    with _kernel("c"):
        found = _tree(net, domain), _files(net, domain, tmp_path, "c")
    assert found == expected


# -- the sign filter ---------------------------------------------------------------------

def _exact_signs(h, vecs):
    return [(v > 0) - (v < 0) for v in (sum(map(mul, h, vec)) for vec in vecs)]


def _filtered(h, vecs):
    """Signs through the filter, and how many needed the exact value."""
    exact, image = kernel.pack(vecs, len(h))
    assert kernel.unpack(exact, len(h)) == vecs
    before = kernel_counters()
    signs = kernel.signs(tuple(h), exact, image)
    after = kernel_counters()
    assert after["filter"] - before["filter"] + after["exact"] - before["exact"] == len(vecs)
    return signs, after["exact"] - before["exact"]


def test_filter_falls_back_on_exact_zeros():
    big = 2 ** 900 + 12345
    h = (big + 1, -big, 7, 0)
    vecs = [(big, big + 1, 0, 5),                 # big (big + 1) - big (big + 1) = 0
            (0, 0, 0, 1),                         # h vanishes: all products 0
            (3 * big, 3 * big + 3, 0, -(2 ** 3000)),
            (big, big + 1, 1, 0),                 # 7: tiny beside the huge terms that cancel
            (big, big + 1, -1, 0)]
    signs, fallbacks = _filtered(h, vecs)
    assert signs == _exact_signs(h, vecs) == [0, 0, 0, 1, -1]
    assert fallbacks == 5


def test_filter_settles_clear_signs_of_thousands_of_bits():
    rng = random.Random(5)
    h = tuple(rng.getrandbits(4000) - 2 ** 3999 for _ in range(5))
    vecs = [tuple(rng.getrandbits(3000) - 2 ** 2999 for _ in range(5)) for _ in range(50)]
    signs, fallbacks = _filtered(h, vecs)
    assert signs == _exact_signs(h, vecs)
    assert fallbacks == 0


@pytest.mark.parametrize("bits", [50, 60, 200, 2000])
def test_filter_falls_back_on_near_ties(bits):
    """h . v = delta against products of about 2^(2 bits): delta = +-1 and +-2^(2 bits - 50)
    (relative 2^-50); the filter may settle the second, never wrongly."""
    a = 2 ** bits + 3
    h = (a, -(a - 1), 1)
    tie = 2 ** (2 * bits - 50)
    vecs = [(a - 1, a, delta) for delta in (1, -1, tie, -tie, 0)]   # h . v = delta
    signs, fallbacks = _filtered(h, vecs)
    assert signs == _exact_signs(h, vecs) == [1, -1, 1, -1, 0]
    assert fallbacks >= 3


def test_filter_with_tiny_entries_beside_huge_ones():
    """Entries 2^-2000 of the largest vanish from the image; the exact value decides."""
    h = (0, 1, 0)
    vecs = [(2 ** 2000, 1, 0), (2 ** 2000, -1, 0), (2 ** 2000, 0, 0), (-(2 ** 2000), 0, 3)]
    signs, fallbacks = _filtered(h, vecs)
    assert signs == [1, -1, 0, 0]
    assert fallbacks == 4


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_filter_signs_are_exact(data):
    width = data.draw(st.integers(1, 7))
    bits = data.draw(st.sampled_from([3, 30, 62, 64, 200, 1100, 3000]))
    entry = st.integers(-(2 ** bits), 2 ** bits)
    h = tuple(data.draw(st.lists(entry, min_size=width, max_size=width)))
    vecs = [tuple(v) for v in data.draw(st.lists(st.lists(entry, min_size=width, max_size=width),
                                                 min_size=1, max_size=6))]
    if data.draw(st.booleans()) and width >= 2:
        # a vector orthogonal to h (an exact zero), possibly nudged by one
        k = next((i for i in range(1, width) if h[i]), None)
        if k is not None and h[0]:
            v = [0] * width
            v[0], v[k] = h[k], -h[0]
            v[-1 if k != width - 1 else 0] += data.draw(st.sampled_from([0, 0, 1, -1]))
            vecs.append(tuple(v))
    signs, _ = _filtered(h, vecs)
    assert signs == _exact_signs(h, vecs)


def test_cuts_count_their_fallbacks():
    """A cut through a vertex: the zero is exact, the other signs come from floats."""
    cell = whole_space(2)
    for h in [(1, 0, 0), (0, 1, 0), (-1, -1, 1)]:
        cell = cell.cut(h, h, want=1)[0]
    kernel_counters(reset=True)
    with _kernel("c"):
        pos, neg, values = cell.cut((1, -1, 0), "diagonal")   # through the vertex (0, 0)
    counts = kernel_counters()
    assert counts["filter"] + counts["exact"] == 3 and counts["exact"] == 1
    assert list(values) == [sum(map(mul, (1, -1, 0), v)) for v in cell.vecs]
    assert pos is not None and neg is not None


def _sides_by_cuts(cell, planes, start):
    """Cell.sides spelled with one cut per hyperplane (the definition)."""
    codes = []
    for u in range(start, len(planes)):
        h = planes.rows[u]
        if h is None:
            codes.append(3)
            continue
        pos, neg, _ = cell.cut(h, "t")
        if pos is not None and neg is not None and (pos is not cell or neg is not cell):
            return u, bytes(codes)
        codes.append(1 if pos is cell else 2 if neg is cell else 0)
    return len(planes), bytes(codes)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_sides_are_those_of_cuts(data):
    """Cell.sides in both kernels: the side of each hyperplane up to the first that cuts,
    as one cut per hyperplane says, on cells with huge entries, through vertices, with
    lines, and for hyperplanes that touch the cell in a face or miss it by one."""
    dim = data.draw(st.integers(1, 4))
    bits = data.draw(st.sampled_from([3, 40, 70, 300]))
    entry = st.integers(-(2 ** bits), 2 ** bits)
    cell = whole_space(dim)
    for _ in range(data.draw(st.integers(0, 6))):
        h = tuple(data.draw(st.lists(entry, min_size=dim + 1, max_size=dim + 1)))
        pos = cell.cut(h, h, want=1)[0]
        if pos is not None:
            cell = pos
    rows = []
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["random", "none", "vertex", "shifted"]))
        if kind == "none":
            rows.append(None)
            continue
        h = list(data.draw(st.lists(entry, min_size=dim + 1, max_size=dim + 1)))
        vertices = [v for v in cell.vecs if v[-1]]
        if kind != "random" and vertices and any(h[:-1]):
            v = data.draw(st.sampled_from(vertices))   # through a vertex, or one off it
            h[-1] = 0
            value = sum(map(mul, h, v))
            nudge = 0 if kind == "vertex" else data.draw(st.sampled_from([1, -1]))
            h = [c * v[-1] for c in h[:-1]] + [-value + nudge]
        rows.append(tuple(h) if any(h[:-1]) else None)
    planes = Planes(rows, dim + 1)
    start = data.draw(st.integers(0, len(rows)))
    expected = _sides_by_cuts(cell, planes, start)
    for name in ("c", "python"):
        with _kernel(name):
            assert cell.sides(planes, start) == expected, name


@pytest.mark.parametrize("call,match", [
    (lambda: kernel.sides(PACKED, IMAGE, b"", 0, PACKED, IMAGE), "planes and their image do not match"),
    (lambda: kernel.sides(PACKED, IMAGE, b"\0\0", 0, PACKED, IMAGE), "malformed exact generators"),
    (lambda: kernel.sides(PACKED + PACKED, IMAGE + IMAGE, b"\0\0", 0, PACKED, IMAGE), "malformed exact generators"),
    (lambda: kernel.sides(PACKED, IMAGE, b"\0", 2, PACKED, IMAGE), "start out of range"),
    (lambda: kernel.sides(PACKED, IMAGE, b"\0", 0, PACKED, b""), "image does not match"),
    (lambda: kernel.sides(PACKED, IMAGE, [0], 0, PACKED, IMAGE), r"sides\(planes: bytes"),
    (lambda: kernel.sides(PACKED, IMAGE, b"\0", 0, PACKED[:-8], IMAGE), "malformed exact generators"),
])
def test_sides_rejects_bad_arguments(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_hyperplane_prints_are_equal_for_one_hyperplane(monkeypatch):
    """Rows that are multiples of each other (any sign, huge factors) get one print in both
    kernels; rows of different hyperplanes almost never share one (equal prints are only
    candidates); a first entry divisible by 2^61 - 1 gets -1 (compare exactly)."""
    rng = random.Random(5)
    rows = []
    for _ in range(2000):
        width = rng.randint(1, 6)
        row = [rng.choice([0, rng.randint(-9, 9), rng.randint(-2 ** 300, 2 ** 300)]) for _ in range(width)]
        factor = rng.choice([-1, 3, -(2 ** 90) - 7])
        rows += [row, [v * factor for v in row]]
    prime = 2 ** 61 - 1
    rows += [[0, 5 * prime, 3], [0, -prime, 1], [], [0, 0]]
    compiled = hyperplane_prints(rows)
    monkeypatch.setattr(polyhedron, "_built_kernel", None)
    assert hyperplane_prints(rows) == compiled
    assert compiled[-4:] == [-1, -1, 0, 0]
    for a in range(0, 4000, 2):
        assert compiled[a] == compiled[a + 1] or -1 in (compiled[a], compiled[a + 1])
    distinct = {oriented_key(row): fp for row, fp in zip(rows[:4000], compiled) if any(row)}
    assert len(set(distinct.values())) == len(distinct)


def test_lazy_values():
    cell = whole_space(1).cut((1, 0), "x", want=1)[0]   # x >= 0: the vertex 0 and the ray +1
    values = LazyValues((2, 3), cell)
    assert len(values) == 2
    assert values == [3, 2] and values == LazyValues((2, 3), cell) and values != [3]
    assert list(values) == [3, 2] and values[1] == 2 and repr(values) == "LazyValues([3, 2])"


def test_use_kernel_rejects_unknown_names():
    with pytest.raises(InputError, match="unknown kernel 'gmp', expected 'c' or 'python'"):
        use_kernel("gmp")


def test_use_kernel_says_when_the_extension_is_missing(monkeypatch):
    monkeypatch.setattr(polyhedron, "_built_kernel", None)
    with pytest.raises(InputError, match="compiled kernel polyregions.geometry._kernel is not built"):
        use_kernel("c")
    assert kernel_counters() == {"filter": 0, "exact": 0, "values": 0}


PACKED, IMAGE = kernel.pack([(1, 2)], 2)


@pytest.mark.parametrize("call,match", [
    (lambda: kernel.cut([1, 2], PACKED, [0], IMAGE, 0, 0, 3), "h must be a tuple of ints"),
    (lambda: kernel.cut((1, 2), PACKED, (0,), IMAGE, 0, 0, 3), r"cut\(h: tuple, exact: bytes"),
    (lambda: kernel.cut((1, 2), PACKED, [0, 1], IMAGE, 0, 0, 3), "generators and bitmasks do not match"),
    (lambda: kernel.cut((1, 2), PACKED, [0], b"", 0, 0, 3), "image does not match"),
    (lambda: kernel.cut((1, 2), [(1, 2)], [0], IMAGE, 0, 0, 3), "exact generators must be bytes"),
    (lambda: kernel.cut((1, 2), PACKED[:-8], [0], IMAGE, 0, 0, 3), "malformed exact generators"),
    (lambda: kernel.cut((1, 2, 3), PACKED, [0], IMAGE, 0, 0, 3), "malformed exact generators"),
    (lambda: kernel.unpack(b"\1" + b"\0" * 7, 2), "malformed exact generators"),
    (lambda: kernel.unpack(PACKED), r"unpack\(exact: bytes, width: int\)"),
    (lambda: kernel.unpack(PACKED, -1), "width < 0"),
    (lambda: kernel.pack([(1, 2, 3)], 2), "wrong length"),
    (lambda: kernel.pack([(1, 2)], -1), "width < 0"),
    (lambda: kernel.pack((), 2), r"pack\(vecs: list, width: int\)"),
    (lambda: kernel.pack([(1, 2.0)], 2), "expected an int"),
    (lambda: kernel.signs((1, 2), PACKED, b""), "image does not match"),
    (lambda: kernel.signs((1, 2), PACKED), r"signs\(h: tuple"),
    (lambda: kernel.prune([1], -1), "nrows < 0"),
    (lambda: kernel.prune((1,), 0), r"prune\(tights: list"),
    (lambda: kernel.facets([1], -1), "nrows < 0"),
    (lambda: kernel.facets((1,), 0), r"facets\(tights: list"),
])
def test_kernel_rejects_bad_arguments(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_affine_maps_agree(monkeypatch):
    """The compiled affine map gives the rows and denominator of the pure-Python one."""
    from polyregions.search import engine
    from polyregions.search.stages import Stage

    rng = random.Random(11)
    for trial in range(200):
        n_in, n_out, width = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 5)
        bits = rng.choice([2, 40, 64, 65, 300])
        weight = tuple(tuple(rng.randint(-2 ** bits, 2 ** bits) * rng.choice([0, 1, 2]) for _ in range(n_in))
                       for _ in range(n_out))
        bias = tuple(rng.randint(-2 ** bits, 2 ** bits) for _ in range(n_out))
        rows = [[rng.choice([0, 2, -4]) * rng.randint(-2 ** bits, 2 ** bits) for _ in range(width)]
                for _ in range(n_in)]
        stage = Stage(weight, bias, rng.choice([1, 2, 6, 2 ** 70]), None, 0, 0, None)
        den = rng.choice([1, 4, 3 * 2 ** 80])
        with _kernel("python"):
            expected = engine.apply_affine(stage, rows, den)
        found = kernel.affine(weight, bias, stage.den, rows, den)
        assert found == expected
        small = kernel.small(weight)   # int64 weights: the fast path, the same answer
        assert (small is None) == any(not -2 ** 63 < w < 2 ** 63 for row in weight for w in row)
        assert kernel.affine(weight, bias, stage.den, rows, den, small) == expected


@pytest.mark.parametrize("limbs", [1, 2, 3, 4, 5, 9])
def test_small_affine_maps_are_exact(limbs):
    """The int64 fast path on many inputs of *limbs* 64-bit limbs, near-cancelling sums,
    and weights at the ends of the int64 range (2^63 - 1; -2^63 is left to the slow path)."""
    rng = random.Random(limbs)
    top = 64 * limbs
    for trial in range(30):
        n_in, n_out, width = rng.randint(1, 300), rng.randint(1, 6), rng.randint(1, 4)
        edge = [2 ** 63 - 1, -(2 ** 63 - 1), 1, -1, 0]
        weight = tuple(tuple(rng.choice(edge + [rng.randint(-2 ** 63 + 1, 2 ** 63 - 1)] * 3)
                             for _ in range(n_in)) for _ in range(n_out))
        bias = tuple(rng.randint(-2 ** 80, 2 ** 80) for _ in range(n_out))
        column = [rng.choice([0, 2 ** top - 1, -(2 ** top - 1), rng.randint(-2 ** top, 2 ** top)])
                  for _ in range(n_in)]
        rows = [[v if k % 2 else -v for k in range(width)] for v in column]
        if trial % 3 == 0 and n_in >= 2:   # a sum that cancels to 0 or 1
            weight = tuple((2 ** 63 - 1, 2 ** 63 - 1) + row[2:] for row in weight)
            rows[0] = [2 ** top - 1] * width
            rows[1] = [-(2 ** top - 1) + trial % 2] * width
            rows[2:] = [[0] * width for _ in rows[2:]]
        small = kernel.small(weight)
        assert small is not None
        expected = kernel.affine(weight, bias, 3, rows, 5)
        assert kernel.affine(weight, bias, 3, rows, 5, small) == expected
    assert kernel.small(((-2 ** 63, 1),)) is None and kernel.small(((2 ** 63, 1),)) is None


def test_affine_memo_updates_the_changed_rows_only():
    """With a memo the kernel keeps the last product and multiplies only the rows that
    changed (by identity or value): a walk of random changes, of one row to all of them,
    with shared row objects, equal copies, new denominators and zero rows, gives every
    time the product computed from scratch."""
    rng = random.Random(7)
    for trial in range(40):
        n_in, n_out, width = rng.randint(1, 40), rng.randint(1, 8), rng.randint(1, 4)
        bits = rng.choice([3, 40, 62])
        weight = tuple(tuple(rng.randint(-2 ** bits, 2 ** bits) * rng.choice([0, 1]) for _ in range(n_in))
                       for _ in range(n_out))
        bias = tuple(rng.randint(-2 ** 70, 2 ** 70) for _ in range(n_out))
        small = kernel.small(weight)
        memo = [None, None, None]
        row_bits = rng.choice([10, 64, 200])
        rows = [[rng.randint(-2 ** row_bits, 2 ** row_bits) for _ in range(width)] for _ in range(n_in)]
        den = 6
        for step in range(25):
            rows = list(rows)
            for j in rng.sample(range(n_in), rng.choice([0, 1, 1, 2, n_in // 3, n_in])):
                rows[j] = rng.choice([[0] * width, list(rows[j]),
                                      [rng.randint(-2 ** row_bits, 2 ** row_bits) for _ in range(width)]])
            if rng.random() < 0.1:
                den = rng.choice([6, 12, 2 ** 90])
            expected = kernel.affine(weight, bias, 5, rows, den)
            assert kernel.affine(weight, bias, 5, rows, den, small, memo) == expected
            assert memo[0] is rows and memo[1] == den


@pytest.mark.parametrize("args,match", [
    (((1,), (1,), 1, [[1]]), r"affine\(weight: tuple"),
    ((((1,),), (1, 2), 1, [[1]], 1), "weight and bias do not match"),
    ((((1,),), (1,), 1, [], 1), "no rows"),
    ((((1,),), (1,), 1, [(1,)], 1), "rows must be lists of ints"),
    ((((1,),), (1,), 1, [[]], 1), "rows must not be empty"),
    ((((1, 1),), (1,), 1, [[1], [1, 2]], 1), "rows of different lengths"),
    ((((1, 1),), (1,), 1, [[1]], 1), "a weight row does not match the rows"),
    ((((1,),), (1,), 1, [[1.5]], 1), "expected an int"),
    ((((1,),), (1,), 1, [[1]], 1, b"\0"), "small weights do not match"),
    ((((1,),), (1,), 1, [[1]], 1, [1]), r"affine\(weight: tuple"),
    ((((1,),), (1,), 1, [[1]], 1, None, [None, None]), r"affine\(weight: tuple"),
    ((((1,),), (1,), 1, [[1]], 1, b"\1" + b"\0" * 7, [[[1]], 1, b"\0" * 8]), "malformed"),
])
def test_affine_rejects_bad_arguments(args, match):
    with pytest.raises((TypeError, ValueError), match=match):
        kernel.affine(*args)


@pytest.mark.parametrize("seed", range(6))
def test_argmax_planes_are_the_pure_python_ones(seed):
    """Each unit's candidate largest at the point (the first of the largest, exactly, also where
    values tie or differ in the last of thousands of bits), and its differences from the
    candidates not identical to it, packed: as the pure-Python plan makes them."""
    rng = random.Random(seed)
    k, w = rng.choice([2, 3, 4, 9]), rng.choice([2, 3, 6])
    point = tuple(rng.randint(-5, 5) for _ in range(w - 1)) + (rng.randint(1, 3),)
    bits = rng.choice([3, 60, 2000])
    rows = []
    for _ in range(40):
        group = [[rng.randint(-2 ** bits, 2 ** bits) for _ in range(w)] for _ in range(k)]
        for i in range(1, k):
            kind = rng.random()
            if kind < 0.3:
                group[i] = list(group[rng.randrange(i)])  # identical to an earlier candidate
            elif kind < 0.5:  # another function with the same value at the point: plus v, v . point = 0
                c, m = rng.randrange(w - 1), rng.randint(1, 3)
                moved = list(group[rng.randrange(i)])
                moved[c] += m * point[-1]
                moved[-1] -= m * point[c]
                group[i] = moved
        rows += group
    found = kernel.argmax_planes(rows, k, point)
    values = [sum(map(mul, row, point)) for row in rows]
    winners, starts, diffs = [], [], []
    for at in range(0, len(rows), k):
        group = values[at:at + k]
        best = group.index(max(group))
        winners.append(best)
        starts.append(len(diffs))
        diffs += [tuple(a - b for a, b in zip(rows[at + best], other)) for other in rows[at:at + k]
                  if other != rows[at + best]]
    starts.append(len(diffs))
    assert found[0] == winners and found[1] == starts
    assert kernel.unpack(found[2], w) == diffs
    assert found[3] == (kernel.pack(diffs, w)[1] if diffs else b"")
    assert Planes.packed(found[2], found[3], starts[-1], w, starts).rows == diffs


@pytest.mark.parametrize("call,match", [
    (lambda: kernel.argmax_planes([[1, 2]], 2, (1, 1)), "k must divide"),
    (lambda: kernel.argmax_planes([[1, 2], [1]], 2, (1, 1)), "differ in length"),
    (lambda: kernel.argmax_planes([[1, 2], [1, 2.0]], 2, (1, 1)), "expected an int"),
    (lambda: kernel.argmax_planes([[1, 2]], 1, [1, 1]), "point must be a tuple"),
    (lambda: kernel.argmax_planes(((1, 2),), 1, (1, 1)), r"argmax_planes\(rows: list"),
])
def test_argmax_planes_rejects_bad_arguments(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_maxout_planes_stay_packed_in_the_compiled_kernel():
    """The planes of a maxout stage are made packed by the kernel and read packed by sides:
    their Python rows are made only when someone reads them (the pure-Python sides does)."""
    from polyregions.core.layers import Affine, Maxout
    from polyregions.core.network import Network

    net = Network.from_layers(2, [Affine.from_lists([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 0, 1]), Maxout(2)])
    with _kernel("c"):
        search = Search(net, Domain.box(2, -1, 1))
        root = search.root()
        search.children(root)
        planes = root.ctx.planes
        assert planes is not None and planes._rows is None
        # the winners at the box's centre (0, 0): x over y (a tie: the first), x - y + 1 over x + y
        assert planes.rows == [(1, -1, 0), (0, -2, 1)] and root.ctx.plan.winners == [0, 1]
