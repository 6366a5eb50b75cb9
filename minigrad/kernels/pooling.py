"""Max and average 2-D pooling, parallel over blocks of (image, channel) planes on the kernel workers.

Every pool (max with dilation and ceil_mode, avg with its divisor rules, the adaptive ones) is one
generic kernel over windows given per output row and per output column as [start, end) ranges,
already clipped to the input: padding is never a max candidate (as padding with -inf) and adds
nothing to a sum. The ranges are computed with numpy, O(Ho + Wo), once per call.

Max-pool keeps, per output, the flat index (ih*W + iw, int32) of the winning input in its plane, so
backward is a scatter that needs no search. Ties: the first maximum in row-major window order wins
(strict >); a NaN wins (the last one), as in PyTorch. Avg-pool multiplies each window's sum by a
precomputed 1/divisor (float64, per output).
"""
import numpy as np
from numba import njit

from . import threadpool
from ._checks import adaptive_output_size, as_float, pool2d_geometry


# ---------------------------------------------------------------- per-plane bodies
@njit(cache=True)
def _max_rows(x, ws, we, dw, hb, hi):
    """hb[ih, ow], hi[ih, ow]: per input row, the winner among output column ow's taps and its column.
    Selects instead of branches: the comparison of random data mispredicts half the time."""
    Wo = hb.shape[1]
    for ih in range(x.shape[0]):
        xr, b, bi = x[ih], hb[ih], hi[ih]
        for ow in range(Wo):
            wl, wh = ws[ow], we[ow]
            best, k = xr[wl], wl
            if dw == 1:  # a unit step LLVM can unroll
                for iw in range(wl + 1, wh):
                    v = xr[iw]
                    take = (v > best) | (v != v)  # PyTorch's rule
                    best = v if take else best
                    k = iw if take else k
            else:
                for iw in range(wl + dw, wh, dw):
                    v = xr[iw]
                    take = (v > best) | (v != v)
                    best = v if take else best
                    k = iw if take else k
            b[ow], bi[ow] = best, k


@njit(cache=True)
def _max_plane(x, hs, he, ws, we, dh, dw, out, arg, hb, hi):
    """Separable: the winner of each row's part of a window (_max_rows), then the winner over the window's
    rows, vectorised across the output row. Taking rows in order with the same strict-> / NaN rule picks
    exactly the element a row-major scan of the whole window picks (the first maximum; the last NaN).
    hb, hi: (H, Wo) scratch."""
    W = x.shape[1]
    Ho, Wo = out.shape
    _max_rows(x, ws, we, dw, hb, hi)
    for oh in range(Ho):
        hl, hh = hs[oh], he[oh]
        o, a, b0, i0 = out[oh], arg[oh], hb[hl], hi[hl]
        for ow in range(Wo):
            o[ow] = b0[ow]
            a[ow] = hl * W + i0[ow]
        for ih in range(hl + dh, hh, dh):
            b, bi = hb[ih], hi[ih]
            for ow in range(Wo):
                v = b[ow]
                take = (v > o[ow]) | (v != v)
                o[ow] = v if take else o[ow]
                a[ow] = ih * W + bi[ow] if take else a[ow]


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
def _avg_plane(x, hs, he, ws, we, scale, out):
    Ho, Wo = out.shape
    for oh in range(Ho):
        hl, hh = hs[oh], he[oh]
        for ow in range(Wo):
            wl, wh = ws[ow], we[ow]
            out[oh, ow] = 0
            s = out[oh, ow]  # a zero of the output's dtype
            for ih in range(hl, hh):
                for iw in range(wl, wh):
                    s += x[ih, iw]
            out[oh, ow] = s * scale[oh, ow]


@njit(cache=True)
def _avg_plane_bwd(gout, hs, he, ws, we, scale, gx):
    Ho, Wo = gout.shape
    gx[:, :] = 0
    for oh in range(Ho):
        hl, hh = hs[oh], he[oh]
        for ow in range(Wo):
            wl, wh = ws[ow], we[ow]
            g = gout[oh, ow] * scale[oh, ow]
            for ih in range(hl, hh):
                for iw in range(wl, wh):
                    gx[ih, iw] += g


