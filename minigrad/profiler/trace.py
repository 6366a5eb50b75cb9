"""Chrome trace-event JSON (opened by chrome://tracing and https://ui.perfetto.dev).

Every event becomes one complete ("X") event: microsecond start and duration, the thread it ran on,
and in `args` its kind, module, input shapes and FLOPs. Thread-name metadata events label the main
thread and the kernel workers, so the pool's idle gaps show as empty stretches on the worker rows.
"""
import json
import os

from ..serialization import atomic_write


def trace_events(events, thread_names, pid=None):
    pid = os.getpid() if pid is None else pid
    if not events:
        return []
    origin = min(ev.start_ns for ev in events)
    out = [{"name": "thread_name", "ph": "M", "pid": pid, "tid": tid, "args": {"name": name}}
           for tid, name in thread_names.items()]
    for ev in sorted(events, key=lambda e: (e.start_ns, -e.end_ns)):
        args = {"kind": ev.kind}
        if ev.module:
            args["module"] = ev.module
        if ev.input_shapes:
            args["input_shapes"] = [list(s) for s in ev.input_shapes]
        if ev.flops:
            args["flops"] = ev.flops
        out.append({"name": ev.name, "cat": ev.kind, "ph": "X", "pid": pid, "tid": ev.thread,
                    "ts": (ev.start_ns - origin) / 1e3, "dur": ev.duration_ns / 1e3, "args": args})
    return out


def export_chrome_trace(events, thread_names, path):
    doc = {"traceEvents": trace_events(events, thread_names), "displayTimeUnit": "ms"}
    data = json.dumps(doc).encode()
    with atomic_write(path) as f:
        f.write(data)
