"""Noise: per-rank std composes to sigma*R, seeded reproducibly per (seed, rank, step, index)."""

import math

import pytest
import torch

from core_utils import InputError
from dp_zero.noise import RankNoise


def test_independent_rank_shares_sum_to_sigma_r():
    shares = [RankNoise(1.5, 7, rank=r, world_size=4) for r in range(4)]
    total = sum(s.sample((20000,), 2.0, step=3, index=0, device="cpu") for s in shares)
    assert total.std().item() == pytest.approx(3.0, rel=0.03)
    assert shares[0].rank_std(2.0) == pytest.approx(3.0 / math.sqrt(4))


def test_shared_mode_draws_the_same_sample_on_every_rank():
    a = RankNoise(1.0, 7, rank=0, world_size=2, mode="shared").sample((100,), 1.0, 0, 0, "cpu")
    b = RankNoise(1.0, 7, rank=1, world_size=2, mode="shared").sample((100,), 1.0, 0, 0, "cpu")
    torch.testing.assert_close(a, b)
    assert (a + b).std().item() == pytest.approx(1.0, rel=0.25)


def test_noise_is_a_function_of_seed_rank_step_and_index():
    n = RankNoise(1.0, 7, rank=0, world_size=2)
    x = n.sample((50,), 1.0, 5, 2, "cpu")
    torch.testing.assert_close(x, n.sample((50,), 1.0, 5, 2, "cpu"))
    for other in (n.sample((50,), 1.0, 6, 2, "cpu"), n.sample((50,), 1.0, 5, 3, "cpu"),
                  RankNoise(1.0, 7, rank=1, world_size=2).sample((50,), 1.0, 5, 2, "cpu"),
                  RankNoise(1.0, 8, rank=0, world_size=2).sample((50,), 1.0, 5, 2, "cpu")):  # fmt: skip
        assert not torch.equal(x, other)
    assert x.dtype == torch.float32


def test_bad_noise_mode_is_refused():
    with pytest.raises(InputError, match="noise mode"):
        RankNoise(1.0, 0, mode="per-layer")
