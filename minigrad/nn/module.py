"""Module and Parameter: the PyTorch-shaped container for layers, with state_dict round trips."""
from collections import OrderedDict, namedtuple

import numpy as np

from ..profiler import state as _profiler
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter (requires_grad=True by default)."""

    def __init__(self, data, requires_grad=True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(ValueError, RuntimeError):
    """load_state_dict found missing/unexpected keys or shape mismatches (all listed in one message)."""


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class RemovableHandle:
    """What register_forward_hook returns: remove() unregisters the hook."""

    def __init__(self, store, key):
        self._store, self.id = store, key

    def remove(self):
        self._store.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Module:
    training = True

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() before setting {name!r}")
        for store in ("_parameters", "_buffers", "_modules"):
            self.__dict__[store].pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self.__dict__.get("_buffer_names", ()):
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[store]:
                del self.__dict__[store][name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param if isinstance(param, Parameter) else Parameter(param))

    def register_buffer(self, name, array, persistent=True):
        """A non-learnable ndarray saved in state_dict (e.g. batch-norm running statistics)."""
        if array is not None and not isinstance(array, np.ndarray):
            array = np.asarray(array.data if isinstance(array, Tensor) else array)
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        self.__dict__.pop(name, None)
        self._buffers[name] = array
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        self._modules[name] = module

    # ------------------------------------------------------------ traversal
    def named_modules(self, prefix=""):
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            yield name, mod
            children = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((k, m) for k, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, mod in mods:
            for pname, p in mod._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix=""):
        for mname, mod in self.named_modules(prefix):
            for bname, b in mod._buffers.items():
                if b is not None:
                    yield (f"{mname}.{bname}" if mname else bname), b

    def buffers(self):
        return (b for _, b in self.named_buffers())

    def apply(self, fn):
        for m in list(self.modules())[::-1]:
            fn(m)
        return self

    # ------------------------------------------------------------ modes and grads
    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def _cast(self, dtype):
        """Convert floating parameters and buffers in place (the Parameter objects stay the same)."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        for m in self.modules():
            for k, b in m._buffers.items():
                if b is not None and np.issubdtype(b.dtype, np.floating):
                    m._buffers[k] = b.astype(dtype)
        return self

    def float(self):
        return self._cast(np.float32)

    def double(self):
        return self._cast(np.float64)

    def to(self, *args, device=None, dtype=None, **_):
        """to(device), to(dtype), to(device, dtype), to(tensor): only the CPU exists; float dtypes cast."""
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) and not a.startswith(("float", "double")) or type(a).__name__ == "device":
                device = a
            elif a is not None:
                dtype = a
        if device is not None and str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"Module.to({str(device)!r}): minigrad runs on the CPU only")
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype not in (np.float32, np.float64):
                raise TypeError(f"Module.to only accepts float32 or float64 dtypes, but got {dtype}")
            self._cast(dtype)
        return self

    def cpu(self):
        return self

    def cuda(self, device=None):
        raise RuntimeError("Module.cuda(): minigrad runs on the CPU only")

    def register_module(self, name, module):
        self.add_module(name, module)

    def get_submodule(self, target):
        """The module at a dotted path such as "features.0" ("" is this module)."""
        mod = self
        for part in target.split(".") if target else ():
            if part not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{part}` (looking up {target!r})")
            mod = mod._modules[part]
        return mod

    def get_parameter(self, target):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}` (looking up {target!r})")
        return mod._parameters[name]

    # ------------------------------------------------------------ state dict
    def state_dict(self):
        """An OrderedDict of copies of every parameter and persistent buffer, with PyTorch key names."""
        sd = OrderedDict()
        for mname, mod in self.named_modules():
            pre = f"{mname}." if mname else ""
            for k, p in mod._parameters.items():
                if p is not None:
                    sd[pre + k] = p.data.copy()
            for k, b in mod._buffers.items():
                if b is not None and k not in mod._non_persistent:
                    sd[pre + k] = np.array(b, copy=True)
        return sd

    def _state_targets(self):
        """key -> (module, store, name) for everything state_dict would write."""
        targets = OrderedDict()
        for mname, mod in self.named_modules():
            pre = f"{mname}." if mname else ""
            for k, p in mod._parameters.items():
                if p is not None:
                    targets[pre + k] = (mod, "_parameters", k)
            for k, b in mod._buffers.items():
                if b is not None and k not in mod._non_persistent:
                    targets[pre + k] = (mod, "_buffers", k)
        return targets

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into the existing parameters/buffers (in place, in their dtype, so an optimizer
        holding them stays valid). Missing/unexpected keys (strict) and shape mismatches (always) are all
        reported in one StateDictError; nothing is modified when it is raised."""
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        problems = []
        for key, (mod, store, name) in targets.items():
            if key in state_dict:
                cur = mod.__dict__[store][name]
                cur = cur.data if isinstance(cur, Tensor) else cur
                val = np.asarray(state_dict[key].data if isinstance(state_dict[key], Tensor) else state_dict[key])
                if val.shape != cur.shape:
                    problems.append(f"size mismatch for {key}: checkpoint has {val.shape}, model has {cur.shape}")
        if strict:
            problems = ((["missing key(s): " + ", ".join(missing)] if missing else [])
                        + (["unexpected key(s): " + ", ".join(unexpected)] if unexpected else []) + problems)
        if problems:
            raise StateDictError(f"error(s) loading state_dict into {type(self).__name__}: " + "; ".join(problems))
        for key, (mod, store, name) in targets.items():
            if key not in state_dict:
                continue
            val = state_dict[key]
            val = val.data if isinstance(val, Tensor) else np.asarray(val)
            cur = mod.__dict__[store][name]
            if isinstance(cur, Tensor):
                cur.data[...] = val
            else:
                cur[...] = val
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------ calling and printing
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        hooks = self.__dict__.get("_hooks")
        if hooks:
            for hook in list(hooks["pre"].values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        prof = _profiler.current
        out = self.forward(*args, **kwargs) if prof is None else prof.module_call(self, args, kwargs)
        if hooks:
            for hook in list(hooks["post"].values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def _add_hook(self, kind, hook):
        hooks = self.__dict__.setdefault("_hooks", {"pre": {}, "post": {}, "next": 0})
        hooks["next"] += 1
        hooks[kind][hooks["next"]] = hook
        return RemovableHandle(hooks[kind], hooks["next"])

    def register_forward_pre_hook(self, hook):
        """hook(module, args) before forward; a non-None result replaces args (a single value becomes (value,))."""
        return self._add_hook("pre", hook)

    def register_forward_hook(self, hook):
        """hook(module, args, output) after forward; a non-None result replaces the output."""
        return self._add_hook("post", hook)

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"  ({k}): " + repr(m).replace("\n", "\n  ") for k, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ")" if not lines else head + "\n" + "\n".join(lines) + "\n)"
