"""Image layers in (issue 21): convolutions, pooling, batch norm of images, residual
connections, and slices that never make the layers before the first activation dense.

Every import is checked against a forward pass of the ONNX model itself by the onnx
package's reference evaluator, at many points, exactly: the models hold float64 dyadic
weights and the points are dyadic, so the evaluator's float arithmetic makes no rounding
error (window counts are powers of two where an average divides by them). Region counts
of pooling and residual networks are checked against the brute-force reference of
tests/support/reference.py.
"""

from __future__ import annotations

import pickle
from fractions import Fraction as F
from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx", reason="needs the onnx package (test extra): pip install -e '.[test]'")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from polyregions import count_regions, load_model  # noqa: E402
from polyregions.core.domain import Domain  # noqa: E402
from polyregions.core.layers import Affine, Maxout, ReLU  # noqa: E402
from polyregions.core.network import Network  # noqa: E402
from polyregions.core.slices import slice_network  # noqa: E402
from polyregions.errors import DomainError, InputError  # noqa: E402
from polyregions.io.imagemaps import (MAX_CONV_ENTRIES, ImageMap, average_pool_map, channel_map,  # noqa: E402
                                 conv2d_affine, conv2d_map, pool_windows, selection_map)
from polyregions.io.layers import Fold, compose, finalize, rationalize_network, restrict  # noqa: E402
from polyregions.io.residual import residual_sum  # noqa: E402
from polyregions.io.onnx import from_onnx  # noqa: E402
from tests.support.clirun import assert_one_error_line, run  # noqa: E402
from tests.support.reference import (reference_count, reference_linear_region_count,  # noqa: E402
                                     reference_regions)

RNG = np.random.default_rng(21)
#: The box [-2, 2]^2 as rows A x <= b, for the brute-force reference.
BOX = ([[1, 0], [-1, 0], [0, 1], [0, -1]], [2, 2, 2, 2])


def tensor(name, values, dtype=np.float64):
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def dyadic(*shape, denominator=4, high=4):
    """Random multiples of 1/denominator in [-high/denominator, high/denominator]: exact in float64."""
    return RNG.integers(-high, high + 1, size=shape) / denominator


def model(nodes, initializers, in_shape, n_out, opset=19):
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["batch", *in_shape])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["batch", n_out])], initializer=initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)


def assert_equals_the_model(m, net, in_shape, points=40, denominator=8):
    """The network's exact outputs equal the reference evaluator's at many dyadic points."""
    evaluator = ReferenceEvaluator(m)
    for _ in range(points):
        x = dyadic(1, *in_shape, denominator=denominator, high=2 * denominator)
        theirs = [F(float(v)) for v in evaluator.run(None, {"x": x})[0].reshape(-1)]
        ours = net([F(float(v)) for v in x.reshape(-1)])
        assert list(ours) == theirs, (x, ours, theirs)


def conv_nodes(pool, activation="Relu", channels=2):
    """Conv -> activation -> *pool* -> Flatten -> Gemm."""
    nodes = [helper.make_node("Conv", ["x", "k", "kb"], ["c"], pads=[1, 1, 1, 1])]
    source = "c"
    if activation:
        nodes.append(helper.make_node(activation, ["c"], ["a"], **({"alpha": 0.25} if activation == "LeakyRelu"
                                                                   else {})))
        source = "a"
    return nodes + [pool(source, "p"), helper.make_node("Flatten", ["p"], ["f"]),
                    helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)]


def conv_inits(flat, channels=2, n_out=2):
    return [tensor("k", dyadic(channels, 1, 3, 3)), tensor("kb", dyadic(channels)),
            tensor("w", dyadic(n_out, flat, denominator=8)), tensor("b", dyadic(n_out))]


# ----------------------------------------------------------------------------- pooling

POOLS = {
    "2x2 stride 2": (dict(kernel_shape=[2, 2], strides=[2, 2]), 2 * 2 * 2),
    "3x3 stride 1 padded": (dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]), 2 * 4 * 4),
    "2x2 dilated": (dict(kernel_shape=[2, 2], dilations=[2, 2]), 2 * 2 * 2),
    "2x3 strided, ceil_mode adding no window": (dict(kernel_shape=[2, 3], strides=[2, 1], ceil_mode=1), 2 * 2 * 2),
}


@pytest.mark.parametrize("name", list(POOLS))
@pytest.mark.parametrize("activation", ["Relu", "LeakyRelu", "Abs", None])
def test_max_pool_equals_the_model(name, activation):
    attributes, flat = POOLS[name]
    m = model(conv_nodes(lambda a, b: helper.make_node("MaxPool", [a], [b], **attributes), activation),
              conv_inits(flat), (1, 4, 4), 2)
    net = from_onnx(m)
    assert_equals_the_model(m, net, (1, 4, 4))
    maxouts = [layer for layer in net.layers if isinstance(layer, Maxout)]
    assert len(maxouts) == 1
    # the activation before the pool stays a layer of its own (never merged into the maxout)
    assert (activation is None) == (len(net.layers) == 3)


def test_relu_before_or_after_max_pool_stays_a_layer():
    """The pool is read as written: ReLU, then a maxout over each window (or the maxout, then
    ReLU). Windows that cover every unit once (2x2, stride 2) only reorder the ReLU's units, so
    no selection layer is needed."""
    inits = conv_inits(8)
    pool = helper.make_node("MaxPool", ["c"], ["p"], kernel_shape=[2, 2], strides=[2, 2])
    after = model([helper.make_node("Conv", ["x", "k", "kb"], ["c"], pads=[1, 1, 1, 1]), pool,
                   helper.make_node("Flatten", ["p"], ["f"]), helper.make_node("Relu", ["f"], ["r"]),
                   helper.make_node("Relu", ["r"], ["r2"]),
                   helper.make_node("Gemm", ["r2", "w", "b"], ["y"], transB=1)], inits, (1, 4, 4), 2)
    before = model(conv_nodes(lambda a, b: helper.make_node("MaxPool", [a], [b], kernel_shape=[2, 2],
                                                            strides=[2, 2])), inits, (1, 4, 4), 2)
    assert [type(layer) for layer in from_onnx(after).layers] == [Affine, Maxout, ReLU, ReLU, Affine]
    assert [type(layer) for layer in from_onnx(before).layers] == [Affine, ReLU, Maxout, Affine]
    assert from_onnx(before).widths() == (16, 32, 2) and from_onnx(before).layers[2] == Maxout(4)
    for m in (after, before):
        assert_equals_the_model(m, from_onnx(m), (1, 4, 4))


