"""Torch parity lines (forward and every input gradient, float32 and float64, through helper_test_op) and
float64 gradchecks for conv2d/conv_transpose2d/pool options and their layers; torch-like errors."""
import numpy as np
import pytest
import torch

import minigrad as mg
import minigrad.functional as F
from minigrad import kernels as K
from minigrad import nn
from conftest import leaf, unique_values
from op_helper import helper_test_op


def both(fn, **kw):
    """fn(functional, *tensors) spelled once, run with torch.nn.functional and minigrad.functional."""
    helper_test_op(kw.pop("shapes", None), lambda *a: fn(torch.nn.functional, *a), lambda *a: fn(F, *a), **kw)


# ---------------------------------------------------------------- conv2d
CONV_CASES = [  # x shape, weight shape, keyword arguments
    ((2, 4, 7, 8), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 3, 9, 8), (4, 3, 3, 2), dict(dilation=(2, 1), stride=(1, 2), padding=(2, 0))),
    ((1, 6, 8, 8), (6, 1, 3, 3), dict(groups=6, padding=1, stride=2)),                      # depthwise
    ((2, 6, 7, 9), (12, 1, 3, 3), dict(groups=6, dilation=2, padding=2)),                   # depthwise x2
    ((2, 3, 7, 8), (4, 3, 4, 3), dict(padding="same")),                                     # even kernel
    ((2, 4, 7, 8), (4, 2, 3, 2), dict(padding="same", dilation=(2, 3), groups=2)),
    ((2, 3, 6, 7), (5, 3, 3, 3), dict(padding="valid", stride=3)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own copy for even kernels
@pytest.mark.parametrize("xs,ws,kw", CONV_CASES)
def test_conv2d_options_parity(xs, ws, kw):
    both(lambda F, x, w, b: F.conv2d(x, w, b, **kw), shapes=[xs, ws, (ws[0],)], name=f"conv2d {kw}")


def test_conv2d_positional_no_bias_and_unbatched_parity():
    both(lambda F, x, w: F.conv2d(x, w, None, 2, 1, 2, 2), shapes=[(2, 4, 9, 9), (4, 2, 3, 3)],
         name="conv2d positional")
    both(lambda F, x, w: F.conv2d(x, w, padding=1), shapes=[(3, 6, 5), (2, 3, 3, 3)], name="conv2d unbatched")


TRANSPOSE_CASES = [
    ((2, 4, 4, 5), (4, 3, 3, 3), dict()),
    ((2, 4, 4, 5), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 3, 4), (4, 2, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(0, 2), groups=2)),
    ((1, 6, 4, 4), (6, 1, 3, 3), dict(groups=6, dilation=2, padding=2)),
    ((2, 3, 3, 3), (3, 2, 2, 2), dict(dilation=3, output_padding=2, stride=1)),            # op < dilation
]


@pytest.mark.parametrize("xs,ws,kw", TRANSPOSE_CASES)
def test_conv_transpose2d_parity(xs, ws, kw):
    cout = ws[1] * kw.get("groups", 1)
    both(lambda F, x, w, b: F.conv_transpose2d(x, w, b, **kw), shapes=[xs, ws, (cout,)],
         name=f"conv_transpose2d {kw}")


def test_conv_transpose2d_positional_and_unbatched_parity():
    both(lambda F, x, w: F.conv_transpose2d(x, w, None, 2, 1, 1, 2, 1), shapes=[(2, 4, 3, 3), (4, 1, 3, 3)],
         name="conv_transpose2d positional")
    both(lambda F, x, w: F.conv_transpose2d(x, w, stride=2), shapes=[(3, 4, 5), (3, 2, 2, 2)],
         name="conv_transpose2d unbatched")


# ---------------------------------------------------------------- pools
MAX_CASES = [
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(2, 1), ceil_mode=True),
    dict(kernel_size=3, dilation=2, padding=1),
    dict(kernel_size=(3, 2), stride=2, dilation=(1, 3), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=2, return_indices=True),
    dict(kernel_size=3, stride=1, padding=1, dilation=2, return_indices=True),
]


