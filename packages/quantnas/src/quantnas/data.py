"""Offline data: built-in natural images, synthetic images, a folder loader, bicubic degradation, patches.

Built-in images ship with scikit-image and scikit-learn (no download):

* ``eval`` ("SK-Set6", held out): astronaut, chelsea, rocket (scikit-image), china, flower
  (scikit-learn), the left view of ``stereo_motorcycle`` (scikit-image).
* ``train``: retina, hubble_deep_field, immunohistochemistry, coffee, the right motorcycle view, and
  the grey textures brick, grass, gravel (stacked to three channels).

Degradation: mod-crop to a multiple of the scale, then PIL bicubic down-sampling by ``1/s`` (the
DIV2K/EDSR convention). The bicubic baseline up-samples with PIL bicubic as well.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from core_utils import InputError

log = logging.getLogger(__name__)

SCALES = (2, 3, 4)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".webp")
EVAL_NAMES = ("astronaut", "chelsea", "rocket", "china", "flower", "motorcycle_left")
TRAIN_NAMES = (
    "retina",
    "hubble_deep_field",
    "immunohistochemistry",
    "coffee",
    "motorcycle_right",
    "brick",
    "grass",
    "gravel",
)


def check_scale(scale: int) -> int:
    """Return ``scale`` if it is 2, 3 or 4, else raise :class:`InputError`."""
    if isinstance(scale, bool) or scale not in SCALES:
        raise InputError(f"scale must be one of {list(SCALES)}, got {scale!r}")
    return int(scale)


def as_rgb(img: np.ndarray, name: str = "image") -> np.ndarray:
    """Validate an image and return it as HWC uint8 RGB.

    Grey images (H, W) or (H, W, 1) are converted by repeating the channel (logged); RGBA images
    are accepted only when fully opaque (alpha dropped), otherwise refused: SR of transparent
    pixels is undefined. Float images must lie in [0, 1].
    """
    a = np.asarray(img)
    if a.dtype != np.uint8:
        if not np.issubdtype(a.dtype, np.floating):
            raise InputError(f"{name}: expected uint8 or float image, got dtype {a.dtype}")
        if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
            raise InputError(f"{name}: float images must be finite and in [0, 1]")
        a = np.round(a * 255).astype(np.uint8)
    if a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 1):
        log.info("%s: grey image converted to RGB by repeating the channel", name)
        a = np.repeat(a.reshape(a.shape[0], a.shape[1], 1), 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise InputError(f"{name}: expected an RGB image (H, W, 3), got shape {a.shape}")
    if a.shape[2] == 4:
        if np.any(a[..., 3] != 255):
            raise InputError(
                f"{name}: RGBA image with transparency is not supported; flatten it to RGB first"
            )
        a = a[..., :3]
    return np.ascontiguousarray(a)


@functools.cache
def _load_builtin(name: str) -> np.ndarray:
    from skimage import data as skd

    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    if name.startswith("motorcycle_"):
        left, right, _ = skd.stereo_motorcycle()
        return left if name.endswith("left") else right
    img = getattr(skd, name)()
    return as_rgb(img, name)


def builtin_images(split: str = "eval", names: Sequence[str] | None = None) -> list[tuple[str, np.ndarray]]:
    """Built-in natural images as ``(name, HWC uint8)`` pairs (``split`` = ``"eval"`` or ``"train"``)."""
    if names is None:
        if split not in ("eval", "train"):
            raise InputError(f"split must be 'eval' or 'train', got {split!r}")
        names = EVAL_NAMES if split == "eval" else TRAIN_NAMES
    bad = [n for n in names if n not in EVAL_NAMES + TRAIN_NAMES]
    if bad:
        raise InputError(f"unknown built-in images {bad}; known: {list(EVAL_NAMES + TRAIN_NAMES)}")
    return [(n, _load_builtin(n)) for n in names]


def synthetic_images(n: int = 4, size: int = 128, seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """Procedural piecewise-smooth RGB images: smooth colour gradients, gratings, discs, sharp edges."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = []
    for i in range(n):
        img = np.zeros((size, size, 3))
        for c in range(3):
            img[..., c] = 0.3 + 0.4 * (rng.uniform() * xx + rng.uniform() * yy) / 2
        f, th = rng.uniform(4, 20), rng.uniform(0, np.pi)
        grating = 0.5 + 0.5 * np.sin(2 * np.pi * f * (xx * np.cos(th) + yy * np.sin(th)))
        mask = (xx > rng.uniform(0.2, 0.5)) & (yy > rng.uniform(0.2, 0.5))
        img[mask] = 0.5 * img[mask] + 0.5 * grating[mask, None] * rng.uniform(0, 1, 3)
        for _ in range(4):
            cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.2)
            disc = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
            img[disc] = rng.uniform(0, 1, 3)
        out.append((f"synthetic{i}", np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)))
    return out


def load_image_folder(path: str | os.PathLike[str]) -> list[tuple[str, np.ndarray]]:
    """Load every image in a folder (sorted by name) as HWC uint8 RGB; see :func:`as_rgb`."""
    from PIL import Image

    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"image folder {folder} does not exist")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"image folder {folder} has no images ({', '.join(IMAGE_SUFFIXES)})")
    out = []
    for p in files:
        try:
            with Image.open(p) as im:
                im.load()
                if im.mode not in ("L", "RGB", "RGBA", "LA", "I;16", "I"):
                    im = im.convert("RGB")
                elif im.mode == "LA":
                    im = im.convert("RGBA")
                elif im.mode in ("I;16", "I"):
                    raise InputError(f"{p.name}: 16-bit images are not supported; save as 8-bit")
                arr = np.asarray(im)
        except OSError as exc:
            raise InputError(f"cannot read image {p.name}: {exc}") from None
        out.append((p.stem, as_rgb(arr, p.name)))
    return out


