"""Closed forms: checked against independent computations, never against themselves."""

import math

import numpy as np
import pytest

from core_utils import InputError
from overparam import formulas


def test_relu_activation_coefficients_match_closed_form():
    c = formulas.activation_coefficients("relu")
    assert c.mu0 == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-9)
    assert c.mu1 == pytest.approx(0.5, abs=1e-9)
    assert c.mu_star2 == pytest.approx(0.25 - 1 / (2 * math.pi), abs=1e-9)
    assert c.zeta == pytest.approx(1.6589, abs=1e-4)


def test_activation_coefficients_match_monte_carlo_for_tanh():
    g = np.random.default_rng(0).standard_normal(2_000_000)
    c = formulas.activation_coefficients("tanh")
    assert c.mu0 == pytest.approx(0.0, abs=2e-3)
    assert c.mu1 == pytest.approx(np.mean(g * np.tanh(g)), abs=2e-3)


def test_linear_activation_is_rejected():
    with pytest.raises(InputError, match="linear"):
        formulas.activation_coefficients(lambda x: 2 * x)


def test_stieltjes_derivative_matches_finite_difference():
    for gamma in (0.5, 2.0):
        lam, h = 0.3, 1e-6
        m, dm = formulas.mp_stieltjes(lam, gamma)
        # m'(z) at z = -lam equals -(d/dlam) m(-lam)
        fd = -(formulas.mp_stieltjes(lam + h, gamma)[0] - formulas.mp_stieltjes(lam - h, gamma)[0]) / (2 * h)
        assert dm == pytest.approx(fd, rel=1e-6)


def test_stieltjes_matches_marchenko_pastur_spectrum():
    rng = np.random.default_rng(1)
    n, p, lam = 2000, 1000, 0.5
    x = rng.standard_normal((n, p))
    ev = np.linalg.eigvalsh(x.T @ x / n)
    assert formulas.mp_stieltjes(lam, p / n)[0] == pytest.approx(np.mean(1 / (ev + lam)), rel=5e-3)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_ridge_risk_tends_to_ridgeless_as_lambda_vanishes(gamma):
    ridgeless = formulas.hmrt_isotropic_risk(gamma, 1.0, 0.7)["risk"]
    assert formulas.hmrt_isotropic_risk(gamma, 1.0, 0.7, 1e-7)["risk"] == pytest.approx(ridgeless, rel=1e-4)


def test_optimal_ridge_minimises_the_formula():
    gamma, r2, s2 = 2.0, 1.0, 0.5
    lam_star = formulas.optimal_ridge_lambda(gamma, r2, s2)
    grid = np.linspace(0.2, 3, 281)
    risks = [formulas.hmrt_isotropic_risk(gamma, r2, s2, lam)["risk"] for lam in grid]
    assert grid[int(np.argmin(risks))] == pytest.approx(lam_star, abs=0.011)


def test_ridgeless_diverges_at_interpolation_threshold():
    with pytest.warns(RuntimeWarning, match="gamma = 1"):
        assert formulas.hmrt_isotropic_risk(1.0, 1.0, 1.0)["risk"] == math.inf
    with pytest.warns(RuntimeWarning, match="psi1 = psi2"):
        assert formulas.rf_ridgeless_bv(3.0, 3.0, 1.6) == (math.inf, math.inf)


@pytest.mark.parametrize("p", [199, 200, 201])
def test_finite_formula_rejects_p_near_n(p):
    with pytest.raises(InputError, match="p < n-1 or p > n\\+1"):
        formulas.hmrt_finite_gaussian(200, p, 1.0, 1.0)


def test_negative_lambda_rejected():
    with pytest.raises(InputError, match="lambda"):
        formulas.hmrt_isotropic_risk(2.0, 1.0, 1.0, -0.1)


def test_effective_ranks_isotropic():
    r, big_r = formulas.effective_ranks(np.ones(50))
    assert r[0] == 50 and big_r[0] == pytest.approx(50)
    assert r[10] == 40


def test_critical_index_two_level_spectrum_counts_spikes():
    eigs = np.concatenate([np.full(7, 100.0), np.full(5000, 0.01)])
    assert formulas.critical_index(eigs, n=100, b=1.0) == 7


def test_critical_index_missing_is_an_input_error():
    with pytest.raises(InputError, match="no k"):
        formulas.critical_index(np.ones(10), n=100)


@pytest.mark.parametrize("bad", [np.array([1.0, 2.0]), np.array([1.0, -1.0]), np.array([])])
def test_bad_spectra_rejected(bad):
    with pytest.raises(InputError, match="eigenvalues"):
        formulas.effective_ranks(bad)


def test_deterministic_equivalent_reduces_to_hmrt_when_isotropic():
    n, p, r2, s2 = 200, 600, 1.0, 0.5
    de = formulas.deterministic_equivalent(np.ones(p), np.full(p, r2 / p), n, s2)
    hm = formulas.hmrt_isotropic_risk(p / n, r2, s2)
    assert de["variance"] == pytest.approx(hm["variance"], rel=1e-9)
    assert de["bias"] == pytest.approx(hm["bias"], rel=1e-9)


def test_deterministic_equivalent_ridge_matches_hmrt_ridge_asymptotically():
    # isotropic ridge with the 1/n normalisation: the DE at large n approaches HMRT
    n, p, lam = 4000, 8000, 0.5
    de = formulas.deterministic_equivalent(np.ones(p), np.full(p, 1.0 / p), n, 1.0, lam)
    hm = formulas.hmrt_isotropic_risk(p / n, 1.0, 1.0, lam)
    assert de["risk"] == pytest.approx(hm["risk"], rel=1e-3)


def test_rf_variance_regression_value():
    zeta = formulas.activation_coefficients("relu").zeta
    b, v = formulas.rf_ridgeless_bv(2.7, 3.0, zeta)
    assert v == pytest.approx(9.0, rel=1e-6)
    assert b >= 0 and v >= 0


def test_rf_ridge_fixed_point_tends_to_ridgeless():
    c = formulas.activation_coefficients("relu")
    b0, v0 = formulas.rf_ridgeless_bv(2.0, 3.0, c.zeta)
    b, v = formulas.rf_ridge_bv(2.0, 3.0, c.zeta, 1e-6, c.mu_star2)
    assert b == pytest.approx(b0, rel=1e-2) and v == pytest.approx(v0, rel=1e-2)


def test_relu_ntk_matches_wide_random_network():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    m = 400_000
    w = rng.standard_normal((m, 4))
    a = rng.standard_normal(m)
    pre = x @ w.T
    emp = ((np.maximum(pre, 0) @ np.maximum(pre, 0).T) + ((pre > 0) * a**2) @ (pre > 0).T * (x @ x.T)) / m
    theta = formulas.relu_ntk(x, x)
    np.testing.assert_allclose(theta, emp, atol=1e-2)
    np.testing.assert_allclose(theta, theta.T)
    assert np.linalg.eigvalsh(theta).min() > -1e-12


def test_relu_ntk_needs_unit_inputs():
    with pytest.raises(InputError, match="unit-norm"):
        formulas.relu_ntk(np.ones((2, 3)), np.ones((2, 3)))
