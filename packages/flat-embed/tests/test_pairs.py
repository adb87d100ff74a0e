"""Pair samplers and user-pair validation."""

import numpy as np
import pytest

from core_utils import InputError
from flat_embed.manifolds import make_manifold
from flat_embed.pairs import PairDataset, PairSampler, knn_pairs, validate_pairs


@pytest.mark.parametrize("name", ["sphere", "torus", "cylinder", "swiss-roll"])
def test_fixed_radius_pairs_are_eps_apart_with_exact_midpoints(name):
    m = make_manifold(name)
    s = PairSampler(m, "sphere")
    p, q, mid, d = s.sample_params(300, 0.2, np.random.default_rng(0))
    np.testing.assert_allclose(d, 0.2)
    np.testing.assert_allclose(m.distance(p, q), 0.2, rtol=1e-9)
    np.testing.assert_allclose(m.distance(p, mid), 0.1, rtol=1e-7)
    np.testing.assert_allclose(m.distance(mid, q), 0.1, rtol=1e-7)


def test_ball_pairs_fill_the_ball_uniformly():
    """In 2-D, r = ε√U: P(r < ε/2) = 1/4."""
    s = PairSampler(make_manifold("plane"), "ball", inside=False)
    *_, d = s.sample_params(20000, 0.1, np.random.default_rng(0))
    assert d.max() <= 0.1
    assert d.min() > 0
    assert abs(np.mean(d < 0.05) - 0.25) < 0.02


def test_inside_option_keeps_pairs_in_the_domain():
    m = make_manifold("swiss-roll")
    p, q, mid, _ = PairSampler(m).sample_params(2000, 10.0, np.random.default_rng(0))
    assert m.contains(q).all() and m.contains(mid).all()


def test_sampling_is_reproducible_from_the_seed():
    s = PairSampler(make_manifold("sphere"))
    a = s.sample(10, 0.1, np.random.default_rng(4))
    b = s.sample(10, 0.1, np.random.default_rng(4))
    np.testing.assert_array_equal(a.x, b.x)


def _good():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    y = x + 0.1
    return x, y, (x + y) / 2, np.full(5, np.sqrt(0.03))


def test_valid_user_pairs_pass():
    batch = validate_pairs(*_good())
    assert len(batch) == 5


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda x, y, m, d: (x, y, m, np.r_[d[:-1], 0.0]), "d must be > 0"),
        (lambda x, y, m, d: (x, y, m, -d), "d must be > 0"),
        (lambda x, y, m, d: (x, x.copy(), m, d), "x == y"),
        (lambda x, y, m, d: (np.where(x > 1, np.nan, x), y, m, d), "x contains non-finite"),
        (lambda x, y, m, d: (x, y, m, np.r_[d[:-1], np.inf]), "d contains non-finite"),
        (lambda x, y, m, d: (x, y, m[:, :2], d), "same shape"),
        (lambda x, y, m, d: (x, y[:4], m, d), "same shape"),
        (lambda x, y, m, d: (x, y, m, d[:3]), "d has 3 entries"),
        (lambda x, y, m, d: (x, y, None, d), "mid is missing"),
    ],
)
def test_bad_user_pairs_are_rejected_by_name(mutate, message):
    x, y, m, d = _good()
    if "non-finite" in message and message.startswith("x"):
        x[0, 0] = np.nan
        args = (x, y, m, d)
    else:
        args = mutate(x, y, m, d)
    with pytest.raises(InputError, match=message):
        validate_pairs(*args)


def test_pairs_farther_than_eps_max_are_rejected():
    with pytest.raises(InputError, match="farther than eps_max"):
        PairDataset.from_arrays(*_good(), eps_max=0.1)


def test_dataset_sample_respects_eps():
    x, y, m, d = _good()
    ds = PairDataset.from_arrays(
        np.r_[x, x], np.r_[y, x + 1], np.r_[m, x + 0.5], np.r_[d, np.full(5, 3**0.5)]
    )
    b = ds.sample(50, 0.5, np.random.default_rng(0))
    assert np.all(b.d <= 0.5)


def test_knn_pairs_on_a_plane_approximate_the_exact_geometry():
    m = make_manifold("plane")
    X = m.embed(m.sample_params(800, np.random.default_rng(0)))
    ds = knn_pairs(X, n_neighbors=8, n_pairs=2000)
    b = ds.pairs
    chord = np.linalg.norm(b.x - b.y, axis=1)
    assert ds.approximate
    assert np.all(b.d >= chord - 1e-12)  # graph paths over-estimate distances
    assert np.median(b.d / chord) < 1.1
    mid_err = np.linalg.norm(b.mid - (b.x + b.y) / 2, axis=1) / b.d
    assert np.median(mid_err) < 0.2


def test_disconnected_knn_graph_is_rejected():
    rng = np.random.default_rng(0)
    X = np.r_[rng.standard_normal((50, 2)), rng.standard_normal((50, 2)) + 100]
    with pytest.raises(InputError, match="2 connected components"):
        knn_pairs(X, n_neighbors=5)


def test_non_finite_samples_are_rejected():
    X = np.ones((30, 2))
    X[3, 1] = np.inf
    with pytest.raises(InputError, match="non-finite"):
        knn_pairs(X)