@pytest.mark.parametrize("kw", MAX_CASES)
def test_max_pool2d_options_parity(kw):
    both(lambda F, x: F.max_pool2d(x, **kw), shapes=[(2, 3, 9, 10)], name=f"max_pool2d {kw}")


AVG_CASES = [
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), padding=(1, 1), count_include_pad=False),
    dict(kernel_size=(2, 3), stride=1, padding=1, divisor_override=5),
    dict(kernel_size=2, ceil_mode=True, divisor_override=3),
]


@pytest.mark.parametrize("kw", AVG_CASES)
def test_avg_pool2d_options_parity(kw):
    both(lambda F, x: F.avg_pool2d(x, **kw), shapes=[(2, 3, 9, 10)], name=f"avg_pool2d {kw}")


@pytest.mark.parametrize("out", [1, 3, (4, None), (2, 7), (9, 10)])
def test_adaptive_pools_parity(out):
    both(lambda F, x: F.adaptive_avg_pool2d(x, out), shapes=[(2, 3, 9, 10)], name=f"adaptive_avg_pool2d {out}")
    both(lambda F, x: F.adaptive_max_pool2d(x, out), shapes=[(2, 3, 9, 10)], name=f"adaptive_max_pool2d {out}")
    both(lambda F, x: F.adaptive_max_pool2d(x, out, return_indices=True), shapes=[(2, 3, 9, 10)],
         name="adaptive_max_pool2d return_indices")


def test_pools_unbatched_parity():
    both(lambda F, x: F.max_pool2d(x, 2, return_indices=True), shapes=[(3, 6, 7)], name="max_pool2d unbatched")
    both(lambda F, x: F.avg_pool2d(x, 3, 1, 1), shapes=[(3, 6, 7)], name="avg_pool2d unbatched")
    both(lambda F, x: F.adaptive_avg_pool2d(x, 2), shapes=[(3, 6, 7)], name="adaptive_avg_pool2d unbatched")


# ---------------------------------------------------------------- layers
def layer_parity(make, shape, name, **kw):
    """make(nn) builds the layer in torch.nn and minigrad.nn; minigrad gets torch's state_dict."""
    torch.manual_seed(0)
    t32 = make(torch.nn)
    m32 = make(nn)
    m32.load_state_dict({k: v.detach().numpy() for k, v in t32.state_dict().items()})
    t64, m64 = make(torch.nn), make(nn)
    t64.load_state_dict(t32.state_dict())
    m64.load_state_dict(m32.state_dict())
    t64, m64 = t64.double(), m64.double()
    helper_test_op([shape], lambda x: (t64 if x.dtype == torch.float64 else t32)(x, **kw),
                   lambda x: (m64 if x.dtype == np.float64 else m32)(x, **kw), name=name)
    return t32, m32


LAYERS = [
    (lambda nn: nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2), (2, 4, 8, 9)),
    (lambda nn: nn.Conv2d(4, 4, (3, 2), padding="same", dilation=2, groups=4, bias=False), (2, 4, 7, 8)),
    (lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 4, 5)),
    (lambda nn: nn.ConvTranspose2d(3, 2, 2, dilation=2, bias=False), (2, 3, 4, 4)),
    (lambda nn: nn.MaxPool2d(3, 2, 1, dilation=1, ceil_mode=True), (2, 3, 8, 9)),
    (lambda nn: nn.MaxPool2d(2, return_indices=True), (2, 3, 8, 9)),
    (lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 9)),
    (lambda nn: nn.AvgPool2d(2, divisor_override=3), (2, 3, 8, 9)),
    (lambda nn: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 8, 9)),
    (lambda nn: nn.AdaptiveMaxPool2d(3, return_indices=True), (2, 3, 8, 9)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_layer_parity(make, shape):
    t, m = layer_parity(make, shape, repr(make(nn)))
    assert repr(m) == repr(t)
    assert {k: tuple(v.shape) for k, v in t.state_dict().items()} == {k: v.shape for k, v in m.state_dict().items()}


def test_conv_transpose2d_output_size_parity():
    layer_parity(lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=3, padding=1), (1, 3, 4, 4),
                 "ConvTranspose2d output_size", output_size=(11, 12))