def pooled_plane_model(relu=True, attributes=None):
    """x in R^2 -> Gemm (6 units) -> Reshape (1, 2, 3) -> [Relu] -> MaxPool -> Flatten -> Gemm."""
    attributes = attributes or dict(kernel_shape=[1, 2], strides=[1, 1])
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["z"], transB=1),
             helper.make_node("Reshape", ["z", "shape"], ["img"])]
    source = "img"
    if relu:
        nodes.append(helper.make_node("Relu", ["img"], ["r"]))
        source = "r"
    nodes += [helper.make_node("MaxPool", [source], ["p"], **attributes), helper.make_node("Flatten", ["p"], ["f"]),
              helper.make_node("Gemm", ["f", "w1", "b1"], ["y"], transB=1)]
    inits = [tensor("w0", dyadic(6, 2)), tensor("b0", dyadic(6)), tensor("shape", [-1, 1, 2, 3], np.int64),
             tensor("w1", dyadic(1, 4)), tensor("b1", [0.0])]
    return model(nodes, inits, (2,), 1)


@pytest.mark.parametrize("seed", range(4))
def test_max_pool_regions_against_brute_force(seed):
    """Relu -> MaxPool is imported as the literal network Affine, ReLU, window selection, Maxout:
    the engine's counts equal the brute-force reference's on that network, built by hand."""
    global RNG
    RNG = np.random.default_rng(seed)
    m = pooled_plane_model()
    net = from_onnx(m)
    assert_equals_the_model(m, net, (2,))
    w0 = [[F(float(v)) for v in row] for row in numpy_helper.to_array(m.graph.initializer[0]).tolist()]
    b0 = [F(float(v)) for v in numpy_helper.to_array(m.graph.initializer[1]).tolist()]
    windows = [[0, 1], [1, 2], [3, 4], [4, 5]]
    select = [[int(c == e) for c in range(6)] for w in windows for e in w]
    literal = Network.from_layers(2, [Affine.from_lists(w0, b0), ReLU(), Affine.from_lists(select), Maxout(2),
                                      net.layers[-1]])
    assert net == literal
    A, b = BOX
    counts = count_regions(net, Domain.box(2, -2, 2))
    assert counts.activation_regions == reference_count(literal, A, b)
    assert counts.linear_regions == reference_linear_region_count(literal, A, b)


def test_relu_then_max_pool_counts_every_relu_unit():
    """The activation pattern holds the sign of every ReLU unit (DESIGN.md): max(relu(a), relu(b))
    has 5 regions on R^2 (the ReLU's 4 quadrants, one of them split by a = b), not the 3 of
    max(0, a, b); a ReLU unit that no window covers still splits its input space."""
    two = model([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[1, 2]),
                 helper.make_node("Flatten", ["p"], ["y"])], [], (1, 1, 2), 1)
    net = from_onnx(two)
    assert net.layers[0] == ReLU() and net.layers[-1] == Maxout(2)
    assert count_regions(net).activation_regions == reference_count(net) == 5
    gaps = model([helper.make_node("Relu", ["x"], ["r"]),
                  helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[1, 1], strides=[1, 2]),
                  helper.make_node("Flatten", ["p"], ["y"])], [], (1, 1, 3), 2)
    net = from_onnx(gaps)  # the pool reads entries 0 and 2; the ReLU of entry 1 is a unit all the same
    assert net([-1, -2, 3]) == (F(0), F(3))
    assert count_regions(net).activation_regions == reference_count(net) == 8


@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_average_pools_equal_the_model(count_include_pad):
    pool = dict(kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=count_include_pad)
    nodes = conv_nodes(lambda a, b: helper.make_node("AveragePool", [a], [b], **pool))
    m = model(nodes, conv_inits(2 * 3 * 3), (1, 4, 4), 2)
    net = from_onnx(m)
    assert [type(layer) for layer in net.layers] == [Affine, ReLU, Affine]  # the pool folds into the head
    assert_equals_the_model(m, net, (1, 4, 4))
    nodes = conv_nodes(lambda a, b: helper.make_node("GlobalAveragePool", [a], [b]))
    m = model(nodes, conv_inits(2), (1, 4, 4), 2)
    assert_equals_the_model(m, from_onnx(m), (1, 4, 4))


