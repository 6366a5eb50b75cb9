"""nn.Module behaviour: registration, names, state_dict round trips and errors, modes, init, buffers."""
import math

import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
        self.head = nn.Linear(4, 3)
        self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3, bias=False)])

    def forward(self, x):
        h = self.features(x).mean(axis=(2, 3))
        h = self.head(h)
        for b in self.blocks:
            h = b(h)
        return h


def _torch_net():
    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                                                torch.nn.ReLU())
            self.head = torch.nn.Linear(4, 3)
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(3, 3), torch.nn.Linear(3, 3, bias=False)])
    return TNet()


def test_state_dict_keys_and_shapes_match_torch():
    ours = Net().state_dict()
    theirs = _torch_net().state_dict()
    assert list(ours) == list(theirs)
    for k in ours:
        assert ours[k].shape == tuple(theirs[k].shape), k
    assert ours["features.1.num_batches_tracked"].dtype == np.int64


def test_named_parameters_and_children():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                     "head.weight", "head.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight"]
    assert [type(c).__name__ for c in net.children()] == ["Sequential", "Linear", "ModuleList"]
    assert len(list(net.modules())) == 9
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())


def test_shared_parameter_is_listed_once():
    a = nn.Linear(2, 2)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert len(list(seq.parameters())) == 2


def test_state_dict_round_trip_and_copy_semantics():
    a, b = Net(), Net()
    x = mg.Tensor(np.random.default_rng(0).standard_normal((2, 1, 5, 5)).astype(np.float32))
    a.train()(x)                                   # moves batch-norm buffers away from defaults
    sd = a.state_dict()
    w_before = b.head.weight
    b.load_state_dict(sd)
    assert b.head.weight is w_before               # loaded in place: optimizers keep valid references
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v, sd[k])
    sd["head.weight"][...] = 123                   # state_dict returns copies
    assert not np.any(a.head.weight.data == 123)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_strict_reports_everything_at_once():
    net = Net()
    sd = net.state_dict()
    del sd["head.bias"]
    sd["extra.weight"] = np.zeros(2)
    sd["features.0.weight"] = np.zeros((4, 1, 5, 5))
    before = net.features[0].weight.data.copy()
    with pytest.raises(nn.StateDictError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert "missing key(s): head.bias" in msg
    assert "unexpected key(s): extra.weight" in msg
    assert "size mismatch for features.0.weight: checkpoint has (4, 1, 5, 5), model has (4, 1, 3, 3)" in msg
    np.testing.assert_array_equal(net.features[0].weight.data, before)   # nothing half-loaded
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)


def test_load_state_dict_non_strict():
    net = Net()
    sd = {k: v for k, v in net.state_dict().items() if k.startswith("head")}
    sd["junk"] = np.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert "junk" in result.unexpected_keys and "features.0.weight" in result.missing_keys
    with pytest.raises(nn.StateDictError, match="size mismatch"):
        net.load_state_dict({"head.bias": np.zeros(7)}, strict=False)


def test_load_state_dict_casts_to_parameter_dtype():
    lin = nn.Linear(2, 2)
    lin.load_state_dict({"weight": np.ones((2, 2), np.float64), "bias": np.zeros(2, np.float64)})
    assert lin.weight.dtype == np.float32 and lin.weight.data.sum() == 4


def test_requires_grad_propagates_and_train_eval():
    net = Net()
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.head.requires_grad_(True)
    assert [n for n, p in net.named_parameters() if p.requires_grad] == ["head.weight", "head.bias"]
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad():
    lin = nn.Linear(3, 2)
    lin(mg.Tensor(np.ones((1, 3), np.float32))).sum().backward()
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad is not None and not lin.weight.grad.any()
    lin.zero_grad()
    assert lin.weight.grad is None


@pytest.mark.parametrize("make,fan_in", [(lambda: nn.Conv2d(8, 16, 3), 72), (lambda: nn.Linear(50, 40), 50)])
def test_pytorch_default_init(make, fan_in):
    mg.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)     # kaiming_uniform(a=sqrt(5)) and the bias rule both give this bound
    w, b = layer.weight.data, layer.bias.data
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound   # uniform(-B, B) has std B/sqrt(3)
    assert np.abs(w).max() > 0.9 * bound


