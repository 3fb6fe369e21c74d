"""The peer data of relucent (../shared/external/relucent): published activation-region counts.

Each fixture is an fc -> ReLU MLP with a ReLU after the last layer too, and the
published number is its count of activation regions over all of R^d, computed by
relucent in floating point. The JSON files hold the exact float64 weights. Besides
the count, every region is checked independently: its interior point, evaluated
pointwise in exact rationals, sits on no breakpoint and shows the region's own
pattern, so the regions are distinct, full-dimensional and truly there.
"""

from __future__ import annotations

import json

import pytest

from polyregions.queries.count import count_regions
from polyregions.search.engine import enumerate_regions
from polyregions.core.network import load_network

from tests.support.pointwise import evaluate, is_generic

SMALL = ["phantom_ckpt0", "parity_ckpt10", "shi_bound_5303", "parity_6013", "parity_4630"]
LARGE = ["parity_5065", "parity_5490"]


def _published(relucent_dir, fixture):
    manifest = json.loads((relucent_dir / "manifest.json").read_text())
    entry = next(w for w in manifest["witnesses"] if w["id"] == fixture)
    return entry["expected"]


def _check(relucent_dir, fixture):
    net = load_network(relucent_dir / f"{fixture}.json")
    seen = set()
    for region in enumerate_regions(net):
        point = region.interior_point
        pattern, _ = evaluate(net, point)
        assert pattern == region.pattern
        assert is_generic(pattern, net, point)
        seen.add(region.key)
    return net, seen


@pytest.mark.parametrize("fixture", SMALL + [pytest.param(f, marks=pytest.mark.slow) for f in LARGE])
def test_published_count(relucent_dir, fixture):
    """The small fixtures run by default, the large ones in make test-slow."""
    expected = _published(relucent_dir, fixture)
    _, seen = _check(relucent_dir, fixture)
    assert len(seen) == expected["n_regions"]


@pytest.mark.slow
def test_dual_recovery_against_reference(relucent_dir):
    """No count is published for this fixture: the slow reference decides."""
    from tests.support.reference import reference_regions

    net = load_network(relucent_dir / "dual_recovery_4392.json")
    keys = {r.key for r in enumerate_regions(net)}
    assert keys == {r.key for r in reference_regions(net)}


@pytest.mark.slow
def test_meta_graph_large_unconfirmed_count(relucent_dir):
    """relucent publishes 63,096 with methods_agree false. Every region the engine
    finds is certified by a generic interior point that shows its own pattern, so the
    regions are distinct and real: the published count is too small."""
    expected = _published(relucent_dir, "meta_graph_large")
    assert expected["methods_agree"] is False
    _, seen = _check(relucent_dir, "meta_graph_large")
    assert len(seen) > expected["n_regions"]


def test_counts_report_both_kinds(relucent_dir):
    net = load_network(relucent_dir / "parity_6013.json")
    counts = count_regions(net)
    assert counts.activation_regions == 1237
    assert counts.linear_regions is not None and counts.linear_regions < counts.activation_regions
