"""digitsum.engine.metrics: sums above 36 (5- and 6-digit images) keep their own rows."""
import numpy as np

from digitsum.engine import metrics


def test_metrics_keep_sums_above_36_apart():
    true, pred = np.array([45, 45, 12, 37]), np.array([45, 44, 12, 36])
    m = metrics.confusion(pred, true)
    assert m.shape == (46, 46) and m[45, 45] == 1 and m[45, 44] == 1 and m[37, 36] == 1
    per_sum = metrics.summarize(pred, true)["per_sum"]
    assert per_sum["45"] == {"accuracy": 0.5, "n": 2} and per_sum["37"] == {"accuracy": 0.0, "n": 1}
