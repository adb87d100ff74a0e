"""Pareto analysis of PSNR versus BitOps, and the Pareto plot."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelPoint:
    """One evaluated model: a label, a group (e.g. "searched", "uniform"), BitOps and PSNR."""

    label: str
    group: str
    bitops: float
    psnr: float


def dominates(a: ModelPoint, b: ModelPoint) -> bool:
    """``a`` is no worse in both objectives (fewer BitOps, higher PSNR) and better in one."""
    return a.bitops <= b.bitops and a.psnr >= b.psnr and (a.bitops < b.bitops or a.psnr > b.psnr)


def pareto_front(points: list[ModelPoint]) -> list[ModelPoint]:
    """The non-dominated points, sorted by BitOps."""
    front = [p for p in points if not any(dominates(q, p) for q in points)]
    return sorted(front, key=lambda p: p.bitops)


def dominated_by_group(points: list[ModelPoint], winner: str, loser: str) -> dict[str, bool]:
    """For each point of group ``loser``: is it dominated by some point of group ``winner``?"""
    wins = [p for p in points if p.group == winner]
    return {p.label: any(dominates(w, p) for w in wins) for p in points if p.group == loser}


def plot_pareto(
    points: list[ModelPoint], path: str | os.PathLike[str], *, title: str = "PSNR vs BitOps"
) -> Path:
    """Scatter of PSNR (dB) against GBitOps per group, with the overall front, saved as PNG."""
    from core_utils import new_figure, save_figure

    fig, ax = new_figure(figsize=(6, 4))
    markers = "osD^vP*X"
    for i, group in enumerate(sorted({p.group for p in points})):
        pts = [p for p in points if p.group == group]
        ax.scatter(
            [p.bitops / 1e9 for p in pts],
            [p.psnr for p in pts],
            marker=markers[i % len(markers)],
            label=group,
        )
        for p in pts:
            ax.annotate(
                p.label, (p.bitops / 1e9, p.psnr), fontsize=6, xytext=(3, 3), textcoords="offset points"
            )
    front = pareto_front([p for p in points if p.bitops > 0])
    if front:
        ax.plot([p.bitops / 1e9 for p in front], [p.psnr for p in front], "k--", lw=0.8, label="Pareto front")
    ax.set_xlabel("GBitOps (32x32 LR input)")
    ax.set_ylabel("Y-PSNR (dB)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return save_figure(fig, path)
