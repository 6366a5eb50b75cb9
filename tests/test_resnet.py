"""minigrad.models.resnet18 against a hand-built torch ResNet-18 (benchmarks.torch_models; no torchvision here):
names, forward, backward."""
import copy

import numpy as np
import pytest
import torch
import torch.nn as tnn

import minigrad as mg
from minigrad.convert import convert
from minigrad.models import BasicBlock, load_resnet18_weights, resnet18

from benchmarks.torch_models import resnet18 as torch_resnet18


@pytest.fixture(scope="module")
def torch_resnet(tmp_path_factory):
    """A torch ResNet-18 with random weights and non-trivial BN statistics, converted to .npz once."""
    torch.manual_seed(0)
    net = torch_resnet18(torch, num_classes=10)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
    folder = tmp_path_factory.mktemp("resnet")
    torch.save(net.state_dict(), folder / "r18.pth")
    convert("torch", folder / "r18.pth", folder / "r18.npz")
    return net, folder / "r18.npz"


def _relative_error(got, expected):
    return np.abs(got - expected).max() / np.abs(expected).max()


def test_state_dict_names_and_shapes_equal_torchvision():
    ours = {k: np.shape(getattr(v, "data", v)) for k, v in resnet18(num_classes=10).state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in torch_resnet18(torch, num_classes=10).state_dict().items()}
    assert ours == theirs
    assert "layer2.0.downsample.0.weight" in ours and "layer1.0.downsample.0.weight" not in ours


def test_converted_state_dict_gives_torch_outputs_in_eval_mode(torch_resnet):
    net, npz = torch_resnet
    model = resnet18(num_classes=10)
    assert load_resnet18_weights(model, npz) == []
    model.eval()
    net.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with mg.no_grad():
        got = model(mg.Tensor(x)).numpy()
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    assert got.shape == (2, 10)
    assert _relative_error(got, expected) < 1e-4


def test_train_mode_forward_backward_and_running_stats_equal_torch(torch_resnet):
    net, npz = torch_resnet
    net = copy.deepcopy(net)  # train mode moves its running statistics: keep the shared fixture intact
    model = resnet18(num_classes=10)
    load_resnet18_weights(model, npz)
    model.train()
    net.train()
    x = np.random.default_rng(1).standard_normal((2, 3, 48, 48)).astype(np.float32)
    upstream = np.random.default_rng(2).standard_normal((2, 10)).astype(np.float32)
    xm = mg.Tensor(x, requires_grad=True)
    out = model(xm)
    (out * mg.Tensor(upstream)).sum().backward()
    xt = torch.from_numpy(x).requires_grad_(True)
    ot = net(xt)
    (ot * torch.from_numpy(upstream)).sum().backward()
    assert _relative_error(out.numpy(), ot.detach().numpy()) < 1e-4
    assert _relative_error(xm.grad, xt.grad.numpy()) < 1e-3
    assert _relative_error(model.conv1.weight.grad, net.conv1.weight.grad.numpy()) < 1e-3
    assert _relative_error(model.layer3[0].downsample[0].weight.grad,
                           net.layer3[0].downsample[0].weight.grad.numpy()) < 1e-3
    ours = np.asarray(getattr(model.layer4[1].bn2.running_var, "data", model.layer4[1].bn2.running_var))
    assert _relative_error(ours, net.layer4[1].bn2.running_var.numpy()) < 1e-4


def test_grey_model_sums_conv1_and_sees_a_grey_image_as_torch_sees_it_repeated(torch_resnet):
    net, npz = torch_resnet
    model = resnet18(num_classes=10, in_channels=1)
    load_resnet18_weights(model, npz)
    assert model.conv1.weight.shape == (64, 1, 7, 7)
    model.eval()
    net.eval()
    grey = np.random.default_rng(3).random((2, 1, 40, 168)).astype(np.float32)
    with mg.no_grad():
        got = model(mg.Tensor(grey)).numpy()
    with torch.no_grad():
        expected = net(torch.from_numpy(np.repeat(grey, 3, axis=1))).numpy()
    assert _relative_error(got, expected) < 1e-4


def test_a_head_of_another_size_keeps_its_fresh_init(torch_resnet):
    _, npz = torch_resnet
    model = resnet18(num_classes=37)
    fresh = np.array(model.fc.weight.data)
    assert sorted(load_resnet18_weights(model, npz)) == ["fc.bias", "fc.weight"]
    assert np.array_equal(model.fc.weight.data, fresh)


def test_small_stem_fits_40x168_and_downsamples_16x():
    model = resnet18(num_classes=37, in_channels=1, small_stem=True)
    assert model.conv1.weight.shape == (64, 1, 3, 3)
    model.eval()
    x = mg.Tensor(np.random.default_rng(4).random((2, 1, 40, 168)).astype(np.float32))
    with mg.no_grad():
        stem = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        top = model.layer4(model.layer3(model.layer2(model.layer1(stem))))
        out = model(x)
    assert stem.shape == (2, 64, 20, 84) and top.shape == (2, 512, 3, 11) and out.shape == (2, 37)
    assert out.dtype == np.float32


@pytest.mark.parametrize("cin,cout,stride", [(2, 2, 1), (2, 3, 2)])
def test_basic_block_gradcheck_train_mode(cin, cout, stride):
    block = BasicBlock(cin, cout, stride)
    params = list(block.parameters())
    for p in params:  # float64 for finite differences
        p.data = p.data.astype(np.float64)
    x = mg.Tensor(np.random.default_rng(5).standard_normal((2, cin, 5, 5)), requires_grad=True)
    assert mg.gradcheck(lambda x, *ps: block(x), [x, *params])


def test_weights_of_another_architecture_are_refused_by_name(torch_resnet):
    from minigrad.models import WeightsError, vgg16_features
    with pytest.raises(WeightsError, match="holds resnet18 weights, not vgg16_features"):
        vgg16_features(weights=torch_resnet[1])
