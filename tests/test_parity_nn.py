"""Every nn layer against torch 2.13.0: the same weights (torch's state_dict loaded into minigrad, so the keys
must match), forward, the input gradient and every parameter gradient, in float32 and float64."""
import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad import nn
from layer_helper import compare_param_grads, twin_layers
from op_helper import compare

torch.set_num_threads(1)


def layer_parity(make_torch, make_mg, shape, low=-2.0, high=2.0, seed=0, vals=None, target=None, train=True,
                 rtol=None):
    """Build both layers, copy torch's weights into minigrad, compare outputs and all gradients. Float inputs
    and float targets take each dtype; integer ones (indices, classes) stay as they are."""
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(low, high, shape) if vals is None else vals
    for dtype in (np.float32, np.float64):
        tl, ml = twin_layers(make_torch, make_mg, dtype, seed)
        tl.train(train), ml.train(train)
        floating = np.issubdtype(x0.dtype, np.floating)
        x = x0.astype(dtype) if floating else x0
        xt = torch.tensor(x, requires_grad=floating)
        xm = mg.tensor(x, requires_grad=True) if floating else x
        t = None if target is None else target.astype(dtype) if np.issubdtype(target.dtype, np.floating) else target
        args_t = (xt,) if t is None else (xt, torch.tensor(t))
        args_m = (xm,) if t is None else (xm, t)
        out_t, out_m = tl(*args_t), ml(*args_m)
        name = type(ml).__name__
        compare(f"{name} forward", out_m, out_t, dtype, rtol)
        g = rng.standard_normal(tuple(out_t.shape)).astype(dtype)
        (out_t * torch.tensor(g)).sum().backward()
        (out_m * mg.tensor(g)).sum().backward()
        if xt.requires_grad:
            compare(f"{name} input grad", xm.grad, xt.grad, dtype, rtol)
        compare_param_grads(tl, ml, dtype, rtol)


ACTIVATIONS = ["ReLU", "ReLU6", "Sigmoid", "Tanh", "SiLU", "Mish", "SELU", "Softsign", "Hardsigmoid", "Hardswish",
               "LogSigmoid", "Tanhshrink", "Identity"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_parameterless_activation_layers(name):
    # torch's float64 Hardsigmoid backward multiplies by a float32 1/6 (see test_parity_functional)
    rtol = {np.float32: 2e-5, np.float64: 1e-7} if name == "Hardsigmoid" else None
    layer_parity(lambda: getattr(torch.nn, name)(), lambda: getattr(nn, name)(), (3, 4), rtol=rtol)
    assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


@pytest.mark.parametrize("name,args,kwargs", [
    ("LeakyReLU", (0.2,), {}), ("ELU", (), dict(alpha=0.5)), ("CELU", (1.5,), {}), ("GELU", (), {}),
    ("GELU", (), dict(approximate="tanh")), ("Softplus", (), dict(beta=2.0, threshold=5.0)),
    ("Hardtanh", (-0.5, 0.7), {}), ("Hardshrink", (0.3,), {}), ("Softshrink", (), dict(lambd=0.3)),
    ("Threshold", (0.1, -1.0), {}), ("GLU", (), dict(dim=1)), ("Softmax", (), dict(dim=1)),
    ("LogSoftmax", (1,), {}), ("Softmin", (), dict(dim=0)), ("ELU", (), {}), ("LeakyReLU", (), {})])
def test_activation_layers_with_arguments(name, args, kwargs):
    layer_parity(lambda: getattr(torch.nn, name)(*args, **kwargs), lambda: getattr(nn, name)(*args, **kwargs),
                 (3, 4), seed=1)
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


@pytest.mark.parametrize("n", [1, 3])
def test_prelu(n):
    layer_parity(lambda: torch.nn.PReLU(n), lambda: nn.PReLU(n), (2, 3, 4), seed=2)


@pytest.mark.parametrize("make", [lambda m: m.LayerNorm(4), lambda m: m.LayerNorm((3, 4), elementwise_affine=False),
                                  lambda m: m.LayerNorm(4, bias=False), lambda m: m.GroupNorm(2, 6),
                                  lambda m: m.InstanceNorm1d(3), lambda m: m.InstanceNorm2d(3, affine=True)])
def test_normalization_layers(make):
    shape = (2, 6, 5) if isinstance(make(nn), nn.GroupNorm) else (2, 3, 4) if not isinstance(
        make(nn), nn.InstanceNorm2d) else (2, 3, 4, 2)
    layer_parity(lambda: make(torch.nn), lambda: make(nn), shape, seed=3)


def test_layer_norm_defaults_match_torch():
    m, t = nn.LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3))
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k], v.numpy())


