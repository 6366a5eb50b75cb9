"""Small pieces of torch's tensor API that torch code leans on: formatting, grad-mode switches, new_* tensors."""
import numpy as np
import pytest
import torch

import minigrad as mg
from op_helper import helper_test_op


def test_format_one_element_tensor():
    for lib in (torch, mg):
        assert f"{lib.tensor(3.14159):.2f}" == "3.14" and f"{lib.tensor(2.5, dtype=lib.float64):.1f}" == "2.5"


def test_set_grad_enabled_as_function_and_context():
    for lib in (torch, mg):
        with lib.set_grad_enabled(False):
            assert not lib.is_grad_enabled()
        assert lib.is_grad_enabled()
        lib.set_grad_enabled(False)
        assert not lib.is_grad_enabled()
        lib.set_grad_enabled(True)
        with lib.inference_mode():
            assert not (lib.ones(2, requires_grad=True) * 2).requires_grad


@pytest.mark.parametrize("call", [lambda x: x.new_zeros(2, 3), lambda x: x.new_ones((2,)), lambda x: x.new_full((2,), 7),
                                  lambda x: x.new_tensor([1, 2]), lambda x: x.new_zeros(2, dtype=torch.int64 if
                                                                                       isinstance(x, torch.Tensor) else mg.int64)])
def test_new_constructors_keep_dtype(call):
    for a in (np.ones(2, np.float64), np.ones(2, np.int32)):
        t, m = call(torch.tensor(a)), call(mg.tensor(a))
        assert m.dtype.name == str(t.dtype).replace("torch.", "") and m.shape == tuple(t.shape)
        np.testing.assert_array_equal(m.numpy(), t.numpy())


def test_outer_trace():
    helper_test_op([(3,), (4,)], lambda x, y: x.outer(y), name="outer")
    helper_test_op([(4, 4)], lambda x: x.trace(), name="trace")


def test_contiguity_and_sizes():
    for lib in (torch, mg):
        x = lib.zeros(2, 3)
        assert x.is_contiguous() and not x.t().is_contiguous()
        assert x.element_size() == 4 and x.nelement() == 6


def test_tensor_class_with_sizes():
    for lib in (torch, mg):
        assert tuple(lib.Tensor(2, 3).shape) == (2, 3) and lib.Tensor([1, 2]).dtype == lib.float32
