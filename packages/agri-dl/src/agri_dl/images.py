"""Image validation shared by the feature extractors, the networks and the loaders."""

from __future__ import annotations

import numpy as np

from core_utils import InputError

__all__ = ["as_rgb_uint8", "as_batch"]


def as_rgb_uint8(img: np.ndarray, *, name: str = "image") -> np.ndarray:
    """One image as (H, W, 3) uint8.

    Grey (H, W) or (H, W, 1) images are replicated to 3 channels; RGBA drops alpha; float images must
    lie in [0, 1] and are scaled to 0-255. Anything else raises :class:`InputError`.
    """
    a = np.asarray(img)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3:
        raise InputError(f"{name} must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got shape {a.shape}")
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    elif a.shape[2] == 4:
        a = a[..., :3]
    elif a.shape[2] != 3:
        raise InputError(f"{name} has {a.shape[2]} channels; expected 1 (grey), 3 (RGB) or 4 (RGBA)")
    if a.dtype == np.uint8:
        return a
    if np.issubdtype(a.dtype, np.floating):
        if not np.all(np.isfinite(a)):
            raise InputError(f"{name} contains NaN or infinite values")
        if a.min() < 0.0 or a.max() > 1.0:
            raise InputError(f"float {name} must have values in [0, 1], got [{a.min():.3g}, {a.max():.3g}]")
        return np.round(a * 255.0).astype(np.uint8)
    if np.issubdtype(a.dtype, np.integer):
        if a.min() < 0 or a.max() > 255:
            raise InputError(f"integer {name} must have values in [0, 255]")
        return a.astype(np.uint8)
    raise InputError(f"{name} has unsupported dtype {a.dtype}")


def as_batch(images: np.ndarray | list) -> np.ndarray:
    """A batch as (N, H, W, 3) uint8 (each image converted by :func:`as_rgb_uint8`)."""
    if (
        isinstance(images, np.ndarray)
        and images.ndim == 4
        and images.shape[-1] == 3
        and images.dtype == np.uint8
    ):
        return images
    imgs = [as_rgb_uint8(im, name=f"image {i}") for i, im in enumerate(images)]
    if not imgs:
        raise InputError("no images given")
    if len({im.shape for im in imgs}) != 1:
        raise InputError("all images must have the same size; resize them first")
    return np.stack(imgs)
