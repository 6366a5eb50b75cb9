"""The isolation check: each library's in-harness figure against the same workload timed alone in a fresh
process that imports only that library (torch's process never imports minigrad or Numba).

A figure is fair when harness / alone is within 10% (ISOLATION_TOLERANCE). Both sides use the same
timer (benchmarks.timing.compare: warm-up, quiesce before every call, median of the repetitions) and the same
thread settings (the harness's environment is passed on).
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


def check(res, libs, reps, threads, quick, spawn, log, sections, cases=None):
    """Time every case of `res` from `sections` (the ones measured in this run: a figure is compared with
    an isolated timing taken minutes later, never with one from another run), or those of `cases`, alone for
    each library in `libs` -> {case: {lib: row}}."""
    out = {}
    for case in case_names(res, sections):
        if cases is not None and case not in cases:
            continue
        for lib in libs:
            inside = harness_stat(res, case, lib)
            if inside is None:
                continue
            got, _ = spawn("alone", threads, ["--case", case, "--lib", lib, "--reps", reps, "--quick", int(quick)])
            alone = got["stat"]
            ratio = inside["median"] / alone["median"]
            out.setdefault(case, {})[lib] = {
                "harness_ms": inside["median"], "alone_ms": alone["median"], "alone": alone, "ratio": ratio,
                "within": abs(ratio - 1.0) <= ISOLATION_TOLERANCE,
                "alone_imported_other_library": got["imported_other_library"]}
            log(f"isolation {case} {lib}: harness {inside['median']:.1f} ms, alone {alone['median']:.1f} ms, "
                f"ratio {ratio:.2f}")
    return out