def test_conv_layer_weight_gradients_match_torch():
    for make in (lambda nn: nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2),
                 lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)):
        t, m = make(torch.nn), make(nn)
        m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
        x = np.random.default_rng(0).standard_normal((2, 4, 5, 6)).astype(np.float32)
        t(torch.tensor(x)).square().sum().backward()
        (m(mg.Tensor(x)) ** 2).sum().backward()
        for (name, tp), (_, mp) in zip(t.named_parameters(), m.named_parameters()):
            np.testing.assert_allclose(np.asarray(mp.grad.numpy() if hasattr(mp.grad, "numpy") else mp.grad),
                                       tp.grad.numpy(), rtol=2e-5, atol=2e-5, err_msg=name)


def test_conv_layers_use_torch_default_init_bounds():
    """kaiming_uniform(a=sqrt(5)) on fan_in = weight.shape[1] * kh * kw: |w| <= 1/sqrt(fan_in), as bias."""
    mg.manual_seed(0)
    for layer, fan_in in ((nn.Conv2d(8, 16, 3, groups=4), 2 * 9), (nn.ConvTranspose2d(8, 16, 3, groups=4), 4 * 9)):
        bound, w = 1 / np.sqrt(fan_in), np.abs(layer.weight.numpy())
        assert 0.9 * bound < w.max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
        layer.reset_parameters()  # draws again, same bounds
        assert not np.array_equal(np.abs(layer.weight.numpy()), w) and np.abs(layer.weight.numpy()).max() <= bound


# ---------------------------------------------------------------- float64 gradchecks
@pytest.mark.parametrize("xs,ws,kw", CONV_CASES[:4] + CONV_CASES[5:6])
def test_conv2d_options_gradcheck(rng, xs, ws, kw):
    x, w, b = leaf(rng, *xs), leaf(rng, *ws), leaf(rng, ws[0])
    assert mg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), [x, w, b])


@pytest.mark.parametrize("xs,ws,kw", TRANSPOSE_CASES)
def test_conv_transpose2d_gradcheck(rng, xs, ws, kw):
    x, w, b = leaf(rng, *xs), leaf(rng, *ws), leaf(rng, ws[1] * kw.get("groups", 1))
    assert mg.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), [x, w, b])


@pytest.mark.parametrize("kw", MAX_CASES[:4])
def test_max_pool2d_options_gradcheck(rng, kw):
    x = mg.Tensor(unique_values(rng, 2, 2, 7, 8), requires_grad=True)
    assert mg.gradcheck(lambda t: F.max_pool2d(t, **kw), [x])


@pytest.mark.parametrize("kw", AVG_CASES)
def test_avg_pool2d_options_gradcheck(rng, kw):
    assert mg.gradcheck(lambda t: F.avg_pool2d(t, **kw), [leaf(rng, 2, 2, 7, 8)])


@pytest.mark.parametrize("out", [1, (3, 2), (None, 5)])
def test_adaptive_max_pool2d_gradcheck(rng, out):
    x = mg.Tensor(unique_values(rng, 2, 2, 7, 8), requires_grad=True)
    assert mg.gradcheck(lambda t: F.adaptive_max_pool2d(t, out), [x])


