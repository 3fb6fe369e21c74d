"""PyTorch models in (make test-torch): modules, .pt files, state dicts with --arch, and
relucent's published checkpoints, which must import to exactly the JSON networks beside them."""

from __future__ import annotations

import json
import warnings
from fractions import Fraction as F

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason="needs torch: make test-torch (pip install torch==2.13.0)")
from torch import nn  # noqa: E402

from polyregions import from_torch, load_model  # noqa: E402
from polyregions.errors import InputError  # noqa: E402
from polyregions.io.torch import from_state_dict, load_torch, parse_arch  # noqa: E402
from polyregions.core.layers import Affine, HardTanh, LeakyReLU, ReLU
from polyregions.core.network import Network, load_network  # noqa: E402

from tests.support.clirun import assert_one_error_line, run  # noqa: E402


def exact(tensor):
    return tuple(tuple(F(v) for v in row) for row in tensor.detach().tolist()) if tensor.dim() == 2 \
        else tuple(F(v) for v in tensor.detach().tolist())


def small(seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 3), nn.LeakyReLU(0.1)),
                         nn.Dropout(0.5), nn.Identity(), nn.Flatten(), nn.Linear(3, 1), nn.Hardtanh(-1, 2)).to(dtype)


def test_sequential_is_read_exactly():
    model = small()
    net = from_torch(model)
    l1, l2, l3 = model[0], model[2][0], model[6]
    assert net == Network.from_layers(2, [Affine(exact(l1.weight), exact(l1.bias)), ReLU(),
                                          Affine(exact(l2.weight), exact(l2.bias)), LeakyReLU(F(0.1)),
                                          Affine(exact(l3.weight), exact(l3.bias)), HardTanh(F(-1), F(2))])
    # the exact forward pass agrees with torch's float64 one within rounding
    model64 = small(dtype=torch.float64).eval()   # dropout is the identity at inference
    net64 = from_torch(model64)
    gen = torch.Generator().manual_seed(1)
    for _ in range(20):
        x = torch.rand(1, 2, generator=gen, dtype=torch.float64) * 4 - 2
        ours = net64([F(v) for v in x[0].tolist()])
        assert abs(float(ours[0]) - model64(x).item()) < 1e-12


def test_relu6_and_conv2d():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, stride=2), nn.ReLU6(), nn.Flatten(), nn.Linear(32, 1)).eval()
    net = from_torch(model, input_shape=(1, 8, 8))
    assert net.widths() == (64, 32, 1) and net.layers[1] == HardTanh(F(0), F(6))
    x = torch.rand(1, 1, 8, 8, dtype=torch.float32)
    ours = net([F(v) for v in x.reshape(-1).tolist()])
    assert abs(float(ours[0]) - model(x).item()) < 1e-4
    with pytest.raises(InputError, match=r"^0 \(Conv2d\): a convolution needs the input's shape"):
        from_torch(model)


def test_batchnorm_in_eval_mode_folds_exactly():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2, eps=0.25), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 2.0], [0.5, -1.0]]))
        model[0].bias.copy_(torch.tensor([0.0, 1.0]))
        model[1].running_mean.copy_(torch.tensor([1.0, 0.0]))
        model[1].running_var.copy_(torch.tensor([3.75, 0.0]))   # + eps = 4 and 1/4
        model[1].weight.copy_(torch.tensor([2.0, 1.0]))
        model[1].bias.copy_(torch.tensor([0.5, 0.0]))
        model[3].weight.copy_(torch.tensor([[1.0, 1.0]]))
        model[3].bias.zero_()
    with pytest.raises(InputError, match=r"^1 \(BatchNorm1d\): in training mode; call model\.eval\(\) first"):
        from_torch(model)
    model.eval()
    net = from_torch(model)
    # scale 2/2 = 1 and 1/(1/2) = 2; shift 1/2 - 1*1 and 0
    assert net.layers[0] == Affine(((F(1), F(2)), (F(1), F(-2))), (F(-1, 2), F(2)))
    x = torch.tensor([[0.25, -0.5]])
    assert abs(float(net([F(0.25), F(-0.5)])[0]) - model(x).item()) < 1e-6
    model[1].running_var.fill_(1.0)
    with pytest.raises(InputError, match=r"irrational for channel 0"):
        from_torch(model)
    assert all(v.denominator <= 100 for row in load_model(model, rationalize=100).layers[0].weight for v in row)


