"""Recurrent layers with torch's parameters, gate orders, initialisation and state_dict keys: RNNCell,
LSTMCell, GRUCell and the sequence layers RNN, LSTM, GRU (num_layers, bidirectional, batch_first, dropout).

One step of each cell is a few differentiable tensor ops; a sequence layer projects every time step's input
at once (one GEMM per layer and direction) and loops over time only.
"""
import math

import numpy as np

from .. import functional as F
from .. import init
from ..creation import cat, stack, zeros
from .module import Module, Parameter


def _rnn_step(nonlinearity):
    act = F.tanh if nonlinearity == "tanh" else F.relu

    def step(xw, h, w_hh, b_hh, state=None):
        return act(xw + F.linear(h, w_hh, b_hh)), None
    return step


def _lstm_step(xw, h, w_hh, b_hh, c):
    gates = xw + F.linear(h, w_hh, b_hh)
    n = gates.shape[-1] // 4
    i, f = F.sigmoid(gates[..., :n]), F.sigmoid(gates[..., n:2 * n])
    g, o = F.tanh(gates[..., 2 * n:3 * n]), F.sigmoid(gates[..., 3 * n:])
    c = f * c + i * g
    return o * F.tanh(c), c


def _gru_step(xw, h, w_hh, b_hh, state=None):
    hw = F.linear(h, w_hh, b_hh)
    n = hw.shape[-1] // 3
    r = F.sigmoid(xw[..., :n] + hw[..., :n])
    z = F.sigmoid(xw[..., n:2 * n] + hw[..., n:2 * n])
    cand = F.tanh(xw[..., 2 * n:] + r * hw[..., 2 * n:])
    return (1 - z) * cand + z * h, None


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _step_fn(mode):
    """One time step: (x @ W_ih^T + b_ih, h, W_hh, b_hh, c) -> (h, c); c is the LSTM cell state (else None)."""
    if mode == "LSTM":
        return _lstm_step
    return _gru_step if mode == "GRU" else _rnn_step("tanh" if mode == "RNN_TANH" else "relu")


def _init_uniform(module, hidden_size):
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


class _Cell(Module):
    mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        g = _GATES[self.mode]
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(np.empty((g * hidden_size, input_size), np.float32))
        self.weight_hh = Parameter(np.empty((g * hidden_size, hidden_size), np.float32))
        self.register_parameter("bias_ih", Parameter(np.empty(g * hidden_size, np.float32)) if bias else None)
        self.register_parameter("bias_hh", Parameter(np.empty(g * hidden_size, np.float32)) if bias else None)
        _init_uniform(self, hidden_size)

    def _run(self, input, hx):
        unbatched = input.ndim == 1
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input (N, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(input.shape)}")
        x = input.unsqueeze(0) if unbatched else input
        lstm = self.mode == "LSTM"
        if hx is None:
            h = zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
            hx = (h, h) if lstm else h
        elif unbatched:
            hx = tuple(t.unsqueeze(0) for t in hx) if lstm else hx.unsqueeze(0)
        h, c = hx if lstm else (hx, None)
        h, c = _step_fn(self.mode)(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh, c)
        if unbatched:
            h, c = h.squeeze(0), (None if c is None else c.squeeze(0))
        return (h, c) if lstm else h

    def forward(self, input, hx=None):
        return self._run(input, hx)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_Cell):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.__dict__["mode"] = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity


class LSTMCell(_Cell):
    mode = "LSTM"


class GRUCell(_Cell):
    mode = "GRU"


class _RNNBase(Module):
    mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0):
        super().__init__()
        if proj_size:
            raise NotImplementedError(f"{type(self).__name__}: proj_size is not supported")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout should be a number in range [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, dropout, bidirectional
        g, dirs = _GATES[self.mode], 2 if bidirectional else 1
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                n_in = input_size if layer == 0 else hidden_size * dirs
                setattr(self, "weight_ih" + sfx, Parameter(np.empty((g * hidden_size, n_in), np.float32)))
                setattr(self, "weight_hh" + sfx, Parameter(np.empty((g * hidden_size, hidden_size), np.float32)))
                if bias:
                    setattr(self, "bias_ih" + sfx, Parameter(np.empty(g * hidden_size, np.float32)))
                    setattr(self, "bias_hh" + sfx, Parameter(np.empty(g * hidden_size, np.float32)))
        _init_uniform(self, hidden_size)

    def _weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        get = self._parameters.get
        return get("weight_ih" + sfx), get("weight_hh" + sfx), get("bias_ih" + sfx), get("bias_hh" + sfx)

    def forward(self, input, hx=None):
        lstm, dirs = self.mode == "LSTM", 2 if self.bidirectional else 1
        unbatched = input.ndim == 2
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input (L, N, {self.input_size}) (or batch_first, or "
                             f"unbatched (L, {self.input_size})), got {tuple(input.shape)}")
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        steps, n = x.shape[0], x.shape[1]
        if hx is None:
            h0 = zeros(self.num_layers * dirs, n, self.hidden_size, dtype=x.dtype)
            hx = (h0, h0) if lstm else h0
        elif unbatched:
            hx = tuple(t.unsqueeze(1) for t in hx) if lstm else hx.unsqueeze(1)
        h_all, c_all = hx if lstm else (hx, None)
        step = _step_fn(self.mode)
        h_out, c_out = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, d)
                xw = F.linear(x, w_ih, b_ih)                       # every time step at once
                k = layer * dirs + d
                h, c = h_all[k], (c_all[k] if lstm else None)
                seq = [None] * steps
                for t in (range(steps - 1, -1, -1) if d else range(steps)):
                    h, c = step(xw[t], h, w_hh, b_hh, c)
                    seq[t] = h
                outs.append(stack(seq))
                h_out.append(h)
                c_out.append(c)
            x = outs[0] if dirs == 1 else cat(outs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout)
        h_n = stack(h_out)
        state = (h_n, stack(c_out)) if lstm else h_n
        if unbatched:
            x = x.squeeze(1)
            state = tuple(s.squeeze(1) for s in state) if lstm else state.squeeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, state

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s


class RNN(_RNNBase):
    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.__dict__["mode"] = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        self.nonlinearity = nonlinearity


class LSTM(_RNNBase):
    mode = "LSTM"


class GRU(_RNNBase):
    mode = "GRU"


__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]
