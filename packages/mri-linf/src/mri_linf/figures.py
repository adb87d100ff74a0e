"""PNG figures: images, reconstructions, error maps with the attacked disk drawn, curves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from core_utils import new_figure, save_figure


def _np(x: torch.Tensor | np.ndarray) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def save_image(path: Path, img, title: str, *, vmax: float | None = None) -> Path:
    """Modulus of a complex image in grey."""
    fig, ax = new_figure(figsize=(4, 4))
    im = ax.imshow(np.abs(_np(img)), cmap="gray", vmin=0, vmax=vmax)
    ax.set_title(title)
    ax.axis("off")
    fig.colorbar(im, ax=ax, fraction=0.046)
    return save_figure(fig, path)


def save_error_map(path: Path, err, title: str, *, mu=None, sigma: float | None = None) -> Path:
    """``|x_hat - x_ref|`` with the attacked disk outlined."""
    fig, ax = new_figure(figsize=(4, 4))
    im = ax.imshow(np.abs(_np(err)), cmap="magma")
    if mu is not None and sigma is not None:
        from matplotlib.patches import Circle

        ax.add_patch(Circle((mu[1], mu[0]), sigma + 0.5, fill=False, edgecolor="cyan", linewidth=1.2))
    ax.set_title(title)
    ax.axis("off")
    fig.colorbar(im, ax=ax, fraction=0.046)
    return save_figure(fig, path)


def save_mask(path: Path, mask: torch.Tensor, title: str) -> Path:
    """A k-space mask in centred layout."""
    fig, ax = new_figure(figsize=(4, 4))
    ax.imshow(np.fft.fftshift(_np(mask)), cmap="gray", interpolation="nearest")
    ax.set_title(title)
    ax.axis("off")
    return save_figure(fig, path)


def save_attack_figures(out: Path, prefix: str, x_true, x_ref, x_adv, *, mu, sigma, label: str) -> list[Path]:
    """Image, reconstruction, perturbed reconstruction and error map of one attacked decoder."""
    vmax = float(np.abs(_np(x_true)).max())
    return [
        save_image(out / "image.png", x_true, "ground truth", vmax=vmax),
        save_image(out / f"{prefix}_recon.png", x_ref, f"{label}: R(y)", vmax=vmax),
        save_image(out / f"{prefix}_perturbed.png", x_adv, f"{label}: R(y + e)", vmax=vmax),
        save_error_map(
            out / f"{prefix}_error.png",
            _np(x_adv) - _np(x_ref),
            f"{label}: |R(y+e) - R(y)|",
            mu=mu,
            sigma=sigma,
        ),
    ]


def save_curves(
    path: Path,
    x: Sequence[float],
    curves: dict[str, Sequence[float]],
    *,
    xlabel: str,
    ylabel: str,
    title: str,
    logy: bool = False,
) -> Path:
    """Several named curves against one x axis."""
    fig, ax = new_figure(figsize=(5, 3.5))
    for name, ys in curves.items():
        ax.plot(list(x), list(ys), marker="o", label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)
