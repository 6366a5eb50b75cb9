"""`python -m digitsum.train --profile N`: profile N training steps after warm-up with minigrad.profiler and
write profile.txt (the tables), trace.json (Chrome trace) and profile.png (time per layer) into the run folder.

The first step (Numba kernels load or compile) is skipped and the second is a discarded warm-up, as
torch.profiler's schedule(wait=1, warmup=1, active=N) does. If training ends sooner, what was recorded is
written when the run ends, and its last profiled step then also holds the end-of-run evaluation.
"""
import os

import minigrad

from digitsum.engine import plots

OUTSIDE = "(outside modules)"
MAX_BARS = 30


def layer_times(rows):
    """[(layer, forward ms, backward ms)] from key_averages(group_by_module=True) rows, largest first.
    Op rows only: the kernel workers' rows overlap the op that waits for them."""
    times = {}
    for r in rows:
        if r.kind not in ("op", "backward"):
            continue
        fwd_bwd = times.setdefault(r.module or OUTSIDE, [0.0, 0.0])
        fwd_bwd[r.is_backward] += r.cpu_time_total / 1e3
    return sorted(((name, f, b) for name, (f, b) in times.items()), key=lambda t: -(t[1] + t[2]))


class TrainingProfiler:
    """Context manager around a training run; step() after every optimiser step. steps=None: does nothing."""

    def __init__(self, steps, out):
        self.out, self.prof, self.wanted, self.complete = out, None, steps, True
        if steps:
            sched = minigrad.profiler.schedule(wait=1, warmup=1, active=steps, repeat=1)
            self.prof = minigrad.profiler.profile(schedule=sched, record_shapes=True, on_trace_ready=self._write)

    def __enter__(self):
        if self.prof is not None:
            self.prof.start()
        return self

    def __exit__(self, *exc):
        if self.prof is not None:
            self.complete = self.prof.current_action == minigrad.profiler.ProfilerAction.NONE
            self.prof.stop()
        return False

    def step(self):
        if self.prof is not None:
            self.prof.step()

    def _write(self, prof):
        ops = prof.key_averages()
        steps = next((r.count for r in ops if r.key == "ProfilerStep*"), 0)
        note = "" if self.complete else (f" (training ended before the {self.wanted} requested: the last step "
                                         "also holds the end-of-run validation and test)")
        text = [f"minigrad.profiler: {steps} training step(s) after 1 skipped and 1 warm-up step{note}", "",
                "By op, sorted by total time:", ops.table(sort_by="cpu_time_total", row_limit=30),
                "By layer and op, sorted by self time:",
                prof.key_averages(group_by_module=True).table(sort_by="self_cpu_time_total", row_limit=40),
                "By op and input shapes:",
                prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=25)]
        with minigrad.serialization.atomic_write(os.path.join(self.out, "profile.txt"), "w") as f:
            f.write("\n".join(text))
        prof.export_chrome_trace(os.path.join(self.out, "trace.json"))
        layers = layer_times(prof.key_averages(group_by_module=True))
        if len(layers) > MAX_BARS:      # the smallest layers in one bar
            rest = layers[MAX_BARS - 1:]
            layers = layers[:MAX_BARS - 1] + [(f"({len(rest)} other layers)", sum(r[1] for r in rest),
                                                sum(r[2] for r in rest))]
        plots.plot_layer_times(layers, os.path.join(self.out, "profile.png"),
                               f"time per layer over {steps} profiled training step(s)")
        print(f"profile of {steps} training step(s){note} -> {self.out}/profile.txt, trace.json, profile.png", flush=True)
