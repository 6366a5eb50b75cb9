"""helper_test_op: one torch-spelled lambda, run on torch 2.13.0 and on minigrad, forward and every input
gradient compared, in float32 and float64 (in the style of tinygrad's helper_test_op).

    helper_test_op([(3, 4), (4, 5)], lambda x, y: x @ y)                        # same code on both
    helper_test_op([(2, 3, 8, 8)], lambda x: torch.nn.functional.gelu(x),       # or one function each
                   lambda x: F.gelu(x))
    helper_test_op(None, lambda x: x.max(1)[0], vals=[np.arange(6.).reshape(2, 3)])

Float inputs require gradients; integer and bool inputs (`vals`) are passed through unchanged. Outputs may be
a tensor or a tuple of them (e.g. max's (values, indices)); float outputs are backpropagated with one random
upstream gradient each, and integer/bool outputs are compared exactly.
"""
import numpy as np
import torch

import minigrad as mg
from conftest import record_parity

torch.set_num_threads(1)
DTYPES = (np.float32, np.float64)
RTOL = {np.float32: 2e-5, np.float64: 1e-10}
TESTED = set()          # names of everything a parity line ran, for the run summary


def to_numpy(x):
    """torch tensor, minigrad tensor, ndarray or scalar -> ndarray."""
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, mg.Tensor):
        return np.asarray(x.numpy())
    return np.asarray(x)


def compare(name, ours, theirs, dtype, rtol=None):
    """Relative max error (scaled by the reference's magnitude) for floats, exact equality otherwise."""
    ours, theirs = to_numpy(ours), to_numpy(theirs)
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape}, torch {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{name}: dtype {ours.dtype}, torch {theirs.dtype}"
    if not np.issubdtype(theirs.dtype, np.floating):
        assert np.array_equal(ours, theirs), f"{name}: {ours} != torch {theirs}"
        return
    both_nan = np.isnan(ours) & np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), np.isnan(theirs)), f"{name}: nan pattern differs from torch"
    o, t = np.where(both_nan, 0, ours).astype(np.float64), np.where(both_nan, 0, theirs).astype(np.float64)
    assert np.array_equal(np.isinf(o), np.isinf(t)) and np.array_equal(o[np.isinf(o)], t[np.isinf(t)]), \
        f"{name}: infinities differ from torch"
    finite = np.isfinite(t)
    err = float(np.max(np.abs(o[finite] - t[finite])) / (np.max(np.abs(t[finite])) + 1e-30)) if finite.any() else 0.0
    record_parity(name, dtype, err)
    tol = RTOL[dtype] if rtol is None else rtol[dtype] if isinstance(rtol, dict) else rtol
    assert err <= tol, f"{name}: relative error {err:.3g} > {tol:g}"


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def helper_test_op(shapes, torch_fn, mg_fn=None, *, vals=None, low=-2.0, high=2.0, dtypes=DTYPES,
                   forward_only=False, rtol=None, name=None, seed=0):
    """Run torch_fn on torch tensors and mg_fn (default: torch_fn) on minigrad tensors; compare everything."""
    mg_fn = torch_fn if mg_fn is None else mg_fn
    name = name or getattr(mg_fn, "__name__", "op")
    TESTED.add(name)
    rng = np.random.default_rng(seed)
    base = [np.asarray(v) for v in vals] if vals is not None else \
        [rng.uniform(low, high, s) for s in shapes]
    for dtype in dtypes:
        arrays = [a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a for a in base]
        floats = [np.issubdtype(a.dtype, np.floating) for a in arrays]
        need = [f and not forward_only for f in floats]
        ts = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, need)]
        ms = [mg.tensor(a, requires_grad=r) if r else mg.tensor(a) for a, r in zip(arrays, need)]
        out_t, out_m = _outputs(torch_fn(*ts)), _outputs(mg_fn(*ms))
        assert len(out_t) == len(out_m), f"{name}: {len(out_m)} outputs, torch {len(out_t)}"
        for i, (om, ot) in enumerate(zip(out_m, out_t)):
            compare(f"{name} forward[{i}]", om, ot, dtype, rtol)
        if forward_only or not any(need):
            continue
        loss_t, loss_m = 0, 0
        for om, ot in zip(out_m, out_t):
            if isinstance(ot, torch.Tensor) and ot.requires_grad:
                g = rng.standard_normal(ot.shape).astype(dtype)
                loss_t = loss_t + (ot * torch.tensor(g)).sum()
                loss_m = loss_m + (om * mg.tensor(g)).sum()
        if not isinstance(loss_t, torch.Tensor):
            continue
        loss_t.backward()
        loss_m.backward()
        for i, (m, t, r) in enumerate(zip(ms, ts, need)):
            if not r:
                continue
            if t.grad is None:
                assert m.grad is None or not np.any(to_numpy(m.grad)), f"{name} grad[{i}]: torch has none"
                continue
            assert m.grad is not None, f"{name} grad[{i}]: missing (torch has one)"
            compare(f"{name} grad[{i}]", m.grad, t.grad, dtype, rtol)