# ---------------------------------------------------------------- loops over a block of planes
# Serial and `nogil`: the parallelism is one kernel worker thread per core (threadpool.py).
@njit(nogil=True, cache=True)
def _max_fwd(x, hs, he, ws, we, dh, dw, fast_2x2, out, arg):
    hb = np.empty((x.shape[1], out.shape[2]), dtype=x.dtype)
    hi = np.empty((x.shape[1], out.shape[2]), dtype=np.int32)
    for p in range(x.shape[0]):
        if fast_2x2:
            _max_plane_2x2(x[p], out[p], arg[p])
        else:
            _max_plane(x[p], hs, he, ws, we, dh, dw, out[p], arg[p], hb, hi)


@njit(nogil=True, cache=True)
def _max_bwd(gout, arg, gx):
    for p in range(gx.shape[0]):
        _max_plane_bwd(gout[p], arg[p], gx[p])


@njit(nogil=True, cache=True)
def _avg_fwd(x, hs, he, ws, we, scale, out):
    for p in range(x.shape[0]):
        _avg_plane(x[p], hs, he, ws, we, scale, out[p])


@njit(nogil=True, cache=True)
def _avg_bwd(gout, hs, he, ws, we, scale, gx):
    for p in range(gx.shape[0]):
        _avg_plane_bwd(gout[p], hs, he, ws, we, scale, gx[p])


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


