"""In-place ops and torch's version counters: each case is written the torch way and run on both libraries."""
import numpy as np
import pytest
import torch

import minigrad as mg
from op_helper import helper_test_op


def both(fn):
    """Run fn(lib) with lib = torch and lib = minigrad; return both results as numpy."""
    out = []
    for lib in (torch, mg):
        r = fn(lib)
        out.append(r.detach().numpy() if isinstance(r, torch.Tensor) else np.asarray(r.data if isinstance(r, mg.Tensor) else r))
    return out


@pytest.mark.parametrize("name, call", [
    ("add_", lambda x, y: x.add_(y)), ("add_ alpha", lambda x, y: x.add_(y, alpha=0.5)),
    ("sub_", lambda x, y: x.sub_(y)), ("mul_", lambda x, y: x.mul_(y)), ("div_", lambda x, y: x.div_(y)),
    ("pow_", lambda x, y: x.abs_().pow_(y)), ("clamp_", lambda x, y: x.clamp_(-0.5, 0.5)),
    ("neg_", lambda x, y: x.neg_()), ("zero_", lambda x, y: x.zero_()), ("fill_", lambda x, y: x.fill_(3.0)),
    ("copy_", lambda x, y: x.copy_(y)), ("exp_", lambda x, y: x.exp_()), ("addcmul_", lambda x, y: x.addcmul_(y, y, value=2)),
    ("masked_fill_", lambda x, y: x.masked_fill_(y > 0, 1.0)), ("iadd", lambda x, y: x.__iadd__(y)),
    ("imul", lambda x, y: x.__imul__(2.0)), ("isub", lambda x, y: x.__isub__(y)), ("itruediv", lambda x, y: x.__itruediv__(4)),
])
def test_inplace_values_match_torch(name, call):
    a = np.random.default_rng(0).uniform(-2, 2, (3, 4)).astype(np.float32)
    b = np.random.default_rng(1).uniform(0.5, 2, (3, 4)).astype(np.float32)

    def run(lib):
        x, y = lib.tensor(a.copy()), lib.tensor(b.copy())
        r = call(x, y)
        assert r is x                                  # in-place ops return self
        return x
    t, m = both(run)
    np.testing.assert_allclose(m, t, rtol=1e-6)


@pytest.mark.parametrize("name, fn", [
    ("mul_ on a non-leaf", lambda x, y: (x * 1).mul_(y)),
    ("add_ on a non-leaf", lambda x, y: (x * 2).add_(y, alpha=3)),
    ("x += y", lambda x, y: _iadd(x * 1, y)),
    ("setitem slice", lambda x, y: _setitem(x * 1, (slice(None), 1), y[:, 0])),
    ("setitem of a view", lambda x, y: _view_imul(x * 1)),
    ("copy_ from y", lambda x, y: (x * 1).copy_(y) * x),
    ("clamp_", lambda x, y: (x * y).clamp_(-0.5, 0.5)),
    ("fill_ then use", lambda x, y: (x * 1).fill_(2.0) * y + x),
    ("zero_ then add", lambda x, y: (x * y).zero_() + x),
    ("masked_fill_", lambda x, y: (x * 1).masked_fill_(y > 0, 0.5) * y),
    ("sigmoid_ then mul", lambda x, y: (x * 1).sigmoid_() * y),
])
def test_inplace_gradients_match_torch(name, fn):
    helper_test_op([(3, 4), (3, 4)], fn, name=f"inplace {name}")


def _iadd(x, y):
    x += y
    return x


def _setitem(x, idx, v):
    x[idx] = v
    return x


def _view_imul(x):
    x[0] *= 3            # python runs x[0].__imul__(3), then x[0] = result
    return x


def test_inplace_on_leaf_requiring_grad_is_refused():
    for lib in (torch, mg):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.add_(1)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x[0] = 2.0
        with lib.no_grad():
            x.add_(1)           # allowed under no_grad: this is how optimizers update weights
        np.testing.assert_array_equal(x.detach().numpy(), [2, 2, 2])


def test_manual_sgd_updates_in_place():
    """with no_grad(): p -= lr * p.grad must update p itself (not rebind the name)."""
    ps = []
    for lib in (torch, mg):
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        before = w
        for _ in range(3):
            loss = (w * w).sum()
            loss.backward()
            with lib.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        assert w is before and w.requires_grad and w.is_leaf
        ps.append(w.detach().numpy().copy())
    np.testing.assert_allclose(ps[1], ps[0], rtol=1e-6)


def test_modified_saved_tensor_makes_backward_raise():
    for lib in (torch, mg):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.sigmoid()                   # saves its output
        z = y * 2
        y.mul_(3)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


