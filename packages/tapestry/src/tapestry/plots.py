"""Figures: fan charts of threads against truth, PIT histograms, variable-selection paths,
large-coefficient rates and convergent cross-map curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core_utils import new_figure, save_figure
from tapestry.drivers import CCMResult, CoefficientCounts
from tapestry.evaluation import Evaluation
from tapestry.selection import SelectionResult
from tapestry.threads import Threads

__all__ = ["ccm_plot", "coefficient_plot", "fan_chart", "pit_plot", "selection_plot"]


def fan_chart(threads: Threads, path: str | Path, *, var: str | int = 0, h: int = 1, history=None) -> Path:
    """Quantile bands (5-95 %, 25-75 %) of the h-step threads at every origin, with the truth."""
    q = threads.quantiles([0.05, 0.25, 0.5, 0.75, 0.95], var)[:, h - 1]
    t = threads.origins + h
    fig, ax = new_figure(figsize=(7, 3.5))
    if history is not None:
        hx, hy = history
        ax.plot(hx, hy, c="grey", lw=0.8, label="training data")
    ax.fill_between(t, q[:, 0], q[:, 4], alpha=0.25, label="90% of threads")
    ax.fill_between(t, q[:, 1], q[:, 3], alpha=0.4, label="50% of threads")
    ax.plot(t, q[:, 2], lw=1, label="median")
    j = threads.var_index(var)
    ax.plot(t, threads.truth[:, h - 1, j], "k.", ms=4, label="truth")
    ax.set_xlabel("time index of the target")
    ax.set_ylabel(f"{threads.columns[j]} ({h} step{'s' if h > 1 else ''} ahead)")
    ax.legend(fontsize=7, ncol=3)
    return save_figure(fig, path)


def pit_plot(ev: Evaluation, path: str | Path) -> Path:
    """PIT histogram pooled over horizons (flat = calibrated)."""
    fig, ax = new_figure(figsize=(4, 3))
    b = ev.pit_hist.size
    ax.bar((np.arange(b) + 0.5) / b, ev.pit_hist * b, width=1 / b, edgecolor="k")
    ax.axhline(1.0, c="k", ls=":")
    ax.set_xlabel("PIT")
    ax.set_ylabel("density")
    return save_figure(fig, path)


def selection_plot(res: SelectionResult, path: str | Path) -> Path:
    """Held-out log-likelihood along the selection path."""
    fig, ax = new_figure(figsize=(5, 3))
    ax.plot(range(len(res.path)), [s for _, s in res.path], marker="o")
    ax.set_xticks(range(len(res.path)))
    ax.set_xticklabels(
        ["+".join(v[-1:]) if i else v[0] for i, (v, _) in enumerate(res.path)], rotation=30, fontsize=7
    )
    ax.set_ylabel("held-out log predictive density")
    ax.set_title(f"{res.direction} selection", fontsize=9)
    return save_figure(fig, path)


def coefficient_plot(counts: CoefficientCounts, path: str | Path) -> Path:
    """Rate of large LARS coefficients per lagged coordinate in good threads."""
    bc = counts.by_coordinate
    fig, ax = new_figure(figsize=(max(4.0, 0.35 * len(bc) + 1.5), 3))
    ax.bar(range(len(bc)), bc["rate"].fillna(0.0), edgecolor="k")
    ax.set_xticks(range(len(bc)))
    ax.set_xticklabels(bc["coordinate"], rotation=60, fontsize=6, ha="right")
    ax.set_ylabel(f"share with |beta| > {counts.threshold:g}")
    ax.set_title(
        f"{counts.target}: {counts.n_good} of {counts.n_fits} local fits within "
        f"+-{counts.band:g} sd of the truth",
        fontsize=8,
    )
    return save_figure(fig, path)


def ccm_plot(res: CCMResult, path: str | Path) -> Path:
    """Convergent cross-map skill against library size, both directions."""
    fig, ax = new_figure(figsize=(4.5, 3))
    ax.plot(res.lib_sizes, res.rho_x_from_y, marker="o", label=f"{res.x} from {res.y}'s manifold")
    ax.plot(res.lib_sizes, res.rho_y_from_x, marker="s", label=f"{res.y} from {res.x}'s manifold")
    ax.axhline(0.0, c="k", lw=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("library size")
    ax.set_ylabel("cross-map skill rho")
    ax.legend(fontsize=7)
    return save_figure(fig, path)
