"""The Recorder: timed events for op forwards and backwards, user ranges, module scopes and the
kernel workers' tasks and chunks, on every thread.

Each thread keeps its own stack of open events, so events on one thread always nest; an event's
self time is its duration minus its direct children's durations, which makes a thread's self times
sum to at most its wall time. Finished events go to one list (list.append is atomic under the GIL,
so the kernel workers can record while the caller does).
"""
import threading
import time

import numpy as np

from . import flops as _flops

# Event kinds. "op"/"backward"/"user"/"worker" rows appear in key_averages; "module" scopes and worker
# "chunk"s only in the trace (they would double count time their ops/tasks already show).
OP, BACKWARD, USER, MODULE, WORKER, CHUNK = "op", "backward", "user", "module", "worker", "chunk"


class Event:
    """One timed interval on one thread. Times in nanoseconds from time.perf_counter_ns()."""

    __slots__ = ("name", "kind", "thread", "start_ns", "end_ns", "child_ns", "input_shapes", "flops", "module")

    def __init__(self, name, kind, thread, module="", input_shapes=(), flops=0):
        self.name, self.kind, self.thread, self.module = name, kind, thread, module
        self.input_shapes, self.flops = input_shapes, flops
        self.start_ns = self.end_ns = self.child_ns = 0

    @property
    def duration_ns(self):
        return self.end_ns - self.start_ns

    @property
    def self_ns(self):
        return self.end_ns - self.start_ns - self.child_ns

    def __repr__(self):
        where = f" in {self.module}" if self.module else ""
        return f"<Event {self.name!r} ({self.kind}{where}) {self.duration_ns / 1e3:.1f} us on thread {self.thread}>"


def op_name(fn):
    """A Function class's event name: its class name without the "Fn" suffix (Conv2dFn -> Conv2d)."""
    name = fn.__name__
    return name[:-2] if name.endswith("Fn") and len(name) > 2 else name


def _shape_of(a):
    return tuple(a.shape) if isinstance(a, np.ndarray) else ()


class Recorder:
    def __init__(self, record_shapes=False):
        self.record_shapes = record_shapes
        self.events = []
        self.thread_names = {}
        self._local = threading.local()
        self._child_names = {}          # id(parent module) -> {id(child): attribute name}

    # ------------------------------------------------------------ event stack
    def _stack(self):
        local = self._local
        try:
            return local.stack
        except AttributeError:
            t = threading.current_thread()
            self.thread_names[t.ident] = t.name
            local.stack, local.frames = [], []
            return local.stack

    def open(self, name, kind, module="", input_shapes=(), flops=0):
        stack = self._stack()
        ev = Event(name, kind, threading.get_ident(), module, input_shapes, flops)
        stack.append(ev)
        ev.start_ns = time.perf_counter_ns()
        return ev

    def close(self, ev):
        """End `ev` and any event still open above it on this thread (a range left open inside it)."""
        end = time.perf_counter_ns()
        stack = self._stack()
        if ev not in stack:
            return
        while stack:
            top = stack.pop()
            top.end_ns = end
            if stack and top.kind != CHUNK:      # chunks annotate their task: its self time stays its busy time
                stack[-1].child_ns += top.end_ns - top.start_ns
            self.events.append(top)
            if top is ev:
                return

    def current_module(self):
        self._stack()
        frames = self._local.frames
        return frames[-1][1] if frames else ""

    # ------------------------------------------------------------ hooks (see state.py)
    def forward(self, fn, ctx, arrays, kwargs):
        """Run fn.forward(ctx, *arrays, **kwargs) as one "op" event."""
        name = op_name(fn)
        shapes = tuple(_shape_of(a) for a in arrays) if (self.record_shapes or _flops.counted(name)) else ()
        ev = self.open(name, OP, self.current_module(), shapes if self.record_shapes else ())
        ctx.profiler_module = ev.module             # read back by the backward event
        try:
            out = fn.forward(ctx, *arrays, **kwargs)
        finally:
            self.close(ev)
        if shapes:
            ev.flops = _flops.forward_flops(name, shapes, np.shape(out))
        return out

    def backward(self, ctx, grad):
        """Run ctx.fn.backward(ctx, grad) as one "backward" event, named and placed like its forward."""
        name = op_name(ctx.fn)
        parents = tuple(() if p is None else tuple(p.shape) for p in ctx.parents)
        shapes = (tuple(grad.shape),) + parents if self.record_shapes else ()
        ev = self.open(name + "Backward", BACKWARD, getattr(ctx, "profiler_module", ""), shapes)
        try:
            return ctx.fn.backward(ctx, grad)
        finally:
            self.close(ev)
            ev.flops = _flops.backward_flops(name, parents, grad.shape, ctx.needs_input_grad)

    def module_call(self, module, args, kwargs):
        """Run module.forward(*args, **kwargs) inside a scope named by the module's qualified name."""
        self._stack()
        frames = self._local.frames
        qualname = self._qualified_name(module, frames)
        ev = self.open(f"nn.Module: {qualname}", MODULE, qualname)
        frames.append((module, qualname))
        try:
            return module.forward(*args, **kwargs)
        finally:
            frames.pop()
            self.close(ev)

    def _qualified_name(self, module, frames):
        """The state_dict-style path below the outermost module called (layer1.0.conv1); the outermost
        module itself, and a module called from one that has not registered it, go by their class name."""
        if not frames:
            return type(module).__name__
        parent, parent_name = frames[-1]
        name = self._child_names.get(id(parent), {}).get(id(module))
        if name is None or parent._modules.get(name) is not module:     # first call, or the ids were reused
            names = {id(m): k for k, m in parent._modules.items() if m is not None}
            self._child_names[id(parent)] = names
            name = names.get(id(module), type(module).__name__)
        return name if len(frames) == 1 else f"{parent_name}.{name}"

    # ------------------------------------------------------------ kernel worker pool
    def traced_worker_task(self, task):
        """Wrap a worker-pool task (called on the caller's thread) so that, on each worker, the task
        and every chunk it pulls become events named after the caller's op (worker: Conv2dBackward)
        and carrying its module."""
        stack = self._stack()
        caller = stack[-1] if stack else None
        if caller is not None:
            label, module = caller.name, caller.module
        else:
            label, module = getattr(task, "__qualname__", "task").split(".<locals>")[0], self.current_module()

        def chunks(items):
            for item in items:
                ev = self.open(f"chunk: {label}", CHUNK, module)
                try:
                    yield item
                finally:
                    self.close(ev)

        def run(items):
            ev = self.open(f"worker: {label}", WORKER, module)
            try:
                return task(chunks(items))
            finally:
                self.close(ev)
        return run
