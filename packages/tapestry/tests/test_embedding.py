"""Lag libraries, random delay maps and dimension estimates."""

import numpy as np
import pytest

from core_utils import InputError
from tapestry.datasets import lorenz63
from tapestry.embedding import (
    correlation_dimension,
    delay_map_size,
    estimate_dimension,
    false_nearest_neighbors,
    lag_matrix,
    random_delay_maps,
)


def test_lag_matrix_holds_each_variable_at_each_lag():
    Y = np.arange(20.0).reshape(10, 2)
    lib = lag_matrix(Y, 3)
    assert lib.X.shape == (10, 6)
    for c in range(6):
        v, ell = lib.var[c], lib.lag[c]
        assert np.all(np.isnan(lib.X[:ell, c]))
        assert lib.X[ell:, c] == pytest.approx(Y[: 10 - ell, v])


def test_disjoint_delay_maps_cover_every_column_once_per_trial_and_pad_the_last_block():
    rng = np.random.default_rng(0)
    maps = random_delay_maps(10, 4, 3, rng)
    assert len(maps) == 9  # ceil(10/4) blocks x 3 trials
    for t in range(3):
        trial = maps[3 * t : 3 * t + 3]
        assert all(m.size == 4 and np.unique(m).size == 4 for m in trial)
        assert set(np.concatenate(trial)) == set(range(10))
    fixed = random_delay_maps(10, 4, 2, rng, always=np.array([0]))
    assert all(0 in m and m.size == 4 for m in fixed)


def test_embedding_size_larger_than_the_columns_is_rejected():
    with pytest.raises(InputError, match="nsel=7 must be in 1..6"):
        random_delay_maps(6, 7, 1, np.random.default_rng(0))


def test_lorenz63_correlation_dimension_is_about_2_05():
    X = lorenz63(4000, dt=0.05, seed=0)
    d = correlation_dimension(X, theiler=10)
    assert 1.8 < d < 2.3  # Grassberger-Procaccia: 2.05
    assert delay_map_size(d, 40) in (5, 6)


def test_false_nearest_neighbours_vanish_by_dimension_3_or_4_for_lorenz_x():
    x = lorenz63(4000, dt=0.05, seed=1)[:, 0]
    frac = false_nearest_neighbors(x, max_dim=6, tau=3)
    assert frac[0] > 0.2
    assert np.min(frac[2:4]) < 0.05
    assert estimate_dimension(x, method="fnn") <= 3.0
