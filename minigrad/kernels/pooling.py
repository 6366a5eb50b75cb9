"""Max and average 2-D pooling, parallel over blocks of (image, channel) planes on the kernel workers.

Max-pool keeps, per output, the flat index (ih*W + iw, int32) of the winning input in its plane, so
backward is a scatter that needs no search. Ties: the first maximum in row-major window order wins
(strict >); a NaN wins (the last one), as in PyTorch. Padding is never a candidate: windows are clipped to the
input, which equals padding with -inf. Avg-pool divides by kh*kw (count_include_pad=True; without
ceil_mode no window reaches past the padding).
"""
import numpy as np
from numba import njit

from . import threadpool
from ._checks import as_float, out_size, pair


# ---------------------------------------------------------------- per-plane bodies
@njit(cache=True)
def _max_plane(x, kh, kw, sh, sw, ph, pw, out, arg):
    H, W = x.shape
    Ho, Wo = out.shape
    for oh in range(Ho):
        h0 = oh * sh - ph
        hl, hh = max(h0, 0), min(h0 + kh, H)
        o, a = out[oh], arg[oh]
        for ow in range(Wo):
            w0 = ow * sw - pw
            wl, wh = max(w0, 0), min(w0 + kw, W)
            best, bi = x[hl, wl], hl * W + wl
            for ih in range(hl, hh):
                xr = x[ih]
                for iw in range(wl, wh):
                    v = xr[iw]
                    if v > best or np.isnan(v):  # PyTorch's rule
                        best, bi = v, ih * W + iw
            o[ow] = best
            a[ow] = bi


@njit(cache=True)
def _max_plane_2x2(x, out, arg):
    """2x2 / stride 2 / no padding, unrolled (the generic loop nest is ~6x slower)."""
    W = x.shape[1]
    Ho, Wo = out.shape
    for oh in range(Ho):
        r0, r1 = x[2 * oh], x[2 * oh + 1]
        o, a = out[oh], arg[oh]
        b0 = 2 * oh * W
        b1 = b0 + W
        for ow in range(Wo):
            c = 2 * ow
            best, bi = r0[c], b0 + c
            v = r0[c + 1]
            if v > best or np.isnan(v):  # same visiting order and rule as _max_plane
                best, bi = v, b0 + c + 1
            v = r1[c]
            if v > best or np.isnan(v):
                best, bi = v, b1 + c
            v = r1[c + 1]
            if v > best or np.isnan(v):
                best, bi = v, b1 + c + 1
            o[ow] = best
            a[ow] = bi


@njit(cache=True)
def _max_plane_bwd(gout, arg, gx):
    """gx, gout, arg: 1-D views of one plane; the plane is small enough to stay in cache."""
    gx[:] = 0
    for q in range(gout.shape[0]):
        gx[arg[q]] += gout[q]


@njit(cache=True)
def _avg_plane(x, kh, kw, sh, sw, ph, pw, out):
    H, W = x.shape
    Ho, Wo = out.shape
    inv = 1.0 / (kh * kw)
    for oh in range(Ho):
        h0 = oh * sh - ph
        hl, hh = max(h0, 0), min(h0 + kh, H)
        for ow in range(Wo):
            w0 = ow * sw - pw
            wl, wh = max(w0, 0), min(w0 + kw, W)
            s = x[hl, wl] * 0
            for ih in range(hl, hh):
                for iw in range(wl, wh):
                    s += x[ih, iw]
            out[oh, ow] = s * inv


@njit(cache=True)
def _avg_plane_bwd(gout, kh, kw, sh, sw, ph, pw, gx):
    H, W = gx.shape
    Ho, Wo = gout.shape
    inv = 1.0 / (kh * kw)
    gx[:, :] = 0
    for oh in range(Ho):
        h0 = oh * sh - ph
        hl, hh = max(h0, 0), min(h0 + kh, H)
        for ow in range(Wo):
            w0 = ow * sw - pw
            wl, wh = max(w0, 0), min(w0 + kw, W)
            g = gout[oh, ow] * inv
            for ih in range(hl, hh):
                for iw in range(wl, wh):
                    gx[ih, iw] += g


