"""Write examples/cnn.onnx, the image model of the README's "Bring your own model".

A small CNN on 1x28x28 images with float32 weights from a fixed seed, built with
onnx.helper (no torch needed): Conv (8 filters, 3x3, padding 1) -> BatchNormalization
-> Relu -> MaxPool (4x4, stride 4) -> Flatten -> Gemm (392 -> 2).
As a dense map the convolution has 6272 x 784 entries, more than polyregions unrolls,
so the model loads on a 2-D slice only:  .venv/bin/python examples/make_cnn_onnx.py
"""

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(2014)


def tensor(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


inits = [tensor("conv.weight", rng.normal(size=(8, 1, 3, 3)) / 3), tensor("conv.bias", rng.normal(size=8) / 4),
         # running_var + eps = 1 and 4: square roots 1 and 2, so the batch norm is exact
         tensor("bn.scale", rng.uniform(0.5, 1.5, size=8)), tensor("bn.bias", rng.normal(size=8) / 4),
         tensor("bn.mean", rng.normal(size=8) / 4), tensor("bn.var", [0.75, 3.75] * 4),
         tensor("fc.weight", rng.normal(size=(2, 8 * 7 * 7)) / 20), tensor("fc.bias", [0.0, 0.0])]
nodes = [helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], pads=[1, 1, 1, 1], name="conv"),
         helper.make_node("BatchNormalization", ["c", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["n"],
                          epsilon=0.25, name="bn"),
         helper.make_node("Relu", ["n"], ["r"], name="relu"),
         helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[4, 4], strides=[4, 4], name="pool"),
         helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
         helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["score"], transB=1, name="fc")]
graph = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 28, 28])],
                          [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 2])], initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8,
                          producer_name="polyregions examples")
Path(__file__).with_name("cnn.onnx").write_bytes(model.SerializeToString())
