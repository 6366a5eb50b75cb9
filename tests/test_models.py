"""digitsum.models: the registry contract, each model's loss/predict, and --init-from a torch-written resnet18."""
import json

import numpy as np
import pytest

import minigrad
from minigrad import nn
from digitsum import models
from digitsum.models import cnn, resnet
from digitsum.models.spec import ModelSpec
from digitsum.cli import UserError

TINY_CNN = {"channels": [4, 8, 8], "hidden": 16}


def batch(n=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 40, 168)).astype(np.uint8), rng.integers(0, 37, n)


@pytest.mark.parametrize("name", ["regressor", "classifier"])
def test_spec_contract_loss_is_differentiable_and_predict_gives_sums(name):
    spec = models.get(name)
    minigrad.manual_seed(0)
    model = spec.build(TINY_CNN)
    x, y = batch()
    out = model(minigrad.Tensor(spec.encode_batch(spec.encode_dataset(x, TINY_CNN), TINY_CNN)))
    loss = spec.loss(out, y)
    assert loss.shape == () and np.isfinite(loss.item())
    loss.backward()
    assert all(p.grad is not None and np.abs(p.grad).sum() > 0 for p in model.parameters())
    pred = spec.predict(out.data)
    assert pred.dtype == np.int64 and pred.shape == (3,) and pred.min() >= 0 and pred.max() <= 36


def test_every_spec_declares_defaults_a_checkpoint_can_rebuild_from():
    for name in models.names():
        spec = models.get(name)
        assert spec.name == name and spec.description
        cfg = spec.training_config()
        assert {"epochs", "batch_size", "lr", "optimizer", "schedule"} <= set(cfg)
        assert json.loads(json.dumps(spec.model_config)) == spec.model_config  # stored in checkpoints


def test_regressor_prediction_rounds_and_clips_and_starts_at_the_mean():
    out = np.array([[-3.2], [0.4], [17.6], [36.49], [40.0], [np.float32(12.5)]], np.float32)
    assert cnn.regression_predict(out).tolist() == [0, 0, 18, 36, 36, 12]
    model = cnn.build_regressor(TINY_CNN)
    x, _ = batch(4)
    with minigrad.no_grad():
        out = model(minigrad.Tensor(cnn.REGRESSOR.encode_batch(x, TINY_CNN))).data
    assert out.shape == (4, 1) and np.all(np.abs(out - cnn.SUM_MEAN) < 5)


def test_regression_loss_is_mse_against_the_sum():
    out = minigrad.Tensor(np.array([[1.0], [5.0]], np.float32))
    assert cnn.regression_loss(out, np.array([3, 5])).item() == pytest.approx(2.0)


def test_classifier_predicts_the_argmax_and_uses_cross_entropy():
    logits = np.zeros((2, 37), np.float32)
    logits[0, 7] = logits[1, 36] = 5
    assert cnn.classification_predict(logits).tolist() == [7, 36]
    loss = cnn.classification_loss(minigrad.Tensor(np.zeros((2, 37), np.float32)), np.array([1, 2]))
    assert loss.item() == pytest.approx(np.log(37), rel=1e-5)


def test_registry_rejects_unknown_names_and_resolves_lazy_entries(monkeypatch):
    with pytest.raises(UserError, match="unknown model 'nope'.*regressor"):
        models.get("nope")
    monkeypatch.setitem(models.REGISTRY, "lazy", "digitsum.models.cnn:CLASSIFIER")
    assert models.get("lazy") is cnn.CLASSIFIER
    assert models.REGISTRY["lazy"] is cnn.CLASSIFIER  # resolved once


def test_resnet_init_from_a_state_dict_torch_wrote(tmp_path):
    """torch saves a torchvision-named resnet18 state_dict; minigrad.convert turns it into .npz; --init-from
    loads it: conv1 summed over RGB, everything else copied, the 1000-class fc left fresh."""
    torch = pytest.importorskip("torch")
    from minigrad.convert import convert
    from minigrad.models import resnet18
    rng = np.random.default_rng(0)
    names = resnet18(num_classes=1000, in_channels=3).state_dict()
    state = {k: torch.from_numpy(rng.standard_normal(v.shape).astype(np.float32)) if v.dtype.kind == "f"
             else torch.from_numpy(np.asarray(v)) for k, v in names.items()}
    state["layer1.0.bn1.num_batches_tracked"] = torch.tensor(7)  # torchvision has it; ignored if we don't
    torch.save(state, tmp_path / "r18.pth")
    convert("torch", tmp_path / "r18.pth", tmp_path / "r18.npz")
    model = resnet.build_resnet(resnet.SPEC.model_config)  # the default, torchvision stem
    fresh_fc = model.fc.weight.data.copy()
    message = resnet.SPEC.init_from(model, str(tmp_path / "r18.npz"))
    assert "fc.weight" in message
    np.testing.assert_allclose(model.conv1.weight.data, state["conv1.weight"].numpy().sum(1, keepdims=True),
                               rtol=1e-6)
    np.testing.assert_array_equal(model.state_dict()["layer3.1.conv2.weight"],
                                  state["layer3.1.conv2.weight"].numpy())
    np.testing.assert_array_equal(model.state_dict()["layer2.0.bn1.running_var"],
                                  state["layer2.0.bn1.running_var"].numpy())
    np.testing.assert_array_equal(model.fc.weight.data, fresh_fc)


def test_resnet_init_from_rejects_weights_of_another_network(tmp_path):
    np.savez(tmp_path / "other.npz", **{"0.weight": np.zeros((3, 3), np.float32)})
    model = resnet.build_resnet(resnet.SPEC.model_config)
    with pytest.raises(UserError, match="--init-from"):
        resnet.SPEC.init_from(model, str(tmp_path / "other.npz"))


def test_a_new_model_is_one_registry_line(monkeypatch):
    class Mine(cnn.SumClassifier):
        name = "mine"
        description = "a linear classifier"
        model_config = {"hidden": 5}

        def build(self, config):
            return nn.Sequential(nn.Flatten(), nn.Linear(40 * 168, config["hidden"]), nn.Linear(config["hidden"], 37))

    monkeypatch.setitem(models.REGISTRY, "mine", Mine())
    spec = models.get("mine")
    assert "mine" in models.names() and isinstance(spec, ModelSpec) and spec.read_digits is None
    x, y = batch(2)
    out = spec.build(spec.model_config)(minigrad.Tensor(spec.encode_batch(spec.encode_dataset(x, {}), {})))
    assert out.shape == (2, 37) and spec.predict(out.data).shape == (2,) and spec.loss(out, y).shape == ()


def test_a_spec_without_its_required_methods_names_what_is_missing():
    for method, args in (("build", ({},)), ("loss", (None, None)), ("predict", (None,))):
        with pytest.raises(NotImplementedError, match=f"ModelSpec.{method}"):
            getattr(ModelSpec(), method)(*args)
