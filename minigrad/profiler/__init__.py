"""minigrad.profiler: where a training step's time goes, per op and per layer, shaped like torch.profiler.

    with mg.profiler.profile(activities=[mg.profiler.ProfilerActivity.CPU], record_shapes=True) as prof:
        with mg.profiler.record_function("train_step"):
            loss = F.cross_entropy(model(x), y); loss.backward()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    prof.key_averages(group_by_module=True)      # one row per (layer, op): layer1.0.conv1 Conv2dBackward
    prof.export_chrome_trace("trace.json")      # chrome://tracing or Perfetto; kernel worker chunks included

Also schedule(wait=, warmup=, active=) with prof.step(), on_trace_ready, tensorboard_trace_handler.
"""
from .averages import EventList, FunctionEventAvg
from .profiling import (ProfilerAction, ProfilerActivity, profile, record_function, schedule, supported_activities,
                      tensorboard_trace_handler)

__all__ = ["profile", "record_function", "schedule", "ProfilerActivity", "ProfilerAction", "supported_activities",
           "tensorboard_trace_handler", "EventList", "FunctionEventAvg"]
