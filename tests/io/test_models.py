"""load_model, --rationalize, --input-dim, --arch and `polyregions convert` on every command."""

from __future__ import annotations

import json
import re
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest

from polyregions import Network, load_model
from polyregions.checker.check import model_digest
from polyregions.errors import InputError
from polyregions.io import model_kind, rationalize_network, save_model
from polyregions.io.layers import Fold, batchnorm_affine, check_input_dim, compose, finalize, rational_sqrt
from polyregions.core.layers import Affine, HardTanh, LeakyReLU, ReLU

from tests.support.clirun import assert_one_error_line, run

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.json"
NOTE = "weights rationalized: every number snapped to the nearest rational with denominator <= 10"


def onnx_demo(tmp_path):
    """examples/demo.json as an ONNX file with float64 weights."""
    onnx = pytest.importorskip("onnx", reason="needs the onnx package (test extra)")
    np = pytest.importorskip("numpy")
    from onnx import TensorProto, helper, numpy_helper

    net = load_model(DEMO)
    nodes, inits, current = [], [], "x"
    affines = [layer for layer in net.layers if isinstance(layer, Affine)]
    for i, layer in enumerate(affines):
        inits += [numpy_helper.from_array(np.array([[float(v) for v in row] for row in layer.weight]), f"w{i}"),
                  numpy_helper.from_array(np.array([float(v) for v in layer.bias]), f"b{i}")]
        nodes += [helper.make_node("Gemm", [current, f"w{i}", f"b{i}"], [f"z{i}"], transB=1),
                  helper.make_node("Relu", [f"z{i}"], ["y" if i == len(affines) - 1 else f"a{i}"])]
        current = f"a{i}"
    graph = helper.make_graph(nodes, "demo", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["b", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["b", 1])], initializer=inits)
    path = tmp_path / "demo.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    return path


def test_load_model_sources(tmp_path):
    net = load_model(DEMO)
    assert load_model(net) is net
    assert load_model(net.to_json()) == net
    assert load_model(str(DEMO)) == net
    with pytest.raises(InputError, match=r"^load_model: expected a path, a Network, a JSON object, an ONNX model "
                                         r"or a torch module, got int$"):
        load_model(3)
    with pytest.raises(InputError, match=r"^--arch: only for PyTorch state dicts \(\.pt/\.pth\); this model "
                                         r"records its layers$"):
        load_model(DEMO, arch="mlp:relu")
    with pytest.raises(InputError, match=r"demo\.json has 2 inputs, but --input-dim is 5$"):
        load_model(DEMO, input_dim=5)
    with pytest.raises(InputError, match=r"^the network has 2 inputs, but --input-dim is 4$"):
        load_model(net, input_dim=4)
    assert load_model(DEMO, input_dim=2) == net


def test_model_kind_by_extension_then_first_bytes(tmp_path):
    assert [model_kind(p) for p in ("a.json", "a.onnx", "a.PT", "a.pth")] == ["json", "onnx", "torch", "torch"]
    for head, kind in ((b"PK\x03\x04rest", "torch"), (b"\x80\x02", "torch"), (b"\x08\x07\x12", "onnx"),
                       (b'{"format"', "json")):
        (tmp_path / "model.bin").write_bytes(head)
        assert model_kind(tmp_path / "model.bin") == kind
    assert model_kind(tmp_path / "missing.model") == "json"


def test_layers_helpers():
    a = Affine.from_lists([[1, 2]], [1])
    b = Affine.from_lists([[3]], [-1])
    assert compose(a, b) == Affine.from_lists([[3, 6]], [2])
    shift = Fold(Affine.from_lists([[1]], [5]), "Add")
    # folds merge forward when no affine layer is before them, and two folds merge with each other
    assert finalize([shift, shift, b]) == [compose(compose(shift.affine, shift.affine), b)]
    assert finalize([ReLU(), shift]) == [ReLU(), shift.affine]
    assert rational_sqrt(F(2), bits=8) == F(362, 256)
    with pytest.raises(InputError, match=r"^bn: batch norm parameters of different lengths$"):
        batchnorm_affine([0, 0], [1], None, None, 0, "bn")
    with pytest.raises(InputError, match=r"^--input-dim: expected a positive integer, got 0$"):
        check_input_dim(2, 0, "model")
    with pytest.raises(InputError, match=r"^m: the input size is not recorded in the model; pass --input-dim N"):
        check_input_dim(None, None, "m")


def test_rationalize_network_snaps_every_number():
    net = Network.from_layers(1, [Affine.from_lists([[0.1]], [F(1, 3) + F(1, 10**9)]), LeakyReLU(F(0.01)),
                                  HardTanh(F(-0.999999), F(2.0000001))])
    snapped = rationalize_network(net, 10)
    assert snapped.layers == (Affine(((F(1, 10),),), (F(1, 3),)), LeakyReLU(F(0)), HardTanh(F(-1), F(2)))
    with pytest.raises(InputError, match=r"^--rationalize: expected a positive integer denominator limit, got 0$"):
        rationalize_network(net, 0)