# ---------------------------------------------------------------- errors like torch's
def _x(*shape, dtype=np.float32):
    return mg.Tensor(np.zeros(shape, dtype))


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.conv2d(_x(1, 2, 5, 5), _x(3, 2, 3, 3), stride=1.5), TypeError, r"conv2d\(\): argument 'stride'"),
    (lambda: F.conv2d(_x(1, 2, 5, 5), _x(3, 2, 3, 3), padding=(1, 2, 3)), TypeError, "'padding'"),
    (lambda: F.conv2d(_x(1, 2, 5, 5), _x(3, 2, 3, 3), dilation=0), ValueError, "non-positive dilation"),
    (lambda: F.conv2d(_x(1, 2, 5, 5), _x(3, 2, 3, 3), stride=-1), ValueError, "non-positive stride"),
    (lambda: F.conv2d(_x(1, 2, 5, 5), _x(3, 2, 3, 3), padding=-1), ValueError, "negative padding"),
    (lambda: F.conv2d(_x(1, 4, 5, 5), _x(3, 2, 3, 3), groups=2), ValueError,
     r"groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size \[3, 2, 3, 3\]"),
    (lambda: F.conv2d(_x(1, 4, 5, 5), _x(4, 1, 3, 3), groups=2), ValueError,
     r"input\[1, 4, 5, 5\] to have 2 channels, but got 4"),
    (lambda: F.conv2d(_x(1, 4, 5, 5), _x(4, 4, 3, 3), _x(3)), ValueError, r"bias of size \[3\]"),
    (lambda: F.conv2d(_x(1, 4, 5, 5), _x(4, 4, 3, 3), stride=2, padding="same"), ValueError, "strided"),
    (lambda: F.conv2d(_x(1, 4, 5, 5), _x(4, 4, 3, 3), padding="full"), ValueError, "invalid padding string"),
    (lambda: F.conv2d(_x(1, 4, 5, 5), _x(4, 4, 3, 3), dilation=3), ValueError, r"Kernel size: \(7 x 7\)"),
    (lambda: F.conv2d(_x(1, 4, 5, 5), _x(4, 4, 3, 3), groups=1.0), TypeError, "groups"),
    (lambda: F.conv2d(_x(4, 5), _x(4, 4, 3, 3)), ValueError, r"input of size \[4, 5\]"),
    (lambda: F.conv2d(_x(1, 4, 5, 5), _x(4, 4, 3, 3, dtype=np.float64)), TypeError, "should be the same"),
    (lambda: F.conv2d(_x(1, 1, 5, 5), np.ones((1, 1, 3, 3), np.int64)), TypeError,
     r"input type \(float32\) and weight type \(int64\) should be the same"),
    (lambda: F.conv_transpose2d(_x(1, 4, 5, 5), _x(3, 2, 3, 3)), ValueError,
     r"transposed=1, weight of size \[3, 2, 3, 3\], expected input\[1, 4, 5, 5\] to have 3 channels"),
    (lambda: F.conv_transpose2d(_x(1, 4, 5, 5), _x(4, 2, 3, 3), output_padding=1), ValueError,
     "output padding must be smaller than either stride or dilation"),
    (lambda: F.conv_transpose2d(_x(1, 4, 3, 3), _x(4, 2, 3, 3), padding=3), ValueError, "Output size is too small"),
    (lambda: F.conv_transpose2d(_x(1, 4, 3, 3), _x(4, 2, 3, 3), padding="same"), TypeError, "'padding'"),
    (lambda: F.max_pool2d(_x(1, 2, 5, 5), 3, padding=2), ValueError, "half the kernel"),
    (lambda: F.max_pool2d(_x(1, 2, 5, 5), 7), ValueError, r"Calculated output size: \(2x0x0\)"),
    (lambda: F.max_pool2d(_x(1, 2, 5, 5), 2, stride=0), ValueError, "non-positive stride"),
    (lambda: F.max_pool2d(_x(1, 2, 5, 5), 2, stride=1.5), TypeError, r"max_pool2d\(\): argument 'stride'"),
    (lambda: F.max_pool2d(_x(5, 5), 2), ValueError, r"3-D \(C, H, W\) or 4-D"),
    (lambda: F.avg_pool2d(_x(1, 2, 5, 5), 2, divisor_override=0), ValueError, "divisor must be not zero"),
    (lambda: F.adaptive_avg_pool2d(_x(1, 2, 0, 4), 2), ValueError, "non-zero size"),
    (lambda: F.adaptive_max_pool2d(_x(1, 2, 4, 0), 2), ValueError, "non-zero size"),
    (lambda: F.adaptive_avg_pool2d(_x(1, 2, 4, 4), 1.5), TypeError, "output_size"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "in_channels"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels"),
    (lambda: nn.Conv2d(4, 3, 3, padding_mode="mirror"), ValueError, "padding_mode must be one of"),
    (lambda: nn.Conv2d(4, 3, 3, padding_mode="reflect"), NotImplementedError, "reflect"),
    (lambda: nn.Conv2d(4, 4, 3, stride=2, padding="same"), ValueError, "strided"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, stride=2)(_x(1, 4, 3, 3), output_size=(9, 9)), ValueError,
     "valid sizes range from 7 to 8"),
])
def test_errors_name_the_op_and_the_shapes(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("bad", [np.zeros((1, 1, 4, 4), np.int32), np.zeros((1, 1, 4, 4), np.complex64),
                                 np.zeros((1, 1, 4, 4), bool)])
def test_kernels_refuse_non_float_arrays(bad):
    w = np.zeros((1, 1, 2, 2), np.float32)
    for call in (lambda: K.conv2d_forward(bad, w, None), lambda: K.conv_transpose2d_forward(bad, w, None),
                 lambda: K.max_pool2d_forward(bad, 2), lambda: K.avg_pool2d_forward(bad, 2),
                 lambda: K.adaptive_max_pool2d_forward(bad, 2), lambda: K.adaptive_avg_pool2d_forward(bad, 2)):
        with pytest.raises(TypeError, match="float32 or float64"):
            call()


def test_empty_batch_gives_empty_outputs_like_torch():
    for fn in (lambda F, x: F.conv2d(x, torch.zeros(3, 2, 3, 3) if F is torch.nn.functional else _x(3, 2, 3, 3)),
               lambda F, x: F.max_pool2d(x, 2), lambda F, x: F.avg_pool2d(x, 3, 1, 1)):
        t = fn(torch.nn.functional, torch.zeros(0, 2, 6, 6))
        assert fn(F, _x(0, 2, 6, 6)).shape == tuple(t.shape)


# ---------------------------------------------------------------- max_unpool
@pytest.mark.parametrize("kw,out", [(dict(kernel_size=2), None), (dict(kernel_size=3, stride=2, padding=1), (9, 10)),
                                    (dict(kernel_size=(2, 3), stride=(1, 2)), [2, 3, 9, 10])])
def test_max_unpool2d_parity(kw, out):
    both(lambda F, x: F.max_unpool2d(*F.max_pool2d(x, return_indices=True, **kw), output_size=out, **kw),
         shapes=[(2, 3, 9, 10)], name=f"max_unpool2d {kw}")
    both(lambda F, x: F.max_unpool1d(*F.max_pool1d(x, 3, 2, 1, return_indices=True), 3, 2, 1, [10]),
         shapes=[(2, 3, 10)], name="max_unpool1d")


def test_max_unpool_layers_parity_and_gradcheck(rng):
    t_pool, t_unpool = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    m_pool, m_unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    helper_test_op([(2, 3, 6, 7)], lambda x: t_unpool(*t_pool(x), output_size=(7, 7)),
                   lambda x: m_unpool(*m_pool(x), output_size=(7, 7)), name="MaxUnpool2d")
    assert repr(m_unpool) == repr(t_unpool) and repr(nn.MaxUnpool1d(3, 2)) == repr(torch.nn.MaxUnpool1d(3, 2))
    x = mg.Tensor(unique_values(rng, 2, 2, 6, 7), requires_grad=True)
    assert mg.gradcheck(lambda t: F.max_unpool2d(*F.max_pool2d(t, 2, return_indices=True), 2, output_size=(6, 7)),
                        [x])
    v, i = leaf(rng, 2, 2, 3, 3), F.max_pool2d(x, 2, return_indices=True)[1]
    assert mg.gradcheck(lambda t: F.max_unpool2d(t, i, 2, output_size=(6, 7)), [v])
    t_pool, t_unpool, m_pool, m_unpool = (torch.nn.MaxPool1d(3, 2, return_indices=True), torch.nn.MaxUnpool1d(3, 2),
                                          nn.MaxPool1d(3, 2, return_indices=True), nn.MaxUnpool1d(3, 2))
    helper_test_op([(2, 3, 9)], lambda x: t_unpool(*t_pool(x)), lambda x: m_unpool(*m_pool(x)), name="MaxUnpool1d")
    x1 = mg.Tensor(unique_values(rng, 2, 2, 9), requires_grad=True)
    # non-overlapping windows: with overlap one input can win twice, and unpooling writes it once
    assert mg.gradcheck(lambda t: F.max_unpool1d(*F.max_pool1d(t, 2, return_indices=True), 2, output_size=[9]), [x1])


@pytest.mark.parametrize("call,exc,match", [
    (lambda i: F.max_unpool2d(_x(1, 1, 2, 2), i * 10, 2), ValueError, "invalid max index 150"),
    (lambda i: F.max_unpool2d(_x(1, 1, 2, 2), i, 2, output_size=(7, 7)), ValueError, "between 2 and 6"),
    (lambda i: F.max_unpool2d(_x(1, 1, 2, 2), i.float(), 2), TypeError, "int64"),
    (lambda i: F.max_unpool2d(_x(1, 1, 2, 3), i, 2), ValueError, "same shape"),
])
def test_max_unpool_errors(call, exc, match):
    indices = F.max_pool2d(mg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2, return_indices=True)[1]
    with pytest.raises(exc, match=match):
        call(indices)


@pytest.mark.parametrize("conv", [lambda x, w: F.conv2d(x, w, padding=1),
                                  lambda x, w: F.conv_transpose2d(x, w.permute(1, 0, 2, 3))])
def test_conv_refuses_backward_after_an_inplace_change_of_its_inputs(conv):
    """As torch: an optimizer step (or any in-place op) between forward and backward is an error."""
    x = mg.Tensor(np.ones((1, 2, 5, 5), np.float32), requires_grad=True)
    w = mg.Tensor(np.ones((2, 2, 3, 3), np.float32), requires_grad=True)
    out = conv(x, w)
    with mg.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    y = x * 1
    out = conv(y, w)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("call", [lambda: F.conv2d(_x(2, 2, 5, 5), _x(0, 2, 3, 3)),
                                  lambda: F.conv_transpose2d(_x(2, 0, 5, 5), _x(0, 2, 3, 3)),
                                  lambda: F.conv3d(_x(2, 2, 5, 5, 5), _x(0, 2, 3, 3, 3))])
def test_weights_without_filters_are_refused_like_torch(call):
    with pytest.raises(ValueError, match="expected weight to be at least 1 at dimension 0"):
        call()


@pytest.mark.parametrize("call", [lambda: F.conv2d(_x(2, 2, 5, 5), _x(3, 2, 0, 3)),
                                  lambda: F.conv_transpose2d(_x(2, 2, 5, 5), _x(2, 3, 3, 0)),
                                  lambda: F.conv3d(_x(2, 2, 5, 5, 5), _x(3, 2, 0, 3, 3))])
def test_empty_kernels_are_refused(call):
    with pytest.raises(ValueError, match="kernel size should be greater than zero"):
        call()


HALF = [
    ("conv2d", lambda F, x, w, b: F.conv2d(x, w, b, padding=1, groups=2), [(2, 4, 6, 7), (6, 2, 3, 3), (6,)]),
    ("conv_transpose2d", lambda F, x, w: F.conv_transpose2d(x, w, stride=2), [(2, 4, 3, 4), (4, 3, 3, 3)]),
    ("conv1d", lambda F, x, w: F.conv1d(x, w, padding=1), [(2, 4, 7), (3, 4, 3)]),
    ("conv3d", lambda F, x, w: F.conv3d(x, w, padding=1), [(1, 2, 3, 4, 5), (3, 2, 2, 2, 2)]),
    ("max_pool2d", lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True), [(2, 3, 6, 7)]),
    ("avg_pool2d", lambda F, x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [(2, 3, 6, 7)]),
    ("adaptive_avg_pool2d", lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)), [(2, 3, 6, 7)]),
    ("adaptive_max_pool2d", lambda F, x: F.adaptive_max_pool2d(x, 3), [(2, 3, 6, 7)]),
    ("unfold", lambda F, x: F.unfold(x, 2, padding=1), [(2, 3, 4, 5)]),
    ("fold", lambda F, x: F.fold(x, (4, 5), 2), [(2, 12, 12)]),
]


@pytest.mark.parametrize("name,fn,shapes", HALF)
def test_float16_runs_in_float32_and_returns_float16_like_torch(name, fn, shapes):
    """torch's CPU kernels take float16; so do these (computed in float32, rounded back to float16)."""
    both(fn, shapes=shapes, dtypes=(np.float16,), rtol=3e-3, name=f"{name} float16")


def test_float16_mixed_with_float32_is_refused():
    with pytest.raises(TypeError, match="should be the same"):
        F.conv2d(mg.tensor(np.zeros((1, 2, 4, 4), np.float16)), _x(3, 2, 3, 3))
