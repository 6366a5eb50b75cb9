"""dtypes: torch.tensor's inference, torch's promotion rules, casts and integer/bool indexing, on both libraries."""
import numpy as np
import pytest
import torch

import minigrad as mg
from op_helper import helper_test_op


def _name(dtype):
    return str(dtype).replace("torch.", "")


@pytest.mark.parametrize("data", [[1, 2, 3], [1.0, 2.0], [True, False], 3, 2.5, [[1, 2], [3, 4]], [1, 2.5],
                                  np.arange(3, dtype=np.int32), np.ones(2, np.float64), np.float64(1.5)])
def test_tensor_infers_dtype_like_torch(data):
    assert mg.tensor(data).dtype.name == _name(torch.tensor(data).dtype)


def test_tensor_constructor_keeps_float_default():
    assert mg.Tensor([1, 2]).dtype == mg.float32
    assert mg.Tensor(np.ones(2)).dtype == mg.float64         # float64 arrays stay float64 (gradient checks)


def test_dtype_names():
    assert mg.float32 is np.float32 and mg.float64 is np.float64 and mg.int64 is np.int64 and mg.bool is np.bool_
    assert mg.long is np.int64 and mg.double is np.float64 and mg.float is np.float32 and mg.int is np.int32
    assert mg.zeros(2, dtype=mg.int64).dtype == mg.int64


_PAIRS = [([1, 2], [0.5, 1.0]), ([1, 2], 0.5), ([True, False], 1), ([True, False], [1, 2]), ([1, 2], 3),
          ([1.0, 2.0], 2), ([1.0, 2.0], [1, 2]), ([True], True), (np.ones(2, np.int32), np.ones(2, np.int64)),
          (np.ones(2, np.float32), np.float64(2.0))]
_BOOL_FREE = ("sub", "floordiv", "mod")       # torch refuses these on two bools / a bool dividend


@pytest.mark.parametrize("a, b, op", [(a, b, op) for a, b in _PAIRS
                                      for op in ["add", "mul", "sub", "truediv", "floordiv", "mod"]
                                      if not (op in _BOOL_FREE and np.asarray(a).dtype == bool)])
def test_promotion_like_torch(a, b, op):
    def run(lib, x, y):
        x = lib.tensor(x)
        y = lib.tensor(y) if isinstance(y, (list, np.ndarray)) else y
        return getattr(x, f"__{op}__")(y)
    t, m = run(torch, a, b), run(mg, a, b)
    assert m.dtype.name == _name(t.dtype), f"{op}: {m.dtype} vs torch {t.dtype}"
    np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6)


def test_casts():
    x = mg.tensor([1.7, -2.2, 0.0])
    for name in ["int", "long", "bool", "float", "double", "half", "short", "byte"]:
        t = getattr(torch.tensor([1.7, -2.2, 0.0]), name)()
        m = getattr(x, name)()
        assert m.dtype.name == _name(t.dtype)
        np.testing.assert_array_equal(m.numpy(), t.numpy())
    assert x.to(mg.int64).dtype == mg.int64 and x.to("cpu") is x and x.type_as(mg.tensor([1])).dtype == mg.int64
    assert x.to(mg.tensor([1.0], dtype=mg.float64)).dtype == mg.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")


def test_float_casts_are_differentiable():
    helper_test_op([(2, 3)], lambda x: x.double().float() * 2, name="double/float cast")
    helper_test_op([(2, 3)], lambda x: x.to(torch.float64 if isinstance(x, torch.Tensor) else mg.float64) * 2,
                   name="to(float64)")


def test_integer_and_bool_indexing():
    helper_test_op([(5, 3)], lambda x: x[torch.tensor([0, 2, 2]) if isinstance(x, torch.Tensor) else mg.tensor([0, 2, 2])],
                   name="index with int tensor")
    helper_test_op([(4,)], lambda x: x[x > 0], name="index with bool mask")
    helper_test_op([(4, 3)], lambda x: x[[1, 3]], name="index with a list")
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        mg.zeros(3)[mg.tensor([0.0, 1.0])]


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        mg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        mg.tensor([1, 2]).requires_grad_()


def test_complex_and_strings_refused():
    with pytest.raises(TypeError, match="complex"):
        mg.tensor([1 + 2j])
    with pytest.raises(TypeError, match="complex"):
        mg.Tensor(np.ones(2, np.complex64))
    with pytest.raises(TypeError, match="not a dtype|complex"):
        mg.zeros(2).to(np.complex64)
    with pytest.raises(TypeError):
        mg.tensor(["a", "b"])


def test_comparisons_give_bool_tensors_and_hash_by_identity():
    a, b = mg.tensor([1, 2, 3]), mg.tensor([1, 0, 3])
    for op in ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"]:
        m = getattr(a, op)(b)
        t = getattr(torch.tensor([1, 2, 3]), op)(torch.tensor([1, 0, 3]))
        assert m.dtype == mg.bool
        np.testing.assert_array_equal(m.numpy(), t.numpy())
    assert len({a, b, a}) == 2 and {a: 1}[a] == 1
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(a == b)
    assert bool((a == a).all())
