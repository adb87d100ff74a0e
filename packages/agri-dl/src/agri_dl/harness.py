"""Benchmark harness for the survey's central claim: deep learning vs hand-crafted image features
(Kamilaris & Prenafeta-Boldu 2018, Sec. 4.4 and 5: "deep learning ... outperforming existing commonly
used image processing techniques").

Every method is trained on the same training images (the official split; optionally a stratified
fraction of it, for learning curves) and scored on the same test images, for several seeds. Reported:
accuracy, macro-F1, confusion matrix, fit time (feature extraction included for the classical side),
predict time and images per second. The test split is never used for any choice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from agri_dl.classical import CLASSICAL, FeaturePipeline
from agri_dl.data import ImageDataset
from agri_dl.nets import ARCHITECTURES
from agri_dl.training import NetClassifier, TrainConfig
from core_utils import InputError, atomic_write_text, derive_seed, measure, progress

__all__ = ["METHODS", "parse_methods", "run", "stratified_subset", "summarize"]

METHODS = (*CLASSICAL, *ARCHITECTURES)


def parse_methods(spec: str | Sequence[str]) -> list[str]:
    """``"color-svm,cnn"`` or a list -> validated method names."""
    import difflib

    names = [m.strip() for m in spec.split(",")] if isinstance(spec, str) else list(spec)
    names = [m for m in names if m]
    if not names:
        raise InputError("no methods given")
    for m in names:
        if m not in METHODS:
            close = difflib.get_close_matches(m, METHODS, n=2)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputError(f"unknown method {m!r}{hint} (choose from {', '.join(METHODS)})")
    return names


def stratified_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of a class-stratified ``fraction`` of ``labels`` (at least 1 per class)."""
    if not 0.0 < fraction <= 1.0:
        raise InputError(f"training fraction must be in (0, 1], got {fraction}")
    if fraction == 1.0:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        out.extend(rng.choice(idx, size=max(1, int(round(fraction * len(idx)))), replace=False).tolist())
    return np.sort(np.array(out))


def run(
    data: ImageDataset,
    *,
    methods: Sequence[str],
    seeds: Sequence[int] = (0,),
    fractions: Sequence[float] = (1.0,),
    train_config: TrainConfig | None = None,
    device: str = "cpu",
    quiet: bool = True,
    checkpoint: str | Path | None = None,
) -> list[dict]:
    """One record per (method, seed, fraction): accuracy, macro_f1, confusion, fit_s, predict_s, ...

    Jobs run largest training fraction first, then seed by seed, so an interrupted run has the full
    training set's results first. With ``checkpoint`` (a JSON file) every finished record is written
    to it atomically, and a rerun with the same dataset and training recipe skips the records already
    there (resume); records made under another recipe are not reused.
    """
    methods = parse_methods(methods)
    Xtr_all, ytr_all = data.train()
    Xte, yte = data.test()
    if len(Xte) == 0:
        raise InputError(f"dataset {data.name} has no test images")
    n_classes = len(data.class_names)
    present = np.unique(ytr_all)
    if len(present) < n_classes:
        missing = [data.class_names[c] for c in range(n_classes) if c not in present]
        raise InputError(f"class(es) {missing} have no training images")
    cfg = train_config or TrainConfig()
    # hand-crafted features are computed once per image; each method is charged the extraction time of
    # the images it uses
    feat_cache: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, float]] = {}

    def features(kinds: tuple[str, ...]):
        if kinds not in feat_cache:
            probe = FeaturePipeline(next(m for m, (k, _) in CLASSICAL.items() if k == kinds))
            with measure() as m:
                ftr = probe.features(Xtr_all)
                fte = probe.features(Xte)
            feat_cache[kinds] = (ftr, fte, m.wall_s / (len(Xtr_all) + len(Xte)))
        return feat_cache[kinds]

    stamp = {"dataset": data.name, "n_images": len(data.labels), "train_config": asdict(cfg)}
    done: dict[tuple[str, int, float], dict] = {}
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        if checkpoint.is_file():
            try:
                saved = json.loads(checkpoint.read_text(encoding="utf-8"))
            except ValueError:
                raise InputError(
                    f"checkpoint {checkpoint} is not valid JSON; delete it to start afresh"
                ) from None
            if saved.get("stamp") == stamp:
                done = {(r["method"], r["seed"], r["fraction"]): r for r in saved.get("records", [])}
    records = []
    jobs = [(m, s, f) for f in sorted(fractions, reverse=True) for s in seeds for m in methods]
    for method, seed, frac in progress(jobs, total=len(jobs), desc="bench", quiet=quiet):
        if (method, seed, frac) in done:
            records.append(done[(method, seed, frac)])
            continue
        sub = stratified_subset(ytr_all, frac, derive_seed(seed, "subset", frac))
        if len(sub) < n_classes:
            raise InputError(
                f"fraction {frac} leaves {len(sub)} training images, fewer than {n_classes} classes"
            )
        Xtr, ytr = Xtr_all[sub], ytr_all[sub]
        mseed = derive_seed(seed, method, frac)
        if method in CLASSICAL:
            est = FeaturePipeline(method, seed=mseed)
            ftr, fte, per_image = features(est.kinds)
            with measure() as mf:
                est.fit(Xtr, ytr, features=ftr[sub])
            with measure() as mp:
                pred = est.predict(Xte, features=fte)
            fit_s = mf.wall_s + per_image * len(sub)
            predict_s = mp.wall_s + per_image * len(Xte)
        else:
            est = NetClassifier(method, cfg, seed=mseed, device=device, quiet=True)
            with measure() as mf:
                est.fit(Xtr, ytr, n_classes=n_classes)
            with measure() as mp:
                pred = est.predict(Xte)
            fit_s, predict_s = mf.wall_s, mp.wall_s
        records.append(
            {
                "method": method,
                "family": "classical" if method in CLASSICAL else "deep",
                "seed": seed,
                "fraction": frac,
                "n_train": len(sub),
                "accuracy": float(accuracy_score(yte, pred)),
                "macro_f1": float(f1_score(yte, pred, average="macro", labels=list(range(n_classes)))),
                "confusion": confusion_matrix(yte, pred, labels=list(range(n_classes))).tolist(),
                "fit_s": fit_s,
                "predict_s": predict_s,
                "images_per_s": len(Xte) / max(predict_s, 1e-9),
                "train_config": asdict(cfg) if method not in CLASSICAL else None,
            }
        )
        if checkpoint is not None:
            state = {"stamp": stamp, "records": list({**done, **_keyed(records)}.values())}
            atomic_write_text(checkpoint, json.dumps(state) + "\n")
    return records