def test_rationalize_is_said_in_every_output(tmp_path, capsys):
    model = tmp_path / "m.json"
    Network.mlp([[[0.1, 0.2], [-0.3, 1 / 3]], [[1, 1]]], [[0, 0], [0.05]]).save(model)
    limit = ["--rationalize", 10]
    code, out, _ = run(capsys, "count", model, "--box", -1, 1, *limit)
    assert code == 0 and f"note:               {NOTE}" in out
    code, out, _ = run(capsys, "count", model, "--box", -1, 1, "--json", *limit)
    assert json.loads(out)["rationalized"] == 10 and json.loads(out)["note"].startswith(NOTE)
    for command in (["regions", "-o", tmp_path / "r.jsonl"], ["graph", "-o", tmp_path / "g.json"],
                    ["certify", "-o", tmp_path / "c.json"], ["convert", "-o", tmp_path / "m10.json"],
                    ["plot", "--box", -1, 1, "-o", tmp_path / "p.png"]):
        code, out, err = run(capsys, command[0], model, *command[1:], *limit)
        assert code == 0, err
        assert f"note: {NOTE}" in out, command
    assert json.loads((tmp_path / "g.json").read_text())["graph"]["note"].startswith(NOTE)
    assert NOTE in json.loads((tmp_path / "m10.json").read_text())["description"]
    code, out, _ = run(capsys, "folding", model, "--box", -1, 1, *limit)
    assert f"note:    {NOTE}" in out
    # the certificate is about the rationalized network: check it with the same option, or the converted file
    code, out, _ = run(capsys, "check", tmp_path / "c.json", model, *limit)
    assert code == 0 and out.startswith("VALID") and f"note: {NOTE}" in out
    code, out, _ = run(capsys, "check", tmp_path / "c.json", tmp_path / "m10.json")
    assert code == 0 and out.startswith("VALID")
    code, out, _ = run(capsys, "check", tmp_path / "c.json", model)
    assert code == 1 and out.startswith("INVALID")


def test_convert_and_check_an_onnx_model(tmp_path, capsys):
    onnx_path = onnx_demo(tmp_path)
    code, out, err = run(capsys, "convert", onnx_path, "-o", tmp_path / "demo_exact.json")
    assert code == 0, err
    assert out == f"wrote {onnx_path} (2 -> 8 -> 8 -> 1, relu) as exact JSON to {tmp_path / 'demo_exact.json'}\n"
    converted = load_model(tmp_path / "demo_exact.json")
    assert converted == load_model(onnx_path)
    # the demo's weights are halves and quarters: float64 holds them exactly
    assert converted == load_model(DEMO)
    # a certificate made from the ONNX file checks against it and against the converted JSON file
    code, out, err = run(capsys, "certify", onnx_path, "--box", -1, 1, "-o", tmp_path / "cert.json")
    assert code == 0, err
    for model in (onnx_path, tmp_path / "demo_exact.json"):
        code, out, err = run(capsys, "check", tmp_path / "cert.json", model, "--box", -1, 1)
        assert code == 0 and out.startswith("VALID activation_regions=69"), (out, err)
        assert model_digest(converted.to_json()) in out
    code, out, _ = run(capsys, "check", tmp_path / "cert.json", DEMO, "--box", -1, 1)
    assert code == 0 and "VALID" in out
    code, out, _ = run(capsys, "check", tmp_path / "cert.json", onnx_path, "--box", -1, 1, "--rationalize", 1)
    assert code == 1 and out.startswith("INVALID: ")
    # every command takes the ONNX file
    code, out, _ = run(capsys, "count", onnx_path, "--box", -1, 1)
    assert code == 0 and "activation regions: 69" in out


def test_convert_refuses_to_overwrite_its_input(tmp_path, capsys):
    model = tmp_path / "m.json"
    load_model(DEMO).save(model)
    code, out, err = run(capsys, "convert", model, "-o", model)
    assert_one_error_line(code, out, err, r"is the input file")


def test_save_model_description_is_not_part_of_the_digest(tmp_path):
    net = load_model(DEMO)
    save_model(net, tmp_path / "a.json", "anything")
    obj = json.loads((tmp_path / "a.json").read_text())
    assert obj["description"] == "anything"
    assert model_digest(obj) == model_digest(net.to_json())


def test_state_dict_without_arch_and_missing_torch(tmp_path, capsys, monkeypatch):
    """Without torch, a .pt file says how to install it (one line, exit 2)."""
    path = tmp_path / "model.pt"
    path.write_bytes(b"PK\x03\x04 not really")
    monkeypatch.setitem(sys.modules, "torch", None)
    code, out, err = run(capsys, "count", path)
    assert_one_error_line(code, out, err, re.escape("reading PyTorch models needs torch: pip install "
                                                    "torch==2.13.0 (or pip install -e '.[torch]' from the clone; "
                                                    "make test-torch does it)"))


