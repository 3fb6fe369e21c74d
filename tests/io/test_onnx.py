"""ONNX models in: every supported operator gives the expected exact network, and the
exact forward pass agrees with onnxruntime's (float32) on random inputs.

The models are built here with onnx.helper; no torch is needed.
"""

from __future__ import annotations

import random
import re
from fractions import Fraction as F

import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx package (test extra): pip install -e '.[test]'")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from polyregions import load_model  # noqa: E402
from polyregions.errors import InputError, NetworkError, NumberError  # noqa: E402
from polyregions.io.onnx import from_onnx  # noqa: E402
from polyregions.core.layers import Abs, Affine, HardTanh, LeakyReLU, Maxout, ReLU
from polyregions.core.network import Network

from tests.support.clirun import assert_one_error_line, run  # noqa: E402


def tensor(name, values, dtype=np.float32):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def model(nodes, initializers, n_in=2, n_out=1, opset=17, in_shape=None, out_shape=None):
    """A one-input, one-output model (batch axis first) at the given opset."""
    graph = helper.make_graph(
        nodes, "test", [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape or ["batch", n_in])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape or ["batch", n_out])],
        initializer=initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def exact(values, dtype=np.float32):
    """The rationals that a float32 (or float64) array holds."""
    return [[F(float(v)) for v in row] for row in np.array(values, dtype=dtype).tolist()]


W1 = [[0.5, -1.25], [2.0, 0.1], [-0.3, 0.7]]
B1 = [0.1, -0.2, 0.0]
W2 = [[1.0, -1.0, 0.5]]
B2 = [0.25]


def mlp_nodes(activation_nodes, gemm_attrs=None):
    return ([helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1, **(gemm_attrs or {}))]
            + activation_nodes
            + [helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], transB=1)])


def mlp_inits():
    return [tensor("w1", W1), tensor("b1", B1), tensor("w2", W2), tensor("b2", B2)]


def expected_mlp(*activations):
    return Network.from_layers(2, [Affine(tuple(map(tuple, exact(W1))), tuple(exact([B1])[0])), *activations,
                                   Affine(tuple(map(tuple, exact(W2))), tuple(exact([B2])[0]))])


def assert_agrees_with_onnxruntime(onnx_model, net, n_in, trials=25, shape=None):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime not installed")
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(7)
    for _ in range(trials):
        x = rng.uniform(-2, 2, size=(1, n_in)).astype(np.float32)
        got = session.run(None, {"x": x.reshape((1, *shape)) if shape else x})[0].reshape(-1)
        ours = net([F(float(v)) for v in x[0]])
        assert len(ours) == got.size
        for a, b in zip(ours, got):
            assert abs(float(a) - float(b)) <= 1e-4 * (1 + abs(float(a))), (x, ours, got)


@pytest.mark.parametrize("nodes, activation", [
    ([helper.make_node("Relu", ["h"], ["a"])], ReLU()),
    ([helper.make_node("LeakyRelu", ["h"], ["a"], alpha=0.2)], LeakyReLU(F(float(np.float32(0.2))))),
    ([helper.make_node("Abs", ["h"], ["a"])], Abs()),
    ([helper.make_node("Clip", ["h", "lo", "hi"], ["a"])], HardTanh(F(-1), F(1, 2))),
])
def test_gemm_mlp_with_activation(nodes, activation):
    inits = mlp_inits() + [tensor("lo", -1.0), tensor("hi", 0.5)]
    m = model(mlp_nodes(nodes), inits)
    net = from_onnx(m)
    assert net == expected_mlp(activation)
    assert_agrees_with_onnxruntime(m, net, 2)


def test_identity_dropout_flatten_are_no_layers():
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1),
             helper.make_node("Identity", ["h"], ["i"]),
             helper.make_node("Dropout", ["i"], ["d"]),
             helper.make_node("Relu", ["d"], ["r"]),
             helper.make_node("Flatten", ["r"], ["a"], axis=1),
             helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], transB=1)]
    m = model(nodes, mlp_inits())
    assert from_onnx(m) == expected_mlp(ReLU())
    assert_agrees_with_onnxruntime(m, from_onnx(m), 2)


