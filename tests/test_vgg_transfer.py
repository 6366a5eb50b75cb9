"""`--model vgg` (digitsum.vgg_transfer) and its feature cache (digitsum.features).

The VGG16 here has random weights (written once per module): these tests check plumbing, caching and
gradients; the real weights' parity is in test_vgg.py.
"""
import json
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.models import vgg16_features, write_weights

from digitsum import evaluate, models, train
from digitsum.models import features, vgg_transfer
from train_helpers import assert_user_error, make_course_folder


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("vggw") / "random_vgg16.npz"
    write_weights(path, {k: np.asarray(v.data) for k, v in vgg16_features().state_dict().items()})
    return str(path)


# ---------------------------------------------------------------- the feature cache

class CountingExtractor:
    def __init__(self):
        self.images = 0

    def __call__(self, batch):
        self.images += len(batch)
        return batch.reshape(len(batch), -1)[:, :4].astype(np.float32) + 0.5


def test_cache_is_reused_and_invalidated_by_weights_data_and_preprocessing(tmp_path):
    weights = tmp_path / "w.npz"
    weights.write_bytes(b"weights version 1")
    images = np.random.default_rng(0).integers(0, 256, (10, 5, 7), dtype=np.uint8)
    prep = {"adapter": "repeat", "mean": [0, 0, 0]}
    extract = CountingExtractor()

    def run(imgs=images, p=prep):
        return features.cached_features(extract, imgs, weights, p, batch_size=4, home=str(tmp_path))

    first, hit = run()
    assert not hit and extract.images == 10 and first.shape == (10, 4)
    again, hit = run()
    assert hit and extract.images == 10 and np.array_equal(again, first)
    changed = images.copy()
    changed[3, 2, 2] ^= 1  # one pixel of one image
    assert not run(imgs=changed)[1] and extract.images == 20
    assert not run(p={**prep, "mean": [0.5, 0.5, 0.5]})[1] and extract.images == 30
    weights.write_bytes(b"weights version 2")  # same path, other bytes
    assert not run()[1] and extract.images == 40
    assert run()[1] and extract.images == 40


def test_a_damaged_cache_entry_is_recomputed(tmp_path):
    weights = tmp_path / "w.npz"
    weights.write_bytes(b"w")
    images = np.zeros((3, 2, 2), np.uint8)
    extract = CountingExtractor()
    features.cached_features(extract, images, weights, {}, home=str(tmp_path))
    entry = features.feature_path(features.feature_key(weights, images, {}), str(tmp_path))
    with open(entry, "wb") as f:
        f.write(b"truncated")
    values, hit = features.cached_features(extract, images, weights, {}, home=str(tmp_path))
    assert not hit and extract.images == 6 and values.shape == (3, 4)


# ---------------------------------------------------------------- adapters

def test_repeat_input_uses_the_weights_own_normalisation():
    x = np.array([[[0, 255]]], np.uint8)  # (1, 1, 2)
    mean, std = np.array([0.5, 0.0, 0.25], np.float32), np.array([0.5, 1.0, 0.25], np.float32)
    out = vgg_transfer.repeat_input(x, mean, std)
    assert out.shape == (1, 3, 1, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, 0], [[-1, 1], [0, 1], [-1, 3]])


def test_conv_adapter_gradient_through_a_small_frozen_block_passes_gradcheck():
    block = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2))
    block.requires_grad_(False)
    model = vgg_transfer.ConvAdapterVGG(block, hidden=3, features=4)
    for p in list(model.parameters()):
        p.data = p.data.astype(np.float64)
    x = mg.Tensor(np.random.default_rng(0).standard_normal((2, 1, 6, 8)))
    adapter = [model.adapter.weight, model.adapter.bias]
    assert mg.gradcheck(lambda w, b: model(x), adapter)
    assert all(p.grad is None for p in block.parameters())


def test_conv_adapter_trains_the_adapter_and_head_only(random_weights):
    spec = models.get("vgg")
    cfg = dict(spec.model_config, adapter="conv", weights=random_weights)
    model = spec.build(cfg)
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert {id(p) for p in trainable} == {id(p) for p in model.adapter.parameters()} | \
        {id(p) for p in model.head.parameters()}
    base_before = np.array(model.base[0].weight.data)
    adapter_before = np.array(model.adapter.weight.data)
    opt = optim.Adam(trainable, lr=1e-2)
    x = np.random.default_rng(0).integers(0, 256, (2, 40, 168), dtype=np.uint8)
    loss = spec.loss(model(mg.Tensor(spec.encode_batch(x, cfg))), np.array([3, 30]))
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert np.array_equal(model.base[0].weight.data, base_before)
    assert not np.array_equal(model.adapter.weight.data, adapter_before)
    assert all(p.grad is None for p in model.base.parameters())


# ---------------------------------------------------------------- end to end through the CLIs

@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITSUM_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    make_course_folder(tmp_path / "tiny", n_train=12, n_test=4)
    return tmp_path


def test_repeat_run_caches_features_once_and_evaluate_reuses_them(env, random_weights, capsys):
    argv = ["--model", "vgg", "--weights", random_weights, "--data", "tiny", "--epochs", "2", "--batch-size", "8"]
    assert train.main(argv + ["--out", "run"]) == 0
    doc = json.loads((env / "run" / "metrics.json").read_text())
    assert doc["config"]["model_config"]["adapter"] == "repeat" and doc["test"]["n"] == 4
    assert doc["config"]["model_config"]["weights"] == random_weights
    cache = env / "home" / "features"
    entries = sorted(os.listdir(cache))
    assert len(entries) == 3  # train, validation and test splits
    capsys.readouterr()
    assert evaluate.main(["--checkpoint", "run/best.npz", "--data", "tiny", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out.strip().splitlines()[-1])["n"] == 4
    assert sorted(os.listdir(cache)) == entries and "VGG16 features:" not in out  # a cache hit
    assert train.main(argv + ["--out", "run2"]) == 0  # a second run extracts nothing
    assert "VGG16 features:" not in capsys.readouterr().out


@pytest.mark.parametrize("argv,contains", [
    (["--model", "vgg", "--adapter", "mirror"], "unknown --adapter"),
    (["--model", "vgg", "--weights", "nowhere.npz"], "weights file not found"),
    (["--model", "regressor", "--adapter", "conv"], "does not apply to --model regressor"),
])
def test_bad_vgg_flags_are_one_error_line(env, capsys, argv, contains):
    assert_user_error(train.main, argv + ["--data", "tiny", "--out", "bad"], capsys, contains)
