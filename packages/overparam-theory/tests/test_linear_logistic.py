"""Least squares, ridge and the max-margin solver against reference computations."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from core_utils import InputError
from overparam import linear, logistic, simulate


def test_min_norm_is_xt_gram_inverse_y():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((10, 30)), rng.standard_normal(10)
    np.testing.assert_allclose(linear.min_norm_solution(x, y), x.T @ np.linalg.solve(x @ x.T, y), atol=1e-12)


def test_gd_from_nonzero_start_keeps_null_space_component():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((10, 30)), rng.standard_normal(10)
    theta0 = rng.standard_normal(30)
    gd = linear.gd_least_squares(x, y, theta0=theta0, steps=5000)
    np.testing.assert_allclose(gd, linear.min_norm_solution(x, y, theta0), atol=1e-9)


def test_step_above_stability_limit_rejected():
    x = np.eye(3)
    with pytest.raises(InputError, match="step must be in"):
        linear.gd_least_squares(x, np.ones(3), step=2.5)


def test_ridge_matches_sklearn():
    rng = np.random.default_rng(2)
    for n, p in ((50, 20), (20, 50)):
        x, y = rng.standard_normal((n, p)), rng.standard_normal(n)
        ref = Ridge(alpha=3.0, fit_intercept=False, solver="svd").fit(x, y).coef_
        np.testing.assert_allclose(linear.ridge(x, y, 3.0), ref, atol=1e-10)
    with pytest.raises(InputError, match="penalty"):
        linear.ridge(x, y, -1.0)


def test_bad_shapes_rejected():
    with pytest.raises(InputError, match="y must have shape"):
        linear.min_norm_solution(np.ones((3, 2)), np.ones(4))


def test_svm_margins_and_nonseparable_data():
    rng = np.random.default_rng(3)
    x, y = simulate.separable_classes(40, 5, rng)
    w = logistic.max_margin_svm(x, y)
    assert np.min(y * (x @ w)) == pytest.approx(1.0, abs=1e-12)
    y_bad = y.copy()
    y_bad[:5] *= -1
    with pytest.raises(InputError, match="not linearly separable"):
        logistic.max_margin_svm(x, y_bad)


def test_logistic_step_limit():
    rng = np.random.default_rng(4)
    x, y = simulate.separable_classes(20, 3, rng)
    with pytest.raises(InputError, match="step"):
        logistic.gd_logistic(x, y, step=1e6)
