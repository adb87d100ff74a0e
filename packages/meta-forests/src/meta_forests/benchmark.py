"""Leave-one-domain-out benchmark of the meta-forests variants against pooled-source baselines.

Every method gets the same total number of trees ``n_trees`` (HistGradientBoosting gets
``max_iter = n_trees // 2`` boosting rounds). For each held-out target domain and seed:

1. each method is fitted on 80% of every source domain and scored on the other 20%
   (training-domain validation, :func:`meta_forests.splits.training_domain_split`);
2. each method is refitted on all source data and scored on the target domain.

The *selected* meta-forests variant per fold is the one with the best validation accuracy; the
target accuracies of all methods are reported (mean and worst domain over targets, averaged over seeds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier

from core_utils import InputError, derive_seed, progress
from meta_forests.datasets import DomainDataset
from meta_forests.estimator import MetaForestClassifier
from meta_forests.splits import training_domain_split

__all__ = ["BASELINES", "META_VARIANTS", "LodoResult", "make_method", "run_lodo", "summarize"]

BASELINES = ("random-forest", "extra-trees", "hist-gb")
# name -> (forest_mode, carry_weights, weight_rule)
META_VARIANTS: dict[str, tuple[str, bool, str]] = {
    "meta-pooled": ("pooled", False, "safe"),
    "meta-per-domain": ("per_domain", False, "safe"),
    "meta-paper-log-power": ("per_domain", True, "log-power"),
    "meta-paper-log-scaled": ("per_domain", True, "log-scaled"),
}
DEFAULT_VARIANT = "meta-pooled"


def make_method(name: str, *, n_trees: int, n_sources: int, n_meta_tasks: int, seed: int, n_jobs: int | None):
    """A fresh estimator; meta variants get ``n_trees`` split evenly over their forests."""
    if name == "random-forest":
        return RandomForestClassifier(n_estimators=n_trees, random_state=seed, n_jobs=n_jobs)
    if name == "extra-trees":
        return ExtraTreesClassifier(n_estimators=n_trees, random_state=seed, n_jobs=n_jobs)
    if name == "hist-gb":
        return HistGradientBoostingClassifier(max_iter=max(1, n_trees // 2), random_state=seed)
    if name in META_VARIANTS:
        mode, carry, rule = META_VARIANTS[name]
        per_task = 1 if mode == "pooled" else max(1, n_sources - 1)
        return MetaForestClassifier(
            n_meta_tasks=n_meta_tasks,
            n_estimators=max(1, n_trees // (n_meta_tasks * per_task)),
            forest_mode=mode,
            carry_weights=carry,
            weight_rule=rule,
            random_state=seed,
            n_jobs=n_jobs,
        )
    raise InputError(f"unknown method {name!r}; choose from {[*BASELINES, *META_VARIANTS]}")


def _fit(est, X, y, d):
    if isinstance(est, MetaForestClassifier):
        return est.fit(X, y, domains=d)
    return est.fit(X, y)


@dataclass
class LodoResult:
    """Per-(method, seed, target) accuracies and the per-fold validation choice."""

    dataset: str
    methods: list[str]
    targets: list[str]
    seeds: list[int]
    target_acc: dict[str, np.ndarray]  # method -> (n_seeds, n_targets)
    val_acc: dict[str, np.ndarray]  # method -> (n_seeds, n_targets)
    selected: np.ndarray  # (n_seeds, n_targets) name of the validation-selected meta variant


def run_lodo(
    data: DomainDataset,
    *,
    methods: Sequence[str] = (*BASELINES, *META_VARIANTS),
    seeds: Sequence[int] = (0,),
    n_trees: int = 200,
    n_meta_tasks: int = 10,
    validation: bool = True,
    n_jobs: int | None = None,
    quiet: bool = True,
    callback: Callable[[str, int, str, float], None] | None = None,
) -> LodoResult:
    """Leave-one-domain-out over every domain of ``data`` for every method and seed."""
    targets = [str(t) for t in data.domain_names]
    doms = data.domains.astype(str)
    if len(targets) < 3:
        raise InputError(f"leave-one-domain-out needs at least 3 domains, got {len(targets)}")
    methods = list(methods)
    for name in methods:
        make_method(name, n_trees=1, n_sources=2, n_meta_tasks=1, seed=0, n_jobs=None)  # validates the name
    acc = {m: np.full((len(seeds), len(targets)), np.nan) for m in methods}
    val = {m: np.full((len(seeds), len(targets)), np.nan) for m in methods}
    selected = np.full((len(seeds), len(targets)), "", dtype=object)
    jobs = [(si, s, ti, t) for si, s in enumerate(seeds) for ti, t in enumerate(targets)]
    for si, s, ti, t in progress(jobs, total=len(jobs), desc="lodo", quiet=quiet):
        src = doms != t
        Xs, ys, ds = data.X[src], data.y[src], doms[src]
        Xt, yt = data.X[~src], data.y[~src]
        n_sources = len(targets) - 1
        for name in methods:
            seed = derive_seed(s, data.name, t, name)
            if validation:
                tr, va = training_domain_split(ys, ds, seed=seed)
                est = make_method(
                    name,
                    n_trees=n_trees,
                    n_sources=n_sources,
                    n_meta_tasks=n_meta_tasks,
                    seed=seed,
                    n_jobs=n_jobs,
                )
                val[name][si, ti] = _fit(est, Xs[tr], ys[tr], ds[tr]).score(Xs[va], ys[va])
            est = make_method(
                name,
                n_trees=n_trees,
                n_sources=n_sources,
                n_meta_tasks=n_meta_tasks,
                seed=seed,
                n_jobs=n_jobs,
            )
            acc[name][si, ti] = _fit(est, Xs, ys, ds).score(Xt, yt)
            if callback is not None:
                callback(name, s, t, acc[name][si, ti])
        metas = [m for m in methods if m in META_VARIANTS]
        if validation and metas:
            selected[si, ti] = max(metas, key=lambda m: val[m][si, ti])
    return LodoResult(data.name, methods, targets, list(seeds), acc, val, selected)


def summarize(result: LodoResult) -> list[dict]:
    """One row per method: mean accuracy over targets and worst-target accuracy (means over seeds, with
    the standard deviation over seeds), mean training-domain validation accuracy, and the same for the
    validation-selected meta variant (``"selected-meta"``)."""
    rows = []

    def row(name, acc, val):
        mean_per_seed = acc.mean(axis=1)
        worst_per_seed = acc.min(axis=1)
        rows.append(
            {
                "method": name,
                "mean_acc": float(mean_per_seed.mean()),
                "mean_acc_sd": float(mean_per_seed.std()),
                "worst_acc": float(worst_per_seed.mean()),
                "per_target": {t: float(v) for t, v in zip(result.targets, acc.mean(axis=0), strict=True)},
                "val_acc": float(np.nanmean(val)) if np.isfinite(val).any() else None,
            }
        )

    for m in result.methods:
        row(m, result.target_acc[m], result.val_acc[m])
    if result.selected.size and all(result.selected.ravel()):
        pick = np.vectorize(lambda s, i, j: result.target_acc[s][i, j])
        ii, jj = np.indices(result.selected.shape)
        row("selected-meta", pick(result.selected, ii, jj), np.full(result.selected.shape, np.nan))
    return rows


def format_table(rows: list[dict]) -> str:
    """Markdown table of :func:`summarize` rows."""
    lines = [
        "| method | mean acc | sd over seeds | worst-domain acc | train-domain val acc |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        v = "" if r["val_acc"] is None else f"{r['val_acc']:.3f}"
        lines.append(
            f"| {r['method']} | {r['mean_acc']:.3f} | {r['mean_acc_sd']:.3f} | {r['worst_acc']:.3f} | {v} |"
        )
    return "\n".join(lines)


def plot_summary(rows: list[dict], path, title: str = "leave-one-domain-out accuracy"):
    """Bar plot of mean and worst-domain accuracy per method."""
    from core_utils import new_figure, save_figure

    fig, ax = new_figure(figsize=(8, 4))
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r["mean_acc"] for r in rows], 0.4, yerr=[r["mean_acc_sd"] for r in rows], label="mean")
    ax.bar(x + 0.2, [r["worst_acc"] for r in rows], 0.4, label="worst domain")
    ax.set_xticks(x, [r["method"] for r in rows], rotation=30, ha="right")
    ax.set_ylabel("target accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend()
    return save_figure(fig, path)
