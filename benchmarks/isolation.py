"""The isolation check: each library's in-harness timing against the same workload timed alone in a fresh
process that imports only that library (torch's process never imports minigrad or Numba).

A figure is fair when harness / alone is within 10% (ISOLATION_TOLERANCE). Both sides use the same timer
(warm-up, quiesce before every call, median of the repetitions) and the same thread settings (the harness's
environment is passed on). The harness side is re-timed just before and just after each isolated process
(libraries alternating, as in the harness), over ISOLATION_ROUNDS rounds, and the median round counts, so a
machine whose load or speed drifts during the run does not decide the comparison: a check against a figure
taken minutes earlier failed both ways under load 15-20, and one round failed both ways on an idle machine
whose sgemm rate wandered between 150 and 200 GFLOP/s.
"""
import sys

ISOLATION_TOLERANCE = 0.10
ISOLATION_ROUNDS = 3
CONV_CASES = {f"conv {k} fwd+bwd": k for k in ("a", "b", "c")}


def case_names(res, sections=("conv", "networks")):
    """The cases of `res` that have in-harness figures to check, from the given sections only."""
    names = [n for n, k in CONV_CASES.items() if k in res.get("conv", {})] if "conv" in sections else []
    return names + (list(res.get("networks", {})) if "networks" in sections else [])


def harness_stat(res, case, lib):
    """The in-harness Stat dict of `lib` for `case` (None when that library did not run)."""
    entry = res["conv"][CONV_CASES[case]]["fwdbwd"] if case in CONV_CASES else res["networks"][case]
    return entry.get(lib)


def build_alone(case, lib, quick):
    """One library's callable for `case`, importing only that library."""
    if case in CONV_CASES:
        from benchmarks import torch_models
        cin, cout, h, w = torch_models.CONV_LAYERS[CONV_CASES[case]]
        batch, h, w = (2, h // 4, w // 4) if quick else (64, h, w)
        if lib == "minigrad":
            from benchmarks import cases
            return cases.conv_layer(None, batch, cin, cout, h, w, True)[0]
        import torch
        return torch_models.conv_step(torch, torch_models.conv_arrays(batch, cin, cout, h, w), cin > 1, True)
    from benchmarks import networks
    if lib == "minigrad":
        return networks.build_minigrad(case, quick)[0]
    import torch
    return networks.build_torch(torch, case, quick)


def job_alone(case, lib, reps, threads, quick):
    """Run in a fresh process (benchmarks.workers alone): time `case` with `lib` only."""
    from benchmarks.timing import compare
    if lib == "torch":
        import torch
        torch.set_num_threads(threads)
    else:
        import numba
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    fn = build_alone(case, lib, quick)
    stat, _ = compare(fn, None, reps)
    other = "minigrad" if lib == "torch" else "torch"
    return {"stat": stat.as_dict(), "imported_other_library": other in sys.modules,
            "imported_numba": "numba" in sys.modules}


def _in_harness(case, libs, reps, quick):
    """`case` re-timed in this (harness) process, the libraries alternating as in the harness -> {lib: Stat}."""
    from benchmarks.timing import compare_many
    fns = [build_alone(case, lib, quick) for lib in libs]
    return dict(zip(libs, compare_many(fns, reps, warmup=2)))


def check(res, libs, reps, threads, quick, spawn, log, sections, cases=None, rounds=ISOLATION_ROUNDS):
    """For every case of `res` from `sections` (those measured in this run), or those of `cases`: `rounds`
    times, time each library alone in a fresh process, bracketed by re-timings of the case in this process
    (libraries alternating, as in the harness): H0 A1 H1 A2 H2 ... Each round's ratio is the mean of its two
    bracketing harness figures over its alone figure, and the check takes the median round, so a machine
    whose speed drifts by 10-25% within minutes (as this one did) moves both sides of every ratio
    -> {case: {lib: row}}. The row also keeps the figure the report publishes."""
    out = {}
    for case in case_names(res, sections):
        if cases is not None and case not in cases:
            continue
        ran = [lib for lib in libs if harness_stat(res, case, lib) is not None]
        harness = [_in_harness(case, ran, reps, quick)]
        alone = []
        for _ in range(rounds):
            got = {}
            for lib in ran:
                got[lib], _ = spawn("alone", threads, ["--case", case, "--lib", lib, "--reps", reps,
                                                      "--quick", int(quick)])
            alone.append(got)
            harness.append(_in_harness(case, ran, reps, quick))
        for lib in ran:
            ratios = [(harness[r][lib].median + harness[r + 1][lib].median) / 2 / alone[r][lib]["stat"]["median"]
                      for r in range(rounds)]
            mid = sorted(range(rounds), key=lambda r: ratios[r])[rounds // 2]   # the median round
            stat = alone[mid][lib]["stat"]
            ratio = ratios[mid]
            out.setdefault(case, {})[lib] = {
                "harness_ms": (harness[mid][lib].median + harness[mid + 1][lib].median) / 2,
                "harness_before_ms": harness[mid][lib].median, "harness_after_ms": harness[mid + 1][lib].median,
                "published_ms": harness_stat(res, case, lib)["median"], "alone_ms": stat["median"], "alone": stat,
                "ratio": ratio, "round_ratios": ratios, "within": abs(ratio - 1.0) <= ISOLATION_TOLERANCE,
                "alone_imported_other_library": any(a[lib]["imported_other_library"] for a in alone)}
            log(f"isolation {case} {lib}: ratios by round {', '.join(f'{x:.2f}' for x in ratios)}, median {ratio:.2f}")
    return out
