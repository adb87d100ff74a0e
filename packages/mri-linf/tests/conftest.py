"""Shared fixtures: single-threaded torch (fast on small shared CPUs) and small problems."""

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def rng():
    return torch.Generator().manual_seed(1234)
