"""Exact geometry of the built-in manifolds: distances, midpoints, geodesics, isometric charts."""

import numpy as np
import pytest
from sklearn.datasets import make_s_curve, make_swiss_roll

from core_utils import InputError
from flat_embed.manifolds import MANIFOLDS, SwissRoll, make_manifold, register_manifold

ALL = sorted(MANIFOLDS)


@pytest.fixture(scope="module")
def manifolds():
    return {name: make_manifold(name) for name in ALL}


@pytest.mark.parametrize("name", ALL)
def test_midpoint_is_equidistant_and_halves_the_distance(manifolds, name):
    m = manifolds[name]
    rng = np.random.default_rng(0)
    p = m.sample_params(50, rng)
    v = rng.standard_normal((50, m.intrinsic_dim))
    v *= (0.05 * m.diameter / np.linalg.norm(v, axis=1))[:, None]
    q = m.exp(p, v)
    d = m.distance(p, q)
    mid = m.midpoint(p, q)
    np.testing.assert_allclose(d, 0.05 * m.diameter, rtol=1e-9)
    np.testing.assert_allclose(m.distance(p, mid), d / 2, rtol=1e-7)
    np.testing.assert_allclose(m.distance(mid, q), d / 2, rtol=1e-7)


@pytest.mark.parametrize("name", ["plane", "swiss-roll", "s-curve", "cylinder", "torus", "sphere"])
def test_embedding_is_locally_isometric(manifolds, name):
    """Chord length / geodesic distance -> 1 as the pair shrinks (chord = arc to second order)."""
    m = manifolds[name]
    rng = np.random.default_rng(1)
    p = m.sample_params(200, rng)
    v = rng.standard_normal((200, m.intrinsic_dim))
    v *= (1e-4 / np.linalg.norm(v, axis=1))[:, None]
    q = m.exp(p, v)
    chord = np.linalg.norm(m.embed(q) - m.embed(p), axis=1)
    np.testing.assert_allclose(chord / m.distance(p, q), 1.0, atol=1e-6)


def test_swiss_roll_matches_scikit_learn_generator():
    X, t = make_swiss_roll(200, random_state=0)
    m = SwissRoll()
    s = 0.5 * (t * np.sqrt(1 + t * t) + np.arcsinh(t))
    np.testing.assert_allclose(m.embed(np.stack([s, X[:, 1]], 1)), X, atol=1e-9)


def test_s_curve_matches_scikit_learn_generator():
    X, t = make_s_curve(200, random_state=0)
    np.testing.assert_allclose(make_manifold("s-curve").embed(np.stack([t, X[:, 1]], 1)), X, atol=1e-12)


def test_random_lift_preserves_distances():
    native = make_manifold("swiss-roll")
    lifted = make_manifold("swiss-roll", ambient_dim=100, seed=3)
    p = native.sample_params(20, np.random.default_rng(0))
    a, b = native.embed(p), lifted.embed(p)
    assert b.shape == (20, 100)
    np.testing.assert_allclose(np.linalg.norm(a[1:] - a[:-1], axis=1), np.linalg.norm(b[1:] - b[:-1], axis=1))


def test_sphere_geodesic_stays_on_sphere_and_interpolates_distance():
    m = make_manifold("sphere")
    rng = np.random.default_rng(2)
    p, q = m.sample_params(30, rng), m.sample_params(30, rng)
    for t in (0.25, 0.5, 0.75):
        g = m.geodesic(p, q, t)
        np.testing.assert_allclose(np.linalg.norm(g, axis=1), 1.0, atol=1e-12)
        np.testing.assert_allclose(m.distance(p, g), t * m.distance(p, q), atol=1e-9)


def test_torus_distance_wraps_around():
    m = make_manifold("torus")
    d = m.distance(np.array([[0.1, 0.0]]), np.array([[2 * np.pi - 0.1, 0.0]]))
    np.testing.assert_allclose(d, 0.2)


def test_image_translation_metric_is_uniform():
    """Pixel-space step length per unit translation is the same everywhere (flat image manifold)."""
    m = make_manifold("image-translation")
    p = m.sample_params(40, np.random.default_rng(0))
    h = 1e-3
    for e in (np.array([h, 0.0]), np.array([0.0, h]), np.array([h, h]) / np.sqrt(2)):
        step = np.linalg.norm(m.embed(p + e) - m.embed(p), axis=1) / h
        assert step.std() / step.mean() < 1e-2


def test_texture_crops_are_smooth_in_the_offset():
    m = make_manifold("texture-crops")
    p = m.sample_params(5, np.random.default_rng(0))
    a, b = m.embed(p), m.embed(p + 1e-3)
    c = m.embed(p + 2e-3)
    # second difference is O(h^2) for a smooth map
    assert np.linalg.norm(c - 2 * b + a) < 1e-3 * np.linalg.norm(b - a)


def test_unknown_manifold_is_rejected_by_name():
    with pytest.raises(InputError, match="unknown manifold 'klein'"):
        make_manifold("klein")


def test_registry_refuses_duplicate_names():
    with pytest.raises(ValueError, match="already registered"):
        register_manifold("plane")(type("X", (), {}))


def test_curved_manifold_has_no_flat_coordinates():
    with pytest.raises(InputError, match="not intrinsically flat"):
        make_manifold("sphere").coordinates(np.zeros((1, 3)))


def test_bad_parameter_shape_is_rejected():
    with pytest.raises(InputError, match=r"shape \(n, 2\)"):
        make_manifold("plane").embed(np.zeros((4, 3)))
