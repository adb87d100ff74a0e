"""Subsampled unitary Fourier operator and k-space sampling masks.

The forward model is ``y = A x + e`` with ``A = P_Omega F`` (Alaifari, Alberti, Gauksson 2023,
Sec. 2): ``F`` is the orthonormal 2-D DFT, so ``||A|| = 1`` and ``A A^* = I``, and ``P_Omega``
keeps the ``m`` samples selected by a boolean mask. Masks are stored in the *unshifted* FFT layout
(DC at index ``[0, 0]``); the generators build them centred and ``ifftshift`` them. Every mask
must contain the DC sample: without it the TV normal equations are singular (the constant image
is invisible to both the data term and the gradient).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from core_utils import InputError

GOLDEN_ANGLE_DEG = 180.0 * (math.sqrt(5.0) - 1.0) / 2.0
"""Golden-angle increment of the radial spokes (robust-nets ``RadialMaskFunc``)."""


def _check_shape(shape: tuple[int, int] | int) -> tuple[int, int]:
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape), int(shape))
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or min(shape) < 2:
        raise InputError(f"image shape must be two sizes >= 2, got {shape}")
    return shape  # type: ignore[return-value]


def _uncentre(centred: np.ndarray) -> torch.Tensor:
    mask = np.fft.ifftshift(centred)
    mask[0, 0] = True  # the DC sample is always acquired
    return torch.from_numpy(mask.astype(bool))


def radial_mask(shape: tuple[int, int] | int, n_spokes: int, *, golden: bool = True) -> torch.Tensor:
    """Radial mask of ``n_spokes`` lines through the k-space centre.

    Spoke ``j`` has angle ``j * 111.25 deg`` (golden angle) or ``j * 180 / n_spokes`` (uniform);
    points along each line are taken every half pixel over the whole grid diagonal and rounded
    to the nearest grid point, as in the robust-nets ``RadialMaskFunc`` set-up.

    Returns
    -------
    torch.Tensor
        Boolean ``(H, W)`` mask in unshifted layout, DC included.
    """
    h, w = _check_shape(shape)
    if int(n_spokes) < 1:
        raise InputError(f"n_spokes must be >= 1, got {n_spokes}")
    step = GOLDEN_ANGLE_DEG if golden else 180.0 / n_spokes
    angles = np.deg2rad(np.arange(n_spokes) * step)
    radius = math.hypot(h, w) / 2
    t = np.arange(-radius, radius + 0.5, 0.5)
    ch, cw = h // 2, w // 2
    rows = np.rint(ch + np.outer(np.sin(angles), t)).astype(int).ravel()
    cols = np.rint(cw + np.outer(np.cos(angles), t)).astype(int).ravel()
    keep = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    centred = np.zeros((h, w), dtype=bool)
    centred[rows[keep], cols[keep]] = True
    return _uncentre(centred)


def cartesian_mask(
    shape: tuple[int, int] | int,
    accel: float,
    *,
    center_fraction: float = 0.08,
    seed: int = 0,
) -> torch.Tensor:
    """Cartesian variable-density mask: whole phase-encode rows (fastMRI style).

    A central band of ``center_fraction * H`` rows is always kept; the other rows are drawn
    without replacement with probability decaying as ``1 / (1 + (k / k_c)^2)`` away from the
    centre, so that ``H / accel`` rows are kept in total.
    """
    h, w = _check_shape(shape)
    if not accel >= 1:
        raise InputError(f"accel must be >= 1, got {accel}")
    if not 0 < center_fraction <= 1:
        raise InputError(f"center_fraction must be in (0, 1], got {center_fraction}")
    rng = np.random.default_rng(seed)
    n_rows = max(1, round(h / accel))
    n_center = min(n_rows, max(1, round(center_fraction * h)))
    k = np.arange(h) - h // 2
    center = np.abs(k) <= (n_center - 1) / 2 + 0.5 * (n_center % 2 == 0)
    center_idx = np.flatnonzero(center)[:n_center]
    chosen = set(center_idx.tolist())
    rest = np.setdiff1d(np.arange(h), center_idx)
    n_more = n_rows - len(chosen)
    if n_more > 0 and rest.size:
        p = 1.0 / (1.0 + (k[rest] / max(n_center, 1)) ** 2)
        chosen.update(rng.choice(rest, size=min(n_more, rest.size), replace=False, p=p / p.sum()).tolist())
    centred = np.zeros((h, w), dtype=bool)
    centred[sorted(chosen), :] = True
    return _uncentre(centred)


def gaussian_mask(shape: tuple[int, int] | int, accel: float, *, seed: int = 0) -> torch.Tensor:
    """Random 2-D point mask with Gaussian density around the k-space centre.

    ``round(H * W / accel)`` distinct points are drawn without replacement with probability
    proportional to ``exp(-(kx^2 + ky^2) / (2 s^2))``, ``s = min(H, W) / 6``; DC is always kept.
    """
    h, w = _check_shape(shape)
    if not accel >= 1:
        raise InputError(f"accel must be >= 1, got {accel}")
    rng = np.random.default_rng(seed)
    ky, kx = np.meshgrid(np.arange(h) - h // 2, np.arange(w) - w // 2, indexing="ij")
    s = min(h, w) / 6
    p = np.exp(-(kx**2 + ky**2) / (2 * s**2)).ravel()
    n = max(1, round(h * w / accel))
    idx = rng.choice(h * w, size=n, replace=False, p=p / p.sum())
    centred = np.zeros(h * w, dtype=bool)
    centred[idx] = True
    centred = centred.reshape(h, w)
    centred[h // 2, w // 2] = True
    return _uncentre(centred)


MASKS = ("radial", "cartesian", "gaussian")


def make_mask(
    kind: str, shape: tuple[int, int] | int, *, spokes: int = 30, accel: float = 4.0, seed: int = 0
) -> torch.Tensor:
    """Mask by name: ``radial`` (uses ``spokes``), ``cartesian`` or ``gaussian`` (use ``accel``)."""
    if kind == "radial":
        return radial_mask(shape, spokes)
    if kind == "cartesian":
        return cartesian_mask(shape, accel, seed=seed)
    if kind == "gaussian":
        return gaussian_mask(shape, accel, seed=seed)
    raise InputError(f"mask kind must be one of {', '.join(MASKS)}, got {kind!r}")


class SubsampledFourier:
    """``A = P_Omega F``: orthonormal 2-D DFT followed by sampling on a mask.

    Parameters
    ----------
    mask : array or tensor of bool, shape ``(H, W)``
        Sampled k-space locations, unshifted layout (DC at ``[0, 0]``); must contain DC.
    centred : bool
        Set when ``mask`` is in the centred (``fftshift``-ed) layout; it is unshifted here.

    Notes
    -----
    ``A x`` maps complex images ``(..., H, W)`` to measurement vectors ``(..., m)``; ``A^* y``
    is the zero-filled inverse FFT. Because ``F`` is unitary, ``A A^* = I_m`` and
    ``||A|| = 1`` (paper Sec. 2), which makes ``eta`` in ``||e|| <= eta ||y||`` independent of
    the FFT convention.
    """

    def __init__(self, mask: np.ndarray | torch.Tensor, *, centred: bool = False) -> None:
        mask_t = torch.as_tensor(np.asarray(mask) if not isinstance(mask, torch.Tensor) else mask)
        if mask_t.ndim != 2:
            raise InputError(f"mask must be 2-D (H, W), got shape {tuple(mask_t.shape)}")
        if mask_t.dtype != torch.bool:
            if not torch.all((mask_t == 0) | (mask_t == 1)):
                raise InputError("mask must be boolean (or 0/1)")
            mask_t = mask_t != 0
        if centred:
            mask_t = torch.fft.ifftshift(mask_t, dim=(-2, -1))
        if not bool(mask_t[0, 0]):
            raise InputError(
                "mask does not contain the DC sample (k = 0); the TV decoder is then singular "
                "(pass centred=True if the mask is in fftshift layout)"
            )
        self.mask = mask_t.cpu()
        self.shape: tuple[int, int] = (int(mask_t.shape[0]), int(mask_t.shape[1]))
        self.index = torch.nonzero(self.mask.reshape(-1)).flatten()
        self.m = int(self.index.numel())

    @property
    def n_pixels(self) -> int:
        """Number of image pixels ``n^2 = H * W``."""
        return self.shape[0] * self.shape[1]

    @property
    def undersampling(self) -> float:
        """``n^2 / m``, the predicted TV amplification factor squared (paper Sec. 3)."""
        return self.n_pixels / self.m

    def check_image(self, x: torch.Tensor) -> None:
        """Raise :class:`InputError` unless ``x`` has trailing shape ``(H, W)``."""
        if tuple(x.shape[-2:]) != self.shape:
            raise InputError(f"image shape {tuple(x.shape[-2:])} does not match the mask shape {self.shape}")

    def check_measurements(self, y: torch.Tensor) -> None:
        """Raise :class:`InputError` for real-typed, non-finite or wrongly sized measurements."""
        if not isinstance(y, torch.Tensor):
            raise InputError(f"measurements must be a torch tensor, got {type(y).__name__}")
        if not y.is_complex():
            raise InputError(f"measurements must be complex-valued, got dtype {y.dtype}")
        if y.shape[-1] != self.m:
            raise InputError(f"measurements have {y.shape[-1]} samples, the mask has m = {self.m}")
        if not bool(torch.isfinite(torch.view_as_real(y)).all()):
            raise InputError("measurements contain NaN or infinite values")

    def fft(self, x: torch.Tensor) -> torch.Tensor:
        """Full orthonormal k-space ``F x`` (unshifted)."""
        return torch.fft.fft2(x, norm="ortho")

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """Forward operator ``P_Omega F x``: ``(..., H, W) -> (..., m)``."""
        self.check_image(x)
        if not x.is_complex():
            x = x.to(torch.complex128 if x.dtype == torch.float64 else torch.complex64)
        k = torch.fft.fft2(x, norm="ortho").flatten(-2)
        return k.index_select(-1, self.index.to(k.device))

    def embed(self, y: torch.Tensor) -> torch.Tensor:
        """Zero-filled k-space ``P_Omega^T y``: ``(..., m) -> (..., H, W)``."""
        full = y.new_zeros((*y.shape[:-1], self.n_pixels))
        full = full.index_copy(-1, self.index.to(y.device), y)
        return full.reshape(*y.shape[:-1], *self.shape)

    def A_adj(self, y: torch.Tensor) -> torch.Tensor:
        """Adjoint ``F^* P_Omega^T y`` (the zero-filled reconstruction)."""
        return torch.fft.ifft2(self.embed(y), norm="ortho")

    zero_filled = A_adj

    def mask_like(self, ref: torch.Tensor) -> torch.Tensor:
        """The mask as a real tensor of ``ref``'s real dtype and device."""
        real = torch.empty((), dtype=ref.dtype).real.dtype if ref.is_complex() else ref.dtype
        return self.mask.to(device=ref.device, dtype=real)
