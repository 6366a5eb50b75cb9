"""Shared test helpers: seeded data and float64 leaf tensors for gradient checks."""
import numpy as np
import pytest

import minigrad as mg


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def leaf(rng, *shape, dtype=np.float64, low=None):
    """A float64 leaf Tensor with requires_grad; `low` shifts values above a bound (for log/sqrt)."""
    x = rng.standard_normal(shape)
    if low is not None:
        x = np.abs(x) + low
    return mg.Tensor(x.astype(dtype), requires_grad=True)


def unique_values(rng, *shape):
    """Values that are pairwise distinct and well separated (so max-pool/max have unique argmaxes)."""
    n = int(np.prod(shape))
    return (rng.permutation(n).astype(np.float64) * 0.1 - n * 0.05).reshape(shape)


# worst relative error against torch per dtype, filled by test_torch_parity and shown after the run
PARITY_WORST = {}


def record_parity(name, dtype, err):
    """dtype: a numpy dtype (relative error) or a label string for another kind of comparison."""
    key = dtype if isinstance(dtype, str) else np.dtype(dtype).name + ", relative"
    if err > PARITY_WORST.get(key, (0.0, ""))[0]:
        PARITY_WORST[key] = (err, name)


def pytest_terminal_summary(terminalreporter):
    for dtype, (err, name) in sorted(PARITY_WORST.items()):
        terminalreporter.write_line(f"worst torch parity error ({dtype}): {err:.3g} in {name}")
