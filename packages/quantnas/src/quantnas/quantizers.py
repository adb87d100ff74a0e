"""Quantizers: LSQ for weights, HWGQ for activations, quantization noise for search.

* LSQ (Esser et al., ICLR 2020, "Learned Step Size Quantization"): per output channel, signed codes
  in ``[-2^(b-1), 2^(b-1)-1]``, straight-through rounding, step gradient scaled by ``1/sqrt(N Qp)``.
* HWGQ (Cai et al., CVPR 2017, as used by EdMIPS and the official QuantNAS code): a ReLU that rounds
  to a fixed unsigned grid ``{k * Delta_b}``, ``k = 0..2^b-1``; straight-through gradient inside the
  clipping range.
* Quantization noise (QuantNAS Sec. 3.2, following DiffQ): ``x + Delta * eps`` with the min-max step
  ``Delta = (max x - min x) / (2^b - 1)``, ``eps ~ U(-1/2, 1/2)`` (variance ``Delta^2/12``, the variance
  of true rounding error) or, for parity with the official code, ``eps ~ N(0, 1/4)``.

The integer reference (:func:`quantize_int`, :func:`dequantize`) is what the exported model runs;
the fake-quant path in the modules equals it exactly (tested).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from core_utils import InputError

#: Bit-widths a block may use; 32 means full precision (no quantization).
SUPPORTED_BITS: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8, 32)

#: HWGQ steps for unit-variance pre-activations. 4 and 8 bits are the official QuantNAS values;
#: the others are the MSE-optimal uniform steps for a half-normal input, computed numerically
#: (2e6 samples, grid search) for this package.
HWGQ_STEPS: dict[int, float] = {
    2: 0.65106,
    3: 0.35295,
    4: 0.21306,
    5: 0.10520,
    6: 0.05734,
    7: 0.03092,
    8: 0.020301,
}

NOISE_KINDS = ("uniform", "gaussian")


def check_bits(bits: int, *, what: str = "bits") -> int:
    """Return ``bits`` if supported, else raise :class:`InputError` naming the supported set."""
    if isinstance(bits, bool) or not isinstance(bits, int) or bits not in SUPPORTED_BITS:
        raise InputError(f"{what} must be one of {list(SUPPORTED_BITS)}, got {bits!r}")
    return bits


def signed_range(bits: int) -> tuple[int, int]:
    """``(Qn, Qp)`` of signed ``bits``-bit codes: ``[-2^(b-1), 2^(b-1) - 1]``."""
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def quantize_int(x: torch.Tensor, scale: torch.Tensor, qmin: int, qmax: int) -> torch.Tensor:
    """Integer codes ``clamp(round(x / scale), qmin, qmax)`` (round half to even, as torch does).

    ``scale`` broadcasts against ``x`` (a scalar, or shape ``(C, 1, 1, 1)`` per output channel).
    """
    return torch.clamp(torch.round(x / scale), qmin, qmax)


def dequantize(codes: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``codes * scale``: the real value an integer code stands for."""
    return codes * scale


def _round_ste(x: torch.Tensor) -> torch.Tensor:
    """Round with the straight-through estimator (identity gradient)."""
    return x + (torch.round(x) - x).detach()


