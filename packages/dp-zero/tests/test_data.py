"""Offline data: bundled digits, synthetic teacher data, and a user's .npz validated by name."""

import numpy as np
import pytest

from core_utils import InputError
from dp_zero.data import load_dataset, load_npz


def test_digits_is_standardised_with_training_statistics():
    d = load_dataset("digits", seed=0)
    assert d.n + len(d.y_test) == 1797 and d.num_classes == 10 and d.num_features == 64
    assert abs(float(d.x_train.mean())) < 1e-4


def test_synthetic_is_reproducible_from_the_seed():
    a, b = load_dataset("synthetic", seed=1), load_dataset("synthetic", seed=1)
    assert (a.x_train == b.x_train).all() and (a.y_train == b.y_train).all()


def test_user_npz_loads(tmp_path):
    path = tmp_path / "mine.npz"
    rng = np.random.default_rng(0)
    np.savez(path, X=rng.standard_normal((50, 3)), y=rng.integers(0, 2, 50))
    d = load_dataset(str(path))
    assert d.n == 40 and d.num_classes == 2


@pytest.mark.parametrize(("arrays", "match"), [
    (dict(X=np.zeros((20, 2))), "must hold"),
    (dict(X=np.zeros((20, 2)), y=np.zeros(19, int)), "length"),
    (dict(X=np.zeros((20, 2)), y=np.full(20, 0.5)), "integer"),
    (dict(X=np.full((20, 2), np.nan), y=np.zeros(20, int)), "NaN"),
    (dict(X=np.zeros((5, 2)), y=np.zeros(5, int)), "at least"),
])  # fmt: skip
def test_bad_npz_is_refused_by_name(tmp_path, arrays, match):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(InputError, match=match):
        load_npz(path)


def test_missing_npz_is_refused(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_npz(tmp_path / "nope.npz")
