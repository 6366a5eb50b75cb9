"""minigrad.profiler: counts, times, FLOPs, module names, schedule, trace, refusals, thread safety."""
import json
import threading
import time
from collections import Counter

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import nn
from minigrad.kernels import threadpool
from minigrad.models import resnet18
from minigrad.profiler import ProfilerActivity, profile, record_function, schedule, state


def _small_step(rng, n=4):
    """conv -> relu -> flatten -> linear -> matmul -> sum, then backward: known op calls."""
    x = mg.Tensor(rng.standard_normal((n, 2, 6, 7)).astype(np.float32), requires_grad=True)
    w = mg.Tensor(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), requires_grad=True)
    lw = mg.Tensor(rng.standard_normal((5, 3 * 4 * 5)).astype(np.float32), requires_grad=True)
    m = mg.Tensor(rng.standard_normal((5, 2)).astype(np.float32), requires_grad=True)
    h = F.conv2d(x, w).relu()
    out = (F.linear(h.reshape(n, -1), lw) @ m).sum()
    out.backward()
    return x, w, lw, m


def _counts(prof):
    return Counter({r.key: r.count for r in prof.key_averages()})


def test_call_counts_match_the_ops_run(rng):
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        _small_step(rng)
        _small_step(rng)
    counts = _counts(prof)
    for op in ("Conv2d", "ReLU", "Reshape", "Linear", "MatMul", "Sum"):
        assert counts[op] == 2, op
        assert counts[op + "Backward"] == 2, op
    assert counts["ProfilerStep*"] == 1


def test_nothing_is_recorded_outside_the_context(rng):
    _small_step(rng)
    with profile() as prof:
        _small_step(rng)
    _small_step(rng)
    assert state.current is None
    assert _counts(prof)["Conv2d"] == 1
    with pytest.raises(ZeroDivisionError):
        with profile():
            1 / 0
    assert state.current is None
    with record_function("outside"):          # a range with no profiler records nothing, raises nothing
        _small_step(rng)


def test_record_function_as_a_decorator_nests_recursive_calls():
    @record_function("fact")
    def fact(n):
        return 1 if n <= 1 else n * fact(n - 1)

    with profile() as prof:
        assert fact(4) == 24
    facts = sorted((e for e in prof.events() if e.name == "fact"), key=lambda e: e.start_ns)
    assert len(facts) == 4
    for outer, inner in zip(facts, facts[1:]):
        assert outer.start_ns <= inner.start_ns and inner.end_ns <= outer.end_ns


def test_self_times_are_non_negative_and_sum_per_thread_to_at_most_wall_time(rng):
    x = mg.Tensor(rng.standard_normal((16, 8, 20, 24)).astype(np.float32), requires_grad=True)
    conv = nn.Conv2d(8, 16, 3, padding=1)
    t0 = time.perf_counter_ns()
    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                F.max_pool2d(conv(x), 2).sum().backward()
    wall = time.perf_counter_ns() - t0
    events = [e for e in prof.events() if e.kind in ("op", "backward", "user", "worker")]
    per_thread = Counter()
    for e in prof.events():
        assert e.self_ns >= 0 and e.duration_ns >= 0
    for e in events:
        per_thread[e.thread] += e.self_ns
    assert per_thread and all(total <= wall for total in per_thread.values())
    rows = {r.key: r for r in prof.key_averages()}
    assert rows["outer"].cpu_time_total >= rows["inner"].cpu_time_total >= rows["Conv2d"].cpu_time_total
    assert rows["inner"].self_cpu_time_total < rows["inner"].cpu_time_total


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (3, 2)])
def test_conv_flops_equal_the_formula(rng, stride, padding):
    N, Cin, H, W, Cout, kh, kw = 3, 4, 11, 13, 5, 3, 2
    x = mg.Tensor(rng.standard_normal((N, Cin, H, W)).astype(np.float32), requires_grad=True)
    w = mg.Tensor(rng.standard_normal((Cout, Cin, kh, kw)).astype(np.float32), requires_grad=True)
    b = mg.Tensor(np.zeros(Cout, np.float32), requires_grad=True)
    with profile() as prof:
        y = F.conv2d(x, w, b, stride=stride, padding=padding)
        y.sum().backward()
    Ho, Wo = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    assert y.shape == (N, Cout, Ho, Wo)
    fwd = 2 * N * Cout * Ho * Wo * Cin * kh * kw
    rows = {r.key: r for r in prof.key_averages()}
    assert rows["Conv2d"].flops == fwd
    assert rows["Conv2dBackward"].flops == 2 * fwd                 # dX and dW