# ---------------------------------------------------------------- loops over a block of planes
# Serial and `nogil`: the parallelism is one kernel worker thread per core (threadpool.py).
@njit(nogil=True, cache=True)
def _max_fwd(x, kh, kw, sh, sw, ph, pw, out, arg):
    fast = kh == 2 and kw == 2 and sh == 2 and sw == 2 and ph == 0 and pw == 0
    for p in range(x.shape[0]):
        if fast:
            _max_plane_2x2(x[p], out[p], arg[p])
        else:
            _max_plane(x[p], kh, kw, sh, sw, ph, pw, out[p], arg[p])


@njit(nogil=True, cache=True)
def _max_bwd(gout, arg, gx):
    for p in range(gx.shape[0]):
        _max_plane_bwd(gout[p], arg[p], gx[p])


@njit(nogil=True, cache=True)
def _avg_fwd(x, kh, kw, sh, sw, ph, pw, out):
    for p in range(x.shape[0]):
        _avg_plane(x[p], kh, kw, sh, sw, ph, pw, out[p])


@njit(nogil=True, cache=True)
def _avg_bwd(gout, kh, kw, sh, sw, ph, pw, gx):
    for p in range(gx.shape[0]):
        _avg_plane_bwd(gout[p], kh, kw, sh, sw, ph, pw, gx[p])


def _over_planes(kernel, P, arrays, *args):
    """kernel(*[a[lo:hi] for a in arrays] with `args` after the first) over blocks of planes, one
    block per kernel worker. `arrays` have the plane as leading axis; `args` are the scalars that
    follow the input in the kernels' (input, scalars..., outputs...) signatures."""
    def task(blocks):
        for lo, hi in blocks:
            views = [a[lo:hi] for a in arrays]
            kernel(views[0], *args, *views[1:])
    work = max(a.size for a in arrays)
    # a few blocks per worker: the queue rebalances when a worker is descheduled
    threadpool.run(task, threadpool.blocks(P, 4 * threadpool.pool_size()), work=work)


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
    _over_planes(_max_fwd, N * C, [x.reshape(N * C, H, W), out, arg], kh, kw, sh, sw, ph, pw)
    return out.reshape(N, C, Ho, Wo), arg.reshape(N, C, Ho, Wo)


def max_pool2d_backward(gout, argmax, x_shape):
    """Scatter gout to the argmax positions -> gx of x_shape (overlapping windows accumulate)."""
    gout = as_float(gout, "max_pool2d grad")
    argmax = np.ascontiguousarray(argmax, dtype=np.int32)
    if gout.shape != argmax.shape or gout.shape[:2] != tuple(x_shape[:2]):
        raise ValueError(f"max_pool2d grad {gout.shape} / argmax {argmax.shape} do not fit input {tuple(x_shape)}")
    N, C, H, W = x_shape
    gx = np.empty((N * C, H * W), dtype=gout.dtype)
    _over_planes(_max_bwd, N * C, [gout.reshape(N * C, -1), argmax.reshape(N * C, -1), gx])
    return gx.reshape(N, C, H, W)


def avg_pool2d_forward(x, kernel, stride, padding):
    x = as_float(x, "avg_pool2d input")
    N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo = _geometry(x.shape, kernel, stride, padding, "avg_pool2d")
    out = np.empty((N * C, Ho, Wo), dtype=x.dtype)
    _over_planes(_avg_fwd, N * C, [x.reshape(N * C, H, W), out], kh, kw, sh, sw, ph, pw)
    return out.reshape(N, C, Ho, Wo)


def avg_pool2d_backward(gout, x_shape, kernel, stride, padding):
    gout = as_float(gout, "avg_pool2d grad")
    N, C, H, W, kh, kw, sh, sw, ph, pw, Ho, Wo = _geometry(tuple(x_shape), kernel, stride, padding, "avg_pool2d")
    if gout.shape != (N, C, Ho, Wo):
        raise ValueError(f"avg_pool2d grad has shape {gout.shape}, expected {(N, C, Ho, Wo)}")
    gx = np.empty((N * C, H, W), dtype=gout.dtype)
    _over_planes(_avg_bwd, N * C, [gout.reshape(N * C, Ho, Wo), gx], kh, kw, sh, sw, ph, pw)
    return gx.reshape(N, C, H, W)
