"""Gaussian noise added exactly once per optimizer step across all ranks (spec section 1, step 6).

Each rank's noise comes from a fresh generator seeded by ``(seed, rank, step, parameter index)``,
so a run is reproducible and resumes bit-exactly from its step counter; noise is drawn in fp32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from core_utils import InputError, derive_seed

NOISE_MODES = ("independent", "shared")


@dataclass(frozen=True)
class RankNoise:
    """Per-rank share of the Gaussian noise ``N(0, (sigma R)^2)``.

    ``independent``: every rank draws ``N(0, (sigma R)^2 / W)`` with its own seed; the sum over
    ranks is ``N(0, (sigma R)^2)``. ``shared``: every rank draws the same sample (seed without the
    rank) with std ``sigma R / W``; the sum is again ``N(0, (sigma R)^2)``.
    """

    sigma: float
    seed: int
    rank: int = 0
    world_size: int = 1
    mode: str = "independent"

    def __post_init__(self) -> None:
        if self.mode not in NOISE_MODES:
            raise InputError(f"noise mode must be one of {', '.join(NOISE_MODES)}, got {self.mode!r}")
        if self.sigma < 0:
            raise InputError(f"noise multiplier must be >= 0, got {self.sigma}")

    def rank_std(self, sensitivity: float) -> float:
        """This rank's noise std for a total std ``sigma * sensitivity``."""
        total = self.sigma * sensitivity
        if self.mode == "independent":
            return total / math.sqrt(self.world_size)
        return total / self.world_size

    def sample(
        self, shape: torch.Size, sensitivity: float, step: int, index: int, device: torch.device | str
    ) -> torch.Tensor:
        """fp32 noise for parameter ``index`` at optimizer step ``step``."""
        key = ("shared" if self.mode == "shared" else self.rank, step, index)
        gen = torch.Generator(device=device)
        gen.manual_seed(derive_seed(self.seed, *key))
        out = torch.empty(shape, dtype=torch.float32, device=device)
        return out.normal_(0.0, self.rank_std(sensitivity), generator=gen)