def test_embedding_layer():
    idx = np.array([[0, 2, 4], [4, 1, 1]])
    layer_parity(lambda: torch.nn.Embedding(5, 3, padding_idx=1), lambda: nn.Embedding(5, 3, padding_idx=1), None,
                 vals=idx)
    mg.manual_seed(0)
    e = nn.Embedding(1000, 8, padding_idx=3)
    w = e.weight.numpy()
    assert np.all(w[3] == 0) and abs(w.std() - 1) < 0.05         # N(0, 1) init with the padding row zeroed
    pre = nn.Embedding.from_pretrained(np.eye(3, dtype=np.float32))
    assert not pre.weight.requires_grad and np.array_equal(pre(np.array([2])).numpy(), [[0, 0, 1]])


LOSS_CASES = [
    ("CrossEntropyLoss", dict(), "class", (4, 3)),
    ("CrossEntropyLoss", dict(weight=[0.5, 1.0, 2.0], label_smoothing=0.1, reduction="sum"), "class", (4, 3)),
    ("CrossEntropyLoss", dict(ignore_index=1, reduction="none"), "class", (4, 3)),
    ("NLLLoss", dict(weight=[0.5, 1.0, 2.0]), "class", (4, 3)),
    ("MSELoss", dict(), "float", (4, 3)), ("L1Loss", dict(reduction="sum"), "float", (4, 3)),
    ("SmoothL1Loss", dict(beta=0.5), "float", (4, 3)), ("HuberLoss", dict(delta=0.5), "float", (4, 3)),
    ("BCELoss", dict(weight=[0.5, 1.0, 2.0]), "prob", (4, 3)),
    ("BCEWithLogitsLoss", dict(pos_weight=[0.5, 1.0, 3.0]), "prob", (4, 3)),
    ("KLDivLoss", dict(reduction="batchmean"), "prob", (4, 3)), ("SoftMarginLoss", dict(), "sign", (4, 3)),
]


@pytest.mark.parametrize("name,kwargs,kind,shape", LOSS_CASES, ids=[f"{c[0]} {c[1]}" for c in LOSS_CASES])
def test_loss_layers(name, kwargs, kind, shape):
    rng = np.random.default_rng(4)
    target = {"class": rng.integers(0, shape[1], shape[0]), "float": rng.standard_normal(shape),
              "prob": rng.uniform(0.1, 0.9, shape), "sign": np.sign(rng.standard_normal(shape))}[kind]
    tkw = {k: torch.tensor(v) if isinstance(v, list) else v for k, v in kwargs.items()}

    def make_torch():
        return getattr(torch.nn, name)(**tkw)

    def make_mg():
        return getattr(nn, name)(**kwargs)

    low, high = (0.05, 0.95) if name == "BCELoss" else (-2.0, 2.0)
    layer_parity(make_torch, make_mg, shape, low=low, high=high, target=target)
    assert list(make_mg().state_dict()) == list(make_torch().state_dict())


def test_inplace_flag_is_accepted_and_shown():
    for name in ("ReLU", "SiLU", "Hardtanh", "LeakyReLU"):
        assert repr(getattr(nn, name)(inplace=True)) == repr(getattr(torch.nn, name)(inplace=True))
    out = nn.ReLU(inplace=True)(mg.tensor([-1.0, 2.0]))
    np.testing.assert_array_equal(out.numpy(), [0, 2])


@pytest.mark.parametrize("name,shape", [("Dropout1d", (4, 8, 3)), ("Dropout2d", (4, 8, 3, 3)),
                                        ("Dropout3d", (4, 8, 2, 3, 3))])
def test_channel_dropout_layers(name, shape):
    d = getattr(nn, name)(0.5)
    assert repr(d) == repr(getattr(torch.nn, name)(0.5))
    x = mg.tensor(np.ones(shape, np.float32))
    assert d.eval()(x) is x
    out = d.train()(x).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0}
    per_channel = out.reshape(shape[0], shape[1], -1)
    assert np.all(per_channel.min(axis=-1) == per_channel.max(axis=-1))


