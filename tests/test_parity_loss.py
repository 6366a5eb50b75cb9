"""Torch-parity lines and float64 gradchecks for the losses, with torch's keyword arguments."""
import numpy as np
import pytest
import torch

import minigrad as mg
import minigrad.functional as F
from op_helper import helper_test_op

TF = torch.nn.functional
RNG = np.random.default_rng(7)
T_2D = RNG.integers(0, 5, 6)                     # targets for (6, 5) scores
T_ND = RNG.integers(0, 4, (2, 3, 2))             # targets for (2, 4, 3, 2) scores
T_IGN = np.array([0, -100, 4, 2, -100, 1])       # two ignored rows
W5 = RNG.uniform(0.2, 2.0, 5)


def both(target, weight=None):
    """The same constants for both libraries: torch tensors for torch, ndarrays for minigrad."""
    tt = torch.tensor(target)
    tw = None if weight is None else torch.tensor(weight)
    return (tt, tw), (target, weight)


CE_CASES = [
    ("mean", dict(), (6, 5), T_2D),
    ("sum", dict(reduction="sum"), (6, 5), T_2D),
    ("none", dict(reduction="none"), (6, 5), T_2D),
    ("weight", dict(weight=W5), (6, 5), T_2D),
    ("weight sum", dict(weight=W5, reduction="sum"), (6, 5), T_2D),
    ("ignore_index", dict(ignore_index=-100), (6, 5), T_IGN),
    ("ignore_index weight none", dict(weight=W5, reduction="none"), (6, 5), T_IGN),
    ("ignore_index 3", dict(ignore_index=3), (6, 5), np.array([3, 3, 0, 1, 2, 4])),
    ("smoothing", dict(label_smoothing=0.2), (6, 5), T_2D),
    ("smoothing weight ignore", dict(label_smoothing=0.3, weight=W5), (6, 5), T_IGN),
    ("smoothing none", dict(label_smoothing=0.1, reduction="none"), (6, 5), T_IGN),
    ("smoothing sum", dict(label_smoothing=0.1, reduction="sum", weight=W5), (6, 5), T_2D),
    ("N C d1 d2", dict(), (2, 4, 3, 2), T_ND),
    ("N C d1 d2 none weight", dict(reduction="none", weight=W5[:4]), (2, 4, 3, 2), T_ND),
    ("N C d1 d2 smoothing", dict(label_smoothing=0.25), (2, 4, 3, 2), T_ND),
    ("unbatched", dict(), (5,), np.array(3)),
]


def _kwargs(kw, x):
    """kw with the class weights in x's dtype, as a torch tensor for torch."""
    out = dict(kw)
    if "weight" in out and isinstance(x, torch.Tensor):
        out["weight"] = torch.tensor(out["weight"], dtype=x.dtype)
    return out


