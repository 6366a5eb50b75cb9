"""The benchmark harness runs end to end (tiny --quick sizes) and writes its three outputs; --only keeps the
other sections; the isolation check's torch process imports torch alone; the network workloads are what
they claim. No timing is asserted: speed lives in benchmarks/RESULTS.md."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=REPO)


def _run(args, timeout=300):
    proc = subprocess.run([sys.executable, "-m", *args], cwd=REPO, env=ENV, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_quick_run_without_torch_writes_results_and_only_keeps_the_other_sections(tmp_path):
    _run(["benchmarks", "--quick", "--threads", "1", "--no-torch", "--out-dir", str(tmp_path)])
    md = (tmp_path / "RESULTS.md").read_text()
    res = json.loads((tmp_path / "results.json").read_text())
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for heading in ("## Targets", "## Method", "## Whole networks", "## Where the time goes", "## Isolation check"):
        assert heading in md
    assert "--quick run" in md and "torch absent" in md
    # minigrad columns ran, torch columns are empty
    assert res["meta"]["torch"] is None
    for layer in ("a", "b", "c"):
        for key in ("fwd", "fwdbwd"):
            entry = res["conv"][layer][key]
            assert entry["minigrad"]["median"] > 0 and entry["torch"] is None and entry["ratio"] is None
    for name, net in res["networks"].items():
        assert net["minigrad"]["median"] > 0 and net["gflop"] > 0 and 0 < net["pct_peak"], name
        assert net["torch"] is None and net["ratio"] is None
    where = res["where"]["refcnn_step"]
    ops = {r["name"] for r in where["ops"]}
    assert {"Conv2d", "Conv2dBackward", "Linear"} <= ops and where["wall_ms"] > 0
    assert {r["layer"] for r in where["layers"]} >= {"0", "3", "6", "10"}
    row = res["isolation"]["conv b fwd+bwd"]["minigrad"]
    assert row["alone_ms"] > 0 and row["alone_imported_other_library"] is False
    assert len(row["round_ratios"]) == 3 and row["ratio"] in row["round_ratios"]   # the median of three rounds
    assert res["cost"]["rss"]["minigrad"]["peak_rss_mb"] > res["cost"]["rss"]["minigrad"]["rss_after_import_mb"]

    _run(["benchmarks", "--quick", "--threads", "1", "--no-torch", "--only", "kernels", "--out-dir", str(tmp_path)])
    again = json.loads((tmp_path / "results.json").read_text())
    assert again["meta"]["sections"] == ["kernels"] and again["meta"]["date"] >= res["meta"]["date"]
    assert again["networks"] == res["networks"] and again["kernels"] != res["kernels"]
    assert "## Whole networks" in (tmp_path / "RESULTS.md").read_text()


@pytest.mark.parametrize("only,says", [("netwroks", "netwroks"), ("isolation", "needs conv and/or networks")])
def test_bad_sections_are_refused(tmp_path, only, says):
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--only", only, "--out-dir", str(tmp_path)],
                          cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and says in proc.stderr and not list(tmp_path.iterdir())


def test_torch_alone_process_imports_neither_minigrad_nor_numba():
    pytest.importorskip("torch")
    out = _run(["benchmarks.workers", "alone", "--threads", "1", "--case", "conv b fwd+bwd", "--lib", "torch",
                "--reps", "1", "--quick", "1"]).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got["stat"]["median"] > 0 and got["imported_other_library"] is False and got["imported_numba"] is False


def test_network_workloads_match_their_torch_twins_and_flop_formula():
    import torch  # a test-only dependency (the test extra pins it)

    import minigrad
    from benchmarks import cases, networks, torch_models
    from minigrad.models.vgg import VGG16_CONFIG

    assert torch_models.VGG16_D == VGG16_CONFIG
    mg_fn, torch_fn, info = cases.conv_layer(torch, 2, 3, 4, 6, 9, backward=False)
    mg_fn(), torch_fn()
    assert info["flops"] == 2.0 * 2 * 4 * 3 * 9 * 6 * 9
    for name in networks.NETWORKS:
        batch, chw = networks.shape(name, quick=True)
        x = np.random.default_rng(0).random((batch, *chw), dtype=np.float32)
        model = networks._mg_model(name, chw).eval()
        twin = networks._torch_model(torch, name, chw).eval()
        mine = {k: tuple(np.shape(v)) for k, v in model.state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in twin.state_dict().items() if not k.endswith("num_batches_tracked")}
        assert {k: v for k, v in mine.items() if not k.endswith("num_batches_tracked")} == theirs, name
        with minigrad.no_grad(), torch.no_grad():
            assert model(minigrad.Tensor(x)).shape == tuple(twin(torch.tensor(x)).shape), name
        networks.build_torch(torch, name, quick=True)()
    # the reference CNN step at batch 2 on 1x16x48: forward GEMMs, then dW for conv a (its input is the image)
    # and dW + dX for every later layer
    n, h, w = 2, 16, 48
    convs = [2 * n * 32 * 1 * 9 * h * w, 2 * n * 64 * 32 * 9 * (h // 2) * (w // 2),
             2 * n * 128 * 64 * 9 * (h // 4) * (w // 4)]
    fcs = [2 * n * 128 * (h // 8) * (w // 8) * 256, 2 * n * 256 * 1]
    expected = convs[0] * 2 + sum(c * 3 for c in convs[1:]) + sum(f * 3 for f in fcs)
    assert networks.count_flops(networks.build_minigrad("refcnn_step", quick=True)[0]) == expected
