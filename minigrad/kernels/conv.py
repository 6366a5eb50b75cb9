"""2-D convolution as im2col + BLAS GEMMs, processed in chunks of images that keep cols in cache.

Layout: for a chunk of B images, cols is (K, B*L) with K = Cin*kh*kw (rows in the order of
weight.reshape(Cout, K)) and L = Ho*Wo; column b*L + oh*Wo + ow. Per chunk each pass is ONE GEMM:
    forward      out_c (Cout, B*L) = W2 @ cols
    weight grad  gW2 (Cout, K)    += gout_c @ cols.T     (BLAS transposed operand, no copy)
    input grad   gcols (K, B*L)    = W2.T @ gout_c       -> col2im
B is chosen so the GEMM has a few thousand columns (BLAS efficiency) while cols stays a few MB
(cache-resident), instead of materialising a (K, N*L) matrix 9x the input size in main memory.
Backward recomputes cols from x (cheap, in cache) rather than saving them: far less memory.
The NCHW <-> (Cout, B*L) reshuffles are fused with the bias add (forward) and the bias-gradient
reduction (backward), so each costs one parallel pass over data that is in cache anyway.
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


# Inner loops index 1-D row views from 0: with a variable offset inside the index Numba's
# negative-index wraparound check blocks SIMD vectorisation (measured ~10x slower copies).

@njit(parallel=True, cache=True)
def _im2col(x, kh, kw, sh, sw, ph, pw, Ho, Wo, cols):
    N, C, H, W = x.shape
    L = Ho * Wo
    KK = kh * kw
    # one task per (cols row, image): disjoint slabs of cols -> race-free
    for t in prange(C * KK * N):
        k = t // N
        n = t - k * N
        c = k // KK
        r = k - c * KK
        i = r // kw
        j = r - i * kw
        oh_lo, oh_hi = _valid_range(Ho, H, i, sh, ph)
        ow_lo, ow_hi = _valid_range(Wo, W, j, sw, pw)
        nv = ow_hi - ow_lo
        dst_img = cols[k, n * L:(n + 1) * L]
        for oh in range(Ho):
            dst = dst_img[oh * Wo:(oh + 1) * Wo]
            if oh < oh_lo or oh >= oh_hi:
                dst[:] = 0
                continue
            src = x[n, c, oh * sh - ph + i, ow_lo * sw - pw + j:]
            for q in range(ow_lo):
                dst[q] = 0
            d = dst[ow_lo:ow_hi]
            if sw == 1:
                for q in range(nv):
                    d[q] = src[q]
            else:
                for q in range(nv):
                    d[q] = src[q * sw]
            for q in range(ow_hi, Wo):
                dst[q] = 0


@njit(parallel=True, cache=True)
def _col2im(gcols, N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, gx):
    L = Ho * Wo
    KK = kh * kw
    # one task per (image, channel) plane: only that task writes the plane -> race-free
    for p in prange(N * C):
        n = p // C
        c = p - n * C
        plane = gx[n, c]
        plane[:, :] = 0
        for i in range(kh):
            oh_lo, oh_hi = _valid_range(Ho, H, i, sh, ph)
            for j in range(kw):
                ow_lo, ow_hi = _valid_range(Wo, W, j, sw, pw)
                nv = ow_hi - ow_lo
                src_img = gcols[c * KK + i * kw + j, n * L:(n + 1) * L]
                for oh in range(oh_lo, oh_hi):
                    src = src_img[oh * Wo + ow_lo:oh * Wo + ow_hi]
                    dst = plane[oh * sh - ph + i, ow_lo * sw - pw + j:]
                    if sw == 1:
                        for q in range(nv):
                            dst[q] += src[q]
                    else:
                        for q in range(nv):
                            dst[q * sw] += src[q]


@njit(parallel=True, cache=True)
def _mat_to_nchw(out_mat, out):
    """out[n, co, :] = out_mat[co, n*L:(n+1)*L]."""
    N, Cout, L = out.shape
    for t in prange(N * Cout):
        n = t // Cout
        co = t - n * Cout
        src = out_mat[co, n * L:(n + 1) * L]
        dst = out[n, co]
        for q in range(L):
            dst[q] = src[q]


@njit(parallel=True, cache=True)
def _nchw_to_mat(g, g_mat):
    """g_mat[co, n*L:(n+1)*L] = g[n, co, :]."""
    N, Cout, L = g.shape
    for t in prange(N * Cout):
        n = t // Cout
        co = t - n * Cout
        src = g[n, co]
        dst = g_mat[co, n * L:(n + 1) * L]
        for q in range(L):
            dst[q] = src[q]


# chunk geometry: enough GEMM columns for BLAS to run near peak, cols small enough to stay in cache
_MIN_GEMM_COLS = 2048
_CACHE_BYTES = 4 << 20


def _images_per_chunk(N, K, L, itemsize):
    by_cache = max(1, _CACHE_BYTES // (K * L * itemsize))
    by_gemm = -(-_MIN_GEMM_COLS // L)
    return max(1, min(N, max(by_cache, by_gemm)))


def _geometry(x, w, stride, padding):
    N, C, H, W = x.shape
    Cout, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    Ho = out_size(H, kh, sh, ph, "conv2d height")
    Wo = out_size(W, kw, sw, pw, "conv2d width")
    return (N, C, H, W), (Cout, C, kh, kw), (sh, sw, ph, pw), (Ho, Wo)


def conv2d_forward(x, w, b, stride, padding):
    """x (N, Cin, H, W), w (Cout, Cin, kh, kw), b (Cout,) or None -> (out (N, Cout, Ho, Wo), saved)."""
    x = as_float(x, "conv2d input")
    if x.ndim != 4:
        raise ValueError(f"conv2d input must be 4-D (N, C, H, W), got shape {x.shape}")
    w = as_float(w, "conv2d weight", x.dtype)
    if w.ndim != 4 or w.shape[1] != x.shape[1]:
        raise ValueError(f"conv2d weight {w.shape} does not match input {x.shape} (need (Cout, {x.shape[1]}, kh, kw))")
    geo = _geometry(x, w, stride, padding)
    (N, C, H, W), (Cout, _, kh, kw), (sh, sw, ph, pw), (Ho, Wo) = geo
    K, L = C * kh * kw, Ho * Wo
    w2 = w.reshape(Cout, K)
    if b is not None:
        b = as_float(b, "conv2d bias", x.dtype).reshape(-1)
        if b.shape[0] != Cout:
            raise ValueError(f"conv2d bias has {b.shape[0]} entries, weight has {Cout} output channels")
    # bias rides in the GEMM: an extra weight column b against a row of ones in cols
    w_gemm = w2 if b is None else np.concatenate([w2, b[:, None]], axis=1)
    Kg = w_gemm.shape[1]
    B = _images_per_chunk(N, Kg, L, x.itemsize)
    cols_buf = np.empty(Kg * B * L, dtype=x.dtype)
    out_buf = np.empty(Cout * B * L, dtype=x.dtype)
    out = np.empty((N, Cout, L), dtype=x.dtype)
    for n0 in range(0, N, B):  # a few large GEMMs, not one per image
        nb = min(B, N - n0)
        cols = cols_buf[:Kg * nb * L].reshape(Kg, nb * L)
        _im2col(x[n0:n0 + nb], kh, kw, sh, sw, ph, pw, Ho, Wo, cols[:K])
        cols[K:] = 1
        out_c = np.matmul(w_gemm, cols, out=out_buf[:Cout * nb * L].reshape(Cout, nb * L))
        _mat_to_nchw(out_c, out[n0:n0 + nb])
    return out.reshape(N, Cout, Ho, Wo), (x, w2, geo)


def conv2d_backward(gout, saved, need_x, need_w, need_b):
    """-> (gx | None, gw | None, gb | None) for the forward call that produced `saved`."""
    x, w2, geo = saved
    (N, C, H, W), w_shape, (sh, sw, ph, pw), (Ho, Wo) = geo
    Cout, _, kh, kw = w_shape
    gout = as_float(gout, "conv2d grad", x.dtype)
    if gout.shape != (N, Cout, Ho, Wo):
        raise ValueError(f"conv2d grad has shape {gout.shape}, expected {(N, Cout, Ho, Wo)}")
    gb = gout.sum(axis=(0, 2, 3)) if need_b and not need_w else None  # else from the gW GEMM
    if not (need_x or need_w):
        return None, None, gb
    K, L = C * kh * kw, Ho * Wo
    Kg = K + 1 if need_b else K  # the ones row turns the gW GEMM's last column into gb
    B = _images_per_chunk(N, Kg, L, x.itemsize)
    g3 = gout.reshape(N, Cout, L)
    gout_buf = np.empty(Cout * B * L, dtype=x.dtype)
    cols_buf = np.empty(Kg * B * L, dtype=x.dtype)  # cols for gW, then reused for gcols
    gw_acc = np.zeros((Cout, Kg), dtype=x.dtype) if need_w else None
    gw_c = np.empty((Cout, Kg), dtype=x.dtype) if need_w else None
    gx = np.empty((N, C, H, W), dtype=x.dtype) if need_x else None
    w2t = w2.T
    for n0 in range(0, N, B):
        nb = min(B, N - n0)
        gout_c = gout_buf[:Cout * nb * L].reshape(Cout, nb * L)
        _nchw_to_mat(g3[n0:n0 + nb], gout_c)
        if need_w:
            cols = cols_buf[:Kg * nb * L].reshape(Kg, nb * L)
            _im2col(x[n0:n0 + nb], kh, kw, sh, sw, ph, pw, Ho, Wo, cols[:K])
            cols[K:] = 1
            gw_acc += np.matmul(gout_c, cols.T, out=gw_c)
        if need_x:
            gcols = np.matmul(w2t, gout_c, out=cols_buf[:K * nb * L].reshape(K, nb * L))
            _col2im(gcols, nb, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, gx[n0:n0 + nb])
    gw = None
    if need_w:
        gw = np.ascontiguousarray(gw_acc[:, :K]).reshape(w_shape)
        if need_b:
            gb = np.ascontiguousarray(gw_acc[:, K])
    return gx, gw, gb