def test_init_functions():
    mg.manual_seed(1)
    w = mg.Tensor(np.zeros((200, 100), np.float32))
    mg.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.data.std() - math.sqrt(2 / 100)) < 0.01
    mg.init.xavier_uniform_(w)
    assert np.abs(w.data).max() <= math.sqrt(6 / 300) + 1e-7
    mg.init.xavier_normal_(w)
    assert abs(w.data.std() - math.sqrt(2 / 300)) < 0.01
    mg.init.constant_(w, 0.5)
    assert np.all(w.data == 0.5)
    mg.init.zeros_(w), mg.init.ones_(w.data[:1])
    assert w.data.sum() == 100
    mg.init.normal_(w, 3.0, 0.1)
    assert abs(w.data.mean() - 3.0) < 0.01
    mg.init.uniform_(w, -2, -1)
    assert w.data.min() >= -2 and w.data.max() <= -1 and w.dtype == np.float32
    assert mg.init.calculate_gain("tanh") == 5 / 3


def test_manual_seed_makes_init_repeatable():
    mg.manual_seed(42)
    a = nn.Conv2d(2, 3, 3).weight.data.copy()
    mg.manual_seed(42)
    np.testing.assert_array_equal(a, nn.Conv2d(2, 3, 3).weight.data)


def test_batchnorm_buffers_and_momentum_none():
    bn = nn.BatchNorm1d(2, momentum=None)
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal((5, 2)).astype(np.float32) + 3 for _ in range(3)]
    for b in batches:
        bn(mg.Tensor(b))
    assert int(bn.num_batches_tracked) == 3
    # cumulative average of the batch means
    np.testing.assert_allclose(bn.running_mean, np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-5)
    bn.eval()
    before = bn.running_mean.copy()
    bn(mg.Tensor(batches[0]))
    np.testing.assert_array_equal(bn.running_mean, before)     # eval never updates statistics


def test_batchnorm_rejects_wrong_input():
    with pytest.raises(ValueError, match="BatchNorm2d"):
        nn.BatchNorm2d(3)(mg.Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(mg.Tensor(np.zeros((1, 3))))


def test_batchnorm_without_running_stats():
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False).eval()
    assert bn.state_dict() == {}
    out = bn(mg.Tensor(np.random.default_rng(0).standard_normal((4, 2, 3, 3))))
    np.testing.assert_allclose(out.data.mean(axis=(0, 2, 3)), 0, atol=1e-7)


def test_dropout_train_and_eval():
    mg.manual_seed(0)
    d = nn.Dropout(0.25)
    x = mg.Tensor(np.ones((200, 200), np.float32))
    y = d(x).data
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    assert d.eval()(x) is x
    assert not nn.Dropout(1.0)(x).data.any()
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_sequential_indexing_and_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.ReLU) and len(seq) == 2
    seq.append(nn.Linear(3, 1))
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(seq[:2]) == 2
    assert seq(mg.Tensor(np.ones((4, 2)))).shape == (4, 1)


def test_double_converts_parameters_and_buffers():
    net = Net().double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.features[1].running_mean.dtype == np.float64
    assert net.features[1].num_batches_tracked.dtype == np.int64
    out = net(mg.Tensor(np.ones((2, 1, 4, 4))))
    assert out.dtype == np.float64


def test_module_attribute_errors_and_repr():
    net = Net()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        net.nope
    assert "Conv2d(1, 4, kernel_size=(3, 3)" in repr(net)

    class Forgot(nn.Module):
        def __init__(self):
            self.x = 1

    with pytest.raises(AttributeError, match="super"):
        Forgot()


def test_layers_forward_shapes():
    x = mg.Tensor(np.ones((2, 3, 8, 8), np.float32))
    assert nn.Conv2d(3, 5, (3, 5), stride=2, padding=(1, 2))(x).shape == (2, 5, 4, 4)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(3, stride=1, padding=1)(x).shape == (2, 3, 8, 8)
    assert nn.AdaptiveAvgPool2d((1, 2))(x).shape == (2, 3, 1, 2)
    assert nn.Flatten()(x).shape == (2, 192)
    assert nn.Identity()(x) is x
    assert nn.Sigmoid()(x).shape == nn.Tanh()(x).shape == x.shape
    assert nn.Linear(8, 4, bias=False)(x).shape == (2, 3, 8, 4)


def test_nn_functional_alias():
    import minigrad.nn.functional as NF
    assert NF.conv2d is mg.functional.conv2d
