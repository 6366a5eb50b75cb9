"""The fused ops (batch norm + ReLU, the residual join add + ReLU): float64 gradient checks and torch
parity of forward and every input gradient against the unfused torch composition."""
import numpy as np
import pytest
import torch

import minigrad as mg
import minigrad.functional as F
from conftest import leaf
from test_torch_parity import DTYPES, _run_both


@pytest.mark.parametrize("shape", [(6, 3), (3, 3, 4, 5)])
def test_batch_norm_relu_train_gradcheck(rng, shape):
    x, w, b = leaf(rng, *shape), leaf(rng, 3), leaf(rng, 3)
    assert mg.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, relu=True), [x, w, b])


def test_batch_norm_relu_eval_gradcheck(rng):
    x, w, b = leaf(rng, 4, 3, 2, 2), leaf(rng, 3), leaf(rng, 3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    assert mg.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False, relu=True), [x, w, b])


def test_add_relu_gradcheck(rng):
    a, b = leaf(rng, 3, 4, 5), leaf(rng, 3, 4, 5)
    assert mg.gradcheck(F.add_relu, [a, b])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_relu_matches_torch(rng, dtype, training):
    rm, rv = rng.standard_normal(3).astype(dtype), (rng.random(3) + 0.5).astype(dtype)
    arrays = [rng.standard_normal((4, 3, 5, 6)), rng.standard_normal(3), rng.standard_normal(3)]
    _run_both("batch_norm relu", dtype, arrays,
              lambda x, w, b: F.batch_norm(x, rm.copy(), rv.copy(), w, b, training=training, relu=True),
              lambda x, w, b: torch.relu(torch.nn.functional.batch_norm(
                  x, torch.tensor(rm), torch.tensor(rv), w, b, training=training)), rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape_b", [(4, 3, 5, 6), (3, 1, 1)])  # same shape (fused) and broadcast (fallback)
def test_add_relu_matches_torch(rng, dtype, shape_b):
    arrays = [rng.standard_normal((4, 3, 5, 6)), rng.standard_normal(shape_b)]
    _run_both("add_relu", dtype, arrays, F.add_relu, lambda a, b: torch.relu(a + b), rng)
