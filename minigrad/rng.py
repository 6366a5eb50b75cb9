"""The one random generator behind minigrad's init, randn and dropout, so manual_seed makes runs repeatable."""
import numpy as np

_rng = np.random.default_rng()


def manual_seed(seed):
    """Reseed minigrad's generator (weight init, dropout masks, randn)."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def get_rng():
    return _rng
