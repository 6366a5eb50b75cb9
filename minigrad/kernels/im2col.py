"""Numba kernels behind the im2col convolution: serial `nogil` loops over one chunk of images, run
by the kernel worker threads (one worker per core, see threadpool.py).

Layout: cols is (K, B*L), K = Cin*kh*kw in weight.reshape(Cout, K) order, L = Ho*Wo, column
b*L + oh*Wo + ow. All arrays are C-contiguous and indexed flat with unsigned (u64) indices: with a
signed index Numba adds a negative-index wraparound check that blocks SIMD vectorisation. Measured
against 1-D row views (the previous version): im2col 2.5-2.9x, col2im 1.3-1.6x faster.
"""
from numba import njit
from numba import uint64 as u64


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


@njit(nogil=True, cache=True)
def im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo, cols):
    """cols[(c*kh + i)*kw + j, n*L + oh*Wo + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 outside)."""
    N, C, H, W = x.shape
    L = Ho * Wo
    NL = cols.shape[1]
    xf, cf = x.reshape(-1), cols.reshape(-1)  # C-contiguous views (Numba refuses to reshape others)
    for n in range(N):
        for c in range(C):
            xbase = (n * C + c) * H * W
            for i in range(kh):
                oh_lo, oh_hi = _valid_range(Ho, H, i * dh, sh, ph)
                for j in range(kw):
                    ow_lo, ow_hi = _valid_range(Wo, W, j * dw, sw, pw)
                    dbase = ((c * kh + i) * kw + j) * NL + n * L
                    for q in range(oh_lo * Wo):
                        cf[u64(dbase + q)] = 0
                    for q in range(oh_hi * Wo, L):
                        cf[u64(dbase + q)] = 0
                    for oh in range(oh_lo, oh_hi):
                        drow = dbase + oh * Wo
                        srow = xbase + (oh * sh - ph + i * dh) * W - pw + j * dw
                        for ow in range(ow_lo):
                            cf[u64(drow + ow)] = 0
                        if sw == 1:
                            for ow in range(ow_lo, ow_hi):
                                cf[u64(drow + ow)] = xf[u64(srow + ow)]
                        else:
                            for ow in range(ow_lo, ow_hi):
                                cf[u64(drow + ow)] = xf[u64(srow + ow * sw)]
                        for ow in range(ow_hi, Wo):
                            cf[u64(drow + ow)] = 0


@njit(nogil=True, cache=True)
def col2im(gcols, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo, gx):
    """The adjoint of im2col: gx[n, c] = sum of the gcols entries that im2col copied from it."""
    N, C, H, W = gx.shape
    L = Ho * Wo
    NL = gcols.shape[1]
    gf, xf = gcols.reshape(-1), gx.reshape(-1)
    for n in range(N):
        for c in range(C):
            xbase = (n * C + c) * H * W
            for q in range(H * W):
                xf[u64(xbase + q)] = 0
            for i in range(kh):
                oh_lo, oh_hi = _valid_range(Ho, H, i * dh, sh, ph)
                for j in range(kw):
                    ow_lo, ow_hi = _valid_range(Wo, W, j * dw, sw, pw)
                    sbase = ((c * kh + i) * kw + j) * NL + n * L
                    for oh in range(oh_lo, oh_hi):
                        srow = sbase + oh * Wo
                        drow = xbase + (oh * sh - ph + i * dh) * W - pw + j * dw
                        if sw == 1:
                            for ow in range(ow_lo, ow_hi):
                                xf[u64(drow + ow)] += gf[u64(srow + ow)]
                        else:
                            for ow in range(ow_lo, ow_hi):
                                xf[u64(drow + ow * sw)] += gf[u64(srow + ow)]


@njit(nogil=True, cache=True)
def mat_to_nchw(out_mat, out):
    """out[n, co, :] = out_mat[co, n*L:(n+1)*L]."""
    N, Cout, L = out.shape
    NL = out_mat.shape[1]
    sf, df = out_mat.reshape(-1), out.reshape(-1)
    for n in range(N):
        for co in range(Cout):
            s0, d0 = co * NL + n * L, (n * Cout + co) * L
            for q in range(L):
                df[u64(d0 + q)] = sf[u64(s0 + q)]


@njit(nogil=True, cache=True)
def nchw_to_mat(g, g_mat):
    """g_mat[co, n*L:(n+1)*L] = g[n, co, :]."""
    N, Cout, L = g.shape
    NL = g_mat.shape[1]
    sf, df = g.reshape(-1), g_mat.reshape(-1)
    for n in range(N):
        for co in range(Cout):
            s0, d0 = (n * Cout + co) * L, co * NL + n * L
            for q in range(L):
                df[u64(d0 + q)] = sf[u64(s0 + q)]
