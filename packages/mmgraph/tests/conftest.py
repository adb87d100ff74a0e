"""Shared fixtures: one torch thread (small models on a busy 2-core machine) and a toy node set."""

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def toy():
    from mmgraph.entities import make_data

    g = torch.Generator().manual_seed(0)
    n = 30
    return make_data(
        {"a": torch.randn(n, 5, generator=g), "b": torch.randn(n, 3, generator=g)},
        torch.arange(n) % 3,
        masks={"b": torch.rand(n, generator=g) > 0.2},
        pos=torch.rand(n, 2, generator=g),
    )
