"""Module methods torch code calls beyond forward: to/cpu/cuda, get_submodule/get_parameter, register_module;
mg.device and mg.cuda for device selection."""
import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad import nn


def test_module_to_and_device_selection():
    dev = mg.device("cuda" if mg.cuda.is_available() else "cpu")
    assert str(dev) == "cpu" and repr(dev) == repr(torch.device("cpu")) and mg.cuda.device_count() == 0
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert m.to(dev) is m and m.cpu() is m and m.to("cpu:0") is m
    m.to(mg.float64)
    assert m[0].weight.dtype == np.float64 and m[0].bias.dtype == np.float64
    m.to(torch_like := mg.zeros(1, dtype=mg.float32))
    assert m[0].weight.dtype == np.float32 and torch_like.dtype == np.float32
    with pytest.raises(RuntimeError, match="CPU only"):
        m.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        m.cuda()
    with pytest.raises(RuntimeError, match="CPU only"):
        mg.device("cuda:0")
    with pytest.raises(TypeError, match="float32 or float64"):
        m.to(mg.int64)


def test_submodule_and_parameter_lookup_like_torch():
    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.Linear(3, 1)))
    assert type(ours.get_submodule("1.0")).__name__ == type(theirs.get_submodule("1.0")).__name__
    assert ours.get_parameter("1.0.weight").shape == tuple(theirs.get_parameter("1.0.weight").shape)
    assert ours.get_submodule("") is ours
    with pytest.raises(AttributeError, match="has no attribute `2`"):
        ours.get_submodule("2")
    with pytest.raises(AttributeError, match="has no parameter `scale`"):
        ours.get_parameter("0.scale")
    ours.register_module("head", nn.Linear(1, 1))
    assert "head.weight" in ours.state_dict()


def test_forward_hooks_like_torch():
    def run(lib, x):
        m = lib.nn.Linear(3, 2)
        with (torch.no_grad() if lib is torch else mg.no_grad()):
            m.weight.copy_(lib.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3)))
            m.bias.copy_(lib.tensor(np.array([1.0, -1.0], np.float32)))
        seen = []
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape) or out + 1)
        first = m(x).detach().numpy().copy()
        h1.remove()
        second = m(x).detach().numpy().copy()
        h2.remove()
        third = m(x).detach().numpy().copy()
        return first, second, third, [tuple(s) for s in seen]
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    ours, theirs = run(mg, mg.tensor(x)), run(torch, torch.tensor(x))
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert ours[3] == theirs[3] == [(4, 2), (4, 2)]


def test_nn_utils_match_torch():
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    models = []
    for lib in (torch, mg):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        models.append(m)
    tm, mm = models
    mm.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    (tm(torch.tensor(x)) ** 2).sum().backward()
    (mm(mg.tensor(x)) ** 2).sum().backward()
    torch.nn.utils.clip_grad_value_(tm.parameters(), 0.5)
    nn.utils.clip_grad_value_(mm.parameters(), 0.5)
    for (k, p), q in zip(tm.named_parameters(), mm.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-6, err_msg=k)
    tn = torch.nn.utils.clip_grad_norm_(tm.parameters(), 0.3)
    mn = nn.utils.clip_grad_norm_(mm.parameters(), 0.3)
    np.testing.assert_allclose(float(mn), float(tn), rtol=1e-5)
    vec = nn.utils.parameters_to_vector(mm.parameters())
    np.testing.assert_array_equal(vec.numpy(), torch.nn.utils.parameters_to_vector(tm.parameters()).detach().numpy())
    nn.utils.vector_to_parameters(mg.tensor(np.arange(8.0, dtype=np.float32)), mm.parameters())
    assert mm.bias.numpy().tolist() == [6.0, 7.0]


def test_torch_level_aliases_of_functional_ops():
    x = np.random.default_rng(2).standard_normal((2, 4, 4, 4)).astype(np.float32)
    for name, args in [("selu", ()), ("celu", (1.5,)), ("hardshrink", (0.3,)), ("threshold", (0.1, -1.0)),
                       ("pixel_shuffle", (2,)), ("max_pool2d", (2,)), ("dropout", (0.5, False))]:
        ours = getattr(mg, name)(mg.tensor(x), *args).numpy()
        np.testing.assert_allclose(ours, getattr(torch, name)(torch.tensor(x), *args).numpy(), rtol=1e-5, atol=1e-6)
