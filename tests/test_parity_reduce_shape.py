"""Torch-parity lines for reductions (dim/keepdim, (values, indices), 0-d) and shape/indexing ops."""
import numpy as np
import pytest
import torch

import minigrad as mg
from op_helper import helper_test_op


def L(x):
    return torch if isinstance(x, torch.Tensor) else mg


def idx(x, data):
    """An int64 index tensor of x's library."""
    return L(x).tensor(np.asarray(data, dtype=np.int64))


REDUCE = {
    "sum": lambda x: x.sum(), "sum dim": lambda x: x.sum(1), "sum dim keepdim": lambda x: x.sum(dim=-1, keepdim=True),
    "sum dims": lambda x: x.sum((0, 2)), "mean": lambda x: x.mean(), "mean dim": lambda x: x.mean(0),
    "mean dims keepdim": lambda x: x.mean(dim=(1, 2), keepdim=True),
    "prod": lambda x: x.prod(), "prod dim": lambda x: x.prod(1), "prod keepdim": lambda x: x.prod(2, keepdim=True),
    "max": lambda x: x.max(), "max dim": lambda x: x.max(1), "max dim keepdim": lambda x: x.max(dim=2, keepdim=True),
    "max dim values": lambda x: x.max(1)[0], "max dim .values": lambda x: x.max(-1).values,
    "min": lambda x: x.min(), "min dim": lambda x: x.min(0), "min dim .indices": lambda x: x.min(1).indices,
    "amax": lambda x: x.amax((0, 1)), "amin": lambda x: x.amin(-1, keepdim=True),
    "argmax": lambda x: x.argmax(), "argmax dim": lambda x: x.argmax(1), "argmin keepdim": lambda x: x.argmin(2, keepdim=True),
    "var": lambda x: x.var(), "var dim": lambda x: x.var(1), "var unbiased False": lambda x: x.var(1, unbiased=False),
    "var correction 0 keepdim": lambda x: x.var(dim=(0, 1), correction=0, keepdim=True),
    "std": lambda x: x.std(), "std dim": lambda x: x.std(dim=2), "std keepdim": lambda x: x.std(0, keepdim=True),
    "logsumexp": lambda x: x.logsumexp(1), "logsumexp keepdim": lambda x: x.logsumexp(dim=-1, keepdim=True),
    "logsumexp dims": lambda x: x.logsumexp((0, 2)),
    "all dim": lambda x: (x > -1).all(1), "any": lambda x: (x > 1.9).any(), "any dim keepdim": lambda x: (x > 1).any(0, keepdim=True),
    "cumsum": lambda x: x.cumsum(1), "cumsum last": lambda x: x.cumsum(dim=-1),
    "norm": lambda x: x.norm(), "norm dim": lambda x: x.norm(dim=1), "norm p1": lambda x: x.norm(p=1, dim=0),
    "count_nonzero": lambda x: (x > 0).count_nonzero(1),
}

SHAPE = {
    "reshape": lambda x: x.reshape(6, 4), "reshape -1": lambda x: x.reshape(-1, 3), "view": lambda x: x.view(2, 12),
    "view tuple": lambda x: x.view((4, -1)), "view_as": lambda x: x.view_as(x.reshape(4, 6)),
    "flatten": lambda x: x.flatten(), "flatten 1": lambda x: x.flatten(1), "flatten 0 1": lambda x: x.flatten(0, 1),
    "unflatten": lambda x: x.unflatten(2, (2, 2)),
    "permute": lambda x: x.permute(2, 0, 1), "permute tuple": lambda x: x.permute((1, 2, 0)),
    "transpose": lambda x: x.transpose(0, 2), "transpose neg": lambda x: x.transpose(-2, -1),
    "transpose 2d 0 1": lambda x: x[0].transpose(0, 1), "T": lambda x: x[0].T, "mT": lambda x: x.mT,
    "t": lambda x: x[0].t(), "movedim": lambda x: x.movedim(0, -1), "swapaxes": lambda x: x.swapaxes(0, 1),
    "unsqueeze": lambda x: x.unsqueeze(1), "unsqueeze -1": lambda x: x.unsqueeze(-1),
    "squeeze": lambda x: x[:, :1].squeeze(), "squeeze dim": lambda x: x[:, :1].squeeze(1),
    "squeeze non-1 dim": lambda x: x.squeeze(0), "expand": lambda x: x[:, :1].expand(2, 5, 4),
    "expand -1": lambda x: x[None].expand(3, -1, -1, -1), "expand_as": lambda x: x[:1].expand_as(x),
    "flip": lambda x: x.flip(0), "flip dims": lambda x: x.flip((0, 2)), "repeat": lambda x: x.repeat(2, 1, 3),
    "repeat new dims": lambda x: x[0].repeat(2, 2, 1), "tile": lambda x: x.tile(2), "roll": lambda x: x.roll(1, 2),
    "roll flat": lambda x: x.roll(5), "narrow": lambda x: x.narrow(1, 1, 2), "split": lambda x: x.split(2, 2),
    "split sizes": lambda x: x.split([1, 2], 1), "chunk": lambda x: x.chunk(3, -1), "unbind": lambda x: x.unbind(1),
    "getitem int": lambda x: x[1], "getitem neg": lambda x: x[-1, :, -2], "getitem slices": lambda x: x[:, 1:, ::2],
    "getitem None ellipsis": lambda x: x[None, ..., 1], "getitem int tensor": lambda x: x[idx(x, [1, 0, 1])],
    "getitem 2 int tensors": lambda x: x[idx(x, [0, 1]), :, idx(x, [3, 3])], "getitem bool": lambda x: x[x > 0],
    "getitem list": lambda x: x[:, [2, 0]], "getitem 0-d index": lambda x: x[idx(x, 1)],
    "gather": lambda x: x.gather(2, idx(x, np.array([[[0, 3], [1, 1], [2, 0]]] * 2))),
    "scatter": lambda x: x.scatter(1, idx(x, [[[0, 1, 2, 0]], [[2, 2, 1, 0]]]), x[:, :1] * 3),
    "scatter_add": lambda x: x.scatter_add(2, idx(x, [[[0, 0], [1, 1], [3, 3]]] * 2), x[:, :, :2]),
    "index_select": lambda x: x.index_select(2, idx(x, [3, 0, 0])),
    "masked_fill": lambda x: x.masked_fill(x > 0.5, -1.0), "masked_select": lambda x: x.masked_select(x < 0),
    "tril": lambda x: x.tril(), "triu": lambda x: x.triu(1), "repeat_interleave": lambda x: x.repeat_interleave(2, 0),
    "cat": lambda x: L(x).cat([x, x * 2], 1), "cat dim -1": lambda x: L(x).cat((x, x[:, :, :1]), dim=-1),
    "stack": lambda x: L(x).stack([x, -x], 0), "stack dim 2": lambda x: L(x).stack([x, x], dim=2),
    "contiguous": lambda x: x.transpose(0, 1).contiguous(),
    "index_add": lambda x: x.index_add(1, idx(x, [2, 0, 2]), x[:, :3] * 2, alpha=0.5),
    "index_copy": lambda x: x.index_copy(2, idx(x, [3, 1]), x[:, :, :2].exp()),
    "index_fill": lambda x: x.index_fill(1, idx(x, [0, 2]), -1.0),
    "index_add_ non-leaf": lambda x: (x * 1).index_add_(0, idx(x, [1, 1]), x * 3),
}


