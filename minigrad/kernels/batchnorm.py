"""Batch norm in training mode (batch statistics), optionally fused with the ReLU that follows it.

x is viewed as (N, C, L). Each channel is one work item: its statistics, its normalisation and, in
backward, its two reductions and its input gradient run back to back while the channel's N*L values
sit in the core's cache (one pass over main memory instead of NumPy's five or six). Channels are
split into contiguous blocks over threadpool's workers; no value is reduced across workers, so the
result does not depend on the scheduling. Sums are accumulated in float64 (two-pass variance).

Backward recomputes xhat = (x - mean) * invstd from x instead of saving it (one activation less in
memory). With relu=True the output is max(0, y) and backward masks the gradient where y <= 0
(ReLU'(0) = 0 as in PyTorch), recomputing y from x as well.
"""
import numpy as np
from numba import njit
from numba import uint64 as u64

from . import threadpool


# The per-channel sums run four interleaved float64 accumulators over each row (then (s0 + s1) + (s2 + s3)):
# one accumulator is a chain of dependent adds, latency-bound at one add per ~4 cycles, which made batch
# norm ~2x slower than torch's; four chains keep the adder busy. The order is fixed, so results are
# reproducible bit for bit (no fastmath).
@njit(nogil=True, cache=True, inline="always")
def _row_sum(xf, base, L):
    s0 = s1 = s2 = s3 = 0.0
    q = 0
    while q + 4 <= L:
        s0 += xf[u64(base + q)]
        s1 += xf[u64(base + q + 1)]
        s2 += xf[u64(base + q + 2)]
        s3 += xf[u64(base + q + 3)]
        q += 4
    while q < L:
        s0 += xf[u64(base + q)]
        q += 1
    return (s0 + s1) + (s2 + s3)


@njit(nogil=True, cache=True, inline="always")
def _row_sq_dev(xf, base, L, mx):
    """sum of (x - mx)^2 over the row, (x - mx) in x's dtype as the normalisation computes it."""
    s0 = s1 = s2 = s3 = 0.0
    q = 0
    while q + 4 <= L:
        d0 = xf[u64(base + q)] - mx
        d1 = xf[u64(base + q + 1)] - mx
        d2 = xf[u64(base + q + 2)] - mx
        d3 = xf[u64(base + q + 3)] - mx
        s0 += d0 * d0
        s1 += d1 * d1
        s2 += d2 * d2
        s3 += d3 * d3
        q += 4
    while q < L:
        d0 = xf[u64(base + q)] - mx
        s0 += d0 * d0
        q += 1
    return (s0 + s1) + (s2 + s3)


@njit(nogil=True, cache=True)
def _row_grad_sums(gf, xf, base, L, m, istd, relu, sc, sh, zero):
    """(sum of g, sum of g * x-hat) over the row, g zeroed where the fused ReLU's output (forward's y, bit
    for bit) was <= 0 (ReLU'(0) = 0; `zero` is a 0 of g's dtype, so a NaN gradient is masked too). Written
    out by hand: a helper call per element kept this loop ~20x slower."""
    a0 = a1 = a2 = a3 = 0.0
    b0 = b1 = b2 = b3 = 0.0
    q = 0
    while q + 4 <= L:
        i = u64(base + q)
        x0, x1, x2, x3 = xf[i], xf[i + u64(1)], xf[i + u64(2)], xf[i + u64(3)]
        g0, g1, g2, g3 = gf[i], gf[i + u64(1)], gf[i + u64(2)], gf[i + u64(3)]
        if relu:
            if x0 * sc + sh <= 0:
                g0 = zero
            if x1 * sc + sh <= 0:
                g1 = zero
            if x2 * sc + sh <= 0:
                g2 = zero
            if x3 * sc + sh <= 0:
                g3 = zero
        a0 += g0
        a1 += g1
        a2 += g2
        a3 += g3
        b0 += g0 * ((x0 - m) * istd)
        b1 += g1 * ((x1 - m) * istd)
        b2 += g2 * ((x2 - m) * istd)
        b3 += g3 * ((x3 - m) * istd)
        q += 4
    while q < L:
        i = u64(base + q)
        x0, g0 = xf[i], gf[i]
        if relu and x0 * sc + sh <= 0:
            g0 = zero
        a0 += g0
        b0 += g0 * ((x0 - m) * istd)
        q += 1
    return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)


@njit(nogil=True, cache=True)
def _forward_channels(x, w, b, eps, relu, c0, c1, out, mean, mean_x, var, scale, shift):
    N, C, L = x.shape
    xf, of = x.reshape(-1), out.reshape(-1)
    cnt = N * L
    for c in range(c0, c1):
        s = 0.0
        for n in range(N):
            s += _row_sum(xf, (n * C + c) * L, L)
        m = s / cnt
        mean[c] = m
        mean_x[c] = m
        mx = mean_x[c]  # in x's dtype: the elementwise work stays in float32 for float32 (SIMD width)
        ss = 0.0
        for n in range(N):
            ss += _row_sq_dev(xf, (n * C + c) * L, L, mx)
        v = ss / cnt
        var[c] = v
        k = w[c] / np.sqrt(v + eps)
        scale[c] = k
        shift[c] = b[c] - m * k
        sc, sh = scale[c], shift[c]  # in x's dtype, as backward's ReLU mask recomputes y
        for n in range(N):
            base = (n * C + c) * L
            for q in range(L):
                y = xf[u64(base + q)] * sc + sh
                if relu and y < 0:
                    y = 0
                of[u64(base + q)] = y


