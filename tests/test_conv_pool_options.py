"""The convolution and pooling options (dilation, groups, 'same' padding, transposed convolution, ceil_mode,
count_include_pad, divisor_override, adaptive windows) against naive float64 loop references written here,
on hypothesis-drawn small shapes, float32 and float64, contiguous and non-contiguous inputs, chunked or not,
on the worker pool or inline."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minigrad import kernels as K
from test_kernels import DTYPES, LAYOUTS, SETTINGS, kernel_schedule, make, tol


# ---------------------------------------------------------------- naive references (loops)

def ref_conv(x, w, b, s, p, d, groups, out_hw):
    """out[n, co, oh, ow] = b[co] + sum over co's group's channels c and taps (i, j) of
    x[n, c, oh*s - p + i*d, ow*s - p + j*d] * w[co, c mod Cg, i, j]; -> (out, grads(g))."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    N, C, H, W = x.shape
    Co, Cg, kh, kw = w.shape
    Og, (Ho, Wo) = Co // groups, out_hw
    taps = [(oh, ow, i, j, oh * s[0] - p[0] + i * d[0], ow * s[1] - p[1] + j * d[1])
            for oh in range(Ho) for ow in range(Wo) for i in range(kh) for j in range(kw)]
    taps = [t for t in taps if 0 <= t[4] < H and 0 <= t[5] < W]
    out = np.zeros((N, Co, Ho, Wo)) + (0 if b is None else b.astype(np.float64)[:, None, None])
    for oh, ow, i, j, ih, iw in taps:
        xs, wg = x[:, :, ih, iw].reshape(N, groups, Cg), w[:, :, i, j].reshape(groups, Og, Cg)
        out[:, :, oh, ow] += np.einsum("ngc,goc->ngo", xs, wg).reshape(N, Co)

    def grads(g):
        gx, gw = np.zeros(x.shape), np.zeros(w.shape)
        for oh, ow, i, j, ih, iw in taps:
            gs = g[:, :, oh, ow].astype(np.float64).reshape(N, groups, Og)
            xs, wg = x[:, :, ih, iw].reshape(N, groups, Cg), w[:, :, i, j].reshape(groups, Og, Cg)
            gx[:, :, ih, iw] += np.einsum("ngo,goc->ngc", gs, wg).reshape(N, C)
            gw[:, :, i, j] += np.einsum("ngo,ngc->goc", gs, xs).reshape(Co, Cg)
        return gx, gw, g.sum(axis=(0, 2, 3))
    return out, grads


