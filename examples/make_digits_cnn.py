"""Write examples/digits/: a small CNN trained on scikit-learn's 8x8 digits, for notebook 06.

Run by hand (the files it writes are in the repository; nothing in `make test` runs it).
It needs numpy, onnx and scikit-learn, whose bundled digits need no download; scikit-learn
is no dependency of polyregions, so install it anywhere, for instance

    .venv/bin/python -m pip install --target /tmp/sk scikit-learn
    PYTHONPATH=/tmp/sk .venv/bin/python examples/make_digits_cnn.py

The network, trained in plain numpy (full-batch Adam on the cross-entropy, a fixed seed):
Conv (4 filters, 3x3, no padding) -> Relu -> MaxPool (2x2, stride 2) -> Flatten -> Gemm (36 -> 10)
on 1x8x8 images with values v/16 (v = 0..16, exact decimals). Every weight is rounded to a
multiple of 1/256 when a checkpoint is written (float32 holds it exactly), so the exact
arithmetic on a slice stays cheap; the accuracies printed and stored are those of the rounded
weights. It writes, in examples/digits/:

- digits_epoch{E}.onnx for E in EPOCHS (epoch 0 is the initialisation);
- slice.json: three test images (a 0, a 1 and a 7) as exact decimals, and each
  checkpoint's test accuracy.
"""

import json
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits

EPOCHS = (0, 2, 5, 20, 60)
FILTERS = 4
STEP = 256  # weights are multiples of 1/STEP in the files
OUT = Path(__file__).with_name("digits")


def patches(x):
    """(N, 1, 8, 8) -> (N, 36, 9): the 3x3 patch at each of the 6x6 positions."""
    return np.stack([x[:, 0, r:r + 3, c:c + 3].reshape(len(x), 9) for r in range(6) for c in range(6)], axis=1)


def forward(params, x):
    w, b, v, c = params
    p = patches(x)                                   # N, 36, 9
    z = p @ w.reshape(FILTERS, 9).T + b              # N, 36 positions, F
    a = np.maximum(z, 0).reshape(len(x), 6, 6, FILTERS)
    pooled = a.reshape(len(x), 3, 2, 3, 2, FILTERS).max(axis=(2, 4))   # N, 3, 3, F
    flat = pooled.transpose(0, 3, 1, 2).reshape(len(x), -1)           # channel-major, as ONNX flattens
    return p, z, a, pooled, flat, flat @ v.T + c


def gradients(params, x, y):
    w, b, v, c = params
    n = len(x)
    p, z, a, pooled, flat, scores = forward(params, x)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    g = e / e.sum(axis=1, keepdims=True)
    g[np.arange(n), y] -= 1
    g /= n
    gv, gc = g.T @ flat, g.sum(axis=0)
    gpool = (g @ v).reshape(n, FILTERS, 3, 3).transpose(0, 2, 3, 1)
    blocks = a.reshape(n, 3, 2, 3, 2, FILTERS)
    mask = blocks == pooled[:, :, None, :, None, :]
    mask = mask / mask.sum(axis=(2, 4), keepdims=True)                # ties share the gradient
    ga = (mask * gpool[:, :, None, :, None, :]).reshape(n, 36, FILTERS) * (z > 0)
    gw = np.einsum("npf,npk->fk", ga, p).reshape(FILTERS, 1, 3, 3)
    return [gw, ga.sum(axis=(0, 1)), gv, gc]


def rounded(params):
    return [np.round(q * STEP) / STEP for q in params]


def accuracy(params, x, y):
    return float((forward(params, x)[-1].argmax(axis=1) == y).mean())


def save(params, path):
    w, b, v, c = rounded(params)
    inits = [numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)
             for name, a in (("conv.weight", w), ("conv.bias", b), ("fc.weight", v), ("fc.bias", c))]
    nodes = [helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="conv"),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["score"], transB=1, name="fc")]
    graph = helper.make_graph(nodes, "digits_cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 8, 8])],
                              [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 10])],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8,
                              producer_name="polyregions examples/make_digits_cnn.py")
    path.write_bytes(model.SerializeToString())


def main():
    digits = load_digits()
    x = (digits.images / 16.0).reshape(-1, 1, 8, 8)   # v/16: exact in binary and in decimal
    y = digits.target
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:1400], order[1400:]
    rng = np.random.default_rng(2014)
    params = [rng.normal(size=(FILTERS, 1, 3, 3)) / 3, np.full(FILTERS, 0.1),
              rng.normal(size=(10, FILTERS * 9)) / 6, np.zeros(10)]
    moments = [[np.zeros_like(q), np.zeros_like(q)] for q in params]
    OUT.mkdir(exist_ok=True)
    accuracies = {}
    step = 0
    for epoch in range(max(EPOCHS) + 1):
        if epoch in EPOCHS:
            save(params, OUT / f"digits_epoch{epoch}.onnx")
            accuracies[epoch] = accuracy(rounded(params), x[test], y[test])
            print(f"epoch {epoch}: test accuracy {accuracies[epoch]:.3f} (weights rounded to 1/{STEP})")
        for batch in np.array_split(train[rng.permutation(len(train))], 10):   # 10 Adam steps an epoch
            step += 1
            for q, g, m in zip(params, gradients(params, x[batch], y[batch]), moments):
                m[0] = 0.9 * m[0] + 0.1 * g
                m[1] = 0.999 * m[1] + 0.001 * g * g
                q -= 0.02 * (m[0] / (1 - 0.9 ** step)) / (np.sqrt(m[1] / (1 - 0.999 ** step)) + 1e-8)
    picks = [int(test[np.flatnonzero(y[test] == digit)[0]]) for digit in (0, 1, 7)]
    images = {f"p{i}": [str(v / 16).removesuffix(".0") for v in digits.images[k].reshape(-1)]
              for i, k in enumerate(picks)}
    info = {"shape": [1, 8, 8], "labels": [int(y[k]) for k in picks], **images,
            "test_accuracy": {str(e): round(accuracies[e], 4) for e in EPOCHS},
            "note": "pixel values v/16 of sklearn's load_digits() test images; written by examples/make_digits_cnn.py"}
    text = json.dumps(info, indent=1)
    for name in images:  # one line per image
        text = text.replace(json.dumps(images[name], indent=1).replace("\n", "\n "), json.dumps(images[name]))
    (OUT / "slice.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
