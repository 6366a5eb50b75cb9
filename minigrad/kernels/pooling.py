"""Max and average 2-D pooling, parallel over (image, channel) planes.

Max-pool keeps, per output, the flat index (ih*W + iw, int32) of the winning input in its plane, so
backward is a scatter that needs no search. Ties: the first maximum in row-major window order wins
(strict >); a NaN wins (the last one), as in PyTorch. Padding is never a candidate: windows are clipped to the
input, which equals padding with -inf. Avg-pool divides by kh*kw (count_include_pad=True; without
ceil_mode no window reaches past the padding).
"""
import numpy as np
from numba import njit, prange

from ._checks import as_float, out_size, pair


@njit(parallel=True, cache=True)
def _max_fwd(x, kh, kw, sh, sw, ph, pw, out, arg):
    P, H, W = x.shape
    Ho, Wo = out.shape[1], out.shape[2]
    for p in prange(P):
        for oh in range(Ho):
            h0 = oh * sh - ph
            hl, hh = max(h0, 0), min(h0 + kh, H)
            for ow in range(Wo):
                w0 = ow * sw - pw
                wl, wh = max(w0, 0), min(w0 + kw, W)
                best = x[p, hl, wl]
                bi = hl * W + wl
                for ih in range(hl, hh):
                    for iw in range(wl, wh):
                        v = x[p, ih, iw]
                        if v > best or np.isnan(v):  # PyTorch's rule
                            best = v
                            bi = ih * W + iw
                out[p, oh, ow] = best
                arg[p, oh, ow] = bi


@njit(parallel=True, cache=True)
def _max_fwd_2x2(x, out, arg):
    """The common 2x2 / stride 2 / no padding case, unrolled (the generic loop nest is ~6x slower)."""
    P, H, W = x.shape
    Ho, Wo = out.shape[1], out.shape[2]
    for p in prange(P):
        xp = x[p]
        for oh in range(Ho):
            r0, r1 = xp[2 * oh], xp[2 * oh + 1]
            o, a = out[p, oh], arg[p, oh]
            b0 = 2 * oh * W
            b1 = b0 + W
            for ow in range(Wo):
                c = 2 * ow
                best, bi = r0[c], b0 + c
                v = r0[c + 1]
                if v > best or np.isnan(v):  # same visiting order and rule as _max_fwd
                    best, bi = v, b0 + c + 1
                v = r1[c]
                if v > best or np.isnan(v):
                    best, bi = v, b1 + c
                v = r1[c + 1]
                if v > best or np.isnan(v):
                    best, bi = v, b1 + c + 1
                o[ow] = best
                a[ow] = bi


@njit(parallel=True, cache=True)
def _max_bwd(gout, arg, gx):
    P, HW = gx.shape
    Lo = gout.shape[1]
    for p in prange(P):
        g, go, a = gx[p], gout[p], arg[p]  # 1-D row views: cheaper indexing than gx[p, q]
        g[:] = 0
        for q in range(Lo):
            g[a[q]] += go[q]


@njit(parallel=True, cache=True)
def _avg_fwd(x, kh, kw, sh, sw, ph, pw, out):
    P, H, W = x.shape
    Ho, Wo = out.shape[1], out.shape[2]
    inv = 1.0 / (kh * kw)
    for p in prange(P):
        for oh in range(Ho):
            h0 = oh * sh - ph
            hl, hh = max(h0, 0), min(h0 + kh, H)
            for ow in range(Wo):
                w0 = ow * sw - pw
                wl, wh = max(w0, 0), min(w0 + kw, W)
                s = x[p, hl, wl] * 0
                for ih in range(hl, hh):
                    for iw in range(wl, wh):
                        s += x[p, ih, iw]
                out[p, oh, ow] = s * inv