def test_matmul_add_and_gemm_attributes():
    # y = relu(x @ W1^T + b1) then Gemm with alpha, beta and B not transposed
    nodes = [helper.make_node("MatMul", ["x", "w1t"], ["m"]),
             helper.make_node("Add", ["m", "b1"], ["h"]),
             helper.make_node("Relu", ["h"], ["a"]),
             helper.make_node("Gemm", ["a", "w2t", "b2"], ["y"], alpha=2.0, beta=0.5)]
    inits = [tensor("w1t", np.array(W1, dtype=np.float32).T), tensor("b1", B1),
             tensor("w2t", np.array(W2, dtype=np.float32).T), tensor("b2", B2)]
    m = model(nodes, inits)
    net = from_onnx(m)
    w2 = [[2 * v for v in row] for row in exact(W2)]
    b2 = [F(1, 2) * v for v in exact([B2])[0]]
    assert net == Network.from_layers(2, [Affine(tuple(map(tuple, exact(W1))), tuple(exact([B1])[0])), ReLU(),
                                          Affine(tuple(map(tuple, w2)), tuple(b2))])
    assert_agrees_with_onnxruntime(m, net, 2)


def test_add_with_the_constant_first_and_sub():
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["c", "m"], ["s"]),
             helper.make_node("Sub", ["s", "d"], ["y"])]
    m = model(nodes, [tensor("w", [[1.0], [2.0]]), tensor("c", [3.0]), tensor("d", [0.5])])
    assert from_onnx(m) == Network.from_layers(2, [Affine(((F(1), F(2)),), (F(5, 2),))])


def test_batchnorm_folds_exactly_into_the_gemm_before_it():
    # var + eps = 4 and 1/4: square roots 2 and 1/2, rational
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["g"], transB=1),
             helper.make_node("BatchNormalization", ["g", "scale", "bias", "mean", "var"], ["h"], epsilon=0.25),
             helper.make_node("Relu", ["h"], ["a"]),
             helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], transB=1)]
    inits = mlp_inits() + [tensor("scale", [1.0, 3.0, -1.0]), tensor("bias", [0.5, 0.0, 1.0]),
                           tensor("mean", [1.0, -1.0, 0.0]), tensor("var", [3.75, 0.0, 3.75])]
    m = model(nodes, inits)
    net = from_onnx(m)
    w1, b1 = exact(W1), exact([B1])[0]
    s = [F(1, 2), F(6), F(-1, 2)]
    shift = [F(1, 2) - s[0] * 1, 0 - s[1] * (-1), 1 - 0 * s[2]]
    folded = Affine(tuple(tuple(s[i] * v for v in w1[i]) for i in range(3)),
                    tuple(s[i] * b1[i] + shift[i] for i in range(3)))
    assert net == Network.from_layers(2, [folded, ReLU(), Affine(tuple(map(tuple, exact(W2))),
                                                                 tuple(exact([B2])[0]))])
    assert_agrees_with_onnxruntime(m, net, 2)


def test_batchnorm_after_an_activation_folds_into_the_next_layer():
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("BatchNormalization", ["r", "scale", "bias", "mean", "var"], ["a"], epsilon=0.0),
             helper.make_node("Gemm", ["a", "w", "b"], ["y"], transB=1)]
    m = model(nodes, [tensor("scale", [1.0, 1.0]), tensor("bias", [0.0, 1.0]), tensor("mean", [0.0, 0.0]),
                      tensor("var", [4.0, 1.0]), tensor("w", [[1.0, 1.0]]), tensor("b", [0.0])])
    assert from_onnx(m) == Network.from_layers(2, [ReLU(), Affine(((F(1, 2), F(1)),), (F(1),))])


