"""digitsum.models.ink_height and the digit reader's use of it: the height estimate, the rescaling (against a
NumPy reference), the images it leaves alone; plus the reader's --init-from and the training run's
fresh composites following the data folder's generator."""
import dataclasses

import numpy as np
import pytest

import minigrad as mg
from digitsum import models, train
from digitsum.data import compose as C, course, loading
from digitsum.engine import training
from digitsum.models import checkpoints as checkpoint
from digitsum.models import digit_reader
from digitsum.models import ink_height as IH
from digitsum.cli import UserError
from fake_mnist import fake, fake_home  # noqa: F401  (fixtures)
from train_helpers import replaced

SMALL = {"channels": [4, 4, 4], "hidden": 8}


def bars(heights, gap=6, width=7, top=3):
    """A 40x168 image of solid bars of the given heights, `gap` px apart: each bar is one ink segment."""
    x = np.zeros((C.H, C.W), np.uint8)
    left = 4
    for h in heights:
        x[top:top + h, left:left + width] = 255
        left += width + gap
    return x


def test_estimate_is_the_median_segment_height_and_ignores_specks():
    x = bars([20, 22, 30, 4, 4])                      # the two 4-px specks do not vote
    assert IH._estimate(x) == 22.0
    assert IH._estimate(np.zeros((C.H, C.W), np.uint8)) == 0.0


def area_reference(src, nh, nw):
    """Area-averaging resize as two overlap-weight matrices: out = Wy @ src @ Wx.T."""
    def weights(n_out, n_in):
        f = n_in / n_out
        w = np.zeros((n_out, n_in))
        for i in range(n_out):
            for p in range(n_in):
                w[i, p] = max(0.0, min((i + 1) * f, p + 1) - max(i * f, p)) / f
        return w
    return np.clip(np.floor(weights(nh, src.shape[0]) @ src.astype(float) @ weights(nw, src.shape[1]).T + 0.5),
                   0, 255).astype(np.uint8)


@pytest.mark.parametrize("nh, nw", [(13, 20), (30, 45), (21, 31)])
def test_area_resize_matches_a_numpy_reference(nh, nw):
    src = np.random.default_rng(nh).integers(0, 256, size=(21, 31), dtype=np.uint8)
    out = np.zeros((40, 60), np.uint8)
    IH._area_resize(src, 0, 0, 21, 31, nh, nw, out, 2, 3)
    want = area_reference(src, nh, nw)
    assert np.abs(out[2:2 + nh, 3:3 + nw].astype(int) - want).max() <= 1      # rounding at exact halves
    out[2:2 + nh, 3:3 + nw] = 0
    assert not out.any()


def test_big_and_small_digits_are_brought_to_the_target_and_others_left_alone(fake):
    noisy = np.random.default_rng(0).integers(0, 256, size=(C.H, C.W), dtype=np.uint8)
    x = np.stack([bars([30, 31, 29]), bars([12, 13, 12, 14]), bars([20, 21, 19]), np.zeros((C.H, C.W), np.uint8),
                  noisy])
    out, est = IH.normalise_heights(x, 17, 23, 20)
    np.testing.assert_array_equal(est, [30, 12.5, 20, 0, 40])
    _, after = IH.normalise_heights(out[:2], 0, 100, 20)                 # estimate only
    assert np.all(np.abs(after - 20) <= 1.0)
    np.testing.assert_array_equal(out[2:], x[2:])
    assert (out[0] > 0).sum() < (x[0] > 0).sum() and (out[1] > 0).sum() > (x[1] > 0).sum()
    # composites of fake digits at 1.6x: their estimated height comes back near the target
    big = dataclasses.replace(C.PRESETS["broad"], height=(29, 31), height_jitter=0)
    xs, _, _ = C.compose(fake.test_images, fake.test_labels, 50, seed=1, preset=big, digits=4)
    _, est = IH.normalise_heights(IH.normalise_heights(xs)[0], 0, 100, 20)
    assert np.abs(np.median(est) - 20) <= 1.5


def test_wide_rows_are_never_pushed_off_the_canvas():
    x = bars([12] * 11, gap=3, width=12)             # 12-px bars filling the width: upscaling would overflow
    out, est = IH.normalise_heights(x[None])
    assert est[0] == 12
    cols = out[0].any(axis=0)
    segments = int(cols[0]) + int((cols[1:] & ~cols[:-1]).sum())
    assert segments == 11                             # every bar still on the canvas, none merged
    _, est = IH.normalise_heights(out, 0, 100, 20)
    assert 12 <= est[0] <= 13                         # scaled only as far as the width allows


def test_the_reader_normalises_only_when_its_config_says_so():
    x = bars([30, 30, 30])[None]
    np.testing.assert_array_equal(digit_reader.encode_dataset(x, SMALL), x)
    out = digit_reader.encode_dataset(x, {**SMALL, "ink_height": [17, 23, 20]})
    np.testing.assert_array_equal(out, IH.normalise_heights(x, 17, 23, 20)[0])


def test_init_from_copies_a_digits_checkpoint_and_refuses_others(tmp_path):
    mg.manual_seed(1)
    source = digit_reader.SPEC.build(SMALL)
    checkpoint.save(tmp_path / "digits.npz", digit_reader.SPEC, source, SMALL)
    mg.manual_seed(2)
    target = digit_reader.SPEC.build(SMALL)
    assert "initialised from" in digit_reader.init_from(target, tmp_path / "digits.npz")
    for k, v in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[k], v)
    reg = models.get("regressor")
    checkpoint.save(tmp_path / "reg.npz", reg, reg.build({"channels": [4, 4, 4], "hidden": 8}),
                    {"channels": [4, 4, 4], "hidden": 8})
    with pytest.raises(UserError, match="regressor checkpoint"):
        digit_reader.init_from(target, tmp_path / "reg.npz")


def test_fresh_composites_follow_the_data_folders_generator(fake, fake_home, tmp_path, monkeypatch):
    course.make_course(tmp_path / "broad", fake, "broad", (3, 5), n_train=40, n_test=10, seed=0,
                         log=lambda s: None)
    seen = []
    real = loading.FreshComposites

    def spy(**kwargs):
        seen.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(training, "FreshComposites", spy)
    monkeypatch.setitem(models.REGISTRY, "digits", replaced(digit_reader.SPEC, model_config=SMALL))
    assert train.main(["--model", "digits", "--data", str(tmp_path / "broad"), "--fresh-composites",
                       "--epochs", "1", "--batch-size", "16", "--out", str(tmp_path / "run")]) == 0
    assert seen[0]["preset"] == "broad" and seen[0]["digits"] == (3, 5)