def test_average_pool_right_after_a_conv_folds_into_it():
    nodes = [helper.make_node("Conv", ["x", "k", "kb"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("AveragePool", ["c"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Relu", ["p"], ["a"]), helper.make_node("Flatten", ["a"], ["f"]),
             helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)]
    m = model(nodes, conv_inits(8), (1, 4, 4), 2)
    net = from_onnx(m)
    assert net.widths() == (16, 8, 2)
    assert_equals_the_model(m, net, (1, 4, 4))


def test_batchnorm_of_an_image_is_per_channel():
    nodes = [helper.make_node("Conv", ["x", "k", "kb"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("BatchNormalization", ["r", "g", "be", "mean", "var"], ["n"], epsilon=0.25),
             helper.make_node("MaxPool", ["n"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["f"]), helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)]
    inits = conv_inits(8) + [tensor("g", [2.0, -1.0]), tensor("be", [0.5, 0.0]), tensor("mean", [0.25, -1.0]),
                             tensor("var", [3.75, 0.0])]
    m = model(nodes, inits, (1, 4, 4), 2)
    net = from_onnx(m)
    assert [type(layer) for layer in net.layers] == [Affine, ReLU, Affine, Maxout, Affine]
    assert_equals_the_model(m, net, (1, 4, 4))


@pytest.mark.parametrize("attributes, message", [
    (dict(kernel_shape=[2, 2], storage_order=0, bogus=1), r"node #2 \(MaxPool\): attribute bogus is not supported"),
    (dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
     r"ceil_mode 1 adds windows past the input's end here \(output 2 x 2 instead of 1 x 1\); it is not supported"),
    (dict(strides=[2, 2]), r"node #2 \(MaxPool\): kernel_shape is missing"),
    (dict(kernel_shape=[2, 2], auto_pad="SAME_UPPER"), r"auto_pad SAME_UPPER is not supported; give explicit pads"),
    (dict(kernel_shape=[5, 5]), r"the kernel does not fit the 4 x 4 input"),
    (dict(kernel_shape=[2, 2], pads=[2, 2, 0, 0]), r"the window at \(0, 0, 0\) covers padding only"),
    (dict(kernel_shape=[2]), r"expected a 2-D kernel_shape of positive sizes, got \[2\]"),
])
def test_bad_pools_are_refused_in_one_line(tmp_path, capsys, attributes, message):
    m = model(conv_nodes(lambda a, b: helper.make_node("MaxPool", [a], [b], **attributes)), conv_inits(8),
              (1, 4, 4), 2)
    path = tmp_path / "pool.onnx"
    path.write_bytes(m.SerializeToString())
    with pytest.raises(InputError, match=message):
        load_model(path)
    code, out, err = run(capsys, "count", path, "--box", 0, 1)
    assert_one_error_line(code, out, err, r"pool\.onnx: .*" + message)


@pytest.mark.parametrize("nodes, message", [
    ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2.0, 2.0])],
     r"node #0 \(MaxPool\): attribute kernel_shape must be a list of integers \(INTS\), got FLOATS"),
    ([helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], pads=[0.5, 0.0, 0.0, 0.0])],
     r"node #0 \(AveragePool\): attribute pads must be a list of integers \(INTS\), got FLOATS"),
    ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides="ab")],
     r"node #0 \(MaxPool\): attribute strides must be a list of integers \(INTS\), got STRING"),
    ([helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], count_include_pad=0.5)],
     r"node #0 \(AveragePool\): attribute count_include_pad must be an integer \(INT\), got FLOAT"),
    ([helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], count_include_pad=2)],
     r"node #0 \(AveragePool\): attribute count_include_pad must be 0 or 1, got 2"),
    ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], ceil_mode=2)],
     r"node #0 \(MaxPool\): attribute ceil_mode must be 0 or 1, got 2"),
    ([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["r"], ["y"])],
     r"node #1 \(Add\): Add needs at least 2 inputs, got 1"),
    ([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Sum", [], ["y"])],
     r"node #1 \(Sum\): Sum needs at least 1 input, got 0"),
])
def test_bad_attributes_and_inputs_are_refused_in_one_line_naming_the_node(tmp_path, capsys, nodes, message):
    path = tmp_path / "bad.onnx"
    path.write_bytes(model(nodes, [], (1, 4, 4), 4).SerializeToString())
    with pytest.raises(InputError, match=message):
        load_model(path)
    code, out, err = run(capsys, "count", path)
    assert_one_error_line(code, out, err, r"bad\.onnx: " + message + "$")


def test_pool_windows_refuse_a_ceil_mode_other_than_0_or_1():
    with pytest.raises(InputError, match=r"^pool: ceil_mode must be 0 or 1, got 2$"):
        pool_windows((1, 4, 4), (2, 2), place="pool", ceil_mode=2)


def test_the_torch_reader_refuses_an_image_layer_without_an_image_shape():
    """Checked without torch: the walker's shape check runs before any module is read."""
    from polyregions.io.torch import _Walker
    walker = _Walker(approximate=False)
    with pytest.raises(InputError, match=r"^1 \(MaxPool2d\): needs a \(channels, height, width\) input, got an "
                                         r"unknown shape; pass input_shape=\(C, H, W\)$"):
        walker._image("1 (MaxPool2d)")
    walker.shape = (16,)
    with pytest.raises(InputError, match=r"^1 \(MaxPool2d\): needs a \(channels, height, width\) input, got 16 "
                                         r"values; pass input_shape=\(C, H, W\)$"):
        walker._image("1 (MaxPool2d)")
    walker.shape = (1, 4, 4)
    assert walker._image("1 (MaxPool2d)") == (1, 4, 4)


def test_pool_shapes_and_indices_are_refused():
    indices = model([helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[1, 2])], [], (1, 1, 4), 2)
    with pytest.raises(InputError, match=r"node #0 \(MaxPool\): only the first output \(the pooled values\)"):
        from_onnx(indices)
    vector = model([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2])], [], (4,), 2)
    with pytest.raises(InputError, match=r"only 2-D pooling of \(channels, height, width\) inputs is supported, "
                                         r"got shape \[4\]"):
        from_onnx(vector)
    # a pool of the input itself is a maxout of its entries
    direct = model([helper.make_node("MaxPool", ["x"], ["p"], kernel_shape=[1, 2], strides=[1, 2]),
                    helper.make_node("Flatten", ["p"], ["y"])], [], (1, 1, 4), 2)
    assert from_onnx(direct)(["1/2", -1, 3, 7]) == (F(1, 2), F(7))


# ----------------------------------------------------------------------------- the image maps


def test_image_maps_agree_with_their_dense_matrices():
    conv, shape = conv2d_map((2, 3, 4), dyadic(4, 1, 2, 2).tolist(), [1, 0, -1, 2], place="conv", groups=2,
                             strides=(1, 2), pads=(1, 0, 0, 1), dilations=(2, 1))
    windows, _ = pool_windows(shape, (2, 2), place="pool", pads=(1, 1, 0, 0))
    maps = [conv, average_pool_map(shape, windows, place="pool", count_include_pad=1),
            selection_map(4, [[None, 3], [1, 1]], place="select"),
            channel_map((2, 2, 3), [F(1, 2), 0], [1, 2], place="bn")]
    for image in maps:
        dense = image.dense()
        for _ in range(5):
            x = [F(int(v), 3) for v in RNG.integers(-9, 10, size=image.in_dim)]
            assert image.apply(x) == [sum((w * v for w, v in zip(row, x)), b) for row, b in zip(dense.weight,
                                                                                              dense.bias)]
    affine, out = conv2d_affine((1, 3, 3), [[[[1, 2], [3, 4]]]], None, place="conv")
    assert out == (1, 2, 2) and affine.weight[3] == (0, 0, 0, 0, 1, 2, 0, 3, 4)


