"""2-D convolution as im2col + one BLAS GEMM per pass (forward, input grad, weight grad).

Layout: cols is (K, N*L) with K = Cin*kh*kw (rows in the order of weight.reshape(Cout, K)) and
L = Ho*Wo; column n*L + oh*Wo + ow. That makes each pass a single large GEMM:
    forward      out_mat (Cout, N*L) = W2 @ cols
    weight grad  gW2 (Cout, K)      = gout_t @ cols.T      (BLAS transposed operand, no copy)
    input grad   gcols (K, N*L)     = W2.T @ gout_t        -> col2im
The NCHW <-> (Cout, N*L) reshuffles are fused with the bias add (forward) and the bias-gradient
reduction (backward) so each costs one parallel memory pass.
"""
import numpy as np
from numba import njit, prange

from ._checks import as_float, out_size, pair


@njit(cache=True)
def _valid_range(n_out, size, k_off, stride, pad):
    """Output indices o with 0 <= o*stride - pad + k_off < size, as [lo, hi)."""
    a = pad - k_off
    lo = 0 if a <= 0 else (a + stride - 1) // stride
    b = size + pad - k_off
    hi = 0 if b <= 0 else (b + stride - 1) // stride
    if hi > n_out:
        hi = n_out
    if lo > hi:
        lo = hi
    return lo, hi


@njit(parallel=True, cache=True)
def _im2col(x, kh, kw, sh, sw, ph, pw, Ho, Wo, cols):
    N, C, H, W = x.shape
    L = Ho * Wo
    KK = kh * kw
    # one task per (cols row, image): rows and images are disjoint slabs of cols -> race-free
    for t in prange(C * KK * N):
        k = t // N
        n = t - k * N
        c = k // KK
        r = k - c * KK
        i = r // kw
        j = r - i * kw
        base = n * L
        oh_lo, oh_hi = _valid_range(Ho, H, i, sh, ph)
        ow_lo, ow_hi = _valid_range(Wo, W, j, sw, pw)
        for oh in range(Ho):
            row = base + oh * Wo
            if oh < oh_lo or oh >= oh_hi:
                for ow in range(Wo):
                    cols[k, row + ow] = 0
                continue
            ih = oh * sh - ph + i
            for ow in range(ow_lo):
                cols[k, row + ow] = 0
            for ow in range(ow_lo, ow_hi):
                cols[k, row + ow] = x[n, c, ih, ow * sw - pw + j]
            for ow in range(ow_hi, Wo):
                cols[k, row + ow] = 0


@njit(parallel=True, cache=True)
def _col2im(gcols, N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, gx):
    L = Ho * Wo
    KK = kh * kw
    # one task per (image, channel) plane: only that task writes the plane -> race-free
    for p in prange(N * C):
        n = p // C
        c = p - n * C
        for ih in range(H):
            for iw in range(W):
                gx[n, c, ih, iw] = 0
        base = n * L
        for i in range(kh):
            oh_lo, oh_hi = _valid_range(Ho, H, i, sh, ph)
            for j in range(kw):
                ow_lo, ow_hi = _valid_range(Wo, W, j, sw, pw)
                k = c * KK + i * kw + j
                for oh in range(oh_lo, oh_hi):
                    ih = oh * sh - ph + i
                    row = base + oh * Wo
                    for ow in range(ow_lo, ow_hi):
                        gx[n, c, ih, ow * sw - pw + j] += gcols[k, row + ow]


@njit(parallel=True, cache=True)
def _mat_to_nchw_bias(out_mat, b, N, out):
    """out[n, co, :] = out_mat[co, n*L:(n+1)*L] + b[co]."""
    Cout = out_mat.shape[0]
    L = out.shape[2]
    for t in prange(N * Cout):
        n = t // Cout
        co = t - n * Cout
        bias = b[co]
        src = n * L
        for l in range(L):
            out[n, co, l] = out_mat[co, src + l] + bias


@njit(parallel=True, cache=True)
def _nchw_to_mat_bias_grad(gout, gout_t, gb):
    """gout_t[co, n*L + l] = gout[n, co, l]; gb[co] = sum over n, l (float64 accumulator)."""
    N, Cout, L = gout.shape
    for co in prange(Cout):
        s = 0.0
        for n in range(N):
            dst = n * L
            for l in range(L):
                v = gout[n, co, l]
                gout_t[co, dst + l] = v
                s += v
        gb[co] = s


def conv2d_forward(x, w, b, stride, padding):
    """x (N, Cin, H, W), w (Cout, Cin, kh, kw), b (Cout,) or None -> (out (N, Cout, Ho, Wo), saved)."""
    x = as_float(x, "conv2d input")
    if x.ndim != 4:
        raise ValueError(f"conv2d input must be 4-D (N, C, H, W), got shape {x.shape}")
    w = as_float(w, "conv2d weight", x.dtype)
    if w.ndim != 4 or w.shape[1] != x.shape[1]:
        raise ValueError(f"conv2d weight {w.shape} does not match input {x.shape} (need (Cout, {x.shape[1]}, kh, kw))")
    N, C, H, W = x.shape
    Cout, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    Ho = out_size(H, kh, sh, ph, "conv2d height")
    Wo = out_size(W, kw, sw, pw, "conv2d width")
    if b is not None:
        b = as_float(b, "conv2d bias", x.dtype).reshape(-1)
        if b.shape[0] != Cout:
            raise ValueError(f"conv2d bias has {b.shape[0]} entries, weight has {Cout} output channels")
    else:
        b = np.zeros(Cout, dtype=x.dtype)  # adding exact zeros keeps one compiled path
    K, L = C * kh * kw, Ho * Wo
    cols = np.empty((K, N * L), dtype=x.dtype)
    _im2col(x, kh, kw, sh, sw, ph, pw, Ho, Wo, cols)
    w2 = w.reshape(Cout, K)
    out_mat = w2 @ cols
    out = np.empty((N, Cout, L), dtype=x.dtype)
    _mat_to_nchw_bias(out_mat, b, N, out)
    saved = (cols, w2, (N, C, H, W), (Cout, C, kh, kw), (sh, sw), (ph, pw), (Ho, Wo))
    return out.reshape(N, Cout, Ho, Wo), saved


def conv2d_backward(gout, saved, need_x, need_w, need_b):
    """-> (gx | None, gw | None, gb | None) for the forward call that produced `saved`."""
    cols, w2, (N, C, H, W), w_shape, (sh, sw), (ph, pw), (Ho, Wo) = saved
    Cout, _, kh, kw = w_shape
    gout = as_float(gout, "conv2d grad", cols.dtype)
    if gout.shape != (N, Cout, Ho, Wo):
        raise ValueError(f"conv2d grad has shape {gout.shape}, expected {(N, Cout, Ho, Wo)}")
    gx = gw = gb = None
    if not (need_x or need_w or need_b):
        return gx, gw, gb
    gout_t = np.empty((Cout, N * Ho * Wo), dtype=cols.dtype)
    gb_all = np.empty(Cout, dtype=cols.dtype)
    _nchw_to_mat_bias_grad(gout.reshape(N, Cout, Ho * Wo), gout_t, gb_all)
    if need_b:
        gb = gb_all
    if need_w:
        gw = (gout_t @ cols.T).reshape(w_shape)
    if need_x:
        gcols = w2.T @ gout_t
        gx = np.empty((N, C, H, W), dtype=cols.dtype)
        _col2im(gcols, N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, gx)
    return gx, gw, gb
