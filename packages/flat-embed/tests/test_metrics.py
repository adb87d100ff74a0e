"""Metrics: Procrustes, distortion statistics, interpolation error, trustworthiness."""

import numpy as np
import pytest

from core_utils import InputError
from flat_embed.manifolds import make_manifold
from flat_embed.metrics import distortion_stats, interpolation_error, procrustes_error, trustworthiness


def test_procrustes_is_zero_for_a_rigid_motion_and_sees_scale():
    rng = np.random.default_rng(0)
    U = rng.standard_normal((100, 2))
    R = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    assert procrustes_error(U @ R + 5, U) < 1e-12
    assert procrustes_error(2 * U @ R, U) == pytest.approx(1.0, rel=1e-9)
    assert procrustes_error(2 * U @ R, U, scale=True) < 1e-12


def test_procrustes_shape_mismatch_is_rejected():
    with pytest.raises(InputError, match="equal n"):
        procrustes_error(np.zeros((3, 2)), np.zeros((4, 2)))


def test_interpolation_error_is_zero_for_an_unrolling_map():
    """The exact unrolling of the Swiss roll interpolates geodesics linearly."""
    m = make_manifold("swiss-roll")

    def unroll(X):  # invert the native embedding: s from t = |(x, z)|
        t = np.hypot(X[:, 0], X[:, 2])
        return np.stack([0.5 * (t * np.sqrt(1 + t * t) + np.arcsinh(t)), X[:, 1]], axis=1)

    r = interpolation_error(unroll, m)
    assert r["mean"] < 1e-10
    identity = interpolation_error(lambda X: X, m)  # the rolled-up inclusion bends
    assert identity["mean"] > 1e-2


def test_distortion_stats_of_a_scaled_map():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 50, 3))
    d = np.linalg.norm(x - y, axis=1)
    s = distortion_stats(1.5 * x, 1.5 * y, d)
    assert s["ratio_median"] == pytest.approx(1.5)
    assert s["abs_dev_p95"] == pytest.approx(0.5)


def test_trustworthiness_is_one_for_an_isometry_and_lower_for_noise():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    assert trustworthiness(X, X[:, ::-1]) == pytest.approx(1.0)
    assert trustworthiness(X, rng.standard_normal((200, 2))) < 0.7