def test_image_maps_pickle():
    conv, shape = conv2d_map((2, 3, 4), dyadic(4, 1, 2, 2).tolist(), [1, 0, -1, 2], place="conv", groups=2,
                             strides=(1, 2), pads=(1, 0, 0, 1), dilations=(2, 1))
    windows, _ = pool_windows(shape, (2, 2), place="pool", pads=(1, 1, 0, 0))
    for image in (conv, average_pool_map(shape, windows, place="pool"), selection_map(4, [[None, 3]], place="s"),
                  channel_map((2, 2, 3), [F(1, 2), 0], [1, 2], place="bn")):
        again = pickle.loads(pickle.dumps(image))
        assert again.dense() == image.dense() and repr(again) == repr(image)


def test_an_image_map_after_an_affine_layer_computes_each_row_once():
    conv, _ = conv2d_map((2, 3, 3), dyadic(3, 2, 2, 2).tolist(), [1, 0, -1], place="conv", pads=(1, 0, 0, 1))
    calls = []
    counting = ImageMap(conv.in_dim, conv.out_dim, lambda r: calls.append(r) or conv.row(r), "conv", "convolution")
    first = Affine.from_lists(dyadic(18, 4).tolist(), dyadic(18).tolist())
    assert counting.after(first) == compose(first, conv.dense())
    assert sorted(calls) == list(range(conv.out_dim))


def test_a_big_convolution_is_kept_sparse_refused_as_a_dense_map_and_acts_on_vectors(monkeypatch):
    from polyregions.io import imagemaps

    conv, shape = conv2d_map((1, 64, 64), [[[[1.0, 0.5]]]] * 16, None, place="conv")
    assert conv.out_dim * conv.in_dim > MAX_CONV_ENTRIES
    with pytest.raises(InputError, match=r"^conv: as a dense map this convolution has 64512 x 4096 entries, more "
                                         r"than the limit of 4,000,000$"):
        conv.dense()
    x = [F(0)] * 4096
    x[1] = F(1)
    assert conv.apply(x)[:2] == [F(1, 2), F(1)] and shape == (16, 64, 63)
    layer = conv.affine()  # as a layer it keeps its 2 nonzero weights per row
    assert layer.is_sparse and layer.weight.nonzeros == 2 * 64512 and layer.times(x) == conv.apply(x)
    # composed with the affine layer before it, it stays sparse
    conv, _ = conv2d_map((1, 32, 32), [[[[1.0, 0.5]]]] * 16, None, place="conv")
    scale = Fold(channel_map((1, 32, 32), [2], [1], place="bn").dense(), "batch norm")
    (merged,) = finalize([scale, conv])
    assert merged.is_sparse and merged == compose(scale.affine, conv.sparse())
    y = [F(i % 7, 3) for i in range(1024)]
    assert merged.times(y) == conv.apply(scale.affine.times(y))
    # and so after a dense layer too, when the product would be large
    first = Affine.from_lists([[1 if j == i % 3 else -j for j in range(3)] for i in range(1024)], [1] * 1024)
    dense = conv.after(first)
    monkeypatch.setattr(imagemaps, "MAX_CONV_ENTRIES", 1000)
    kept = conv.after(first)
    assert kept.is_sparse and not dense.is_sparse and tuple(kept.weight) == dense.weight and kept.bias == dense.bias
    monkeypatch.setattr(imagemaps, "MAX_SPARSE_ENTRIES", 1000)
    with pytest.raises(InputError, match=r"^conv: this convolution has more than 1,000 nonzero weights, the limit$"):
        conv.affine()
    with pytest.raises(InputError, match=r"^conv: this convolution after the affine layer before it has more than "
                                         r"1,000 nonzero weights, the limit$"):
        conv.after(first)


# ----------------------------------------------------------------------------- residual connections