@pytest.mark.parametrize("name,kw,shape,target", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_cross_entropy(name, kw, shape, target):
    helper_test_op([shape], lambda x: TF.cross_entropy(x, torch.tensor(target), **_kwargs(kw, x)),
                   lambda x: F.cross_entropy(x, target, **_kwargs(kw, x)), low=-3, high=3,
                   name="cross_entropy " + name)


@pytest.mark.parametrize("name,kw,shape,target", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_nll_loss(name, kw, shape, target):
    if "label_smoothing" in kw:
        return
    helper_test_op([shape], lambda x: TF.nll_loss(x, torch.tensor(target), **_kwargs(kw, x)),
                   lambda x: F.nll_loss(x, target, **_kwargs(kw, x)), low=-3, high=0,
                   name="nll_loss " + name)


@pytest.mark.parametrize("kw", [dict(), dict(weight=W5), dict(label_smoothing=0.2), dict(reduction="none"),
                                dict(reduction="sum", weight=W5, label_smoothing=0.1)])
def test_cross_entropy_probability_targets(kw):
    """Class probabilities shaped like the input; the gradient reaches the probabilities too."""
    probs = RNG.dirichlet(np.ones(5), 6)
    helper_test_op(None, lambda x, p: TF.cross_entropy(x, p, **_kwargs(kw, x)),
                   lambda x, p: F.cross_entropy(x, p, **_kwargs(kw, x)),
                   vals=[RNG.uniform(-3, 3, (6, 5)), probs], name="cross_entropy probabilities")
    helper_test_op(None, lambda x, p: TF.cross_entropy(x, p, **_kwargs(kw, x)),
                   lambda x, p: F.cross_entropy(x, p, **_kwargs(kw, x)),
                   vals=[RNG.uniform(-3, 3, (2, 5, 3)), RNG.dirichlet(np.ones(5), (2, 3)).transpose(0, 2, 1)],
                   name="cross_entropy probabilities N C d")


def test_cross_entropy_all_ignored_and_empty_give_nan_like_torch():
    helper_test_op([(2, 3)], lambda x: TF.cross_entropy(x, torch.tensor([-100, -100])),
                   lambda x: F.cross_entropy(x, np.array([-100, -100])), forward_only=True, name="ce all ignored")
    helper_test_op([(0, 3)], lambda x: TF.cross_entropy(x, torch.zeros(0, dtype=torch.int64)),
                   lambda x: F.cross_entropy(x, np.zeros(0, np.int64)), forward_only=True, name="ce empty")


def test_cross_entropy_and_nll_gradcheck():
    x = mg.tensor(RNG.standard_normal((2, 4, 3)), requires_grad=True)
    t = RNG.integers(0, 4, (2, 3))
    t[0, 1] = -100
    w = RNG.uniform(0.5, 2, 4)
    for kw in (dict(), dict(weight=w), dict(label_smoothing=0.2, weight=w), dict(reduction="none")):
        assert mg.gradcheck(lambda a: F.cross_entropy(a, t, **kw), [x])
        if "label_smoothing" not in kw:
            assert mg.gradcheck(lambda a: F.nll_loss(a, t, **kw), [x])
    p = mg.tensor(RNG.dirichlet(np.ones(4), (2, 3)).transpose(0, 2, 1).copy(), requires_grad=True)
    assert mg.gradcheck(lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=0.1), [x, p])


def test_cross_entropy_errors_name_the_op_and_shapes():
    x = mg.tensor(np.zeros((3, 4), np.float32))
    with pytest.raises(IndexError, match=r"cross_entropy: target 4 is out of bounds.*\[0, 4\).*\(3, 4\)"):
        F.cross_entropy(x, np.array([0, 1, 4]))
    with pytest.raises(IndexError, match="out of bounds"):
        F.nll_loss(x, np.array([0, -1, 2]))
    with pytest.raises(TypeError, match="cross_entropy: expected target of integer class indices.*bool"):
        F.cross_entropy(x, np.array([True, False, True]))
    with pytest.raises(TypeError, match="complex"):
        F.cross_entropy(np.zeros((3, 4), np.complex64), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="cross_entropy: expected a floating point input"):
        F.cross_entropy(mg.Tensor._wrap(np.zeros((3, 4), np.int64)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) given for 4 classes"):
        F.cross_entropy(x, np.array([0, 1, 2]), weight=np.ones(3))
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction"):
        F.cross_entropy(x, np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, np.array([0, 1, 2]), label_smoothing=1.5)


@pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated:UserWarning")   # torch's
def test_legacy_size_average_and_reduce_flags():
    helper_test_op([(4, 3)], lambda x: TF.nll_loss(x, torch.tensor([0, 2, 1, 1]), size_average=False),
                   lambda x: F.nll_loss(x, np.array([0, 2, 1, 1]), size_average=False), name="nll size_average")


PAIR_LOSSES = [
    ("mse_loss", dict(), None),
    ("mse_loss", dict(reduction="sum"), None),
    ("mse_loss", dict(reduction="none"), None),
    ("l1_loss", dict(), None),
    ("l1_loss", dict(reduction="none"), None),
    ("smooth_l1_loss", dict(), None),
    ("smooth_l1_loss", dict(beta=0.5, reduction="sum"), None),
    ("smooth_l1_loss", dict(beta=0.0), None),
    ("huber_loss", dict(delta=0.7), None),
    ("huber_loss", dict(delta=1.5, reduction="none"), None),
    ("soft_margin_loss", dict(), "sign"),
    ("kl_div", dict(reduction="batchmean"), "prob"),
    ("kl_div", dict(reduction="sum", log_target=True), "logprob"),
    ("binary_cross_entropy", dict(), "prob in"),
    ("binary_cross_entropy", dict(reduction="none"), "prob in"),
    ("binary_cross_entropy_with_logits", dict(), "prob"),
    ("binary_cross_entropy_with_logits", dict(reduction="sum"), "prob"),
]


def _pair_values(fn, kind, shape):
    a, b = RNG.uniform(-2, 2, shape), RNG.uniform(-2, 2, shape)
    if kind == "sign":
        b = np.sign(b)
    elif kind == "prob":
        b = RNG.uniform(0.05, 0.95, shape)
        a = np.log(RNG.uniform(0.05, 0.95, shape)) if fn == "kl_div" else a
    elif kind == "logprob":
        a, b = np.log(RNG.uniform(0.05, 0.95, shape)), np.log(RNG.uniform(0.05, 0.95, shape))
    elif kind == "prob in":
        a, b = RNG.uniform(0.05, 0.95, shape), RNG.uniform(0, 1, shape)
    return [a, b]


@pytest.mark.parametrize("fn,kw,kind", PAIR_LOSSES, ids=[f"{c[0]} {c[1]}" for c in PAIR_LOSSES])
def test_pointwise_loss(fn, kw, kind):
    """Gradients reach both the input and the target, as in torch."""
    vals = _pair_values(fn, kind, (3, 4))
    if fn == "soft_margin_loss":               # torch has no gradient for its target
        helper_test_op(None, lambda a: TF.soft_margin_loss(a, torch.tensor(vals[1], dtype=a.dtype), **kw),
                       lambda a: F.soft_margin_loss(a, vals[1], **kw), vals=vals[:1], name=fn)
    else:
        helper_test_op(None, lambda a, b: getattr(TF, fn)(a, b, **kw), lambda a, b: getattr(F, fn)(a, b, **kw),
                       vals=vals, name=fn)
    x, y = (mg.tensor(v, requires_grad=True) for v in vals)
    assert mg.gradcheck(lambda a, b: getattr(F, fn)(a, b, **kw), [x, y])


@pytest.mark.parametrize("kw", [dict(weight=RNG.uniform(0.5, 2, (4,))), dict(pos_weight=RNG.uniform(0.5, 3, (4,))),
                                dict(weight=RNG.uniform(0.5, 2, (3, 1)), pos_weight=RNG.uniform(0.5, 3, (4,)),
                                     reduction="none")])
def test_binary_cross_entropy_with_logits_weights(kw):
    def tkw(a):
        return {k: torch.tensor(v, dtype=a.dtype) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    vals = [RNG.uniform(-4, 4, (3, 4)), RNG.uniform(0, 1, (3, 4))]
    helper_test_op(None, lambda a, b: TF.binary_cross_entropy_with_logits(a, b, **tkw(a)),
                   lambda a, b: F.binary_cross_entropy_with_logits(a, b, **kw), vals=vals, name="bce_with_logits")
    x, y = (mg.tensor(v, requires_grad=True) for v in vals)
    assert mg.gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, **kw), [x, y])
    big = [np.array([-200.0, -30.0, 0.0, 30.0, 200.0]), np.array([0.0, 1.0, 0.5, 0.0, 1.0])]
    helper_test_op(None, lambda a, b: TF.binary_cross_entropy_with_logits(a, b),
                   lambda a, b: F.binary_cross_entropy_with_logits(a, b), vals=big, name="bce_with_logits extremes")


def test_binary_cross_entropy_weight_edges_and_errors():
    w = RNG.uniform(0.5, 2, (3, 1))
    vals = [RNG.uniform(0.05, 0.95, (3, 4)), RNG.uniform(0, 1, (3, 4))]
    helper_test_op(None, lambda a, b: TF.binary_cross_entropy(a, b, weight=torch.tensor(w, dtype=a.dtype)),
                   lambda a, b: F.binary_cross_entropy(a, b, weight=w), vals=vals, name="bce weight")
    edges = [np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 0.5])]
    helper_test_op(None, lambda a, b: TF.binary_cross_entropy(a, b), lambda a, b: F.binary_cross_entropy(a, b),
                   vals=edges, forward_only=True, name="bce at 0 and 1")
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(mg.tensor([0.5, 1.5]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"):
        F.mse_loss(mg.tensor(np.zeros((4, 1))), np.zeros(4))


SIGNS = np.array([1.0, -1.0, -1.0, 1.0])
MARGIN_CASES = [
    ("margin_ranking_loss", [(4,), (4,)], lambda lib, x: dict(target=_c(lib, SIGNS, x), margin=0.3), {}),
    ("hinge_embedding_loss", [(4, 3)], lambda lib, x: dict(target=_c(lib, np.tile(SIGNS[:, None], 3), x)),
     dict(reduction="sum")),
    ("cosine_embedding_loss", [(4, 5), (4, 5)], lambda lib, x: dict(target=_c(lib, SIGNS, x), margin=0.1), {}),
    ("pairwise_distance", [(4, 5), (4, 5)], lambda lib, x: dict(p=3.0), {}),
    ("triplet_margin_loss", [(4, 5), (4, 5), (4, 5)], lambda lib, x: dict(margin=2.0), {}),
    ("triplet_margin_loss", [(4, 5), (4, 5), (4, 5)], lambda lib, x: dict(swap=True, p=1), dict(reduction="none")),
    ("multilabel_soft_margin_loss", [(4, 3)],
     lambda lib, x: dict(target=_c(lib, (SIGNS[:, None] * np.array([1, -1, 1]) > 0).astype(float), x)), {}),
    ("poisson_nll_loss", [(4, 3)], lambda lib, x: dict(target=_c(lib, np.arange(12.0).reshape(4, 3) / 3, x)), {}),
    ("poisson_nll_loss", [(4, 3)],
     lambda lib, x: dict(target=_c(lib, np.arange(12.0).reshape(4, 3) / 3, x), log_input=False, full=True), {}),
    ("gaussian_nll_loss", [(4, 3), (4, 3)], lambda lib, x: dict(var=_c(lib, np.linspace(0.2, 2, 4)[:, None], x)),
     dict(full=True)),
]


def _c(lib, values, like_x):
    """A constant in x's dtype for either library."""
    return torch.tensor(values, dtype=like_x.dtype) if lib == "torch" else values.astype(like_x.dtype)


@pytest.mark.parametrize("fn,shapes,consts,kw", MARGIN_CASES, ids=[f"{c[0]} {c[3]}" for c in MARGIN_CASES])
def test_margin_and_likelihood_losses(fn, shapes, consts, kw):
    low = 0.2 if fn == "poisson_nll_loss" else -2.0
    helper_test_op(shapes, lambda *xs: getattr(TF, fn)(*xs, **consts("torch", xs[0]), **kw),
                   lambda *xs: getattr(F, fn)(*xs, **consts("mg", xs[0]), **kw), low=low, name=fn)
    rng = np.random.default_rng(9)
    xs = [mg.tensor(rng.uniform(low, 2.0, s), requires_grad=True) for s in shapes]
    assert mg.gradcheck(lambda *t: getattr(F, fn)(*t, **consts("mg", t[0]), **kw), xs)


@pytest.mark.parametrize("kw", [dict(), dict(p=2, margin=0.5), dict(weight=np.array([0.5, 1.0, 2.0, 1.5])),
                                dict(reduction="none")])
def test_multi_margin_loss(kw):
    t = np.array([0, 3, 1, 1, 2])

    def tkw(x):
        return {k: torch.tensor(v, dtype=x.dtype) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    helper_test_op([(5, 4)], lambda x: TF.multi_margin_loss(x, torch.tensor(t), **tkw(x)),
                   lambda x: F.multi_margin_loss(x, t, **kw), name="multi_margin_loss")
    x = mg.tensor(np.random.default_rng(11).standard_normal((5, 4)), requires_grad=True)
    assert mg.gradcheck(lambda a: F.multi_margin_loss(a, t, **kw), [x])


def test_bilinear_and_local_response_norm():
    helper_test_op([(3, 4), (3, 5), (2, 4, 5), (2,)], lambda a, b, w, c: TF.bilinear(a, b, w, c),
                   lambda a, b, w, c: F.bilinear(a, b, w, c), name="bilinear")
    helper_test_op([(2, 5, 3, 2)], lambda x: TF.local_response_norm(x, 3, alpha=0.5, beta=0.6, k=2.0),
                   lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.6, k=2.0), name="local_response_norm")
    helper_test_op([(2, 6, 4)], lambda x: TF.local_response_norm(x, 4), lambda x: F.local_response_norm(x, 4),
                   name="local_response_norm 3-D")
    rng = np.random.default_rng(12)
    a, b, w = (mg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3), (2, 4), (2, 3, 4)))
    assert mg.gradcheck(lambda *t: F.bilinear(*t), [a, b, w])
    x = mg.tensor(rng.standard_normal((1, 4, 2, 2)), requires_grad=True)
    assert mg.gradcheck(lambda t: F.local_response_norm(t, 3, alpha=0.5, k=2.0), [x])
