"""The pair loss: exact zeros, exact scaling, invariances, symmetry, W registry."""

import numpy as np
import pytest
import torch

from core_utils import InputError
from flat_embed.losses import W_FUNCTIONS, FlatEmbedLoss, bending, distortion, get_w, register_w
from flat_embed.manifolds import make_manifold
from flat_embed.metrics import loss_on_pairs
from flat_embed.pairs import PairSampler


@pytest.fixture(scope="module")
def plane_pairs():
    m = make_manifold("plane", ambient_dim=10, seed=1)
    return PairSampler(m, "ball").sample(2000, 0.1, np.random.default_rng(0))


def _orthonormal(n_in, n_out, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n_in, n_out)))
    return q


def test_affine_isometry_of_flat_patch_has_zero_loss(plane_pairs):
    """φ(x) = Q x + b with Q orthonormal on the patch: L = 0 to machine precision."""
    Q = _orthonormal(10, 10, 5)
    b = np.arange(10.0)
    r = loss_on_pairs(lambda X: X @ Q + b, plane_pairs)
    assert r["distortion"] < 1e-26
    assert r["bending"] < 1e-20


@pytest.mark.parametrize("w", sorted(W_FUNCTIONS))
@pytest.mark.parametrize("s", [0.5, 1.7])
def test_scaling_gives_exactly_w_of_s_and_zero_bending(plane_pairs, w, s):
    r = loss_on_pairs(lambda X: s * X, plane_pairs, w=w)
    np.testing.assert_allclose(r["distortion"], get_w(w)(s), rtol=1e-12)
    assert r["bending"] < 1e-20


def test_loss_is_invariant_to_latent_rotations_and_translations():
    m = make_manifold("swiss-roll")
    pairs = PairSampler(m).sample(500, 1.0, np.random.default_rng(0))
    A = np.random.default_rng(1).standard_normal((3, 2)) * 0.3

    def phi(X):
        return np.tanh(X @ A)

    R = _orthonormal(2, 2, 7)
    base = loss_on_pairs(phi, pairs)
    moved = loss_on_pairs(lambda X: phi(X) @ R + np.array([3.0, -2.0]), pairs)
    for k in base:
        np.testing.assert_allclose(moved[k], base[k], rtol=1e-10)
    assert base["bending"] > 0


def test_loss_is_symmetric_in_x_and_y():
    rng = np.random.default_rng(0)
    zx, zy, zm = rng.standard_normal((3, 100, 4))
    d = rng.uniform(0.1, 1, 100)
    np.testing.assert_allclose(distortion(zx, zy, d), distortion(zy, zx, d))
    np.testing.assert_allclose(bending(zx, zy, zm, d), bending(zy, zx, zm, d))


def test_torch_and_numpy_agree_and_terms_are_reported_separately():
    rng = np.random.default_rng(0)
    zx, zy, zm = rng.standard_normal((3, 50, 2))
    d = rng.uniform(0.1, 1, 50)
    loss = FlatEmbedLoss(lam=2.5, w="sym")
    t = loss(*(torch.as_tensor(a) for a in (zx, zy, zm, d))).item()
    n = loss(zx, zy, zm, d).item()
    for k in ("total", "distortion", "bending"):
        np.testing.assert_allclose(t[k], n[k], rtol=1e-12)
    np.testing.assert_allclose(n["total"], n["distortion"] + 2.5 * n["bending"], rtol=1e-12)


def test_bending_is_one_over_64_for_unit_circle_arc():
    """Midpoint defect of a unit-circle arc of length d: (1 - cos(d/2))² / d⁴ -> 1/64."""
    d = np.array([1e-2])
    zx = np.array([[np.cos(-d[0] / 2), np.sin(-d[0] / 2)]])
    zy = np.array([[np.cos(d[0] / 2), np.sin(d[0] / 2)]])
    zm = np.array([[1.0, 0.0]])
    np.testing.assert_allclose(bending(zx, zy, zm, d), 1 / 64, rtol=1e-4)


def test_w_registry_refuses_duplicates_and_unknown_names():
    with pytest.raises(ValueError, match="already registered"):
        register_w("sq2")(lambda s: s)
    with pytest.raises(InputError, match="unknown W 'cubic'"):
        FlatEmbedLoss(w="cubic")
    with pytest.raises(InputError, match="lam must be >= 0"):
        FlatEmbedLoss(lam=-1.0)


@pytest.mark.parametrize("w", sorted(W_FUNCTIONS))
def test_every_w_vanishes_only_at_one(w):
    f = get_w(w)
    assert f(1.0) == 0.0
    assert all(f(s) > 0 for s in (0.5, 0.9, 1.1, 2.0))
