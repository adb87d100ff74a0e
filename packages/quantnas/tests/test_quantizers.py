"""Quantizers: fake-quant equals integer quantization and torch's reference; noise statistics."""

import pytest
import torch
import torch.nn.functional as F

from core_utils import InputError
from quantnas.quantizers import (
    HWGQ_STEPS,
    HWGQQuantizer,
    LSQQuantizer,
    add_mixed_noise,
    check_bits,
    dequantize,
    minmax_step,
    noise_basis,
    quant_noise,
    quantize_int,
    signed_range,
)


@pytest.mark.parametrize("bits", [4, 8])
def test_lsq_fake_quant_equals_integer_and_torch_reference(bits):
    torch.manual_seed(0)
    w = torch.randn(6, 3, 3, 3)
    q = LSQQuantizer(6, bits)
    w_hat = q(w)
    codes, step = q.codes(w)
    qn, qp = signed_range(bits)
    assert codes.min() >= qn and codes.max() <= qp
    assert torch.allclose(w_hat, dequantize(codes, step), atol=1e-6, rtol=0)
    ref = torch.fake_quantize_per_channel_affine(
        w, step.flatten(), torch.zeros(6, dtype=torch.int32), 0, qn, qp
    )
    assert torch.allclose(w_hat, ref, atol=1e-6, rtol=0)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_hwgq_equals_torch_fake_quantize_per_tensor(bits):
    torch.manual_seed(1)
    x = 2 * torch.randn(4, 5, 8, 8)
    act = HWGQQuantizer(bits)
    ref = torch.fake_quantize_per_tensor_affine(x, HWGQ_STEPS[bits], 0, 0, 2**bits - 1)
    assert torch.allclose(act(x), ref, atol=1.5e-7, rtol=0)
    codes = act.codes(x)
    assert torch.equal(codes, torch.round(codes)) and codes.min() >= 0 and codes.max() <= 2**bits - 1


def test_integer_conv_equals_fake_quant_conv_in_float64():
    torch.manual_seed(2)
    x = torch.rand(2, 4, 9, 9, dtype=torch.float64) * 3
    w = torch.randn(5, 4, 3, 3, dtype=torch.float64)
    for bits in (4, 8):
        s_w = (w.abs().amax(dim=(1, 2, 3), keepdim=True) / 2 ** (bits - 1)).double()
        qn, qp = signed_range(bits)
        q_w = quantize_int(w, s_w, qn, qp)
        s_a = torch.tensor(HWGQ_STEPS[bits], dtype=torch.float64)
        q_a = quantize_int(x, s_a, 0, 2**bits - 1)
        acc = F.conv2d(q_a, q_w)
        assert torch.equal(acc, torch.round(acc))  # the accumulator is exactly integral
        fake = F.conv2d(q_a * s_a, q_w * s_w)
        assert torch.allclose(fake, acc * s_a * s_w.view(1, -1, 1, 1), atol=1e-12, rtol=0)


def test_lsq_straight_through_gradients_reach_weight_and_step():
    w = torch.randn(3, 2, 3, 3, requires_grad=True)
    q = LSQQuantizer(3, 4)
    q(w).sum().backward()
    assert w.grad is not None and w.grad.abs().sum() > 0
    assert q.step.grad is not None and torch.isfinite(q.step.grad).all()


@pytest.mark.parametrize("bits", [4, 8])
def test_uniform_noise_variance_is_step_squared_over_twelve(bits):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1_000_000, generator=g)
    step = float(minmax_step(x, bits))
    n = quant_noise(x, bits, "uniform", generator=g)
    assert abs(float(n.var()) / step**2 - 1 / 12) < 0.01 / 12
    assert abs(float(n.mean())) < 1e-3 * step
    assert float(n.abs().max()) <= step / 2


def test_gaussian_noise_variance_is_step_squared_over_four():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1_000_000, generator=g)
    step = float(minmax_step(x, 4))
    n = quant_noise(x, 4, "gaussian", generator=g)
    assert abs(float(n.var()) / step**2 - 0.25) < 0.0025


def test_true_rounding_error_variance_matches_uniform_noise():
    x = torch.randn(1_000_000, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    step = minmax_step(x, 4)
    err = torch.round((x - x.min()) / step) * step + x.min() - x
    assert abs(float(err.var() / step**2) - 1 / 12) < 0.01 / 12


def test_noise_is_detached_so_gradient_to_input_is_identity():
    x = torch.randn(100, requires_grad=True)
    (x + quant_noise(x, 4)).sum().backward()
    assert torch.equal(x.grad, torch.ones(100))


@pytest.mark.parametrize("bad", [1, 9, 16, 0, -4, 4.0, True])
def test_unsupported_bits_are_rejected(bad):
    with pytest.raises(InputError, match="bits must be one of"):
        check_bits(bad)


def test_unknown_noise_kind_is_rejected():
    with pytest.raises(InputError, match="noise kind"):
        quant_noise(torch.ones(3), 4, "laplace")


def test_noise_basis_rows_have_each_bit_width_variance_and_are_independent():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(500_000, generator=g)
    basis = noise_basis(x, (4, 8, 32), "uniform", generator=g)
    for row, bits in zip(basis, (4, 8), strict=False):
        step = float(minmax_step(x, bits))
        assert abs(float(row.var()) / step**2 - 1 / 12) < 0.01 / 12
    assert torch.equal(basis[2], torch.zeros_like(x))
    corr = torch.corrcoef(basis[:2])[0, 1]
    assert abs(float(corr)) < 0.01


def test_fused_noise_mixture_equals_the_explicit_sum_and_its_gradients():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(2, 3, 4, 5, generator=g, requires_grad=True)
    pi = torch.tensor([0.3, 0.7], requires_grad=True)
    basis = noise_basis(x, (4, 8), generator=g)
    y = add_mixed_noise(x, pi, basis)
    ref = x + pi[0] * basis[0] + pi[1] * basis[1]
    assert torch.allclose(y, ref, atol=1e-6)
    up = torch.randn(y.shape, generator=g)
    gx, gp = torch.autograd.grad((y * up).sum(), (x, pi))
    assert torch.equal(gx, up)
    assert torch.allclose(gp, (basis * up).flatten(1).sum(1), atol=1e-5)
