"""Shared fixtures: tiny spaces and images so the default test run stays fast."""

import pytest
import torch

from quantnas.data import synthetic_images
from quantnas.search import SearchConfig


@pytest.fixture(autouse=True)
def _one_thread():
    # small models on a busy 2-core machine run fastest single-threaded
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_images():
    return synthetic_images(3, 96, seed=0)


@pytest.fixture
def tiny_search_cfg():
    return SearchConfig(
        channels=6,
        cells=1,
        epochs=2,
        warm_up=0,
        steps_per_epoch=2,
        batch_size=2,
        lr_crop=8,
        images="synthetic",
    )
