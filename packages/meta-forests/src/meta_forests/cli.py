"""Command-line interface of ``meta-forests`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core_utils import (
    InputError,
    add_common_options,
    cli_main,
    common_options,
    make_parser,
    measure,
    resolve_config,
    write_result,
)
from meta_forests import __version__
from meta_forests.benchmark import BASELINES, META_VARIANTS

CITATION = (
    "Sun, Kosmas. Meta-forests: Domain generalization on random forests with meta-learning. "
    "ACML 2023 (arXiv:2401.04425)."
)
PACKAGES = ["meta-forests", "scikit-learn", "scipy"]


@dataclass
class EstimatorConfig:
    """MetaForestClassifier/Regressor parameters (defaults: the package's, see the estimator docstring)."""

    n_meta_tasks: int = 10
    n_estimators: int = 20
    max_depth: int | None = None
    alpha: float = -1.0
    beta: float = 1.0
    weight_rule: str = "safe"
    forest_mode: str = "pooled"
    forest_type: str = "random"
    carry_weights: bool = False
    mmd_kernel: str = "rbf"
    mmd_max_samples: int = 300
    mmd_method: str = "exact"
    task: str = "classification"


@dataclass
class BenchmarkConfig:
    """Leave-one-domain-out benchmark settings (200 trees: the spec's pooled-RF anchor)."""

    dataset: str = "rotated-digits"
    protocol: str = "lodo"
    seeds: int = 5
    n_trees: int = 200
    n_meta_tasks: int = 10
    methods: list[str] = dataclasses.field(default_factory=lambda: [*BASELINES, *META_VARIANTS])
    validation: bool = True
    selection: list[str] = dataclasses.field(default_factory=lambda: ["training-domain"])
    workers: int = 1


@dataclass
class SelectConfig:
    """Source-only selection of the meta-forests variant (see ``meta_forests.selection``)."""

    dataset: str = "rotated-digits"
    protocol: str = "leave-one-domain-out"
    seeds: int = 1
    n_trees: int = 200
    n_meta_tasks: int = 10
    candidates: list[str] = dataclasses.field(default_factory=lambda: list(META_VARIANTS))


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def _run_benchmark(cfg: BenchmarkConfig, opts, argv_command: list[str], headline_prefix: str) -> int:
    from meta_forests.benchmark import format_table, plot_summary, run_lodo, selection_counts, summarize
    from meta_forests.datasets import load_dataset

    if cfg.protocol != "lodo":
        raise InputError(f"--protocol must be 'lodo' (leave-one-domain-out), got {cfg.protocol!r}")
    if cfg.seeds < 1:
        raise InputError(f"--seeds must be >= 1, got {cfg.seeds}")
    if cfg.workers < 1:
        raise InputError(f"config key 'workers' must be >= 1, got {cfg.workers}")
    data = load_dataset(cfg.dataset, seed=opts.seed)
    checkpoint = None
    if opts.out is not None:
        opts.out.mkdir(parents=True, exist_ok=True)
        checkpoint = opts.out / "lodo_checkpoint.npz"
    with measure() as m:
        result = run_lodo(
            data,
            methods=cfg.methods,
            seeds=[opts.seed + k for k in range(cfg.seeds)],
            n_trees=cfg.n_trees,
            n_meta_tasks=cfg.n_meta_tasks,
            validation=cfg.validation,
            selection=cfg.selection,
            n_jobs=opts.threads,
            n_workers=cfg.workers,
            checkpoint=checkpoint,
            quiet=opts.quiet,
        )
    rows = summarize(result)
    table = format_table(rows)
    for proto, counts in selection_counts(result).items():
        picks = ", ".join(f"{k} {v}" for k, v in counts.items())
        table += f"\n\n{proto} selection, folds won per meta variant: {picks}"
    print(table)
    by = {r["method"]: r for r in rows}
    parts = [
        f"{k} {by[k]['mean_acc']:.3f}"
        for k in ("meta-pooled", "random-forest", "meta-paper-log-power")
        if k in by
    ]
    headline = f"{headline_prefix} {data.name} leave-one-domain-out mean accuracy: " + ", ".join(parts)
    if opts.out is not None:
        opts.out.mkdir(parents=True, exist_ok=True)
        (opts.out / "table.md").write_text(table + "\n", encoding="utf-8")
        plot_summary(rows, opts.out / "lodo_accuracy.png", title=f"{data.name}: leave-one-domain-out")
        write_result(
            opts.out,
            command=argv_command,
            config=cfg,
            seed=opts.seed,
            metrics={
                "summary": rows,
                "targets": result.targets,
                "selected_meta_variant": {p: v.tolist() for p, v in result.selected.items()},
                "selection_counts": selection_counts(result),
            },
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=headline,
        )
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    opts = common_options(args)
    flags = {"dataset": args.dataset, "protocol": args.protocol, "seeds": args.seeds}
    cfg = resolve_config(BenchmarkConfig, file=opts.config, overrides=opts.overrides, flags=flags)
    return _run_benchmark(cfg, opts, ["meta-forests", *sys.argv[1:]], "benchmark:")


def _demo(args: argparse.Namespace) -> int:
    opts = common_options(args)
    if opts.out is None:
        raise InputError("demo needs --out DIR")
    demo_defaults = {
        "seeds": 1,
        "n_trees": 100,
        "methods": ["random-forest", "meta-pooled", "meta-paper-log-power"],
        "validation": False,
    }
    cfg = resolve_config(BenchmarkConfig, file=opts.config, overrides={**demo_defaults, **opts.overrides})
    return _run_benchmark(cfg, opts, ["meta-forests", "demo"], "demo:")


def _select(args: argparse.Namespace) -> int:
    from meta_forests.datasets import load_dataset
    from meta_forests.selection import format_selection, select_variant

    opts = common_options(args)
    flags = {"dataset": args.dataset, "protocol": args.protocol, "seeds": args.seeds}
    cfg = resolve_config(SelectConfig, file=opts.config, overrides=opts.overrides, flags=flags)
    if cfg.seeds < 1:
        raise InputError(f"--seeds must be >= 1, got {cfg.seeds}")
    data = load_dataset(cfg.dataset, seed=opts.seed)
    with measure() as m:
        res = select_variant(
            data.X,
            data.y,
            data.domains,
            candidates=cfg.candidates,
            protocol=cfg.protocol,
            seeds=[opts.seed + k for k in range(cfg.seeds)],
            n_trees=cfg.n_trees,
            n_meta_tasks=cfg.n_meta_tasks,
            n_jobs=opts.threads,
            name=data.name,
            quiet=opts.quiet,
        )
    table = format_selection(res)
    print(table)
    if opts.out is not None:
        opts.out.mkdir(parents=True, exist_ok=True)
        (opts.out / "selection.md").write_text(table + "\n", encoding="utf-8")
        write_result(
            opts.out,
            command=["meta-forests", *sys.argv[1:]],
            config=cfg,
            seed=opts.seed,
            metrics={
                "scores": res.scores,
                "per_seed": res.per_seed,
                "selected": res.best,
                "default": res.default,
                "agrees_with_default": res.agrees_with_default,
            },
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=f"select: {data.name} {cfg.protocol} selection picks {res.best} "
            f"({res.scores[res.best]:.3f}); package default {res.default} {res.scores.get(res.default, float('nan')):.3f}",
        )
    return 0


def _estimator(cfg: EstimatorConfig, seed: int, n_jobs: int | None):
    from meta_forests import MetaForestClassifier, MetaForestRegressor

    params = dataclasses.asdict(cfg)
    task = params.pop("task")
    if task not in ("classification", "regression"):
        raise InputError(f"config key 'task' must be 'classification' or 'regression', got {task!r}")
    cls = MetaForestClassifier if task == "classification" else MetaForestRegressor
    est = cls(**params, random_state=seed, n_jobs=n_jobs)
    try:
        est._validate_params()
    except ValueError as exc:
        raise InputError(str(exc).splitlines()[0]) from None
    return est


def _fit(args: argparse.Namespace) -> int:
    import joblib

    from meta_forests.datasets import load_domains_file

    opts = common_options(args)
    cfg = resolve_config(EstimatorConfig, file=opts.config, overrides=opts.overrides)
    data = load_domains_file(args.data, domain_column=args.domain_column, label_column=args.label_column)
    est = _estimator(cfg, opts.seed, opts.threads)
    with measure() as m:
        est.fit(data.X, data.y, domains=data.domains)
    args.model.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(est, args.model)
    print(f"fitted {len(est.forests_)} forests on {len(est.domains_)} domains -> {args.model}")
    if opts.out is not None:
        write_result(
            opts.out,
            command=["meta-forests", *sys.argv[1:]],
            config=cfg,
            seed=opts.seed,
            metrics={
                "n_forests": len(est.forests_),
                "domains": est.domains_.tolist(),
                "weights": est.weights_,
            },
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=f"fit: {len(est.forests_)} forests on {len(est.domains_)} domains",
        )
    return 0


def _predict(args: argparse.Namespace) -> int:
    import joblib

    from meta_forests import MetaForestClassifier, MetaForestRegressor
    from meta_forests.datasets import load_domains_file

    opts = common_options(args)
    if not args.model.is_file():
        raise InputError(f"model file {args.model} does not exist")
    est = joblib.load(args.model)
    if not isinstance(est, MetaForestClassifier | MetaForestRegressor):
        raise InputError(f"{args.model} does not hold a meta-forests model")
    data = load_domains_file(args.data, domain_column=args.domain_column, label_column=args.label_column)
    if data.X.shape[1] != est.n_features_in_:
        raise InputError(f"model expects {est.n_features_in_} features, data has {data.X.shape[1]}")
    pred = est.predict(data.X)
    score = float(est.score(data.X, data.y))
    out = opts.out or Path(".")
    out.mkdir(parents=True, exist_ok=True)
    with (out / "predictions.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["domain", "y", "prediction"])
        w.writerows(zip(data.domains.tolist(), data.y.tolist(), pred.tolist(), strict=True))
    name = "accuracy" if isinstance(est, MetaForestClassifier) else "r2"
    print(f"{name} {score:.4f} on {len(pred)} samples -> {out / 'predictions.csv'}")
    return 0


def _load_matrix(path: Path) -> np.ndarray:
    if not path.is_file():
        raise InputError(f"file {path} does not exist")
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix in (".csv", ".txt"):
        try:
            return np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None, ndmin=2)
        except ValueError as exc:
            raise InputError(f"{path.name}: {exc}") from None
    raise InputError(f"{path.name}: expected .npy, .csv or .txt")


def _mmd(args: argparse.Namespace) -> int:
    from meta_forests.mmd import mmd2, rff_mmd2

    common_options(args)
    A, B = _load_matrix(args.a), _load_matrix(args.b)
    bw = "median" if args.bandwidth == "median" else float(args.bandwidth)
    if args.method == "rff":
        value = rff_mmd2(A, B, bandwidth=bw, seed=args.seed)
    else:
        value = mmd2(A, B, bandwidth=bw, kernel=args.kernel, unbiased=args.unbiased)
    print(f"MMD^2 = {value:.6g}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from meta_forests.datasets import make_rotated_digits
    from meta_forests.performance import fit_time_ratios, mmd_scaling

    opts = common_options(args)
    if opts.out is None:
        raise InputError("bench needs --out DIR")
    with measure() as m:
        fit = fit_time_ratios(make_rotated_digits(seed=opts.seed), repeats=args.repeats, seed=opts.seed)
        mmd = mmd_scaling(seed=opts.seed)
    for k, v in fit.items():
        print(f"{k}: {v:.3f}")
    for r in mmd:
        print(
            f"MMD n={r['n']}: exact/rff time {r['time_ratio_exact_over_rff']:.2f}x, "
            f"memory {r['memory_ratio_exact_over_rff']:.1f}x"
        )
    write_result(
        opts.out,
        command=["meta-forests", *sys.argv[1:]],
        seed=opts.seed,
        metrics={"fit": fit, "mmd": mmd},
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=(
            f"bench: fit time vs pooled RF (equal trees): pooled {fit['meta-pooled_fit_ratio']:.2f}x, "
            f"per-domain {fit['meta-per-domain_fit_ratio']:.2f}x; MMD n={mmd[-1]['n']} exact/rff time "
            f"{mmd[-1]['time_ratio_exact_over_rff']:.1f}x"
        ),
    )
    return 0


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, required=True, help=".npz (X, y, domains) or .csv with a header")
    p.add_argument("--domain-column", default="domain", help="CSV column holding the domain (default domain)")
    p.add_argument("--label-column", default="y", help="CSV column holding the label (default y)")


def build_parser() -> argparse.ArgumentParser:
    """The ``meta-forests`` argument parser."""
    parser, sub = make_parser(
        "meta-forests",
        version=__version__,
        description="Domain generalization with random forests, meta-learning and MMD, as a scikit-learn estimator.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)

    p = sub.add_parser("demo", help="rotated-digits leave-one-domain-out, one seed (< 60 s)")
    add_common_options(p)
    p.set_defaults(func=_demo)

    p = sub.add_parser("benchmark", help="leave-one-domain-out table and bar plot vs RF/ExtraTrees/HistGB")
    p.add_argument(
        "--dataset",
        default=None,
        help="rotated-digits, shifted-digits, shifted-wine, "
        "shifted-breast-cancer, blobs, npz:PATH or csv:PATH",
    )
    p.add_argument("--protocol", default=None, help="lodo (leave-one-domain-out)")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default 5)")
    add_common_options(p)
    p.set_defaults(func=_benchmark)

    p = sub.add_parser(
        "select", help="choose the meta-forests variant by source-only (training-domain) validation"
    )
    p.add_argument(
        "--dataset", default=None, help="as for benchmark; all its domains are treated as training domains"
    )
    p.add_argument("--protocol", default=None, help="leave-one-domain-out (default) or training-domain")
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default 1)")
    add_common_options(p)
    p.set_defaults(func=_select)

    p = sub.add_parser("fit", help="fit a meta-forest on a user's file, save it with joblib")
    _add_data_options(p)
    p.add_argument("--model", type=Path, required=True, help="output model file (.joblib)")
    add_common_options(p)
    p.set_defaults(func=_fit)

    p = sub.add_parser("predict", help="predict with a saved model, write predictions.csv")
    _add_data_options(p)
    p.add_argument("--model", type=Path, required=True, help="model file written by `fit`")
    add_common_options(p)
    p.set_defaults(func=_predict)

    p = sub.add_parser("mmd", help="MMD^2 between two samples (.npy / .csv)")
    p.add_argument("--a", type=Path, required=True)
    p.add_argument("--b", type=Path, required=True)
    p.add_argument("--kernel", choices=("rbf", "linear"), default="rbf")
    p.add_argument("--bandwidth", default="median", help="'median' or a number")
    p.add_argument("--method", choices=("exact", "rff"), default="exact")
    p.add_argument("--unbiased", action="store_true", help="U-statistic instead of V-statistic")
    add_common_options(p)
    p.set_defaults(func=_mmd)

    p = sub.add_parser("bench", help="fit time vs pooled RF and MMD exact vs random features (ratios)")
    p.add_argument("--repeats", type=int, default=3)
    add_common_options(p)
    p.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``meta-forests`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
