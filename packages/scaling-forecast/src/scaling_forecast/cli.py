"""Command-line interface of ``scaling-forecast`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

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
from scaling_forecast import __version__
from scaling_forecast.backtest import DEFAULT_METHODS, METHODS, backtest
from scaling_forecast.bench import BenchConfig, run_bench
from scaling_forecast.compute import ChinchillaLaw, train_flop
from scaling_forecast.data import BenchmarkTable, load_bbh, load_table, write_table
from scaling_forecast.forecast import fit_task, forecast
from scaling_forecast.report import PAPER, reproduce, write_report
from scaling_forecast.synth import make_synthetic

CITATION = "Owen. How predictable is language model benchmark performance? arXiv:2401.04757, 2024."
PACKAGES = ["scaling-forecast", "scipy"]


@dataclass
class ForecastConfig:
    """Settings shared by the sub-commands; defaults follow Owen (2024) and spec §3.5."""

    prompting: Literal["cot", "direct"] = "cot"  # BBH 3-shot chain of thought (the paper's headline)
    axis: Literal["flop", "scaled"] = "flop"  # x = log10 6ND (paper: scaled compute similar)
    tokens_per_param: float | None = None  # None: Hoffmann optimal allocation for scaled compute
    horizons: tuple[float, ...] = (0.33, 1.0, 2.0)  # OOM windows of the paper
    min_train: int = 8  # training models at a cutoff
    average: Literal["pair", "cutoff"] = "pair"  # MAE over (cutoff, model) pairs
    engine: Literal["scipy", "batched", "naive"] = "scipy"
    method: str = "sigmoid"
    methods: tuple[str, ...] = DEFAULT_METHODS
    n_boot: int = 200  # bootstrap resamples for bands
    level: float = 0.9  # band coverage

    def __post_init__(self) -> None:
        for m in (self.method, *self.methods):
            if m not in METHODS:
                raise InputError(f"unknown method {m!r}; known: {', '.join(METHODS)}")
        for h in self.horizons:
            if not h > 0:
                raise InputError(f"horizon must be > 0 OOM, got {h!r}")
        if self.n_boot < 2:
            raise InputError(f"n_boot must be >= 2, got {self.n_boot}")
        if not 0 < self.level < 1:
            raise InputError(f"level must be in (0, 1), got {self.level}")

    @property
    def law(self) -> ChinchillaLaw:
        return ChinchillaLaw(tokens_per_param=self.tokens_per_param)


def _config(args: argparse.Namespace, **flags: object) -> tuple[object, ForecastConfig]:
    opts = common_options(args)
    cfg = resolve_config(ForecastConfig, file=opts.config, overrides=opts.overrides, flags=flags)
    return opts, cfg


def _table(args: argparse.Namespace, cfg: ForecastConfig) -> BenchmarkTable:
    if getattr(args, "data", None) is not None:
        return load_table(args.data, percent=args.percent)
    return load_bbh(cfg.prompting)


def _fit(args: argparse.Namespace) -> int:
    opts, cfg = _config(args, axis=args.axis, method=args.method, prompting=args.prompting)
    table = _table(args, cfg)
    with measure() as m:
        curve = fit_task(table, args.task, method=cfg.method, axis=cfg.axis, law=cfg.law)
    params = {k: round(v, 6) for k, v in curve.params_.items()}
    print(
        f"{args.task or 'aggregate'} ({cfg.method}, x = log10 {cfg.axis}): "
        + ", ".join(f"{k}={v:.4g}" for k, v in params.items())
    )
    if opts.out is not None:
        write_result(
            opts.out,
            command=sys.argv,
            config=cfg,
            seed=opts.seed,
            metrics=params,
            wall_time_s=m.wall_s,
            packages=PACKAGES,
            headline=f"{args.task or 'aggregate'}: " + ", ".join(f"{k}={v:.4g}" for k, v in params.items()),
        )
    return 0


def _predict(args: argparse.Namespace) -> int:
    opts, cfg = _config(args, axis=args.axis, method=args.method, prompting=args.prompting)
    if args.compute is None and (args.params_b is None or args.tokens_t is None):
        raise InputError("give --compute FLOP, or both --params-b and --tokens-t")
    if args.compute is not None:
        compute = args.compute
    elif cfg.axis == "scaled":
        compute = float(cfg.law.scaled_compute(args.params_b * 1e9, args.tokens_t * 1e12))
    else:
        compute = float(train_flop(args.params_b * 1e9, args.tokens_t * 1e12))
    table = _table(args, cfg)
    with measure() as m:
        fc = forecast(
            table,
            compute,
            args.task,
            method=cfg.method,
            axis=cfg.axis,
            law=cfg.law,
            n_boot=cfg.n_boot,
            level=cfg.level,
            seed=opts.seed,
        )
    line = (
        f"{fc.task} at {compute:.3g} ({cfg.axis}): {100 * fc.center[0]:.1f}% "
        f"[{100 * fc.lower[0]:.1f}, {100 * fc.upper[0]:.1f}] ({100 * cfg.level:g}% bootstrap band)"
    )
    print(line)
    if opts.out is not None:
        write_result(
            opts.out,
            command=sys.argv,
            config=cfg,
            seed=opts.seed,
            wall_time_s=m.wall_s,
            metrics={"compute": compute, "center": fc.center[0], "lower": fc.lower[0], "upper": fc.upper[0]},
            packages=PACKAGES,
            headline=line,
        )
    return 0


def _backtest(args: argparse.Namespace) -> int:
    methods = None
    if args.baselines is not None:
        names = list(METHODS) if args.baselines == "all" else [s.strip() for s in args.baselines.split(",")]
        methods = tuple(dict.fromkeys(["sigmoid", *[n for n in names if n != "sigmoid"]]))
        if args.baselines == "all":
            methods = tuple(m for m in methods if m not in ("sigmoid-free", "clipped-linear"))
    horizons = tuple(args.horizon) if args.horizon else None
    opts, cfg = _config(
        args,
        axis=args.axis,
        prompting=args.prompting,
        engine=args.engine,
        average=args.average,
        horizons=horizons,
        methods=methods,
    )
    table = _table(args, cfg)
    target = table if args.per_task else table.aggregate()
    with measure() as m:
        res = backtest(
            target,
            cfg.methods,
            cfg.horizons,
            min_train=cfg.min_train,
            axis=cfg.axis,
            law=cfg.law,
            engine=cfg.engine,
            quiet=opts.quiet,
        )
    tab = res.table(cfg.average)
    what = "mean over tasks" if args.per_task else "aggregate"
    if args.json:
        print(
            json.dumps(
                {
                    "what": what,
                    "average": cfg.average,
                    "mae_pp": {k: {str(h): v for h, v in row.items()} for k, row in tab.items()},
                }
            )
        )
    else:
        print(f"MAE (pp), {what}, average={cfg.average}, x = log10 {cfg.axis}")
        print("method".ljust(20) + "".join(f"{h:>8g} OOM" for h in cfg.horizons))
        for k, row in tab.items():
            print(k.ljust(20) + "".join(f"{v:>12.2f}" for v in row.values()))
    if opts.out is not None:
        metrics = {f"{k}_{h:g}oom_pp": v for k, row in tab.items() for h, v in row.items()}
        h1 = 1.0 if 1.0 in cfg.horizons else cfg.horizons[0]
        write_result(
            opts.out,
            command=sys.argv,
            config=cfg,
            seed=opts.seed,
            metrics=metrics,
            wall_time_s=m.wall_s,
            packages=PACKAGES,
            headline=f"sigmoid MAE at {h1:g} OOM ({what}): {tab[cfg.methods[0]][h1]:.1f} pp",
        )
    return 0


def _report(args: argparse.Namespace) -> int:
    opts, cfg = _config(args, axis=args.axis, engine=args.engine)
    out = opts.out or Path("scaling-forecast-report")
    with measure() as m:
        reps = [
            reproduce(
                p,
                axis=cfg.axis,
                law=cfg.law,
                horizons=cfg.horizons,
                methods=cfg.methods,
                engine=cfg.engine,
                min_train=cfg.min_train,
                average=cfg.average,
                quiet=opts.quiet,
            )
            for p in ("cot", "direct")
        ]
        files = write_report(out, reps, n_boot=min(cfg.n_boot, 100), seed=opts.seed)
    metrics: dict[str, object] = {}
    for r in reps:
        metrics.update(r.metrics())
    head = reps[0]
    line = (
        f"BBH-CoT aggregate sigmoid MAE at 1 OOM {head.aggregate.mae('sigmoid', 1.0):.1f} pp "
        f"(paper ~{PAPER['aggregate_1oom_pp']:g}); per task {head.tasks.mae('sigmoid', 1.0):.1f} pp"
    )
    write_result(
        out,
        command=sys.argv,
        config=cfg,
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=line,
        extra={"files": [f.name for f in files]},
    )
    print(line)
    print(f"wrote {out / 'report.md'}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    opts, cfg = _config(args)
    out = opts.out or Path("scaling-forecast-demo")
    with measure() as m:
        rep = reproduce(
            cfg.prompting,
            axis=cfg.axis,
            law=cfg.law,
            horizons=cfg.horizons,
            methods=cfg.methods,
            engine=cfg.engine,
            min_train=cfg.min_train,
            average=cfg.average,
            quiet=opts.quiet,
        )
        n_boot = min(cfg.n_boot, 100)
        files = write_report(out, [rep], n_boot=n_boot, seed=opts.seed)
        table = load_bbh(cfg.prompting)
        fc = forecast(table, 10 * table.flop.max(), None, axis="flop", n_boot=n_boot, seed=opts.seed)
    agg1 = rep.aggregate.mae("sigmoid", 1.0)
    task1 = rep.tasks.mae("sigmoid", 1.0) if rep.tasks is not None else float("nan")
    metrics = rep.metrics()
    metrics["forecast_10x_largest_pct"] = round(100 * float(fc.center[0]), 2)
    metrics["forecast_10x_largest_band_pct"] = [
        round(100 * float(fc.lower[0]), 2),
        round(100 * float(fc.upper[0]), 2),
    ]
    line = (
        f"BBH-{cfg.prompting} sigmoid MAE at 1 OOM: aggregate {agg1:.1f} pp (paper ~6), "
        f"individual tasks {task1:.1f} pp; chance baseline {rep.aggregate.mae('chance', 1.0):.1f} pp"
    )
    write_result(
        out,
        command=sys.argv,
        config=cfg,
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=line,
        extra={"files": [f.name for f in files]},
    )
    if not opts.quiet:
        print(line)
    return 0


def _synth(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, got {args.seed}")
    table, truth = make_synthetic(
        args.n_models, args.n_tasks, seed=args.seed, n_items=None if args.noiseless else 250
    )
    path = write_table(table, args.out)
    print(f"wrote {table.n_models} models x {len(table.tasks)} tasks to {path}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    opts = common_options(args)
    cfg = resolve_config(
        BenchConfig, file=opts.config, overrides=opts.overrides, flags={"n_tasks": 3 if args.quick else None}
    )
    with measure() as m:
        metrics = run_bench(cfg)
    out = opts.out or Path("scaling-forecast-bench")
    line = (
        f"full backtest ({cfg.n_tasks} tasks + aggregate, {len(cfg.horizons)} horizons): "
        f"scipy engine {metrics['speedup_scipy_vs_naive']:.1f}x faster than naive curve_fit "
        f"(max prediction diff {metrics['scipy_max_abs_prediction_diff_pp']:.2g} pp)"
    )
    write_result(
        out,
        command=sys.argv,
        config=asdict(cfg),
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=line,
    )
    if not opts.quiet:
        print(line)
    return 0


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def _data_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=None, help="your own long-format CSV (default: bundled BBH)")
    p.add_argument("--percent", action="store_true", help="scores in the CSV are percentages")
    p.add_argument("--prompting", choices=("cot", "direct"), default=None, help="bundled BBH prompting")
    p.add_argument("--axis", choices=("flop", "scaled"), default=None, help="compute axis (6ND or scaled)")


def build_parser() -> argparse.ArgumentParser:
    """The ``scaling-forecast`` argument parser."""
    parser, sub = make_parser(
        "scaling-forecast",
        version=__version__,
        description="Forecasting benchmark scores from training compute, with backtests.",
    )
    p = sub.add_parser("fit", help="fit a curve to one task or the aggregate and print its parameters")
    _data_opts(p)
    p.add_argument("--task", default=None, help="task name (default: the aggregate)")
    p.add_argument("--method", default=None, help=f"curve ({', '.join(METHODS)})")
    add_common_options(p)
    p.set_defaults(func=_fit)

    p = sub.add_parser("predict", help="forecast the score at a compute budget, with a bootstrap band")
    _data_opts(p)
    p.add_argument(
        "--compute", type=float, default=None, help="compute in FLOP (scaled compute for --axis scaled)"
    )
    p.add_argument("--params-b", type=float, default=None, help="parameters in billions")
    p.add_argument("--tokens-t", type=float, default=None, help="training tokens in trillions")
    p.add_argument("--task", default=None, help="task name (default: the aggregate)")
    p.add_argument("--method", default=None, help="curve (default sigmoid)")
    add_common_options(p)
    p.set_defaults(func=_predict)

    p = sub.add_parser("backtest", help="backtest the curve and baselines over compute cutoffs")
    _data_opts(p)
    p.add_argument("--horizon", type=float, action="append", default=None, help="OOM horizon (repeatable)")
    p.add_argument("--per-task", action="store_true", help="score every task (default: the aggregate)")
    p.add_argument("--baselines", default=None, help="'all' or a comma list of methods")
    p.add_argument("--engine", choices=("scipy", "batched", "naive"), default=None)
    p.add_argument("--average", choices=("pair", "cutoff"), default=None, help="MAE averaging convention")
    p.add_argument("--json", action="store_true", help="print the MAE table as JSON")
    add_common_options(p)
    p.set_defaults(func=_backtest)

    p = sub.add_parser("report", help="reproduction report (tables and plots) on the bundled BBH data")
    p.add_argument("--axis", choices=("flop", "scaled"), default=None)
    p.add_argument("--engine", choices=("scipy", "batched", "naive"), default=None)
    add_common_options(p)
    p.set_defaults(func=_report)

    p = sub.add_parser("synth", help="write a synthetic benchmark table with sigmoid truth to a CSV")
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    p.add_argument("--n-models", type=int, default=60)
    p.add_argument("--n-tasks", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noiseless", action="store_true", help="exact sigmoid scores, no binomial noise")
    p.set_defaults(func=_synth)

    p = sub.add_parser("bench", help="time the full backtest: naive curve_fit vs reusing/batched engines")
    p.add_argument("--quick", action="store_true", help="3 tasks instead of 27")
    add_common_options(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("demo", help="backtest on the bundled BBH data; writes result.json and figures")
    add_common_options(p)
    p.set_defaults(func=_demo)

    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``scaling-forecast`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