def test_dropout_layers_and_containers():
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    td = torch.nn.ModuleDict({"enc": torch.nn.Linear(2, 3), "dec": torch.nn.Linear(3, 2)})
    assert list(md.state_dict()) == list(td.state_dict()) and list(md.keys()) == ["enc", "dec"]
    pl = nn.ParameterList([nn.Parameter(np.zeros(2)), nn.Parameter(np.ones(3))])
    assert list(pl.state_dict()) == ["0", "1"] and len(list(pl.parameters())) == 2
    u = nn.Unflatten(1, (2, 3))(mg.tensor(np.zeros((4, 6))))
    assert u.shape == (4, 2, 3)


@pytest.mark.parametrize("name,args", [("ZeroPad2d", ((1, 2, 0, 1),)), ("ConstantPad1d", (2, 0.5)),
                                       ("ConstantPad2d", (1, -1.0)), ("ReflectionPad1d", ((1, 2),)),
                                       ("ReflectionPad2d", (1,)), ("ReplicationPad1d", (2,)),
                                       ("ReplicationPad2d", ((1, 0, 2, 1),)), ("CircularPad1d", (1,)),
                                       ("CircularPad2d", (1,))])
def test_padding_layers(name, args):
    shape = (2, 3, 4) if name.endswith("1d") else (1, 2, 3, 4)
    layer_parity(lambda: getattr(torch.nn, name)(*args), lambda: getattr(nn, name)(*args), shape)


def test_nn_init_namespace_matches_torch_statistics():
    mg.manual_seed(0)
    w = nn.Parameter(np.empty((400, 300), np.float32))
    for fn, expected_std in [(nn.init.kaiming_uniform_, np.sqrt(2 / (1 + 5) / 300)),
                             (nn.init.kaiming_normal_, np.sqrt(2 / 300)), (nn.init.xavier_normal_, np.sqrt(2 / 700)),
                             (nn.init.xavier_uniform_, np.sqrt(2 / 700)), (nn.init.orthogonal_, np.sqrt(1 / 400))]:
        kwargs = dict(a=np.sqrt(5)) if fn is nn.init.kaiming_uniform_ else \
            dict(nonlinearity="relu") if fn is nn.init.kaiming_normal_ else {}
        assert fn(w, **kwargs) is w
        assert abs(w.numpy().std() / expected_std - 1) < 0.03, fn.__name__
    nn.init.orthogonal_(w)
    np.testing.assert_allclose(w.numpy().T @ w.numpy(), np.eye(300), atol=1e-4)
    nn.init.trunc_normal_(w, std=2.0, a=-1.0, b=1.5)
    assert w.numpy().min() >= -1.0 and w.numpy().max() <= 1.5
    assert nn.init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)
    assert nn.init.calculate_gain("selu") == torch.nn.init.calculate_gain("selu")
    e = nn.init.eye_(nn.Parameter(np.empty((2, 3))))
    np.testing.assert_array_equal(e.numpy(), torch.nn.init.eye_(torch.empty(2, 3)).numpy())
    d = nn.init.dirac_(nn.Parameter(np.empty((4, 2, 3, 3))), groups=2)
    np.testing.assert_array_equal(d.numpy(), torch.nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2).numpy())
    g1, g2 = mg.Generator().manual_seed(5), mg.Generator().manual_seed(5)
    a = nn.init.normal_(nn.Parameter(np.empty(4)), generator=g1).numpy().copy()
    assert np.array_equal(a, nn.init.normal_(nn.Parameter(np.empty(4)), generator=g2).numpy())


def _mha_parity(kwargs, q_shape, kv_len, call_kw, seed=5):
    """torch's MultiheadAttention and ours with the same weights: outputs, attention weights, all gradients."""
    rng = np.random.default_rng(seed)
    for dtype in (np.float32, np.float64):
        tl, ml = twin_layers(lambda: torch.nn.MultiheadAttention(**kwargs), lambda: nn.MultiheadAttention(**kwargs),
                             dtype, seed)
        kv_shape = list(q_shape)
        kv_shape[1 if kwargs.get("batch_first") and len(q_shape) == 3 else 0] = kv_len
        vals = [rng.standard_normal(s).astype(dtype) for s in (q_shape, kv_shape, kv_shape)]
        ts = [torch.tensor(v, requires_grad=True) for v in vals]
        ms = [mg.tensor(v, requires_grad=True) for v in vals]
        tkw = {k: torch.tensor(v.astype(dtype) if v.dtype.kind == "f" else v) if isinstance(v, np.ndarray) else v
               for k, v in call_kw.items()}
        (to, tw), (mo, mw) = tl(*ts, **tkw), ml(*ms, **call_kw)
        compare("MultiheadAttention output", mo, to, dtype)
        compare("MultiheadAttention weights", mw, tw, dtype)
        g = rng.standard_normal(tuple(to.shape)).astype(dtype)
        (to * torch.tensor(g)).sum().backward()
        (mo * mg.tensor(g)).sum().backward()
        for i, (m, t) in enumerate(zip(ms, ts)):
            compare(f"MultiheadAttention input {i} grad", m.grad, t.grad, dtype)
        compare_param_grads(tl, ml, dtype)


