"""--model digits: the column reader's shapes, loss, read-outs and registration, on tiny inputs."""
import numpy as np

import minigrad as mg
from digitsum import models
from digitsum.data import augment
from digitsum.models import digit_reader
from digitsum.data.loading import normalize
from digitsum.engine.inference import readouts
from digitsum.models.digit_reader import SPEC
from digitsum.engine.metrics import digit_accuracy

SMALL = {"channels": [4, 4, 4], "hidden": 8}


def test_output_is_per_column_log_probabilities(rng):
    model = SPEC.build(SMALL)
    x = normalize(rng.integers(0, 256, size=(3, 40, 168), dtype=np.uint8))
    out = model(mg.Tensor(x)).data
    assert out.shape == (3, 42, 11) and out.dtype == np.float32
    np.testing.assert_allclose(np.exp(out).sum(axis=-1), 1.0, rtol=1e-5)
    # the blank bias makes most columns read blank at initialisation, so P(count = 4) starts reasonable
    assert (out.argmax(axis=-1) == 0).mean() > 0.5


def test_state_dict_uses_pytorch_names():
    keys = set(SPEC.build(SMALL).state_dict())
    assert {"features.0.weight", "features.1.running_mean", "head.weight", "head.bias"} <= keys


def test_loss_falls_when_fitting_a_few_images(rng):
    mg.manual_seed(0)
    model = SPEC.build(SMALL)
    x = mg.Tensor(normalize(rng.integers(0, 256, size=(4, 40, 168), dtype=np.uint8)))
    y = np.array([3, 18, 30, 9])
    opt = mg.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = SPEC.loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0] - 1.0


def confident_output(rows):
    """(N, T, 11) log-probs that read the given symbol sequences almost surely."""
    T = max(len(r) for r in rows)
    out = np.full((len(rows), T, 11), np.log(1e-5), np.float32)
    for i, r in enumerate(rows):
        r = list(r) + [0] * (T - len(r))
        out[i, np.arange(T), r] = np.log(1 - 10e-5)
    return out


def test_predict_and_readout_show_digits_and_sum():
    # symbols: 0 blank, 1 + d digit d. "7 2 5 1" and a 5-digit "9 9 9 9 9" (sum 45: counts are not assumed)
    out = confident_output([[0, 8, 8, 0, 3, 0, 6, 6, 0, 2, 0], [10, 0, 10, 0, 10, 0, 10, 0, 10, 0, 0]])
    np.testing.assert_array_equal(SPEC.predict(out), [15, 45])
    assert readouts(SPEC, out) == ["7 2 5 1 -> 15", "9 9 9 9 9 -> 45"]
    assert readouts(models.get("regressor"), np.array([[15.2], [44.0]])) is None  # reads no digits


def test_digit_accuracy_compares_positions():
    assert digit_accuracy([[7, 2, 5, 1], [3, 3, 3]], np.array([[7, 2, 5, 0], [3, 3, 3, -1]])) == 6 / 7


def test_registered_as_digits():
    assert models.get("digits") is digit_reader.SPEC


def test_curriculum_starts_with_extreme_sums_then_permutes():
    rng = np.random.default_rng(0)
    sums = rng.integers(0, 37, size=1000)
    first = digit_reader.epoch_order(sums, 0, np.random.default_rng(1))
    assert len(first) == 1000
    head = sums[first[:500]]
    assert (np.abs(head - sums.mean()) >= digit_reader.CURRICULUM_SPREAD).all()
    later = digit_reader.epoch_order(sums, 1, np.random.default_rng(1))
    assert sorted(later) == list(range(1000))


def test_evaluate_shows_readings_grid_and_digit_accuracy(tmp_path, capsys, rng):
    from digitsum import evaluate
    from digitsum.models import checkpoints as checkpoint
    mg.manual_seed(0)
    ckpt = tmp_path / "ckpt.npz"
    checkpoint.save(ckpt, SPEC, SPEC.build(SMALL), SMALL)
    x = rng.integers(0, 256, size=(5, 40, 168), dtype=np.uint8)
    digits = rng.integers(0, 10, size=(5, 4))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", digits.sum(axis=1))
    np.savez(tmp_path / "digits.npz", test_digits=digits)
    grid = tmp_path / "predictions.png"
    assert evaluate.main(["--checkpoint", str(ckpt), "--images", str(tmp_path / "x.npy"), "--labels",
                          str(tmp_path / "y.npy"), "--show", "2", "--grid", str(grid),
                          "--digit-labels", str(tmp_path / "digits.npz")]) == 0
    out = capsys.readouterr().out
    assert "image 1:" in out and "->" in out and "digit accuracy:" in out
    assert grid.stat().st_size > 1000


def test_predict_defaults_to_the_shipped_checkpoint():
    import os
    from digitsum import predict
    assert predict.DEFAULT_CHECKPOINT.endswith(os.path.join("digitsum", "pretrained", "digits.npz"))


