"""Tensor mechanics: dtypes, graph building, backward (accumulation, deep chains, freeing), no_grad."""
import numpy as np
import pytest

import minigrad as mg


def test_float32_by_default():
    assert mg.Tensor([1, 2, 3]).dtype == np.float32
    assert mg.Tensor(1.5).dtype == np.float32
    assert mg.Tensor(np.arange(3)).dtype == np.float32
    assert mg.tensor([[1.0]]).dtype == np.float32


def test_float64_arrays_stay_float64():
    assert mg.Tensor(np.zeros(3)).dtype == np.float64
    assert mg.Tensor(np.zeros(3, np.float32)).dtype == np.float32


def test_explicit_dtype():
    assert mg.Tensor([1, 2], dtype=np.int64).dtype == np.int64
    with pytest.raises(RuntimeError, match="floating point"):
        mg.Tensor([1, 2], dtype=np.int64, requires_grad=True)


@pytest.mark.parametrize("scalar", [2, 2.5, np.float64(2.5)])
@pytest.mark.parametrize("op", ["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv", "pow"])
def test_python_scalars_do_not_upcast_float32(scalar, op):
    x = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
    y = {"add": lambda: x + scalar, "radd": lambda: scalar + x, "sub": lambda: x - scalar,
         "rsub": lambda: scalar - x, "mul": lambda: x * scalar, "rmul": lambda: scalar * x,
         "div": lambda: x / scalar, "rdiv": lambda: scalar / x, "pow": lambda: x ** scalar}[op]()
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float64_array_operand_adopts_tensor_dtype():
    x = mg.Tensor(np.ones(3, np.float32))
    assert (x + np.ones(3)).dtype == np.float32
    assert (np.ones(3) + x).dtype == np.float32


def test_mixed_precision_grads_keep_their_dtype():
    a = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
    b = mg.Tensor(np.ones(3, np.float64), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_gradients_accumulate():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3 + 2, 3 + 4])


def test_reused_input_accumulates_within_one_graph():
    x = mg.Tensor(np.array([3.0]), requires_grad=True)
    y = x * x + x
    y.backward()
    np.testing.assert_allclose(x.grad, [7.0])


def test_grad_is_not_aliased_between_leaves():
    a = mg.Tensor(np.ones(2), requires_grad=True)
    b = mg.Tensor(np.ones(2), requires_grad=True)
    (a + b).sum().backward()
    a.grad += 10
    np.testing.assert_allclose(b.grad, [1, 1])


def test_deep_chain_has_no_recursion_limit():
    x = mg.Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(10000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.item() == 10001.0


def test_deep_chain_through_multiply():
    x = mg.Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(10000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001 ** 10000, rtol=1e-9)


def test_diamond_graph():
    x = mg.Tensor(np.array([2.0]), requires_grad=True)
    a = x * 3
    b = x.exp()
    c = a * b            # d/dx 3x e^x = 3 e^x (1 + x)
    c.backward()
    np.testing.assert_allclose(x.grad, 3 * np.exp(2.0) * 3)


def test_saved_arrays_are_released_after_backward():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    y = (x * x).sum()
    mul_ctx = y._ctx.parents[0]._ctx
    assert mul_ctx.saved_tensors
    y.backward()
    assert mul_ctx.saved_tensors == () and mul_ctx.released
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, [4.0, 8.0])


def test_no_grad_records_no_graph():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    with mg.no_grad():
        y = x * 2
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y._ctx is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_as_decorator():
    @mg.no_grad()
    def f(t):
        return t * 2

    assert not f(mg.Tensor(np.ones(2), requires_grad=True)).requires_grad


def test_detach_cuts_the_graph():
    x = mg.Tensor(np.ones(2), requires_grad=True)
    y = x.detach() * 2 + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1, 1])


def test_backward_needs_grad_for_non_scalar():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(np.ones(4))


def test_leaf_without_requires_grad_gets_no_grad():
    x = mg.Tensor(np.ones(3))
    w = mg.Tensor(np.ones(3), requires_grad=True)
    (x * w).sum().backward()
    assert x.grad is None and w.grad is not None


def test_custom_function_contract():
    class ScaleAdd(mg.Function):
        @staticmethod
        def forward(ctx, x, y, k=3):
            ctx.save_for_backward(x, y)
            ctx.k = k
            ctx.seen_needs = ctx.needs_input_grad
            return x * k + y

        @staticmethod
        def backward(ctx, g):
            assert ctx.needs_input_grad == (True, False)
            return g * ctx.k, None

    x = mg.Tensor(np.ones(2), requires_grad=True)
    y = mg.Tensor(np.ones(2))
    out = ScaleAdd.apply(x, y, k=5)
    np.testing.assert_allclose(out.data, [6, 6])
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [5, 5])


