"""Each Numba kernel equals a naive loop reference written here, on hypothesis-drawn small shapes,
for float32 and float64, contiguous and non-contiguous inputs; plus the exact edge cases."""
import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad import kernels as K
from minigrad.kernels import threadpool
from minigrad.kernels import conv as conv_module
from minigrad.kernels import pooling as pooling_module

SETTINGS = settings(max_examples=25, deadline=None)
DTYPES = st.sampled_from([np.float32, np.float64])
LAYOUTS = st.sampled_from(["contiguous", "transposed", "strided"])


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


def make(rng, shape, dtype, layout="contiguous"):
    """Random array of `shape`, optionally as a non-C-contiguous view with the same values."""
    if layout == "transposed":  # last two axes swapped in memory
        a = rng.standard_normal(shape[:-2] + (shape[-1], shape[-2])).astype(dtype)
        return a.swapaxes(-1, -2)
    if layout == "strided":  # every other element of a wider array
        a = rng.standard_normal(shape[:-1] + (2 * shape[-1],)).astype(dtype)
        return a[..., ::2]
    return rng.standard_normal(shape).astype(dtype)


def padded(x, ph, pw, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


# ---------------------------------------------------------------- naive references (loops)

def ref_conv(x, w, b, s, p):
    N, C, H, W = x.shape
    Co, _, kh, kw = w.shape
    xp = padded(x.astype(np.float64), *p)
    Ho, Wo = (H + 2 * p[0] - kh) // s[0] + 1, (W + 2 * p[1] - kw) // s[1] + 1
    out = np.zeros((N, Co, Ho, Wo))
    for n in range(N):
        for co in range(Co):
            for oh in range(Ho):
                for ow in range(Wo):
                    win = xp[n, :, oh * s[0]:oh * s[0] + kh, ow * s[1]:ow * s[1] + kw]
                    out[n, co, oh, ow] = np.sum(win * w[co]) + (b[co] if b is not None else 0.0)
    return out


def ref_conv_grads(x, w, g, s, p):
    N, C, H, W = x.shape
    Co, _, kh, kw = w.shape
    xp = padded(x.astype(np.float64), *p)
    gxp, gw = np.zeros_like(xp), np.zeros(w.shape)
    for n in range(N):
        for co in range(Co):
            for oh in range(g.shape[2]):
                for ow in range(g.shape[3]):
                    hs, ws = slice(oh * s[0], oh * s[0] + kh), slice(ow * s[1], ow * s[1] + kw)
                    gxp[n, :, hs, ws] += g[n, co, oh, ow] * w[co]
                    gw[co] += g[n, co, oh, ow] * xp[n, :, hs, ws]
    gx = gxp[:, :, p[0]:p[0] + H, p[1]:p[1] + W]
    return gx, gw, g.sum(axis=(0, 2, 3))


def ref_pool(x, k, s, p, mode):
    """-> (out, gx_fn) where gx_fn(g) scatters like PyTorch (first max / uniform 1/(kh*kw))."""
    N, C, H, W = x.shape
    Ho, Wo = (H + 2 * p[0] - k[0]) // s[0] + 1, (W + 2 * p[1] - k[1]) // s[1] + 1
    out = np.zeros((N, C, Ho, Wo))
    hits = {}  # (n, c, oh, ow) -> list of (ih, iw, weight)
    for n in range(N):
        for c in range(C):
            for oh in range(Ho):
                for ow in range(Wo):
                    cells = [(ih, iw) for ih in range(oh * s[0] - p[0], oh * s[0] - p[0] + k[0])
                             for iw in range(ow * s[1] - p[1], ow * s[1] - p[1] + k[1])
                             if 0 <= ih < H and 0 <= iw < W]
                    if mode == "max":
                        best = cells[0]
                        for cell in cells:  # strict > : the first maximum wins
                            if x[n, c][cell] > x[n, c][best]:
                                best = cell
                        out[n, c, oh, ow] = x[n, c][best]
                        hits[n, c, oh, ow] = [best + (1.0,)]
                    else:
                        out[n, c, oh, ow] = sum(float(x[n, c][cell]) for cell in cells) / (k[0] * k[1])
                        hits[n, c, oh, ow] = [cell + (1.0 / (k[0] * k[1]),) for cell in cells]

    def grad(g):
        gx = np.zeros(x.shape)
        for (n, c, oh, ow), lst in hits.items():
            for ih, iw, wgt in lst:
                gx[n, c, ih, iw] += wgt * g[n, c, oh, ow]
        return gx
    return out, grad


# ---------------------------------------------------------------- hypothesis-drawn geometry

@st.composite
def conv_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H = draw(st.integers(max(1, kh - 2 * ph), 9))
    W = draw(st.integers(max(1, kw - 2 * pw), 9))
    N, C, Co = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    return (N, C, H, W), (Co, C, kh, kw), (sh, sw), (ph, pw), draw(st.booleans())


@st.composite
def pool_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    H = draw(st.integers(max(1, kh - 2 * ph), 9))
    W = draw(st.integers(max(1, kw - 2 * pw), 9))
    return (draw(st.integers(1, 3)), draw(st.integers(1, 3)), H, W), (kh, kw), (sh, sw), (ph, pw)


@contextlib.contextmanager
def kernel_schedule(one_image_chunks, worker_pool):
    """Force single-image chunks (exercises chunk offsets and the per-chunk weight gradient, which small maps
    otherwise skip for the channel-split one) and/or the no-worker-pool fallback."""
    saved = (conv_module._MIN_GEMM_COLS, conv_module._CACHE_BYTES, conv_module._SMALL_MAP_COLS, threadpool.enabled,
             threadpool.MIN_PARALLEL_WORK)
    if one_image_chunks:
        conv_module._MIN_GEMM_COLS, conv_module._CACHE_BYTES, conv_module._SMALL_MAP_COLS = 1, 1, 0
    threadpool.enabled = worker_pool
    threadpool.MIN_PARALLEL_WORK = 0  # test-sized work would otherwise always run inline
    try:
        yield
    finally:
        (conv_module._MIN_GEMM_COLS, conv_module._CACHE_BYTES, conv_module._SMALL_MAP_COLS, threadpool.enabled,
         threadpool.MIN_PARALLEL_WORK) = saved


@SETTINGS
@given(conv_case(), DTYPES, LAYOUTS, st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_conv2d_matches_loop_reference(case, dtype, layout, chunked, worker_pool, seed):
    xs, ws, s, p, use_bias = case
    rng = np.random.default_rng(seed)
    x, w = make(rng, xs, dtype, layout), make(rng, ws, dtype, layout)
    b = rng.standard_normal(ws[0]).astype(dtype) if use_bias else None
    with kernel_schedule(chunked, worker_pool):
        out, saved = K.conv2d_forward(x, w, b, s, p)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref_conv(x, w, b, s, p), **tol(dtype))
    g = make(rng, out.shape, dtype, layout)
    with kernel_schedule(chunked, worker_pool):
        gx, gw, gb = K.conv2d_backward(g, saved, True, True, use_bias)
    rx, rw, rb = ref_conv_grads(x, w, g, s, p)
    assert gx.dtype == gw.dtype == dtype and gx.shape == xs and gw.shape == ws
    np.testing.assert_allclose(gx, rx, **tol(dtype))
    np.testing.assert_allclose(gw, rw, **tol(dtype))
    if use_bias:
        np.testing.assert_allclose(gb, rb, **tol(dtype))
    else:
        assert gb is None


@SETTINGS
@given(pool_case(), DTYPES, LAYOUTS, st.booleans(), st.integers(0, 2**31))
def test_max_pool2d_matches_loop_reference(case, dtype, layout, worker_pool, seed):
    xs, k, s, p = case
    rng = np.random.default_rng(seed)
    x = make(rng, xs, dtype, layout)
    if seed % 2:  # coarse values force ties, exercising the first-maximum rule
        x = np.round(x)
    g = make(rng, ref_pool(x, k, s, p, "max")[0].shape, dtype, layout)
    with kernel_schedule(False, worker_pool):
        out, arg = K.max_pool2d_forward(x, k, s, p)
        gx = K.max_pool2d_backward(g, arg, xs)
    ref, grad = ref_pool(x, k, s, p, "max")
    assert out.dtype == dtype and arg.dtype == np.int32
    np.testing.assert_array_equal(out, ref)
    assert gx.dtype == dtype
    np.testing.assert_allclose(gx, grad(g), **tol(dtype))


@SETTINGS
@given(st.integers(2, 9), st.integers(2, 9), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 2), DTYPES, st.integers(0, 2**31))
def test_max_pool2d_nan_and_ties_follow_a_row_major_scan(H, W, k, s, p, d, dtype, seed):
    """The separable kernel (row winners, then the winner over rows) against a scan of each whole window
    in row-major order with PyTorch's rule: a strictly greater value or a NaN takes over."""
    p = min(p, k // 2)
    if (H + 2 * p - d * (k - 1) - 1) < 0 or (W + 2 * p - d * (k - 1) - 1) < 0:
        return
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal((2, 2, H, W)) * 1.5).astype(dtype)
    x[rng.random(x.shape) < 0.15] = np.nan
    out, arg = K.max_pool2d_forward(x, k, s, p, d)
    Ho, Wo = out.shape[2:]
    for n, c, oh, ow in np.ndindex(2, 2, Ho, Wo):
        taps = [(ih, iw) for ih in range(oh * s - p, oh * s - p + d * (k - 1) + 1, d) if 0 <= ih < H
                for iw in range(ow * s - p, ow * s - p + d * (k - 1) + 1, d) if 0 <= iw < W]
        best = taps[0]
        for t in taps[1:]:
            if x[n, c][t] > x[n, c][best] or np.isnan(x[n, c][t]):
                best = t
        assert arg[n, c, oh, ow] == best[0] * W + best[1]
        np.testing.assert_array_equal(out[n, c, oh, ow], x[n, c][best])


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 9), st.integers(2, 9), DTYPES, LAYOUTS,
       st.integers(0, 2**31))
