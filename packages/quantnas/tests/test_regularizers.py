"""Entropy and its schedule; BitOps penalty validation."""

import math

import pytest
import torch

from core_utils import InputError
from quantnas.regularizers import bitops_penalty, entropy, entropy_schedule


def test_entropy_zero_at_one_hot_and_log_k_at_uniform():
    assert float(entropy(torch.tensor([0.0, 1.0, 0.0]))) == 0.0
    assert float(entropy(torch.full((8,), 1 / 8))) == pytest.approx(math.log(8))


def test_schedule_matches_official_values_for_20_epochs_warm_up_9():
    expected = [0, 0, 0.06, 0.14, 0.24, 0.35, 0.47, 0.59, 0.72, 0.86, 1.0]
    got = [entropy_schedule(t, 20, 9, coef=1.0) for t in range(9, 20)]
    assert got == pytest.approx(expected, abs=0.006)
    assert entropy_schedule(3, 20, 9) == 0.0
    assert entropy_schedule(19, 20, 9) == pytest.approx(1e-3)


def test_entropy_term_drives_distribution_to_one_hot():
    torch.manual_seed(0)
    alpha = torch.nn.Parameter(0.1 * torch.randn(4, 2))
    opt = torch.optim.Adam([alpha], lr=0.05)
    h0 = float(entropy(torch.softmax(alpha.detach().flatten(), 0)))
    for _ in range(300):
        opt.zero_grad()
        entropy(torch.softmax(alpha.flatten(), 0)).backward()
        opt.step()
    h1 = float(entropy(torch.softmax(alpha.detach().flatten(), 0)))
    assert h0 > 2.0 and h1 < 0.05 * h0
    assert float(torch.softmax(alpha.detach().flatten(), 0).max()) > 0.99


def test_bad_schedule_and_penalty_are_rejected():
    with pytest.raises(InputError, match="warm_up must be < epochs"):
        entropy_schedule(0, 5, 5)
    with pytest.raises(InputError, match="entropy coefficient"):
        entropy_schedule(0, 5, 1, coef=-1.0)
    with pytest.raises(InputError, match="eta must be >= 0"):
        bitops_penalty(torch.tensor(1.0), 1.0, -0.1)