def residual_block_nodes(skip_projection=False, final_relu=True, sub=False):
    """Conv -> Relu -> h; h -> Conv -> Relu -> Conv = g; Add(g, h or 1x1 Conv of h) -> Relu -> Gemm."""
    nodes = [helper.make_node("Conv", ["x", "k0", "b0"], ["c0"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c0"], ["h"]),
             helper.make_node("Conv", ["h", "k1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "k2", "b2"], ["g"], pads=[1, 1, 1, 1])]
    skip = "h"
    if skip_projection:
        nodes.append(helper.make_node("Conv", ["h", "kp", "bp"], ["s"]))
        skip = "s"
    nodes.append(helper.make_node("Sub" if sub else "Add", ["g", skip], ["sum"]))
    last = "sum"
    if final_relu:
        nodes.append(helper.make_node("Relu", ["sum"], ["out"]))
        last = "out"
    return nodes + [helper.make_node("Flatten", [last], ["f"]),
                    helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)]


def residual_inits(channels=2, size=3):
    return [tensor("k0", dyadic(channels, 1, 3, 3)), tensor("b0", dyadic(channels)),
            tensor("k1", dyadic(channels, channels, 3, 3)), tensor("b1", dyadic(channels)),
            tensor("k2", dyadic(channels, channels, 3, 3)), tensor("b2", dyadic(channels)),
            tensor("kp", dyadic(channels, channels, 1, 1)), tensor("bp", dyadic(channels)),
            tensor("w", dyadic(2, channels * size * size, denominator=8)), tensor("b", dyadic(2))]


@pytest.mark.parametrize("skip_projection", [False, True])
@pytest.mark.parametrize("final_relu", [False, True])
@pytest.mark.parametrize("sub", [False, True])
def test_residual_blocks_equal_the_model(skip_projection, final_relu, sub):
    m = model(residual_block_nodes(skip_projection, final_relu, sub), residual_inits(), (1, 3, 3), 2)
    net = from_onnx(m)
    assert_equals_the_model(m, net, (1, 3, 3), points=25)
    # the skipped value (18 units) is carried through the branch's ReLU next to its 18 own units
    assert net.widths()[:3] == (9, 18, 36)


def residual_plane_model(second_branch_relu=False):
    """x in R^2 -> Gemm (3) -> Relu = h; Add(Gemm(Relu(Gemm(h))), h) -> Relu -> Gemm."""
    branch = [helper.make_node("Gemm", ["h", "w1", "b1"], ["z1"], transB=1),
              helper.make_node("Relu", ["z1"], ["a1"]),
              helper.make_node("Gemm", ["a1", "w2", "b2"], ["g"], transB=1)]
    skip = "h"
    if second_branch_relu:
        branch += [helper.make_node("Gemm", ["h", "w3", "b3"], ["z3"], transB=1),
                   helper.make_node("Relu", ["z3"], ["a3"]), helper.make_node("Relu", ["a3"], ["a4"])]
        skip = "a4"
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["z0"], transB=1), helper.make_node("Relu", ["z0"], ["h"]),
             *branch, helper.make_node("Add", [skip, "g"], ["s"]), helper.make_node("Relu", ["s"], ["r"]),
             helper.make_node("Gemm", ["r", "w4", "b4"], ["y"], transB=1)]
    inits = [tensor("w0", dyadic(3, 2)), tensor("b0", dyadic(3)), tensor("w1", dyadic(3, 3)), tensor("b1", dyadic(3)),
             tensor("w2", dyadic(3, 3)), tensor("b2", dyadic(3)), tensor("w3", dyadic(3, 3)), tensor("b3", dyadic(3)),
             tensor("w4", dyadic(1, 3)), tensor("b4", [0.0])]
    return model(nodes, inits, (2,), 1)


@pytest.mark.parametrize("seed", range(4))
def test_residual_carries_add_no_region(seed):
    """The units that carry the skipped value through the branch's ReLU have no breakpoint of their
    own: no two regions differ in them only, and the engine agrees with the brute-force reference."""
    global RNG
    RNG = np.random.default_rng(100 + seed)
    m = residual_plane_model()
    net = from_onnx(m)
    assert_equals_the_model(m, net, (2,))
    assert net.widths() == (2, 3, 6, 3, 1)  # layer 2: 3 own units, then 3 carrying h
    box = Domain.box(2, -2, 2)
    regions = reference_regions(net, *BOX)
    own = {(r.pattern[0], r.pattern[1][:3], r.pattern[2]) for r in regions}
    assert len(own) == len(regions)
    for r in regions:  # a carrying unit is on exactly where the unit it copies is on
        assert r.pattern[1][3:].replace("-", "0") == r.pattern[0].replace("-", "0")
    assert count_regions(net, box).activation_regions == len(regions)


def test_residual_branches_of_different_depths():
    m = residual_plane_model(second_branch_relu=True)
    net = from_onnx(m)
    assert_equals_the_model(m, net, (2,))
    box = Domain.box(2, -2, 2)
    assert count_regions(net, box).activation_regions == reference_count(net, *BOX)


def test_residual_sum_of_two_affine_branches_is_affine():
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["a"], transB=1),
             helper.make_node("Gemm", ["x", "w1", "b1"], ["b"], transB=1), helper.make_node("Sub", ["a", "b"], ["y"])]
    m = model(nodes, [tensor("w0", [[1.0, 2.0]]), tensor("b0", [1.0]), tensor("w1", [[0.5, 2.0]]),
                      tensor("b1", [0.25])], (2,), 1)
    assert from_onnx(m) == Network.from_layers(2, [Affine.from_lists([["1/2", 0]], ["3/4"])])


@pytest.mark.parametrize("nodes, message", [
    # the skipped value is the input, which may be negative: a ReLU would change it
    ([helper.make_node("Gemm", ["x", "w", "b"], ["z"], transB=1), helper.make_node("Relu", ["z"], ["r"]),
      helper.make_node("Gemm", ["r", "w", "b"], ["g"], transB=1), helper.make_node("Add", ["x", "g"], ["y"])],
     r"node #3 \(Add\): the shorter branch would carry a value that may be negative through a relu layer of the "
     r"other, which is not exact without extra regions"),
    ([helper.make_node("Gemm", ["x", "w", "b"], ["z"], transB=1), helper.make_node("Relu", ["z"], ["r"]),
      helper.make_node("Abs", ["z"], ["q"]), helper.make_node("Add", ["r", "q"], ["y"])],
     r"node #3 \(Add\): the two branches apply relu and abs at the same depth"),
    ([helper.make_node("Gemm", ["x", "w", "b"], ["z"], transB=1), helper.make_node("Relu", ["z"], ["r"]),
      helper.make_node("Gemm", ["r", "w", "b"], ["g"], transB=1),
      helper.make_node("Clip", ["g", "lo", "hi"], ["clipped"]),
      helper.make_node("Add", ["r", "clipped"], ["y"])],
     r"node #4 \(Add\): the shorter branch would carry a value through a hardtanh layer"),
    ([helper.make_node("Gemm", ["x", "v", "c"], ["z"], transB=1), helper.make_node("Add", ["x", "z"], ["y"])],
     r"node #1 \(Add\): adds tensors of shapes \[2\] and \[3\]"),
])
def test_residuals_that_are_not_exact_are_refused(tmp_path, capsys, nodes, message):
    inits = [tensor("w", [[1.0, -1.0], [0.5, 2.0]]), tensor("b", [0.0, 1.0]), tensor("lo", -1.0), tensor("hi", 1.0),
             tensor("v", np.ones((3, 2))), tensor("c", np.zeros(3))]
    path = tmp_path / "res.onnx"
    path.write_bytes(model(nodes, inits, (2,), 2).SerializeToString())
    with pytest.raises(InputError, match=message):
        load_model(path)
    code, out, err = run(capsys, "count", path)
    assert_one_error_line(code, out, err, r"res\.onnx: " + message)


