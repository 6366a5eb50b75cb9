"""3x3, stride-1, padding-1 convolution by Winograd F(2x2, 3x3): forward and both backward passes.

Each 2x2 output tile is computed from a 4x4 input tile with 16 multiplications per (Cout, Cin) pair
instead of 36 (2.25x fewer GEMM flops than im2col):
    forward      Y = A^T [ U (.) V ] A,   U = G w G^T (per Cout, Cin),  V = B^T d B (per input tile)
For every one of the 16 tile positions p the (.) summed over Cin is one GEMM: M[p] = U[p] @ V[p],
(Cout, Cin) @ (Cin, tiles). The three transforms are Numba loops (winograd_tiles.py), the 16 GEMMs
a batched sgemm (np.matmul over a stack).
    input grad   the same forward with the flipped, transposed kernel (a 3x3 'same' conv again)
    weight grad  gU[p] = sum over tiles (A gY A^T)[p] @ V[p]^T,  gW = G^T gU G
Float32 relative error against a float64 reference is ~5e-7 (tests/test_winograd.py bounds it);
float64 convolutions never come here (conv.py keeps the exact im2col path for gradient checks).
Chunks of images run on threadpool's workers exactly like conv.py; the weight-gradient partial sums
are dealt statically (ordered=True), so float32 training stays bitwise reproducible.
"""
import numpy as np

from . import gemm, threadpool
from .winograd_tiles import input_tiles, output_tiles, output_grad_tiles

# F(2x2, 3x3)'s kernel transform (Lavin & Gray 2016); B^T and A^T are written out in winograd_tiles.py.
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


class WinogradSaved:
    """What backward needs: the input, the weight and its transform U (input transforms are recomputed)."""

    def __init__(self, x, w, u):
        self.x, self.w, self.u = x, w, u


def _kron(dtype):
    """(16, 9): row 4a + b, column 3i + j holds G[a, i] G[b, j], so U = G w G^T is one GEMM."""
    return np.kron(G, G).astype(dtype)


def weight_tiles(w):
    """(Cout, Cin, 3, 3) -> U (16, Cout, Cin) = G w G^T per pair, position-major for the GEMMs."""
    Co, Ci = w.shape[:2]
    return gemm.matmul(_kron(w.dtype), w.reshape(Co * Ci, 9).T).reshape(16, Co, Ci)


def weight_from_tiles(gu):
    """The adjoint of weight_tiles: gU (16, Cout, Cin) -> gW (Cout, Cin, 3, 3) = G^T gU G."""
    _, Co, Ci = gu.shape
    return gemm.matmul(gu.reshape(16, Co * Ci).T, _kron(gu.dtype)).reshape(Co, Ci, 3, 3)


# Flipping the kernel (w[.., 2-i, 2-j]) reverses G's columns, which equals swapping G's rows 0 and 3
# (rows 1 and 2 are palindromes). So the flipped kernel's U is U with tile rows and columns 0 <-> 3
# swapped: a permutation of the 16 positions, no second weight transform.
_ROW = (3, 1, 2, 0)
FLIP_POSITIONS = np.array([4 * _ROW[a] + _ROW[b] for a in range(4) for b in range(4)])


def _tiles(H, W):
    return (H + 1) // 2, (W + 1) // 2


def _chunking(N, Cin, Cout, tiles_per_image, itemsize):
    from .conv import _images_per_chunk  # same cache/GEMM-width rule; deferred import (conv imports us)
    return _images_per_chunk(N, 16 * Cin, 16 * Cout, tiles_per_image, itemsize)