def test_shift_moves_without_cutting_ink(rng):
    x = np.zeros((50, 40, 168), np.uint8)
    x[:, 5:35, 2:160] = rng.integers(1, 256, size=(50, 30, 158))     # ink from column 2 to 159
    enc = normalize(x)
    out = augment.shift(enc, np.random.default_rng(0), digit_reader.SHIFT_X, digit_reader.SHIFT_Y)
    assert out.shape == enc.shape and out.dtype == enc.dtype
    # the same ink, moved: every image keeps its whole ink mass, and some images did move
    np.testing.assert_allclose(out.sum(axis=(1, 2, 3)), enc.sum(axis=(1, 2, 3)), rtol=1e-5)
    assert (np.abs(out - enc).sum(axis=(1, 2, 3)) > 0).mean() > 0.5


def blob_batch():
    """Normalised (2, 1, 40, 168) batch, each image one bright 10 x 10 square on a dark background."""
    x = np.zeros((2, 40, 168), np.uint8)
    x[:, 15:25, 60:70] = 255
    return normalize(x)


def test_warp_without_deformation_is_the_identity():
    enc = blob_batch()
    out = augment.warp(enc, np.random.default_rng(0), scale=0.0, shear=0.0, elastic_px=0.0)
    np.testing.assert_allclose(out, enc, atol=1e-5)


def naive_warp(img, mat, centre, background):
    """Loop reference: bilinear sample of img at centre + mat @ (p - centre) for every output pixel p."""
    h, w = img.shape
    out = np.empty_like(img)
    for i in range(h):
        for j in range(w):
            sy, sx = np.asarray(centre) + mat @ (np.array([i, j]) - np.asarray(centre))
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            acc = 0.0
            for yy, wy in ((y0, 1 - (sy - y0)), (y0 + 1, sy - y0)):
                for xx, wx in ((x0, 1 - (sx - x0)), (x0 + 1, sx - x0)):
                    acc += wy * wx * (img[yy, xx] if 0 <= yy < h and 0 <= xx < w else background)
            out[i, j] = acc
    return out


def test_warp_matches_a_loop_reference_for_an_affine_map(rng):
    x = normalize(rng.integers(0, 256, size=(1, 40, 168), dtype=np.uint8))
    mat, centre = np.array([[1.04, 0.0], [0.08, 0.97]]), (19.5, 83.5)
    out = np.empty_like(x)
    augment._warp(x, mat[None], np.array([centre]), np.zeros((1, 2, 6, 22)), x.dtype.type(x.min()), out)
    np.testing.assert_allclose(out[0, 0], naive_warp(x[0, 0].astype(np.float64), mat, centre, x.min()), atol=1e-4)


def test_warp_deforms_but_keeps_the_ink_roughly():
    enc = blob_batch()
    out = augment.warp(enc, np.random.default_rng(1), elastic_px=1.5)
    assert out.shape == enc.shape and out.dtype == enc.dtype
    assert np.abs(out - enc).max() > 0.5                   # it moved something
    background = enc.min()
    mass_in, mass_out = (enc - background).sum(axis=(1, 2, 3)), (out - background).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(mass_out, mass_in, rtol=0.25)  # a 5% scale changes area by ~10%, not more


def test_bigger_reader_options_build_and_old_configs_keep_their_names():
    old = SPEC.build(SMALL)
    new = SPEC.build({"channels": [4, 4, 4, 4], "hidden": 8, "context": 3, "dropout": 0.1})
    assert new(mg.Tensor(blob_batch())).shape == (2, 42, 11)
    assert set(old.state_dict()) < set(new.state_dict())
    assert "features.10.weight" in old.state_dict() and old.features[10].weight.shape == (8, 4, 10, 3)


def test_shifted_moves_rows_into_their_empty_margin_without_cutting_ink():
    x = np.zeros((3, 40, 168), np.uint8)
    x[0, 10:30, 5:60] = 200                    # room on the right: moves right
    x[1, 10:30, 100:168] = 200                 # ink at the right edge: moves left
    x[2, 10:30, :] = 200                       # no room either side: stays
    y = digit_reader.shifted(x, 3)
    np.testing.assert_array_equal(y[0], np.roll(x[0], 3, axis=1))
    np.testing.assert_array_equal(y[1], np.roll(x[1], -3, axis=1))
    np.testing.assert_array_equal(y[2], x[2])
    assert (y.reshape(3, -1).sum(1) == x.reshape(3, -1).sum(1)).all()


def test_shift_average_predicts_the_argmax_of_the_averaged_sum_probabilities(rng):
    from digitsum.models.sum_dp import sum_probabilities
    mg.manual_seed(0)
    model = SPEC.build(SMALL)
    model.eval()
    x = np.zeros((5, 40, 168), np.uint8)
    x[:, 8:32, 10:120] = rng.integers(0, 256, size=(5, 24, 110), dtype=np.uint8)
    with mg.no_grad():
        out1, pred1 = SPEC.infer(model, x, {"shift_average": 1})
        out4, pred4 = SPEC.infer(model, x, {"shift_average": 4})
        probs = [sum_probabilities(model(mg.Tensor(normalize(digit_reader.shifted(x, s) if s else x))).data, 6)
                 for s in range(4)]
    np.testing.assert_array_equal(out1.data, out4.data)            # the reading itself is the unmoved image's
    np.testing.assert_array_equal(pred1, SPEC.predict(out1.data))
    np.testing.assert_array_equal(pred4, np.sum(probs, axis=0).argmax(axis=1))