def test_branches_with_maxouts_of_different_ranks_are_refused_naming_the_ranks():
    pairs = [Affine.from_lists([[1], [2], [3], [4]]), Maxout(2)]
    triples = [Affine.from_lists([[1], [2], [3], [4], [5], [6]]), Maxout(3)]
    with pytest.raises(InputError, match=r"^add: the two branches apply maxout of rank 2 and maxout of rank 3 at the "
                                         r"same depth; a residual connection is read where both apply the same "
                                         r"activation$"):
        residual_sum(pairs, triples, 1, "add")


def test_residual_sum_on_layers():
    stem = [Affine.from_lists([[1], [-1]]), ReLU()]
    block = stem + [Affine.from_lists([[1, 1]], [-1]), ReLU(), Affine.from_lists([[2], [3]])]
    layers = residual_sum(stem, block, 1, "add", sign=-1)  # stem - block: the longer branch second
    net = Network.from_layers(1, layers)
    for x in (F(-3), F(1, 3), F(5, 2)):
        h = [max(x, F(0)), max(-x, F(0))]
        g = max(h[0] + h[1] - 1, F(0))
        assert net([x]) == (h[0] - 2 * g, h[1] - 3 * g)


# ----------------------------------------------------------------------------- slices


def image_model(channels=8, size=28, pool=2):
    """Conv (3x3, padding 1) -> BatchNormalization -> Relu -> MaxPool -> Flatten -> Gemm (2 outputs)."""
    flat = channels * (size // pool) ** 2
    nodes = [helper.make_node("Conv", ["x", "k", "kb"], ["c"], pads=[1, 1, 1, 1], name="conv"),
             helper.make_node("BatchNormalization", ["c", "g", "be", "mean", "var"], ["n"], epsilon=0.0),
             helper.make_node("Relu", ["n"], ["r"]),
             helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[pool, pool], strides=[pool, pool]),
             helper.make_node("Flatten", ["p"], ["f"]), helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)]
    inits = [tensor("k", dyadic(channels, 1, 3, 3)), tensor("kb", dyadic(channels)),
             tensor("g", dyadic(channels) + 2), tensor("be", dyadic(channels)), tensor("mean", dyadic(channels)),
             tensor("var", [4.0] * channels), tensor("w", dyadic(2, flat, denominator=16)), tensor("b", dyadic(2))]
    return model(nodes, inits, (1, size, size), 2)


def lifted(p0, p1, p2, s, t):
    return [a + s * (b - a) + t * (c - a) for a, b, c in zip(p0, p1, p2)]