def load_images(spec: str, split: str = "train") -> list[tuple[str, np.ndarray]]:
    """``"builtin"`` (the built-in ``split``), ``"synthetic"`` or a folder path."""
    if spec == "builtin":
        return builtin_images(split)
    if spec == "synthetic":
        return synthetic_images(6 if split == "train" else 4, 160, seed=0 if split == "train" else 1)
    return load_image_folder(spec)


def mod_crop(img: np.ndarray, scale: int) -> np.ndarray:
    """Crop the bottom/right so both sides are multiples of ``scale``."""
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


def bicubic_degrade(hr: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """``(hr_cropped, lr)``: mod-crop then PIL bicubic down-sampling by ``1/scale`` (uint8 HWC)."""
    from PIL import Image

    check_scale(scale)
    hr = mod_crop(as_rgb(hr), scale)
    h, w = hr.shape[:2]
    lr = np.asarray(Image.fromarray(hr).resize((w // scale, h // scale), Image.Resampling.BICUBIC))
    return hr, lr


def bicubic_upscale(lr: np.ndarray, scale: int) -> np.ndarray:
    """PIL bicubic up-sampling by ``scale`` (uint8 HWC)."""
    from PIL import Image

    h, w = lr.shape[:2]
    return np.asarray(Image.fromarray(lr).resize((w * scale, h * scale), Image.Resampling.BICUBIC))


def to_tensor(img: np.ndarray) -> torch.Tensor:
    """HWC uint8 -> (1, 3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float().div(255.0)[None]


def to_image(t: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) float in [0, 1] -> HWC uint8 (rounded, clipped)."""
    a = t.detach().clamp(0, 1).squeeze(0).permute(1, 2, 0).cpu().double().numpy()
    return np.round(a * 255).astype(np.uint8)


class PatchSampler:
    """Random aligned (LR, HR) patch batches from a region of each image.

    Parameters
    ----------
    images : list of (name, HWC uint8)
    scale : int
        2, 3 or 4.
    crop : int
        LR patch side (HR side is ``crop * scale``).
    batch_size : int
    region : {"all", "first", "second"}
        ``first`` uses the left ``fraction`` of each LR image's columns, ``second`` the rest: the two
        regions are disjoint, giving the weight and architecture halves of the search.
    fraction : float
        Split position for ``region``.
    rng : numpy Generator
        Source of patch positions (its state is checkpointed by the search).
    augment : bool
        Apply a random one of the 8 flips/transposes (the dihedral group of the square) to each
        aligned (LR, HR) patch pair, the standard SR augmentation; off by default.
    """

    def __init__(
        self,
        images: list[tuple[str, np.ndarray]],
        scale: int,
        crop: int,
        batch_size: int,
        *,
        region: str = "all",
        fraction: float = 0.5,
        rng: np.random.Generator | None = None,
        augment: bool = False,
    ) -> None:
        check_scale(scale)
        if crop < 4:
            raise InputError(f"LR crop must be >= 4 pixels, got {crop}")
        if batch_size < 2:
            raise InputError(f"batch size must be >= 2 (BatchNorm in ADQ), got {batch_size}")
        if not images:
            raise InputError("no training images")
        self.scale, self.crop, self.batch_size = scale, crop, batch_size
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.augment = augment
        self.items = []
        for name, img in images:
            hr, lr = bicubic_degrade(img, scale)
            h, w = lr.shape[:2]
            split = int(round(w * fraction))
            x0, x1 = {"all": (0, w), "first": (0, split), "second": (split, w)}[region]
            if h < crop or x1 - x0 < crop:
                raise InputError(
                    f"image {name!r} ({img.shape[0]}x{img.shape[1]}) is smaller than the crop: needs an LR "
                    f"region of {crop}x{crop} (HR {crop * scale}px) in the {region!r} part"
                )
            self.items.append((to_tensor(lr)[0], to_tensor(hr)[0], x0, x1))

    def sample(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch ``(lr, hr)`` of shapes ``(B, 3, c, c)`` and ``(B, 3, s c, s c)``."""
        c, s = self.crop, self.scale
        lrs, hrs = [], []
        for _ in range(self.batch_size):
            lr, hr, x0, x1 = self.items[int(self.rng.integers(len(self.items)))]
            y = int(self.rng.integers(0, lr.shape[1] - c + 1))
            x = int(self.rng.integers(x0, x1 - c + 1))
            lp, hp = lr[:, y : y + c, x : x + c], hr[:, y * s : (y + c) * s, x * s : (x + c) * s]
            if self.augment:
                k = int(self.rng.integers(8))
                if k & 1:
                    lp, hp = lp.flip(-1), hp.flip(-1)
                if k & 2:
                    lp, hp = lp.flip(-2), hp.flip(-2)
                if k & 4:
                    lp, hp = lp.transpose(-1, -2), hp.transpose(-1, -2)
            lrs.append(lp)
            hrs.append(hp)
        return torch.stack(lrs), torch.stack(hrs)
