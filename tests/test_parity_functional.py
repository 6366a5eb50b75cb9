"""Torch-parity lines for minigrad.functional (activations, softmax family, dropout, padding, normalisation,
embedding): one torch-spelled lambda run on both libraries, forward and every input gradient, float32 and
float64. Values are kept away from the kinks of piecewise activations so finite precision cannot flip a branch."""
import numpy as np
import pytest
import torch

import minigrad as mg
import minigrad.functional as F
from op_helper import helper_test_op

TF = torch.nn.functional


def _away_from(points, shape, seed=0, margin=0.05, low=-4.0, high=4.0):
    """Random values in [low, high] at least `margin` from each kink point."""
    x = np.random.default_rng(seed).uniform(low, high, shape)
    for p in points:
        close = np.abs(x - p) < margin
        x[close] = p + np.where(x[close] >= p, margin, -margin) * 2
    return x


ACTIVATIONS = [
    ("relu", lambda f: lambda x: f.relu(x), [0]),
    ("relu6", lambda f: lambda x: f.relu6(x), [0, 6]),
    ("hardtanh", lambda f: lambda x: f.hardtanh(x, -0.5, 1.5), [-0.5, 1.5]),
    ("leaky_relu", lambda f: lambda x: f.leaky_relu(x, 0.2), [0]),
    ("elu", lambda f: lambda x: f.elu(x, alpha=0.7), [0]),
    ("selu", lambda f: lambda x: f.selu(x), [0]),
    ("celu", lambda f: lambda x: f.celu(x, alpha=1.3), [0]),
    ("gelu", lambda f: lambda x: f.gelu(x), []),
    ("gelu tanh", lambda f: lambda x: f.gelu(x, approximate="tanh"), []),
    ("silu", lambda f: lambda x: f.silu(x), []),
    ("mish", lambda f: lambda x: f.mish(x), []),
    ("softplus", lambda f: lambda x: f.softplus(x, beta=2.0, threshold=3.0), [1.5]),
    ("softsign", lambda f: lambda x: f.softsign(x), []),
    ("hardsigmoid", lambda f: lambda x: f.hardsigmoid(x), [-3, 3]),
    ("hardswish", lambda f: lambda x: f.hardswish(x), [-3, 3]),
    ("logsigmoid", lambda f: lambda x: f.logsigmoid(x), []),
    ("tanhshrink", lambda f: lambda x: f.tanhshrink(x), []),
    ("hardshrink", lambda f: lambda x: f.hardshrink(x, 0.7), [-0.7, 0.7]),
    ("softshrink", lambda f: lambda x: f.softshrink(x, 0.7), [-0.7, 0.7]),
    ("threshold", lambda f: lambda x: f.threshold(x, 0.3, -2.0), [0.3]),
    ("sigmoid", lambda f: lambda x: f.sigmoid(x), []),
    ("tanh", lambda f: lambda x: f.tanh(x), []),
]


# torch's float64 backward of celu rounds alpha to float32 (1 / alpha.toFloat()) and hardsigmoid's uses a
# float32 1/6: both are ~3e-8 off the exact float64 gradient that minigrad computes
RTOL = {"celu": {np.float32: 2e-5, np.float64: 1e-7}, "hardsigmoid": {np.float32: 2e-5, np.float64: 1e-7}}


@pytest.mark.parametrize("name,make,kinks", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, make, kinks):
    helper_test_op(None, make(TF), make(F), vals=[_away_from(kinks, (3, 5))], name=name, rtol=RTOL.get(name))


