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

Groups: group g's rows of cols (its input channels) and of W2 (its output channels) are contiguous,
so each GEMM is one batched np.matmul over a (groups, rows/groups, cols) view: numpy calls BLAS per
group from C, with no Python loop over channels. The ones-row bias trick needs one group; with
several the bias is added (forward) and summed (backward) separately.
Transposed convolution is this convolution's input gradient run forwards, and its gradients are
this convolution's forward (input) and weight gradient: the same two routines, no second kernel.
"""
import numpy as np

from . import conv_algorithms, threadpool, winograd
from ._checks import as_float, conv2d_geometry, conv_transpose2d_geometry, same_float
from .im2col import col2im, im2col, mat_to_nchw, nchw_to_mat

# Chunk geometry (images per chunk): cols plus the GEMM's (Cout, B*L) side within ~_CACHE_BYTES
# (a core's L2 here), but at least _MIN_GEMM_COLS GEMM columns for BLAS efficiency, and at least one
# chunk per worker thread. A one-image chunk needs no NCHW <-> GEMM reshuffle at all.
_MIN_GEMM_COLS = 1024
_CACHE_BYTES = 2 << 20


def _images_per_chunk(N, K, Cout, L, itemsize):
    by_cache = max(1, _CACHE_BYTES // ((K + Cout) * L * itemsize))
    by_gemm = -(-_MIN_GEMM_COLS // L)
    return balanced_chunk(N, max(by_cache, by_gemm), threadpool.pool_size(needs_blas=True))


def balanced_chunk(N, target, workers):
    """Images per chunk near `target` such that the chunks come in a multiple of the worker count and
    of near-equal size, so no worker idles at the end (32 images in chunks of 10 left one worker 20
    images and the other 12: a 64-channel 10x42 conv's fwd+bwd took 34 ms instead of 25 on 2 workers)."""
    if N <= 1:
        return 1
    workers = max(1, workers)
    chunks = -(-N // max(1, min(N, target)))
    chunks = min(N, -(-chunks // workers) * workers)
    return max(1, -(-N // chunks))


def _by_group(m, G):
    """(rows, cols) matrix -> (G, rows/G, cols) view; with one group the matrix itself, so the default
    path makes exactly the 2-D GEMM calls it always made."""
    return m if G == 1 else m.reshape(G, m.shape[0] // G, m.shape[1])


def _groups_first(a):
    """A (G, ., .) weight-side array -> itself, or its only (., .) matrix when G == 1 (as _by_group)."""
    return a[0] if a.shape[0] == 1 else a


def _im2col(x, geo, cols):
    g = geo
    im2col(x, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.Ho, g.Wo, cols)


def _forward(x, w3, b, geo):
    """x (N, C, H, W) C-contiguous, w3 (G, Cout/G, K/G) -> out (N, Cout, Ho, Wo)."""
    N, Cout, G = geo.N, geo.Cout, geo.groups
    K, L = geo.C * geo.kh * geo.kw, geo.Ho * geo.Wo
    bias_in_gemm = b is not None and G == 1
    w_gemm = _groups_first(np.concatenate([w3, b.reshape(1, Cout, 1)], axis=2) if bias_in_gemm else w3)
    Kg = K + 1 if bias_in_gemm else K
    B = _images_per_chunk(N, Kg, Cout, L, x.itemsize)
    out = np.empty((N, Cout, L), dtype=x.dtype)

    def task(starts):
        cols_buf = np.empty(Kg * B * L, dtype=x.dtype)
        out_buf = np.empty(Cout * B * L, dtype=x.dtype)
        for n0 in starts:
            nb = min(B, N - n0)
            cols = cols_buf[:Kg * nb * L].reshape(Kg, nb * L)
            _im2col(x[n0:n0 + nb], geo, cols[:K])
            cols[K:] = 1
            # one image: (Cout, L) is already its NCHW block
            out_c = out[n0] if nb == 1 else out_buf[:Cout * nb * L].reshape(Cout, nb * L)
            np.matmul(w_gemm, _by_group(cols, G), out=_by_group(out_c, G))
            if nb > 1:
                mat_to_nchw(out_c, out[n0:n0 + nb])

    threadpool.run(task, list(range(0, N, B)), needs_blas=True, work=2 * N * Cout * Kg * L // G)
    if b is not None and not bias_in_gemm:
        out += b[:, None]
    return out.reshape(N, Cout, geo.Ho, geo.Wo)


# Weight gradients of small maps (N*Ho*Wo up to this many columns, kernels larger than 1x1) split the
# input channels over the workers instead of the images: each worker's GEMM then runs over the whole
# batch (a longer inner dimension) into its own columns of gW, with no per-worker partial sums of the
# whole gW to add up. 256->512 3x3 stride 2 on 3x11, batch 32 (12 columns an image): 25.2 -> 18.6 ms of
# CPU. It did not pay at 1056 columns (128->256 on 5x21: 12.1 vs 12.5 ms), and lost on a 1x1 conv, whose
# cols are a strided copy of x (64->128 1x1 stride 2 on 10x42: 1.4 vs 6.4 ms).
_SMALL_MAP_COLS = 1024


def _weight_grad_by_channels(x, gout, geo):
    """gW (Cout, C, kh, kw) for one group: gW[:, channel block] = gout_mat @ cols(channel block).T."""
    N, C, Cout = geo.N, geo.C, geo.Cout
    kk, L = geo.kh * geo.kw, geo.Ho * geo.Wo
    g_mat = np.empty((Cout, N * L), dtype=gout.dtype)
    nchw_to_mat(gout.reshape(N, Cout, L), g_mat)
    gw = np.empty((Cout, C * kk), dtype=gout.dtype)

    def task(items):
        for c0, c1 in items:
            cols = np.empty(((c1 - c0) * kk, N * L), dtype=gout.dtype)
            _im2col(np.ascontiguousarray(x[:, c0:c1]), geo, cols)
            np.matmul(g_mat, cols.T, out=gw[:, c0 * kk:c1 * kk])
    workers = threadpool.pool_size(needs_blas=True)
    threadpool.run(task, threadpool.blocks(C, 2 * workers), needs_blas=True, work=2 * N * L * Cout * C * kk)
    return gw.reshape(geo.w_shape)


def _backward(x, gout, w3, geo, need_x, need_w, need_b):
    """Gradients of _forward(x, w3, b, geo) for the output gradient gout (N, Cout, Ho, Wo), C-contiguous
    -> (gx | None, gw | None, gb | None). x is read only for gw."""
    N, C, Cout, G = geo.N, geo.C, geo.Cout, geo.groups
    if need_w and G == 1 and N * geo.Ho * geo.Wo <= _SMALL_MAP_COLS and C > 1 and geo.kh * geo.kw > 1:
        gw = _weight_grad_by_channels(x, gout, geo)
        gb = gout.sum(axis=(0, 2, 3)) if need_b else None
        gx = _backward(x, gout, w3, geo, True, False, False)[0] if need_x else None
        return gx, gw, gb
    gb = gout.sum(axis=(0, 2, 3)) if need_b and not (need_w and G == 1) else None  # else from the gW GEMM
    if not (need_x or need_w):
        return None, None, gb
    dtype = gout.dtype
    K, L = C * geo.kh * geo.kw, geo.Ho * geo.Wo
    Kg = K + 1 if need_b and need_w and G == 1 else K  # the ones row turns the gW GEMM's last column into gb
    B = _images_per_chunk(N, Kg, Cout, L, dtype.itemsize)
    g3 = gout.reshape(N, Cout, L)
    gx = np.empty((N, C, geo.H, geo.W), dtype=dtype) if need_x else None
    w3t = _groups_first(w3.transpose(0, 2, 1))

    def task(starts):
        gout_buf = np.empty(Cout * B * L, dtype=dtype)
        cols_buf = np.empty(Kg * B * L, dtype=dtype)  # cols for gW, then reused for gcols
        gwt_acc = np.empty((G, Kg // G, Cout // G), dtype=dtype) if need_w else None
        acc = _groups_first(gwt_acc) if need_w else None  # a view: writing to it fills gwt_acc
        gwt_c = None  # the worker's first chunk writes its partial sum into acc itself
        for n0 in starts:
            nb = min(B, N - n0)
            if nb == 1:
                gout_c = g3[n0]
            else:
                gout_c = gout_buf[:Cout * nb * L].reshape(Cout, nb * L)
                nchw_to_mat(g3[n0:n0 + nb], gout_c)
            gout_g = _by_group(gout_c, G)
            if need_w:
                cols = cols_buf[:Kg * nb * L].reshape(Kg, nb * L)
                _im2col(x[n0:n0 + nb], geo, cols[:K])
                cols[K:] = 1
                if gwt_c is None:
                    np.matmul(_by_group(cols, G), np.swapaxes(gout_g, -1, -2), out=acc)
                    gwt_c = np.empty_like(acc)
                else:
                    acc += np.matmul(_by_group(cols, G), np.swapaxes(gout_g, -1, -2), out=gwt_c)
            if need_x:
                gcols = cols_buf[:K * nb * L].reshape(K, nb * L)
                if Cout == G > 1:  # one output channel per group: an outer product, which numpy's batched
                    np.multiply(w3t, gout_g, out=_by_group(gcols, G))  # matmul ran 4x slower than this
                else:
                    np.matmul(w3t, gout_g, out=_by_group(gcols, G))
                col2im(gcols, geo.kh, geo.kw, geo.sh, geo.sw, geo.ph, geo.pw, geo.dh, geo.dw, geo.Ho, geo.Wo,
                       gx[n0:n0 + nb])
        if need_w and gwt_c is None:
            gwt_acc[...] = 0
        return gwt_acc

    work = 2 * N * Cout * Kg * L * (int(need_w) + int(need_x)) // G
    # ordered: the gW partial sums must not depend on which worker ran which chunk (reproducibility)
    partials = threadpool.run(task, list(range(0, N, B)), needs_blas=True, work=work, ordered=need_w)
    gw = None
    if need_w:
        gwt = threadpool.sum_partials(partials)
        gw = np.ascontiguousarray(gwt[:, :K // G].transpose(0, 2, 1)).reshape(geo.w_shape)
        if need_b and G == 1:
            gb = gwt[0, K].copy()
    return gx, gw, gb


def _weight_by_group(w, groups):
    return w.reshape(groups, w.shape[0] // groups, -1)


def _grad(g, dtype, shape, op):
    g = as_float(g, f"{op} grad", dtype)
    if g.shape != shape:
        raise ValueError(f"{op}: grad has shape {g.shape}, expected {shape}")
    return g


def conv2d_forward(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    """x (N, Cin, H, W), w (Cout, Cin/groups, kh, kw), b (Cout,) or None -> (out (N, Cout, Ho, Wo), saved)."""
    x, w, b = same_float("conv2d", x, weight=w, bias=b)
    geo = conv2d_geometry(x.shape, w.shape, None if b is None else b.shape, stride, padding, dilation, groups)
    if conv_algorithms.use_winograd(x.dtype, geo):
        return winograd.conv3x3_forward(x, w, b)
    w3 = _weight_by_group(w, groups)
    return _forward(x, w3, b, geo), (x, w3, geo)


def conv2d_backward(gout, saved, need_x, need_w, need_b):
    """-> (gx | None, gw | None, gb | None) for the forward call that produced `saved`."""
    if isinstance(saved, winograd.WinogradSaved):
        gout = _grad(gout, saved.x.dtype, (saved.x.shape[0], saved.w.shape[0]) + saved.x.shape[2:], "conv2d")
        return winograd.conv3x3_backward(gout, saved, need_x, need_w, need_b)
    x, w3, geo = saved
    gout = _grad(gout, x.dtype, (geo.N, geo.Cout, geo.Ho, geo.Wo), "conv2d")
    return _backward(x, gout, w3, geo, need_x, need_w, need_b)


def conv_transpose2d_forward(x, w, b, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw), b (Cout,) or None -> (out (N, Cout, Ho, Wo), saved):
    the input gradient of the convolution (N, Cout, Ho, Wo) -> (N, Cin, H, W) with weight w, taking x
    as its output gradient."""
    x, w, b = same_float("conv_transpose2d", x, weight=w, bias=b)
    geo = conv_transpose2d_geometry(x.shape, w.shape, None if b is None else b.shape, stride, padding,
                                    output_padding, groups, dilation)
    w3 = _weight_by_group(w, groups)
    out = _backward(None, x, w3, geo, True, False, False)[0]
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out, (x, w3, geo)


def conv_transpose2d_backward(gout, saved, need_x, need_w, need_b):
    """-> (gx | None, gw | None, gb | None): gx is the convolution of gout, gw that convolution's weight
    gradient for the output gradient x."""
    x, w3, geo = saved
    gout = _grad(gout, x.dtype, (geo.N, geo.C, geo.H, geo.W), "conv_transpose2d")
    gx = _forward(gout, w3, None, geo) if need_x else None
    gw = _backward(gout, x, w3, geo, False, True, False)[1] if need_w else None
    gb = gout.sum(axis=(0, 2, 3)) if need_b else None
    return gx, gw, gb
