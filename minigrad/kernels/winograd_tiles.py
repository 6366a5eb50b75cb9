"""Numba tile transforms of Winograd F(2x2, 3x3) (the GEMMs between them are in winograd.py).

Tile t of image n is (th, tw) with t = n*nth*ntw + th*ntw + tw; it covers output rows 2th, 2th+1 and
reads input rows 2th-1 .. 2th+2 (padding 1). Position p = 4a + b of the 4x4 transformed tile is the
stack index of the 16 GEMMs. Each plane is first copied into a zero-bordered scratch plane so that the
tile loops have no bounds tests. The 16 positions of a stack are ps elements apart, where ps is
chosen by the caller so that the 16 streams a tile loop reads or writes do not alias in the cache
(with ps a multiple of 4 KiB they all map to one L1 set). Arrays are C-contiguous and indexed flat with unsigned indices (a
signed index adds a wraparound check that blocks SIMD, see im2col.py).
"""
import numpy as np
from numba import njit
from numba import uint64 as u64


@njit(nogil=True, cache=True)
def input_tiles(x, nth, ntw, vf, ps, NT):
    """vf[p*ps + c*NT + t] = (B^T d B)[p] for the 4x4 input tile d of tile t (zero outside x)."""
    N, C, H, W = x.shape
    T1 = nth * ntw
    Hp, Wp = 2 * nth + 2, 2 * ntw + 2
    plane = np.zeros(Hp * Wp, dtype=x.dtype)
    xf = x.reshape(-1)
    for c in range(C):  # channel-major: each of the 16 streams then runs contiguously over the images
        for n in range(N):
            src = (n * C + c) * H * W
            for r in range(H):
                for q in range(W):
                    plane[u64((r + 1) * Wp + q + 1)] = xf[u64(src + r * W + q)]
            for th in range(nth):
                r0 = 2 * th * Wp
                dst = c * NT + n * T1 + th * ntw
                for tw in range(ntw):
                    b = r0 + 2 * tw
                    d00, d01, d02, d03 = plane[u64(b)], plane[u64(b + 1)], plane[u64(b + 2)], plane[u64(b + 3)]
                    b += Wp
                    d10, d11, d12, d13 = plane[u64(b)], plane[u64(b + 1)], plane[u64(b + 2)], plane[u64(b + 3)]
                    b += Wp
                    d20, d21, d22, d23 = plane[u64(b)], plane[u64(b + 1)], plane[u64(b + 2)], plane[u64(b + 3)]
                    b += Wp
                    d30, d31, d32, d33 = plane[u64(b)], plane[u64(b + 1)], plane[u64(b + 2)], plane[u64(b + 3)]
                    # rows: B^T d
                    e00, e01, e02, e03 = d00 - d20, d01 - d21, d02 - d22, d03 - d23
                    e10, e11, e12, e13 = d10 + d20, d11 + d21, d12 + d22, d13 + d23
                    e20, e21, e22, e23 = d20 - d10, d21 - d11, d22 - d12, d23 - d13
                    e30, e31, e32, e33 = d10 - d30, d11 - d31, d12 - d32, d13 - d33
                    o = u64(dst + tw)
                    # columns: (B^T d) B
                    vf[o] = e00 - e02
                    vf[o + ps] = e01 + e02
                    vf[o + 2 * ps] = e02 - e01
                    vf[o + 3 * ps] = e01 - e03
                    vf[o + 4 * ps] = e10 - e12
                    vf[o + 5 * ps] = e11 + e12
                    vf[o + 6 * ps] = e12 - e11
                    vf[o + 7 * ps] = e11 - e13
                    vf[o + 8 * ps] = e20 - e22
                    vf[o + 9 * ps] = e21 + e22
                    vf[o + 10 * ps] = e22 - e21
                    vf[o + 11 * ps] = e21 - e23
                    vf[o + 12 * ps] = e30 - e32
                    vf[o + 13 * ps] = e31 + e32
                    vf[o + 14 * ps] = e32 - e31
                    vf[o + 15 * ps] = e31 - e33