# ---------------------------------------------------------------- windows
def _sliding(n_out, size, k, s, p, d):
    """Sliding windows -> (first in-bounds tap, end clipped to the input, unclipped start)."""
    start = np.arange(n_out, dtype=np.int64) * s - p
    first = np.where(start < 0, start + (-start + d - 1) // d * d, start)
    end = np.minimum(start + (k - 1) * d + 1, size)
    return first, end, start


def _adaptive(n_out, size):
    """torch's adaptive windows: floor(i*size/n_out) .. ceil((i+1)*size/n_out)."""
    i = np.arange(n_out, dtype=np.int64)
    return i * size // n_out, -(-(i + 1) * size // n_out)


def _pool_windows(geo, op):
    hs, he, h0 = _sliding(geo.Ho, geo.H, geo.kh, geo.sh, geo.ph, geo.dh)
    ws, we, w0 = _sliding(geo.Wo, geo.W, geo.kw, geo.sw, geo.pw, geo.dw)
    if (hs >= he).any() or (ws >= we).any():  # possible only with dilation: every tap in the padding
        raise ValueError(f"{op}: a window of kernel {(geo.kh, geo.kw)}, dilation {(geo.dh, geo.dw)} and "
                         f"padding {(geo.ph, geo.pw)} holds no input element (input {geo.H}x{geo.W})")
    return hs, he, ws, we, h0, w0


def _planes(x):
    N, C, H, W = x.shape
    return x.reshape(N * C, H, W)


# ---------------------------------------------------------------- max
def _max_pool(x, hs, he, ws, we, dh, dw, fast_2x2, out_hw):
    N, C = x.shape[:2]
    Ho, Wo = out_hw
    out = np.empty((N * C, Ho, Wo), dtype=x.dtype)
    arg = np.empty((N * C, Ho, Wo), dtype=np.int32)
    _over_planes(_max_fwd, N * C, [_planes(x), out, arg], hs, he, ws, we, dh, dw, fast_2x2)
    return out.reshape(N, C, Ho, Wo), arg.reshape(N, C, Ho, Wo)


def max_pool2d_forward(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    """-> (out (N, C, Ho, Wo), argmax int32 flat index into each H*W plane)."""
    x = as_float(x, "max_pool2d: input")
    geo = pool2d_geometry(x.shape, kernel, stride, padding, dilation, ceil_mode, "max_pool2d")
    window = (geo.kh, geo.kw, geo.sh, geo.sw, geo.ph, geo.pw, geo.dh, geo.dw, geo.Ho, geo.Wo)
    if window == (2, 2, 2, 2, 0, 0, 1, 1, geo.H // 2, geo.W // 2):  # every window whole: no ranges needed
        none = np.zeros(0, np.int64)
        return _max_pool(x, none, none, none, none, 1, 1, True, (geo.Ho, geo.Wo))
    hs, he, ws, we, _, _ = _pool_windows(geo, "max_pool2d")
    return _max_pool(x, hs, he, ws, we, geo.dh, geo.dw, False, (geo.Ho, geo.Wo))


def adaptive_max_pool2d_forward(x, output_size):
    """-> (out (N, C, Ho, Wo), argmax) over torch's adaptive windows."""
    x = as_float(x, "adaptive_max_pool2d: input")
    Ho, Wo = adaptive_output_size(x.shape, output_size, "adaptive_max_pool2d")
    (hs, he), (ws, we) = _adaptive(Ho, x.shape[2]), _adaptive(Wo, x.shape[3])
    return _max_pool(x, hs, he, ws, we, 1, 1, False, (Ho, Wo))


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


# ---------------------------------------------------------------- average
def _avg_windows(x_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """-> (hs, he, ws, we, scale (Ho, Wo) float64 = 1/divisor) with torch's divisor: divisor_override, else
    the window clipped to the padded input (count_include_pad) or to the input."""
    geo = pool2d_geometry(x_shape, kernel, stride, padding, 1, ceil_mode, "avg_pool2d")
    hs, he, ws, we, h0, w0 = _pool_windows(geo, "avg_pool2d")
    if divisor_override is not None:
        if isinstance(divisor_override, (bool, np.bool_)) or not isinstance(divisor_override, (int, np.integer)):
            raise TypeError(f"avg_pool2d(): divisor_override must be an int, got {divisor_override!r}")
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor must be not zero")
        scale = np.full((geo.Ho, geo.Wo), 1.0 / divisor_override)
    else:
        if count_include_pad:
            nh = np.minimum(h0 + geo.kh, geo.H + geo.ph) - h0
            nw = np.minimum(w0 + geo.kw, geo.W + geo.pw) - w0
        else:
            nh, nw = he - hs, we - ws
        scale = 1.0 / (nh[:, None] * nw[None, :]).astype(np.float64)
    return hs, he, ws, we, scale


def _avg_pool(x, hs, he, ws, we, scale):
    N, C = x.shape[:2]
    out = np.empty((N * C,) + scale.shape, dtype=x.dtype)
    _over_planes(_avg_fwd, N * C, [_planes(x), out], hs, he, ws, we, scale)
    return out.reshape((N, C) + scale.shape)


def _avg_pool_backward(gout, x_shape, hs, he, ws, we, scale, op):
    gout = as_float(gout, f"{op} grad")
    N, C, H, W = x_shape
    if gout.shape != (N, C) + scale.shape:
        raise ValueError(f"{op}: grad has shape {gout.shape}, expected {(N, C) + scale.shape}")
    gx = np.empty((N * C, H, W), dtype=gout.dtype)
    _over_planes(_avg_bwd, N * C, [_planes(gout), gx], hs, he, ws, we, scale)
    return gx.reshape(N, C, H, W)


def avg_pool2d_forward(x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None):
    x = as_float(x, "avg_pool2d: input")
    return _avg_pool(x, *_avg_windows(x.shape, kernel, stride, padding, ceil_mode, count_include_pad,
                                      divisor_override))


def avg_pool2d_backward(gout, x_shape, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                        divisor_override=None):
    windows = _avg_windows(tuple(x_shape), kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return _avg_pool_backward(gout, x_shape, *windows, "avg_pool2d")


def _adaptive_avg_windows(x_shape, output_size):
    Ho, Wo = adaptive_output_size(tuple(x_shape), output_size, "adaptive_avg_pool2d")
    (hs, he), (ws, we) = _adaptive(Ho, x_shape[2]), _adaptive(Wo, x_shape[3])
    return hs, he, ws, we, 1.0 / ((he - hs)[:, None] * (we - ws)[None, :]).astype(np.float64)


def adaptive_avg_pool2d_forward(x, output_size):
    x = as_float(x, "adaptive_avg_pool2d: input")
    return _avg_pool(x, *_adaptive_avg_windows(x.shape, output_size))


def adaptive_avg_pool2d_backward(gout, x_shape, output_size):
    return _avg_pool_backward(gout, x_shape, *_adaptive_avg_windows(x_shape, output_size), "adaptive_avg_pool2d")