def _stack(n, NT, dtype):
    """A (16, n, NT) stack of matrices whose position stride ps is a multiple of 4 KiB plus 64 B, so the
    16 streams of a tile loop start 64 B apart modulo 4 KiB and fall into 16 different cache sets, not
    one. -> (flat buffer, ps in elements, view). 4 KiB-aliased streams made the transforms 3-7x slower."""
    line = 4096 // np.dtype(dtype).itemsize
    ps = -(-(n * NT) // line) * line + 64 // np.dtype(dtype).itemsize
    flat = np.empty(16 * ps, dtype=dtype)
    return flat, ps, flat.reshape(16, ps)[:, :n * NT].reshape(16, n, NT)


def _conv_same(x, u, bias, out, flipped=False):
    """out (N, Co, H, W) = the 3x3 'same' conv whose transformed kernel is u (16, Co, Ci), or with
    flipped=True the conv whose kernel is u's flip read transposed: position p's matrix is
    u[FLIP_POSITIONS[p]].T, a view (16 BLAS calls instead of one batched call, and no copy of u)."""
    N, Ci, H, W = x.shape
    Co = u.shape[2] if flipped else u.shape[1]
    nth, ntw = _tiles(H, W)
    T1 = nth * ntw
    B = _chunking(N, Ci, Co, T1, x.itemsize)

    def task(starts):
        bufs = {}
        for n0 in starts:
            nb = min(B, N - n0)
            if nb not in bufs:  # at most two sizes: full chunks and the last one
                bufs[nb] = _stack(Ci, nb * T1, x.dtype), _stack(Co, nb * T1, x.dtype)
            (vf, vps, v), (mf, mps, m) = bufs[nb]
            input_tiles(x[n0:n0 + nb], nth, ntw, vf, vps, nb * T1)
            if flipped:
                for p, q in enumerate(FLIP_POSITIONS):
                    np.matmul(u[q].T, v[p], out=m[p])
            else:
                np.matmul(u, v, out=m)
            output_tiles(mf, mps, nb * T1, bias, nth, ntw, out[n0:n0 + nb])

    threadpool.run(task, list(range(0, N, B)), needs_blas=True, work=2 * 16 * N * T1 * Co * Ci)
    return out


def conv3x3_forward(x, w, b):
    """x (N, Cin, H, W) float32 C-contiguous, w (Cout, Cin, 3, 3), b (Cout,) or None -> (out, saved)."""
    N, _, H, W = x.shape
    Co = w.shape[0]
    bias = np.zeros(Co, dtype=x.dtype) if b is None else b
    out = np.empty((N, Co, H, W), dtype=x.dtype)
    u = weight_tiles(w)
    _conv_same(x, u, bias, out)
    return out, WinogradSaved(x, w, u)


def conv3x3_backward(gout, saved, need_x, need_w, need_b):
    """gout (N, Cout, H, W) C-contiguous, of x's dtype -> (gx | None, gw | None, gb | None)."""
    x, w = saved.x, saved.w
    N, Ci, H, W = x.shape
    Co = w.shape[0]
    gb = gout.sum(axis=(0, 2, 3)) if need_b else None
    gx = gw = None
    if need_x:  # the adjoint of a 'same' 3x3 conv is the 'same' conv with w[co, ci, 2-i, 2-j] as (ci, co)
        gx = np.empty_like(x)
        _conv_same(gout, saved.u, np.zeros(Ci, dtype=x.dtype), gx, flipped=True)
    if need_w:
        gw = _weight_grad(x, gout, Co).astype(x.dtype, copy=False)
    return gx, gw, gb


def _weight_grad(x, gout, Co):
    N, Ci, H, W = x.shape
    nth, ntw = _tiles(H, W)
    T1 = nth * ntw
    B = _chunking(N, Ci, Co, T1, x.itemsize)

    def task(starts):
        bufs = {}
        gu_acc = np.empty((16, Co, Ci), dtype=x.dtype)
        gu_c = None
        for n0 in starts:
            nb = min(B, N - n0)
            if nb not in bufs:
                bufs[nb] = _stack(Ci, nb * T1, x.dtype), _stack(Co, nb * T1, x.dtype)
            (vf, vps, v), (gmf, gps, gm) = bufs[nb]
            input_tiles(x[n0:n0 + nb], nth, ntw, vf, vps, nb * T1)
            output_grad_tiles(gout[n0:n0 + nb], nth, ntw, gmf, gps, nb * T1)
            if gu_c is None:  # the worker's first chunk writes its partial sum itself
                np.matmul(gm, v.transpose(0, 2, 1), out=gu_acc)
                gu_c = np.empty_like(gu_acc)
            else:
                gu_acc += np.matmul(gm, v.transpose(0, 2, 1), out=gu_c)
        return gu_acc if gu_c is not None else np.zeros_like(gu_acc)

    # ordered: each worker's partial sum covers a fixed set of chunks (bitwise-reproducible gW)
    partials = threadpool.run(task, list(range(0, N, B)), needs_blas=True,
                              work=2 * 16 * N * T1 * Co * Ci, ordered=True)
    return weight_from_tiles(threadpool.sum_partials(partials))
