"""Poisson subsampling, the sampling the RDP/PRV accountants assume (spec "Pitfalls").

Each step includes every example independently with probability ``q``; the global batch is then
split across ranks (``selected[rank::world_size]``), which leaves it a Poisson sample of the whole
dataset. All ranks draw the same mask from a generator seeded by ``(seed, epoch, step)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from core_utils import InputError, derive_seed


class PoissonBatchSampler(Sampler[list[int]]):
    """Yields ``steps`` batches of variable size with inclusion probability ``sample_rate``.

    Parameters
    ----------
    num_samples : int
    sample_rate : float
    steps : int, optional
        Batches per epoch; default ``round(1 / sample_rate)`` (one expected pass).
    seed, rank, world_size : int
    """

    def __init__(
        self,
        num_samples: int,
        sample_rate: float,
        *,
        steps: int | None = None,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if not 0 < sample_rate <= 1:
            raise InputError(f"sample_rate must be in (0, 1], got {sample_rate}")
        self.num_samples = num_samples
        self.sample_rate = sample_rate
        self.steps = steps if steps is not None else max(1, round(1 / sample_rate))
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.steps):
            gen = torch.Generator().manual_seed(derive_seed(self.seed, "poisson", self.epoch, step))
            mask = torch.rand(self.num_samples, generator=gen) < self.sample_rate
            selected = mask.nonzero().flatten()
            yield selected[self.rank :: self.world_size].tolist()


class _EmptySafeCollate:
    """Default collate that turns an empty batch into zero-length tensors of the right shape."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __call__(self, batch: Sequence):
        from torch.utils.data import default_collate

        if len(batch) > 0:
            return default_collate(batch)
        proto = default_collate([self.dataset[0]])
        return _slice_empty(proto)


def _slice_empty(obj):
    if isinstance(obj, torch.Tensor):
        return obj[:0]
    if isinstance(obj, (list, tuple)):
        return type(obj)(_slice_empty(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _slice_empty(v) for k, v in obj.items()}
    return obj


def poisson_loader(
    dataset: Dataset,
    sample_rate: float,
    *,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    steps: int | None = None,
) -> DataLoader:
    """A ``DataLoader`` over ``dataset`` with :class:`PoissonBatchSampler` batches."""
    sampler = PoissonBatchSampler(
        len(dataset), sample_rate, steps=steps, seed=seed, rank=rank, world_size=world_size
    )
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=_EmptySafeCollate(dataset))