def test_unsupported_modules_and_shapes():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, x):
            return self.fc(x)

    with pytest.raises(InputError, match=r"^Net: unsupported module \(a module with its own forward\(\): "
                                         r"polyregions cannot see the order of its layers"):
        from_torch(Net())
    with pytest.raises(InputError, match=r"^1 \(Tanh\): unsupported module; supported: nn\.Sequential of Linear"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.Tanh()))
    with pytest.raises(InputError, match=r"^1 \(Linear\): takes 3 inputs, but its input has 2 values"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.Linear(3, 1)))
    with pytest.raises(InputError, match=r"^0 \(Linear\): takes 2 inputs, but its input has 5 values "
                                         r"\(check --input-dim\)"):
        from_torch(nn.Sequential(nn.Linear(2, 2)), input_dim=5)
    with pytest.raises(InputError, match=r"^from_torch: expected a torch\.nn\.Module, got int$"):
        from_torch(3)
    with pytest.raises(InputError, match=r"^from_torch: the module has no layers$"):
        from_torch(nn.Sequential(), input_dim=2)
    with pytest.raises(InputError, match=r"the input size is not recorded in the model; pass --input-dim"):
        from_torch(nn.Sequential(nn.ReLU()))
    assert from_torch(nn.Sequential(nn.ReLU()), input_dim=3) == Network.from_layers(3, [ReLU()])
    with pytest.raises(InputError, match=r"^0 \(Flatten\): only Flatten\(start_dim=1, end_dim=-1\)"):
        from_torch(nn.Sequential(nn.Flatten(0), nn.Linear(2, 1)))
    bn = nn.BatchNorm1d(2, track_running_stats=False).eval()
    with pytest.raises(InputError, match=r"no running statistics"):
        from_torch(nn.Sequential(nn.Linear(2, 2), bn))
    with pytest.raises(InputError, match=r"has 3 features, but its input has 2 values"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(3).eval()))
    with pytest.raises(InputError, match=r"only zero padding given as numbers"):
        from_torch(nn.Sequential(nn.Conv2d(1, 1, 3, padding="same")), input_shape=(1, 4, 4))


def test_parse_arch():
    assert parse_arch("mlp:relu", 3) == [("linear",), ("relu",), ("linear",), ("relu",), ("linear",)]
    assert parse_arch("linear, hardtanh=-2..1/2, batchnorm=0.25, abs") == [
        ("linear",), ("hardtanh", F(-2), F(1, 2)), ("batchnorm", F(1, 4)), ("abs",)]
    for text, message in (("", r"^--arch: empty architecture$"),
                          ("linear,tanh", r"^--arch: unknown layer 'tanh'"),
                          ("hardtanh=1", r"^--arch: hardtanh=MIN\.\.MAX, got 'hardtanh=1'$"),
                          ("relu=3", r"^--arch: relu takes no parameter"),
                          ("mlp:", r"^--arch: expected mlp:ACT or mlp:ACT:FINAL"),
                          ("mlp:linear", r"^--arch: linear is not an activation"),
                          ("mlp:relu", r"^--arch mlp:\.\.\.: the state dict holds no weight matrix$")):
        with pytest.raises(InputError, match=message):
            parse_arch(text, None)