@pytest.mark.parametrize("kwargs,q_shape,kv_len,call_kw", [
    (dict(embed_dim=8, num_heads=2), (4, 3, 8), 5, {}),
    (dict(embed_dim=8, num_heads=4, batch_first=True), (3, 4, 8), 6, dict(average_attn_weights=False)),
    (dict(embed_dim=6, num_heads=3, bias=False), (4, 6), 4, dict(attn_mask=np.triu(np.ones((4, 4), bool), 1))),
    (dict(embed_dim=8, num_heads=2), (4, 2, 8), 5,
     dict(key_padding_mask=np.array([[False] * 4 + [True], [False] * 5]))),
    (dict(embed_dim=8, num_heads=2), (4, 2, 8), 4, dict(attn_mask=np.random.default_rng(1).standard_normal((4, 4)))),
])
def test_multihead_attention(kwargs, q_shape, kv_len, call_kw):
    _mha_parity(kwargs, q_shape, kv_len, call_kw)


def test_multihead_attention_gradcheck():
    mg.manual_seed(0)
    m = nn.MultiheadAttention(4, 2).double()
    rng = np.random.default_rng(6)
    q, k = (mg.tensor(rng.standard_normal(s), requires_grad=True) for s in [(3, 1, 4), (2, 1, 4)])
    params = list(m.parameters())
    assert mg.gradcheck(lambda a, b, *ps: m(a, b, b)[0], [q, k, *params])


@pytest.mark.parametrize("make,shape", [(lambda m: m.RMSNorm(4), (2, 3, 4)),
                                        (lambda m: m.RMSNorm((3, 4), eps=1e-3), (2, 3, 4)),
                                        (lambda m: m.RMSNorm(4, elementwise_affine=False), (3, 4)),
                                        (lambda m: m.BatchNorm3d(3), (2, 3, 2, 2, 3)),
                                        (lambda m: m.InstanceNorm3d(2, affine=True), (2, 2, 3, 2, 2))])
def test_more_normalization_layers(make, shape):
    layer_parity(lambda: make(torch.nn), lambda: make(nn), shape, seed=7)


def test_rms_norm_functional_gradcheck():
    x, w = (mg.tensor(np.random.default_rng(8).standard_normal(s), requires_grad=True) for s in ((2, 3, 4), (3, 4)))
    assert mg.gradcheck(lambda a, b: mg.nn.functional.rms_norm(a, (3, 4), b, eps=1e-6), [x, w])


@pytest.mark.parametrize("name,kwargs,nargs", [
    ("MarginRankingLoss", dict(margin=0.2), 2), ("CosineEmbeddingLoss", dict(margin=0.1), 2),
    ("HingeEmbeddingLoss", dict(margin=0.5), 1), ("TripletMarginLoss", dict(margin=1.5, p=1.0), 3),
    ("MultiLabelSoftMarginLoss", dict(), 1), ("PoissonNLLLoss", dict(log_input=True), 1),
    ("GaussianNLLLoss", dict(full=True), 1), ("PairwiseDistance", dict(p=3.0), 2),
    ("CosineSimilarity", dict(dim=0), 2)])