@pytest.mark.parametrize("name", sorted(REDUCE))
def test_reduction(name):
    helper_test_op([(2, 3, 4)], REDUCE[name], name=name)


@pytest.mark.parametrize("name", sorted(SHAPE))
def test_shape_op(name):
    helper_test_op([(2, 3, 4)], SHAPE[name], name=name)


def test_max_ties_send_gradient_like_torch():
    tie = [np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])]
    helper_test_op(None, lambda x: x.max(1)[0], vals=tie, name="max dim ties")
    helper_test_op(None, lambda x: x.max(), vals=tie, name="max all ties")
    helper_test_op(None, lambda x: x.min(0).values, vals=tie, name="min dim ties")
    helper_test_op(None, lambda x: x.amax(1), vals=tie, name="amax ties")


def test_prod_with_zeros():
    helper_test_op(None, lambda x: x.prod(1), vals=[np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5], [1.0, 2.0, 4.0]])],
                   name="prod with zeros")
    helper_test_op(None, lambda x: x.prod(), vals=[np.array([2.0, 0.0, -3.0])], name="prod all with a zero")


@pytest.mark.parametrize("name", ["sum dim", "mean dim", "max dim", "min dim", "prod dim", "argmax dim", "var",
                                  "std dim", "logsumexp", "squeeze", "unsqueeze", "flatten", "cumsum", "movedim",
                                  "gather", "nonzero", "expand", "sort", "cummax", "transpose"])
def test_reductions_and_shapes_on_0d(name):
    fn = {"sum dim": lambda x: x.sum(0), "mean dim": lambda x: x.mean(-1), "max dim": lambda x: x.max(0),
          "min dim": lambda x: x.min(0, keepdim=True), "prod dim": lambda x: x.prod(0), "argmax dim": lambda x: x.argmax(0),
          "var": lambda x: x.var(correction=0), "std dim": lambda x: x.std(0, unbiased=False), "logsumexp": lambda x: x.logsumexp(0),
          "squeeze": lambda x: x.squeeze(-1), "unsqueeze": lambda x: x.unsqueeze(0), "flatten": lambda x: x.flatten(),
          "cumsum": lambda x: x.cumsum(0), "movedim": lambda x: x.movedim(0, -1),
          "gather": lambda x: x.gather(0, L(x).tensor(0)), "nonzero": lambda x: x.nonzero(),
          "expand": lambda x: x.expand(2, 3), "sort": lambda x: x.sort(), "cummax": lambda x: x.cummax(0),
          "transpose": lambda x: x.transpose(0, -1)}[name]
    helper_test_op(None, fn, vals=[np.array(1.3)], name=f"{name} 0-d")


def test_size_numel_dim():
    for lib in (torch, mg):
        x = lib.zeros(2, 3, 4)
        assert tuple(x.size()) == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
        assert x.numel() == 24 and x.dim() == 3 and x.ndim == 3 and tuple(x.shape) == (2, 3, 4)
        assert len(x) == 2 and lib.tensor(5.0).dim() == 0


def test_numpy_aliases_kept():
    x = mg.tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(axis=1, keepdims=True).shape == (2, 1)
    np.testing.assert_array_equal(x.max(axis=1).values.numpy(), [2, 5])    # torch accepts axis= too
    assert mg.cat([x, x], axis=1).shape == (2, 6) and x.transpose(1, 0).shape == (3, 2)
