"""The one reducer for linear regions: merged from subtrees in any order, the serial count."""

from __future__ import annotations

import json
import random

import pytest

from polyregions.search.adjacency import facet_neighbors
from polyregions.core.domain import Domain
from polyregions.search.engine import enumerate_regions
from polyregions.errors import PolyregionsError
from polyregions.search.reduce import LinearRegions, UnionFind, code_key, key_code, map_text
from polyregions.core.maps import pattern_key

from tests.support.netgen import random_cases
from tests.support.reference import reference_linear_region_count

CASES = list(random_cases(seed=4242, count=80))


def _records(net, domain):
    return [(r.key, map_text(r.map_rows, r.map_den),
             [None if o is None else pattern_key(o) for _, o in facet_neighbors(r)])
            for r in enumerate_regions(net, domain)]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_partials_absorbed_in_any_order_give_the_serial_count(case):
    name, net, A, b = case
    domain = Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)
    records = _records(net, domain)
    serial = LinearRegions()
    for record in records:
        serial.add(*record)
    rng = random.Random(name)
    cuts = sorted(rng.sample(range(1, len(records)), min(len(records) - 1, rng.randint(0, 6))))
    pieces = [records[i:j] for i, j in zip([0] + cuts, cuts + [len(records)])]
    partials = []
    for piece in pieces:
        part = LinearRegions(track=True)
        for record in piece:
            part.add(*record)
        partials.append(json.loads(json.dumps(part.to_partial())))  # as a checkpoint holds it
    rng.shuffle(partials)
    merged = LinearRegions()
    for partial in partials:
        merged.absorb(partial)
    assert merged.activation_regions == serial.activation_regions == len(records)
    assert merged.linear_regions == serial.linear_regions
    if len(records) <= 40:
        assert serial.linear_regions == reference_linear_region_count(net, A, b)


def _long(key: str | None, rng_tail: str) -> str | None:
    """A key made long (a fixed tail after it): the same keys equal, long enough to be coded."""
    return None if key is None else key + "|" + rng_tail


def _plain_count(records) -> int:
    """Linear regions by a union-find over the whole keys (no codes): the reference."""
    parent = {key: key for key, _, _ in records}
    maps = {key: m for key, m, _ in records}

    def find(k):
        while parent[k] != k:
            k = parent[k]
        return k
    for key, m, neighbours in records:
        for other in neighbours:
            if other is not None and other in parent and maps[other] == m:
                parent[find(key)] = find(other)
    return len({find(k) for k in parent})


@pytest.mark.parametrize("case", CASES[:40], ids=[c[0] for c in CASES[:40]])
def test_long_keys_are_coded_and_merge_as_whole_keys(case):
    """Keys of 100 characters and more are held as differences from a reference key; pieces
    start from different regions (other references), and a partial in the old form (whole
    keys, no reference) is taken too: the counts are those of whole keys."""
    name, net, A, b = case
    domain = Domain.from_inequalities(A, b) if A else Domain.whole(net.input_dim)
    rng = random.Random(name)
    tail = "".join(rng.choice("+-0") for _ in range(100))
    records = [(_long(k, tail), m, [_long(o, tail) for o in ns]) for k, m, ns in _records(net, domain)]
    serial = LinearRegions()
    for record in records:
        serial.add(*record)
    assert serial.linear_regions == _plain_count(records)
    assert all(key in serial for key, _, _ in records) and _long("x", tail) not in serial
    rng.shuffle(records)
    cut = rng.randint(0, len(records))
    partials = []
    for piece in (records[:cut], records[cut:]):
        part = LinearRegions(track=True)
        for record in piece:
            part.add(*record)
        partials.append(json.loads(json.dumps(part.to_partial())))
    old = dict(partials[1])  # as partials were before keys were coded
    ref = old.pop("ref")
    if ref is not None:
        old["keys"] = [code_key(c, ref) for c in old["keys"]]
        old["lookups"] = [[i, code_key(c, ref)] for i, c in old["lookups"]]
    for second in (partials[1], old):
        merged = LinearRegions()
        merged.absorb(partials[0])
        merged.absorb(second)
        assert merged.activation_regions == len(records)
        assert merged.linear_regions == serial.linear_regions


def test_key_codes_are_canonical_and_exact():
    rng = random.Random(7)
    ref = "".join(rng.choice("+-0|,123") for _ in range(300))
    keys = {ref}
    for _ in range(300):
        chars = list(ref)
        for _ in range(rng.choice([0, 1, 2, 5, 40, 200])):
            chars[rng.randrange(len(chars))] = rng.choice("+-0|,123:;~=")
        keys.add("".join(chars))
    keys |= {ref[:-1], ref + "+", "", "+", "=" + ref, "~" + ref[1:]}
    codes = {}
    for key in keys:
        code = key_code(key, ref)
        assert code_key(code, ref) == key
        assert len(code) <= len(key) + 1
        codes.setdefault(code, set()).add(key)
    assert all(len(v) == 1 for v in codes.values())
    assert key_code(ref, ref) == "~" and key_code("\u00e9" * 100, "e" * 100)[0] == "="
    with pytest.raises(ValueError):
        code_key("x", ref)


def test_added_twice_is_an_internal_error():
    lin = LinearRegions()
    lin.add("+", "1,1", [])
    with pytest.raises(PolyregionsError, match=r"region \+ added twice"):
        lin.add("+", "1,1", [])
    other = LinearRegions(track=True)
    other.add("+", "1,1", [])
    with pytest.raises(PolyregionsError, match=r"region \+ found in two subtrees"):
        lin.absorb(other.to_partial())
    bad = other.to_partial()
    bad["root"] = []
    with pytest.raises(PolyregionsError, match="lists of different lengths"):
        LinearRegions().absorb(bad)


def test_merges_are_reported_by_place():
    lin = LinearRegions()
    assert lin.add("a", "m", [None, "b", "c"]) == []
    assert lin.add("b", "m", ["a"]) == [0]
    assert lin.add("c", "n", ["a", "b"]) == []
    assert lin.linear_regions == 2
    assert lin.component("a") == lin.component("b") != lin.component("c")
    assert lin.map_of("c") == "n" and lin.map_of("zz") is None


def test_union_find_counts_components():
    uf = UnionFind()
    for _ in range(5):
        uf.add()
    assert uf.union(0, 1) and uf.union(3, 4) and not uf.union(1, 0)
    assert uf.components == 3 and uf.find(1) == uf.find(0)


def test_map_text_is_canonical():
    assert map_text([[2, 4, 6]], 2) == map_text([[1, 2, 3]], 1) == "1,1,2,3"
    assert map_text([[0, 0]], 5) == "1,0,0"
    assert map_text([[1, 2]], 3) != map_text([[1, 2]], 1)


def test_map_text_of_integers_beyond_the_str_digit_limit():
    import sys

    if not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("this Python has no limit on int/str digits")
    digits = sys.get_int_max_str_digits() + 5
    huge = 10 ** digits + 7  # str(huge) is refused
    text = map_text([[huge, 2 * huge]], 3)
    assert text.split(",") == ["3", "1" + "0" * (digits - 1) + "7", "2" + "0" * (digits - 2) + "14"]
    assert map_text([[2 * huge, 4 * huge]], 6) == text


def test_questions_set_no_reference_key():
    """Asking about a key before any is added leaves the first added key the reference."""
    lin = LinearRegions()
    long = "+" * 100
    assert long + "-" not in lin and lin.map_of(long + "-") is None
    with pytest.raises(KeyError):
        lin.component(long)
    lin.add(long + "+", "m", [])
    assert lin.to_partial()["ref"] == long + "+"
