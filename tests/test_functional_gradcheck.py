"""float64 gradient checks of every functional op and every layer (numerical vs analytic)."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import nn
from conftest import leaf, unique_values


@pytest.mark.parametrize("kernel", [(1, 1), (3, 3), (3, 5)])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("cin", [1, 3])
def test_conv2d(rng, cin, stride, padding, kernel):
    x = leaf(rng, 2, cin, 6, 7)
    w = leaf(rng, 2, cin, *kernel)
    b = leaf(rng, 2)
    assert mg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding), [x, w, b])


def test_conv2d_no_bias_rectangular_stride(rng):
    x, w = leaf(rng, 3, 2, 7, 9), leaf(rng, 4, 2, 2, 3)
    assert mg.gradcheck(lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 0)), [x, w])


POOL_CASES = [(2, None, 0), (2, 1, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), (1, 1)), (3, 3, 0)]


@pytest.mark.parametrize("k,s,p", POOL_CASES)
def test_max_pool2d(rng, k, s, p):
    x = mg.Tensor(unique_values(rng, 2, 2, 6, 7), requires_grad=True)
    assert mg.gradcheck(lambda t: F.max_pool2d(t, k, s, p), [x])


@pytest.mark.parametrize("k,s,p", POOL_CASES)
def test_avg_pool2d(rng, k, s, p):
    assert mg.gradcheck(lambda t: F.avg_pool2d(t, k, s, p), [leaf(rng, 2, 2, 6, 7)])


@pytest.mark.parametrize("out", [1, (2, 3), (3, 3), (5, 7), (None, 2)])
def test_adaptive_avg_pool2d(rng, out):
    assert mg.gradcheck(lambda t: F.adaptive_avg_pool2d(t, out), [leaf(rng, 2, 3, 5, 7)])


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(rng, shape, bias):
    x, w = leaf(rng, *shape), leaf(rng, 2, 3)
    if bias:
        assert mg.gradcheck(lambda x, w, b: F.linear(x, w, b), [x, w, leaf(rng, 2)])
    else:
        assert mg.gradcheck(lambda x, w: F.linear(x, w), [x, w])


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_train(rng, shape, affine):
    x = leaf(rng, *shape)
    if affine:
        w, b = leaf(rng, 3), leaf(rng, 3)
        assert mg.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    else:
        assert mg.gradcheck(lambda x: F.batch_norm(x, None, None, training=True), [x])


def test_batch_norm_eval(rng):
    x, w, b = leaf(rng, 4, 3, 2, 2), leaf(rng, 3), leaf(rng, 3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    assert mg.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), [x, w, b])


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_family(rng, fn, axis):
    assert mg.gradcheck(lambda t: getattr(F, fn)(t, axis=axis), [leaf(rng, 3, 4, 2)])


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), (1, True), ((0, 2), False)])
def test_logsumexp(rng, axis, keepdims):
    assert mg.gradcheck(lambda t: F.logsumexp(t, axis=axis, keepdims=keepdims), [leaf(rng, 3, 4, 2)])


@pytest.mark.parametrize("n,c", [(1, 2), (5, 4), (8, 10)])
def test_cross_entropy(rng, n, c):
    target = rng.integers(0, c, n)
    assert mg.gradcheck(lambda t: F.cross_entropy(t, target), [leaf(rng, n, c)])


def test_nll_loss(rng):
    target = np.array([0, 3, 3, 1])
    assert mg.gradcheck(lambda t: F.nll_loss(F.log_softmax(t, axis=1), target), [leaf(rng, 4, 4)])


@pytest.mark.parametrize("shape", [(5,), (4, 1), (2, 3, 4)])
def test_mse_loss(rng, shape):
    assert mg.gradcheck(lambda a, b: F.mse_loss(a, b), [leaf(rng, *shape), leaf(rng, *shape)])


def test_mse_loss_constant_target(rng):
    target = rng.standard_normal((3, 2))
    assert mg.gradcheck(lambda a: F.mse_loss(a, target), [leaf(rng, 3, 2)])


def test_dropout_with_fixed_mask(rng):
    def f(t):
        mg.manual_seed(7)          # the same mask on every evaluation
        return F.dropout(t, 0.4, training=True)

    assert mg.gradcheck(f, [leaf(rng, 4, 5)])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activations(rng, name):
    x = leaf(rng, 3, 4)
    x.data[np.abs(x.data) < 0.05] = 0.3       # keep away from relu's kink
    assert mg.gradcheck(getattr(F, name), [x])


# ---------------------------------------------------------------- layers (parameters checked too)
def _check_module(module, x):
    module.double()
    params = list(module.parameters())
    assert mg.gradcheck(lambda x, *ps: module(x), [x, *params])


@pytest.mark.parametrize("make,shape", [
    (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 5, 6)),
    (lambda: nn.Conv2d(1, 2, (3, 5), padding=(1, 2), bias=False), (2, 1, 4, 6)),
    (lambda: nn.Linear(4, 3), (5, 4)),
    (lambda: nn.BatchNorm1d(3), (6, 3)),
    (lambda: nn.BatchNorm1d(3), (4, 3, 2)),
    (lambda: nn.BatchNorm2d(3), (4, 3, 2, 3)),
    (lambda: nn.AvgPool2d(3, 2, 1), (2, 2, 5, 5)),
    (lambda: nn.AdaptiveAvgPool2d((2, 2)), (2, 2, 5, 5)),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 2), nn.Tanh()), (3, 3, 2, 2)),
])
def test_layer(rng, make, shape):
    mg.manual_seed(0)
    _check_module(make().train(), leaf(rng, *shape))


def test_max_pool_layer(rng):
    x = mg.Tensor(unique_values(rng, 2, 2, 6, 6), requires_grad=True)
    _check_module(nn.MaxPool2d(3, 2, 1), x)


def test_small_cnn_end_to_end(rng):
    """Conv -> BN -> ReLU -> MaxPool -> Conv -> ReLU -> GAP -> Linear -> CE, all parameters at once."""
    mg.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(4, 5)).double()
    x = leaf(rng, 3, 1, 8, 8)
    target = np.array([0, 4, 2])
    assert mg.gradcheck(lambda x, *ps: F.cross_entropy(net(x), target), [x, *net.parameters()],
                        atol=1e-5, rtol=1e-3)