def test_max_pool2d_2x2_fast_path_matches_reference_and_generic_kernel(N, C, H, W, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    x = np.round(make(rng, (N, C, H, W), dtype, layout))  # rounding makes ties common
    if seed % 3 == 0:
        x[..., 0, 0] = np.nan  # NaN wins, as in PyTorch
    with kernel_schedule(False, seed % 2 == 0):
        out, arg = K.max_pool2d_forward(x, 2, 2, 0)
    generic_out = np.empty((N * C, H // 2, W // 2), dtype)
    generic_arg = np.empty(generic_out.shape, np.int32)
    for p, plane in enumerate(np.ascontiguousarray(x).reshape(N * C, H, W)):
        hs, he, ws, we = np.arange(0, H - 1, 2), np.arange(2, H + 1, 2), np.arange(0, W - 1, 2), np.arange(2, W + 1, 2)
        scratch = np.empty((H, W // 2), dtype), np.empty((H, W // 2), np.int32)
        pooling_module._max_plane(plane, hs, he, ws, we, 1, 1, generic_out[p], generic_arg[p], *scratch)
    np.testing.assert_array_equal(out.reshape(generic_out.shape), generic_out)
    np.testing.assert_array_equal(arg.reshape(generic_arg.shape), generic_arg)
    if seed % 3:
        ref, grad = ref_pool(x, (2, 2), (2, 2), (0, 0), "max")
        np.testing.assert_array_equal(out, ref)
        g = make(rng, out.shape, dtype)
        np.testing.assert_allclose(K.max_pool2d_backward(g, arg, x.shape), grad(g), **tol(dtype))


@SETTINGS
@given(pool_case(), DTYPES, LAYOUTS, st.booleans(), st.integers(0, 2**31))
def test_avg_pool2d_matches_loop_reference(case, dtype, layout, worker_pool, seed):
    xs, k, s, p = case
    rng = np.random.default_rng(seed)
    x = make(rng, xs, dtype, layout)
    ref, grad = ref_pool(x, k, s, p, "avg")
    g = make(rng, ref.shape, dtype, layout)
    with kernel_schedule(False, worker_pool):
        out = K.avg_pool2d_forward(x, k, s, p)
        gx = K.avg_pool2d_backward(g, xs, k, s, p)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref, **tol(dtype))
    assert gx.dtype == dtype
    np.testing.assert_allclose(gx, grad(g), **tol(dtype))


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 7), DTYPES, st.sampled_from(["contiguous", "transposed"]),
       st.floats(-3, 3), st.integers(0, 2**31))
def test_cross_entropy_matches_loop_reference(N, C, dtype, layout, gloss, seed):
    rng = np.random.default_rng(seed)
    x = make(rng, (N, C), dtype, layout)
    t = rng.integers(0, C, N)
    loss, saved = K.cross_entropy_forward(x, t)
    x64 = x.astype(np.float64)
    ref_rows, ref_g = [], np.zeros((N, C))
    for i in range(N):
        z = np.exp(x64[i] - x64[i].max())
        ref_rows.append(np.log(z.sum()) + x64[i].max() - x64[i, t[i]])
        ref_g[i] = z / z.sum()
        ref_g[i, t[i]] -= 1
    assert loss.shape == (N,) and loss.dtype == np.float64
    np.testing.assert_allclose(loss, ref_rows, **tol(dtype))
    scales = gloss * rng.uniform(0, 2, N)                   # per-row upstream gradients (weights, reduction)
    gl = K.cross_entropy_backward(scales, saved)
    assert gl.dtype == dtype
    np.testing.assert_allclose(gl, ref_g * scales[:, None], **tol(dtype))


@SETTINGS
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), DTYPES, LAYOUTS, st.floats(-3, 3),
       st.integers(0, 2**31))