def test_state_dicts_and_files(tmp_path, capsys):
    model = small()
    state = model.state_dict()
    # torch's slope 0.1 is the float nearest 1/10; "leaky_relu=0.1" would be the decimal 1/10 exactly
    arch = f"linear,relu,linear,leaky_relu={F(0.1)},linear,hardtanh=-1..2"
    assert from_state_dict(state, arch) == from_torch(model)
    # saved modules and state dicts
    torch.save(model, tmp_path / "module.pt")
    torch.save(state, tmp_path / "state.pth")
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "checkpoint.pt")
    assert load_model(tmp_path / "module.pt") == from_torch(model)
    assert load_model(tmp_path / "state.pth", arch=arch) == from_torch(model)
    assert load_torch(tmp_path / "checkpoint.pt", arch) == from_torch(model)
    code, out, err = run(capsys, "count", tmp_path / "state.pth", "--box", -1, 1)
    assert_one_error_line(code, out, err, r"state\.pth: a state dict \(keys 0\.weight, 0\.bias, 2\.0\.weight, "
                                          r"2\.0\.bias, \.\.\.\) holds weights but not the layers between them; "
                                          r"pass --arch")
    code, out, err = run(capsys, "count", tmp_path / "state.pth", "--arch", arch, "--box", -1, 1)
    assert code == 0 and "activation regions:" in out, err
    code, out, err = run(capsys, "count", tmp_path / "module.pt", "--arch", "mlp:relu")
    assert_one_error_line(code, out, err, r"module\.pt: holds a module \(Sequential\), which has its own layers; "
                                          r"drop --arch$")
    code, out, err = run(capsys, "count", tmp_path / "state.pth", "--arch", "mlp:relu", "--input-dim", 3)
    assert_one_error_line(code, out, err, r"the first linear layer has 2 inputs, but --input-dim is 3$")
    for arch_text, message in (("linear,relu", r"leaves tensors unused: 2\.0, 6$"),
                               ("mlp:relu,linear", r"unknown layer"),
                               ("linear,linear,linear,linear", r"asks for more layers with weights than the state "
                                                               r"dict holds \(3 groups of tensors\)$"),
                               ("batchnorm,linear,linear", r"0: expected a batch norm \(running_mean, running_var\), "
                                                           r"got tensors bias, weight$")):
        with pytest.raises(InputError, match=message):
            load_model(tmp_path / "state.pth", arch=arch_text)
    # a module of a class outside the allow-list is refused before anything is unpickled
    torch.save(nn.Sequential(nn.Linear(2, 1), nn.Tanh()), tmp_path / "tanh.pt")
    with pytest.raises(InputError, match=r"tanh\.pt: holds torch\.nn\.modules\.activation\.Tanh, which polyregions "
                                         r"does not read"):
        load_model(tmp_path / "tanh.pt")
    # other contents
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(InputError, match=r"list\.pt: holds a list; expected a module"):
        load_model(tmp_path / "list.pt")
    torch.save({"epoch": 3}, tmp_path / "dict.pt")
    with pytest.raises(InputError, match=r"dict\.pt: a dict without tensors \(keys epoch\)"):
        load_model(tmp_path / "dict.pt")
    torch.save({"model": model}, tmp_path / "wrapped.pt")
    assert load_model(tmp_path / "wrapped.pt") == from_torch(model)
    torch.save({"a.weight": torch.ones(2, 2), 3: torch.ones(1)}, tmp_path / "intkey.pt")
    with pytest.raises(InputError, match=r"state dict key 3 is not a string"):
        load_model(tmp_path / "intkey.pt", arch="linear")
    torch.save({"a.weight": torch.ones(2, 2), "a.b": 3}, tmp_path / "notensor.pt")
    with pytest.raises(InputError, match=r"state dict entry 'a\.b' is not a tensor"):
        load_model(tmp_path / "notensor.pt", arch="linear")
    (tmp_path / "garbage.pt").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(InputError, match=r"garbage\.pt: not a PyTorch file that polyregions can read"):
        load_model(tmp_path / "garbage.pt")
    with pytest.raises(InputError, match=r"missing\.pt: no such model file$"):
        load_model(tmp_path / "missing.pt")
    (tmp_path / "dir.pt").mkdir()
    with pytest.raises(InputError, match=r"dir\.pt: is a directory, expected a model file$"):
        load_model(tmp_path / "dir.pt")
    with warnings.catch_warnings():   # torch.jit.script is deprecated in torch 2.13, but files exist
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.script(nn.Sequential(nn.Linear(2, 1)))
    scripted.save(str(tmp_path / "scripted.pt"))
    with pytest.raises(InputError, match=r"scripted\.pt: a TorchScript archive \(torch\.jit\.save\); polyregions "
                                         r"reads modules saved with torch\.save\(model\) and state dicts"):
        load_model(tmp_path / "scripted.pt")


