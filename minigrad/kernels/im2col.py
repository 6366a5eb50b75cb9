"""Numba kernels behind the im2col convolution: per-task bodies and the serial `nogil` loops over a
chunk that the kernel worker threads run (one worker per core, see threadpool.py).

Layout: cols is (K, B*L), K = Cin*kh*kw in weight.reshape(Cout, K) order, L = Ho*Wo, column
b*L + oh*Wo + ow. Inner loops index 1-D row views from 0: with a variable offset inside the index,
Numba's negative-index wraparound check blocks SIMD vectorisation (measured ~10x slower copies).
"""
from numba import njit


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


@njit(cache=True)
def _im2col_task(x, kh, kw, sh, sw, ph, pw, Ho, Wo, cols, t):
    """Task t of C*kh*kw*N: cols row k = t // N for image n = t % N (disjoint slabs -> race-free)."""
    N, C, H, W = x.shape
    L = Ho * Wo
    KK = kh * kw
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


@njit(cache=True)
def _col2im_task(gcols, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, gx, p):
    """Task p of N*C: the whole (image, channel) plane p, written by this task only -> race-free."""
    L = Ho * Wo
    KK = kh * kw
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


@njit(cache=True)
def _mat_to_nchw_task(out_mat, out, t):
    """out[n, co, :] = out_mat[co, n*L:(n+1)*L] for task t = n*Cout + co."""
    N, Cout, L = out.shape
    n = t // Cout
    co = t - n * Cout
    src = out_mat[co, n * L:(n + 1) * L]
    dst = out[n, co]
    for q in range(L):
        dst[q] = src[q]


@njit(cache=True)
def _nchw_to_mat_task(g, g_mat, t):
    """g_mat[co, n*L:(n+1)*L] = g[n, co, :] for task t = n*Cout + co."""
    N, Cout, L = g.shape
    n = t // Cout
    co = t - n * Cout
    src = g[n, co]
    dst = g_mat[co, n * L:(n + 1) * L]
    for q in range(L):
        dst[q] = src[q]


# ---------------------------------------------------------------- whole-chunk loops
# Serial and `nogil`: the parallelism is one kernel worker thread per core (threadpool.py).
@njit(nogil=True, cache=True)
def im2col(x, kh, kw, sh, sw, ph, pw, Ho, Wo, cols):
    for t in range(cols.shape[0] * x.shape[0]):
        _im2col_task(x, kh, kw, sh, sw, ph, pw, Ho, Wo, cols, t)


@njit(nogil=True, cache=True)
def col2im(gcols, kh, kw, sh, sw, ph, pw, Ho, Wo, gx):
    N, C, H, W = gx.shape
    for p in range(N * C):
        _col2im_task(gcols, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo, gx, p)


@njit(nogil=True, cache=True)
def mat_to_nchw(out_mat, out):
    for t in range(out.shape[0] * out.shape[1]):
        _mat_to_nchw_task(out_mat, out, t)


@njit(nogil=True, cache=True)
def nchw_to_mat(g, g_mat):
    for t in range(g.shape[0] * g.shape[1]):
        _nchw_to_mat_task(g, g_mat, t)
