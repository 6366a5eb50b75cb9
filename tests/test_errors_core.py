"""Misuse of tensor ops raises a Python exception like torch's, naming the op and the shapes."""
import numpy as np
import pytest
import torch

import minigrad as mg


@pytest.mark.parametrize("fn, exc, match", [
    (lambda L: L.ones(2, 3) @ L.ones(4, 5), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda L: L.ones(3) @ L.ones(4), RuntimeError, "shapes cannot be multiplied|inconsistent"),
    (lambda L: L.ones(2, 3) + L.ones(4), RuntimeError, r"3.*4|4.*3"),
    (lambda L: L.ones(2, 3) * L.ones(2, 2), RuntimeError, r"\[2, 3\]|size of tensor a \(3\)"),
    (lambda L: L.ones(3, requires_grad=True).mul(2).backward(), RuntimeError, "implicitly created only for scalar"),
    (lambda L: L.ones(3).sum().backward(), RuntimeError, "does not require grad"),
    (lambda L: L.ones(6).view(4, 2), RuntimeError, "invalid for input of size 6"),
    (lambda L: L.ones(2, 3).sum(2), IndexError, "Dimension out of range"),
    (lambda L: L.ones(2, 3).permute(0, 0), RuntimeError, "duplicate dims|repeated dim"),
    (lambda L: L.ones(2, 3).expand(4, 3, 2), RuntimeError, "expanded size"),
    (lambda L: L.cat([L.ones(2, 3), L.ones(3, 3)], 1), RuntimeError, "Sizes of tensors must match"),
    (lambda L: L.stack([L.ones(2), L.ones(3)]), RuntimeError, "stack expects each tensor to be equal size"),
    (lambda L: L.tensor([True]) - L.tensor([False]), RuntimeError, "Subtraction, the `-` operator"),
    (lambda L: -L.tensor([True]), RuntimeError, "Negation, the `-` operator"),
    (lambda L: L.ones(3)[L.tensor([0.0])], IndexError, "tensors used as indices must be long"),
    (lambda L: L.ones(3)[5], IndexError, "out of bounds|out of range"),
    (lambda L: L.tensor([1, 2]).mean(), RuntimeError, "mean\\(\\): could not infer output dtype"),
    (lambda L: L.tensor([1, 2], requires_grad=True), RuntimeError, "floating point"),
    (lambda L: bool(L.ones(2)), RuntimeError, "ambiguous"),
    (lambda L: L.ones(3).gather(0, L.tensor([0.5])), RuntimeError, "int64|Long"),
    (lambda L: L.ones(2, 2).masked_fill(L.ones(2, 2), 0.0), RuntimeError, "boolean"),
    (lambda L: L.tensor([[1, 2], [3]]), ValueError, "length|rectangular"),
    (lambda L: L.ones(2).split([1, 2]), RuntimeError, "split_with_sizes"),
    (lambda L: L.tensor(1.0).unbind(0), IndexError, "no dimensions"),
    (lambda L: L.ones(2, 2) @ L.ones(2, 2, dtype=L.float64), RuntimeError, "expected m1 and m2 to have the same dtype"),
])
def test_errors_like_torch(fn, exc, match):
    for lib in (torch, mg):
        with pytest.raises(exc, match=match):
            fn(lib)


def test_broadcast_error_names_the_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"Add: the shapes \[2, 3\] and \[4\] cannot be broadcast together"):
        mg.ones(2, 3) + mg.ones(4)


def test_complex_refused_everywhere():
    for make in (lambda: mg.tensor(np.ones(2, np.complex128)), lambda: mg.ones(2) + np.ones(2, np.complex64),
                 lambda: mg.tensor([1j]), lambda: mg.ones(2).to(np.complex128)):
        with pytest.raises(TypeError, match="complex"):
            make()


def test_inplace_on_a_view_of_a_leaf_is_refused():
    for lib in (torch, mg):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="view of a leaf Variable"):
            x[:2].add_(1)


def test_matmul_batch_dims_that_do_not_broadcast():
    for lib in (torch, mg):
        with pytest.raises(RuntimeError, match=r"\[2, 3, 4\].*\[5, 4, 2\]|must match the size"):
            lib.ones(2, 3, 4) @ lib.ones(5, 4, 2)
