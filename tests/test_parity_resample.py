"""Torch-parity lines and gradchecks for interpolate, pixel_shuffle/unshuffle, scaled_dot_product_attention and
their layers."""
import numpy as np
import pytest
import torch

import minigrad as mg
import minigrad.functional as F
from minigrad import nn
from op_helper import helper_test_op

TF = torch.nn.functional

INTERP = [
    ((1, 2, 5), dict(size=9, mode="nearest")),
    ((1, 2, 4, 5), dict(scale_factor=2, mode="nearest")),
    ((1, 2, 6, 5), dict(size=(4, 3), mode="nearest")),
    ((1, 1, 4, 5), dict(scale_factor=1.5, mode="nearest-exact")),
    ((2, 2, 5), dict(size=8, mode="linear", align_corners=False)),
    ((1, 2, 3, 4), dict(scale_factor=2, mode="bilinear", align_corners=False)),
    ((1, 2, 3, 4), dict(size=(5, 7), mode="bilinear", align_corners=True)),
    ((1, 1, 6, 7), dict(scale_factor=0.5, mode="bilinear")),
    ((1, 1, 2, 3, 2), dict(scale_factor=2, mode="trilinear")),
    ((1, 1, 2, 3, 2), dict(size=(3, 4, 5), mode="nearest")),
]


@pytest.mark.parametrize("shape,kw", INTERP, ids=[f"{s} {k}" for s, k in INTERP])
def test_interpolate(shape, kw):
    helper_test_op([shape], lambda x: TF.interpolate(x, **kw), lambda x: F.interpolate(x, **kw), name="interpolate")
    x = mg.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    assert mg.gradcheck(lambda t: F.interpolate(t, **kw), [x])


def test_interpolate_errors():
    x = mg.tensor(np.zeros((1, 1, 4)))
    with pytest.raises(NotImplementedError, match="bilinear"):
        F.interpolate(x, size=3, mode="bilinear")
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option"):
        F.interpolate(x, size=3, align_corners=True)


def test_pixel_shuffle_and_unshuffle():
    helper_test_op([(2, 8, 3, 2)], lambda x: TF.pixel_shuffle(x, 2), lambda x: F.pixel_shuffle(x, 2),
                   name="pixel_shuffle")
    helper_test_op([(2, 2, 6, 4)], lambda x: TF.pixel_unshuffle(x, 2), lambda x: F.pixel_unshuffle(x, 2),
                   name="pixel_unshuffle")
    helper_test_op([(9, 2, 2)], lambda x: TF.pixel_shuffle(x, 3), lambda x: F.pixel_shuffle(x, 3),
                   name="pixel_shuffle unbatched")
    x = mg.tensor(np.random.default_rng(1).standard_normal((1, 4, 2, 3)), requires_grad=True)
    assert mg.gradcheck(lambda t: F.pixel_unshuffle(F.pixel_shuffle(t, 2) * t.sum(), 2), [x])
    with pytest.raises(ValueError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(mg.tensor(np.zeros((1, 3, 2, 2))), 2)


@pytest.mark.parametrize("kw", [dict(), dict(is_causal=True), dict(scale=0.3), dict(mask="bool"),
                                dict(mask="float")])
def test_scaled_dot_product_attention(kw):
    kw = dict(kw)
    mask = kw.pop("mask", None)
    rng = np.random.default_rng(2)
    m = None if mask is None else (rng.uniform(size=(4, 6)) > 0.3) if mask == "bool" else rng.standard_normal((4, 6))
    if m is not None and mask == "bool":
        m[:, 0] = True                                   # no fully masked row

    def run(lib, attn):
        def fn(q, k, v):
            extra = {} if m is None else dict(attn_mask=torch.tensor(m) if lib is TF else m)
            if m is not None and mask == "float" and lib is TF:
                extra["attn_mask"] = extra["attn_mask"].to(q.dtype)
            return attn(q, k, v, **extra, **kw)
        return fn
    shapes = [(2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)]
    helper_test_op(shapes, run(TF, TF.scaled_dot_product_attention), run(F, F.scaled_dot_product_attention),
                   name="scaled_dot_product_attention")
    q, k, v = (mg.tensor(rng.standard_normal(s), requires_grad=True) for s in [(1, 4, 3), (1, 6, 3), (1, 6, 2)])
    assert mg.gradcheck(run(F, F.scaled_dot_product_attention), [q, k, v])


def test_resample_layers():
    x = np.random.default_rng(3).standard_normal((1, 4, 3, 2)).astype(np.float32)
    for ours, theirs in [(nn.Upsample(scale_factor=2, mode="bilinear"), torch.nn.Upsample(scale_factor=2, mode="bilinear")),
                         (nn.PixelShuffle(2), torch.nn.PixelShuffle(2)), (nn.PixelUnshuffle(1), torch.nn.PixelUnshuffle(1))]:
        np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
        assert repr(ours) == repr(theirs)


def test_scaled_dot_product_attention_grouped_heads_and_errors():
    helper_test_op([(2, 6, 3, 4), (2, 3, 5, 4), (2, 3, 5, 4)],
                   lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, enable_gqa=True),
                   lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True), name="sdpa gqa")
    q, k = mg.tensor(np.zeros((1, 5, 3, 4))), mg.tensor(np.zeros((1, 3, 3, 4)))
    with pytest.raises(RuntimeError, match="must divide the number of heads"):
        F.scaled_dot_product_attention(q, k, k, enable_gqa=True)
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(k, k, k, attn_mask=np.ones((3, 3), bool), is_causal=True)