def test_irrational_batchnorm_needs_rationalize(tmp_path, capsys):
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["g"], transB=1),
             helper.make_node("BatchNormalization", ["g", "scale", "bias", "mean", "var"], ["h"]),
             helper.make_node("Relu", ["h"], ["a"]),
             helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], transB=1)]
    inits = mlp_inits() + [tensor("scale", [1.0] * 3), tensor("bias", [0.0] * 3), tensor("mean", [0.0] * 3),
                           tensor("var", [1.0] * 3)]
    path = tmp_path / "bn.onnx"
    path.write_bytes(model(nodes, inits).SerializeToString())
    with pytest.raises(InputError, match=r"sqrt\(running_var \+ eps\) = sqrt\(.*\) is irrational for channel 0.*"
                                         r"pass --rationalize D"):
        load_model(path)
    code, out, err = run(capsys, "count", path, "--box", -1, 1)
    assert_one_error_line(code, out, err, r"irrational for channel 0")
    net = load_model(path, rationalize=1000)
    assert all(v.denominator <= 1000 for row in net.layers[0].weight for v in row)
    # 1/sqrt(1 + 1e-5) rounds to 1 at denominators <= 1000
    assert net.layers[0].weight[0] == (F(1, 2), F(-5, 4))


@pytest.mark.parametrize("axis, opset", [(2, 17), (-1, 18), (1, 17)])
def test_maxout_as_reshape_and_reducemax(axis, opset):
    w = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [1.0, 1.0], [0.5, -0.5]]
    b = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    reduce = (helper.make_node("ReduceMax", ["r", "axes"], ["m"], keepdims=0) if opset >= 18
              else helper.make_node("ReduceMax", ["r"], ["m"], axes=[axis], keepdims=0))
    shape = [0, 3, 2] if axis != 1 else [0, 2, 3]
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["z"], transB=1),
             helper.make_node("Reshape", ["z", "shape"], ["r"]), reduce,
             helper.make_node("Gemm", ["m", "w2", "b2"], ["y"], transB=1)]
    inits = [tensor("w", w), tensor("b", b), tensor("shape", shape, np.int64), tensor("axes", [axis], np.int64),
             tensor("w2", [[1.0, -1.0, 2.0]]), tensor("b2", [0.0])]
    m = model(nodes, inits, opset=opset)
    net = from_onnx(m)
    rows, bias = exact(w), exact([b])[0]
    if axis == 1:  # groups strided by 3: unit j is max(z[j], z[j + 3])
        order = [0, 3, 1, 4, 2, 5]
        rows, bias = [rows[i] for i in order], [bias[i] for i in order]
    assert net == Network.from_layers(2, [Affine(tuple(map(tuple, rows)), tuple(bias)), Maxout(2),
                                          Affine(((F(1), F(-1), F(2)),), (F(0),))])
    assert_agrees_with_onnxruntime(m, net, 2)


def test_maxout_as_max_of_affine_maps():
    nodes = [helper.make_node("Gemm", ["x", f"w{j}", f"b{j}"], [f"z{j}"], transB=1) for j in range(3)]
    nodes += [helper.make_node("Max", ["z0", "z1", "z2"], ["y"])]
    ws = [[[1.0, 0.0], [0.0, 1.0]], [[-1.0, 0.5], [2.0, 0.0]], [[0.0, 0.0], [1.0, -1.0]]]
    bs = [[0.0, 1.0], [0.5, 0.0], [0.25, 0.0]]
    inits = [tensor(f"w{j}", ws[j]) for j in range(3)] + [tensor(f"b{j}", bs[j]) for j in range(3)]
    m = model(nodes, inits, n_out=2)
    net = from_onnx(m)
    rows = tuple(tuple(map(F, ws[j][i])) for i in range(2) for j in range(3))
    bias = tuple(F(bs[j][i]) for i in range(2) for j in range(3))
    assert net == Network.from_layers(2, [Affine(rows, bias), Maxout(3)])
    assert_agrees_with_onnxruntime(m, net, 2)


def test_conv_on_a_small_image_is_a_dense_affine_map():
    rng = np.random.default_rng(3)
    weight = rng.normal(size=(2, 1, 3, 3)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "k", "kb"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c"], ["r"]), helper.make_node("Flatten", ["r"], ["f"]),
             helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)]
    inits = [tensor("k", weight), tensor("kb", [0.5, -0.5]),
             tensor("w", rng.normal(size=(1, 32)).astype(np.float32)), tensor("b", [0.0])]
    m = model(nodes, inits, in_shape=["batch", 1, 8, 8])
    net = from_onnx(m)
    assert net.input_dim == 64 and net.widths() == (64, 32, 1)
    assert_agrees_with_onnxruntime(m, net, 64, shape=(1, 8, 8))


