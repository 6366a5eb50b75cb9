"""2-D convolution as im2col + BLAS GEMMs over chunks of images small enough to keep cols in cache.

For a chunk of B images cols is (K, B*L) (layout in im2col.py) and each pass is ONE GEMM per chunk:
    forward      out_c (Cout, B*L) = [W2 | b] @ [cols; 1]
    weight grad  [gW2 | gb].T     += [cols; 1] @ gout_c.T     (BLAS transposed operand, no copy;
                                   this orientation ran 90 vs 71 GFLOP/s on one core for conv b)
    input grad   gcols (K, B*L)    = W2.T @ gout_c            -> col2im
The bias rides in the GEMMs: a weight column b against a row of ones, so the forward GEMM adds it
and the weight-gradient GEMM returns gb as its last column. cols are never materialised for the
whole batch (that matrix is 9x the input and would stream through main memory twice); backward
recomputes them from x in cache instead of saving them, which also keeps memory low.
Chunks run on threadpool's workers, one per core, each with a single-threaded BLAS and serial
kernels; without that pool, on the main thread with serial kernels and multi-threaded BLAS.
"""
import numpy as np

from . import conv_algorithms, threadpool, winograd
from ._checks import as_float, out_size, pair
from .im2col import col2im, im2col, mat_to_nchw, nchw_to_mat

# Chunk geometry (images per chunk): cols plus the GEMM's (Cout, B*L) side within ~_CACHE_BYTES
# (a core's L2 here), but at least _MIN_GEMM_COLS GEMM columns for BLAS efficiency, and at least one
# chunk per worker thread. A one-image chunk needs no NCHW <-> GEMM reshuffle at all.
_MIN_GEMM_COLS = 1024
_CACHE_BYTES = 2 << 20


def _images_per_chunk(N, K, Cout, L, itemsize):
    by_cache = max(1, _CACHE_BYTES // ((K + Cout) * L * itemsize))
    by_gemm = -(-_MIN_GEMM_COLS // L)
    per_worker = -(-N // max(1, threadpool.pool_size(needs_blas=True)))
    return max(1, min(N, per_worker, max(by_cache, by_gemm)))


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
    if conv_algorithms.use_winograd(x.dtype, x.shape, w.shape, geo[2]):
        return winograd.conv3x3_forward(x, w, b)
    w_gemm = w2 if b is None else np.concatenate([w2, b[:, None]], axis=1)
    Kg = w_gemm.shape[1]
    B = _images_per_chunk(N, Kg, Cout, L, x.itemsize)
    out = np.empty((N, Cout, L), dtype=x.dtype)

    def task(starts):
        cols_buf = np.empty(Kg * B * L, dtype=x.dtype)
        out_buf = np.empty(Cout * B * L, dtype=x.dtype)
        for n0 in starts:
            nb = min(B, N - n0)
            cols = cols_buf[:Kg * nb * L].reshape(Kg, nb * L)
            im2col(x[n0:n0 + nb], kh, kw, sh, sw, ph, pw, Ho, Wo, cols[:K])
            cols[K:] = 1
            if nb == 1:  # (Cout, L) is already this image's NCHW block
                np.matmul(w_gemm, cols, out=out[n0])
            else:
                out_c = np.matmul(w_gemm, cols, out=out_buf[:Cout * nb * L].reshape(Cout, nb * L))
                mat_to_nchw(out_c, out[n0:n0 + nb])

    threadpool.run(task, list(range(0, N, B)), needs_blas=True, work=2 * N * Cout * Kg * L)
    return out.reshape(N, Cout, Ho, Wo), (x, w2, geo)


def conv2d_backward(gout, saved, need_x, need_w, need_b):
    """-> (gx | None, gw | None, gb | None) for the forward call that produced `saved`."""
    if isinstance(saved, winograd.WinogradSaved):
        return winograd.conv3x3_backward(gout, saved, need_x, need_w, need_b)
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
    Kg = K + 1 if need_b and need_w else K  # the ones row turns the gW GEMM's last column into gb
    B = _images_per_chunk(N, Kg, Cout, L, x.itemsize)
    g3 = gout.reshape(N, Cout, L)
    gx = np.empty((N, C, H, W), dtype=x.dtype) if need_x else None
    w2t = w2.T

    def task(starts):
        gout_buf = np.empty(Cout * B * L, dtype=x.dtype)
        cols_buf = np.empty(Kg * B * L, dtype=x.dtype)  # cols for gW, then reused for gcols
        gwt_acc = np.zeros((Kg, Cout), dtype=x.dtype) if need_w else None
        gwt_c = np.empty((Kg, Cout), dtype=x.dtype) if need_w else None
        for n0 in starts:
            nb = min(B, N - n0)
            if nb == 1:
                gout_c = g3[n0]
            else:
                gout_c = gout_buf[:Cout * nb * L].reshape(Cout, nb * L)
                nchw_to_mat(g3[n0:n0 + nb], gout_c)
            if need_w:
                cols = cols_buf[:Kg * nb * L].reshape(Kg, nb * L)
                im2col(x[n0:n0 + nb], kh, kw, sh, sw, ph, pw, Ho, Wo, cols[:K])
                cols[K:] = 1
                gwt_acc += np.matmul(cols, gout_c.T, out=gwt_c)
            if need_x:
                gcols = np.matmul(w2t, gout_c, out=cols_buf[:K * nb * L].reshape(K, nb * L))
                col2im(gcols, kh, kw, sh, sw, ph, pw, Ho, Wo, gx[n0:n0 + nb])
        return gwt_acc

    work = 2 * N * Cout * Kg * L * (int(need_w) + int(need_x))
    # ordered: the gW partial sums must not depend on which worker ran which chunk (reproducibility)
    partials = threadpool.run(task, list(range(0, N, B)), needs_blas=True, work=work, ordered=need_w)
    gw = None
    if need_w:
        gwt = partials[0] if len(partials) == 1 else np.sum(partials, axis=0)
        gw = np.ascontiguousarray(gwt[:K].T).reshape(w_shape)
        if need_b:
            gb = gwt[K].copy()
    return gx, gw, gb
