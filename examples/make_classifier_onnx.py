"""Write examples/classifier.onnx, the ONNX model of the README's "Bring your own model".

A 2-8-8-1 ReLU classifier with float32 weights from a fixed seed, built with onnx.helper
(no torch needed):  .venv/bin/python examples/make_classifier_onnx.py
"""

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(2014)
shapes = [(8, 2), (8, 8), (1, 8)]
nodes, inits, current = [], [], "x"
for i, shape in enumerate(shapes):
    inits += [numpy_helper.from_array(rng.normal(size=shape).astype(np.float32), f"fc{i}.weight"),
              numpy_helper.from_array((rng.normal(size=shape[0]) * 0.5).astype(np.float32), f"fc{i}.bias")]
    out = "score" if i == len(shapes) - 1 else f"z{i}"
    nodes.append(helper.make_node("Gemm", [current, f"fc{i}.weight", f"fc{i}.bias"], [out], transB=1, name=f"fc{i}"))
    if out != "score":
        nodes.append(helper.make_node("Relu", [out], [f"a{i}"], name=f"relu{i}"))
        current = f"a{i}"
graph = helper.make_graph(nodes, "classifier", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
                          [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1])], initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8,
                          producer_name="polyregions examples")
Path(__file__).with_name("classifier.onnx").write_bytes(model.SerializeToString())