def test_floats_are_taken_exactly():
    m = model([helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
              [tensor("w", [[0.1, 1 / 3]]), tensor("b", [1e-30], np.float64)])
    net = from_onnx(m)
    assert net.layers[0].weight == ((F(float(np.float32(0.1))), F(float(np.float32(1 / 3)))),)
    assert net.layers[0].bias == (F(1e-30),)


# ----------------------------------------------------------------------------- bad input


def write(tmp_path, m, name="m.onnx"):
    path = tmp_path / name
    path.write_bytes(m.SerializeToString())
    return path


def test_truncated_file(tmp_path, capsys):
    data = model(mlp_nodes([helper.make_node("Relu", ["h"], ["a"])]), mlp_inits()).SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.onnx: (not a valid ONNX model \(truncated or corrupt\?\)|"
                                         r"the graph output|the ONNX graph has no nodes|node )"):
        load_model(path)
    code, out, err = run(capsys, "count", path)
    assert_one_error_line(code, out, err, r"cut\.onnx: ")
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.onnx: empty file, not an ONNX model"):
        load_model(tmp_path / "empty.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"\xff\xff\xff\xff junk")
    with pytest.raises(InputError, match=r"junk\.onnx: not a valid ONNX model \(truncated or corrupt\?\)"):
        load_model(tmp_path / "junk.onnx")


def test_unsupported_operator(tmp_path, capsys):
    nodes = mlp_nodes([helper.make_node("Sigmoid", ["h"], ["a"], name="act1")])
    path = write(tmp_path, model(nodes, mlp_inits()))
    code, out, err = run(capsys, "count", path)
    assert_one_error_line(code, out, err, r"m\.onnx: node 'act1' \(Sigmoid\): unsupported operator Sigmoid "
                                          r"\(supported: Gemm, MatMul")


def test_input_dim_must_match(tmp_path, capsys):
    path = write(tmp_path, model(mlp_nodes([helper.make_node("Relu", ["h"], ["a"])]), mlp_inits()))
    code, out, err = run(capsys, "count", path, "--input-dim", 3)
    assert_one_error_line(code, out, err, r"m\.onnx: input 'x' has 2 inputs, but --input-dim is 3$")
    # a model that does not record its input size needs --input-dim, and its first layer decides
    unknown = write(tmp_path, model(mlp_nodes([helper.make_node("Relu", ["h"], ["a"])]), mlp_inits(),
                                    in_shape=["batch", "n"]), "unknown.onnx")
    code, out, err = run(capsys, "count", unknown)
    assert_one_error_line(code, out, err, r"input size is not recorded in the model; pass --input-dim N")
    code, out, err = run(capsys, "count", unknown, "--input-dim", 3)
    assert_one_error_line(code, out, err, r"node #0 \(Gemm\): the weight takes 2 inputs, but its input has 3 "
                                          r"\(check --input-dim\)")
    assert load_model(unknown, input_dim=2) == expected_mlp(ReLU())


@pytest.mark.parametrize("nodes, inits, message", [
    ([helper.make_node("Gemm", ["x", "w", "b"], ["y"], transA=1)], [], r"transA = 1 is not supported"),
    ([helper.make_node("Gemm", ["x", "x", "b"], ["y"])], [], r"input 'x' must be a constant"),
    ([helper.make_node("Gemm", ["x", "v", "b"], ["y"])], [tensor("v", [1.0])], r"B must be a matrix"),
    ([helper.make_node("Gemm", ["x", "w", "c"], ["y"], transB=1)], [tensor("c", [1.0, 2.0, 3.0])],
     r"C has 3 entries, expected 1"),
    ([helper.make_node("MatMul", ["x", "v"], ["y"])], [tensor("v", [1.0])], r"the second input must be a matrix"),
    ([helper.make_node("Relu", ["nothing"], ["y"])], [], r"input 'nothing' is not computed by any node"),
    ([helper.make_node("Relu", ["w"], ["y"])], [], r"input 'w' is a constant where the data was expected"),
    ([helper.make_node("Clip", ["x", "lo"], ["y"])], [tensor("lo", 0.0)], r"Clip needs both min and max"),
    ([helper.make_node("Clip", ["x", "lo", "lo"], ["y"])], [tensor("lo", 0.0)], r"Clip needs min < max"),
    ([helper.make_node("Sub", ["c", "x"], ["y"])], [tensor("c", [1.0, 1.0])], r"constant minus data"),
    ([helper.make_node("Add", ["x", "c"], ["y"])], [tensor("c", [1.0, 1.0, 1.0])], r"adds 3 values to a tensor of 2"),
    ([helper.make_node("Flatten", ["x"], ["y"], axis=0)], [], r"only Flatten with axis 1"),
    ([helper.make_node("Squeeze", ["x", "ax"], ["y"])], [tensor("ax", [1], np.int64)],
     r"Squeeze axis 1 has size 2, not 1"),
    ([helper.make_node("Squeeze", ["x", "ax"], ["y"])], [tensor("ax", [0], np.int64)],
     r"Squeeze axis 0 would remove the batch axis"),
    ([helper.make_node("Squeeze", ["x", "ax"], ["y"])], [tensor("ax", [2], np.int64)],
     r"Squeeze axis 2 is out of range for a tensor of rank 2"),
    ([helper.make_node("Reshape", ["x", "s"], ["y"])], [tensor("s", [2, 1], np.int64)], r"changes the batch axis"),
    ([helper.make_node("Reshape", ["x", "s"], ["y"])], [tensor("s", [-1, -1], np.int64)], r"two unknown sizes"),
    ([helper.make_node("Reshape", ["x", "s"], ["y"])], [tensor("s", [0, 3], np.int64)], r"cannot reshape 2 values"),
    ([helper.make_node("Reshape", ["x", "s"], ["y"])], [tensor("s", [0, -1, 3], np.int64)], r"cannot reshape 2"),
    ([helper.make_node("ReduceMax", ["x"], ["y"], axes=[0, 1])], [], r"maxout needs ReduceMax over one axis"),
    ([helper.make_node("ReduceMax", ["x"], ["y"], axes=[1])], [], r"maxout is read from a Reshape to \(units, k\)"),
    ([helper.make_node("Reshape", ["x", "s"], ["r"]), helper.make_node("ReduceMax", ["r"], ["y"], axes=[1])],
     [tensor("s", [0, 2, 1], np.int64)], r"needs an affine layer right before the Reshape"),
    ([helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Abs", ["x"], ["b"]),
      helper.make_node("Max", ["a", "b"], ["y"])], [], r"maxout as Max needs affine maps"),
    ([helper.make_node("Gemm", ["x", "w1", "b"], ["a"], transB=1), helper.make_node("Gemm", ["x", "w2", "b"], ["c"],
                                                                                    transB=1),
      helper.make_node("Max", ["a", "c"], ["y"])], [tensor("w1", [[1.0, 1.0]]), tensor("w2", [[1.0, 1.0]] * 2)],
     r"the maps in Max have different widths"),
    ([helper.make_node("BatchNormalization", ["x", "s", "s", "s", "s"], ["y"], training_mode=1)],
     [tensor("s", [1.0, 1.0])], r"training mode; export the model in inference form"),
    ([helper.make_node("BatchNormalization", ["x", "s", "s", "s", "s"], ["y"])], [tensor("s", [1.0])],
     r"1 channels, but the input has 2"),
    ([helper.make_node("BatchNormalization", ["x", "s", "s", "s", "v"], ["y"], epsilon=0.0)],
     [tensor("s", [1.0, 1.0]), tensor("v", [0.0, 1.0])], r"running_var \+ eps = 0 is not positive for channel 0"),
    ([helper.make_node("Conv", ["x", "k"], ["y"])], [tensor("k", np.ones((1, 1, 1, 1)))],
     r"only 2-D convolutions on \(channels, height, width\) inputs"),
    ([helper.make_node("Constant", [], ["c"], value_float=1.0), helper.make_node("Relu", ["x"], ["y"])], [],
     r"only constants given as a tensor 'value' are supported"),
    ([helper.make_node("Relu", ["x"], ["z"])], [], r"the graph output 'y' is not computed from the input"),
    ([helper.make_node("Relu", ["x"], ["y"], domain="com.example")], [], r"unsupported operator Relu of domain "
                                                                        r"com\.example"),
])
def test_bad_models(tmp_path, nodes, inits, message):
    inits = inits + [tensor(n, v) for n, v in (("w", [[1.0, 1.0]]), ("b", [0.0])) if n not in {t.name for t in inits}]
    path = write(tmp_path, model(nodes, inits))
    with pytest.raises(InputError, match=message):
        from_onnx(path)


def test_bad_graphs_and_sources(tmp_path):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "two",
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["b", 2]) for n in ("x", "z")],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 2])])
    with pytest.raises(InputError, match=r"expected one graph input, found 2 \('x', 'z'\)"):
        from_onnx(helper.make_model(graph))
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "outs",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 2])],
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["b", 2]) for n in ("y", "x")])
    with pytest.raises(InputError, match=r"expected one graph output, found 2"):
        from_onnx(helper.make_model(graph))
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "img",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 3, "h", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 2])])
    with pytest.raises(InputError, match=r"has shape \[None, 3, None, 4\] with unknown sizes"):
        from_onnx(helper.make_model(graph))
    with pytest.raises(InputError, match=r"nowhere\.onnx: no such model file"):
        from_onnx(tmp_path / "nowhere.onnx")
    with pytest.raises(InputError, match=r"is a directory, expected a model file"):
        from_onnx(tmp_path)
    with pytest.raises(InputError, match=r"expected an ONNX ModelProto, bytes or a path, got int"):
        from_onnx(3)
    empty = helper.make_model(helper.make_graph([], "e", [], []))
    with pytest.raises(InputError, match=r"the ONNX graph has no nodes"):
        from_onnx(empty)
    # a network the layers refuse (hard-tanh bounds are fine, but NaN weights are not)
    bad = model([helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
                [tensor("w", [[float("nan"), 1.0]]), tensor("b", [0.0])])
    with pytest.raises(InputError, match=r"node #0 \(Gemm\): initializer 'w'\[0\]\[0\]: expected a finite number"):
        from_onnx(bad)


def test_a_bad_weight_is_named_by_its_tensor_and_its_own_indices():
    """Regression (issue 22): a NaN at W1[2][3] of a MatMul was reported as weight[3][2] (the
    transposed layout) without the initializer's name; so was Gemm's B when transB = 0."""
    w = np.arange(1, 16, dtype=np.float32).reshape(3, 5)
    w[2][3] = np.nan
    relus = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Relu", ["r"], ["r2"]),
             helper.make_node("Relu", ["r2"], ["r3"])]
    matmul = model(relus + [helper.make_node("MatMul", ["r3", "W1"], ["y"])], [tensor("W1", w)], n_in=3, n_out=5)
    with pytest.raises(NumberError, match=r"^ONNX model: node #3 \(MatMul\): initializer 'W1'\[2\]\[3\]: "
                                          r"expected a finite number, got nan$"):
        from_onnx(matmul)
    for trans_b, b, where in ((0, w, r"\[2\]\[3\]"), (1, w.T, r"\[3\]\[2\]")):
        gemm = model([helper.make_node("Gemm", ["x", "B1"], ["y"], transB=trans_b)], [tensor("B1", b)],
                     n_in=3, n_out=5)
        with pytest.raises(NumberError, match=rf"^ONNX model: node #0 \(Gemm\): initializer 'B1'{where}: "):
            from_onnx(gemm)
    # a matrix from a Constant node is a constant, not an initializer
    constant = model([helper.make_node("Constant", [], ["W1"], value=tensor("W1", w)),
                      helper.make_node("MatMul", ["x", "W1"], ["y"])], [], n_in=3, n_out=5)
    with pytest.raises(NumberError, match=r"^ONNX model: node #1 \(MatMul\): constant 'W1'\[2\]\[3\]: "):
        from_onnx(constant)
    # the layouts themselves are unchanged: W's transpose is the weight
    w[2][3] = 0.5
    net = from_onnx(model([helper.make_node("MatMul", ["x", "W1"], ["y"])], [tensor("W1", w)], n_in=3, n_out=5))
    assert net.layers[0].weight[3][2] == F(1, 2) and net.layers[0].weight[4][0] == 5
    gemm = from_onnx(model([helper.make_node("Gemm", ["x", "B1"], ["y"], alpha=2.0)], [tensor("B1", w)],
                           n_in=3, n_out=5))
    assert gemm.layers[0].weight[3][2] == 1 and gemm.layers[0].weight[4][0] == 10