def test_a_slice_never_makes_the_first_convolution_dense(tmp_path, capsys):
    """A Conv with 8 channels on a 1x28x28 image is a 6272 x 784 map, kept sparse when the whole model
    is read; on a slice it acts on three vectors, and the sliced network is the model on the plane."""
    m = image_model()
    path = tmp_path / "image.onnx"
    path.write_bytes(m.SerializeToString())
    whole = load_model(path)
    assert whole.layers[0].is_sparse and whole.layers[0].weight.nonzeros <= 9 * 6272  # of 6272 x 784
    x = [F(i % 5, 4) for i in range(784)]
    expected = ReferenceEvaluator(m).run(None, {"x": np.array([float(v) for v in x]).reshape(1, 1, 28, 28)})[0]
    assert list(whole(x)) == [F(float(v)) for v in expected.reshape(-1)]
    # with --rationalize the whole network is read first (sparse) and then restricted to the plane
    texts = ["0," * 783 + "0", "1," * 783 + "0", "0," * 783 + "1"]
    code, out, err = run(capsys, "count", path, "--slice", *texts, "--rationalize", 100, "--box", 0, "1/8",
                         "--jobs", 1)
    assert code == 0, err
    assert f"network:            {path} (784 -> 6272 -> 2, relu, maxout)" in out
    rationalized = slice_network(rationalize_network(whole, 100), *[[F(v) for v in t.split(",")] for t in texts])
    assert f"activation regions: {count_regions(rationalized, Domain.box(2, 0, F(1, 8))).activation_regions} " in out
    p0 = [F(0)] * 784
    p1 = [F(int(i // 28 < 14)) for i in range(784)]
    p2 = [F(int(i % 28 < 14), 2) for i in range(784)]
    net = load_model(path, plane=(p0, p1, p2))
    assert net.input_dim == 2 and [type(layer) for layer in net.layers] == [Affine, ReLU, Maxout, Affine]
    evaluator = ReferenceEvaluator(m)
    for s, t in ((F(0), F(0)), (F(1, 2), F(1, 4)), (F(-3, 8), F(1)), (F(2), F(-5, 4))):
        x = np.array([float(v) for v in lifted(p0, p1, p2, s, t)]).reshape(1, 1, 28, 28)
        assert list(net([s, t])) == [F(float(v)) for v in evaluator.run(None, {"x": x})[0].reshape(-1)]


def test_slices_of_small_models_agree_with_slicing_the_dense_network(tmp_path, capsys):
    m = image_model(channels=2, size=6)
    path = tmp_path / "small.onnx"
    path.write_bytes(m.SerializeToString())
    p0, p1, p2 = ([F(int(v), 4) for v in RNG.integers(-4, 5, size=36)] for _ in range(3))
    lazy = load_model(path, plane=(p0, p1, p2))
    dense = slice_network(load_model(path), p0, p1, p2)
    box = Domain.box(2, 0, 1)
    assert count_regions(lazy, box) == count_regions(dense, box)
    for s, t in ((F(1, 3), F(2, 3)), (F(-1), F(5))):
        assert lazy([s, t]) == dense([s, t])
    texts = [",".join(str(v) for v in p) for p in (p0, p1, p2)]
    code, out, err = run(capsys, "count", path, "--slice", *texts, "--json")
    assert code == 0, err
    assert f'"activation_regions": {count_regions(dense, box).activation_regions},' in out
    code, out, err = run(capsys, "count", path, "--slice", *texts)
    # read straight onto the plane, the model's own first layer is never built: the header says so
    assert f"network:            {path} (on the plane: 2 -> 72 -> 2, relu, maxout)" in out
    code, out, err = run(capsys, "count", path, "--slice", *texts, "--rationalize", 1000)
    assert f"network:            {path} (36 -> 72 -> 2, relu, maxout)" in out  # read whole first: its own
    # the plane's points are checked against the model's inputs, and must span a plane
    code, out, err = run(capsys, "count", path, "--slice", "1,2", texts[1], texts[2])
    assert_one_error_line(code, out, err, r"error: --slice P0: 2 coordinates in '1,2', the network has 36 inputs$")
    with pytest.raises(DomainError, match=r"slice points are collinear"):
        load_model(path, plane=(p0, p0, p2))


def test_restrict_pushes_three_vectors_through_the_first_block():
    conv, _ = conv2d_map((1, 2, 2), [[[[1, 2]]]], [3], place="conv")
    layers = restrict([conv, ReLU(), Affine.from_lists([[1, 1]])], 4, [0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1])
    assert layers[0] == Affine.from_lists([[1, 0], [0, 2]], [3, 3]) and layers[1:] == [ReLU(),
                                                                                      Affine.from_lists([[1, 1]])]
    # a network without an activation is one affine map of (s, t)
    assert restrict([conv], 4, [0] * 4, [1, 1, 1, 1], [0, 0, 1, 0]) == [Affine.from_lists([[3, 0], [3, 1]], [3, 3])]


def test_a_residual_block_after_a_max_pool_of_a_relu():
    """A ResNet stem: Conv -> Relu -> MaxPool, whose output max(0, window) is >= 0, then a block
    whose skip carries it through the branch's ReLU."""
    nodes = [helper.make_node("Conv", ["x", "k0", "b0"], ["c0"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c0"], ["r0"]),
             helper.make_node("MaxPool", ["r0"], ["h"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Conv", ["h", "k1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "k2", "b2"], ["g"], pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["h", "g"], ["s"]), helper.make_node("Relu", ["s"], ["out"]),
             helper.make_node("Flatten", ["out"], ["f"]), helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)]
    m = model(nodes, residual_inits(size=2), (1, 4, 4), 2)
    net = from_onnx(m)
    assert [type(layer) for layer in net.layers] == [Affine, ReLU, Maxout, Affine, ReLU, Affine, ReLU, Affine]
    assert_equals_the_model(m, net, (1, 4, 4))
    # a max pool without the ReLU may be negative: its skip is refused
    nodes[1] = helper.make_node("Identity", ["c0"], ["r0"])
    with pytest.raises(InputError, match=r"node #6 \(Add\): the shorter branch would carry a value that may be "
                                         r"negative through a relu layer"):
        from_onnx(model(nodes, residual_inits(size=2), (1, 4, 4), 2))


def pooled_residual_model(pool_attributes):
    """x in R^2 -> Gemm (6) -> Reshape (1, 2, 3) -> Relu -> MaxPool = h (4 values);
    Add(h, Gemm(Relu(Gemm(h)))) -> Relu -> Gemm: a ResNet stem's pool skipped over by a block."""
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["z"], transB=1),
             helper.make_node("Reshape", ["z", "shape"], ["img"]), helper.make_node("Relu", ["img"], ["r"]),
             helper.make_node("MaxPool", ["r"], ["p"], **pool_attributes), helper.make_node("Flatten", ["p"], ["h"]),
             helper.make_node("Gemm", ["h", "w1", "b1"], ["z1"], transB=1), helper.make_node("Relu", ["z1"], ["a1"]),
             helper.make_node("Gemm", ["a1", "w2", "b2"], ["g"], transB=1), helper.make_node("Add", ["h", "g"], ["s"]),
             helper.make_node("Relu", ["s"], ["o"]), helper.make_node("Gemm", ["o", "w3", "b3"], ["y"], transB=1)]
    inits = [tensor("w0", dyadic(6, 2)), tensor("b0", dyadic(6)), tensor("shape", [-1, 1, 2, 3], np.int64),
             tensor("w1", dyadic(2, 4)), tensor("b1", dyadic(2)), tensor("w2", dyadic(4, 2)),
             tensor("b2", dyadic(4)), tensor("w3", dyadic(1, 4)), tensor("b3", [0.0])]
    return model(nodes, inits, (2,), 1)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("pool", [dict(kernel_shape=[1, 2], strides=[1, 1]),
                                  dict(kernel_shape=[2, 1], strides=[1, 2], pads=[0, 0, 1, 0])])
def test_a_carried_max_pool_of_a_relu_adds_no_region(seed, pool):
    """The pool of a ReLU's output is >= 0, so the units that carry it through the block's ReLU
    never split a region: dropping them leaves the patterns distinct (brute-force reference), and
    a carrying unit is positive exactly where the value it copies is."""
    global RNG
    RNG = np.random.default_rng(300 + seed)
    m = pooled_residual_model(pool)
    net = from_onnx(m)
    assert_equals_the_model(m, net, (2,))
    assert [type(layer) for layer in net.layers] == [Affine, ReLU, Affine, Maxout, Affine, ReLU, Affine, ReLU,
                                                     Affine]
    assert net.widths()[3] == 2 + 4  # the block's 2 own units, then 4 carrying h
    regions = reference_regions(net, *BOX)
    own = {(r.pattern[0], r.pattern[1], r.pattern[2][:2], r.pattern[3]) for r in regions}
    assert len(own) == len(regions)
    for r in regions:
        h = Network.from_layers(2, list(net.layers[:4]))(r.point)
        assert [c == "+" for c in r.pattern[2][2:]] == [v > 0 for v in h]
    assert count_regions(net, Domain.box(2, -2, 2)).activation_regions == len(regions)


def test_global_max_pool_equals_the_model():
    m = model(conv_nodes(lambda a, b: helper.make_node("GlobalMaxPool", [a], [b])), conv_inits(2), (1, 4, 4), 2)
    net = from_onnx(m)
    assert net.layers[1:3] == (ReLU(), Maxout(16))
    assert_equals_the_model(m, net, (1, 4, 4))


def test_slices_of_json_networks_are_the_same_function():
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo.json"
    net = load_model(demo)
    points = ([0, 0], [1, "1/2"], ["-1/3", 2])
    sliced = load_model(demo, plane=points)
    box = Domain.box(2, -1, 1)
    assert count_regions(sliced, box) == count_regions(slice_network(net, *points), box)
    assert sliced.widths() == (2, 8, 8, 1)  # the plane's map is composed into the first layer
    assert sliced([F(1, 7), F(-2, 3)]) == net(lifted(*[[F(v) for v in p] for p in points], F(1, 7), F(-2, 3)))


def test_a_maxout_carries_any_value():
    """A branch whose only activation is a max pool (no ReLU): the skipped input, which may be
    negative, is carried as all the candidates of a maxout unit of its own (no breakpoint)."""
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["z"], transB=1),
             helper.make_node("Reshape", ["z", "shape"], ["img"]),
             helper.make_node("MaxPool", ["img"], ["p"], kernel_shape=[1, 2], strides=[1, 1]),
             helper.make_node("Flatten", ["p"], ["f"]), helper.make_node("Gemm", ["f", "w1", "b1"], ["g"], transB=1),
             helper.make_node("Add", ["g", "x"], ["y"])]
    inits = [tensor("w0", dyadic(6, 2)), tensor("b0", dyadic(6)), tensor("shape", [-1, 1, 2, 3], np.int64),
             tensor("w1", dyadic(2, 4)), tensor("b1", dyadic(2))]
    m = model(nodes, inits, (2,), 2)
    net = from_onnx(m)
    assert net.layers[1] == Maxout(2) and net.widths() == (2, 12, 2)  # 4 pool units and 2 carrying x
    assert_equals_the_model(m, net, (2,))
    regions = reference_regions(net, *BOX)
    assert all(r.pattern[0].split(",")[4:] == ["0", "0"] for r in regions)
    assert count_regions(net, Domain.box(2, -2, 2)).activation_regions == len(regions)


