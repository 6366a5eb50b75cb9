"""Helpers for the digitsum training tests: a tiny, learnable course-layout folder, in-process CLI calls and
model specs with test settings."""
import copy

import numpy as np
import pytest

H, W = 40, 168


def synthetic_images(n, seed):
    """(x uint8 (n,40,168), y uint8 sums): a bright bar whose length encodes the sum, over faint noise.

    Not MNIST: a pattern a CNN learns in a few batches, so a tiny run can show its loss going down
    without fetching anything.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 37, n).astype(np.uint8)
    x = rng.integers(0, 40, (n, H, W)).astype(np.uint8)
    cols = np.arange(W)
    for i, s in enumerate(y):
        x[i, 8:32, cols < 8 + 4 * int(s)] = 230
    return x, y


def replaced(spec, **attributes):
    """A copy of a ModelSpec with some attributes (model_config, loss, ...) replaced."""
    spec = copy.copy(spec)
    for name, value in attributes.items():
        setattr(spec, name, value)
    return spec


def make_course_folder(path, n_train=100, n_test=40, seed=0):
    """Write the course layout (data0.npy/lab0.npy, test_data.npy/test_label.npy) into `path`."""
    path.mkdir(parents=True, exist_ok=True)
    x, y = synthetic_images(n_train, seed)
    np.save(path / "data0.npy", x)
    np.save(path / "lab0.npy", y)
    tx, ty = synthetic_images(n_test, seed + 1)
    np.save(path / "test_data.npy", tx)
    np.save(path / "test_label.npy", ty)
    return path


def run_cli(main, argv, capsys):
    """Run a digitsum CLI main through digitsum.cli.run; return (exit code, stdout, stderr)."""
    from digitsum.cli import run
    with pytest.raises(SystemExit) as e:
        run(main, argv)
    out, err = capsys.readouterr()
    return e.value.code, out, err


def assert_user_error(main, argv, capsys, contains=""):
    """The CLI exits 2 with exactly one `error:` line on stderr (no traceback) mentioning `contains`."""
    code, out, err = run_cli(main, argv, capsys)
    lines = [l for l in err.splitlines() if l.strip()]
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert contains in lines[0], lines[0]
    return lines[0]


def untrained_checkpoint(path, name="classifier", model_config=None):
    """Write a checkpoint of a freshly initialised (seed 0) model `name`, by default a tiny classifier:
    enough for tests of how the commands treat their inputs and outputs."""
    import minigrad
    from digitsum import models
    from digitsum.models import checkpoints
    spec = models.get(name)
    config = model_config or ({"channels": [4, 8, 8], "hidden": 16} if name in ("regressor", "classifier")
                              else spec.model_config)
    minigrad.manual_seed(0)
    checkpoints.save(path, spec, spec.build(config), config, epoch=0)
    return config
