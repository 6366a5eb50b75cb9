"""The benchmark harness runs end to end (tiny --quick sizes) and writes its three outputs.
No timing is asserted: speed lives in benchmarks/RESULTS.md."""
import json
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_quick_run_without_torch_writes_results(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--threads", "1", "--no-torch",
                           "--out-dir", str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    md = (tmp_path / "RESULTS.md").read_text()
    res = json.loads((tmp_path / "results.json").read_text())
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "## Targets" in md and "--quick run" in md and "torch absent" in md
    # minigrad columns ran, torch columns are empty
    assert res["meta"]["torch"] is None
    for layer in ("a", "b", "c"):
        for key in ("fwd", "fwdbwd"):
            entry = res["conv"][layer][key]
            assert entry["minigrad"]["median"] > 0 and entry["torch"] is None and entry["ratio"] is None
    assert res["train_step"]["minigrad_img_s"] > 0
    assert res["cost"]["rss"]["minigrad"]["peak_rss_mb"] > res["cost"]["rss"]["minigrad"]["rss_after_import_mb"]
    assert {t["name"] for t in res["targets"]} >= {"conv a forward+backward, minigrad/torch"}


def test_torch_side_of_a_case_computes_the_same_thing():
    import torch  # a test-only dependency (the test extra pins it)

    from benchmarks import cases
    from benchmarks.timing import compare

    mg_fn, torch_fn, info = cases.conv_layer(torch, 2, 3, 4, 6, 9, backward=False)
    mg, tt = compare(mg_fn, torch_fn, reps=2, warmup=1)
    assert mg.reps == tt.reps == 2 and info["flops"] == 2.0 * 2 * 4 * 3 * 9 * 6 * 9
    # the twin models start from the same weights, so one forward pass agrees
    model = cases.reference_cnn(16, 48)
    twin = cases.torch_twin(torch, model, lambda: cases._torch_reference_cnn(torch, 16, 48))
    x = np.random.default_rng(0).random((2, 1, 16, 48), dtype=np.float32)
    import minigrad
    np.testing.assert_allclose(model(minigrad.Tensor(x)).data, twin(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
