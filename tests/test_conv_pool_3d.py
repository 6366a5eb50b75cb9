"""conv3d, conv_transpose3d, the 3-D pools (composed from the 2-D kernels) and lp_pool: torch parity lines
through helper_test_op (float32 and float64, forward and every input gradient), their layers, float64
gradchecks and errors."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import nn
from conftest import leaf, unique_values
from test_conv_pool_parity import both, layer_parity

CONV3D = [
    ((2, 4, 5, 6, 7), (6, 2, 3, 3, 2), dict(groups=2, padding=1, stride=(2, 1, 1), dilation=(1, 2, 1))),
    ((4, 5, 6, 7), (3, 4, 2, 2, 2), dict(padding="same")),
    ((1, 2, 6, 5, 5), (2, 2, 3, 1, 1), dict(padding=(2, 0, 0), dilation=(2, 1, 1))),
    ((2, 3, 4, 4, 4), (3, 1, 3, 3, 3), dict(groups=3, stride=2, padding="valid")),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own copy for even kernels
@pytest.mark.parametrize("xs,ws,kw", CONV3D)
def test_conv3d_parity(xs, ws, kw):
    both(lambda F, x, w, b: F.conv3d(x, w, b, **kw), shapes=[xs, ws, (ws[0],)], name=f"conv3d {kw}")


TRANSPOSE3D = [
    ((2, 4, 3, 4, 5), (4, 3, 3, 3, 2), dict()),
    ((2, 4, 3, 4, 5), (4, 3, 3, 2, 2), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ((1, 2, 4, 3, 3), (2, 2, 2, 3, 3), dict(stride=(3, 1, 2), dilation=(2, 1, 1), padding=(2, 1, 0),
                                            output_padding=(1, 0, 1))),
    ((4, 3, 4, 5), (4, 2, 2, 2, 2), dict(stride=2)),
]


@pytest.mark.parametrize("xs,ws,kw", TRANSPOSE3D)
def test_conv_transpose3d_parity(xs, ws, kw):
    both(lambda F, x, w, b: F.conv_transpose3d(x, w, b, **kw), shapes=[xs, ws, (ws[1] * kw.get("groups", 1),)],
         name=f"conv_transpose3d {kw}")


POOLS3D = [
    ("max_pool3d", lambda F, x: F.max_pool3d(x, 3, 2, 1, 1, True)),
    ("max_pool3d indices", lambda F, x: F.max_pool3d(x, (2, 3, 2), (1, 2, 2), (1, 1, 0), (2, 1, 1), False, True)),
    ("avg_pool3d", lambda F, x: F.avg_pool3d(x, 3, 2, 1, True, False)),
    ("avg_pool3d include pad", lambda F, x: F.avg_pool3d(x, 3, 2, 1, True, True)),
    ("avg_pool3d divisor", lambda F, x: F.avg_pool3d(x, (2, 3, 2), 1, 1, False, True, 7)),
    ("adaptive_avg_pool3d", lambda F, x: F.adaptive_avg_pool3d(x, (3, 2, 4))),
    ("adaptive_max_pool3d", lambda F, x: F.adaptive_max_pool3d(x, (3, 2, None), True)),
]


@pytest.mark.parametrize("name,fn", POOLS3D)
def test_pools3d_parity(name, fn):
    both(fn, shapes=[(2, 3, 7, 8, 9)], name=name)
    both(fn, shapes=[(3, 7, 8, 9)], name=name + " unbatched")


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("make_layer,shape", [
    (lambda nn: nn.Conv3d(4, 6, 3, stride=(1, 2, 2), padding=1, groups=2), (2, 4, 5, 6, 6)),
    (lambda nn: nn.Conv3d(2, 3, (2, 3, 1), padding="same", bias=False), (1, 2, 4, 5, 6)),
    (lambda nn: nn.ConvTranspose3d(4, 6, 3, stride=(2, 1, 2), padding=1, output_padding=(1, 0, 0), groups=2),
     (2, 4, 3, 4, 4)),
    (lambda nn: nn.MaxPool3d(3, 2, 1, ceil_mode=True), (2, 3, 5, 6, 7)),
    (lambda nn: nn.AvgPool3d(2, count_include_pad=False), (2, 3, 5, 6, 7)),
    (lambda nn: nn.AdaptiveAvgPool3d(2), (2, 3, 5, 6, 7)),
    (lambda nn: nn.AdaptiveMaxPool3d((1, 2, 3)), (2, 3, 5, 6, 7)),
])
def test_layers3d_parity(make_layer, shape):
    t, m = layer_parity(make_layer, shape, repr(make_layer(nn)))
    assert repr(m) == repr(t)


def test_3d_gradchecks(rng):
    x, w, b = leaf(rng, 1, 2, 4, 4, 5), leaf(rng, 4, 1, 2, 3, 2), leaf(rng, 4)
    assert mg.gradcheck(lambda x, w, b: F.conv3d(x, w, b, (2, 1, 1), 1, (1, 1, 2), 2), [x, w, b])
    x, w = leaf(rng, 1, 4, 3, 3, 2), leaf(rng, 4, 2, 2, 2, 3)
    assert mg.gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, (2, 1, 1), (1, 0, 1), (1, 0, 0), 2), [x, w, b])
    u = mg.Tensor(unique_values(rng, 1, 2, 5, 4, 5), requires_grad=True)
    assert mg.gradcheck(lambda t: F.max_pool3d(t, 3, 2, 1, 1, True), [u])
    assert mg.gradcheck(lambda t: F.adaptive_max_pool3d(t, (2, 3, 2)), [u])
    assert mg.gradcheck(lambda t: F.avg_pool3d(t, 3, 2, 1, True, False), [leaf(rng, 1, 2, 5, 4, 5)])
    assert mg.gradcheck(lambda t: F.adaptive_avg_pool3d(t, (2, 3, 2)), [leaf(rng, 1, 2, 5, 4, 5)])


def _x(*shape):
    return mg.Tensor(np.zeros(shape, np.float32))


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.conv3d(_x(2, 4, 5, 5), _x(2, 4, 3, 3)), ValueError, r"conv3d: expected a 5-D weight"),
    (lambda: F.conv3d(_x(4, 5, 5), _x(2, 4, 3, 3, 3)), ValueError, r"conv3d: expected a 4-D \(C, D, H, W\)"),
    (lambda: F.conv3d(_x(1, 3, 5, 5, 5), _x(2, 4, 3, 3, 3)), ValueError, "to have 4 channels, but got 3"),
    (lambda: F.conv3d(_x(1, 4, 5, 5, 5), _x(2, 4, 3, 3, 3), _x(3)), ValueError, r"bias of size \[3\]"),
    (lambda: F.conv3d(_x(1, 4, 2, 5, 5), _x(2, 4, 3, 3, 3)), ValueError, "kernel depth 3"),
    (lambda: F.conv3d(_x(1, 4, 5, 5, 5), _x(2, 4, 3, 3, 3), stride=(1, 2)), TypeError, "tuple of 3 ints"),
    (lambda: F.conv_transpose3d(_x(1, 3, 2, 2, 2), _x(4, 2, 2, 2, 2)), ValueError, "to have 4 channels, but got 3"),
    (lambda: F.conv_transpose3d(_x(1, 4, 2, 2, 2), _x(4, 2, 2, 2, 2), output_padding=1), ValueError,
     "output padding smaller than either stride or dilation"),
    (lambda: F.max_pool3d(_x(1, 4, 5, 5, 5), 2, padding=2), ValueError, "max_pool3d: pad should be at most half"),
    (lambda: F.avg_pool3d(_x(1, 4, 5, 5, 5), 2, stride=0), ValueError, "avg_pool3d: non-positive stride"),
])
def test_3d_errors_name_the_op(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


LP_POOLS = [
    ("lp_pool1d", lambda F, x: F.lp_pool1d(x, 2, 3, 2, True), (2, 3, 9)),
    ("lp_pool2d", lambda F, x: F.lp_pool2d(x, 2, 3, 2, True), (2, 3, 7, 8)),
    ("lp_pool2d p=3", lambda F, x: F.lp_pool2d(x.abs() + 0.1, 3.0, (2, 3)), (2, 3, 7, 8)),
    ("lp_pool3d", lambda F, x: F.lp_pool3d(x, 2, 2), (2, 3, 4, 4, 5)),
]


@pytest.mark.parametrize("name,fn,shape", LP_POOLS)
def test_lp_pool_parity_and_gradcheck(rng, name, fn, shape):
    both(fn, shapes=[shape], name=name)
    assert mg.gradcheck(lambda t: fn(F, t), [leaf(rng, *shape)])


@pytest.mark.parametrize("make_layer,shape", [(lambda nn: nn.LPPool1d(2, 3), (2, 3, 9)),
                                              (lambda nn: nn.LPPool2d(2, (2, 3), 1, True), (2, 3, 5, 6)),
                                              (lambda nn: nn.LPPool3d(2.0, 2), (2, 3, 4, 4, 4))])
def test_lp_pool_layers_parity(make_layer, shape):
    t, m = layer_parity(make_layer, shape, repr(make_layer(nn)))
    assert repr(m) == repr(t)
