"""`--model resnet`'s two stems: the torchvision default and the small option, the configs of checkpoints
written before `stem` existed, and --init-from weights of the other stem refused with one error line."""
import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.models import StemMismatch, load_resnet18_weights, resnet18, write_weights
from digitsum import train
from digitsum.cli import UserError
from digitsum.models import checkpoints
from digitsum.models import resnet
from train_helpers import assert_user_error


def stage_shapes(model):
    """(shape entering layer1, shape leaving layer4, logits shape) for one 1x40x168 image."""
    x = minigrad.Tensor(np.random.default_rng(0).random((1, 1, 40, 168)).astype(np.float32))
    with minigrad.no_grad():
        stem = model.eval().maxpool(model.relu(model.bn1(model.conv1(x))))
        top = model.layer4(model.layer3(model.layer2(model.layer1(stem))))
        out = model(x)
    return stem.shape, top.shape, out.shape


def test_the_default_is_torchvisions_stem_with_layer1_at_10x42():
    model = resnet.build_resnet(resnet.SPEC.model_config)
    assert resnet.SPEC.model_config == {"stem": "torchvision"}
    assert model.conv1.weight.shape == (64, 1, 7, 7) and isinstance(model.maxpool, nn.MaxPool2d)
    assert (model.conv1.stride, model.conv1.padding) == ((2, 2), (3, 3))
    assert stage_shapes(model) == ((1, 64, 10, 42), (1, 512, 2, 6), (1, 37))


def test_the_small_stem_option_runs_layer1_at_20x84():
    model = resnet.build_resnet({"stem": "small"})
    assert model.conv1.weight.shape == (64, 1, 3, 3) and isinstance(model.maxpool, nn.Identity)
    assert stage_shapes(model) == ((1, 64, 20, 84), (1, 512, 3, 11), (1, 37))


@pytest.mark.parametrize("config, kernel", [({"small_stem": True}, 3), ({"small_stem": False}, 7), ({}, 3)])
def test_a_checkpoint_from_before_the_stem_key_loads_as_what_it_was(tmp_path, config, kernel):
    """Older checkpoints stored small_stem (False only after --init-from); a config without either key is
    the small stem, the only one those versions trained from scratch."""
    model = resnet.build_resnet(config)
    checkpoints.save(tmp_path / "old.npz", resnet.SPEC, model, config)
    _, rebuilt = checkpoints.rebuild(checkpoints.load(tmp_path / "old.npz"))
    assert rebuilt.conv1.weight.shape == (64, 1, kernel, kernel)
    np.testing.assert_array_equal(rebuilt.conv1.weight.data, model.conv1.weight.data)


def test_an_unknown_stem_in_a_checkpoint_is_one_user_error(tmp_path):
    checkpoints.save(tmp_path / "odd.npz", resnet.SPEC, resnet.build_resnet({"stem": "small"}), {"stem": "tiny"})
    with pytest.raises(UserError, match="unknown ResNet stem 'tiny'"):
        checkpoints.rebuild(checkpoints.load(tmp_path / "odd.npz"))


def conv1_only(path, kernel):
    """A weights file whose conv1 is for one stem: the stem check runs before any other key is compared."""
    write_weights(path, {"conv1.weight": np.zeros((64, 3, kernel, kernel), np.float32)},
                  {"architecture": "resnet18"})


@pytest.mark.parametrize("kernel, small_stem", [(7, True), (3, False)])
def test_weights_for_the_other_stem_raise_stem_mismatch(tmp_path, kernel, small_stem):
    conv1_only(tmp_path / "w.npz", kernel)
    with pytest.raises(StemMismatch, match=f"conv1 is {kernel}x{kernel}") as caught:
        load_resnet18_weights(resnet18(num_classes=37, in_channels=1, small_stem=small_stem), tmp_path / "w.npz")
    assert caught.value.small_stem == (kernel == 3)


@pytest.mark.parametrize("kernel, stem, advice", [(7, "small", "--stem torchvision"),
                                                  (3, "torchvision", "--stem small")])
def test_train_refuses_init_from_weights_of_the_other_stem_before_creating_anything(
        tmp_path, monkeypatch, capsys, kernel, stem, advice):
    monkeypatch.chdir(tmp_path)
    conv1_only(tmp_path / "w.npz", kernel)
    line = assert_user_error(train.main, ["--model", "resnet", "--stem", stem, "--init-from", "w.npz",
                                          "--out", "run", "--data", "nowhere"], capsys, advice)
    assert line.startswith("error: --init-from: ") and f"w.npz: conv1 is {kernel}x{kernel}" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]


@pytest.mark.parametrize("argv, contains", [
    (["--model", "regressor", "--stem", "small"], "--stem does not apply to --model regressor"),
    (["--model", "resnet", "--stem", "tiny"], "tiny"),
])
def test_bad_stem_flags_exit_2(tmp_path, monkeypatch, capsys, argv, contains):
    monkeypatch.chdir(tmp_path)
    assert_user_error(train.main, argv + ["--data", "nowhere"], capsys, contains)
    assert list(tmp_path.iterdir()) == []