def test_missing_onnx_says_how_to_install(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(InputError, match=re.escape("reading ONNX models needs the onnx package: "
                                                   "pip install -e '.[onnx]' (from the clone)")):
        from_onnx(tmp_path / "m.onnx")


def test_random_mlps_agree_with_onnxruntime():
    rng = random.Random(11)
    for trial in range(4):
        widths = [3] + [rng.randint(2, 6) for _ in range(rng.randint(1, 3))] + [2]
        nodes, inits, current = [], [], "x"
        for i, (a, b) in enumerate(zip(widths, widths[1:])):
            w = np.array([[rng.uniform(-2, 2) for _ in range(a)] for _ in range(b)], dtype=np.float32)
            inits += [tensor(f"w{i}", w), tensor(f"b{i}", [rng.uniform(-1, 1) for _ in range(b)])]
            out = "y" if i == len(widths) - 2 else f"z{i}"
            nodes.append(helper.make_node("Gemm", [current, f"w{i}", f"b{i}"], [out], transB=1))
            if out != "y":
                nodes.append(helper.make_node("LeakyRelu" if trial % 2 else "Relu", [out], [f"a{i}"]))
                current = f"a{i}"
        m = model(nodes, inits, n_in=3, n_out=2)
        assert_agrees_with_onnxruntime(m, from_onnx(m), 3, trials=10)


def test_network_error_names_the_file(tmp_path):
    # shapes that do not chain are caught when the network is built
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Reshape", ["m", "s"], ["r"]),
             helper.make_node("ReduceMax", ["r"], ["y"], axes=[2], keepdims=0)]
    m = model(nodes, [tensor("w", np.ones((2, 4))), tensor("s", [0, 2, 2], np.int64)])
    assert from_onnx(m) == Network.from_layers(2, [Affine(((F(1), F(1)),) * 4, (F(0),) * 4), Maxout(2)])
    with pytest.raises(NetworkError, match=r"^ONNX model: "):
        from_onnx(model([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])],
                        [tensor("lo", 0.0), tensor("hi", 1.0)], in_shape=["b", 1000000]))


