"""Seeding: the same seed gives the same draws in Python, numpy and torch."""

import random

import numpy as np
import pytest

from core_utils import InputError, derive_seed, seed_everything


def test_same_seed_same_streams():
    a = seed_everything(7)
    draws_a = (random.random(), np.random.rand(), a.numpy.normal(), a.python.random())  # noqa: NPY002
    b = seed_everything(7)
    draws_b = (random.random(), np.random.rand(), b.numpy.normal(), b.python.random())  # noqa: NPY002
    assert draws_a == draws_b


def test_torch_is_seeded():
    torch = pytest.importorskip("torch")
    g1 = seed_everything(3)
    x1 = (torch.rand(3), torch.rand(2, generator=g1.torch))
    g2 = seed_everything(3)
    x2 = (torch.rand(3), torch.rand(2, generator=g2.torch))
    assert torch.equal(x1[0], x2[0]) and torch.equal(x1[1], x2[1])


def test_different_seeds_differ():
    assert seed_everything(1).numpy.normal() != seed_everything(2).numpy.normal()


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "3", True])
def test_bad_seed(bad):
    with pytest.raises(InputError, match="seed"):
        seed_everything(bad)


def test_derive_seed_is_stable_and_distinct():
    assert derive_seed(0, "lr", 0.1) == derive_seed(0, "lr", 0.1)
    assert derive_seed(0, "lr", 0.1) != derive_seed(0, "lr", 0.2)
    assert 0 <= derive_seed(5, "x") < 2**32
