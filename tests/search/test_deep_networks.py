"""Very deep networks end to end (issue 14, item 6): no RecursionError, no traceback.

The engine side (count, regions, certify) needs the iterative engine of issue 9; the
checker side works now: it walks the tree with an explicit stack.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.clirun import run
from polyregions.checker.check import FORMAT, check_certificate, model_digest

DEPTH = 1000


def deep_model(depth: int = DEPTH) -> dict:
    """relu applied *depth* times to x: 2 regions (x > 0, where every unit is on, and
    x < 0, where the first unit is off and the others see a constant 0)."""
    layers = []
    for _ in range(depth):
        layers += [{"type": "affine", "weight": [[1]], "bias": [0]}, {"type": "relu"}]
    return {"format": "polyregions-network/1", "input_dim": 1, "layers": layers}


def deep_certificate(model: dict, depth: int = DEPTH) -> dict:
    """The certificate certify would write: on x > 0, unit d's branch '-' (x < 0) is
    dropped with 1 * (x > 0) + 1 * (x < 0)."""
    return {"format": FORMAT, "model_sha256": model_digest(model), "domain": {"A": [], "b": []},
            "counts": {"activation_regions": 2},
            "regions": [{"states": ["+"] * depth, "point": ["1"]},
                        {"states": ["-"] + ["0"] * (depth - 1), "point": ["-1"]}],
            "pruned": [{"prefix": ["+"] * d, "state": "-", "multipliers": [[[d, 0], 1], [[0, 0], 1]]}
                       for d in range(1, depth)]}


def test_the_hand_made_certificate_is_what_certify_makes():
    from polyregions.certificates.regions import certify
    from polyregions.core.network import Network

    model = deep_model(30)
    assert json.loads(json.dumps(certify(Network.from_json(model)))) == deep_certificate(model, 30)


def test_checker_on_a_thousand_layers():
    model = deep_model()
    assert check_certificate(deep_certificate(model), model) == {"activation_regions": 2}


@pytest.mark.parametrize("command", ["count", "regions", "certify"])
def test_engine_on_a_thousand_layers(capsys, tmp_path: Path, command):
    model = tmp_path / "deep.json"
    model.write_text(json.dumps(deep_model()))
    output = ["-o", tmp_path / "out.json"] if command != "count" else ["--json"]
    code, out, err = run(capsys, command, model, *output)
    assert (code, err) == (0, "")
    if command == "count":
        assert json.loads(out)["activation_regions"] == 2
    if command == "certify":
        code, out, err = run(capsys, "check", tmp_path / "out.json", model)
        assert (code, err) == (0, "") and out.startswith("VALID activation_regions=2 ")