@pytest.mark.parametrize("kwargs, message", [
    ({"auto_pad": b"SAME_UPPER"}, r"^conv: auto_pad SAME_UPPER is not supported; give explicit pads$"),
    ({"groups": 2}, r"^conv: 1 filters and 2 groups do not fit 1 channels$"),
    ({"weight": [[[[1.0]], [[1.0]]]]}, r"^conv: the weight has 2 input channels per filter, expected 1$"),
    ({"weight": [[[[1.0] * 9]]]}, r"^conv: the kernel does not fit the 4 x 4 input$"),
    ({"bias": [1.0, 2.0]}, r"^conv: bias has 2 entries, expected 1$"),
    ({"strides": (0, 1)}, r"^conv: strides and dilations must be at least 1 and pads at least 0, got strides "
                          r"\[0, 1\], dilations \[1, 1\], pads \[0, 0, 0, 0\]$"),
    ({"dilations": (1, 0)}, r"^conv: strides and dilations must be at least 1"),
    ({"pads": (0, -1, 0, 0)}, r"^conv: strides and dilations must be at least 1 and pads at least 0"),
    ({"strides": (1,)}, r"^conv: expected 2 strides, 2 dilations and 4 pads for a 2-D convolution"),
    ({"shape": (64, 64, 64)}, r"^conv: as a dense map this convolution has 262144 x 262144 entries, more than the "
                              r"limit of 4,000,000"),
])
def test_conv_errors(kwargs, message):
    from polyregions.io.imagemaps import conv2d_affine

    shape = kwargs.pop("shape", (1, 4, 4))
    weight = kwargs.pop("weight", [[[[1.0, 2.0], [3.0, 4.0]]]] if shape[0] == 1 else [[[[1.0]]] * shape[0]] * 64)
    bias = kwargs.pop("bias", None)
    with pytest.raises(InputError, match=message):
        conv2d_affine(shape, weight, bias, place="conv", **kwargs)


