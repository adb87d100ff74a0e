"""Error measures of the paper: l-infinity inside / outside a disk, relative l2, PSNR.

All errors are on the *modulus of the complex difference* ``|x_hat - x|`` (stated because the
paper's images are complex and the choice matters, spec Sec. 6 pitfalls).
"""

from __future__ import annotations

import math

import torch


def linf_error(x_hat: torch.Tensor, x: torch.Tensor, region: torch.Tensor | None = None) -> float:
    """``max |x_hat - x|`` over ``region`` (a boolean mask) or the whole image."""
    d = (x_hat - x).abs()
    if region is not None:
        d = d[region.to(d.device)]
    return float(d.max()) if d.numel() else 0.0


def localized_l2(x_hat: torch.Tensor, x: torch.Tensor, phi: torch.Tensor) -> float:
    """``||phi * (x_hat - x)||_2``, the attack objective (paper Eq. (3))."""
    return float(torch.linalg.vector_norm(phi.to(x.device) * (x_hat - x)))


def rel_l2(x_hat: torch.Tensor, x: torch.Tensor) -> float:
    """``||x_hat - x||_2 / ||x||_2``."""
    return float(torch.linalg.vector_norm(x_hat - x) / torch.linalg.vector_norm(x))


def psnr(x_hat: torch.Tensor, x: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB with peak ``max |x|``."""
    mse = float((x_hat - x).abs().pow(2).mean())
    peak = float(x.abs().max())
    return math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)
