"""Error measures on hand-computed examples."""

import math

import torch

from mri_linf.metrics import linf_error, localized_l2, psnr, rel_l2


def test_metrics_match_hand_computed_values():
    x = torch.zeros(4, 4, dtype=torch.complex128)
    x[0, 0] = 2.0
    x_hat = x.clone()
    x_hat[1, 1] = 3j
    x_hat[2, 2] = 1.0
    region = torch.zeros(4, 4, dtype=torch.bool)
    region[1, 1] = True
    assert linf_error(x_hat, x, region) == 3.0
    assert linf_error(x_hat, x, ~region) == 1.0
    assert math.isclose(rel_l2(x_hat, x), math.sqrt(10) / 2)
    assert math.isclose(localized_l2(x_hat, x, region.double()), 3.0)
    assert math.isclose(psnr(x_hat, x), 10 * math.log10(4 / (10 / 16)))
    assert psnr(x, x) == math.inf