def test_linear_and_matmul_flops_equal_the_formula(rng):
    x = mg.Tensor(rng.standard_normal((2, 7, 6)).astype(np.float32))             # no gradient wanted
    lw = mg.Tensor(rng.standard_normal((4, 6)).astype(np.float32), requires_grad=True)
    a = mg.Tensor(rng.standard_normal((3, 5, 8)).astype(np.float32), requires_grad=True)
    b = mg.Tensor(rng.standard_normal((8, 9)).astype(np.float32), requires_grad=True)
    with profile() as prof:
        (F.linear(x, lw).sum() + (a @ b).sum()).backward()
    rows = {r.key: r for r in prof.key_averages()}
    assert rows["Linear"].flops == 2 * 2 * 7 * 4 * 6
    assert rows["LinearBackward"].flops == 2 * 2 * 7 * 4 * 6      # dW only: x needs no gradient
    assert rows["MatMul"].flops == 2 * 3 * 5 * 9 * 8
    assert rows["MatMulBackward"].flops == 2 * (2 * 3 * 5 * 9 * 8)
    assert rows["Sum"].flops == 0
    assert rows["Conv2d" if "Conv2d" in rows else "MatMul"].gflops_per_s > 0


def test_group_by_input_shape_splits_rows_and_needs_record_shapes(rng):
    with profile(record_shapes=True) as prof:
        for n in (2, 2, 3):
            F.relu(mg.Tensor(np.ones((n, 4), np.float32)))
    rows = [r for r in prof.key_averages(group_by_input_shape=True) if r.key == "ReLU"]
    assert sorted((r.input_shapes, r.count) for r in rows) == [(((2, 4),), 2), (((3, 4),), 1)]
    assert "[[2, 4]]" in prof.key_averages(group_by_input_shape=True).table()
    with profile() as prof:
        F.relu(mg.Tensor(np.ones(3, np.float32)))
    with pytest.raises(ValueError, match="record_shapes"):
        prof.key_averages(group_by_input_shape=True)


def test_events_carry_module_qualified_names(rng):
    mg.manual_seed(0)
    model = resnet18(num_classes=3, in_channels=1, small_stem=True)
    x = mg.Tensor(rng.standard_normal((2, 1, 16, 16)).astype(np.float32))
    with profile() as prof:
        F.cross_entropy(model(x), np.array([0, 2])).backward()
    convs = {r.module for r in prof.key_averages(group_by_module=True) if r.key == "Conv2d"}
    conv_names = {name for name, m in model.named_modules() if isinstance(m, nn.Conv2d)}
    assert convs == conv_names and "layer1.0.conv1" in convs and "layer2.0.downsample.0" in convs
    backs = {r.module for r in prof.key_averages(group_by_module=True) if r.key == "Conv2dBackward"}
    assert backs == conv_names
    rows = {(r.module, r.key): r.count for r in prof.key_averages(group_by_module=True)}
    assert rows[("fc", "Linear")] == 1 and rows[("fc", "LinearBackward")] == 1
    table = prof.key_averages(group_by_module=True).table(sort_by="cpu_time_total", row_limit=5)
    assert table.splitlines()[1].split()[:2] == ["Module", "Name"] and len(table.splitlines()) == 3 + 5 + 2


def test_table_sorting_row_limit_and_refusals(rng):
    with profile() as prof:
        _small_step(rng)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=3)
    lines = table.splitlines()
    assert "Self CPU %" in lines[1] and "# of Calls" in lines[1] and "GFLOP/s" in lines[1]
    assert len(lines) == 3 + 3 + 2 and lines[-1].startswith("Self CPU time total:")
    for key in ("cuda_time_total", "self_cpu_memory_usage"):
        with pytest.raises(ValueError, match="CPU time only"):
            prof.key_averages().table(sort_by=key)
    with pytest.raises(ValueError, match="unknown sort_by"):
        prof.key_averages().table(sort_by="speed")
    with pytest.raises(ValueError, match="group_by_stack_n"):
        prof.key_averages(group_by_stack_n=5)
    with pytest.raises(ValueError, match="export_stacks"):
        prof.export_stacks("stacks.txt")
    with pytest.raises(ValueError, match="export_memory_timeline"):
        prof.export_memory_timeline("memory.html")


@pytest.mark.parametrize("kwargs,word", [
    ({"profile_memory": True}, "profile_memory"),
    ({"with_stack": True}, "with_stack"),
    ({"activities": [ProfilerActivity.CPU, ProfilerActivity.CUDA]}, "CUDA"),
    ({"use_cuda": True}, "use_cuda"),
])
def test_unsupported_torch_options_are_refused(kwargs, word):
    with pytest.raises(ValueError, match=word):
        profile(**kwargs)
    assert state.current is None