def test_mse_matches_loop_reference(shape, dtype, layout, g, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(shape) if len(shape) >= 2 else (1, shape[0])
    a, b = make(rng, shape, dtype, layout), make(rng, shape, dtype)
    flat_a, flat_b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    ref = sum((u - v) ** 2 for u, v in zip(flat_a, flat_b)) / flat_a.size
    m = K.mse_forward(a, b)
    assert m.shape == () and m.dtype == dtype
    np.testing.assert_allclose(m, ref, **tol(dtype))
    ga, gb = K.mse_backward(g, a, b)
    assert ga.dtype == gb.dtype == dtype and ga.shape == shape
    np.testing.assert_allclose(ga, 2 * g * (a.astype(np.float64) - b) / a.size, **tol(dtype))
    np.testing.assert_allclose(gb, -ga, **tol(dtype))


# ---------------------------------------------------------------- exact edge cases

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_tie_sends_whole_gradient_to_first_maximum(dtype):
    x = np.zeros((1, 1, 4, 4), dtype)
    out, arg = K.max_pool2d_forward(x, 2, 2, 0)
    gx = K.max_pool2d_backward(np.ones_like(out), arg, x.shape)
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1  # the top-left (first) element of every window
    np.testing.assert_array_equal(gx[0, 0], expected)
    # overlapping windows (3x3, stride 1, pad 1) on a constant plane: each window's first valid cell
    out, arg = K.max_pool2d_forward(x, 3, 1, 1)
    firsts = [max(oh - 1, 0) * 4 + max(ow - 1, 0) for oh in range(4) for ow in range(4)]
    np.testing.assert_array_equal(arg.ravel(), firsts)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_padding_never_wins(dtype):
    x = np.full((1, 2, 3, 3), -5.0, dtype)
    x[0, 1] = -np.inf
    out, arg = K.max_pool2d_forward(x, 2, 1, 1)
    assert np.all(out[0, 0] == -5.0) and np.all(out[0, 1] == -np.inf)
    assert arg.min() >= 0 and arg.max() < 9  # always a real input cell
    gx = K.max_pool2d_backward(np.ones_like(out), arg, x.shape)
    assert gx.sum() == out.size


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_of_1e8_logits_is_finite_and_right(dtype):
    x = np.array([[1e8, 0.0, -1e8], [0.0, 1e8, 0.0]], dtype)
    loss, saved = K.cross_entropy_forward(x, np.array([0, 0]))
    assert np.all(np.isfinite(loss)) and np.allclose(loss, [0, 1e8], rtol=1e-6)
    g = K.cross_entropy_backward(np.array([0.5, 0.5]), saved)
    np.testing.assert_allclose(g, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-7)


def test_conv2d_cin1_and_no_grad_requests():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 1, 6, 7)).astype(np.float32), rng.standard_normal((3, 1, 3, 5)).astype(np.float32)
    out, saved = K.conv2d_forward(x, w, None, 1, (1, 2))
    np.testing.assert_allclose(out, ref_conv(x, w, None, (1, 1), (1, 2)), **tol(np.float32))
    assert K.conv2d_backward(np.ones_like(out), saved, False, False, False) == (None, None, None)
    gx, gw, gb = K.conv2d_backward(np.ones_like(out), saved, False, True, False)
    assert gx is None and gb is None and gw.shape == w.shape