def test_output_must_be_a_vector_and_tensors_must_be_well_formed():
    m = model([helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Reshape", ["m", "s"], ["y"])],
              [tensor("w", np.ones((2, 4))), tensor("s", [0, 2, 2], np.int64)])
    with pytest.raises(InputError, match=r"^ONNX model: the output has shape \[2, 2\], expected a vector$"):
        from_onnx(m)
    broken = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2, 2], raw_data=b"\x00\x01\x02")
    m = model([helper.make_node("MatMul", ["x", "w"], ["y"])], [broken])
    with pytest.raises(InputError, match=r"^ONNX model: malformed ONNX model: ValueError: "):
        from_onnx(m)


def test_external_data_is_refused(tmp_path, capsys):
    """A tensor stored in a separate file is not read, wherever its path points."""
    m = model(mlp_nodes([helper.make_node("Relu", ["h"], ["a"])]), mlp_inits())
    weight = m.graph.initializer[0]
    weight.data_location = TensorProto.EXTERNAL
    del weight.external_data[:]
    weight.external_data.add(key="location", value="../../../../etc/passwd")
    weight.ClearField("float_data")
    weight.ClearField("raw_data")
    path = write(tmp_path, m)
    code, out, err = run(capsys, "count", path)
    assert_one_error_line(code, out, err, rf"m\.onnx: tensor {weight.name} keeps its data in a separate file "
                                          r"\(\.\./\.\./\.\./\.\./etc/passwd\); polyregions reads self-contained")


