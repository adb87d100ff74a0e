"""The localized attack: budget, the paper's two claims, zero-filled gain, convergence, bad input."""

import math

import pytest
import torch

from core_utils import InputError
from mri_linf.attack import (
    TVDecoder,
    ZeroFilledDecoder,
    disk_weight,
    localized_attack,
    perturbation_metrics,
    project_l2_ball,
    random_perturbation,
)
from mri_linf.dnn import UNetDecoder, load_weights
from mri_linf.operators import SubsampledFourier, radial_mask
from mri_linf.phantoms import shepp_logan
from mri_linf.tv import TVADMM


def _setup(n, spokes, dtype=torch.complex64):
    x = torch.from_numpy(shepp_logan(n)).to(dtype)
    op = SubsampledFourier(radial_mask(n, spokes))
    return x, op, op.A(x)


def test_attack_respects_the_budget_exactly_and_is_seeded():
    x, op, y = _setup(32, 10, torch.complex128)
    dec = TVDecoder.warm_started(TVADMM(2e-3, 5e-2), op, y, clean_iter=100, n_iter=10)
    phi = disk_weight(op.shape, (16, 11), 2)
    res = [localized_attack(dec, y, phi, 0.02, steps=5, seed=s) for s in (0, 0, 1)]
    budget = 0.02 * float(torch.linalg.vector_norm(y))
    for r in res:
        norm = float(torch.linalg.vector_norm(r.e))
        assert norm <= budget * (1 + 1e-12)
        assert norm >= 0.999 * budget  # the maximiser lies on the sphere
        assert math.isclose(r.metrics["random_e_norm"], norm, rel_tol=1e-9)
    assert torch.equal(res[0].e, res[1].e)
    assert not torch.equal(res[0].e, res[2].e)


def test_tv_attack_is_localized_and_beats_random_noise_tenfold():
    """Paper claim 1 (spec oracle 7): l-inf in the disk >> random noise of equal norm, eta = 1%."""
    x, op, y = _setup(128, 30)
    mu, sigma = (64, 44), 3.0
    dec = TVDecoder.warm_started(TVADMM(2e-3, 5e-2), op, y, clean_iter=500, n_iter=40)
    res = localized_attack(dec, y, disk_weight(op.shape, mu, sigma, dtype=torch.float32), 0.01, steps=15)
    m = res.metrics
    random_linf = max(m["random_linf_in"], m["random_linf_out"])
    assert m["linf_in"] > 10 * random_linf
    assert m["linf_in"] > 2 * m["linf_out"]  # localized
    assert m["rel_l2"] < 0.05  # while the whole-image error stays small
    # spec oracle 6: the spike belongs to the TV minimiser, not to the truncated unrolling
    x_conv, _ = TVADMM(2e-3, 5e-2, n_iter=800).solve(y + res.e, op)
    inside = disk_weight(op.shape, mu, sigma) > 0.5
    linf_conv = float((x_conv - res.x_ref).abs()[inside].max())
    assert linf_conv > 0.7 * m["linf_in"]


def test_zero_filled_gain_is_at_most_one():
    x, op, y = _setup(32, 8, torch.complex128)
    phi = disk_weight(op.shape, (16, 10), 3)
    res = localized_attack(ZeroFilledDecoder(op), y, phi, 0.05, steps=15)
    assert res.metrics["gain"] <= 1 + 1e-9
    # and A^* is the identity on the perturbation's norm budget: gain of a spike is sqrt(m)/n
    assert res.metrics["gain"] > 0.3


def test_unet_artifact_is_smaller_than_tv_under_the_same_attack():
    """Paper claim 2, at 128^2 with the shipped U-Net (reduced steps; README has full numbers)."""
    net, cfg, _ = load_weights()
    x, op, y = _setup(cfg.n, cfg.spokes)
    phi = disk_weight(op.shape, (64, 44), 3, dtype=torch.float32)
    tv = TVDecoder.warm_started(TVADMM(2e-3, 5e-2), op, y, clean_iter=300, n_iter=30)
    r_tv = localized_attack(tv, y, phi, 0.01, steps=10)
    r_net = localized_attack(UNetDecoder(net, op), y, phi, 0.01, steps=10)
    assert r_net.metrics["linf_in"] < r_tv.metrics["linf_in"]
    # transfer: the TV attack barely affects the U-Net, as in the paper
    t = perturbation_metrics(UNetDecoder(net, op), y, r_tv.e, r_net.x_ref, phi)
    assert t["linf_in"] < r_tv.metrics["linf_in"]


def test_projection_and_random_perturbation_norms(rng):
    y = torch.randn(50, dtype=torch.complex128, generator=rng)
    e = random_perturbation(y, 0.03, seed=4)
    assert math.isclose(
        float(torch.linalg.vector_norm(e)), 0.03 * float(torch.linalg.vector_norm(y)), rel_tol=1e-12
    )
    big = 10 * y
    assert math.isclose(float(torch.linalg.vector_norm(project_l2_ball(big, 2.0))), 2.0, rel_tol=1e-12)
    assert torch.equal(project_l2_ball(y * 1e-6, 2.0), y * 1e-6)


@pytest.mark.parametrize(
    ("mu", "sigma", "msg"),
    [((1, 10), 3, "outside"), ((10, 30), 3, "outside"), ((10, 10), 0, "sigma"), ((10, 10), -2, "sigma")],
)
def test_bad_disks_are_refused(mu, sigma, msg):
    with pytest.raises(InputError, match=msg):
        disk_weight((32, 32), mu, sigma)


@pytest.mark.parametrize("eta", [0.0, -0.01, float("nan")])
def test_nonpositive_eta_is_refused(eta):
    x, op, y = _setup(16, 5)
    with pytest.raises(InputError, match="eta"):
        localized_attack(ZeroFilledDecoder(op), y, disk_weight(op.shape, (8, 8), 2), eta)


def test_smooth_disk_weight_is_between_zero_and_one():
    phi = disk_weight((32, 32), (16, 16), 4, smooth=1.0)
    assert float(phi.max()) <= 1 and float(phi.min()) >= 0 and float(phi[16, 16]) > 0.9
