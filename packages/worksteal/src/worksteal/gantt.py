"""Figures: a Gantt chart of who ran which task when, and makespan-ratio bars."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from core_utils import new_figure, save_figure
from worksteal.oracle import block_range
from worksteal.stats import RunStats


def plot_gantt(stats: RunStats, path: str | os.PathLike[str], *, title: str | None = None) -> Path:
    """Save a Gantt chart: one row per rank, own tasks blue, stolen tasks orange.

    The dashed line marks the optimal makespan ``C*`` for the nominal task times.
    """
    fig, ax = new_figure(figsize=(8, 0.5 + 0.45 * stats.n_ranks))
    for r in stats.ranks:
        a, b = block_range(stats.n_tasks, stats.n_ranks, r.rank)
        own = [(s, e - s) for t, s, e in r.trace if a <= t < b]
        stolen = [(s, e - s) for t, s, e in r.trace if not a <= t < b]
        ax.broken_barh(own, (r.rank - 0.4, 0.8), facecolors="tab:blue", edgecolor="white", linewidth=0.3)
        ax.broken_barh(stolen, (r.rank - 0.4, 0.8), facecolors="tab:orange", edgecolor="white", linewidth=0.3)
    ax.axvline(stats.c_star, color="k", linestyle="--", linewidth=1, label=f"C* = {stats.c_star:.3g}")
    ax.plot([], [], color="tab:blue", linewidth=6, label="own block")
    ax.plot([], [], color="tab:orange", linewidth=6, label="stolen")
    ax.set_yticks(range(stats.n_ranks))
    ax.set_ylabel("rank")
    ax.set_xlabel("time since start")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title or f"{stats.policy}: makespan {stats.makespan:.3g} = {stats.ratio:.3f} x C*")
    return save_figure(fig, path)


def plot_ratios(
    labels: Sequence[str], ratios: Sequence[float], path: str | os.PathLike[str], *, title: str
) -> Path:
    """Bar chart of makespan / C* per policy."""
    fig, ax = new_figure(figsize=(6, 3.5))
    ax.bar(list(labels), list(ratios), color="tab:blue")
    ax.axhline(1.0, color="k", linestyle="--", linewidth=1)
    ax.set_ylabel("makespan / C*")
    ax.set_title(title)
    for i, v in enumerate(ratios):
        ax.text(i, v, f"{v:.3f}", ha="center", va="bottom", fontsize=8)
    return save_figure(fig, path)