def test_custom_function_wrong_grad_shape_is_a_clear_error():
    class Bad(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return np.ones(7)

    x = mg.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Bad.backward returned a gradient of shape \(7,\)"):
        Bad.apply(x).backward()


def test_properties_and_conversions():
    x = mg.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert x.shape == (2, 3) and x.ndim == 2 and x.numel() == 6 and len(x) == 2
    assert x.numpy() is x.data
    assert mg.Tensor(3.0).item() == 3.0
    assert x.T.shape == (3, 2)
    assert repr(x).startswith("tensor(")
    assert float(mg.Tensor(2.5)) == 2.5 and int(mg.Tensor(3.0)) == 3 and bool(mg.Tensor(1.0))
    np.testing.assert_array_equal(np.asarray(x), x.data)


def test_comparisons_and_argmax():
    x = mg.Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    np.testing.assert_array_equal(x.argmax(axis=1).data, [1, 0])
    np.testing.assert_array_equal((x > 1.5).data, [[False, True, True], [True, False, True]])
    np.testing.assert_array_equal(x.eq(7.0).data, [[False] * 3, [True, False, True]])


def test_constructors():
    mg.manual_seed(0)
    a = mg.randn(2, 3)
    mg.manual_seed(0)
    b = mg.randn((2, 3))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32
    assert mg.zeros(2, 2).data.sum() == 0 and mg.ones(3).data.sum() == 3
    assert mg.zeros(2, dtype=np.float64).dtype == np.float64
    assert mg.ones(2, requires_grad=True).requires_grad


def test_transpose_semantics():
    x = mg.Tensor(np.zeros((2, 3, 4)))
    assert x.transpose(1, 2).shape == (2, 4, 3)        # torch-style swap
    assert x.transpose(2, 0, 1).shape == (4, 2, 3)     # numpy-style permutation
    assert x.permute(0, 2, 1).shape == (2, 4, 3)
    assert x.transpose().shape == (4, 3, 2)
    with pytest.raises(RuntimeError, match="duplicate dims"):
        x.permute(0, 0, 1)


def test_flatten_and_squeeze():
    x = mg.Tensor(np.zeros((2, 3, 4, 5)))
    assert x.flatten().shape == (120,)
    assert x.flatten(1).shape == (2, 60)
    assert x.flatten(1, 2).shape == (2, 12, 5)
    assert x.reshape(2, -1).shape == (2, 60)
    assert x[:, :1].squeeze(1).shape == (2, 4, 5)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4, 5)


def test_max_gradient_ties():
    # over one axis: the first maximum takes the gradient (torch.max(dim))
    x = mg.Tensor(np.array([[1.0, 3.0, 3.0]]), requires_grad=True)
    x.max(axis=1)[0].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0]])
    # over everything: tied maxima share it evenly (torch.max())
    y = mg.Tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    y.max().backward()
    np.testing.assert_array_equal(y.grad, [0, 0.5, 0.5])


def test_relu_derivative_at_zero_is_zero():
    x = mg.Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 1])


def test_sigmoid_is_stable_for_large_inputs():
    x = mg.Tensor(np.array([-1000.0, 0.0, 1000.0], np.float32))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = x.sigmoid()
    np.testing.assert_allclose(s.data, [0, 0.5, 1])


def test_getitem_repeated_indices_accumulate():
    x = mg.Tensor(np.arange(4.0), requires_grad=True)
    x[np.array([0, 0, 3])].sum().backward()
    np.testing.assert_array_equal(x.grad, [2, 0, 0, 1])


def test_getitem_with_tensor_index():
    x = mg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    idx = mg.Tensor([2, 0], dtype=np.int64)
    y = x[np.arange(2), idx]
    np.testing.assert_array_equal(y.data, [2, 3])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 1], [1, 0, 0]])


def test_cat_and_stack_values():
    a, b = mg.Tensor(np.ones((2, 2))), mg.Tensor(np.zeros((2, 2)))
    assert mg.cat([a, b], axis=1).shape == (2, 4)
    assert mg.stack([a, b], axis=0).shape == (2, 2, 2)
    with pytest.raises(RuntimeError, match="non-empty"):
        mg.cat([])