def test_batchnorm_state_dict_with_arch(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2, eps=0.0), nn.ReLU(), nn.Linear(2, 1)).eval()
    with torch.no_grad():
        model[1].running_var.copy_(torch.tensor([4.0, 0.25]))
    assert from_state_dict(model.state_dict(), "linear,batchnorm=0,relu,linear") == from_torch(model)
    with pytest.raises(InputError, match=r": 1: expected a linear layer \(a 2-D weight and a bias\)"):
        from_state_dict(model.state_dict(), "linear,linear,linear")


def test_relucent_checkpoints_import_to_the_json_beside_them(relucent_dir, capsys):
    """relucent's float64 checkpoints ({"state_dict", "widths"}): fc -> ReLU layers with a ReLU at the end."""
    manifest = json.loads((relucent_dir / "manifest.json").read_text())
    for witness in manifest["witnesses"]:
        net = load_model(relucent_dir / witness["file"], arch="mlp:relu:relu")
        assert net == load_network(relucent_dir / f"{witness['id']}.json"), witness["id"]
    code, out, err = run(capsys, "count", relucent_dir / "ckpt6013_d4_w12_nh1.pt", "--arch", "mlp:relu:relu",
                         "--no-linear")
    assert code == 0 and "activation regions: 1237" in out, err


def test_a_pickle_that_runs_code_is_refused_in_one_line(tmp_path, capsys):
    import os
    import pickle

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(Evil(), protocol=4))  # a legacy (not zip) file: torch warns about protocol 4
    code, out, err = run(capsys, "count", path)
    assert_one_error_line(code, out, err, r"evil\.pt: not a PyTorch file that polyregions can read: the safe "
                                          r"unpickler refused it \(.+\); polyregions runs no code from a model file$")
    assert not marker.exists()


# ----------------------------------------------------------------------------- image layers (issue 21)


