"""Exact edge cases: tie rules, extreme logits, loss shape errors, frozen parameters, input validation."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import kernels, nn


def test_relu_grad_at_zero_in_layer():
    x = mg.Tensor(np.zeros((1, 4), np.float32), requires_grad=True)
    nn.ReLU()(x).sum().backward()
    np.testing.assert_array_equal(x.grad, 0)


def test_max_pool_tie_sends_whole_grad_to_first_max():
    x = mg.Tensor(np.ones((1, 1, 2, 2), np.float32), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 0], [0, 0]])


def test_max_pool_tie_in_overlapping_windows():
    x = mg.Tensor(np.array([[[[5.0, 5.0, 5.0]]]], np.float32), requires_grad=True)
    out = F.max_pool2d(x, (1, 2), stride=1)           # windows [0,1] and [1,2]: first max of each
    out.backward(np.array([[[[1.0, 10.0]]]], np.float32))
    np.testing.assert_array_equal(x.grad[0, 0, 0], [1, 10, 0])


def test_max_pool_padding_never_wins():
    x = mg.Tensor(-np.ones((1, 1, 3, 3), np.float32) * 5, requires_grad=True)
    out = F.max_pool2d(x, 3, stride=1, padding=1)
    np.testing.assert_array_equal(out.data, -5)
    out.sum().backward()
    assert x.grad.sum() == 9


def test_cross_entropy_with_huge_logits_is_finite_and_right():
    logits = np.array([[1e8, 0.0, -1e8], [0.0, 1e8, 0.0]], np.float32)
    x = mg.Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, np.array([0, 0]))
    # sample 0 is right with certainty (loss 0); sample 1 is wrong by 1e8 -> mean 5e7
    np.testing.assert_allclose(loss.item(), 5e7, rtol=1e-6)
    loss.backward()
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_softmax_and_logsumexp_with_huge_logits(dtype):
    x = mg.Tensor(np.array([[1e8, 0.0]], dtype))
    np.testing.assert_allclose(F.log_softmax(x, axis=1).data, [[0, -1e8]])
    np.testing.assert_allclose(F.logsumexp(x, axis=1).data, [1e8])
    assert np.all(np.isfinite(F.softmax(x, axis=1).data))


def test_mse_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"):
        F.mse_loss(mg.Tensor(np.zeros((4, 1))), np.zeros(4))


def test_cross_entropy_shape_and_range_errors():
    logits = mg.Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"target shape \(2,\) does not match input shape \(3, 4\)"):
        F.cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"in \[0, 4\)"):
        F.cross_entropy(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        F.cross_entropy(mg.Tensor(np.zeros(3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="integer"):
        F.cross_entropy(logits, np.array([0.5, 1, 2]))


def test_cross_entropy_accepts_tensor_targets():
    logits = mg.Tensor(np.zeros((2, 3), np.float32))
    a = F.cross_entropy(logits, mg.Tensor([0, 2], dtype=np.int64))
    b = F.cross_entropy(logits, mg.Tensor([0, 2]))           # float32 class ids are accepted too
    np.testing.assert_allclose(a.item(), np.log(3), rtol=1e-6)
    assert a.item() == b.item() and a.dtype == np.float32


def test_conv_shape_errors():
    x = mg.Tensor(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="3 channels"):
        F.conv2d(x, mg.Tensor(np.zeros((2, 2, 3, 3))))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        F.conv2d(mg.Tensor(np.zeros((5, 5))), mg.Tensor(np.zeros((2, 3, 3, 3))))
    assert F.conv2d(mg.Tensor(np.zeros((3, 5, 5))), mg.Tensor(np.zeros((2, 3, 3, 3)))).shape == (2, 3, 3)  # unbatched


def test_pool_padding_limit():
    with pytest.raises(ValueError, match="half the kernel"):
        F.max_pool2d(mg.Tensor(np.zeros((1, 1, 4, 4))), 2, padding=2)


class _Spy:
    """Wraps kernels.conv2d_backward to record which gradients functional asked for."""

    def __init__(self, monkeypatch):
        self.calls = []
        real = kernels.conv2d_backward

        def spy(g, saved, need_x, need_w, need_b):
            self.calls.append((need_x, need_w, need_b))
            return real(g, saved, need_x, need_w, need_b)

        monkeypatch.setattr(kernels, "conv2d_backward", spy)


def test_frozen_conv_computes_only_the_input_gradient(monkeypatch):
    spy = _Spy(monkeypatch)
    mg.manual_seed(0)
    frozen, head = nn.Conv2d(2, 3, 3), nn.Conv2d(3, 2, 1)
    frozen.requires_grad_(False)
    x = mg.Tensor(np.random.default_rng(0).standard_normal((2, 2, 5, 5)).astype(np.float32), requires_grad=True)
    head(frozen(x)).sum().backward()
    assert frozen.weight.grad is None and frozen.bias.grad is None
    assert head.weight.grad is not None and x.grad is not None
    assert spy.calls == [(True, True, True), (True, False, False)]   # head first, then the frozen conv


def test_first_layer_conv_skips_the_input_gradient(monkeypatch):
    spy = _Spy(monkeypatch)
    conv = nn.Conv2d(1, 2, 3)
    x = mg.Tensor(np.ones((1, 1, 4, 4), np.float32))
    conv(x).sum().backward()
    assert spy.calls == [(False, True, True)]
    assert x.grad is None


def test_fully_frozen_network_records_no_graph():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()).requires_grad_(False)
    out = net(mg.Tensor(np.ones((1, 1, 4, 4), np.float32)))
    assert not out.requires_grad and out._ctx is None


def test_float32_stays_float32_through_a_network():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                        nn.Linear(8, 3))
    x = mg.Tensor(np.ones((2, 1, 6, 6), np.float32))
    out = net(x)
    loss = F.cross_entropy(out, np.array([0, 1])) + F.mse_loss(out, np.zeros((2, 3)))
    assert out.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in net.parameters())


def test_conv_buffers_are_freed_after_backward():
    conv = nn.Conv2d(2, 3, 3)
    out = conv(mg.Tensor(np.ones((1, 2, 5, 5), np.float32), requires_grad=True))
    ctx = out._ctx
    assert hasattr(ctx, "saved")                  # the im2col buffer is kept for backward ...
    out.sum().backward()
    assert not hasattr(ctx, "saved") and ctx.released    # ... and dropped right after it