def test_kernels_reject_bad_shapes_clearly():
    x = np.zeros((1, 2, 5, 5), np.float32)
    with pytest.raises(ValueError, match="weight"):
        K.conv2d_forward(x, np.zeros((3, 4, 3, 3), np.float32), None, 1, 0)
    with pytest.raises(ValueError, match="Kernel size can.t be greater than actual input size"):
        K.conv2d_forward(x, np.zeros((3, 2, 7, 3), np.float32), None, 1, 0)
    with pytest.raises(ValueError, match="shape"):
        K.mse_forward(np.zeros(3, np.float32), np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="half the kernel"):
        K.max_pool2d_forward(x, 2, 2, 2)
    with pytest.raises(TypeError):
        K.conv2d_forward(x.astype(np.int64), np.zeros((3, 2, 3, 3)), None, 1, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mse_parallel_path_for_large_inputs(dtype):
    from minigrad.kernels import losses
    rng = np.random.default_rng(0)
    a = rng.standard_normal(losses._PARALLEL_MIN + 3).astype(dtype)
    b = rng.standard_normal(a.shape).astype(dtype)
    d = a.astype(np.float64) - b
    np.testing.assert_allclose(K.mse_forward(a, b), np.mean(d * d), **tol(dtype))
    ga, gb = K.mse_backward(0.5, a, b)
    rtol = 1e-5 if dtype == np.float32 else 1e-12  # the gradients are ~1e-6: no absolute slack
    np.testing.assert_allclose(ga, d / a.size, rtol=rtol, atol=0)
    np.testing.assert_array_equal(gb, -ga)


@pytest.mark.parametrize("need", [(True, False, True), (False, False, True), (True, True, False), (False, True, True)])
def test_conv2d_backward_returns_exactly_the_requested_gradients(need):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((3, 2, 5, 6)), rng.standard_normal((4, 2, 3, 3))
    b = rng.standard_normal(4)
    out, saved = K.conv2d_forward(x, w, b, 1, 1)
    g = rng.standard_normal(out.shape)
    got = K.conv2d_backward(g, saved, *need)
    ref = ref_conv_grads(x, w, g, (1, 1), (1, 1))
    for flag, value, expected in zip(need, got, ref):
        if flag:
            np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-10)
        else:
            assert value is None
