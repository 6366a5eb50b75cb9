"""The one random generator behind minigrad's init, randn, dropout and DataLoader shuffling, so manual_seed makes
runs repeatable; Generator objects give a separate, seedable stream (torch.Generator's role)."""
import numpy as np

_rng = np.random.default_rng()


def manual_seed(seed):
    """Reseed minigrad's generator (weight init, dropout masks, randn, DataLoader shuffling)."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


class Generator:
    """A random stream of its own: `mg.Generator().manual_seed(0)`, passed as generator= (DataLoader, init)."""

    def __init__(self, device="cpu"):
        self._seed = int(np.random.SeedSequence().entropy % (1 << 63))
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state
        return self


def get_rng(generator=None):
    """The numpy Generator to draw from: the given mg.Generator's stream, else the global one."""
    return _rng if generator is None else generator.rng