def test_every_message_names_the_file_once(tmp_path, capsys):
    bad = model(mlp_nodes([helper.make_node("Relu", ["h"], ["a"])]),
                [tensor("w1", [[float("nan"), 1.0]] * 3), tensor("b1", B1), tensor("w2", W2), tensor("b2", B2)])
    path = write(tmp_path, bad)
    code, out, err = run(capsys, "count", path)
    assert_one_error_line(code, out, err, r"^polyregions: error: [^:]*m\.onnx: node #0 \(Gemm\): .*expected a finite "
                                          r"number, got nan$")
    assert err.count("m.onnx") == 1


@pytest.mark.parametrize("opset", [11, 17])
def test_squeeze_removes_the_axes_named(opset):
    """Squeeze with axes (an attribute before opset 13, an input from 13 on) removes those
    axes only: a (batch, 2, 1) input squeezed at axis 2 feeds a Gemm."""
    axes_input = opset >= 13
    squeeze = (helper.make_node("Squeeze", ["x", "ax"], ["s"]) if axes_input
               else helper.make_node("Squeeze", ["x"], ["s"], axes=[-1]))
    nodes = [squeeze] + mlp_nodes([helper.make_node("Relu", ["h"], ["a"])])
    nodes[1] = helper.make_node("Gemm", ["s", "w1", "b1"], ["h"], transB=1)
    inits = mlp_inits() + ([tensor("ax", [2], np.int64)] if axes_input else [])
    m = model(nodes, inits, opset=opset, in_shape=["batch", 2, 1])
    assert from_onnx(m) == expected_mlp(ReLU())
    assert_agrees_with_onnxruntime(m, from_onnx(m), 2, shape=(2, 1))
