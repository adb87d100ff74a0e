"""Scores: sorted CRPS equals properscoring; Gaussian limit; log score; PIT; coverage."""

import numpy as np
import pytest
from scipy.stats import norm

from core_utils import InputError
from tapestry.scoring import coverage, crps_ensemble, crps_gaussian, log_score, pit, pit_histogram


def test_sorted_crps_matches_properscoring_to_1e12():
    ps = pytest.importorskip("properscoring")
    rng = np.random.default_rng(0)
    ens = rng.normal(size=(20, 7, 31))
    y = rng.normal(size=(20, 7))
    assert np.max(np.abs(crps_ensemble(ens, y) - ps.crps_ensemble(y, ens))) < 1e-12


def test_large_ensemble_crps_tends_to_the_gaussian_closed_form():
    m = 200_000
    ens = norm.ppf((np.arange(m) + 0.5) / m, 0.3, 1.7)  # quantile ensemble: no sampling error
    for y in (-1.0, 0.3, 2.5):
        assert crps_ensemble(ens, np.array(y)) == pytest.approx(crps_gaussian(0.3, 1.7, y), abs=5e-5)


def test_gaussian_crps_of_a_perfect_forecast_is_sigma_over_sqrt_pi_on_average():
    # E CRPS(N(0, s), Y) with Y ~ N(0, s) equals s / sqrt(pi)
    rng = np.random.default_rng(2)
    y = rng.normal(0, 0.5, 100_000)
    assert np.mean(crps_gaussian(0.0, 0.5, y)) == pytest.approx(0.5 / np.sqrt(np.pi), rel=0.01)


def test_log_score_of_a_gaussian_ensemble_is_the_kernel_smoothed_density():
    m = 20_000
    ens = norm.ppf((np.arange(m) + 0.5) / m)
    for y in (-1.0, 0.0, 1.5):
        # KDE of N(0, 1) with bandwidth 0.1 is N(0, 1 + 0.1^2)
        assert log_score(ens, np.array(y), bandwidth=0.1) == pytest.approx(
            -norm.logpdf(y, scale=np.sqrt(1.01)), abs=2e-3
        )
    # Silverman's bandwidth: close to the true density too
    assert log_score(ens, np.array(0.0)) == pytest.approx(-norm.logpdf(0.0), abs=0.02)


def test_pit_of_a_calibrated_ensemble_is_uniform_and_coverage_is_nominal():
    rng = np.random.default_rng(4)
    ens = rng.normal(size=(4000, 200))
    y = rng.normal(size=4000)
    h = pit_histogram(pit(ens, y))
    assert np.max(np.abs(h - 0.1)) < 0.02
    assert coverage(ens, y, 0.9) == pytest.approx(0.9, abs=0.02)


def test_mismatched_shapes_and_bad_levels_are_rejected():
    with pytest.raises(InputError, match="does not match"):
        crps_ensemble(np.zeros((3, 5)), np.zeros(4))
    with pytest.raises(InputError, match="level"):
        coverage(np.zeros((3, 5)), np.zeros(3), 1.5)