@njit(nogil=True, cache=True)
def output_tiles(mf, ps, NT, bias, nth, ntw, out):
    """out[n, co] tile t = A^T m[:, co, t] A + bias[co], cropped to out's H x W (m[p, co, t] at
    mf[p*ps + co*NT + t])."""
    N, C, H, W = out.shape
    T1 = nth * ntw
    Wp = 2 * ntw
    plane = np.empty(2 * nth * Wp, dtype=out.dtype)
    of = out.reshape(-1)
    for c in range(C):  # channel-major: each of the 16 streams then runs contiguously over the images
        for n in range(N):
            bc = bias[c]
            for th in range(nth):
                src = c * NT + n * T1 + th * ntw
                r0 = 2 * th * Wp
                for tw in range(ntw):
                    o = u64(src + tw)
                    m00, m01, m02, m03 = mf[o], mf[o + ps], mf[o + 2 * ps], mf[o + 3 * ps]
                    m10, m11, m12, m13 = mf[o + 4 * ps], mf[o + 5 * ps], mf[o + 6 * ps], mf[o + 7 * ps]
                    m20, m21, m22, m23 = mf[o + 8 * ps], mf[o + 9 * ps], mf[o + 10 * ps], mf[o + 11 * ps]
                    m30, m31, m32, m33 = mf[o + 12 * ps], mf[o + 13 * ps], mf[o + 14 * ps], mf[o + 15 * ps]
                    # rows: A^T m
                    r00, r01, r02, r03 = m00 + m10 + m20, m01 + m11 + m21, m02 + m12 + m22, m03 + m13 + m23
                    r10, r11, r12, r13 = m10 - m20 - m30, m11 - m21 - m31, m12 - m22 - m32, m13 - m23 - m33
                    b = u64(r0 + 2 * tw)
                    plane[b] = r00 + r01 + r02 + bc
                    plane[b + 1] = r01 - r02 - r03 + bc
                    plane[b + Wp] = r10 + r11 + r12 + bc
                    plane[b + Wp + 1] = r11 - r12 - r13 + bc
            dst = (n * C + c) * H * W
            for r in range(H):
                for q in range(W):
                    of[u64(dst + r * W + q)] = plane[u64(r * Wp + q)]


@njit(nogil=True, cache=True)
def output_grad_tiles(g, nth, ntw, mf, ps, NT):
    """gm[:, co, t] = A g_tile A^T for the 2x2 tile of g (zero outside g), stored like output_tiles'
    input: the adjoint of output_tiles."""
    N, C, H, W = g.shape
    T1 = nth * ntw
    Wp = 2 * ntw
    plane = np.zeros(2 * nth * Wp, dtype=g.dtype)
    gf = g.reshape(-1)
    for c in range(C):  # channel-major: each of the 16 streams then runs contiguously over the images
        for n in range(N):
            src = (n * C + c) * H * W
            for r in range(H):
                for q in range(W):
                    plane[u64(r * Wp + q)] = gf[u64(src + r * W + q)]
            for th in range(nth):
                dst = c * NT + n * T1 + th * ntw
                r0 = 2 * th * Wp
                for tw in range(ntw):
                    b = u64(r0 + 2 * tw)
                    y00, y01, y10, y11 = plane[b], plane[b + 1], plane[b + Wp], plane[b + Wp + 1]
                    # rows: A y  -> s0 = y0, s1 = y0 + y1, s2 = y0 - y1, s3 = -y1
                    s00, s01 = y00, y01
                    s10, s11 = y00 + y10, y01 + y11
                    s20, s21 = y00 - y10, y01 - y11
                    s30, s31 = -y10, -y11
                    o = u64(dst + tw)
                    # columns: (A y) A^T
                    mf[o] = s00
                    mf[o + ps] = s00 + s01
                    mf[o + 2 * ps] = s00 - s01
                    mf[o + 3 * ps] = -s01
                    mf[o + 4 * ps] = s10
                    mf[o + 5 * ps] = s10 + s11
                    mf[o + 6 * ps] = s10 - s11
                    mf[o + 7 * ps] = -s11
                    mf[o + 8 * ps] = s20
                    mf[o + 9 * ps] = s20 + s21
                    mf[o + 10 * ps] = s20 - s21
                    mf[o + 11 * ps] = -s21
                    mf[o + 12 * ps] = s30
                    mf[o + 13 * ps] = s30 + s31
                    mf[o + 14 * ps] = s30 - s31
                    mf[o + 15 * ps] = -s31
