"""Theory as code: spike perturbation norm, amplification, restricted singular values, spike oracle."""

import math

import pytest
import torch

from core_utils import InputError
from mri_linf.attack import disk_weight
from mri_linf.operators import SubsampledFourier, radial_mask
from mri_linf.phantoms import shepp_logan
from mri_linf.theory import amplification_factor, restricted_singular_values, spike, spike_perturbation
from mri_linf.tv import TVADMM


def test_spike_perturbation_norm_is_t_sqrt_m_over_n():
    op = SubsampledFourier(radial_mask(40, 9))
    e = spike_perturbation(op, (11, 23), t=0.7)
    assert math.isclose(float(torch.linalg.vector_norm(e)), 0.7 * math.sqrt(op.m) / 40, rel_tol=1e-12)
    assert math.isclose(amplification_factor(op), 40 / math.sqrt(op.m))


def test_restricted_singular_values_bracket_the_mean_amplification():
    """sum sigma_i^2 = |S| m / n^2, so 1 / sigma_min >= sqrt(n^2 / m) >= 1 / sigma_max."""
    op = SubsampledFourier(radial_mask(48, 12))
    support = disk_weight(op.shape, (24, 16), 3) > 0.5
    s = restricted_singular_values(op, support)
    assert math.isclose(float((s**2).sum()), int(support.sum()) * op.m / op.n_pixels, rel_tol=1e-10)
    assert 1 / float(s.min()) >= amplification_factor(op) >= 1 / float(s.max())
    one = torch.zeros(op.shape, dtype=torch.bool)
    one[3, 4] = True
    assert math.isclose(float(restricted_singular_values(op, one)[0]), math.sqrt(op.m) / 48, rel_tol=1e-12)


def test_spike_oracle_tv_returns_x_plus_spike_of_predicted_height():
    """Spec oracle 5: R_TV(y + A(t delta)) = x + t delta on a recoverable phantom."""
    n, t, mu = 64, 0.5, (32, 22)
    x = torch.from_numpy(shepp_logan(n)).to(torch.complex128)
    op = SubsampledFourier(radial_mask(n, 24))
    y = op.A(x)
    e = spike_perturbation(op, mu, t)
    assert float(torch.linalg.vector_norm(e) / torch.linalg.vector_norm(y)) < 0.03
    x_hat, _ = TVADMM(1e-4, 1e-2, n_iter=1500).solve(y + e, op)
    artifact = (x_hat - x).abs()
    assert abs(float(artifact[mu]) - t) < 0.02 * t
    artifact[mu] = 0
    assert float(artifact.max()) < 0.02
    # amplification: artifact norm / perturbation norm = n / sqrt(m) up to the recovery error
    gain = t / float(torch.linalg.vector_norm(e))
    assert math.isclose(gain, amplification_factor(op), rel_tol=1e-9)


def test_point_outside_image_is_refused():
    op = SubsampledFourier(radial_mask(16, 4))
    with pytest.raises(InputError, match="outside"):
        spike(op, (16, 0))
    with pytest.raises(InputError, match="empty"):
        restricted_singular_values(op, torch.zeros(16, 16, dtype=torch.bool))