@njit(nogil=True, cache=True)
def _backward_channels(g, x, w, mean, invstd, scale, shift, relu, need_x, c0, c1, gx, gw, gb):
    N, C, L = x.shape
    xf, gf, gxf = x.reshape(-1), g.reshape(-1), gx.reshape(-1)
    cnt = N * L
    in_x_dtype = np.empty(2, x.dtype)  # casts the float64 sums back to x's dtype for the elementwise pass
    zero = np.zeros(1, g.dtype)[0]
    for c in range(c0, c1):
        m, istd, wc, sc, sh = mean[c], invstd[c], w[c], scale[c], shift[c]
        sg = 0.0
        sgx = 0.0
        for n in range(N):
            a, b = _row_grad_sums(gf, xf, (n * C + c) * L, L, m, istd, relu, sc, sh, zero)
            sg += a
            sgx += b
        gb[c], gw[c] = sg, sgx
        if need_x:
            k = wc * istd
            in_x_dtype[0], in_x_dtype[1] = sg / cnt, sgx / cnt
            a, d = in_x_dtype[0], in_x_dtype[1]
            for n in range(N):
                base = (n * C + c) * L
                for q in range(L):
                    xh = (xf[u64(base + q)] - m) * istd
                    gv = gf[u64(base + q)]
                    if relu and xf[u64(base + q)] * sc + sh <= 0:
                        gv = 0
                    gxf[u64(base + q)] = (gv - a - xh * d) * k


def _as3(a):
    return a.reshape(a.shape[0], a.shape[1], -1)


def _run(kernel_for_block, C, size):
    blocks = threadpool.blocks(C, threadpool.pool_size())
    # work counts elements x passes: a few passes per element make ~150k-element layers worth splitting
    threadpool.run(lambda items: [kernel_for_block(c0, c1) for c0, c1 in items], blocks, work=8 * size)


def _compute_dtype(dtype):
    """float16 is computed in float32 (Numba has no float16 arithmetic; torch does the same)."""
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)


def batch_norm_train_forward(x, w, b, eps, relu=False):
    """x (N, C, ...) C-contiguous float, w/b (C,) or None -> (out, mean, biased var, saved), all in x's
    dtype."""
    C, dtype = x.shape[1], x.dtype
    if _compute_dtype(dtype) != dtype:
        w, b = (None if a is None else a.astype(np.float32) for a in (w, b))
        out, mean, var, saved = batch_norm_train_forward(x.astype(np.float32), w, b, eps, relu)
        return out.astype(dtype), mean.astype(dtype), var.astype(dtype), saved + (dtype,)
    x3 = _as3(x)
    w = np.ones(C, x.dtype) if w is None else np.ascontiguousarray(w, x.dtype)
    b = np.zeros(C, x.dtype) if b is None else np.ascontiguousarray(b, x.dtype)
    out = np.empty_like(x)
    mean, var = np.empty(C), np.empty(C)  # float64: the statistics are accumulated in float64
    mean_x, scale, shift = np.empty(C, x.dtype), np.empty(C, x.dtype), np.empty(C, x.dtype)
    _run(lambda c0, c1: _forward_channels(x3, w, b, eps, relu, c0, c1, _as3(out), mean, mean_x, var, scale,
                                          shift), C, x.size)
    invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    return out, mean_x, var.astype(x.dtype), (x, w, mean_x, invstd, scale, shift, relu)


def batch_norm_train_backward(g, saved, need_x):
    """g like x, C-contiguous -> (gx | None, gw, gb) (gw, gb in x's dtype)."""
    if len(saved) == 8:  # computed in float32 for a float16 x; saved[7] is x's dtype
        gx, gw, gb = batch_norm_train_backward(np.ascontiguousarray(g, np.float32), saved[:7], need_x)
        return (None if gx is None else gx.astype(saved[7])), gw.astype(saved[7]), gb.astype(saved[7])
    x, w, mean, invstd, scale, shift, relu = saved
    C = x.shape[1]
    gx = np.empty_like(x) if need_x else np.empty((1, 1, 1), x.dtype)
    gw, gb = np.empty(C), np.empty(C)
    _run(lambda c0, c1: _backward_channels(_as3(g), _as3(x), w, mean, invstd, scale, shift, relu, need_x,
                                           c0, c1, _as3(gx), gw, gb), C, 2 * x.size)
    return (gx if need_x else None), gw.astype(x.dtype), gb.astype(x.dtype)
