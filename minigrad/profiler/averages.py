"""key_averages(): events grouped by name (and optionally input shapes or module), and the text table.

Times are in microseconds, as in torch.profiler (cpu_time_total, self_cpu_time_total, cpu_time).
"""
from .recorder import BACKWARD, OP, USER, WORKER

TABLE_KINDS = (OP, BACKWARD, USER, WORKER)

# sort_by keys: torch's names for what minigrad records
SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "self_cpu_time", "count", "flops",
             "gflops_per_s")
_UNRECORDED = ("cuda", "device", "xpu", "memory", "mtia", "privateuse")


class FunctionEventAvg:
    """All the calls of one op (or range) that fall in one group."""

    def __init__(self, key, kind, module="", input_shapes=None):
        self.key, self.kind, self.module, self.input_shapes = key, kind, module, input_shapes
        self.count = 0
        self.cpu_time_total = 0.0           # microseconds
        self.self_cpu_time_total = 0.0
        self.flops = 0

    def add(self, ev):
        self.count += 1
        self.cpu_time_total += ev.duration_ns / 1e3
        self.self_cpu_time_total += ev.self_ns / 1e3
        self.flops += ev.flops

    @property
    def is_backward(self):
        return self.kind == BACKWARD

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self):
        return self.self_cpu_time_total / max(self.count, 1)

    @property
    def gflops_per_s(self):
        return self.flops / (self.cpu_time_total * 1e3) if self.cpu_time_total > 0 else 0.0

    def __repr__(self):
        where = f", module={self.module!r}" if self.module else ""
        return (f"<FunctionEventAvg key={self.key!r}{where} count={self.count} "
                f"cpu_time_total={self.cpu_time_total:.1f}us self_cpu_time_total={self.self_cpu_time_total:.1f}us>")


def average(events, group_by_input_shape=False, group_by_module=False):
    groups = {}
    for ev in events:
        if ev.kind not in TABLE_KINDS:
            continue
        name = "ProfilerStep*" if ev.name.startswith("ProfilerStep#") else ev.name     # as torch groups them
        key = (name, ev.input_shapes if group_by_input_shape else None, ev.module if group_by_module else None)
        row = groups.get(key)
        if row is None:
            row = groups[key] = FunctionEventAvg(name, ev.kind, key[2] or "", key[1])
        row.add(ev)
    return EventList(groups.values(), group_by_input_shape, group_by_module)


def _fmt_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _fmt_shapes(shapes):
    return "[" + ", ".join("[" + ", ".join(str(d) for d in s) + "]" for s in shapes) + "]"


class EventList(list):
    """A list of FunctionEventAvg rows with torch's table()."""

    def __init__(self, rows=(), group_by_input_shape=False, group_by_module=False):
        super().__init__(rows)
        self.group_by_input_shape, self.group_by_module = group_by_input_shape, group_by_module

    @property
    def self_cpu_time_total(self):
        return sum(r.self_cpu_time_total for r in self)

    def sorted_by(self, sort_by):
        if sort_by is None:
            return list(self)
        if any(word in sort_by for word in _UNRECORDED):
            raise ValueError(f"minigrad.profiler: cannot sort by {sort_by!r}: minigrad records CPU time only "
                             f"(no devices, no memory); use one of {', '.join(SORT_KEYS)}")
        if sort_by not in SORT_KEYS:
            raise ValueError(f"minigrad.profiler: unknown sort_by {sort_by!r}; use one of {', '.join(SORT_KEYS)}")
        return sorted(self, key=lambda r: getattr(r, sort_by), reverse=True)

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, max_shapes_column_width=80,
              header=None, top_level_events_only=False):
        """The rows as a fixed-width text table shaped like torch.profiler's."""
        if top_level_events_only:
            raise ValueError("minigrad.profiler: top_level_events_only is not supported")
        rows = self.sorted_by(sort_by)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total_self = self.self_cpu_time_total or 1.0
        show_flops = any(r.flops for r in self)
        cols = []           # (title, width, cell function)
        if self.group_by_module:
            width = min(max([len("Module")] + [len(r.module) for r in rows]), max_name_column_width)
            cols.append(("Module", width, lambda r: r.module or "-"))
        width = min(max([len("Name")] + [len(r.key) for r in rows]), max_name_column_width)
        cols.append(("Name", width, lambda r: r.key))
        cols += [("Self CPU %", 12, lambda r: f"{100 * r.self_cpu_time_total / total_self:.2f}%"),
                 ("Self CPU", 12, lambda r: _fmt_time(r.self_cpu_time_total)),
                 ("CPU total %", 12, lambda r: f"{100 * r.cpu_time_total / total_self:.2f}%"),
                 ("CPU total", 12, lambda r: _fmt_time(r.cpu_time_total)),
                 ("CPU time avg", 12, lambda r: _fmt_time(r.cpu_time)),
                 ("# of Calls", 12, lambda r: str(r.count))]
        if show_flops:
            cols += [("Total GFLOPs", 12, lambda r: f"{r.flops / 1e9:.3f}" if r.flops else "--"),
                     ("GFLOP/s", 12, lambda r: f"{r.gflops_per_s:.1f}" if r.flops else "--")]
        if self.group_by_input_shape:
            width = min(max([len("Input Shapes")] + [len(_fmt_shapes(r.input_shapes)) for r in rows]),
                        max_shapes_column_width)
            cols.append(("Input Shapes", width, lambda r: _fmt_shapes(r.input_shapes)))

        def line(cells):
            return "  ".join(c[:w].rjust(w) for c, (_, w, _f) in zip(cells, cols)) + "  "

        rule = "  ".join("-" * w for _, w, _f in cols) + "  "
        out = [header] if header else []
        out += [rule, line([t for t, _w, _f in cols]), rule]
        out += [line([f(r) for _t, _w, f in cols]) for r in rows]
        out += [rule, f"Self CPU time total: {_fmt_time(self.self_cpu_time_total)}", ""]
        return "\n".join(out)

    def __str__(self):
        return self.table()