def test_rationalize_is_said_by_the_queries(tmp_path, capsys):
    model = tmp_path / "m.json"
    Network.mlp([[[0.1, 0.2], [-0.3, 1 / 3]], [[1, 1], [1, -1]]], [[0, 0], [0.05, 0]]).save(model)
    limit = ["--rationalize", 10]
    prop = tmp_path / "p.vnnlib"
    prop.write_text("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
                    "(declare-const Y_1 Real)\n(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (>= X_1 -1))\n"
                    "(assert (<= X_1 1))\n(assert (>= Y_0 100))\n")
    commands = [["max", model, "--box", -1, 1, "--output", 0], ["lipschitz", model, "--box", -1, 1, "--norm", "inf"],
                ["boundary", model, "--box", -1, 1], ["verify", model, prop],
                ["equiv", model, model, "--box", -1, 1]]
    for command in commands:
        code, out, err = run(capsys, *command, *limit)
        assert code == 0, (command, err)
        assert re.search(rf"^note: +{re.escape(NOTE)}", out, re.M), (command, out)
        code, out, err = run(capsys, *command, *limit, "--json")
        found = json.loads(out)
        assert found["rationalized"] == 10 and found["note"].startswith(NOTE), command
        code, out, err = run(capsys, *command, "--json")
        assert "rationalized" not in json.loads(out) and "note" not in json.loads(out), command


def test_convert_writes_json_only(tmp_path, capsys):
    for name in ("out.onnx", "out.pt", "out.PTH"):
        code, out, err = run(capsys, "convert", DEMO, "-o", tmp_path / name)
        assert_one_error_line(code, out, err, rf"-o .*{re.escape(name)}: convert writes polyregions JSON")
        assert not (tmp_path / name).exists()
    code, out, err = run(capsys, "convert", DEMO, "-o", tmp_path / "out.net")
    assert code == 0 and load_model(tmp_path / "out.net") == load_model(DEMO)


def test_a_missing_torch_file_is_a_missing_file(tmp_path, capsys):
    # whether torch is installed or not: installing it would not help
    code, out, err = run(capsys, "count", tmp_path / "nothing.pt")
    assert_one_error_line(code, out, err, r"nothing\.pt: no such model file$")
    code, out, err = run(capsys, "count", tmp_path)
    assert code == 2


def test_library_functions_take_model_paths(tmp_path):
    import polyregions as pr

    box = pr.Domain.box(2, -1, 1)
    net = load_model(DEMO)
    assert pr.count_regions(str(DEMO), box) == pr.count_regions(net, box)
    assert pr.count_regions(network=DEMO, domain=box, linear=False).activation_regions == 69
    assert pr.maximize(DEMO, box).value == pr.maximize(net, box).value
    assert pr.lipschitz_constant(str(DEMO), box).value == pr.lipschitz_constant(net, box).value
    assert pr.equivalent(DEMO, str(DEMO), box).equivalent
    assert pr.region_containing(DEMO, ["1/10", "1/5"]).key == pr.region_containing(net, ["1/10", "1/5"]).key
    assert len(list(pr.enumerate_regions(DEMO, box))) == 69
    assert pr.region_graph(DEMO, box).number_of_nodes() == 69
    assert pr.certify(DEMO, box)["counts"] == pr.certify(net, box)["counts"]
    assert pr.Explorer(DEMO, box).summary.activation_regions == 69
    assert pr.count_regions(net.to_json(), box).activation_regions == 69  # a parsed JSON object too
    with pytest.raises(InputError, match=r"no such model file"):
        pr.count_regions(tmp_path / "missing.json")
    with pytest.raises(InputError, match=r"expected a path, a Network"):
        pr.count_regions(3)


def test_wrong_argument_types_are_input_errors(capsys):
    import polyregions as pr

    with pytest.raises(InputError, match=r"^domain: expected a Domain .* got str$"):
        pr.count_regions(DEMO, "box")
    with pytest.raises(InputError, match=r"^domain: expected a Domain"):
        pr.maximize(DEMO, domain=[0, 1])
    for text in ("2_0", "\u0662", "1e3", "9" * 30):
        code, out, err = run(capsys, "count", DEMO, "--jobs", text)
        assert_one_error_line(code, out, err, r"argument --jobs: expected an integer")


def test_a_model_piped_in_is_read(tmp_path):
    """`cat model.json | polyregions count /dev/stdin`: no sniffing of the pipe's first bytes."""
    import subprocess

    proc = subprocess.run([sys.executable, "-m", "polyregions", "count", "/dev/stdin", "--no-linear"],
                          input=DEMO.read_text(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "activation regions: 149 " in proc.stdout
