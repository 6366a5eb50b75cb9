"""Optimizers with PyTorch's exact update rules and defaults: SGD, Adam, AdamW; clip_grad_norm_.

Updates are in place on each parameter's ndarray and vectorized per parameter (float32 stays float32); like
torch's, a step is an in-place update under no_grad, so it bumps each parameter's version counter (a backward
through a graph that saved the old weights then refuses to run). Parameters whose .grad is None are skipped
and get no state, as in PyTorch.
"""
import copy
import math

import numpy as np

from .kernels.adam import adam_update
from .lr_scheduler import CosineAnnealingLR, LRScheduler, StepLR, WarmupCosineLR  # noqa: F401
from .state_checks import check_like, check_param_state


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = []
        for g in groups:
            group = dict(self.defaults)
            group.update(g)
            group["params"] = list(group["params"])
            self.param_groups.append(group)
        self.state = {}          # id(param) -> dict of ndarrays / numbers

    def _params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def zero_grad(self, set_to_none=True):
        for p in self._params():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                self._update(p.data, p.grad.data, self.state.setdefault(id(p), {}), group)
                p._bump_version()

    def _update(self, param, grad, state, group):
        raise NotImplementedError

    # ------------------------------------------------------------ state dict (parameters by position)
    def state_dict(self):
        """{'state': {'0': {...}, ...}, 'param_groups': [{hyperparameters, 'params': [0, 1, ...]}]}.
        Keys are strings and leaves are ndarrays or numbers, so minigrad.save can store it."""
        index = {id(p): i for i, p in enumerate(self._params())}
        state = {str(index[k]): {n: (v.copy() if isinstance(v, np.ndarray) else v) for n, v in s.items()}
                 for k, s in self.state.items() if k in index}
        groups = []
        for g in self.param_groups:
            d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items() if k != "params"}
            d["params"] = [index[id(p)] for p in g["params"]]
            groups.append(d)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state_dict() of an optimizer of the same kind over the same parameters. Anything else
        (other groups, shapes, keys or value types) raises ValueError and leaves this optimizer as it was."""
        check_like(state_dict, {"state": {}, "param_groups": []}, "optimizer state_dict")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                not isinstance(a, dict) or not isinstance(a.get("params"), list) or len(a["params"]) != len(b["params"])
                for a, b in zip(groups, self.param_groups)):
            raise ValueError("optimizer state_dict does not match this optimizer's parameter groups")
        for i, (saved, mine) in enumerate(zip(groups, self.param_groups)):
            check_like({k: v for k, v in saved.items() if k != "params"}, mine, f"optimizer param_groups[{i}]",
                       allow_new_scalars=True)
        params = self._params()
        for key, s in state_dict["state"].items():
            if not (key.isdigit() and int(key) < len(params)):
                raise ValueError(f"optimizer state_dict: state for parameter {key!r}, but there are {len(params)}")
            check_param_state(s, params[int(key)].data.shape, f"optimizer state of parameter {key}")
        self.state = {}
        for key, s in state_dict["state"].items():
            p = params[int(key)]
            restored = {}
            for n, v in s.items():
                if isinstance(v, np.ndarray) and v.shape == p.data.shape:
                    restored[n] = v.astype(p.data.dtype, copy=True)
                else:
                    restored[n] = copy.deepcopy(v)
            self.state[id(p)] = restored
        for mine, saved in zip(self.param_groups, groups):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = tuple(v) if k == "betas" else v


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _update(self, p, grad, state, group):
        lr, mom, damp, wd = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        d_p = grad + wd * p if wd != 0 else grad
        if mom != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(d_p, dtype=p.dtype, copy=True)
            else:
                buf *= mom
                buf += (1 - damp) * d_p
            d_p = d_p + mom * buf if group["nesterov"] else buf
        p -= lr * d_p


def _fused_ready(*arrays):
    """One float dtype and shape, all C-contiguous: the fused Numba update applies."""
    a = arrays[0]
    return (a.dtype in (np.float32, np.float64) and
            all(b.dtype == a.dtype and b.shape == a.shape and b.flags.c_contiguous for b in arrays))


class Adam(Optimizer):
    """Adam (Kingma & Ba) exactly as torch.optim.Adam; `decoupled` switches to AdamW's weight decay."""

    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"invalid betas {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))

    def _update(self, p, grad, state, group):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if not group["amsgrad"] and _fused_ready(p, grad, m, v):
            adam_update(p, grad, m, v, lr, b1, b2, eps, wd, self.decoupled, t)
            return
        if wd != 0:
            if self.decoupled:
                p *= 1 - lr * wd
            else:
                grad = grad + wd * p
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * (grad * grad)
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = lr / (1 - b1 ** t)
        denom = np.sqrt(v) / math.sqrt(1 - b2 ** t)
        denom += eps
        p -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (p *= 1 - lr * wd before the Adam step); default wd 1e-2."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0):
    """Scale all gradients together so their global norm is at most max_norm; returns the norm before (a 0-d
    float32 tensor, as torch)."""
    from .tensor import Tensor

    if hasattr(parameters, "grad"):
        parameters = [parameters]
    grads = [p.grad.data for p in parameters if p.grad is not None]
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    if norm_type == math.inf:
        total = max(float(np.abs(g).max()) for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads)) ** (1.0 / norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g *= g.dtype.type(coef)
    return Tensor._wrap(np.asarray(total, dtype=grads[0].dtype))