def test_more_loss_and_distance_layers(name, kwargs, nargs):
    rng = np.random.default_rng(10)
    xs = [rng.standard_normal((4, 3)) for _ in range(nargs)]
    extra = {"MarginRankingLoss": [np.array([1.0, -1, 1, -1])], "CosineEmbeddingLoss": [np.array([1.0, -1, 1, -1])],
             "HingeEmbeddingLoss": [np.sign(rng.standard_normal((4, 3)))],
             "MultiLabelSoftMarginLoss": [(rng.uniform(size=(4, 3)) > 0.5).astype(float)],
             "PoissonNLLLoss": [rng.uniform(0, 3, (4, 3))],
             "GaussianNLLLoss": [rng.standard_normal((4, 3)), rng.uniform(0.5, 2, (4, 1))]}.get(name, [])
    if name == "MarginRankingLoss":
        xs = [x[:, 0] for x in xs]
    for dtype in (np.float32, np.float64):
        ts = [torch.tensor(x.astype(dtype), requires_grad=True) for x in xs]
        ms = [mg.tensor(x.astype(dtype), requires_grad=True) for x in xs]
        out_t = getattr(torch.nn, name)(**kwargs)(*ts, *[torch.tensor(e.astype(dtype)) for e in extra])
        out_m = getattr(nn, name)(**kwargs)(*ms, *[e.astype(dtype) for e in extra])
        compare(f"{name} forward", out_m, out_t, dtype)
        out_t.sum().backward()
        out_m.sum().backward()
        for m, t in zip(ms, ts):
            compare(f"{name} grad", m.grad, t.grad, dtype)


@pytest.mark.parametrize("make,shape", [(lambda m: m.Softmax2d(), (2, 3, 2, 2)), (lambda m: m.Softmax2d(), (3, 2, 2)),
                                        (lambda m: m.LocalResponseNorm(3, alpha=0.1, k=2.0), (2, 5, 3, 2))])
def test_softmax2d_and_local_response_norm_layers(make, shape):
    layer_parity(lambda: make(torch.nn), lambda: make(nn), shape, seed=12)
    assert repr(make(nn)) == repr(make(torch.nn))


def test_bilinear_and_multi_margin_layers():
    rng = np.random.default_rng(13)
    x1, x2 = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    for dtype in (np.float32, np.float64):
        tl, ml = twin_layers(lambda: torch.nn.Bilinear(4, 5, 2), lambda: nn.Bilinear(4, 5, 2), dtype)
        ts = [torch.tensor(v.astype(dtype), requires_grad=True) for v in (x1, x2)]
        ms = [mg.tensor(v.astype(dtype), requires_grad=True) for v in (x1, x2)]
        out_t, out_m = tl(*ts), ml(*ms)
        compare("Bilinear forward", out_m, out_t, dtype)
        out_t.sum().backward()
        out_m.sum().backward()
        for m, t in zip(ms, ts):
            compare("Bilinear input grad", m.grad, t.grad, dtype)
        compare_param_grads(tl, ml, dtype)
    assert repr(nn.Bilinear(4, 5, 2)) == repr(torch.nn.Bilinear(4, 5, 2))
    t = np.array([0, 2, 1])
    w = [0.5, 1.0, 2.0]
    ours = nn.MultiMarginLoss(p=2, weight=w)(mg.tensor(x1[:, :3]), t)
    theirs = torch.nn.MultiMarginLoss(p=2, weight=torch.tensor(w, dtype=torch.float64))(torch.tensor(x1[:, :3]),
                                                                                          torch.tensor(t))
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-6)
    assert list(nn.MultiMarginLoss(weight=w).state_dict()) == ["weight"]


def test_container_editing_matches_torch():
    def build(m):
        seq = m.Sequential(m.Linear(2, 3), m.ReLU())
        seq.append(m.Linear(3, 1))
        seq.insert(1, m.Tanh())
        seq.extend([m.Sigmoid()])
        del seq[0]
        seq[0] = m.GELU()
        ml = m.ModuleList([m.Linear(1, 1)])
        ml.insert(0, m.Linear(2, 2))
        pd = m.ParameterDict({"scale": m.Parameter(torch.ones(2) if m is torch.nn else np.ones(2, np.float32))})
        return seq, ml, pd
    (s1, l1, p1), (s2, l2, p2) = build(nn), build(torch.nn)
    assert [type(x).__name__ for x in s1] == [type(x).__name__ for x in s2]
    assert list(s1.state_dict()) == list(s2.state_dict()) and list(l1.state_dict()) == list(l2.state_dict())
    assert list(p1.state_dict()) == list(p2.state_dict()) == ["scale"] and "scale" in p1
    assert type(s1[1:]).__name__ == "Sequential" and len(s1[1:]) == len(s2[1:])
