"""Torch-parity lines for tensor ops, written the way torch code is written (one lambda, both libraries)."""
import numpy as np

from op_helper import helper_test_op


def test_add():
    helper_test_op([(3, 4), (3, 4)], lambda x, y: x + y, name="add")


def test_add_broadcast():
    helper_test_op([(3, 1, 4), (5, 1)], lambda x, y: x + y, name="add broadcast")


def test_mul():
    helper_test_op([(3, 4), (4,)], lambda x, y: x * y, name="mul")


def test_matmul():
    helper_test_op([(3, 4), (4, 5)], lambda x, y: x @ y, name="matmul")


def test_exp():
    helper_test_op([(2, 3)], lambda x: x.exp(), name="exp")


def test_log():
    helper_test_op([(2, 3)], lambda x: x.log(), low=0.5, high=3.0, name="log")


def test_getitem_constant():
    helper_test_op(None, lambda x: x[1:, ::2], vals=[np.arange(12.0).reshape(3, 4)], name="getitem slice")
