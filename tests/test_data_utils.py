"""mg.utils.data against torch.utils.data: the same batches, lengths, shuffling behaviour and collation."""
from collections import namedtuple

import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                                 SequentialSampler, Subset, TensorDataset, default_collate, random_split)


def _data(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) % 4
    return x, y


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (10, False), (12, True)])
def test_sequential_batches_match_torch(batch_size, drop_last):
    x, y = _data()
    ours = DataLoader(TensorDataset(mg.tensor(x), y), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                         batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    got, want = list(ours), list(theirs)
    assert len(got) == len(want)
    for (xb, yb), (xt, yt) in zip(got, want):
        assert isinstance(xb, mg.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
        np.testing.assert_array_equal(xb.numpy(), xt.numpy())
        np.testing.assert_array_equal(yb.numpy(), yt.numpy())


def test_shuffle_is_a_fresh_permutation_each_epoch_and_repeatable_with_a_generator():
    x, y = _data(50)
    ds = TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=mg.Generator().manual_seed(3))
    e1 = np.concatenate([b[1].numpy() for b in loader])
    e2 = np.concatenate([b[1].numpy() for b in loader])
    rows1 = np.concatenate([b[0].numpy()[:, 0] for b in loader])
    assert sorted(rows1 // 3) == list(range(50))                 # every sample once per epoch
    assert not np.array_equal(e1, e2) or not np.array_equal(rows1, np.arange(50) * 3)
    again = DataLoader(ds, batch_size=8, shuffle=True, generator=mg.Generator().manual_seed(3))
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in again]), e1)
    mg.manual_seed(1)
    a = [b[0].numpy() for b in DataLoader(ds, batch_size=50, shuffle=True)][0]
    mg.manual_seed(1)
    b = [b[0].numpy() for b in DataLoader(ds, batch_size=50, shuffle=True)][0]
    np.testing.assert_array_equal(a, b)                          # the global seed drives shuffling too


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "k": i, "f": i / 2, "name": f"s{i}"}


def test_default_collate_follows_torch_types():
    batch = DataLoader(Squares(5), batch_size=3).__iter__().__next__()
    tb = next(iter(torch.utils.data.DataLoader(Squares(5), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["x"].dtype == np.float32
    assert batch["k"].dtype == np.int64 and batch["f"].dtype == np.float64
    assert str(tb["k"].dtype) == "torch.int64" and str(tb["f"].dtype) == "torch.float64"
    assert batch["name"] == tb["name"] == ["s0", "s1", "s2"]
    Pair = namedtuple("Pair", "a b")
    out = default_collate([Pair(1, 2.0), Pair(3, 4.0)])
    assert isinstance(out, Pair) and out.a.tolist() == [1, 3]
    assert [t.tolist() for t in default_collate([(1, 2), (3, 4)])] == [[1, 3], [2, 4]]


def test_samplers_subset_concat_and_random_split():
    x, y = _data(10)
    ds = TensorDataset(x, y)
    assert list(SequentialSampler(ds)) == list(range(10))
    assert sorted(RandomSampler(ds, generator=mg.Generator().manual_seed(0))) == list(range(10))
    assert len(list(RandomSampler(ds, replacement=True, num_samples=25))) == 25
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(BatchSampler(range(7), 3, drop_last=True)) == 2
    sub = Subset(ds, [9, 2])
    assert sub[0][1].item() == y[9] and len(sub) == 2
    cat = ConcatDataset([sub, ds])
    assert len(cat) == 12 and cat[2][1].item() == y[0] and cat[-1][1].item() == y[9]
    a, b = random_split(ds, [7, 3], generator=mg.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3 and sorted(a.indices + b.indices) == list(range(10))
    c, d = random_split(ds, [0.5, 0.5])
    assert len(c) == len(d) == 5
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])
    batches = list(DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, False)))
    assert [len(b[0]) for b in batches] == [4, 4, 2]


class Stream(IterableDataset):
    def __iter__(self):
        return iter(np.arange(7, dtype=np.float32))

    def __len__(self):
        return 7


def test_iterable_dataset_and_unbatched_loading():
    out = [b.numpy().tolist() for b in DataLoader(Stream(), batch_size=3)]
    assert out == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(DataLoader(Stream(), batch_size=3, drop_last=True)) == 2
    single = list(DataLoader(TensorDataset(*_data(3)), batch_size=None))
    assert len(single) == 3 and single[1][0].shape == (3,)


def test_errors_like_torch():
    x, y = _data()
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, y[:5])
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(TensorDataset(x), sampler=SequentialSampler(x), shuffle=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(TensorDataset(x), batch_size=0)


def test_weighted_random_sampler():
    from minigrad.utils.data import WeightedRandomSampler
    s = WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=mg.Generator().manual_seed(0))
    counts = np.bincount(list(s), minlength=3)
    assert len(s) == 4000 and counts[0] == 0 and abs(counts[2] / counts[1] - 3) < 0.3
    assert sorted(WeightedRandomSampler([1, 1, 1], 3, replacement=False)) == [0, 1, 2]
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([-1.0, 2.0], 3)
