"""ADQ: identity when phi = 0, plain residual when disabled, AdaDM-style modulation otherwise."""

import torch

from quantnas.adq import ADQ


def test_zero_phi_makes_adq_the_identity():
    adq = ADQ(4, torch.nn.Conv2d(4, 4, 3, padding=1))
    with torch.no_grad():
        adq.phi.weight.zero_()
        adq.phi.bias.zero_()
    x = torch.randn(3, 4, 5, 5)
    assert torch.equal(adq(x), x)


def test_disabled_adq_is_plain_residual():
    body = torch.nn.Conv2d(4, 4, 3, padding=1)
    adq = ADQ(4, body, enabled=False)
    x = torch.randn(2, 4, 5, 5)
    assert torch.allclose(adq(x), x + body(x))
    assert not hasattr(adq, "norm")


def test_adq_scales_branch_by_affine_of_sample_std():
    body = torch.nn.Identity()
    adq = ADQ(2, body).eval()  # BN in eval with fresh stats is the identity (up to eps)
    x = torch.randn(2, 2, 4, 4)
    sigma = x.flatten(1).std(dim=1).view(-1, 1, 1, 1)
    expected = x + 1.5 * sigma * adq.norm(x)
    assert torch.allclose(adq(x), expected, atol=1e-6)
