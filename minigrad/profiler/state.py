"""The one flag the hot paths check: the active Recorder, or None when nothing is being profiled.

Function.apply, the backward pass, Module.__call__ and the kernel worker pool read `current` once
per call; with no profiler active that global lookup is all they pay.
"""
current = None
