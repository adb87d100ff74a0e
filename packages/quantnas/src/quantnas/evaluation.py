"""Evaluation of SR models and of the bicubic baseline on whole images (Y-PSNR, Y-SSIM)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from core_utils import InputError
from quantnas.data import bicubic_degrade, bicubic_upscale, check_scale, to_image, to_tensor
from quantnas.metrics import psnr_y, ssim_y


def center_crop(img: np.ndarray, size: int | None) -> np.ndarray:
    """Central ``size x size`` crop (the whole image when ``size`` is None or larger)."""
    if size is None:
        return img
    h, w = img.shape[:2]
    s_h, s_w = min(size, h), min(size, w)
    y, x = (h - s_h) // 2, (w - s_w) // 2
    return img[y : y + s_h, x : x + s_w]


def _evaluate(
    upscale: Callable[[np.ndarray], np.ndarray],
    images: list[tuple[str, np.ndarray]],
    scale: int,
    crop: int | None,
) -> dict[str, object]:
    check_scale(scale)
    if not images:
        raise InputError("no evaluation images")
    per = {}
    ssims = []
    for name, img in images:
        hr, lr = bicubic_degrade(center_crop(img, crop), scale)
        sr = upscale(lr)
        per[name] = psnr_y(sr, hr, shave=scale)
        ssims.append(ssim_y(sr, hr, shave=scale))
    return {"psnr": float(np.mean(list(per.values()))), "ssim": float(np.mean(ssims)), "per_image": per}


def bicubic_baseline(
    images: list[tuple[str, np.ndarray]], scale: int = 4, crop: int | None = None
) -> dict[str, object]:
    """Mean Y-PSNR/SSIM of PIL bicubic up-sampling (shave = scale)."""
    return _evaluate(lambda lr: bicubic_upscale(lr, scale), images, scale, crop)


def evaluate_model(
    model: nn.Module, images: list[tuple[str, np.ndarray]], scale: int = 4, crop: int | None = None
) -> dict[str, object]:
    """Mean Y-PSNR/SSIM of ``model`` (eval mode, outputs clipped and rounded to uint8; shave = scale)."""
    was = model.training
    model.eval()
    device = next(model.parameters()).device

    def up(lr: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return to_image(model(to_tensor(lr).to(device)))

    try:
        return _evaluate(up, images, scale, crop)
    finally:
        model.train(was)