def ref_conv_transpose(x, w, b, s, p, op, groups, d):
    """conv_transpose2d is conv2d's input gradient: the convolution (N, Cout, Ho, Wo) -> (N, Cin, H, W) with
    weight w, given x as its output gradient; its gradients are that convolution's forward (for x) and its
    weight gradient (for w) -> (out, grads(g))."""
    N, Cin, H, W = x.shape
    _, Og, kh, kw = w.shape
    Ho = (H - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    Wo = (W - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    conv_of = lambda y: ref_conv(y, w, None, s, p, d, groups, (H, W))  # noqa: E731
    out = conv_of(np.zeros((N, Og * groups, Ho, Wo)))[1](x)[0]
    out += 0 if b is None else b.astype(np.float64)[:, None, None]

    def grads(g):
        gx, grads_of_conv = conv_of(g)
        return gx, grads_of_conv(x)[1], g.sum(axis=(0, 2, 3))
    return out, grads


def ref_pool_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    o = (-(-span // s) if ceil_mode else span // s) + 1
    return o - 1 if ceil_mode and (o - 1) * s >= size + p else o


def ref_pool(x, cells_of, divisor_of=None):
    """cells_of(oh, ow) -> the input cells of a window (in row-major order); max (first wins) when
    divisor_of is None, else sum / divisor_of(oh, ow). -> (out, grads(g))."""
    N, C = x.shape[:2]
    Ho, Wo = cells_of.out_hw
    out, hits = np.zeros((N, C, Ho, Wo)), {}
    for oh in range(Ho):
        for ow in range(Wo):
            cells = cells_of(oh, ow)
            if divisor_of is None:
                for n in range(N):
                    for c in range(C):
                        best = cells[0]
                        for cell in cells:
                            if x[n, c][cell] > x[n, c][best]:
                                best = cell
                        out[n, c, oh, ow] = x[n, c][best]
                        hits[n, c, oh, ow] = [best + (1.0,)]
            else:
                div = divisor_of(oh, ow)
                out[:, :, oh, ow] = sum(x[:, :, ih, iw].astype(np.float64) for ih, iw in cells) / div
                for n in range(N):
                    for c in range(C):
                        hits[n, c, oh, ow] = [cell + (1.0 / div,) for cell in cells]

    def grads(g):
        gx = np.zeros(x.shape)
        for (n, c, oh, ow), lst in hits.items():
            for ih, iw, wgt in lst:
                gx[n, c, ih, iw] += wgt * g[n, c, oh, ow]
        return gx
    return out, grads


class SlidingCells:
    def __init__(self, H, W, k, s, p, d, ceil_mode):
        self.H, self.W, self.k, self.s, self.p, self.d = H, W, k, s, p, d
        self.out_hw = tuple(ref_pool_size((H, W)[a], k[a], s[a], p[a], d[a], ceil_mode) for a in (0, 1))

    def start(self, o, a):
        return o * self.s[a] - self.p[a]

    def __call__(self, oh, ow):
        return [(ih, iw) for ih in range(self.start(oh, 0), self.start(oh, 0) + (self.k[0] - 1) * self.d[0] + 1,
                                         self.d[0])
                for iw in range(self.start(ow, 1), self.start(ow, 1) + (self.k[1] - 1) * self.d[1] + 1, self.d[1])
                if 0 <= ih < self.H and 0 <= iw < self.W]


class AdaptiveCells:
    def __init__(self, H, W, out_hw):
        self.H, self.W, self.out_hw = H, W, out_hw

    def __call__(self, oh, ow):
        (Ho, Wo), H, W = self.out_hw, self.H, self.W
        return [(ih, iw) for ih in range(oh * H // Ho, -(-(oh + 1) * H // Ho))
                for iw in range(ow * W // Wo, -(-(ow + 1) * W // Wo))]


# ---------------------------------------------------------------- convolution

@st.composite
def conv_options_case(draw):
    groups = draw(st.integers(1, 3))
    C, Co = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    same = s == (1, 1) and draw(st.booleans())
    p = "same" if same else (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    H, W = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    return (draw(st.integers(1, 3)), C, H, W), (Co, C // groups) + k, s, p, d, groups, draw(st.booleans())


@SETTINGS
@given(conv_options_case(), DTYPES, LAYOUTS, st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_conv2d_options_match_loop_reference(case, dtype, layout, chunked, worker_pool, seed):
    xs, ws, s, p, d, groups, use_bias = case
    ek = [d[a] * (ws[2 + a] - 1) + 1 for a in (0, 1)]
    lead = [(e - 1) // 2 for e in ek] if p == "same" else p   # 'same': the odd padding row/column at the end
    total = [e - 1 for e in ek] if p == "same" else [2 * q for q in p]
    out_hw = tuple((xs[2 + a] + total[a] - ek[a]) // s[a] + 1 for a in (0, 1))
    assume(min(out_hw) >= 1)
    rng = np.random.default_rng(seed)
    x, w = make(rng, xs, dtype, layout), make(rng, ws, dtype, layout)
    b = rng.standard_normal(ws[0]).astype(dtype) if use_bias else None
    with kernel_schedule(chunked, worker_pool):
        out, saved = K.conv2d_forward(x, w, b, s, p, d, groups)
    ref, grads = ref_conv(x, w, b, s, lead, d, groups, out_hw)
    assert out.dtype == dtype and out.shape == ref.shape
    np.testing.assert_allclose(out, ref, **tol(dtype))
    g = make(rng, out.shape, dtype, layout)
    with kernel_schedule(chunked, worker_pool):
        gx, gw, gb = K.conv2d_backward(g, saved, True, True, use_bias)
    rx, rw, rb = grads(g)
    np.testing.assert_allclose(gx, rx, **tol(dtype))
    np.testing.assert_allclose(gw, rw, **tol(dtype))
    assert (gb is None) if not use_bias else np.allclose(gb, rb, **tol(dtype))


@st.composite
def conv_transpose_case(draw):
    groups = draw(st.integers(1, 3))
    Cin, Co = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    op = tuple(draw(st.integers(0, max(s[a], d[a]) - 1)) for a in (0, 1))
    xs = (draw(st.integers(1, 3)), Cin, draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    return xs, (Cin, Co // groups) + k, s, p, op, groups, d, draw(st.booleans())


@SETTINGS
@given(conv_transpose_case(), DTYPES, LAYOUTS, st.booleans(), st.booleans(), st.integers(0, 2**31))
def test_conv_transpose2d_matches_loop_reference(case, dtype, layout, chunked, worker_pool, seed):
    xs, ws, s, p, op, groups, d, use_bias = case
    assume(min((xs[2 + a] - 1) * s[a] - 2 * p[a] + d[a] * (ws[2 + a] - 1) + op[a] + 1 for a in (0, 1)) >= 1)
    rng = np.random.default_rng(seed)
    x, w = make(rng, xs, dtype, layout), make(rng, ws, dtype, layout)
    b = rng.standard_normal(ws[1] * groups).astype(dtype) if use_bias else None
    with kernel_schedule(chunked, worker_pool):
        out, saved = K.conv_transpose2d_forward(x, w, b, s, p, op, groups, d)
    ref, grads = ref_conv_transpose(x, w, b, s, p, op, groups, d)
    assert out.dtype == dtype and out.shape == ref.shape
    np.testing.assert_allclose(out, ref, **tol(dtype))
    g = make(rng, out.shape, dtype, layout)
    with kernel_schedule(chunked, worker_pool):
        gx, gw, gb = K.conv_transpose2d_backward(g, saved, True, True, use_bias)
    rx, rw, rb = grads(g)
    np.testing.assert_allclose(gx, rx, **tol(dtype))
    np.testing.assert_allclose(gw, rw, **tol(dtype))
    assert (gb is None) if not use_bias else np.allclose(gb, rb, **tol(dtype))


def test_depthwise_conv_equals_one_conv_per_channel():
    """groups == channels: each output channel sees its own input channel only."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 5, 9, 8)), rng.standard_normal((5, 1, 3, 3))
    out, _ = K.conv2d_forward(x, w, None, 1, 1, 1, 5)
    for c in range(5):
        one, _ = K.conv2d_forward(x[:, c:c + 1], w[c:c + 1], None, 1, 1)
        np.testing.assert_allclose(out[:, c:c + 1], one, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- pooling

@st.composite
def pool_options_case(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    xs = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    return xs, k, s, p, d, draw(st.booleans())


@SETTINGS
@given(pool_options_case(), DTYPES, LAYOUTS, st.booleans(), st.integers(0, 2**31))
def test_max_pool2d_options_match_loop_reference(case, dtype, layout, worker_pool, seed):
    xs, k, s, p, d, ceil_mode = case
    cells = SlidingCells(xs[2], xs[3], k, s, p, d, ceil_mode)
    assume(min(cells.out_hw) >= 1)
    rng = np.random.default_rng(seed)
    x = make(rng, xs, dtype, layout)
    if seed % 2:
        x = np.round(x)  # ties: the first maximum wins
    if any(not cells(oh, ow) for oh in range(cells.out_hw[0]) for ow in range(cells.out_hw[1])):
        with pytest.raises(ValueError, match="holds no input element"):
            K.max_pool2d_forward(x, k, s, p, d, ceil_mode)
        return
    ref, grads = ref_pool(x, cells)
    g = make(rng, ref.shape, dtype, layout)
    with kernel_schedule(False, worker_pool):
        out, arg = K.max_pool2d_forward(x, k, s, p, d, ceil_mode)
        gx = K.max_pool2d_backward(g, arg, xs)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_allclose(gx, grads(g), **tol(dtype))


@SETTINGS
@given(pool_options_case(), st.booleans(), st.sampled_from([None, 1, 3, -2]), DTYPES, LAYOUTS, st.booleans(),
       st.integers(0, 2**31))
def test_avg_pool2d_options_match_loop_reference(case, count_include_pad, divisor_override, dtype, layout,
                                                 worker_pool, seed):
    xs, k, s, p, _, ceil_mode = case
    cells = SlidingCells(xs[2], xs[3], k, s, p, (1, 1), ceil_mode)
    assume(min(cells.out_hw) >= 1)

    def divisor(oh, ow):
        if divisor_override is not None:
            return divisor_override
        if not count_include_pad:
            return len(cells(oh, ow))
        h0, w0 = cells.start(oh, 0), cells.start(ow, 1)  # the window clipped to the padded input
        return (min(h0 + k[0], xs[2] + p[0]) - h0) * (min(w0 + k[1], xs[3] + p[1]) - w0)
    rng = np.random.default_rng(seed)
    x = make(rng, xs, dtype, layout)
    ref, grads = ref_pool(x, cells, divisor)
    g = make(rng, ref.shape, dtype, layout)
    args = (k, s, p, ceil_mode, count_include_pad, divisor_override)
    with kernel_schedule(False, worker_pool):
        out = K.avg_pool2d_forward(x, *args)
        gx = K.avg_pool2d_backward(g, xs, *args)
    assert out.dtype == gx.dtype == dtype
    np.testing.assert_allclose(out, ref, **tol(dtype))
    np.testing.assert_allclose(gx, grads(g), **tol(dtype))


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 6), st.integers(1, 6), DTYPES, LAYOUTS, st.booleans(),
       st.integers(0, 2**31))
def test_adaptive_pools_match_loop_reference(H, W, Ho, Wo, dtype, layout, worker_pool, seed):
    rng = np.random.default_rng(seed)
    x = make(rng, (2, 3, H, W), dtype, layout)
    cells = AdaptiveCells(H, W, (Ho, Wo))
    ref_max, grads_max = ref_pool(x, cells)
    ref_avg, grads_avg = ref_pool(x, cells, lambda oh, ow: len(cells(oh, ow)))
    g = make(rng, ref_max.shape, dtype, layout)
    with kernel_schedule(False, worker_pool):
        out, arg = K.adaptive_max_pool2d_forward(x, (Ho, Wo))
        gx = K.max_pool2d_backward(g, arg, x.shape)
        avg = K.adaptive_avg_pool2d_forward(x, (Ho, Wo))
        gavg = K.adaptive_avg_pool2d_backward(g, x.shape, (Ho, Wo))
    np.testing.assert_array_equal(out, ref_max)
    np.testing.assert_allclose(gx, grads_max(g), **tol(dtype))
    np.testing.assert_allclose(avg, ref_avg, **tol(dtype))
    np.testing.assert_allclose(gavg, grads_avg(g), **tol(dtype))
