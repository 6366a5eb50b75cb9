"""Jobs that need a process of their own: thread scaling, peak RSS, Numba compile and start-up time, and
one library timed alone (the isolation check).

Run as `python -m benchmarks.workers JOB --threads N [...]`; prints one JSON line on stdout.
run.py launches them with `spawn` below and reads the JSON back.
"""
import json
import os
import subprocess
import sys
import time

_T0 = time.perf_counter()  # as early as possible: start-up is measured from here too

if __name__ == "__main__":
    from benchmarks import set_thread_env, threads_from_argv
    set_thread_env(threads_from_argv(sys.argv))

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spawn(job, threads, extra=(), env=None, timeout=900):
    """Run a worker job in a fresh interpreter -> (parsed JSON, wall seconds)."""
    full_env = dict(os.environ, **(env or {}))
    full_env["PYTHONPATH"] = REPO + os.pathsep + full_env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "benchmarks.workers", job, "--threads", str(threads), *map(str, extra)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=full_env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker {job} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def _rss_mb():
    """Peak RSS of this process in MB. VmHWM first: ru_maxrss keeps the PARENT's peak across
    fork+exec on Linux, so it would report the benchmark driver's (torch-laden) size."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def job_threads(batch, reps, no_torch, h, w):
    """Training-step medians for both libraries at this process's thread count. With one thread
    also CPU-time medians of the step and of the conv layers: load-independent work ratios."""
    from benchmarks import cases
    from benchmarks.timing import compare
    threads = int(os.environ["OMP_NUM_THREADS"])
    torch = cases.load_torch(no_torch)
    if torch is not None:
        torch.set_num_threads(threads)
    mg_fn, torch_fn, _ = cases.train_step(torch, batch, h, w)
    mg, tt = compare(mg_fn, torch_fn, reps)
    out = {"minigrad": mg.as_dict(), "torch": tt.as_dict() if tt else None}
    if threads == 1:
        cpu = {"train step": compare(mg_fn, torch_fn, reps, clock=time.process_time)}
        for name, (cin, cout, ch, cw) in cases.CONV_LAYERS.items():
            if h < 40:  # --quick sizes
                ch, cw = ch // 4, cw // 4
            m, t, _ = cases.conv_layer(torch, batch, cin, cout, ch, cw, True)
            cpu[f"conv {name} fwd+bwd"] = compare(m, t, reps, clock=time.process_time)
        out["cpu_ms"] = {k: {"minigrad": a.as_dict(), "torch": b.as_dict() if b else None} for k, (a, b) in cpu.items()}
    return out


def job_rss(batch, lib, h, w):
    """Peak RSS (MB) of a process that runs 3 training steps of one library only."""
    from benchmarks import cases
    if lib == "torch":
        torch = cases.load_torch()
        if torch is None:
            return {"skipped": "torch absent"}
        before = _rss_mb()
        _, fn, _ = cases.train_step(torch, batch, h, w, with_mg=False)
    else:
        before = _rss_mb()
        fn, _, _ = cases.train_step(None, batch, h, w)
    for _ in range(3):
        fn()
    return {"rss_after_import_mb": before, "peak_rss_mb": _rss_mb()}


def job_startup(batch):
    """Times from interpreter start: imports, first training step (compiles or loads kernels), second step."""
    t_imp0 = time.perf_counter()
    import minigrad  # noqa: F401
    from benchmarks import cases
    t_imp = time.perf_counter()
    fn, _, _ = cases.train_step(None, batch)
    t_build = time.perf_counter()
    fn()
    t_first = time.perf_counter()
    fn()
    t_second = time.perf_counter()
    return {"import_s": t_imp - t_imp0, "to_first_step_s": t_first - _T0,
            "first_step_s": t_first - t_build, "second_step_s": t_second - t_first}


def main(argv):
    job, args = argv[0], dict(zip(argv[1::2], argv[2::2]))
    batch = int(args.get("--batch", 64))
    if job == "threads":
        out = job_threads(batch, int(args.get("--reps", 7)), args.get("--no-torch") == "1",
                          int(args.get("--h", 40)), int(args.get("--w", 168)))
    elif job == "rss":
        out = job_rss(batch, args.get("--lib", "minigrad"), int(args.get("--h", 40)), int(args.get("--w", 168)))
    elif job == "startup":
        out = job_startup(batch)
    elif job == "alone":
        from benchmarks.isolation import job_alone
        out = job_alone(args["--case"], args["--lib"], int(args.get("--reps", 7)), int(args["--threads"]),
                        args.get("--quick") == "1")
    else:
        raise SystemExit(f"unknown job {job}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
