"""Γ-limit oracles: MC loss of fixed smooth embeddings -> closed-form limits (spec section 3.1)."""

import numpy as np
import pytest

from core_utils import InputError
from flat_embed.gamma import analytic_bending_density, analytic_limit, mc_convergence, mc_loss
from flat_embed.manifolds import Cylinder, FlatTorus, Plane, Sphere, make_manifold


@pytest.mark.parametrize(
    ("manifold", "limit"),
    [
        (Sphere(), 1 / 64),
        (FlatTorus(), 3 / 256),
        (Cylinder(radius=1.0), 3 / 512),
        (Cylinder(radius=2.0), 3 / 2048),
    ],
    ids=["sphere", "clifford-torus", "cylinder-R1", "cylinder-R2"],
)
def test_bending_density_converges_to_closed_form_at_eps_0025(manifold, limit):
    assert analytic_bending_density(manifold) == pytest.approx(limit, rel=1e-15)
    r = mc_loss(manifold, 0.025, 200_000, seed=0)
    assert abs(r["bending"] - limit) / limit < 1e-3


def test_sphere_distortion_scales_as_eps4_over_576():
    """Chord/arc = sin(ε/2)/(ε/2) so W = (s-1)² ≈ ε⁴/576 for the sphere inclusion."""
    for eps in (0.1, 0.05):
        r = mc_loss(Sphere(), eps, 1000, w="sq")
        np.testing.assert_allclose(r["distortion"] / eps**4, 1 / 576, rtol=2e-3)


def test_error_to_limit_shrinks_as_eps_goes_to_zero():
    rows = mc_convergence(Sphere(), [0.4, 0.1, 0.025], [2000])
    errs = [r.rel_error for r in rows]
    assert errs[0] > errs[1] > errs[2]
    # second-order bias: a factor 4 in ε gives about 16 in error
    assert 10 < errs[0] / errs[1] < 25


def test_standard_error_shrinks_like_inverse_sqrt_k():
    m = FlatTorus()
    a = mc_loss(m, 0.05, 4000, stratified=False, seed=1)["bending_stderr"]
    b = mc_loss(m, 0.05, 64000, stratified=False, seed=1)["bending_stderr"]
    np.testing.assert_allclose(a / b, 4.0, rtol=0.1)


def test_scaled_flat_embedding_limit_is_w_of_scale():
    lim = analytic_limit(Plane(), scale=1.5, w="sq2")
    assert lim["total"] == pytest.approx((1.5**2 - 1) ** 2)
    r = mc_loss(Plane(), 0.05, 1000, scale=1.5, w="sq2")
    np.testing.assert_allclose(r["total"], lim["total"], rtol=1e-12)


def test_swiss_roll_quadrature_limit_matches_monte_carlo():
    m = make_manifold("swiss-roll")
    r = mc_loss(m, 0.05, 200_000, seed=0)
    assert abs(r["bending"] - analytic_bending_density(m)) < 4 * r["bending_stderr"] + 1e-3 * r["bending"]


def test_manifold_without_closed_form_is_rejected():
    with pytest.raises(InputError, match="no closed-form"):
        analytic_limit(make_manifold("s-curve"))


def test_eps_outside_the_manifold_scale_is_rejected():
    with pytest.raises(InputError, match="eps must be in"):
        mc_convergence(Sphere(), [10.0], [100])
