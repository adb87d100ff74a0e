"""Ablation runner: unimodal vs fused models and component swaps, with a results table and plot."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core_utils import InputError, derive_seed, new_figure, progress, save_figure
from mmgraph.datasets import Task
from mmgraph.training import fit


@dataclass(frozen=True)
class Variant:
    """A named blueprint config trained on a subset of the task's modalities."""

    name: str
    modalities: tuple[str, ...]
    config: Mapping[str, Any]


@dataclass
class Row:
    variant: str
    modalities: tuple[str, ...]
    scores: list[float] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores)

    @property
    def std(self) -> float:
        return statistics.stdev(self.scores) if len(self.scores) > 1 else 0.0


def _cfg(prop: str, mixing: str, topology: Mapping[str, Any], dim: int) -> dict[str, Any]:
    return {
        "entities": {"dim": dim},
        "topology": dict(topology),
        "propagation": {"kind": prop, "hidden": dim},
        "mixing": {"kind": mixing},
        "head": {"hidden": dim},
    }


def default_variants(
    modalities: Sequence[str],
    *,
    propagation: str = "sage",
    topology: Mapping[str, Any] | None = None,
    dim: int = 32,
    swaps: bool = True,
) -> list[Variant]:
    """Unimodal MLP and GNN per modality, fused MLP, fused GNN with every mixer, propagation swaps.

    The default topology is a kNN graph (k = 10) on the first modality, built transductively over
    all nodes (no labels are used to build it).
    """
    mods = tuple(modalities)
    if not mods:
        raise InputError("ablation needs at least one modality")
    topo = dict(topology or {"kind": "knn", "k": 10, "on": mods[0]})
    out = []
    for m in mods:
        t = topo if topo.get("on") in (m, "pos", None, "all") else {**topo, "on": m}
        out.append(Variant(f"{m} only (MLP)", (m,), _cfg("mlp", "none", t, dim)))
        out.append(Variant(f"{m} only ({propagation})", (m,), _cfg(propagation, "none", t, dim)))
    if len(mods) > 1:
        out.append(Variant("fused MLP (concat)", mods, _cfg("mlp", "concat", topo, dim)))
        for mix in ("concat", "sum", "product", "attention") if swaps else ("concat",):
            out.append(Variant(f"fused {propagation} ({mix})", mods, _cfg(propagation, mix, topo, dim)))
        if swaps:
            for prop in ("gcn", "gat"):
                if prop != propagation:
                    out.append(Variant(f"fused {prop} (concat)", mods, _cfg(prop, "concat", topo, dim)))
    return out


def run_ablation(
    task: Task,
    variants: Sequence[Variant],
    *,
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 100,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    quiet: bool = True,
) -> list[Row]:
    """Train every variant with every seed on ``task``; one :class:`Row` of test scores per variant."""
    from mmgraph.blueprint import MGLBlueprint

    if not seeds:
        raise InputError("ablation needs at least one seed")
    rows = []
    bar = progress(total=len(variants) * len(seeds), desc="ablation", quiet=quiet)
    for v in variants:
        sub = task.select(v.modalities)
        row = Row(v.name, v.modalities)
        prepared = None
        for seed in seeds:
            s = derive_seed(seed, v.name)
            import torch

            torch.manual_seed(s)
            model = MGLBlueprint.from_config(v.config, in_dims=sub.in_dims, out_dim=task.n_out)
            if prepared is None:
                from mmgraph.training import prepare_task

                prepared = prepare_task(model, sub)
            row.scores.append(
                fit(
                    model, sub, epochs=epochs, lr=lr, weight_decay=weight_decay, seed=s, prepared=prepared
                ).metric
            )
            bar.update(1)
        rows.append(row)
    bar.close()
    return rows


def format_table(rows: Sequence[Row], metric: str = "accuracy") -> str:
    """Markdown table: variant, modalities, mean +- std over seeds."""
    lines = [f"| variant | modalities | {metric} (mean +- std) | seeds |", "|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.variant} | {', '.join(r.modalities)} | {r.mean:.3f} +- {r.std:.3f} | {len(r.scores)} |"
        )
    return "\n".join(lines)


def plot_ablation(
    rows: Sequence[Row], path: str | Path, *, title: str = "", chance: float | None = None
) -> Path:
    """Horizontal bar chart of mean scores with std error bars (PNG)."""
    fig, ax = new_figure(figsize=(7, 0.45 * len(rows) + 1.2))
    names = [r.variant for r in rows][::-1]
    ax.barh(
        names, [r.mean for r in rows][::-1], xerr=[r.std for r in rows][::-1], color="tab:blue", alpha=0.8
    )
    if chance is not None:
        ax.axvline(chance, color="k", ls="--", lw=1, label="chance")
        ax.legend(loc="lower right")
    ax.set_xlim(0, 1)
    ax.set_xlabel("test accuracy")
    ax.set_title(title)
    return save_figure(fig, path)
