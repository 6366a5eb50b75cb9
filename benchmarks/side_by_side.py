"""Measure what a change bought: minigrad at two git revisions, timed side by side on one workload.

    python -m benchmarks.side_by_side BEFORE AFTER --case resnet18_small [--rounds 3] [--reps 5] [--quick] [--torch]

Each revision is exported (git archive) into a temporary folder; then, round after round, one fresh process
per revision times the case alone (the isolation check's job: warm-up, quiesce, median of --reps), in
alternating order, so drift and load hit both. Prints the medians over rounds and their ratio as a
markdown row for benchmarks/optimisations.md. --torch adds torch, alone in its own fresh process, to every
round, and the row gains both revisions' ratios to it. Cases: the conv layers ("conv b fwd+bwd") and the networks
(benchmarks/networks.py). The workload definitions come from the working tree, minigrad from each revision.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from benchmarks import isolation, networks
from benchmarks.workers import REPO


def export(rev, into):
    """minigrad/ as of git revision `rev` into the folder `into` -> that folder."""
    archive = subprocess.run(["git", "-C", REPO, "archive", rev, "minigrad"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", into], input=archive.stdout, check=True)
    return into


def time_alone(tree, case, reps, threads, quick, lib="minigrad"):
    """Median ms of `case` with the minigrad found in `tree` (or torch), in a fresh process."""
    env = dict(os.environ, PYTHONPATH=tree + os.pathsep + REPO)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, "-m", "benchmarks.workers", "alone", "--threads", str(threads), "--case", case,
           "--lib", lib, "--reps", str(reps), "--quick", str(int(quick))]
    proc = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"error: {case} failed at {tree}: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["stat"]["median"]


def main(argv=None):
    cases = list(isolation.CONV_CASES) + list(networks.NETWORKS)
    p = argparse.ArgumentParser(prog="python -m benchmarks.side_by_side", description=__doc__.splitlines()[0])
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--case", required=True, choices=cases)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--torch", action="store_true", help="time torch alone in every round too")
    a = p.parse_args(argv)
    times = {a.before: [], a.after: []}
    torch_times = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for rev in times:
            try:
                trees[rev] = export(rev, tempfile.mkdtemp(dir=tmp))
            except subprocess.CalledProcessError:
                raise SystemExit(f"error: cannot export minigrad/ at git revision {rev!r}") from None
        for r in range(a.rounds):
            order = list(times) if r % 2 == 0 else list(times)[::-1]
            for rev in order:
                times[rev].append(time_alone(trees[rev], a.case, a.reps, a.threads, a.quick))
                print(f"round {r + 1}: {rev} {times[rev][-1]:.1f} ms", file=sys.stderr, flush=True)
            if a.torch:
                torch_times.append(time_alone(REPO, a.case, a.reps, a.threads, a.quick, lib="torch"))
                print(f"round {r + 1}: torch {torch_times[-1]:.1f} ms", file=sys.stderr, flush=True)
    before, after = (float(np.median(times[rev])) for rev in (a.before, a.after))
    row = f"| {a.case} | {a.before} → {a.after} | {before:.1f} ms | {after:.1f} ms | {after / before:.2f} |"
    if a.torch:
        t = float(np.median(torch_times))
        row += f" {t:.1f} ms | {before / t:.2f} | {after / t:.2f} |"
    print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