def test_inplace_on_an_inplace_result_that_was_saved_raises():
    for lib in (torch, mg):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 1).exp_()               # exp_ saves its output, which is y itself
        y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_optimizer_step_between_forward_and_backward_raises():
    """The issue's case: a step between forward and backward gave a wrong gradient silently."""
    for lib in (torch, mg):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        x = lib.tensor([3.0, 4.0], requires_grad=True)
        loss = (w * x).sum()              # Mul saves w
        w.grad = lib.ones(2)
        lib.optim.SGD([w], lr=0.5).step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


def test_version_counter_bumps_and_views_share_it():
    x = mg.zeros(4)
    v0 = x._version
    x.add_(1)
    x[1] = 5.0
    assert x._version == v0 + 2
    view = x[1:3]
    view.mul_(2)                          # writes through the view into x
    assert x._version == view._version == v0 + 3
    np.testing.assert_array_equal(x.data, [1, 10, 2, 1])
    d = x.detach()
    d.zero_()
    assert x._version == v0 + 4 and not x.data.any()


def test_raw_data_writes_are_not_tracked():
    for lib in (torch, mg):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        loss = (w * w).sum()
        w.data[0] = 5.0
        loss.backward()                 # neither library notices: .data writes are untracked


def test_retain_graph_and_earlier_graph_unaffected_by_later_inplace():
    """An earlier consumer keeps the history it saw, even after the tensor gets a new one in place."""
    results = []
    for lib in (torch, mg):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        s = y.sum()                       # uses y before the in-place op
        y.mul_(2)
        (s + y.sum()).backward()
        results.append(x.grad.numpy().copy())
    np.testing.assert_allclose(results[1], results[0])


def test_inplace_dtype_rules():
    for lib in (torch, mg):
        i = lib.tensor([1, 2, 3])
        with pytest.raises(RuntimeError, match="can't be cast"):
            i.add_(0.5)
        i.add_(2)
        f = lib.tensor([1.0, 2.0])
        f.add_(lib.tensor([1, 1]))        # int into float is fine
        np.testing.assert_array_equal(np.asarray(f.numpy()), [2, 3])
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        mg.zeros(3).add_(mg.ones(2, 3))
    with pytest.raises(RuntimeError, match="clone"):
        mg.zeros(1).expand(3).add_(1)


def test_grad_is_a_tensor_and_accumulates():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    g = x.grad
    assert isinstance(g, mg.Tensor) and not g.requires_grad
    (x * 3).sum().backward()
    assert x.grad is g                    # accumulated in place, as torch
    np.testing.assert_array_equal(g.numpy(), [6, 6])
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = mg.zeros(3)


def test_retain_grad_on_a_non_leaf():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [4, 8])


def test_clone_and_detach():
    helper_test_op([(2, 3)], lambda x: x.clone() * 2, name="clone")
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.data is x.data
    c = x.clone()
    assert c.requires_grad and c.data is not x.data


def test_autograd_grad_returns_without_accumulating():
    results = []
    for lib in (torch, mg):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        h = x * w
        y = (h * h).sum()
        gx, gh = lib.autograd.grad(y, [x, h], retain_graph=True)
        assert x.grad is None and w.grad is None
        (gw,) = lib.autograd.grad(y, w)
        results.append([gx.numpy(), gh.numpy(), gw.numpy()])
        with pytest.raises(RuntimeError, match="appears to not have been used"):
            lib.autograd.grad((x * 2).sum(), [x, w])
    for m, t in zip(results[1], results[0]):
        np.testing.assert_allclose(m, t)


def _view_mul(x, y):
    z = x * 1
    v = z[1:]                 # a view of a non-leaf
    v.mul_(y[1:])
    return z * 2              # z's history must include the change made through v


def _view_chain(x, y):
    z = x * 1
    z.view(-1)[::2].add_(y.reshape(-1)[::2])
    z.t()[0] = y[:, 0] * 3    # setitem on a transposed view
    return z.exp()


def _nested_setitem(x, y):
    z = (x * y).reshape(2, 6)
    z[0][1:3] = x[0, :2]
    return z


def _sibling_view(x, y):
    z = x * 1
    a, b = z[0], z[:2]
    a.mul_(y[0])              # b was made before the change and must see it
    return b * 1


def _view_then_base(x, y):
    z = x * 1
    v = z[:, 1]
    z.mul_(y)                 # an in-place change of the base: the older view follows it
    return v * 2


@pytest.mark.parametrize("name, fn", [("mul_ through a view", _view_mul), ("views of views", _view_chain),
                                      ("setitem on a view", _nested_setitem), ("sibling view", _sibling_view),
                                      ("view then base", _view_then_base)])
def test_inplace_through_views_rebases_the_base(name, fn):
    helper_test_op([(3, 4), (3, 4)], fn, name=f"inplace {name}")
