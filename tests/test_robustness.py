"""digitsum.robustness: one held-out set per height bin, gap and count, each with its own unused seed;
the table and figure are written from measured rows."""
import numpy as np

from digitsum import robustness as R
from digitsum.data import compose as C
from fake_mnist import fake  # noqa: F401  (fixture)


def test_sets_vary_one_thing_each(fake):
    sets = R.test_sets()
    heights = [p.height for g, _, p, _ in sets if g == "height"]
    assert heights[0] == (14, 16) and heights[-1] == (30, 32) and len(heights) == 9
    assert [p.gap for g, _, p, _ in sets if g == "gap"] == [(g, g) for g in R.GAPS]
    for group, _, preset, digits in sets:
        x, y, rec = C.compose(fake.test_images, fake.test_labels, 40, seed=1, preset=preset, digits=digits)
        b = rec["boxes"].astype(int)
        present = rec["digits"] >= 0
        if group == "height":
            h = (b[..., 3] - b[..., 1])[present]
            assert preset.height[0] - 2 <= h.min() and h.max() <= preset.height[1] + 2   # + edge pixels
            assert preset.aspect == (1.0, 1.0) and preset.ink == (1.0, 1.0)      # height is the only change
        if group == "gap" and preset.gap[0] >= 0:
            gaps = (b[:, 1:, 0] - b[:, :-1, 2])[present[:, 1:]]
            assert (gaps == preset.gap[0]).mean() > 0.9


def test_table_and_figure(tmp_path):
    rows = [{"group": g, "set": label, "n": 10, "seed": R.SEED + i, "exact_sum": 0.9 + 0.001 * i, "digits": 0.99}
            for i, (g, label, _, _) in enumerate(R.test_sets())]
    table = R.markdown(rows)
    assert table.count("\n") == len(rows) + 1 and "| height 14-16 px | 10 | 90.10% | 99.00% |" in table
    R.draw(rows, tmp_path / "robustness.png")
    assert (tmp_path / "robustness.png").read_bytes()[:4] == b"\x89PNG"
    assert len({r["seed"] for r in rows}) == len(rows)


def test_sum_only_models_get_exact_sums_alone(tmp_path):
    rows = [{"group": g, "set": label, "n": 10, "seed": R.SEED + i, "exact_sum": 0.5, "digits": None}
            for i, (g, label, _, _) in enumerate(R.test_sets())]
    assert "| gap 0 px | 10 | 50.00% | — |" in R.markdown(rows)
    R.draw(rows, tmp_path / "sums.png")
    assert (tmp_path / "sums.png").read_bytes()[:4] == b"\x89PNG"


def test_stress_sets_change_what_they_say(fake):
    sets = {label: p for g, label, p, _ in R.test_sets() if g == "stress"}
    def compose(label):
        return C.compose(fake.test_images, fake.test_labels, 60, seed=2, preset=sets[label], digits=4)
    _, _, rec = compose("mixed heights 15-30 px in a row")
    b = rec["boxes"].astype(int)
    h = b[..., 3] - b[..., 1]
    assert np.median(h.max(axis=1) / np.maximum(h.min(axis=1), 1)) > 1.3   # one row holds big and small digits
    faint, _, _ = compose("faint ink (35-60%)")
    plain, _, _ = C.compose(fake.test_images, fake.test_labels, 60, seed=2, preset=R.test_sets()[0][2], digits=4)
    assert faint.reshape(60, -1).max(axis=1).mean() < 0.7 * plain.reshape(60, -1).max(axis=1).mean()
    thin, thick = compose("thin strokes"), compose("thicker strokes")
    assert (thin[0] > 64).sum() < (thick[0] > 64).sum()
