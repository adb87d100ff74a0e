"""Gaussian noise added exactly once per optimizer step across all ranks (spec section 1, step 6).

Each rank's noise comes from a fresh generator seeded by ``(seed, rank, step, parameter index)``,
so a run is reproducible and resumes bit-exactly from its step counter; noise is drawn in fp32.

The default ``sharded`` mode gives every parameter one owner rank (:func:`assign_owners`, balanced
by size); only the owner draws that parameter's noise, with the full std ``sigma R``. The sum over
ranks is again ``N(0, (sigma R)^2)`` per coordinate, added once, but each rank draws about ``1/W``
of the numbers instead of all of them (the draw is O(parameters) per step and is a visible part of
a small model's step on a CPU). With one rank it is identical to ``independent``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from core_utils import InputError, derive_seed

NOISE_MODES = ("sharded", "independent", "shared")


@dataclass(frozen=True)
class RankNoise:
    """Per-rank share of the Gaussian noise ``N(0, (sigma R)^2)``.

    ``sharded`` (default): parameter ``index`` is noised only by its owner rank ``owners[index]``
    (see :func:`assign_owners`), with std ``sigma R``; the other ranks add nothing to it.
    ``independent``: every rank draws ``N(0, (sigma R)^2 / W)`` with its own seed; the sum over
    ranks is ``N(0, (sigma R)^2)``. ``shared``: every rank draws the same sample (seed without the
    rank) with std ``sigma R / W``; the sum is again ``N(0, (sigma R)^2)``.
    """

    sigma: float
    seed: int
    rank: int = 0
    world_size: int = 1
    mode: str = "sharded"
    owners: tuple[int, ...] = ()  # sharded mode: owner rank of each parameter index

    def __post_init__(self) -> None:
        if self.mode not in NOISE_MODES:
            raise InputError(f"noise mode must be one of {', '.join(NOISE_MODES)}, got {self.mode!r}")
        if self.sigma < 0:
            raise InputError(f"noise multiplier must be >= 0, got {self.sigma}")
        if any(not 0 <= o < self.world_size for o in self.owners):
            raise InputError(f"noise owners must be ranks in [0, {self.world_size}), got {self.owners}")

    def draws(self, index: int) -> bool:
        """Whether this rank adds noise to parameter ``index`` (always, except in ``sharded`` mode)."""
        if self.mode != "sharded" or self.world_size == 1:
            return True
        if index >= len(self.owners):
            raise InputError(f"sharded noise has no owner for parameter index {index}")
        return self.owners[index] == self.rank

    def rank_std(self, sensitivity: float) -> float:
        """This rank's noise std for a total std ``sigma * sensitivity``."""
        total = self.sigma * sensitivity
        if self.mode == "sharded":
            return total
        if self.mode == "independent":
            return total / math.sqrt(self.world_size)
        return total / self.world_size

    def sample(
        self, shape: torch.Size, sensitivity: float, step: int, index: int, device: torch.device | str
    ) -> torch.Tensor:
        """fp32 noise for parameter ``index`` at optimizer step ``step`` (call it only where
        :meth:`draws` is true)."""
        key = ("shared" if self.mode == "shared" else self.rank, step, index)
        gen = torch.Generator(device=device)
        gen.manual_seed(derive_seed(self.seed, *key))
        out = torch.empty(shape, dtype=torch.float32, device=device)
        return out.normal_(0.0, self.rank_std(sensitivity), generator=gen)


def assign_owners(sizes: list[int], world_size: int) -> tuple[int, ...]:
    """Owner rank of each parameter for ``sharded`` noise: largest first to the least-loaded rank
    (ties to the lower rank), a deterministic function of the sizes and the world size."""
    if world_size < 1:
        raise InputError(f"world_size must be >= 1, got {world_size}")
    load = [0] * world_size
    owners = [0] * len(sizes)
    for i in sorted(range(len(sizes)), key=lambda j: (-sizes[j], j)):
        r = min(range(world_size), key=lambda k: (load[k], k))
        owners[i] = r
        load[r] += sizes[i]
    return tuple(owners)