def test_schedule_records_only_the_active_steps(rng):
    assert [schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)(s).name for s in range(7)] == \
        ["NONE", "NONE", "WARMUP", "RECORD", "RECORD_AND_SAVE", "NONE", "NONE"]
    ready = []
    x = mg.Tensor(np.ones((2, 3), np.float32))
    with profile(schedule=schedule(wait=1, warmup=1, active=2, repeat=1),
                 on_trace_ready=lambda p: ready.append(_counts(p))) as prof:
        for _ in range(6):
            F.relu(x)
            prof.step()
    assert len(ready) == 1 and ready[0]["ReLU"] == 2 and ready[0]["ProfilerStep*"] == 2
    assert {e.name for e in prof.events() if e.name.startswith("ProfilerStep")} == {"ProfilerStep#2", "ProfilerStep#3"}
    assert _counts(prof)["ReLU"] == 2


def test_chrome_trace_is_valid_json_with_nested_events_and_worker_chunks(rng, tmp_path):
    x = mg.Tensor(rng.standard_normal((32, 16, 24, 24)).astype(np.float32), requires_grad=True)
    conv = nn.Conv2d(16, 32, 3, padding=1)
    with profile(record_shapes=True) as prof:
        with record_function("step"):
            conv(x).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    doc = json.loads(path.read_text())
    spans = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert len(spans) == len(prof.events())
    names = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"] if e["ph"] == "M"}
    by_thread = {}
    for e in spans:
        assert e["dur"] >= 0 and e["ts"] >= 0 and e["tid"] in names
        by_thread.setdefault(e["tid"], []).append(e)
    for tid, evs in by_thread.items():           # on one thread, any two events are disjoint or nested
        open_ends = []
        for e in sorted(evs, key=lambda e: (e["ts"], -e["dur"])):
            while open_ends and open_ends[-1] <= e["ts"]:
                open_ends.pop()
            end = e["ts"] + e["dur"]
            assert not open_ends or end <= open_ends[-1] + 1e-3, (names[tid], e["name"])
            open_ends.append(end)
    assert [e["name"] for e in spans].count("Conv2d") == 1
    assert [e["name"] for e in spans].count("Conv2dBackward") == 1
    if threadpool.pool_size(needs_blas=True) > 1:
        workers = {e["tid"] for e in spans if e["name"] in ("chunk: Conv2dBackward", "chunk: Conv2d")}
        assert workers and all(names[t].startswith("minigrad-kernels") for t in workers)
        worker_row = next(r for r in prof.key_averages() if r.key == "worker: Conv2d")
        assert worker_row.count >= 2 and worker_row.self_cpu_time_total > 0


def test_profiler_is_thread_safe_with_python_threads_and_the_worker_pool(rng):
    conv = nn.Conv2d(8, 16, 3, padding=1)
    xs = [mg.Tensor(rng.standard_normal((16, 8, 24, 24)).astype(np.float32), requires_grad=True) for _ in range(2)]
    expected = conv(xs[0]).data.copy()
    results = {}

    def work(k):
        for _ in range(3):
            with record_function(f"thread{k}"):
                y = conv(xs[k])
                y.sum().backward()
        results[k] = y.data

    with profile() as prof:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    np.testing.assert_array_equal(results[0], expected)
    counts = _counts(prof)
    assert counts["Conv2d"] == 6 and counts["Conv2dBackward"] == 6
    assert counts["thread0"] == 3 and counts["thread1"] == 3
    by_thread = Counter(e.thread for e in prof.events() if e.name == "Conv2d")
    assert sorted(by_thread.values()) == [3, 3]
    assert all(e.self_ns >= 0 for e in prof.events())


def test_profiling_does_not_change_results(rng):
    x0, w0, lw0, m0 = _small_step(np.random.default_rng(5))
    with profile(record_shapes=True):
        x1, w1, lw1, m1 = _small_step(np.random.default_rng(5))
    for a, b in ((x0, x1), (w0, w1), (lw0, lw1), (m0, m1)):
        np.testing.assert_array_equal(np.asarray(a.grad.data if hasattr(a.grad, "data") else a.grad),
                                      np.asarray(b.grad.data if hasattr(b.grad, "data") else b.grad))


def test_an_op_that_raises_leaves_the_profiler_consistent():
    with profile() as prof:
        with pytest.raises(ValueError):
            F.conv2d(mg.Tensor(np.ones((1, 2, 4, 4), np.float32)), mg.Tensor(np.ones((1, 3, 3, 3), np.float32)))
        F.relu(mg.Tensor(np.ones(3, np.float32)))
    assert _counts(prof)["ReLU"] == 1
