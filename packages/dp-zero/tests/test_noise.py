"""Noise: per-rank std composes to sigma*R, seeded reproducibly per (seed, rank, step, index)."""

import math

import pytest
import torch

from core_utils import InputError
from dp_zero.noise import RankNoise, assign_owners


def test_independent_rank_shares_sum_to_sigma_r():
    shares = [RankNoise(1.5, 7, rank=r, world_size=4, mode="independent") for r in range(4)]
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


def test_sharded_mode_noises_each_parameter_on_exactly_one_rank_with_full_std():
    sizes = [20000, 5, 300, 20000, 7]
    owners = assign_owners(sizes, 3)
    shares = [RankNoise(1.5, 7, rank=r, world_size=3, owners=owners) for r in range(3)]
    for idx, size in enumerate(sizes):
        drawing = [s for s in shares if s.draws(idx)]
        assert len(drawing) == 1 and drawing[0].rank == owners[idx]
        if size > 1000:
            x = drawing[0].sample((size,), 2.0, step=3, index=idx, device="cpu")
            assert x.std().item() == pytest.approx(3.0, rel=0.03)  # sigma * R, not sigma * R / sqrt(W)
    # the two big parameters go to different ranks: each rank draws about 1/W of the numbers
    assert owners[0] != owners[3]


def test_sharded_owners_are_balanced_and_deterministic():
    sizes = [100, 90, 80, 70, 60, 50, 40, 30]
    owners = assign_owners(sizes, 2)
    assert owners == assign_owners(list(sizes), 2)
    loads = [sum(s for s, o in zip(sizes, owners) if o == r) for r in range(2)]
    assert abs(loads[0] - loads[1]) <= max(sizes) and sum(loads) == sum(sizes)
    assert assign_owners(sizes, 1) == (0,) * len(sizes)


def test_sharded_mode_on_one_rank_equals_independent():
    a = RankNoise(1.0, 7, owners=(0, 0)).sample((50,), 1.0, 5, 1, "cpu")
    b = RankNoise(1.0, 7, mode="independent").sample((50,), 1.0, 5, 1, "cpu")
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_sharded_owner_outside_the_group_is_refused():
    with pytest.raises(InputError, match="owners"):
        RankNoise(1.0, 0, rank=0, world_size=2, owners=(0, 2))
