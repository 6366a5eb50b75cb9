"""The isolation check: each library's in-harness timing against the same workload timed alone in a fresh
process that imports only that library (torch's process never imports minigrad or Numba).

A figure is fair when harness / alone is within 10% (ISOLATION_TOLERANCE). Both sides use the same timer
(warm-up, quiesce before every call, median of the repetitions) and the same thread settings (the harness's
environment is passed on). The harness side is re-timed just before and just after the isolated process
(libraries alternating, as in the harness), so a machine whose load drifts during the run does not decide
the comparison: a check against a figure taken minutes earlier failed both ways under load 15-20.
"""
import sys

ISOLATION_TOLERANCE = 0.10
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


def check(res, libs, reps, threads, quick, spawn, log, sections, cases=None):
    """For every case of `res` from `sections` (those measured in this run), or those of `cases`: time each
    library alone in a fresh process, bracketed by two re-timings of the case in this process (libraries
    alternating, as in the harness), so that load drifting during the run hits both sides of the comparison
    -> {case: {lib: row}}. The row also keeps the figure the report publishes."""
    out = {}
    for case in case_names(res, sections):
        if cases is not None and case not in cases:
            continue
        ran = [lib for lib in libs if harness_stat(res, case, lib) is not None]
        before = _in_harness(case, ran, reps, quick)
        alone = {}
        for lib in ran:
            got, _ = spawn("alone", threads, ["--case", case, "--lib", lib, "--reps", reps, "--quick", int(quick)])
            alone[lib] = got
        after = _in_harness(case, ran, reps, quick)
        for lib in ran:
            inside = (before[lib].median + after[lib].median) / 2
            stat = alone[lib]["stat"]
            ratio = inside / stat["median"]
            out.setdefault(case, {})[lib] = {
                "harness_ms": inside, "harness_before_ms": before[lib].median, "harness_after_ms": after[lib].median,
                "published_ms": harness_stat(res, case, lib)["median"], "alone_ms": stat["median"], "alone": stat,
                "ratio": ratio, "within": abs(ratio - 1.0) <= ISOLATION_TOLERANCE,
                "alone_imported_other_library": alone[lib]["imported_other_library"]}
            log(f"isolation {case} {lib}: harness {before[lib].median:.1f} / {after[lib].median:.1f} ms, "
                f"alone {stat['median']:.1f} ms, ratio {ratio:.2f}")
    return out
