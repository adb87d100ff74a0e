"""Poisson sampling: inclusion rate q, independent of batch position, split across ranks."""

import torch
from torch.utils.data import TensorDataset

from dp_zero.sampling import PoissonBatchSampler, poisson_loader


def test_poisson_batches_have_binomial_sizes():
    s = PoissonBatchSampler(1000, 0.05, steps=400, seed=3)
    sizes = torch.tensor([len(b) for b in s], dtype=torch.float64)
    assert abs(sizes.mean().item() - 50) < 1.5  # se = sqrt(47.5/400) = 0.34
    assert abs(sizes.var().item() - 47.5) < 12


def test_ranks_partition_the_same_global_sample():
    parts = [list(PoissonBatchSampler(200, 0.1, steps=5, seed=1, rank=r, world_size=3)) for r in range(3)]
    whole = list(PoissonBatchSampler(200, 0.1, steps=5, seed=1))
    for step in range(5):
        merged = sorted(i for r in range(3) for i in parts[r][step])
        assert merged == sorted(whole[step])


def test_loader_yields_empty_batches_as_zero_length_tensors():
    ds = TensorDataset(torch.randn(3, 4), torch.arange(3))
    batches = list(poisson_loader(ds, 0.01, seed=0, steps=20))
    empty = [b for b in batches if b[0].shape[0] == 0]
    assert empty and empty[0][0].shape == (0, 4) and empty[0][1].shape == (0,)
