"""unfold/fold against a naive loop reference; torch parity (helper_test_op) and float64 gradchecks of
unfold, fold, the 1-D convolutions and pools, and their layers."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.functional as F
from minigrad import kernels as K
from minigrad import nn
from conftest import leaf, unique_values
from test_kernels import DTYPES, LAYOUTS, SETTINGS, make, tol
from test_conv_pool_parity import both, layer_parity


def ref_unfold(x, k, d, p, s):
    N, C, H, W = x.shape
    Ho, Wo = [(x.shape[2 + a] + 2 * p[a] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in (0, 1)]
    out = np.zeros((N, C * k[0] * k[1], Ho * Wo))
    for c in range(C):
        for i in range(k[0]):
            for j in range(k[1]):
                for oh in range(Ho):
                    for ow in range(Wo):
                        ih, iw = oh * s[0] - p[0] + i * d[0], ow * s[1] - p[1] + j * d[1]
                        if 0 <= ih < H and 0 <= iw < W:
                            out[:, (c * k[0] + i) * k[1] + j, oh * Wo + ow] = x[:, c, ih, iw]
    return out


@SETTINGS
@given(st.tuples(st.integers(1, 3), st.integers(1, 3)), st.tuples(st.integers(1, 2), st.integers(1, 2)),
       st.tuples(st.integers(0, 2), st.integers(0, 2)), st.tuples(st.integers(1, 3), st.integers(1, 3)),
       st.integers(1, 7), st.integers(1, 7), DTYPES, LAYOUTS, st.integers(0, 2**31))
def test_unfold_and_fold_match_loop_reference(k, d, p, s, H, W, dtype, layout, seed):
    assume(min((H, W)[a] + 2 * p[a] - d[a] * (k[a] - 1) for a in (0, 1)) >= 1)
    rng = np.random.default_rng(seed)
    x = make(rng, (2, 3, H, W), dtype, layout)
    cols = K.unfold_forward(x, k, d, p, s)
    ref = ref_unfold(x, k, d, p, s)
    assert cols.dtype == dtype
    np.testing.assert_allclose(cols, ref, **tol(dtype))
    g = make(rng, cols.shape, dtype, layout)  # fold is unfold's adjoint: <unfold(x), g> = <x, fold(g)>
    folded = K.fold_forward(g, (H, W), k, d, p, s)
    np.testing.assert_allclose(np.vdot(ref, g.astype(np.float64)), np.vdot(x.astype(np.float64), folded),
                               rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-4)


# ---------------------------------------------------------------- parity
@pytest.mark.parametrize("kw", [dict(kernel_size=2),
                                dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))])
def test_unfold_fold_parity(kw):
    both(lambda F, x: F.unfold(x, **kw), shapes=[(2, 3, 6, 7)], name=f"unfold {kw}")
    both(lambda F, x: F.unfold(x, **kw), shapes=[(3, 6, 7)], name="unfold unbatched")
    L = mg.functional.unfold(mg.Tensor(np.zeros((1, 3, 6, 7))), **kw).shape[1:]
    both(lambda F, x: F.fold(x, (6, 7), **kw), shapes=[(2,) + L], name=f"fold {kw}")
    both(lambda F, x: F.fold(x, (6, 7), **kw), shapes=[L], name="fold unbatched")


ONE_D = [
    ("conv1d groups dilation", lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
     [(2, 4, 11), (6, 2, 3), (6,)]),
    ("conv1d same", lambda F, x, w: F.conv1d(x, w, padding="same"), [(2, 4, 11), (6, 4, 3)]),
    ("conv1d unbatched", lambda F, x, w: F.conv1d(x, w), [(4, 11), (6, 4, 3)]),
    ("conv_transpose1d", lambda F, x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 2, 1), [(2, 4, 7), (4, 3, 3), (6,)]),
    ("conv_transpose1d unbatched", lambda F, x, w: F.conv_transpose1d(x, w, dilation=2), [(4, 7), (4, 3, 2)]),
    ("max_pool1d ceil", lambda F, x: F.max_pool1d(x, 3, 2, 1, 1, True), [(2, 4, 11)]),
    ("max_pool1d indices", lambda F, x: F.max_pool1d(x, 2, dilation=2, return_indices=True), [(4, 11)]),
    ("avg_pool1d", lambda F, x: F.avg_pool1d(x, 3, 2, 1, True, False), [(2, 4, 11)]),
    ("avg_pool1d tuple", lambda F, x: F.avg_pool1d(x, (3,)), [(2, 4, 11)]),
    ("adaptive_avg_pool1d", lambda F, x: F.adaptive_avg_pool1d(x, 4), [(2, 4, 11)]),
    ("adaptive_max_pool1d", lambda F, x: F.adaptive_max_pool1d(x, 4, True), [(4, 11)]),
]


@pytest.mark.parametrize("name,fn,shapes", ONE_D)
def test_one_d_parity(name, fn, shapes):
    both(fn, shapes=shapes, name=name)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own copy for even kernels
@pytest.mark.parametrize("make_layer,shape", [
    (lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), (2, 4, 9)),
    (lambda nn: nn.Conv1d(4, 4, 2, padding="same", dilation=3, groups=4, bias=False), (2, 4, 9)),
    (lambda nn: nn.ConvTranspose1d(4, 6, 3, stride=2, output_padding=1, groups=2), (2, 4, 5)),
    (lambda nn: nn.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 3, 9)),
    (lambda nn: nn.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 9)),
    (lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda nn: nn.AdaptiveMaxPool1d(4), (2, 3, 9)),
    (lambda nn: nn.Unfold(2, padding=1), (2, 3, 5, 6)),
    (lambda nn: nn.Fold((5, 6), 2), (2, 12, 20)),
])
def test_one_d_and_unfold_layer_parity(make_layer, shape):
    t, m = layer_parity(make_layer, shape, repr(make_layer(nn)))
    assert repr(m) == repr(t)


def test_conv_transpose1d_output_size():
    layer_parity(lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=3), (1, 3, 4), "ConvTranspose1d output_size",
                 output_size=[13])


# ---------------------------------------------------------------- float64 gradchecks
def test_unfold_fold_gradcheck(rng):
    assert mg.gradcheck(lambda t: F.unfold(t, (2, 3), (2, 1), 1, (1, 2)), [leaf(rng, 2, 2, 5, 6)])
    assert mg.gradcheck(lambda t: F.fold(t, (5, 6), (2, 3), (2, 1), 1, (1, 2)), [leaf(rng, 2, 12, 15)])


def test_one_d_gradchecks(rng):
    x, w, b = leaf(rng, 2, 4, 9), leaf(rng, 6, 2, 3), leaf(rng, 6)
    assert mg.gradcheck(lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2, 2), [x, w, b])
    x, w = leaf(rng, 2, 4, 5), leaf(rng, 4, 3, 3)
    assert mg.gradcheck(lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 2, 1), [x, w, b])
    u = mg.Tensor(unique_values(rng, 2, 3, 9), requires_grad=True)
    assert mg.gradcheck(lambda t: F.max_pool1d(t, 3, 2, 1, 2, True), [u])
    assert mg.gradcheck(lambda t: F.adaptive_max_pool1d(t, 4), [u])
    assert mg.gradcheck(lambda t: F.avg_pool1d(t, 3, 2, 1, True, False), [leaf(rng, 2, 3, 9)])
    assert mg.gradcheck(lambda t: F.adaptive_avg_pool1d(t, 4), [leaf(rng, 2, 3, 9)])


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.conv1d(mg.Tensor(np.zeros((2, 4, 5, 5))), mg.Tensor(np.zeros((2, 4, 3)))), ValueError,
     r"conv1d: expected a 2-D \(C, L\) or 3-D"),
    (lambda: F.conv1d(mg.Tensor(np.zeros((2, 4, 5))), mg.Tensor(np.zeros((2, 4, 3, 3)))), ValueError,
     "conv1d: expected a 3-D weight"),
    (lambda: F.conv1d(mg.Tensor(np.zeros((2, 4, 5))), mg.Tensor(np.zeros((2, 4, 3))), stride=(1, 2)), TypeError,
     r"conv1d\(\): argument 'stride'"),
    (lambda: F.max_pool1d(mg.Tensor(np.zeros((2, 4, 5))), 2.5), TypeError, "kernel_size"),
    (lambda: F.unfold(mg.Tensor(np.zeros((2, 3, 5, 6))), 7), ValueError, "sliding blocks"),
    (lambda: F.fold(mg.Tensor(np.zeros((2, 11, 20))), (5, 6), 2), ValueError, "divisible by the product"),
    (lambda: F.fold(mg.Tensor(np.zeros((2, 12, 19))), (5, 6), 2), ValueError,
     r"4 \* 5 = 20, but got input.size\(2\)=19"),
])
def test_errors_name_the_op(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