def test_sum_of_three_branches():
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["z"], transB=1), helper.make_node("Relu", ["z"], ["h"]),
             helper.make_node("Gemm", ["h", "w1", "b1"], ["z1"], transB=1), helper.make_node("Relu", ["z1"], ["a1"]),
             helper.make_node("Gemm", ["a1", "w2", "b2"], ["g1"], transB=1),
             helper.make_node("Gemm", ["h", "w2", "b2"], ["g2"], transB=1),
             helper.make_node("Sum", ["h", "g1", "g2"], ["y"])]
    inits = [tensor("w0", dyadic(3, 2)), tensor("b0", dyadic(3)), tensor("w1", dyadic(3, 3)), tensor("b1", dyadic(3)),
             tensor("w2", dyadic(3, 3)), tensor("b2", dyadic(3))]
    m = model(nodes, inits, (2,), 3)
    assert_equals_the_model(m, from_onnx(m), (2,))
    nodes[-1] = helper.make_node("Sum", ["h", "g1", "b2"], ["y"])
    with pytest.raises(InputError, match=r"node #6 \(Sum\): Sum of 3 tensors with a constant among them"):
        from_onnx(model(nodes, inits, (2,), 3))


def test_a_window_beyond_the_maxout_rank_limit_is_refused():
    m = model(conv_nodes(lambda a, b: helper.make_node("GlobalMaxPool", [a], [b], name="gmp")), conv_inits(2),
              (1, 17, 17), 2)
    with pytest.raises(InputError, match=r"^ONNX model: node 'gmp' \(GlobalMaxPool\): a window of 289 entries is a "
                                         r"maxout of rank 289, more than the limit of 256$"):
        from_onnx(m)


def two_conv_model(size=8):
    """Conv 2@3x3 -> Relu -> MaxPool 2 -> Conv 3@3x3 -> Relu -> MaxPool 2 -> Flatten -> Gemm (2 outputs):
    the MNIST shape in small, its second convolution after an activation."""
    flat = 3 * (size // 4) ** 2
    nodes = [helper.make_node("Conv", ["x", "k1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Conv", ["p1", "k2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c2"], ["r2"]),
             helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p2"], ["f"]), helper.make_node("Gemm", ["f", "w", "b"], ["y"], transB=1)]
    inits = [tensor("k1", dyadic(2, 1, 3, 3)), tensor("b1", dyadic(2)), tensor("k2", dyadic(3, 2, 3, 3)),
             tensor("b2", dyadic(3)), tensor("w", dyadic(2, flat)), tensor("b", dyadic(2))]
    return model(nodes, inits, (1, size, size), 2)


def test_a_convolution_after_an_activation_kept_sparse_gives_the_dense_regions_and_graph(tmp_path, monkeypatch):
    """The second convolution of a small two-convolution network, forced sparse, against the same
    network with it dense: the same regions, output maps and neighbours across every facet (the
    crossing carries the change of the derivatives through the sparse layer), and the model's
    outputs at points."""
    from polyregions.io import imagemaps
    from polyregions.search.adjacency import facet_neighbors
    from polyregions.search.engine import enumerate_regions

    m = two_conv_model()
    path = tmp_path / "two.onnx"
    path.write_bytes(m.SerializeToString())
    plane = [[F(int(v), 4) for v in RNG.integers(0, 5, size=64)] for _ in range(3)]
    dense = load_model(path, plane=plane)
    monkeypatch.setattr(imagemaps, "MAX_CONV_ENTRIES", 0)
    sparse = load_model(path, plane=plane)
    assert [layer.is_sparse for layer in sparse.layers if isinstance(layer, Affine)] == [False, True, False]
    assert not any(layer.is_sparse for layer in dense.layers if isinstance(layer, Affine))
    box = Domain.box(2, 0, "1/2")

    def graph(net):
        return {r.key: (r.output_map, sorted(str(p) for _, p in facet_neighbors(r)))
                for r in enumerate_regions(net, box)}

    expected = graph(dense)
    assert len(expected) > 20 and graph(sparse) == expected, len(expected)
    assert count_regions(sparse, box) == count_regions(dense, box)
    evaluator = ReferenceEvaluator(m)
    for s, t in ((F(0), F(0)), (F(1, 2), F(3, 4)), (F(-1), F(2))):
        x = np.array([float(v) for v in lifted(*plane, s, t)]).reshape(1, 1, 8, 8)
        assert list(sparse([s, t])) == [F(float(v)) for v in evaluator.run(None, {"x": x})[0].reshape(-1)]