def _keyed(records: list[dict]) -> dict[tuple[str, int, float], dict]:
    return {(r["method"], r["seed"], r["fraction"]): r for r in records}


def summarize(records: list[dict]) -> list[dict]:
    """Mean and sample standard deviation (ddof=1) over seeds per (method, fraction)."""
    keys = sorted({(r["method"], r["fraction"]) for r in records}, key=lambda k: (-k[1], k[0]))
    order = list(dict.fromkeys(r["method"] for r in records))
    keys.sort(key=lambda k: (-k[1], order.index(k[0])))
    rows = []
    for method, frac in keys:
        rs = [r for r in records if r["method"] == method and r["fraction"] == frac]
        acc = np.array([r["accuracy"] for r in rs])
        f1 = np.array([r["macro_f1"] for r in rs])
        ddof = 1 if len(rs) > 1 else 0  # sample standard deviation over seeds
        rows.append(
            {
                "method": method,
                "family": rs[0]["family"],
                "fraction": frac,
                "n_train": rs[0]["n_train"],
                "seeds": len(rs),
                "accuracy": float(acc.mean()),
                "accuracy_sd": float(acc.std(ddof=ddof)),
                "macro_f1": float(f1.mean()),
                "macro_f1_sd": float(f1.std(ddof=ddof)),
                "fit_s": float(np.mean([r["fit_s"] for r in rs])),
                "images_per_s": float(np.mean([r["images_per_s"] for r in rs])),
                "confusion": np.sum([r["confusion"] for r in rs], axis=0).tolist(),
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    """Markdown table of :func:`summarize` rows."""
    lines = [
        "| method | family | n_train | seeds | accuracy (sd) | macro-F1 (sd) | fit s | predict images/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['family']} | {r['n_train']} | {r['seeds']} | {r['accuracy']:.3f} "
            f"({r['accuracy_sd']:.3f}) | {r['macro_f1']:.3f} ({r['macro_f1_sd']:.3f}) | {r['fit_s']:.1f} "
            f"| {r['images_per_s']:.0f} |"
        )
    return "\n".join(lines)


def plot_confusions(rows: list[dict], class_names: Sequence[str], path) -> None:
    """One confusion matrix per method (full training set), summed over seeds."""
    from core_utils import new_figure, save_figure

    full = [r for r in rows if r["fraction"] == max(x["fraction"] for x in rows)]
    fig, axes = new_figure(1, len(full), figsize=(3.2 * len(full), 3.2), squeeze=False)
    for ax, r in zip(axes[0], full, strict=True):
        cm = np.array(r["confusion"])
        ax.imshow(cm, cmap="Greens")
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=8)
        ax.set_title(f"{r['method']} ({r['accuracy']:.2f})", fontsize=9)
        ax.set_xticks(range(len(class_names)), [c[:6] for c in class_names], fontsize=7)
        ax.set_yticks(range(len(class_names)), [c[:6] for c in class_names], fontsize=7)
    save_figure(fig, path)


def plot_learning_curves(rows: list[dict], path) -> None:
    """Test accuracy vs number of training images, one line per method."""
    from core_utils import new_figure, save_figure

    fig, ax = new_figure(figsize=(6, 4))
    for method in dict.fromkeys(r["method"] for r in rows):
        rs = sorted((r for r in rows if r["method"] == method), key=lambda r: r["n_train"])
        style = "-o" if rs[0]["family"] == "deep" else "--s"
        ax.errorbar(
            [r["n_train"] for r in rs],
            [r["accuracy"] for r in rs],
            [r["accuracy_sd"] for r in rs],
            fmt=style,
            label=method,
            capsize=2,
        )
    ax.set_xlabel("training images")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8)
    save_figure(fig, path)
