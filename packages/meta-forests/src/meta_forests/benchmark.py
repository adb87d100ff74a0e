"""Leave-one-domain-out benchmark of the meta-forests variants against pooled-source baselines.

Every method gets the same total number of trees ``n_trees`` (HistGradientBoosting gets
``max_iter = n_trees // 2`` boosting rounds). For each held-out target domain and seed:

1. model selection on the source domains only (:mod:`meta_forests.splits`):
   ``"training-domain"`` validation fits each meta variant on 80% of every source domain and scores it
   on the other 20%; ``"leave-one-domain-out"`` validation (one fit per source domain) holds every
   source domain out in turn; baselines are not validated (nothing is selected among them);
2. each method is refitted on all source data and scored on the target domain.

Per fold and protocol, the *selected* meta-forests variant is the one with the best validation
accuracy; the target accuracies of all methods are reported (mean and worst domain over targets,
mean and standard deviation over seeds). Every finished (seed, target) unit is written to an atomic
checkpoint, so an interrupted run resumes where it stopped and methods added later are computed
without refitting the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier

from core_utils import InputError, derive_seed, load_checkpoint, progress, save_checkpoint
from meta_forests.datasets import DomainDataset
from meta_forests.estimator import MetaForestClassifier
from meta_forests.splits import SELECTION_PROTOCOLS, training_domain_split, validation_score

__all__ = [
    "BASELINES",
    "DEFAULT_VARIANT",
    "META_VARIANTS",
    "LodoResult",
    "make_method",
    "run_lodo",
    "summarize",
]

BASELINES = ("random-forest", "extra-trees", "hist-gb")
# name -> (forest_mode, carry_weights, weight_rule, tree_selection, forest_type)
META_VARIANTS: dict[str, tuple[str, bool, str, float | None, str]] = {
    "meta-pooled": ("pooled", False, "safe", None, "random"),
    "meta-per-domain": ("per_domain", False, "safe", None, "random"),
    "meta-paper-log-power": ("per_domain", True, "log-power", None, "random"),
    "meta-paper-log-scaled": ("per_domain", True, "log-scaled", None, "random"),
    "meta-tree-selection": ("pooled", False, "safe", 0.5, "random"),
    "meta-pooled-extra": ("pooled", False, "safe", None, "extra"),
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
        mode, carry, rule, keep, forest_type = META_VARIANTS[name]
        per_task = 1 if mode == "pooled" else max(1, n_sources - 1)
        grown = max(1, n_trees // (n_meta_tasks * per_task))
        if keep is not None:  # grow 1/keep as many trees so that the kept total equals n_trees
            grown = max(1, round(grown / keep))
        return MetaForestClassifier(
            n_meta_tasks=n_meta_tasks,
            n_estimators=grown,
            forest_mode=mode,
            forest_type=forest_type,
            carry_weights=carry,
            weight_rule=rule,
            tree_selection=keep,
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
    """Per-(method, seed, target) accuracies and the per-fold validation choice.

    ``val_acc[protocol][method]`` and ``selected[protocol]`` exist for every selection protocol run;
    entries a protocol did not compute (leave-one-domain-out for baselines) are NaN.
    """

    dataset: str
    methods: list[str]
    targets: list[str]
    seeds: list[int]
    target_acc: dict[str, np.ndarray]  # method -> (n_seeds, n_targets)
    val_acc: dict[str, dict[str, np.ndarray]]  # protocol -> method -> (n_seeds, n_targets)
    selected: dict[str, np.ndarray]  # protocol -> (n_seeds, n_targets) name of the selected meta variant


def _unit(data, Xs, ys, ds, Xt, yt, *, s, t, n_sources, todo, n_trees, n_meta_tasks, n_jobs):
    """All results of one (seed, target) fold that are not in the checkpoint yet: ``{key: accuracy}``."""
    out = {}
    for name, kind in todo:
        seed = derive_seed(s, data.name, t, name)

        def factory(n_dom, name=name, seed=seed):
            return make_method(
                name, n_trees=n_trees, n_sources=n_dom, n_meta_tasks=n_meta_tasks, seed=seed, n_jobs=n_jobs
            )

        if kind == "target":
            value = _fit(factory(n_sources), Xs, ys, ds).score(Xt, yt)
        elif kind == "training-domain":
            tr, va = training_domain_split(ys, ds, seed=seed)
            value = _fit(factory(n_sources), Xs[tr], ys[tr], ds[tr]).score(Xs[va], ys[va])
        else:
            value = validation_score(factory, Xs, ys, ds, protocol=kind, seed=seed)
        out[f"{s}|{t}|{name}|{kind}"] = float(value)
    return out


def _load_done(checkpoint: Path | None, signature: str) -> dict[str, float]:
    if checkpoint is None or not Path(checkpoint).is_file():
        return {}
    state = load_checkpoint(checkpoint)
    if str(state["signature"]) != signature:
        raise InputError(
            f"checkpoint {checkpoint} was written for another configuration ({state['signature']}, now "
            f"{signature}); delete it or write to another folder"
        )
    return {str(k): float(v) for k, v in zip(state["keys"], state["values"], strict=True)}


def _save_done(checkpoint: Path, done: dict[str, float], signature: str) -> None:
    keys = sorted(done)
    state = {"keys": np.array(keys, dtype=str), "values": np.array([done[k] for k in keys])}
    save_checkpoint(checkpoint, {**state, "signature": np.array(signature)})


def run_lodo(
    data: DomainDataset,
    *,
    methods: Sequence[str] = (*BASELINES, *META_VARIANTS),
    seeds: Sequence[int] = (0,),
    n_trees: int = 200,
    n_meta_tasks: int = 10,
    validation: bool = True,
    selection: Sequence[str] = ("training-domain",),
    n_jobs: int | None = None,
    n_workers: int = 1,
    checkpoint: str | Path | None = None,
    quiet: bool = True,
    callback: Callable[[str, int, str, float], None] | None = None,
) -> LodoResult:
    """Leave-one-domain-out over every domain of ``data`` for every method and seed.

    Parameters
    ----------
    validation : bool
        Run the model-selection protocols of ``selection`` (``False``: target accuracies only).
    selection : sequence of {"training-domain", "leave-one-domain-out"}
        Source-only selection protocols, run for the meta variants (the candidates of the selection).
    n_jobs : int or None
        ``n_jobs`` of every forest.
    n_workers : int
        (seed, target) folds run in parallel processes (joblib); 1 runs them in this process.
    checkpoint : path ending in ``.npz``, optional
        Finished folds are saved here atomically and skipped when the run is repeated.
    callback : callable ``(method, seed, target, accuracy)``, optional
        Called for every target accuracy as it becomes available.
    """
    targets = [str(t) for t in data.domain_names]
    doms = data.domains.astype(str)
    if len(targets) < 3:
        raise InputError(f"leave-one-domain-out needs at least 3 domains, got {len(targets)}")
    methods = list(methods)
    for name in methods:
        make_method(name, n_trees=1, n_sources=2, n_meta_tasks=1, seed=0, n_jobs=None)  # validates the name
    protocols = list(selection) if validation else []
    for proto in protocols:
        if proto not in SELECTION_PROTOCOLS:
            raise InputError(f"unknown selection protocol {proto!r}; choose from {list(SELECTION_PROTOCOLS)}")
    if checkpoint is not None and Path(checkpoint).suffix != ".npz":
        raise InputError(f"checkpoint must be an .npz file, got {checkpoint}")
    n_sources = len(targets) - 1

    def kinds(name):  # selection chooses among the meta variants, so only they are validated
        return [*(protocols if name in META_VARIANTS else []), "target"]

    signature = f"{data.name} X{data.X.shape} n_trees={n_trees} n_meta_tasks={n_meta_tasks}"
    done = _load_done(checkpoint, signature)
    # one job per (seed, target, method, kind), cheapest-to-report first: all target accuracies (in the
    # order of ``methods``), then training-domain validation, then leave-one-domain-out selection
    jobs = [
        (s, t, [(m, k)])
        for k in ("target", *protocols)
        for m in methods
        if k in kinds(m)
        for s in seeds
        for t in targets
        if f"{s}|{t}|{m}|{k}" not in done
    ]

    def unit_args(s, t, todo):
        src = doms != t
        args = (data, data.X[src], data.y[src], doms[src], data.X[~src], data.y[~src])
        kwargs = dict(
            s=s,
            t=t,
            n_sources=n_sources,
            todo=todo,
            n_trees=n_trees,
            n_meta_tasks=n_meta_tasks,
            n_jobs=n_jobs,
        )
        return args, kwargs

    if n_workers == 1:
        results = (_unit(*a, **kw) for a, kw in (unit_args(*job) for job in jobs))
    else:
        results = Parallel(n_jobs=n_workers, return_as="generator_unordered")(
            delayed(_unit)(*a, **kw) for a, kw in (unit_args(*job) for job in jobs)
        )
    for res in progress(results, total=len(jobs), desc="lodo fits", quiet=quiet):
        done.update(res)
        if checkpoint is not None:
            _save_done(Path(checkpoint), done, signature)
        if callback is not None:
            for key, value in res.items():
                s, t, m, k = key.split("|")
                if k == "target":
                    callback(m, int(s), t, value)

    def table(method, kind):
        return np.array([[done.get(f"{s}|{t}|{method}|{kind}", np.nan) for t in targets] for s in seeds])

    acc = {m: table(m, "target") for m in methods}
    val = {p: {m: table(m, p) for m in methods} for p in protocols}
    metas = [m for m in methods if m in META_VARIANTS]
    selected = {}
    for p in protocols:
        sel = np.full((len(seeds), len(targets)), "", dtype=object)
        if metas:
            for si in range(len(seeds)):
                for ti in range(len(targets)):
                    sel[si, ti] = max(metas, key=lambda m: val[p][m][si, ti])
        selected[p] = sel
    return LodoResult(data.name, methods, targets, list(seeds), acc, val, selected)


def selection_counts(result: LodoResult) -> dict[str, dict[str, int]]:
    """How often each meta variant was selected, per protocol, over all (seed, target) folds."""
    return {
        p: {m: int(np.sum(sel == m)) for m in result.methods if m in META_VARIANTS}
        for p, sel in result.selected.items()
    }


def summarize(result: LodoResult) -> list[dict]:
    """One row per method: mean accuracy over targets and worst-target accuracy (means over seeds, with
    the standard deviation over seeds), mean validation accuracy per selection protocol, and the same
    for the validation-selected meta variant of each protocol (``"selected-meta"`` for
    training-domain validation, ``"selected-meta-lodo"`` for leave-one-domain-out selection)."""
    rows = []

    def row(name, acc, vals):
        mean_per_seed = acc.mean(axis=1)
        worst_per_seed = acc.min(axis=1)
        rows.append(
            {
                "method": name,
                "mean_acc": float(mean_per_seed.mean()),
                "mean_acc_sd": float(mean_per_seed.std()),
                "worst_acc": float(worst_per_seed.mean()),
                "per_target": {t: float(v) for t, v in zip(result.targets, acc.mean(axis=0), strict=True)},
                "per_seed_mean_acc": [float(v) for v in mean_per_seed],
                **{
                    f"val_acc_{p}": (float(np.nanmean(v)) if np.isfinite(v).any() else None)
                    for p, v in vals.items()
                },
            }
        )

    for m in result.methods:
        row(m, result.target_acc[m], {p: result.val_acc[p][m] for p in result.val_acc})
    for p, sel in result.selected.items():
        if sel.size and all(sel.ravel()):
            pick = np.vectorize(lambda s, i, j: result.target_acc[s][i, j])
            ii, jj = np.indices(sel.shape)
            name = "selected-meta" if p == "training-domain" else "selected-meta-lodo"
            row(name, pick(sel, ii, jj), {q: np.full(sel.shape, np.nan) for q in result.val_acc})
    by = {r["method"]: r for r in rows}
    if "random-forest" in by:  # paired over seeds: same seeds, same targets, same data
        rf = np.array(by["random-forest"]["per_seed_mean_acc"])
        for r in rows:
            diff = np.array(r["per_seed_mean_acc"]) - rf
            r["diff_vs_rf"] = float(diff.mean())
            r["diff_vs_rf_sd"] = float(diff.std())
            r["seeds_above_rf"] = int(np.sum(diff > 0))
    return rows


def format_table(rows: list[dict]) -> str:
    """Markdown table of :func:`summarize` rows."""
    protocols = [p for p in SELECTION_PROTOCOLS if rows and f"val_acc_{p}" in rows[0]]
    paired = bool(rows) and "diff_vs_rf" in rows[0]
    head = "| method | mean acc | sd over seeds | worst-domain acc |"
    head += " minus RF (paired, sd) | seeds above RF |" if paired else ""
    head += "".join(f" {p} val acc |" for p in protocols)
    lines = [head, "|---|---|---|---|" + "---|---|" * paired + "---|" * len(protocols)]
    for r in rows:
        vals = "".join(
            " |" if r[f"val_acc_{p}"] is None else f" {r[f'val_acc_{p}']:.3f} |" for p in protocols
        )
        diff = (
            f" {r['diff_vs_rf']:+.3f} ({r['diff_vs_rf_sd']:.3f}) | {r['seeds_above_rf']}/{len(r['per_seed_mean_acc'])} |"
            if paired
            else ""
        )
        lines.append(
            f"| {r['method']} | {r['mean_acc']:.3f} | {r['mean_acc_sd']:.3f} | {r['worst_acc']:.3f} |{diff}{vals}"
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
