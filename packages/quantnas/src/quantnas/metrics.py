"""Image-quality metrics with the standard SR conventions.

Conventions (as in EDSR/BasicSR and the official ``validate_sr.py``): images are rounded to uint8,
converted to the BT.601 luma ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` (RGB in [0, 255]),
and ``shave`` pixels (default: the scale) are cropped from every border before comparing.
PSNR is ``10 log10(255^2 / MSE)``; SSIM is Wang et al.'s (Gaussian window sigma 1.5, K1 0.01,
K2 0.03, population covariance) as computed by :func:`skimage.metrics.structural_similarity`.
"""

from __future__ import annotations

import math

import numpy as np

from core_utils import InputError


def to_uint8(img: np.ndarray) -> np.ndarray:
    """``[0, 1]`` float HWC (or uint8) -> uint8 with rounding and clipping."""
    if img.dtype == np.uint8:
        return img
    return np.clip(np.round(np.asarray(img, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """BT.601 luma in [16, 235] (float64) of an HWC RGB image (uint8, or float in [0, 1])."""
    x = to_uint8(img).astype(np.float64)
    if x.ndim != 3 or x.shape[2] != 3:
        raise InputError(f"expected an RGB image of shape (H, W, 3), got {x.shape}")
    return 16.0 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255.0


def _shaved_y(sr: np.ndarray, hr: np.ndarray, shave: int) -> tuple[np.ndarray, np.ndarray]:
    if sr.shape != hr.shape:
        raise InputError(f"images differ in shape: {sr.shape} vs {hr.shape}")
    a, b = rgb_to_y(sr), rgb_to_y(hr)
    if shave:
        if min(a.shape) <= 2 * shave:
            raise InputError(f"image {a.shape} too small to shave {shave} pixels")
        a, b = a[shave:-shave, shave:-shave], b[shave:-shave, shave:-shave]
    return a, b


def psnr_y(sr: np.ndarray, hr: np.ndarray, shave: int = 0) -> float:
    """Y-channel PSNR in dB (``inf`` for identical images)."""
    a, b = _shaved_y(sr, hr, shave)
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def ssim_y(sr: np.ndarray, hr: np.ndarray, shave: int = 0) -> float:
    """Y-channel SSIM (Wang et al. 2004 conventions, via scikit-image)."""
    from skimage.metrics import structural_similarity

    a, b = _shaved_y(sr, hr, shave)
    return float(
        structural_similarity(
            a, b, data_range=255.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
    )
