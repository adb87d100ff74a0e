"""MMD estimators against closed forms and a brute-force reference."""

import numpy as np
import pytest

from core_utils import InputError
from meta_forests.mmd import kernel_matrix, median_heuristic, mmd2, rff_mmd2


def _gaussian_mmd2(mu_diff, s, h, d):
    """Population MMD^2 of N(mu1, s^2 I) vs N(mu2, s^2 I) under exp(-|x-y|^2 / (2 h^2))."""
    c = h * h + 2 * s * s
    return 2 * (h * h / c) ** (d / 2) * (1 - np.exp(-np.sum(np.square(mu_diff)) / (2 * c)))


def test_unbiased_mmd2_of_two_gaussians_matches_closed_form():
    diff = np.array([1.0, 0.5])
    vals = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(1000, 2))
        Y = rng.normal(size=(1000, 2)) + diff
        vals.append(mmd2(X, Y, bandwidth=1.0, unbiased=True))
    theory = _gaussian_mmd2(diff, 1.0, 1.0, 2)
    assert theory == pytest.approx(0.125, abs=1e-3)
    # sampling sd of one estimate at n = 1000 is ~0.008, of the 8-seed mean ~0.003
    assert np.mean(vals) == pytest.approx(theory, abs=0.01)


def test_mmd2_of_identical_samples_is_zero():
    X = np.random.default_rng(0).normal(size=(100, 3))
    assert mmd2(X, X) == pytest.approx(0.0, abs=1e-12)


def test_unbiased_mmd2_has_mean_zero_under_the_null():
    rng = np.random.default_rng(1)
    vals = [
        mmd2(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)), bandwidth=1.0, unbiased=True)
        for _ in range(20)
    ]
    assert abs(np.mean(vals)) < 3 * np.std(vals) / np.sqrt(len(vals)) + 1e-4
    assert min(vals) < 0 < max(vals)  # an unbiased estimator straddles 0 under H0


def test_linear_kernel_mmd2_is_squared_mean_difference():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(50, 4)), rng.normal(1.0, size=(70, 4))
    assert mmd2(X, Y, kernel="linear") == pytest.approx(np.sum((X.mean(0) - Y.mean(0)) ** 2), rel=1e-10)


def test_mmd2_matches_brute_force_double_loop():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(7, 2)), rng.normal(0.5, size=(5, 2))
    h = 0.8

    def k(a, b):
        return np.exp(-np.sum((a - b) ** 2) / (2 * h * h))

    kxx = sum(k(a, b) for a in X for b in X) / 49
    kyy = sum(k(a, b) for a in Y for b in Y) / 25
    kxy = sum(k(a, b) for a in X for b in Y) / 35
    assert mmd2(X, Y, bandwidth=h) == pytest.approx(kxx + kyy - 2 * kxy, rel=1e-10)
    uxx = sum(k(X[i], X[j]) for i in range(7) for j in range(7) if i != j) / 42
    uyy = sum(k(Y[i], Y[j]) for i in range(5) for j in range(5) if i != j) / 20
    assert mmd2(X, Y, bandwidth=h, unbiased=True) == pytest.approx(uxx + uyy - 2 * kxy, rel=1e-10)


def test_mmd2_is_symmetric_and_nonnegative():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(30, 3)), rng.normal(0.3, size=(40, 3))
    assert mmd2(X, Y) == pytest.approx(mmd2(Y, X))
    assert mmd2(X, Y) >= 0


def test_multi_bandwidth_kernel_is_mean_of_single_kernels():
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(6, 2)), rng.normal(size=(4, 2))
    multi = kernel_matrix(X, Y, bandwidth=[0.5, 2.0])
    single = (kernel_matrix(X, Y, bandwidth=0.5) + kernel_matrix(X, Y, bandwidth=2.0)) / 2
    np.testing.assert_allclose(multi, single)


def test_random_feature_mmd2_approximates_exact_mmd2():
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(800, 2)), rng.normal(size=(800, 2)) + [1.0, 0.5]
    exact = mmd2(X, Y, bandwidth=1.0)
    approx = np.mean([rff_mmd2(X, Y, bandwidth=1.0, n_features=2048, seed=s) for s in range(4)])
    assert approx == pytest.approx(exact, rel=0.15)


def test_median_heuristic_falls_back_for_constant_features():
    X = np.ones((20, 9))
    assert median_heuristic(X) == pytest.approx(3.0)  # sqrt(d)
    assert np.isfinite(mmd2(X, X + 0.0))


def test_median_heuristic_is_median_pairwise_distance():
    X = np.array([[0.0], [1.0], [3.0]])
    assert median_heuristic(X) == pytest.approx(2.0)  # distances 1, 3, 2


@pytest.mark.parametrize(
    ("X", "Y", "match"),
    [
        (np.ones((3, 2)), np.ones((3, 3)), "same number of features"),
        (np.array([[np.nan, 1.0]]), np.ones((2, 2)), "NaN"),
        (np.ones((0, 2)), np.ones((2, 2)), "no samples"),
    ],
)
def test_bad_mmd_input_is_named(X, Y, match):
    with pytest.raises(InputError, match=match):
        mmd2(X, Y)