@pytest.mark.parametrize("name,make,kinks", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_at_its_kinks_and_extremes(name, make, kinks):
    """Exactly on the kinks (torch's edge rules), at 0 and at large magnitudes."""
    vals = np.array(sorted(set(kinks) | {0.0, -30.0, 30.0, -1e4, 1e4}), dtype=np.float64)
    helper_test_op(None, make(TF), make(F), vals=[vals], name=name + " kinks",
                   rtol=RTOL.get(name))


@pytest.mark.parametrize("name,make,kinks", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_gradcheck(name, make, kinks):
    x = mg.tensor(_away_from(kinks, (2, 3), seed=1, margin=0.01), requires_grad=True)
    assert mg.gradcheck(make(F), [x])


def test_activation_on_0d_and_integer_input():
    helper_test_op(None, lambda x: TF.gelu(x), lambda x: F.gelu(x), vals=[np.array(0.7)], name="gelu 0-d")
    with pytest.raises(TypeError, match="silu: expected a floating point input"):
        F.silu(mg.Tensor._wrap(np.arange(3)))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family(fn, dim):
    helper_test_op([(3, 4, 2)], lambda x: getattr(TF, fn)(x, dim=dim), lambda x: getattr(F, fn)(x, dim=dim),
                   low=-5, high=5, name=fn)
    x = mg.tensor(np.random.default_rng(2).standard_normal((2, 3)), requires_grad=True)
    assert mg.gradcheck(lambda t: getattr(F, fn)(t, dim), [x])


def test_softmax_positional_dim_dtype_and_implicit_dim():
    helper_test_op([(2, 3)], lambda x: TF.softmax(x, 0), lambda x: F.softmax(x, 0), name="softmax positional")
    helper_test_op([(2, 3)], lambda x: TF.log_softmax(x, 1, dtype=torch.float64),
                   lambda x: F.log_softmax(x, 1, dtype=np.float64), dtypes=(np.float64,), name="log_softmax dtype")
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = F.softmax(mg.tensor(np.zeros((2, 4))))
    np.testing.assert_allclose(out.numpy(), 0.25)          # torch's rule: dim 1 for 2-D input
    with pytest.raises(IndexError, match="dimension out of range"):
        F.softmax(mg.tensor(np.zeros((2, 4))), dim=2)
    with pytest.raises(TypeError, match="log_softmax: expected a floating point input"):
        F.log_softmax(mg.tensor([1, 2]), dim=0)
    np.testing.assert_allclose(F.softmax(mg.tensor([0, 0]), 0, dtype=mg.float32).numpy(), [0.5, 0.5])


@pytest.mark.parametrize("dim,keepdim", [(1, False), (1, True), ((0, 2), False), (-1, True)])
def test_logsumexp(dim, keepdim):
    helper_test_op([(3, 4, 2)], lambda x: torch.logsumexp(x, dim=dim, keepdim=keepdim),
                   lambda x: F.logsumexp(x, dim=dim, keepdim=keepdim), name="logsumexp")
    helper_test_op(None, lambda x: torch.logsumexp(x, dim=1), lambda x: F.logsumexp(x, dim=1),
                   vals=[np.array([[-np.inf, -np.inf], [np.inf, 1.0]])], forward_only=True, name="logsumexp inf")


@pytest.mark.parametrize("fn,shape", [("dropout", (200, 50)), ("dropout1d", (20, 30, 4)),
                                      ("dropout2d", (20, 30, 2, 2)), ("dropout2d", (30, 2, 2)),
                                      ("dropout3d", (20, 30, 2, 1, 2))])
def test_dropout_variants(fn, shape):
    mg.manual_seed(0)
    x = mg.tensor(np.ones(shape), requires_grad=True)
    out = getattr(F, fn)(x, p=0.3, training=True)
    vals = np.unique(out.numpy())
    np.testing.assert_allclose(vals, [0, 1 / 0.7])
    kept = (out.numpy() != 0).mean()
    assert abs(kept - 0.7) < 0.05
    if fn != "dropout":                                    # whole channels are zero or kept together
        spatial = int(fn[-2])
        per_channel = out.numpy().reshape(out.shape[:out.ndim - spatial] + (-1,))
        assert np.all(per_channel.min(axis=-1) == per_channel.max(axis=-1))
    out.sum().backward()
    np.testing.assert_allclose(x.grad, out.numpy())
    assert getattr(F, fn)(x, p=0.3, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        getattr(F, fn)(x, p=1.5)


PADS = [
    ("constant 1-D", (5,), (1, 2), "constant", None),
    ("constant 2 dims value", (2, 3, 4), (1, 0, 2, 3), "constant", 0.5),
    ("constant all 3 dims", (2, 3, 4), (1, 1, 0, 2, 3, 1), "constant", None),
    ("constant negative crops", (2, 3, 6), (-1, 2, 1, -1), "constant", None),
    ("reflect 1-D", (2, 3, 5), (2, 3), "reflect", None),
    ("reflect 2-D", (2, 2, 4, 5), (1, 3, 2, 0), "reflect", None),
    ("reflect unbatched", (2, 4, 5), (1, 1, 3, 2), "reflect", None),
    ("replicate 2-D", (1, 2, 3, 4), (2, 1, 3, 2), "replicate", None),
    ("replicate 3-D", (1, 1, 2, 3, 2), (1, 1, 2, 0, 1, 2), "replicate", None),
    ("circular 2-D", (1, 2, 3, 4), (2, 1, 3, 0), "circular", None),
    ("circular 1-D", (2, 2, 4), (4, 1), "circular", None),
]


@pytest.mark.parametrize("name,shape,pad,mode,value", PADS, ids=[p[0] for p in PADS])
def test_pad(name, shape, pad, mode, value):
    kw = dict(mode=mode) if value is None else dict(mode=mode, value=value)
    helper_test_op([shape], lambda x: TF.pad(x, pad, **kw), lambda x: F.pad(x, pad, **kw), name="pad " + name)
    x = mg.tensor(np.random.default_rng(3).standard_normal(shape), requires_grad=True)
    assert mg.gradcheck(lambda t: F.pad(t, pad, **kw), [x])


def test_pad_errors_like_torch():
    x = mg.tensor(np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="too large"):
        F.pad(x, (1,) * 8)
    with pytest.raises(ValueError, match="less than the corresponding input dimension"):
        F.pad(x, (3, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="unsupported mode"):
        F.pad(x, (1, 1), mode="edge")
    with pytest.raises(NotImplementedError, match="4-D or 5-D"):
        F.pad(mg.tensor(np.zeros((2, 2, 2))), (1, 1, 1, 1, 1, 1), mode="replicate")


@pytest.mark.parametrize("shape,norm", [((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((5, 6), 6)])
def test_layer_norm(shape, norm):
    ns = (norm,) if isinstance(norm, int) else norm
    helper_test_op([shape, ns, ns], lambda x, w, b: TF.layer_norm(x, ns, w, b, eps=1e-4),
                   lambda x, w, b: F.layer_norm(x, norm, w, b, eps=1e-4), name="layer_norm")
    helper_test_op([shape], lambda x: TF.layer_norm(x, ns), lambda x: F.layer_norm(x, ns), name="layer_norm no affine")
    x, w, b = (mg.tensor(np.random.default_rng(4).standard_normal(s), requires_grad=True) for s in (shape, ns, ns))
    assert mg.gradcheck(lambda *t: F.layer_norm(t[0], ns, t[1], t[2]), [x, w, b])
    with pytest.raises(ValueError, match=r"layer_norm: input of shape \(2, 3, 4\) does not end with"):
        F.layer_norm(mg.tensor(np.zeros((2, 3, 4))), (3,))


def test_group_and_instance_norm():
    helper_test_op([(2, 6, 3, 2), (6,), (6,)], lambda x, w, b: TF.group_norm(x, 3, w, b),
                   lambda x, w, b: F.group_norm(x, 3, w, b), name="group_norm")
    helper_test_op([(2, 4, 5), (4,), (4,)], lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
                   lambda x, w, b: F.instance_norm(x, weight=w, bias=b), name="instance_norm")
    x, w, b = (mg.tensor(np.random.default_rng(5).standard_normal(s), requires_grad=True)
               for s in ((2, 4, 3), (4,), (4,)))
    assert mg.gradcheck(lambda *t: F.group_norm(t[0], 2, t[1], t[2]), [x, w, b])
    assert mg.gradcheck(lambda *t: F.instance_norm(t[0], weight=t[1], bias=t[2]), [x, w, b])


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1), (float("inf"), 1)])
def test_normalize(p, dim):
    helper_test_op([(3, 4, 2)], lambda x: TF.normalize(x, p=p, dim=dim), lambda x: F.normalize(x, p=p, dim=dim),
                   name="normalize")
    x = mg.tensor(np.random.default_rng(6).standard_normal((2, 3)), requires_grad=True)
    assert mg.gradcheck(lambda t: F.normalize(t, p=p, dim=dim if dim != -1 else 1), [x])


def test_normalize_below_eps_and_cosine_similarity():
    vals = [np.array([[0.0, 0.0], [1e-14, -2e-14], [3.0, 4.0]])]
    helper_test_op(None, lambda x: TF.normalize(x, dim=1), lambda x: F.normalize(x, dim=1), vals=vals,
                   name="normalize tiny")
    helper_test_op([(3, 5), (3, 5)], lambda a, b: TF.cosine_similarity(a, b), lambda a, b: F.cosine_similarity(a, b),
                   name="cosine_similarity")
    helper_test_op([(4, 3), (1, 3)], lambda a, b: TF.cosine_similarity(a, b, dim=-1),
                   lambda a, b: F.cosine_similarity(a, b, dim=-1), name="cosine_similarity broadcast")
    a, b = (mg.tensor(np.random.default_rng(s).standard_normal((3, 4)), requires_grad=True) for s in (11, 12))
    assert mg.gradcheck(lambda u, v: F.cosine_similarity(u, v), [a, b])


def test_prelu_and_glu():
    helper_test_op(None, lambda x, w: TF.prelu(x, w), lambda x, w: F.prelu(x, w),
                   vals=[_away_from([0], (2, 3, 4)), np.array([0.1, 0.3, -0.2])], name="prelu")
    helper_test_op(None, lambda x, w: TF.prelu(x, w), lambda x, w: F.prelu(x, w),
                   vals=[_away_from([0], (2, 3)), np.array([0.25])], name="prelu shared")
    helper_test_op([(2, 6, 3)], lambda x: TF.glu(x, dim=1), lambda x: F.glu(x, dim=1), name="glu")
    x = mg.tensor(_away_from([0], (2, 3, 2), seed=8), requires_grad=True)
    w = mg.tensor(np.array([0.1, 0.3, -0.2]), requires_grad=True)
    assert mg.gradcheck(lambda a, b: F.prelu(a, b), [x, w])
    assert mg.gradcheck(lambda a: F.glu(a, dim=1), [mg.tensor(np.random.default_rng(13).standard_normal((2, 4)),
                                                              requires_grad=True)])


def test_embedding():
    idx = np.array([[0, 3, 3], [2, 0, 4]])
    helper_test_op([(5, 3)], lambda w: TF.embedding(torch.tensor(idx), w), lambda w: F.embedding(idx, w),
                   name="embedding")
    helper_test_op([(5, 3)], lambda w: TF.embedding(torch.tensor(idx), w, padding_idx=3),
                   lambda w: F.embedding(idx, w, padding_idx=3), name="embedding padding_idx")
    w = mg.tensor(np.random.default_rng(9).standard_normal((5, 3)), requires_grad=True)
    assert mg.gradcheck(lambda t: F.embedding(idx, t), [w])     # padding_idx is not a derivative: torch above
    with pytest.raises(IndexError, match="index out of range"):
        F.embedding(np.array([0, 5]), w)
    with pytest.raises(TypeError, match="embedding: expected indices of an integer dtype"):
        F.embedding(np.array([0.0, 1.0]), w)


def test_embedding_max_norm_renormalises_looked_up_rows_like_torch():
    rng = np.random.default_rng(10)
    wt, idx = rng.standard_normal((6, 4)) * 3, np.array([1, 1, 4])
    tw, mw = torch.tensor(wt), mg.tensor(wt.copy())
    out_t = TF.embedding(torch.tensor(idx), tw, max_norm=1.5)
    out_m = F.embedding(idx, mw, max_norm=1.5)
    np.testing.assert_allclose(out_m.numpy(), out_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(mw.numpy(), tw.numpy(), rtol=1e-12)


def test_one_hot():
    idx = np.array([[0, 3], [2, 1]])
    for nc in (-1, 6):
        expected = TF.one_hot(torch.tensor(idx), nc).numpy()
        got = F.one_hot(idx, nc).numpy()
        assert got.dtype == np.int64 and np.array_equal(got, expected)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(np.array([-1, 0]))
    with pytest.raises(ValueError, match="smaller than num_classes"):
        F.one_hot(np.array([0, 3]), 3)
    with pytest.raises(TypeError, match="integer dtype"):
        F.one_hot(np.array([0.0, 1.0]))


def test_linear_shapes_and_errors():
    helper_test_op([(2, 3, 4), (5, 4), (5,)], lambda x, w, b: TF.linear(x, w, b), lambda x, w, b: F.linear(x, w, b),
                   name="linear")
    helper_test_op([(4,), (5, 4)], lambda x, w: TF.linear(x, w), lambda x, w: F.linear(x, w), name="linear 1-D input")
    helper_test_op([(2, 4), (4,)], lambda x, w: TF.linear(x, w), lambda x, w: F.linear(x, w),
                   name="linear 1-D weight")
    x = mg.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"linear: mat1 and mat2 shapes cannot be multiplied \(2x3 and 5x4\)"):
        F.linear(x, mg.tensor(np.zeros((4, 5))))
    with pytest.raises(ValueError, match=r"linear: bias of shape \(3,\) does not match the 4 output features"):
        F.linear(x, mg.tensor(np.zeros((4, 3))), mg.tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"linear: expected a 1-D or 2-D weight"):
        F.linear(x, mg.tensor(np.zeros((4, 3, 1))))
    with pytest.raises(ValueError, match="takes no bias"):
        F.linear(x, mg.tensor(np.zeros(3)), mg.tensor(np.zeros(1)))


NEGATIVE_PADS = [
    ((3, 3, 3, 3), (-1, 2, -3, 4), dict(value=-np.inf)), ((3, 3, 3, 3), (1, 2, 3, 4), dict(value=np.inf)),
    ((1, 1, 5, 5), (3, -3, 0, -3), dict(mode="reflect")), ((1, 1, 5, 5), (3, -5, 1, -5), dict(mode="reflect")),
    ((1, 1, 5, 5), (4, 4, 0, 4), dict(mode="reflect")), ((3, 3, 3, 3), (-1, 2, 2, -1), dict(mode="replicate")),
    ((1, 1, 5, 5), (3, 11, 0, 30), dict(mode="replicate")), ((1, 1, 5, 5), (1, -2, 2, -1), dict(mode="circular")),
    ((1, 1, 5, 5), (-2, 1, 2, -3), dict(mode="circular")), ((1, 1, 5, 5, 5), (1, 2, 3, 5, 1, 2), dict(mode="circular")),
]


# infinite padding makes the helper's summed loss inf - inf = nan (in torch as well); the input gradients stay finite
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("shape,pad,kw", NEGATIVE_PADS, ids=[f"{p} {k}" for _, p, k in NEGATIVE_PADS])
def test_pad_negative_and_large(shape, pad, kw):
    """Negative pads crop (circular crops first, then wraps what is left), as in torch."""
    helper_test_op([shape], lambda x: TF.pad(x, pad, **kw), lambda x: F.pad(x, pad, **kw), name="pad crop")


def test_shape_errors_are_runtime_errors_like_torch():
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(mg.tensor(np.zeros((3, 3))), (2, 0, 2))
    with pytest.raises(RuntimeError, match="wrapping|exceeds"):
        F.pad(mg.tensor(np.zeros((1, 1, 5, 5))), (3, 6, 0, 0), mode="circular")
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        F.linear(mg.tensor(np.zeros((2, 3))), mg.tensor(np.zeros((4, 5))))


def test_alpha_dropout_keeps_selu_statistics_like_torch():
    x = np.random.default_rng(14).standard_normal(200000)
    mg.manual_seed(0)
    ours = F.alpha_dropout(mg.tensor(x), p=0.2, training=True).numpy()
    theirs = TF.alpha_dropout(torch.tensor(x), p=0.2, training=True).numpy()
    for stat in (np.mean, np.std):
        assert abs(stat(ours) - stat(theirs)) < 0.02
    sat = -1.7580993408473766
    a = (0.8 * (1 + 0.2 * sat ** 2)) ** -0.5
    b = -a * sat * 0.2
    kept = np.isclose(ours, a * x + b)
    assert abs(kept.mean() - 0.8) < 0.01 and np.allclose(ours[~kept], a * sat + b)
    xt = mg.tensor(x[:10], requires_grad=True)
    assert F.alpha_dropout(xt, 0.2, training=False) is xt
    F.alpha_dropout(xt, 0.2, training=True).sum().backward()
    assert set(np.round(np.unique(xt.grad.numpy()), 6)) <= {0.0, round(a, 6)}
    assert repr(mg.nn.AlphaDropout(0.2)) == repr(torch.nn.AlphaDropout(0.2))
