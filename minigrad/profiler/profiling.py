"""profile, record_function, schedule: torch.profiler's user-facing API over the Recorder.

Options minigrad cannot honour (devices, memory, Python stacks) raise ValueError naming the option,
so a script written for torch never silently gets less than it asked for.
"""
import enum
import os
import socket
import time
from contextlib import ContextDecorator

from . import state
from .averages import average
from .recorder import USER, Recorder
from .trace import export_chrome_trace


class ProfilerActivity(enum.Enum):
    CPU = "CPU"
    CUDA = "CUDA"
    XPU = "XPU"
    MTIA = "MTIA"
    PrivateUse1 = "PrivateUse1"


def supported_activities():
    return {ProfilerActivity.CPU}


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0):
    """step number -> ProfilerAction, exactly torch.profiler.schedule's cycle: skip_first steps, then
    `repeat` cycles (0: forever) of `wait` idle steps, `warmup` discarded steps and `active` recorded ones."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError(f"minigrad.profiler.schedule: need wait, warmup, repeat, skip_first >= 0 and active > 0, "
                         f"got wait={wait}, warmup={warmup}, active={active}, repeat={repeat}, skip_first={skip_first}")

    def action(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return action


def _always_record(step):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """on_trace_ready handler writing `<worker>.<ms>.pt.trace.json` into dir_name, like torch's."""
    if use_gzip:
        raise ValueError("minigrad.profiler.tensorboard_trace_handler: use_gzip is not supported")

    def handler(prof):
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        prof.export_chrome_trace(os.path.join(dir_name, f"{name}.{int(time.time() * 1000)}.pt.trace.json"))
    return handler


def _refuse(option, why):
    raise ValueError(f"minigrad.profiler.profile: {option} is not supported: {why}")


class profile:
    """with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof: ...

    Records every Function's forward and backward (calls, total and self CPU time, input shapes, FLOPs
    for conv2d/linear/matmul), record_function ranges, nn.Module scopes (events carry the module's
    qualified name) and the kernel workers' tasks and chunks, on all threads.
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=True, with_modules=True,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None):
        for act in activities or (ProfilerActivity.CPU,):
            if act != ProfilerActivity.CPU:
                _refuse(f"activity {act}", "minigrad runs on the CPU only (ProfilerActivity.CPU)")
        if use_cuda:
            _refuse("use_cuda=True", "minigrad runs on the CPU only")
        if profile_memory:
            _refuse("profile_memory=True", "minigrad records time and FLOPs, not allocations")
        if with_stack:
            _refuse("with_stack=True", "minigrad records no Python stacks; events carry their nn.Module's name")
        for name, value in (("experimental_config", experimental_config),
                            ("execution_trace_observer", execution_trace_observer),
                            ("custom_trace_id_callback", custom_trace_id_callback)):
            if value is not None:
                _refuse(name, "it is a torch-internal option")
        self.record_shapes, self.with_flops, self.acc_events = bool(record_shapes), with_flops, acc_events
        self.schedule = schedule or _always_record
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = ProfilerAction.NONE
        self._recorder = None           # collecting now
        self._events, self._thread_names = [], {}   # the last saved cycle (all of them with acc_events)
        self._step_event = None

    # ------------------------------------------------------------ lifecycle
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        if state.current is not None and state.current is not self._recorder:
            raise RuntimeError("minigrad.profiler.profile: another profiler is already running")
        self.step_num = 0
        self._transition(self.schedule(0))

    def stop(self):
        if self._recorder is not None:
            self._close_step()
            if self.current_action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
                self._save()
            else:
                self._detach()
        self.current_action = ProfilerAction.NONE

    def step(self):
        """End one training step (torch's prof.step()): advance the schedule."""
        self._close_step()
        prev = self.current_action
        self.step_num += 1
        if prev == ProfilerAction.RECORD_AND_SAVE:
            self._save()
        self._transition(self.schedule(self.step_num), prev)

    def _transition(self, action, prev=ProfilerAction.NONE):
        collecting = (ProfilerAction.WARMUP, ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
        if prev == ProfilerAction.WARMUP and action != ProfilerAction.WARMUP:
            self._detach()                   # warm-up events are discarded
        if action in collecting and self._recorder is None:
            self._recorder = Recorder(self.record_shapes)
            state.current = self._recorder
        elif action not in collecting and self._recorder is not None:
            self._detach()
        self.current_action = action
        if self._recorder is not None:
            self._step_event = self._recorder.open(f"ProfilerStep#{self.step_num}", USER)

    def _close_step(self):
        if self._step_event is not None and self._recorder is not None:
            self._recorder.close(self._step_event)
        self._step_event = None

    def _detach(self):
        if state.current is self._recorder:
            state.current = None
        rec, self._recorder = self._recorder, None
        return rec

    def _save(self):
        rec = self._detach()
        if rec is None:
            return
        if self.acc_events:
            self._events = self._events + rec.events
            self._thread_names = {**self._thread_names, **rec.thread_names}
        else:
            self._events, self._thread_names = list(rec.events), dict(rec.thread_names)
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # ------------------------------------------------------------ results
    def events(self):
        """The recorded events (one per op call, range, module scope, worker task and chunk)."""
        return list(self._events)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_module=False):
        """Rows averaged per name; group_by_input_shape splits them by input shapes (needs
        record_shapes=True), group_by_module by the nn.Module that ran them (layer1.0.conv1)."""
        if group_by_stack_n:
            _refuse("group_by_stack_n", "minigrad records no Python stacks; use group_by_module=True")
        if group_by_input_shape and not self.record_shapes:
            raise ValueError("minigrad.profiler: group_by_input_shape=True needs profile(record_shapes=True)")
        rows = average(self._events, group_by_input_shape, group_by_module)
        if not self.with_flops:
            for row in rows:
                row.flops = 0
        return rows

    def export_chrome_trace(self, path):
        export_chrome_trace(self._events, self._thread_names, path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        _refuse("export_stacks", "minigrad records no Python stacks (with_stack); use key_averages(group_by_module=True)")

    def export_memory_timeline(self, path, device=None):
        _refuse("export_memory_timeline", "minigrad records time and FLOPs, not allocations")


class record_function(ContextDecorator):
    """with record_function("name"): ... marks a user range (nested ranges nest); also a decorator."""

    def __init__(self, name, args=None):
        self.name = str(name)
        self._event = self._recorder = None

    def _recreate_cm(self):
        """As a decorator: a fresh range per call, so recursive and concurrent calls each get theirs."""
        return record_function(self.name)

    def __enter__(self):
        self._recorder = state.current
        if self._recorder is not None:
            self._event = self._recorder.open(self.name, USER)
        return self

    def __exit__(self, *exc):
        if self._event is not None:
            self._recorder.close(self._event)
        self._event = self._recorder = None
        return False
