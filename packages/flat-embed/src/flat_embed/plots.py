"""Figures: latent scatter coloured by the true coordinate, interpolation paths, Γ-convergence."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core_utils import new_figure, save_figure

__all__ = ["plot_gamma", "plot_interpolation", "plot_latents", "plot_training"]


def _align(Z: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, Any]:
    """Similarity-align Z to U (for display only); returns aligned Z and the map."""
    from scipy.linalg import orthogonal_procrustes

    mz, mu = Z.mean(0), U.mean(0)
    R, sv = orthogonal_procrustes(Z - mz, U - mu)
    c = sv / max(((Z - mz) ** 2).sum(), 1e-300)
    return c * (Z - mz) @ R + mu, (mz, R, c, mu)


def plot_latents(
    latents: dict[str, Any], U: np.ndarray, color: np.ndarray, path: str | os.PathLike[str]
) -> Path:
    """One panel per method: latent sample (similarity-aligned to the true coordinates) coloured by ``color``."""
    methods = [k for k in latents if k not in ("params", "interp_set")]
    fig, axes = new_figure(1, len(methods), figsize=(3.2 * len(methods), 3.2), squeeze=False)
    for ax, m in zip(axes[0], methods):
        Z = latents[m][0]
        Za, _ = _align(Z[:, : U.shape[1]] if Z.shape[1] >= U.shape[1] else Z, U)
        ax.scatter(Za[:, 0], Za[:, 1] if Za.shape[1] > 1 else np.zeros(len(Za)), c=color, s=3, cmap="viridis")
        ax.set_title(m)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xticks([])
        ax.set_yticks([])
    return save_figure(fig, path)


def plot_interpolation(
    latents: dict[str, Any], U: np.ndarray, path: str | os.PathLike[str], n_paths: int = 12
) -> Path:
    """Latent images of geodesic paths (dots at t = ¼, ½, ¾) against the straight latent segment."""
    methods = [k for k in latents if k not in ("params", "interp_set")]
    iset = latents["interp_set"]
    fig, axes = new_figure(1, len(methods), figsize=(3.2 * len(methods), 3.2), squeeze=False)
    for ax, m in zip(axes[0], methods):
        Z, ZE = latents[m]
        _, (mz, R, c, mu) = _align(Z, U)
        A = c * (ZE - mz) @ R + mu
        zx, zy, zts = iset.split(A)
        for i in range(min(n_paths, len(zx))):
            ax.plot([zx[i, 0], zy[i, 0]], [zx[i, 1], zy[i, 1]], "k-", lw=0.6)
            pts = np.array([zx[i], *[z[i] for z in zts], zy[i]])
            ax.plot(pts[:, 0], pts[:, 1], "o-", ms=2.5, lw=0.8)
        ax.set_title(m)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xticks([])
        ax.set_yticks([])
    return save_figure(fig, path)


def plot_gamma(rows: Sequence[Any], path: str | os.PathLike[str], title: str = "") -> Path:
    """Relative error of the MC loss against the Γ-limit vs ε (one line per K)."""
    fig, ax = new_figure(figsize=(4.5, 3.5))
    for k in sorted({r.n_pairs for r in rows}):
        sel = sorted((r for r in rows if r.n_pairs == k), key=lambda r: r.eps)
        ax.loglog([r.eps for r in sel], [max(r.rel_error, 1e-16) for r in sel], "o-", label=f"K = {k}")
    ax.set_xlabel("ε")
    ax.set_ylabel("|L_ε,K − L| / L")
    ax.set_title(title)
    ax.legend()
    return save_figure(fig, path)


def plot_training(history: Sequence[dict[str, float]], path: str | os.PathLike[str]) -> Path:
    """Distortion and bending terms over the training steps."""
    fig, ax = new_figure(figsize=(4.5, 3.5))
    steps = [h["step"] for h in history]
    for key in ("distortion", "bending"):
        ax.semilogy(steps, [max(h[key], 1e-16) for h in history], label=key)
    ax.set_xlabel("step")
    ax.legend()
    return save_figure(fig, path)