@njit(parallel=True, cache=True)
def _avg_bwd(gout, kh, kw, sh, sw, ph, pw, gx):
    P, H, W = gx.shape
    Ho, Wo = gout.shape[1], gout.shape[2]
    inv = 1.0 / (kh * kw)
    for p in prange(P):
        for ih in range(H):
            for iw in range(W):
                gx[p, ih, iw] = 0
        for oh in range(Ho):
            h0 = oh * sh - ph
            hl, hh = max(h0, 0), min(h0 + kh, H)
            for ow in range(Wo):
                w0 = ow * sw - pw
                wl, wh = max(w0, 0), min(w0 + kw, W)
                g = gout[p, oh, ow] * inv
                for ih in range(hl, hh):
                    for iw in range(wl, wh):
                        gx[p, ih, iw] += g


def _geometry(x_shape, kernel, stride, padding, what):
    if len(x_shape) != 4:
        raise ValueError(f"{what} input must be 4-D (N, C, H, W), got shape {tuple(x_shape)}")
    (kh, kw) = pair(kernel, "kernel_size")
    (sh, sw) = pair(kernel if stride is None else stride, "stride")
    (ph, pw) = pair(padding, "padding")
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(f"{what}: padding {(ph, pw)} must be at most half the kernel {(kh, kw)}")
    N, C, H, W = x_shape
    Ho = out_size(H, kh, sh, ph, f"{what} height")
    Wo = out_size(W, kw, sw, pw, f"{what} width")
    return N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo


def max_pool2d_forward(x, kernel, stride, padding):
    """-> (out (N, C, Ho, Wo), argmax int32 flat index into each H*W plane)."""
    x = as_float(x, "max_pool2d input")
    N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo = _geometry(x.shape, kernel, stride, padding, "max_pool2d")
    out = np.empty((N * C, Ho, Wo), dtype=x.dtype)
    arg = np.empty((N * C, Ho, Wo), dtype=np.int32)
    if (kh, kw, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0):
        _max_fwd_2x2(x.reshape(N * C, H, W), out, arg)
    else:
        _max_fwd(x.reshape(N * C, H, W), kh, kw, sh, sw, ph, pw, out, arg)
    return out.reshape(N, C, Ho, Wo), arg.reshape(N, C, Ho, Wo)


def max_pool2d_backward(gout, argmax, x_shape):
    """Scatter gout to the argmax positions -> gx of x_shape (overlapping windows accumulate)."""
    gout = as_float(gout, "max_pool2d grad")
    argmax = np.ascontiguousarray(argmax, dtype=np.int32)
    if gout.shape != argmax.shape or gout.shape[:2] != tuple(x_shape[:2]):
        raise ValueError(f"max_pool2d grad {gout.shape} / argmax {argmax.shape} do not fit input {tuple(x_shape)}")
    N, C, H, W = x_shape
    gx = np.empty((N * C, H * W), dtype=gout.dtype)
    _max_bwd(gout.reshape(N * C, -1), argmax.reshape(N * C, -1), gx)
    return gx.reshape(N, C, H, W)


def avg_pool2d_forward(x, kernel, stride, padding):
    x = as_float(x, "avg_pool2d input")
    N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo = _geometry(x.shape, kernel, stride, padding, "avg_pool2d")
    out = np.empty((N * C, Ho, Wo), dtype=x.dtype)
    _avg_fwd(x.reshape(N * C, H, W), kh, kw, sh, sw, ph, pw, out)
    return out.reshape(N, C, Ho, Wo)


def avg_pool2d_backward(gout, x_shape, kernel, stride, padding):
    gout = as_float(gout, "avg_pool2d grad")
    N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo = _geometry(tuple(x_shape), kernel, stride, padding, "avg_pool2d")
    if gout.shape != (N, C, Ho, Wo):
        raise ValueError(f"avg_pool2d grad has shape {gout.shape}, expected {(N, C, Ho, Wo)}")
    gx = np.empty((N * C, H, W), dtype=gout.dtype)
    _avg_bwd(gout.reshape(N * C, Ho, Wo), kh, kw, sh, sw, ph, pw, gx)
    return gx.reshape(N, C, H, W)
