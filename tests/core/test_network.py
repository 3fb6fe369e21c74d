"""Tests of :mod:`polyregions.core.network`: the exact network model and ``polyregions-network/1``."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import pytest

from polyregions.core import network as network_module
from polyregions.errors import InputError, NetworkError, NumberError, PolyregionsError
from polyregions.core.network import FORMAT, Network, load_network
from polyregions.core.layers import Abs, Affine, HardTanh, Identity, LeakyReLU, Maxout, ReLU
from polyregions.files import parse_json_exact, read_text


def affine(weight, bias=None):
    layer = {"type": "affine", "weight": weight}
    if bias is not None:
        layer["bias"] = bias
    return layer


def doc(layers, input_dim=2, **extra):
    return {"format": FORMAT, "input_dim": input_dim, "layers": layers, **extra}


def write(tmp_path: Path, obj, name="net.json") -> Path:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, indent=2), encoding="utf-8")
    return path


#: Every layer type, ending with an activation, with two affine layers in a row.
EVERY_LAYER = doc([
    affine([[1, "-3/2", 0], ["1/3", 2, -1], [0, 0, 1], [5, "7/11", -2]], [0, "1/3", -1, 2]),
    {"type": "relu"},
    affine([[1, 0, 0, 1], [0, 1, 1, 0], ["-1/2", 0, 1, 0], [1, 1, 1, 1]], [1, 0, 0, "-5/7"]),
    {"type": "leaky_relu", "slope": "1/3"},
    affine([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2]], [0, 0, 0, 0]),
    {"type": "abs"},
    affine([[1, -1, 0, 0], [0, 1, -1, 0], [0, 0, 1, -1], [-1, 0, 0, 1]], ["1/2", 0, 0, 0]),
    {"type": "hardtanh", "min": "-1/2", "max": 2},
    affine([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1]],
           [0, 0, 0, 0, 0, "1/9"]),
    {"type": "maxout", "rank": 3},
    {"type": "identity"},
    affine([[1, 2], [3, 4]], [0, 1]),
    affine([[1, -1]], ["-7/3"]),
    {"type": "relu"},
], input_dim=3, name="every layer", description="one of each")


@pytest.fixture
def every_layer() -> Network:
    return Network.from_json(EVERY_LAYER)


# ---------------------------------------------------------------- building and reading

def test_every_layer_type_is_read_exactly(every_layer):
    net = every_layer
    assert net.input_dim == 3
    assert [type(layer) for layer in net.layers] == [
        Affine, ReLU, Affine, LeakyReLU, Affine, Abs, Affine, HardTanh, Affine, Maxout, Identity,
        Affine, Affine, ReLU]
    first = net.layers[0]
    assert first.weight[0] == (F(1), F(-3, 2), F(0))
    assert first.weight[1] == (F(1, 3), F(2), F(-1))
    assert first.bias == (F(0), F(1, 3), F(-1), F(2))
    assert net.layers[3] == LeakyReLU(F(1, 3))
    assert net.layers[7] == HardTanh(F(-1, 2), F(2))
    assert net.layers[9] == Maxout(3)
    assert net.layers[12].bias == (F(-7, 3),)
    assert all(type(v) is F for layer in net.layers if isinstance(layer, Affine)
               for row in layer.weight for v in row)
    assert net.output_dim == 1
    assert net.widths() == (3, 4, 4, 4, 4, 6, 2, 1)


def test_repr_is_short(every_layer):
    assert repr(every_layer) == (
        "Network(input_dim=3, layers=[Affine(3->4), ReLU(), Affine(4->4), "
        "LeakyReLU(slope=Fraction(1, 3)), Affine(4->4), Abs(), Affine(4->4), "
        "HardTanh(low=Fraction(-1, 2), high=Fraction(2, 1)), Affine(4->6), Maxout(rank=3), "
        "Identity(), Affine(2->2), Affine(2->1), ReLU()])")


def test_save_and_load_round_trip(tmp_path, every_layer):
    path = tmp_path / "every.json"
    every_layer.save(path)
    again = load_network(path)
    assert again == every_layer
    assert hash(again) == hash(every_layer)
    assert again.to_json() == every_layer.to_json()
    # the file is the documented format, numbers as ints or "p/q" strings
    obj = json.loads(path.read_text(encoding="utf-8"))
    assert obj["format"] == "polyregions-network/1"
    assert obj["input_dim"] == 3
    assert obj["layers"][0]["weight"][0] == [1, "-3/2", 0]
    assert obj["layers"][3] == {"type": "leaky_relu", "slope": "1/3"}
    assert obj["layers"][7] == {"type": "hardtanh", "min": "-1/2", "max": 2}
    assert obj["layers"][9] == {"type": "maxout", "rank": 3}
    assert obj["layers"][10] == {"type": "identity"}
    assert obj["layers"][-1] == {"type": "relu"}
    assert [p.name for p in tmp_path.iterdir()] == ["every.json"]


def test_to_json_from_json_round_trip(every_layer):
    assert Network.from_json(every_layer.to_json()) == every_layer
    assert Network.from_json(json.loads(json.dumps(every_layer.to_json()))) == every_layer


@pytest.mark.parametrize("layers", [
    [affine([[1, 2]], [0]), {"type": "relu"}],
    [affine([[1, 2], [3, 4]]), affine([[1, 1]])],
    [affine([["1/2", "-1/3"]]), {"type": "leaky_relu", "slope": "0.2"}],
    [affine([[1, 0], [0, 1]]), {"type": "abs"}],
    [affine([[1, 0]]), {"type": "hardtanh", "min": -1, "max": 1}],
    [affine([[1, 0], [0, 1], [1, 1], [1, -1]]), {"type": "maxout", "rank": 2}],
    [affine([[1, 0]]), {"type": "identity"}],
    [{"type": "relu"}],
    [],
])
def test_round_trip_of_small_networks(tmp_path, layers):
    net = Network.from_json(doc(layers))
    net.save(tmp_path / "n.json")
    assert load_network(tmp_path / "n.json") == net


def test_save_overwrites(tmp_path):
    path = tmp_path / "n.json"
    path.write_text("old", encoding="utf-8")
    net = Network.from_json(doc([affine([[1, 2]])]))
    net.save(str(path))
    assert load_network(str(path)) == net


def test_bias_defaults_to_zero():
    net = Network.from_json(doc([affine([[1, 2], [3, 4]])]))
    assert net.layers[0].bias == (F(0), F(0))


def test_leaky_relu_slope_defaults_to_one_hundredth():
    net = Network.from_json(doc([affine([[1, 2]]), {"type": "leaky_relu"}]))
    assert net.layers[1] == LeakyReLU(F(1, 100))


def test_json_decimals_are_read_exactly():
    text = json.dumps(doc([affine([[0.1, 1], [1e-3, 2]], [0.5, -2.5e2]),
                           {"type": "leaky_relu", "slope": 0.01}]))
    assert "0.1" in text
    net = Network.from_json(parse_json_exact(text))
    assert net.layers[0].weight == ((F(1, 10), F(1)), (F(1, 1000), F(2)))
    assert net.layers[0].bias == (F(1, 2), F(-250))
    assert net.layers[1] == LeakyReLU(F(1, 100))


def test_json_decimal_literal_spelled_in_the_file(tmp_path):
    text = ('{"format": "polyregions-network/1", "input_dim": 1, "layers": ['
            '{"type": "affine", "weight": [[0.1], [-2.5E2], [1e-3], [0.30000000000000004]],'
            ' "bias": [0.0, 3, -0.1, 1E2]}]}')
    net = load_network(write(tmp_path, text))
    assert net.layers[0].weight == ((F(1, 10),), (F(-250),), (F(1, 1000),), (F(30000000000000004, 10**17),))
    assert net.layers[0].bias == (F(0), F(3), F(-1, 10), F(100))


def test_parse_json_exact_types():
    obj = parse_json_exact('{"a": 0.1, "b": 3, "c": [1e2, "x", null, true]}')
    assert obj == {"a": Decimal("0.1"), "b": 3, "c": [Decimal("1e2"), "x", None, True]}
    assert type(obj["a"]) is Decimal and type(obj["b"]) is int


def test_parse_json_exact_reads_long_integers_exactly():
    digits = "9" * 5000
    obj = parse_json_exact(f"[{digits}, -{digits}]")
    assert [F(v) for v in obj] == [F(10**5000 - 1), F(1 - 10**5000)]


def test_long_integers_in_a_model_file(tmp_path):
    digits = "3" * 5000
    net = load_network(write(tmp_path, f'{{"format": "polyregions-network/1", "input_dim": 1, '
                                       f'"layers": [{{"type": "affine", "weight": [[{digits}]]}}]}}'))
    assert net.layers[0].weight == ((F(int(Decimal(digits))),),)
    net.save(tmp_path / "again.json")
    assert load_network(tmp_path / "again.json") == net


def test_name_and_description_are_allowed():
    assert Network.from_json(doc([], name="x", description="y")) == Network(2, ())


# ---------------------------------------------------------------- Network.mlp

def test_mlp_relu():
    net = Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]])
    assert net == Network(2, (Affine(((F(1), F(0)), (F(0), F(1))), (F(0), F(0))), ReLU(),
                              Affine(((F(1), F(1)),), (F(0),))))
    assert repr(net) == "Network(input_dim=2, layers=[Affine(2->2), ReLU(), Affine(2->1)])"
    assert net.output_dim == 1
    assert net.widths() == (2, 2, 1)


def test_mlp_with_options_and_final_activation():
    net = Network.mlp([[[1, 0], [0, 1]], [["1/2", "0.5"]]], [[0, 0], ["-1/3"]],
                      activation="leaky_relu", final_activation="leaky_relu", slope="1/3")
    assert net.layers == (Affine(((F(1), F(0)), (F(0), F(1))), (F(0), F(0))), LeakyReLU(F(1, 3)),
                          Affine(((F(1, 2), F(1, 2)),), (F(-1, 3),)), LeakyReLU(F(1, 3)))


def test_mlp_maxout():
    net = Network.mlp([[[1, 0], [0, 1], [1, 1], [1, -1]], [[1, 2]]], [[0] * 4, [0]],
                      activation="maxout", rank=2)
    assert net.layers[1] == Maxout(2)
    assert net.widths() == (2, 4, 1)
    assert net.output_dim == 1


@pytest.mark.parametrize("kind, options, layer", [
    ("abs", {}, Abs()),
    ("identity", {}, Identity()),
    ("hardtanh", {"min": -1, "max": "1/2"}, HardTanh(F(-1), F(1, 2))),
])
def test_mlp_other_activations(kind, options, layer):
    net = Network.mlp([[[1]], [[2]]], [[0], [1]], activation=kind, **options)
    assert net.layers[1] == layer


def test_mlp_errors():
    with pytest.raises(NetworkError, match=r"^mlp: 1 weight matrices but 2 bias vectors$"):
        Network.mlp([[[1, 0]]], [[0], [0]])
    with pytest.raises(NetworkError, match=r"^mlp: no layers$"):
        Network.mlp([], [])
    with pytest.raises(NetworkError, match=r"^layers\[1\]: unknown layer type 'softmax' \(known: abs, affine, "):
        Network.mlp([[[1]], [[1]]], [[0], [0]], activation="softmax")
    with pytest.raises(NetworkError, match=r"^layers\[1\]: unknown layer type 'affine'"):
        Network.mlp([[[1]], [[1]]], [[0], [0]], activation="affine")
    with pytest.raises(NetworkError, match=r"^layers\[2\]: weight has 2 columns, expected 1$"):
        Network.mlp([[[1, 0], [0, 1]], [[1, 1]]], [[0, 0], [0]], activation="maxout", rank=2)
    with pytest.raises(NumberError, match=r"^layers\[2\]: weight\[0\]\[0\]: expected a finite number, got 'nan'$"):
        Network.mlp([[[1]], [["nan"]]], [[0], [0]])
    with pytest.raises(NetworkError, match=r"^mlp: option\(s\) slope belong to no activation asked for \(relu\)$"):
        Network.mlp([[[1]], [[1]]], [[0], [0]], slope=1)


# ---------------------------------------------------------------- exception types

def test_exception_hierarchy():
    for cls in (NetworkError, InputError, NumberError):
        assert issubclass(cls, ValueError)
        assert issubclass(cls, PolyregionsError)
    assert issubclass(NetworkError, InputError)


def test_errors_are_caught_as_value_error_and_polyregions_error():
    with pytest.raises(ValueError):
        Network.from_json(doc([{"type": "softmax"}]))
    with pytest.raises(PolyregionsError):
        Network.from_json(doc([{"type": "softmax"}]))


# ---------------------------------------------------------------- format errors

BAD_DOCUMENTS = [
    ("not an object", [1, 2], r"^expected a JSON object, got list$"),
    ("null", None, r"^expected a JSON object, got null$"),
    ("wrong format", {**doc([]), "format": "polyregions-network/2"},
     r"^format: expected 'polyregions-network/1', got 'polyregions-network/2'$"),
    ("missing format", {"input_dim": 2, "layers": []},
     r"^format: missing; expected a polyregions-network/1 object with keys 'format' "
     r"\('polyregions-network/1'\), 'input_dim' and 'layers'$"),
    ("state dict", {"0.weight": [[1.0, 2.0]], "0.bias": [0.0], "2.weight": [[1.0]], "2.bias": [0.0]},
     r"^this looks like a PyTorch state dict \(keys '0.weight', '0.bias', '2.weight', \.\.\.\), not a "
     r"polyregions-network/1 object; build the network from the tensors with Network.mlp\(weights, "
     r"biases, activation=\.\.\.\) \(README: 'Models from PyTorch and NumPy'\)$"),
    ("unknown key", {**doc([]), "weights": 1, "activation": 2},
     r"^unknown top-level key\(s\): activation, weights$"),
    ("missing input_dim", {"format": FORMAT, "layers": []}, r"^missing 'input_dim'$"),
    ("input_dim string", doc([], input_dim="2"), r"^input_dim: expected an integer, got string '2'$"),
    ("input_dim float", doc([], input_dim=Decimal("2.0")),
     r"^input_dim: expected an integer, got number Decimal\('2.0'\)$"),
    ("input_dim boolean", doc([], input_dim=True), r"^input_dim: expected an integer, got boolean True$"),
    ("input_dim null", doc([], input_dim=None), r"^input_dim: expected an integer, got null None$"),
    ("input_dim zero", doc([], input_dim=0), r"^input_dim must be between 1 and 1000, got 0$"),
    ("input_dim negative", doc([], input_dim=-3), r"^input_dim must be between 1 and 1000, got -3$"),
    ("input_dim absurd", doc([], input_dim=10**9), r"^input_dim must be between 1 and 1000, got 1000000000$"),
    ("layers missing", {"format": FORMAT, "input_dim": 2}, r"^layers: expected a list, got null$"),
    ("layers object", doc({"type": "relu"}), r"^layers: expected a list, got object$"),
    ("layers string", doc("relu"), r"^layers: expected a list, got string$"),
    ("layer number", doc([affine([[1, 1]]), 5]), r"^layers\[1\]: expected an object, got number$"),
    ("layer list", doc([[1, 2]]), r"^layers\[0\]: expected an object, got list$"),
    ("unknown type", doc([affine([[1, 1]]), {"type": "softmax"}]),
     r"^layers\[1\]: unknown layer type 'softmax' \(known: abs, affine, hardtanh, identity, leaky_relu, "
     r"maxout, relu\)$"),
    ("missing type", doc([{"weight": [[1, 1]]}]), r"^layers\[0\]: unknown layer type None "),
    ("type not a string", doc([{"type": 3}]), r"^layers\[0\]: unknown layer type 3 "),
    ("unknown affine field", doc([{"type": "affine", "weight": [[1, 1]], "weights": 1}]),
     r"^layers\[0\] \(affine\): unknown field\(s\) weights$"),
    ("unknown activation field", doc([affine([[1, 1]]), {"type": "relu", "slope": 1}]),
     r"^layers\[1\] \(relu\): unknown field\(s\) slope$"),
    ("affine missing weight", doc([{"type": "affine", "bias": [0]}]),
     r"^layers\[0\] \(affine\): missing 'weight'$"),
    ("weight empty", doc([affine([])]), r"^layers\[0\] \(affine\): weight must be a non-empty list of rows, got list \[\]$"),
    ("weight string", doc([affine("[[1]]")]),
     r"^layers\[0\] \(affine\): weight must be a non-empty list of rows, got str '\[\[1\]\]'$"),
    ("weight object", doc([affine({"0": [1, 1]})]),
     r"^layers\[0\] \(affine\): weight must be a non-empty list of rows, got dict \{'0': \[1, 1\]\}$"),
    ("weight row empty", doc([affine([[]])]),
     r"^layers\[0\] \(affine\): weight\[0\] must be a non-empty list of numbers$"),
    ("weight row number", doc([affine([[1, 1], 2])]),
     r"^layers\[0\] \(affine\): weight\[1\] must be a non-empty list of numbers$"),
    ("ragged rows", doc([affine([[1, 2], [3]])]),
     r"^layers\[0\] \(affine\): weight row 1 has 1 entries, row 0 has 2$"),
    ("column mismatch first layer", doc([affine([[1, 2, 3]])]),
     r"^layers\[0\]: weight has 3 columns, expected 2$"),
    ("column mismatch", doc([affine([[1, 0], [0, 1], [1, 1]]), {"type": "relu"}, affine([[1, 2, 3, 4]])]),
     r"^layers\[2\]: weight has 4 columns, expected 3$"),
    ("column mismatch after maxout", doc([affine([[1, 0], [0, 1], [1, 1], [1, -1]]),
                                          {"type": "maxout", "rank": 2}, affine([[1, 2, 3]])]),
     r"^layers\[2\]: weight has 3 columns, expected 2$"),
    ("bias too long", doc([affine([[1, 2]], [0, 0])]),
     r"^layers\[0\] \(affine\): bias has 2 entries, weight has 1 rows$"),
    ("bias too short", doc([affine([[1, 2], [3, 4]], [0])]),
     r"^layers\[0\] \(affine\): bias has 1 entries, weight has 2 rows$"),
    ("bias string", doc([affine([[1, 2]], "0")]), r"^layers\[0\] \(affine\): bias must be a list of numbers$"),
    ("bias number", doc([affine([[1, 2]], 0)]), r"^layers\[0\] \(affine\): bias must be a list of numbers$"),
    ("NaN string", doc([affine([[1, "nan"]])]),
     r"^layers\[0\] \(affine\): weight\[0\]\[1\]: expected a finite number, got 'nan'$"),
    ("Infinity string", doc([affine([[1, 1]], ["-Infinity"])]),
     r"^layers\[0\] \(affine\): bias\[0\]: expected a finite number, got '-Infinity'$"),
    ("boolean weight", doc([affine([[1, 1]]), {"type": "relu"}, affine([[True]])]),
     r"^layers\[2\] \(affine\): weight\[0\]\[0\]: expected a number, got boolean True$"),
    ("null weight", doc([affine([[1, None]])]),
     r"^layers\[0\] \(affine\): weight\[0\]\[1\]: expected a number, got NoneType None$"),
    ("nested weight", doc([affine([[1, [2]]])]),
     r"^layers\[0\] \(affine\): weight\[0\]\[1\]: expected a number, got list \[2\]$"),
    ("text weight", doc([affine([[1, "two"]])]),
     r"^layers\[0\] \(affine\): weight\[0\]\[1\]: expected a number, got 'two'$"),
    ("zero denominator", doc([affine([[1, "1/0"]])]),
     r"^layers\[0\] \(affine\): weight\[0\]\[1\]: zero denominator in '1/0'$"),
    ("absurd exponent", doc([affine([[1, "1e100000"]])]),
     r"^layers\[0\] \(affine\): weight\[0\]\[1\]: number 1E\+100000 has an absurd exponent$"),
    ("maxout rank not dividing", doc([affine([[1, 0], [0, 1], [1, 1]]), {"type": "maxout", "rank": 2}]),
     r"^layers\[1\]: maxout rank 2 does not divide the width 3$"),
    ("maxout rank 0", doc([affine([[1, 0]]), {"type": "maxout", "rank": 0}]),
     r"^layers\[1\] \(maxout\): rank must be a positive integer, got 0$"),
    ("maxout rank negative", doc([affine([[1, 0]]), {"type": "maxout", "rank": -2}]),
     r"^layers\[1\] \(maxout\): rank must be a positive integer, got -2$"),
    ("maxout rank decimal", doc([affine([[1, 0]]), {"type": "maxout", "rank": Decimal("1.5")}]),
     r"^layers\[1\] \(maxout\): rank must be a positive integer, got Decimal\('1.5'\)$"),
    ("maxout rank string", doc([affine([[1, 0]]), {"type": "maxout", "rank": "2"}]),
     r"^layers\[1\] \(maxout\): rank must be a positive integer, got '2'$"),
    ("maxout rank boolean", doc([affine([[1, 0]]), {"type": "maxout", "rank": True}]),
     r"^layers\[1\] \(maxout\): rank must be a positive integer, got True$"),
    ("maxout missing rank", doc([affine([[1, 0]]), {"type": "maxout"}]),
     r"^layers\[1\] \(maxout\): missing rank$"),
    ("hardtanh min = max", doc([affine([[1, 0]]), {"type": "hardtanh", "min": 1, "max": "2/2"}]),
     r"^layers\[1\]: hardtanh needs min < max, got min=1 max=1$"),
    ("hardtanh min > max", doc([affine([[1, 0]]), {"type": "hardtanh", "min": "1/2", "max": "-1/2"}]),
     r"^layers\[1\]: hardtanh needs min < max, got min=1/2 max=-1/2$"),
    ("hardtanh missing max", doc([affine([[1, 0]]), {"type": "hardtanh", "min": 0}]),
     r"^layers\[1\] \(hardtanh\): missing max$"),
    ("hardtanh missing both", doc([affine([[1, 0]]), {"type": "hardtanh"}]),
     r"^layers\[1\] \(hardtanh\): missing max, min$"),
    ("hardtanh NaN", doc([affine([[1, 0]]), {"type": "hardtanh", "min": "nan", "max": 1}]),
     r"^layers\[1\] \(hardtanh\): min: expected a finite number, got 'nan'$"),
    ("leaky slope text", doc([affine([[1, 0]]), {"type": "leaky_relu", "slope": "x"}]),
     r"^layers\[1\] \(leaky_relu\): slope: expected a number, got 'x'$"),
    ("leaky slope boolean", doc([affine([[1, 0]]), {"type": "leaky_relu", "slope": False}]),
     r"^layers\[1\] \(leaky_relu\): slope: expected a number, got boolean False$"),
]


@pytest.mark.parametrize("obj, pattern", [case[1:] for case in BAD_DOCUMENTS],
                         ids=[case[0] for case in BAD_DOCUMENTS])
def test_bad_documents(obj, pattern):
    with pytest.raises(NetworkError, match=pattern):
        Network.from_json(obj)


def _leaves(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _leaves(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


#: The cases that a file can spell as they are (Decimal("2.0") would be written 2.0, read as Decimal).
FILE_CASES = [case for case in BAD_DOCUMENTS if not any(isinstance(v, Decimal) for v in _leaves(case[1]))]


@pytest.mark.parametrize("obj, pattern", [case[1:] for case in FILE_CASES], ids=[case[0] for case in FILE_CASES])
def test_bad_files_name_the_file(tmp_path, obj, pattern):
    path = write(tmp_path, json.dumps(obj))
    with pytest.raises(NetworkError, match=f"^{re.escape(str(path))}: " + pattern.lstrip("^")):
        load_network(path)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_tokens_name_the_layer(tmp_path, token):
    text = ('{"format": "polyregions-network/1", "input_dim": 2, "layers": ['
            '{"type": "affine", "weight": [[1, 0], [0, 1]]}, {"type": "relu"},'
            f'{{"type": "affine", "weight": [[1, {token}]]}}]}}')
    path = write(tmp_path, text)
    with pytest.raises(NetworkError,
                       match=rf"^{re.escape(str(path))}: layers\[2\] \(affine\): weight\[0\]\[1\]: "
                             rf"expected a finite number, got {token}$"):
        load_network(path)


def test_non_finite_token_in_a_slope(tmp_path):
    path = write(tmp_path, '{"format": "polyregions-network/1", "input_dim": 1, "layers": ['
                           '{"type": "affine", "weight": [[1]]}, {"type": "leaky_relu", "slope": NaN}]}')
    with pytest.raises(NetworkError, match=r"layers\[1\] \(leaky_relu\): slope: expected a finite number, got NaN$"):
        load_network(path)


def test_non_finite_token_as_input_dim():
    with pytest.raises(NetworkError, match=r"^input_dim: expected an integer, got number Decimal\('NaN'\)$"):
        Network.from_json(parse_json_exact('{"format": "polyregions-network/1", "input_dim": NaN, "layers": []}'))


# ---------------------------------------------------------------- from_layers and Affine.from_lists

def test_from_layers_errors(monkeypatch):
    with pytest.raises(NetworkError, match=r"^input_dim must be an integer, got True$"):
        Network.from_layers(True, [])
    with pytest.raises(NetworkError, match=r"^input_dim must be an integer, got 2.0$"):
        Network.from_layers(2.0, [])
    with pytest.raises(NetworkError, match=r"^input_dim must be between 1 and 1000, got 1001$"):
        Network.from_layers(1001, [])
    with pytest.raises(NetworkError, match=r"^layers\[0\]: unknown layer 'relu'$"):
        Network.from_layers(2, ["relu"])
    with pytest.raises(NetworkError, match=r"^layers\[0\]: bias has 2 entries, expected 1$"):
        Network.from_layers(2, [Affine(((F(1), F(2)),), (F(0), F(0)))])
    with pytest.raises(NetworkError, match=r"^layers\[1\]: maxout rank must be a positive integer, got True$"):
        Network.from_layers(2, [Affine.from_lists([[1, 2]]), Maxout(True)])
    with pytest.raises(NetworkError, match=r"^layers\[1\]: maxout rank must be a positive integer, got 0$"):
        Network.from_layers(2, [Affine.from_lists([[1, 2]]), Maxout(0)])
    with pytest.raises(NetworkError, match=r"^layers\[1\]: hardtanh needs min < max, got min=0 max=0$"):
        Network.from_layers(2, [Affine.from_lists([[1, 2]]), HardTanh(F(0), F(0))])


def test_width_and_parameter_limits(monkeypatch):
    monkeypatch.setattr(network_module, "MAX_WIDTH", 3)
    with pytest.raises(NetworkError, match=r"^layers\[0\]: width 4 exceeds the limit 3$"):
        Network.from_layers(2, [Affine.from_lists([[1, 2]] * 4)])
    monkeypatch.setattr(network_module, "MAX_WIDTH", 100)
    monkeypatch.setattr(network_module, "MAX_PARAMETERS", 8)
    assert Network.from_layers(2, [Affine.from_lists([[1, 2]] * 2), ReLU()]).widths() == (2, 2)  # 6 parameters
    with pytest.raises(NetworkError, match=r"^layers\[2\]: more than 8 parameters$"):
        Network.from_layers(2, [Affine.from_lists([[1, 2]] * 2), ReLU(), Affine.from_lists([[1, 2]])])


def test_affine_from_lists():
    layer = Affine.from_lists([[1, "1/2"], [Decimal("0.25"), 0.5]], ["-1", F(1, 3)])
    assert layer == Affine(((F(1), F(1, 2)), (F(1, 4), F(1, 2))), (F(-1), F(1, 3)))
    assert (layer.in_dim, layer.out_dim) == (2, 2)
    assert repr(layer) == "Affine(2->2)"
    assert Affine.from_lists(((1, 2),)).bias == (F(0),)


def test_affine_from_lists_errors():
    with pytest.raises(NetworkError, match=r"^affine: weight must be a non-empty list of rows, got bytes b'12'$"):
        Affine.from_lists(b"12")
    with pytest.raises(NetworkError, match=r"^affine: weight\[0\] must be a non-empty list of numbers$"):
        Affine.from_lists(["12"])
    with pytest.raises(NetworkError, match=r"^affine: bias must be a list of numbers$"):
        Affine.from_lists([[1, 2]], {0: 1})
    with pytest.raises(NumberError, match=r"^here: weight\[0\]\[1\]: expected a number, got NoneType None$"):
        Affine.from_lists([[1, None]], place="here")
    with pytest.raises(NumberError, match=r"^affine: bias\[0\]: expected a finite number, got inf$"):
        Affine.from_lists([[1, 2]], [float("inf")])


def test_reprs_of_activations():
    assert repr(ReLU()) == "ReLU()"
    assert repr(Abs()) == "Abs()"
    assert repr(Identity()) == "Identity()"
    assert repr(Maxout(2)) == "Maxout(rank=2)"


# ---------------------------------------------------------------- files and JSON syntax

VALID = json.dumps(doc([affine([[1, 0], [0, 1]], [0, 0]), {"type": "relu"}, affine([[1, 1]], [0])]), indent=2)


def test_truncated_file_gives_line_and_column(tmp_path):
    text = VALID[: len(VALID) // 2]
    path = write(tmp_path, text)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        line, column, msg = exc.lineno, exc.colno, exc.msg
    else:  # pragma: no cover
        raise AssertionError("half a file parsed")
    assert line > 1
    msg = msg.removesuffix(" at")  # "Unterminated string starting at": the place is said once (issue 22)
    with pytest.raises(InputError,
                       match=rf"^{re.escape(str(path))}: malformed JSON: {msg} at line {line} column {column}$"):
        load_network(path)


@pytest.mark.parametrize("text, where", [
    ("", "Expecting value at line 1 column 1"),
    ("{", r"Expecting property name enclosed in double quotes at line 1 column 2"),
    ('{"format": "polyregions-network/1",\n "input_dim": 2,\n "layers": [}', "Expecting value at line 3 column 13"),
    ("{'format': 1}", "Expecting property name enclosed in double quotes at line 1 column 2"),
    ('{"a": 1} x', "Extra data at line 1 column 10"),
    ('{"a": 01}', "Expecting ',' delimiter at line 1 column 8"),
])
def test_malformed_json(tmp_path, text, where):
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: malformed JSON: {where}$"):
        load_network(path)


def test_deeply_nested_json():
    with pytest.raises(InputError, match=r"^deep.json: JSON nested too deeply$"):
        parse_json_exact("[" * 100_000 + "]" * 100_000, "deep.json")


def test_parse_json_exact_default_source():
    with pytest.raises(InputError, match=r"^input: malformed JSON: Expecting value at line 1 column 1$"):
        parse_json_exact("")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: no such model file$"):
        load_network(path)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(InputError, match=rf"^{re.escape(str(tmp_path))}: is a directory, expected a model file$"):
        load_network(tmp_path)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(VALID.encode("utf-8").replace(b'"relu"', b'"r\xe9lu"'))
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: not UTF-8 text$"):
        load_network(path)


@pytest.mark.parametrize("name, head, kind", [
    ("model.pt", b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe", r"a zip archive \(a PyTorch \.pt/\.pth file"),
    ("old.pt", b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8\xff", r"a Python pickle"),
    ("w.npy", b"\x93NUMPY\x01\x00v\x00\xff", r"a NumPy \.npy array"),
    ("k.h5", b"\x89HDF\r\n\x1a\n\xff\xfe", r"an HDF5 file"),
    ("m.onnx", b"\x08\x07\x12\x07pytorch\xff\xfe", r"an ONNX model"),
])
def test_binary_model_files_say_what_they_look_like(tmp_path, name, head, kind):
    path = tmp_path / name
    path.write_bytes(head)
    unreadable = r"not (UTF-8 text|a text file \(a NUL byte at offset [\d,]+\))"
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: {unreadable}; this looks like {kind}"
                                         r".*; polyregions reads its own JSON format \(polyregions-network/1\): "
                                         r"build the network from the weights with Network\.mlp"):
        load_network(path)
    # other files name what they look like, without the advice about models
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: {unreadable}; this looks like {kind}[^;]*$"):
        read_text(path, "certificate file")


def test_array_likes_in_mlp_and_affine():
    np = pytest.importorskip("numpy")
    net = Network.mlp([np.array([[1.0, -0.5], [0.25, 2.0]]), np.array([[1, 1]])],
                      [np.array([0.5, 0.0]), np.array([-3])], activation="abs")
    assert net == Network.mlp([[[1, "-1/2"], ["1/4", 2]], [[1, 1]]], [["1/2", 0], [-3]], activation="abs")
    # a float is the exact binary value it holds, as everywhere
    assert Affine.from_lists(np.array([[0.1]])).weight == ((F(0.1),),)
    # a stacked array of equal-shape layers, and a non-NumPy object with tolist()

    class Tensor:
        def __init__(self, data):
            self.data = data

        def tolist(self):
            return self.data

    stacked = np.array([[[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]]])
    net = Network.mlp(stacked, [Tensor([0, 0]), Tensor([1, 1])])
    assert net.layers[2].weight == ((2, 0), (0, 2)) and net.layers[2].bias == (1, 1)
    with pytest.raises(NetworkError, match=r"^mlp: weights must be a list with one entry per affine layer, "
                                           r"got int 3$"):
        Network.mlp(3, [[0]])
    with pytest.raises(NetworkError, match=r"^layers\[0\]: weight must be a non-empty list of rows, got float 1\.5$"):
        Network.mlp([np.float64(1.5)], [[0]])


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, VALID)

    def refuse(name, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(name))

    from polyregions.checker import fileformat
    monkeypatch.setattr(fileformat, "open", refuse, raising=False)  # what fileformat.read_file opens with
    with pytest.raises(InputError, match=rf"^{re.escape(str(path))}: cannot read: Permission denied$"):
        load_network(path)


def test_read_text_names_what(tmp_path):
    with pytest.raises(InputError, match=rf"^{re.escape(str(tmp_path / 'd.json'))}: no such domain file$"):
        read_text(tmp_path / "d.json", "domain file")
    assert read_text(write(tmp_path, "héllo")) == "héllo"


def test_file_errors_are_input_errors_and_value_errors(tmp_path):
    with pytest.raises(ValueError):
        load_network(tmp_path / "missing.json")
    with pytest.raises(PolyregionsError):
        load_network(tmp_path / "missing.json")


def test_mlp_options_go_to_the_layers_that_have_them():
    w, b = [[[1, 0], [0, 1]], [[1, 1], [1, -1]]], [[0, 0], [0, 0]]
    net = Network.mlp(w, b, activation="leaky_relu", slope="1/100", final_activation="relu")
    assert [layer["type"] for layer in net.to_json()["layers"]] == ["affine", "leaky_relu", "affine", "relu"]
    assert net.to_json()["layers"][1]["slope"] == "1/100"
    net = Network.mlp(w, b, activation="relu", final_activation="leaky_relu", slope="1/3")
    assert net.to_json()["layers"][3] == {"type": "leaky_relu", "slope": "1/3"}
    net = Network.mlp([[[1, 0], [0, 1], [1, 1], [0, 0]], [[1, 1]]], [[0, 0, 0, 0], [0]], activation="maxout",
                      rank=2, final_activation="relu")
    assert net.to_json()["layers"][1] == {"type": "maxout", "rank": 2}
    with pytest.raises(NetworkError, match=r"^mlp: option\(s\) slope belong to no activation asked for \(relu\)$"):
        Network.mlp(w, b, activation="relu", slope=1)
    with pytest.raises(NetworkError, match=r"unknown layer type 'nope'"):
        Network.mlp(w, b, activation="nope", slope=1)
