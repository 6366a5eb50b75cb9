"""Winograd F(2x2, 3x3): the kernels against naive loops (float64, where Winograd is exact up to
rounding), the float32 error bound against a float64 reference, the transforms' algebra, the
table-driven dispatch and bitwise-reproducible weight gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigrad.kernels import conv, conv_algorithms, winograd
from minigrad.kernels._checks import conv2d_geometry
from test_kernels import kernel_schedule, make, ref_conv, ref_conv_grads

SETTINGS = settings(max_examples=25, deadline=None)


@st.composite
def same_conv_case(draw):
    N, C, Co = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    H, W = draw(st.integers(1, 9)), draw(st.integers(1, 9))  # odd sizes crop the last tile
    return (N, C, H, W), (Co, C, 3, 3), draw(st.booleans())


@SETTINGS
@given(same_conv_case(), st.sampled_from(["contiguous", "transposed", "strided"]), st.booleans(),
       st.booleans(), st.integers(0, 2**31))
def test_winograd_matches_loop_reference_in_float64(case, layout, chunked, worker_pool, seed):
    xs, ws, use_bias = case
    rng = np.random.default_rng(seed)
    x = np.ascontiguousarray(make(rng, xs, np.float64, layout))
    w = np.ascontiguousarray(make(rng, ws, np.float64, layout))
    b = rng.standard_normal(ws[0]) if use_bias else None
    with kernel_schedule(chunked, worker_pool):
        out, saved = winograd.conv3x3_forward(x, w, b)
        g = np.ascontiguousarray(make(rng, out.shape, np.float64, layout))
        gx, gw, gb = winograd.conv3x3_backward(g, saved, True, True, use_bias)
    np.testing.assert_allclose(out, ref_conv(x, w, b, (1, 1), (1, 1)), rtol=1e-10, atol=1e-10)
    rx, rw, rb = ref_conv_grads(x, w, g, (1, 1), (1, 1))
    np.testing.assert_allclose(gx, rx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw, rw, rtol=1e-10, atol=1e-10)
    if use_bias:
        np.testing.assert_allclose(gb, rb, rtol=1e-10, atol=1e-10)
    else:
        assert gb is None


def test_weight_transform_and_its_adjoint():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 2, 3, 3))
    u = winograd.weight_tiles(w)
    expected = np.einsum("ai,ocij,bj->aboc", winograd.G, w, winograd.G).reshape(16, 3, 2)
    np.testing.assert_allclose(u, expected, rtol=1e-14, atol=1e-14)
    gu = rng.standard_normal(u.shape)  # <weight_tiles(w), gu> == <w, weight_from_tiles(gu)>
    np.testing.assert_allclose(np.sum(u * gu), np.sum(w * winograd.weight_from_tiles(gu)), rtol=1e-12)


@pytest.mark.parametrize("shape", [(8, 64, 64, 10, 21), (4, 256, 256, 3, 11), (2, 128, 64, 20, 84)])
def test_float32_error_against_a_float64_reference_is_within_bound(shape):
    """F(2,3) measured ~5e-7 relative (max error / max magnitude); bound at 4e-6, under the 1e-5
    relative error that float32 im2col convolutions already show against torch in the parity tests."""
    N, Ci, Co, H, W = shape
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, Ci, H, W)).astype(np.float32)
    w = (rng.standard_normal((Co, Ci, 3, 3)) * np.sqrt(2 / (9 * Ci))).astype(np.float32)
    g = rng.standard_normal((N, Co, H, W)).astype(np.float32)
    out, saved = winograd.conv3x3_forward(x, w, None)
    gx, gw, _ = winograd.conv3x3_backward(g, saved, True, True, False)
    out64, saved64 = winograd.conv3x3_forward(x.astype(np.float64), w.astype(np.float64), None)
    gx64, gw64, _ = winograd.conv3x3_backward(g.astype(np.float64), saved64, True, True, False)
    for got, ref in ((out, out64), (gx, gx64), (gw, gw64)):
        assert got.dtype == np.float32
        assert np.abs(got - ref).max() / np.abs(ref).max() < 4e-6


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_dispatch_follows_the_measured_table_and_keeps_float64_exact(monkeypatch, workers):
    monkeypatch.setattr(conv_algorithms.threadpool, "pool_size", lambda needs_blas=False: workers)

    def chosen(dtype, cin, cout, h, w, k=3, s=1, p=1, d=1, groups=1, n=32):
        geo = conv2d_geometry((n, cin, h, w), (cout, cin // groups, k, k), None, s, p, d, groups)
        return conv_algorithms.use_winograd(dtype, geo)
    table = conv_algorithms.MEASURED[min(workers, 2)]
    assert conv_algorithms.table_for(workers) is table
    for (cin, cout, h, w, n), (t_im2col, t_winograd) in table.items():
        assert chosen(np.float32, cin, cout, h, w, n=n) == (t_winograd < t_im2col)
    assert chosen(np.float32, 128, 128, 10, 42)       # measured faster
    assert not chosen(np.float32, 1, 32, 40, 168)     # one input channel: im2col
    assert not chosen(np.float64, 128, 128, 10, 42)   # gradient checks: exact im2col path
    assert not chosen(np.float32, 128, 128, 10, 42, s=2)
    assert not chosen(np.float32, 128, 128, 10, 42, k=1, p=0)
    assert not chosen(np.float32, 128, 128, 10, 42, d=2, p=2)
    assert not chosen(np.float32, 128, 128, 10, 42, groups=2)


def test_the_tables_differ_where_the_worker_count_changed_the_winner(monkeypatch):
    # 512->512 on 2x10 at batch 4 lost to im2col with one worker and two alike; 128->128 on 5x21 at batch
    # 4 won with one worker and lost with two
    geo = conv2d_geometry((4, 128, 5, 21), (128, 128, 3, 3), None, 1, 1, 1, 1)
    for workers, expected in ((1, True), (2, False)):
        monkeypatch.setattr(conv_algorithms.threadpool, "pool_size", lambda needs_blas=False, w=workers: w)
        assert conv_algorithms.use_winograd(np.float32, geo) == expected


def test_conv2d_entry_point_routes_to_winograd_and_back():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 128, 6, 10)).astype(np.float32)
    w = (rng.standard_normal((128, 128, 3, 3)) * 0.03).astype(np.float32)
    b = rng.standard_normal(128).astype(np.float32)
    conv_algorithms.forced = "winograd"
    try:
        out, saved = conv.conv2d_forward(x, w, b, 1, 1)
    finally:
        conv_algorithms.forced = None
    assert isinstance(saved, winograd.WinogradSaved)
    g = rng.standard_normal(out.shape).astype(np.float32)
    grads = conv.conv2d_backward(g, saved, True, True, True)
    conv_algorithms.forced = "im2col"
    try:
        out_ref, saved_ref = conv.conv2d_forward(x, w, b, 1, 1)
        grads_ref = conv.conv2d_backward(g, saved_ref, True, True, True)
    finally:
        conv_algorithms.forced = None
    assert not isinstance(saved_ref, winograd.WinogradSaved)
    for got, ref in zip((out,) + grads, (out_ref,) + grads_ref):
        assert np.abs(got - ref).max() / np.abs(ref).max() < 4e-6
    with pytest.raises(ValueError, match="conv2d: grad has shape"):
        conv.conv2d_backward(g[:, :3], saved, True, True, True)


def test_winograd_weight_gradient_is_bitwise_reproducible_on_the_worker_pool():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 8, 12, 20)).astype(np.float32)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    g = rng.standard_normal((16, 16, 12, 20)).astype(np.float32)
    with kernel_schedule(one_image_chunks=True, worker_pool=True):
        _, saved = winograd.conv3x3_forward(x, w, None)
        first = winograd.conv3x3_backward(g, saved, True, True, True)
        for _ in range(10):
            again = winograd.conv3x3_backward(g, saved, True, True, True)
            for a, c in zip(first, again):
                assert np.array_equal(a, c)