def _grad_scale(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Value of ``x``, gradient multiplied by ``scale`` (LSQ step-size gradient scaling)."""
    return x * scale + (x - x * scale).detach()


class LSQQuantizer(nn.Module):
    """LSQ weight fake-quantizer, one learned step per output channel (Esser et al. 2020, Eq. 1-5).

    ``w_hat = clamp(round(w / s), -Qn, Qp) * s`` with the rounding passed straight through and
    the gradient of ``s`` scaled by ``g = 1 / sqrt(N * Qp)``, ``N`` the weights per channel.
    The step is initialised from the first weight seen: ``s = 2 mean|w| / sqrt(Qp)``.

    Parameters
    ----------
    out_channels : int
        Number of output channels (one step each).
    bits : int
        Bit-width (from :data:`SUPPORTED_BITS`); 32 passes the weight through.
    """

    def __init__(self, out_channels: int, bits: int) -> None:
        super().__init__()
        self.bits = check_bits(bits)
        self.step = nn.Parameter(torch.ones(out_channels, 1, 1, 1))
        self.register_buffer("initialized", torch.tensor(False))

    def init_from(self, w: torch.Tensor) -> None:
        """Set the step from ``w`` (``2 mean|w| / sqrt(Qp)`` per output channel)."""
        _, qp = signed_range(self.bits)
        with torch.no_grad():
            s = 2.0 * w.detach().abs().mean(dim=(1, 2, 3), keepdim=True) / math.sqrt(qp)
            self.step.copy_(s.clamp_min(1e-8))
            self.initialized.fill_(True)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        if self.bits == 32:
            return w
        if not bool(self.initialized):
            self.init_from(w)
        qn, qp = signed_range(self.bits)
        g = 1.0 / math.sqrt(w[0].numel() * qp)
        s = _grad_scale(self.step, g).abs().clamp_min(1e-8)
        return torch.clamp(_round_ste(w / s), qn, qp) * s

    def codes(self, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Integer codes and the per-channel step the exported model uses."""
        qn, qp = signed_range(self.bits)
        s = self.step.detach().abs().clamp_min(1e-8)
        return quantize_int(w.detach(), s, qn, qp), s


class HWGQQuantizer(nn.Module):
    """HWGQ activation quantizer that doubles as the ReLU (Cai et al. 2017; EdMIPS).

    ``y = round(clamp(x, 0, Delta_b (2^b - 1)) / Delta_b) * Delta_b`` with a straight-through
    gradient inside the clipping range. At 32 bits it is a plain ReLU.
    """

    def __init__(self, bits: int) -> None:
        super().__init__()
        self.bits = check_bits(bits)
        self.step = HWGQ_STEPS.get(self.bits, 0.0)

    @property
    def levels(self) -> int:
        """Largest unsigned code ``2^b - 1``."""
        return 2**self.bits - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.bits == 32:
            return torch.relu(x)
        top = self.step * self.levels
        y = torch.clamp(x, 0.0, top)
        return _round_ste(y / self.step) * self.step

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Unsigned integer codes of ``x`` (what an integer kernel consumes)."""
        return quantize_int(x, torch.tensor(self.step, dtype=x.dtype), 0, self.levels)


def minmax_step(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Min-max quantization step ``(max x - min x) / (2^b - 1)`` (QuantNAS ``quant_noise``)."""
    lo, hi = torch.aminmax(x.detach())
    return (hi - lo) / (2**bits - 1)


def _check_kind(kind: str) -> None:
    if kind not in NOISE_KINDS:
        raise InputError(f"noise kind must be one of {list(NOISE_KINDS)}, got {kind!r}")


def noise_basis(
    x: torch.Tensor,
    bits: tuple[int, ...],
    kind: str = "uniform",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Quantization noise of ``x`` at every bit-width in ``bits``, stacked: shape ``(K, *x.shape)``.

    Row ``k`` is ``Delta_k * eps_k`` with ``Delta_k = (max x - min x) / (2^b_k - 1)`` and independent
    ``eps_k`` (see :func:`quant_noise`); a 32-bit row is zero. Computed with one min/max reduction
    and one random fill for all bit-widths (the search's hot path). Detached.
    """
    _check_kind(kind)
    for b in bits:
        check_bits(b)
    out = torch.empty((len(bits), *x.shape), device=x.device, dtype=x.dtype)
    if kind == "uniform":
        out.uniform_(-0.5, 0.5, generator=generator)
    else:
        out.normal_(0.0, 0.5, generator=generator)
    lo, hi = torch.aminmax(x.detach())
    inv = torch.tensor([0.0 if b == 32 else 1.0 / (2**b - 1) for b in bits], device=x.device, dtype=x.dtype)
    out.view(len(bits), -1).mul_(((hi - lo) * inv).unsqueeze(1))
    return out


def add_mixed_noise(x: torch.Tensor, pi: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """``x + sum_k pi_k basis_k`` in one fused pass (``addmm``); gradients reach ``x`` and ``pi``.

    ``basis`` is a detached :func:`noise_basis` of shape ``(K, *x.shape)`` and ``pi`` the ``K``
    bit-width probabilities of the mixed conv (QuantNAS Sec. 3.2, mixture over bit-widths).
    """
    k = basis.shape[0]
    flat = torch.addmm(x.reshape(1, -1), pi.reshape(1, k).to(x.dtype), basis.reshape(k, -1))
    return flat.view(x.shape)


def quant_noise(
    x: torch.Tensor, bits: int, kind: str = "uniform", generator: torch.Generator | None = None
) -> torch.Tensor:
    """Additive quantization noise ``Delta * eps`` for ``x`` at ``bits`` (detached).

    Parameters
    ----------
    x : Tensor
        The tensor to be perturbed (weights, or activations after the ReLU).
    bits : int
        Simulated bit-width.
    kind : {"uniform", "gaussian"}
        ``eps ~ U(-1/2, 1/2)`` (DiffQ, variance ``Delta^2/12``, default) or ``eps ~ N(0, 1/4)``
        (official QuantNAS code, variance ``Delta^2/4``).

    Returns
    -------
    Tensor
        The noise, detached; use ``x + quant_noise(x, b)`` so gradients reach ``x`` unchanged.
    """
    return noise_basis(x, (check_bits(bits),), kind, generator)[0]
