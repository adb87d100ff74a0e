"""The theory of the paper as code: spikes, restricted singular values, amplification.

If a decoder recovers gradient-sparse (TV) or sparse (l1) signals exactly and ``x + h`` is still
such a signal (``h`` a spike or a small disk), then ``R(y + A h) = x + h``: a perturbation of norm
``||A h||`` produces an artifact of norm ``||h||`` (Alaifari, Alberti, Gauksson 2023, Sec. 3).
For a spike ``h = t delta_mu`` every Fourier coefficient has modulus ``t / n``, so
``||A h|| = t sqrt(m) / n`` and the amplification ``||h|| / ||A h|| = n / sqrt(m)``. For ``h``
supported on a set ``S`` the worst amplification is ``1 / sigma_min(A restricted to S)``.
"""

from __future__ import annotations

import math

import torch

from core_utils import InputError
from mri_linf.operators import SubsampledFourier


def _check_point(op: SubsampledFourier, mu: tuple[int, int]) -> tuple[int, int]:
    r, c = (int(v) for v in mu)
    if not (0 <= r < op.shape[0] and 0 <= c < op.shape[1]):
        raise InputError(f"point {mu} lies outside the image of shape {op.shape}")
    return r, c


def spike(op: SubsampledFourier, mu: tuple[int, int], t: float = 1.0, dtype=torch.complex128) -> torch.Tensor:
    """The image ``h = t delta_mu``."""
    r, c = _check_point(op, mu)
    h = torch.zeros(op.shape, dtype=dtype)
    h[r, c] = t
    return h


def spike_perturbation(
    op: SubsampledFourier, mu: tuple[int, int], t: float = 1.0, dtype=torch.complex128
) -> torch.Tensor:
    """``e = A(t delta_mu)``; its norm is ``|t| sqrt(m) / n`` exactly."""
    return op.A(spike(op, mu, t, dtype))


def amplification_factor(op: SubsampledFourier) -> float:
    """Predicted TV/l1 amplification ``||h|| / ||A h|| = sqrt(n^2 / m)`` for a spike."""
    return math.sqrt(op.undersampling)


def restricted_singular_values(op: SubsampledFourier, support: torch.Tensor) -> torch.Tensor:
    """Singular values of ``A`` restricted to images supported on ``support`` (boolean ``(H, W)``).

    ``1 / sigma_min`` bounds the artifact-to-perturbation ratio of an exact-recovery decoder for
    artifacts supported on ``support`` (the disk of the attack).
    """
    if tuple(support.shape) != op.shape:
        raise InputError(f"support shape {tuple(support.shape)} does not match the mask shape {op.shape}")
    idx = torch.nonzero(support.reshape(-1)).flatten()
    if idx.numel() == 0:
        raise InputError("support is empty")
    basis = torch.zeros((idx.numel(), op.n_pixels), dtype=torch.complex128)
    basis[torch.arange(idx.numel()), idx] = 1
    cols = op.A(basis.reshape(-1, *op.shape))  # (|S|, m)
    return torch.linalg.svdvals(cols.T)