def dyadic_(module, seed):
    """Every parameter of *module* a multiple of 1/4 in [-1, 1] (float64: forward passes are exact)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randint(-4, 5, p.shape, generator=generator, dtype=torch.float64) / 4)
    return module


def assert_equals_torch(model, net, shape, points=25, seed=0):
    generator = torch.Generator().manual_seed(seed)
    for _ in range(points):
        x = torch.randint(-16, 17, (1, *shape), generator=generator, dtype=torch.float64) / 8
        with torch.no_grad():
            theirs = [F(v) for v in model(x).reshape(-1).tolist()]
        assert list(net([F(v) for v in x.reshape(-1).tolist()])) == theirs


def cnn(pool, order="relu first", channels=2):
    bn = nn.BatchNorm2d(channels, eps=0.25)
    layers = [nn.Conv2d(1, channels, 3, padding=1), bn]
    layers += [nn.ReLU(), pool] if order == "relu first" else [pool, nn.Flatten(), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Flatten()).double()
    dyadic_(model, 3)
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.25, -0.5][:channels], dtype=torch.float64))
        bn.running_var.copy_(torch.tensor([3.75, 0.0][:channels], dtype=torch.float64))
    return model.eval()


@pytest.mark.parametrize("pool", [nn.MaxPool2d(2), nn.MaxPool2d(3, stride=1, padding=1), nn.MaxPool2d(2, dilation=2),
                                  nn.AvgPool2d(2, padding=1), nn.AvgPool2d(2, padding=1, count_include_pad=False),
                                  nn.AdaptiveAvgPool2d(2), nn.AdaptiveAvgPool2d((1, None))])
def test_image_layers_equal_the_module(pool):
    model = cnn(pool)
    net = from_torch(model, input_shape=(1, 4, 4))
    assert_equals_torch(model, net, (1, 4, 4))


def test_relu_before_or_after_max_pool2d_stays_a_layer():
    """Read as written (DESIGN.md's pattern holds every ReLU unit): the ReLU, then a maxout over
    each window, or the maxout, then the ReLU."""
    before, after = cnn(nn.MaxPool2d(2)), cnn(nn.MaxPool2d(2), order="pool first")
    kinds = {name: [type(layer).__name__ for layer in from_torch(model, input_shape=(1, 4, 4)).layers]
             for name, model in (("before", before), ("after", after))}
    assert kinds == {"before": ["Affine", "ReLU", "Maxout"], "after": ["Affine", "Maxout", "ReLU"]}
    for model in (before, after):
        assert_equals_torch(model, from_torch(model, input_shape=(1, 4, 4)), (1, 4, 4))


def test_image_layers_that_are_refused():
    with pytest.raises(InputError, match=r"^1 \(MaxPool2d\): return_indices=True is not supported$"):
        from_torch(nn.Sequential(nn.Conv2d(1, 1, 1), nn.MaxPool2d(2, return_indices=True)), input_shape=(1, 4, 4))
    with pytest.raises(InputError, match=r"^0 \(AvgPool2d\): divisor_override is not supported$"):
        from_torch(nn.Sequential(nn.AvgPool2d(2, divisor_override=3)), input_shape=(1, 4, 4))
    with pytest.raises(InputError, match=r"^0 \(AdaptiveAvgPool2d\): output size \(3, 3\) does not divide"):
        from_torch(nn.Sequential(nn.AdaptiveAvgPool2d(3)), input_shape=(1, 4, 4))
    with pytest.raises(InputError, match=r"^0 \(MaxPool2d\): ceil_mode 1 adds windows past the input's end"):
        from_torch(nn.Sequential(nn.MaxPool2d(2, ceil_mode=True)), input_shape=(1, 5, 5))
    with pytest.raises(InputError, match=r"^1 \(MaxPool2d\): needs a \(channels, height, width\) input, got 3 "
                                         r"values"):
        from_torch(nn.Sequential(nn.Linear(2, 3), nn.MaxPool2d(2)))
    with pytest.raises(InputError, match=r"^1 \(BatchNorm2d\): has 3 channels, but its input has shape \(2, 4, 4\)"):
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(3).eval()), input_shape=(1, 4, 4))


def test_a_slice_never_makes_the_first_conv2d_dense(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(),
                          nn.Linear(8 * 7 * 7, 2)).double()
    dyadic_(model, 5).eval()
    with pytest.raises(InputError, match=r"as a dense map this convolution has 6272 x 784 entries"):
        from_torch(model, input_shape=(1, 28, 28))
    p0, p1, p2 = [F(0)] * 784, [F(int(i < 392)) for i in range(784)], [F(int(i % 28 < 14)) for i in range(784)]
    net = from_torch(model, input_shape=(1, 28, 28), plane=(p0, p1, p2))
    for s, t in ((F(1, 2), F(1, 4)), (F(-2), F(3, 8))):
        x = torch.tensor([float(a + s * b + t * c) for a, b, c in zip(p0, p1, p2)], dtype=torch.float64)
        with torch.no_grad():
            assert list(net([s, t])) == [F(v) for v in model(x.reshape(1, 1, 28, 28)).reshape(-1).tolist()]
    path = tmp_path / "cnn.pt"
    torch.save(model, path)
    assert load_model(path, input_shape=(1, 28, 28), plane=(p0, p1, p2)) == net
