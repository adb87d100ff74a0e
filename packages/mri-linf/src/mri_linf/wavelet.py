"""l1-wavelet decoder: the second exact-recovery method the paper names (sparsity in a basis).

.. math:: R_{W}(y) = \\arg\\min_x \\tfrac12 \\|A x - y\\|_2^2 + \\lambda \\|W x\\|_1,

with ``W`` the orthonormal 2-D Haar transform (written in torch so that unrolled solves are
differentiable; PyWavelets is numpy-only). Because ``W^* W = I`` the ADMM x-update is diagonal in
Fourier space, exactly as for TV: ``x = F^* [(M y_hat + rho F W^*(z - u)) / (M + rho)]``.
"""

from __future__ import annotations

import torch

from core_utils import InputError
from mri_linf.operators import SubsampledFourier
from mri_linf.tv import TVState, _check_positive, _real_dtype


def _check_levels(shape: tuple[int, ...], levels: int) -> None:
    h, w = shape[-2:]
    if levels < 1:
        raise InputError(f"levels must be >= 1, got {levels}")
    if h % (2**levels) or w % (2**levels):
        raise InputError(f"image shape {(h, w)} must be divisible by 2**levels = {2**levels}")


def haar_forward(x: torch.Tensor, levels: int = 3) -> torch.Tensor:
    """Orthonormal 2-D Haar transform in pyramid layout (same shape as ``x``)."""
    _check_levels(tuple(x.shape), levels)
    out = x
    h, w = x.shape[-2:]
    for _ in range(levels):
        block = out[..., :h, :w]
        a, b = block[..., 0::2, 0::2], block[..., 0::2, 1::2]
        c, d = block[..., 1::2, 0::2], block[..., 1::2, 1::2]
        ll, lh = (a + b + c + d) / 2, (a - b + c - d) / 2
        hl, hh = (a + b - c - d) / 2, (a - b - c + d) / 2
        top = torch.cat((ll, lh), dim=-1)
        bottom = torch.cat((hl, hh), dim=-1)
        new_block = torch.cat((top, bottom), dim=-2)
        out = torch.cat((torch.cat((new_block, out[..., :h, w:]), dim=-1), out[..., h:, :]), dim=-2)
        h, w = h // 2, w // 2
    return out


def haar_inverse(c: torch.Tensor, levels: int = 3) -> torch.Tensor:
    """Inverse (= adjoint) of :func:`haar_forward`."""
    _check_levels(tuple(c.shape), levels)
    out = c
    H, W = c.shape[-2:]
    for lev in reversed(range(levels)):
        h, w = H // 2**lev, W // 2**lev
        block = out[..., :h, :w]
        ll, lh = block[..., : h // 2, : w // 2], block[..., : h // 2, w // 2 :]
        hl, hh = block[..., h // 2 :, : w // 2], block[..., h // 2 :, w // 2 :]
        a, b = (ll + lh + hl + hh) / 2, (ll - lh + hl - hh) / 2
        c_, d = (ll + lh - hl - hh) / 2, (ll - lh - hl + hh) / 2
        row0 = torch.stack((a, b), dim=-1).flatten(-2)
        row1 = torch.stack((c_, d), dim=-1).flatten(-2)
        new_block = torch.stack((row0, row1), dim=-2).flatten(-3, -2)
        out = torch.cat((torch.cat((new_block, out[..., :h, w:]), dim=-1), out[..., h:, :]), dim=-2)
    return out


class L1WaveletADMM:
    """ADMM for the l1-Haar-wavelet decoder (anisotropic on real and imaginary parts).

    Parameters
    ----------
    lam, rho : float
        Sparsity weight and ADMM penalty (both > 0).
    levels : int
        Haar decomposition levels (image sides divisible by ``2**levels``).
    n_iter : int
        Iterations per :meth:`solve`.
    """

    def __init__(self, lam: float = 2e-3, rho: float = 5e-2, *, levels: int = 3, n_iter: int = 500) -> None:
        _check_positive(lam=lam, rho=rho)
        self.lam, self.rho, self.levels, self.n_iter = float(lam), float(rho), int(levels), int(n_iter)

    def objective(self, x: torch.Tensor, y: torch.Tensor, op: SubsampledFourier) -> torch.Tensor:
        """``1/2 ||A x - y||^2 + lam ||W x||_1`` per batch element."""
        r = op.A(x) - y
        c = torch.view_as_real(haar_forward(x, self.levels))
        return 0.5 * (r.abs() ** 2).sum(-1) + self.lam * c.abs().flatten(-3).sum(-1)

    def solve(
        self, y: torch.Tensor, op: SubsampledFourier, init: TVState | None = None, n_iter: int | None = None
    ) -> tuple[torch.Tensor, TVState]:
        """Run ADMM (warm start from ``init``); returns ``(x, state)``."""
        op.check_measurements(y)
        _check_levels(op.shape, self.levels)
        rdt = _real_dtype(y)
        denom = op.mask_like(torch.empty((), dtype=rdt)).to(y.device) + self.rho
        y_hat = op.embed(y)
        if init is None:
            x = op.A_adj(y)
            z = haar_forward(x, self.levels)
            u = torch.zeros_like(z)
        else:
            x, z, u = init.x, init.z, init.u
        thr = self.lam / self.rho
        for _ in range(self.n_iter if n_iter is None else int(n_iter)):
            rhs = y_hat + self.rho * torch.fft.fft2(haar_inverse(z - u, self.levels), norm="ortho")
            x = torch.fft.ifft2(rhs / denom, norm="ortho")
            wx = haar_forward(x, self.levels)
            z = torch.view_as_complex(torch.nn.functional.softshrink(torch.view_as_real(wx + u), thr))
            u = u + wx - z
        return x, TVState(x, z, u)
