"""Command-line interface of ``tapestry`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

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
from tapestry import __version__
from tapestry.bench import BenchConfig, run_bench
from tapestry.core import Tapestry
from tapestry.datasets import (
    ar1,
    coupled_logistic,
    load_seasonal_csv,
    logistic_map,
    lorenz63,
    lorenz96_forced,
    seasonal_real,
)
from tapestry.drivers import ccm_driver_check, large_coefficient_counts
from tapestry.evaluation import BASELINES, evaluate
from tapestry.experiment import seasonal_experiment
from tapestry.plots import ccm_plot, coefficient_plot, fan_chart, pit_plot, selection_plot
from tapestry.selection import select_variables
from tapestry.threads import Threads, parse_condition

CITATION = (
    "LuValle. Learning tapestries: threads of plausible pseudo future histories for open chaotic "
    "systems. arXiv, 2025."
)
PACKAGES = ["tapestry", "scipy", "scikit-learn", "statsmodels"]
META_COLUMNS = ("season", "year", "time", "sun_filled")


@dataclass
class TapestryConfig:
    """Tapestry settings; defaults are the paper scripts' (lags 6, 1200 maps, k 30, 5 residuals)."""

    lags: int = 6  # seasons of lags in the library
    horizons: int = 4  # seasons ahead (paper: up to 4)
    nsel: int = 0  # delay-map size; 0 = auto, ceil(2.5 d)
    n_maps: int = 1200  # random delay maps
    k: int = 30  # neighbours per map
    k_resid: int = 5  # residual donors in LARS mode
    mode: Literal["analog", "lars"] = "analog"
    seasonal_period: int = 4  # 0 = not seasonal
    criterion: Literal["aic", "bic"] = "aic"  # LassoLarsIC (AIC ~ Mallows' Cp)
    include_target_lag: bool = False
    n_jobs: int = 1  # joblib worker processes for the LARS fits (-1 = all cores)

    def model(self, seed: int, targets: Sequence[str] | None = None) -> Tapestry:
        return Tapestry(
            lags=self.lags,
            horizons=self.horizons,
            nsel=self.nsel or "auto",
            n_maps=self.n_maps,
            k=self.k,
            k_resid=self.k_resid,
            mode=self.mode,
            seasonal_period=self.seasonal_period or None,
            targets=targets,
            include_target_lag=self.include_target_lag,
            criterion=self.criterion,
            random_state=seed,
            n_jobs=self.n_jobs,
        )


def _load(path: Path, variables: str | None, target: str | None) -> tuple[pd.DataFrame, list[str]]:
    df = load_seasonal_csv(path)
    if variables:
        cols = [v.strip() for v in variables.split(",") if v.strip()]
    else:
        cols = [c for c in df.columns if c not in META_COLUMNS]
    if target is not None and target not in cols:
        cols = [target, *cols]
    for c in cols:
        if c not in df.columns:
            raise InputError(f"unknown variable {c!r}; columns are {', '.join(map(str, df.columns))}")
    return df, cols


def _origins(spec: str, n: int) -> tuple[int, np.ndarray]:
    """``end`` (fit on all rows, forecast after the last) or ``last:N`` (hold out the last N rows)."""
    if spec == "end":
        return n, np.array([n - 1])
    if spec.startswith("last:"):
        try:
            m = int(spec.split(":", 1)[1])
        except ValueError:
            raise InputError(f"--origins must be 'end' or 'last:N', got {spec!r}") from None
        if not 1 <= m < n:
            raise InputError(f"--origins last:N needs 1 <= N < {n}, got {m}")
        return n - m, np.arange(n - m - 1, n - 1)
    raise InputError(f"--origins must be 'end' or 'last:N', got {spec!r}")


def _simulate(args: argparse.Namespace) -> int:
    if args.n < 10:
        raise InputError(f"--n must be >= 10, got {args.n}")
    if args.system == "lorenz63":
        X = lorenz63(args.n, noise=args.noise, seed=args.seed)
        df = pd.DataFrame(X, columns=["x", "y", "z"])
    elif args.system == "lorenz96-forced":
        df = lorenz96_forced(args.n, seed=args.seed)
    elif args.system == "logistic":
        df = pd.DataFrame({"x": logistic_map(args.n, noise=args.noise, seed=args.seed)})
    elif args.system == "ar1":
        df = pd.DataFrame({"x": ar1(args.n, seed=args.seed)})
    elif args.system == "coupled-logistic":
        df = coupled_logistic(args.n)
    else:
        df = seasonal_real()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False)
    print(f"wrote {len(df)} rows x {df.shape[1]} columns to {args.out}")
    return 0


def _cfg(args: argparse.Namespace, **flags: object) -> tuple[object, TapestryConfig]:
    opts = common_options(args)
    return opts, resolve_config(TapestryConfig, file=opts.config, overrides=opts.overrides, flags=flags)


def _weave(args: argparse.Namespace) -> int:
    opts, cfg = _cfg(
        args, horizons=args.horizons, mode=args.mode, n_maps=args.n_maps, k=args.k, n_jobs=args.n_jobs
    )
    df, cols = _load(args.data, args.variables, args.target)
    n_fit, origins = _origins(args.origins, len(df))
    Y = df[cols].to_numpy(dtype=float)
    season = df["season"].to_numpy() if "season" in df.columns and cfg.seasonal_period else None
    with measure() as m:
        tp = cfg.model(opts.seed, targets=[args.target] if args.target else None)
        tp.fit(Y[:n_fit], columns=cols, season=None if season is None else season[:n_fit])
        th = tp.weave(origins, Y=Y)
    out = opts.out or Path("tapestry-weave")
    th.save(out / "threads.npz")
    var = th.columns[0]
    fan_chart(th, out / "fan_chart.png", var=var, h=1, history=(np.arange(n_fit), Y[:n_fit, cols.index(var)]))
    q = th.quantiles([0.05, 0.5, 0.95], var)[-1]
    line = (
        f"{th.values.shape[1]} threads x {th.values.shape[2]} horizons for {len(origins)} origin(s); "
        f"last origin {var} h=1 median {q[0, 1]:.3g} [90%: {q[0, 0]:.3g}, {q[0, 2]:.3g}]"
    )
    write_result(
        out,
        command=sys.argv,
        config=cfg,
        seed=opts.seed,
        wall_time_s=m.wall_s,
        metrics={
            "n_threads": th.values.shape[1],
            "n_origins": len(origins),
            "n_train": n_fit,
            "n_dropped": tp.n_dropped_,
            "nsel": tp.nsel_,
            "threads_mb": th.nbytes / 2**20,
        },
        packages=PACKAGES,
        headline=line,
        extra={"data": str(args.data), "columns": cols},
    )
    print(line)
    if tp.n_dropped_:
        print(f"dropped {tp.n_dropped_} library states touching NaN gaps")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    th = Threads.load(args.threads)
    df, _ = _load(args.data, None, None)
    var = th.columns[0]
    if var not in df.columns:
        raise InputError(f"threads are for {var!r}, which is not a column of {args.data}")
    n_train = int(th.origins[0]) + 1
    names = tuple(b.strip() for b in args.baselines.split(",") if b.strip()) if args.baselines else BASELINES
    period = args.period or None
    ev = evaluate(th, df[var].to_numpy(dtype=float), n_train, var=var, period=period, baselines=names)
    metrics = ev.as_dict()
    if args.json:
        print(json.dumps(metrics))
    else:
        print("CRPS per horizon:")
        for name, v in ev.crps.items():
            print(f"  {name:12s} " + " ".join(f"{x:8.4f}" for x in v))
        print("90% coverage:  " + " ".join(f"{x:8.3f}" for x in ev.coverage90))
    for note in ev.notes:
        print(note, file=sys.stderr)
    if args.out is not None:
        pit_plot(ev, args.out / "pit.png")
        c = ev.crps
        line = f"CRPS h=1: tapestry {c['tapestry'][0]:.3g}" + "".join(
            f", {k} {v[0]:.3g}" for k, v in c.items() if k != "tapestry"
        )
        write_result(args.out, command=sys.argv, metrics=metrics, packages=PACKAGES, headline=line)
    return 0


def _select(args: argparse.Namespace) -> int:
    opts, cfg = _cfg(args, n_maps=args.n_maps, k=args.k, horizons=args.horizons)
    df, cols = _load(args.data, args.variables, args.target)
    params = dict(
        lags=cfg.lags,
        horizons=cfg.horizons,
        nsel=cfg.nsel or 4,
        n_maps=cfg.n_maps,
        k=cfg.k,
        seasonal_period=cfg.seasonal_period or None,
        random_state=opts.seed,
    )
    with measure() as m:
        res = select_variables(
            df[cols], args.target, [c for c in cols if c != args.target], direction=args.direction, **params
        )
    for vs, s in res.path:
        print(f"{s:10.4f}  {'+'.join(vs)}")
    print(f"selected: {', '.join(res.selected)}")
    if opts.out is not None:
        selection_plot(res, opts.out / "selection_path.png")
        write_result(
            opts.out,
            command=sys.argv,
            config=cfg,
            seed=opts.seed,
            wall_time_s=m.wall_s,
            metrics={"path": [[list(v), s] for v, s in res.path], "selected": list(res.selected)},
            packages=PACKAGES,
            headline=f"selected {', '.join(res.selected)}",
        )
    return 0


def _scenario(args: argparse.Namespace) -> int:
    th = Threads.load(args.threads)
    cond = parse_condition(args.condition, th)
    var = args.read or th.columns[0]
    p = cond.probability()
    print(f"P({args.condition}) = {np.mean(p):.3f} (mean over {p.size} origin(s))")
    q_all = th.quantiles([0.1, 0.5, 0.9], var)[-1]
    q_c = cond.quantiles([0.1, 0.5, 0.9], var)[-1]
    for h in range(th.values.shape[2]):
        print(
            f"  {var} h={h + 1}: all threads {q_all[h, 1]:.3g} [{q_all[h, 0]:.3g}, {q_all[h, 2]:.3g}]  "
            f"given condition {q_c[h, 1]:.3g} [{q_c[h, 0]:.3g}, {q_c[h, 2]:.3g}]"
        )
    return 0


def _coefficients(args: argparse.Namespace) -> int:
    th = Threads.load(args.threads)
    hs = None
    if args.horizons:
        try:
            hs = [int(h) for h in args.horizons.split(",") if h.strip()]
        except ValueError:
            raise InputError(f"--horizons must be a comma list of integers, got {args.horizons!r}") from None
    cc = large_coefficient_counts(th, args.var or 0, threshold=args.threshold, band=args.band, horizons=hs)
    if args.json:
        print(json.dumps(cc.as_dict()))
    else:
        print(
            f"{cc.n_good} of {cc.n_fits} local LARS fits of {cc.target} within +-{cc.band:g} sd of the truth; "
            f"share with |beta| > {cc.threshold:g}:"
        )
        for r in cc.by_variable.itertuples():
            print(f"  {r.variable:12s} {r.rate:6.3f}  ({r.n_large} of {r.n_available})")
    if args.out is not None:
        coefficient_plot(cc, args.out / "coefficients.png")
        top = cc.by_variable.iloc[0]
        write_result(
            args.out,
            command=sys.argv,
            metrics=cc.as_dict(),
            packages=PACKAGES,
            headline=f"{top.variable} carries large coefficients in {top.rate:.0%} of good {cc.target} fits",
            extra={"by_coordinate": cc.by_coordinate.to_dict(orient="list")},
        )
    return 0


def _ccm(args: argparse.Namespace) -> int:
    df = load_seasonal_csv(args.data)
    lib = None
    if args.lib_sizes:
        try:
            lib = [int(v) for v in args.lib_sizes.split(",") if v.strip()]
        except ValueError:
            raise InputError(
                f"--lib-sizes must be a comma list of integers, got {args.lib_sizes!r}"
            ) from None
    res = ccm_driver_check(
        df,
        args.x,
        args.y,
        E=args.E,
        tau=args.tau,
        lib_sizes=lib,
        sample=args.sample,
        exclusion_radius=args.exclusion_radius,
        seasonal_period=args.period or None,
        seed=args.seed,
    )
    print(json.dumps(res.as_dict()) if args.json else res.summary())
    if res.n_nan_rows:
        print(
            f"{res.n_nan_rows} rows with NaN: embedding vectors touching them were skipped", file=sys.stderr
        )
    if args.out is not None:
        ccm_plot(res, args.out / "ccm.png")
        write_result(
            args.out,
            command=sys.argv,
            seed=args.seed,
            metrics=res.as_dict(),
            packages=[*PACKAGES, "pyEDM"],
            headline=res.summary(),
        )
    return 0


def _update(args: argparse.Namespace) -> int:
    opts, cfg = _cfg(args)
    df, cols = _load(args.data, args.variables, args.target)
    new, _ = _load(args.new, ",".join(cols), None)
    tp = cfg.model(opts.seed, targets=[args.target] if args.target else None)
    season = df["season"].to_numpy() if "season" in df.columns and cfg.seasonal_period else None
    tp.fit(df[cols].to_numpy(dtype=float), columns=cols, season=season)
    n0 = len(tp.library_)
    new_season = new["season"].to_numpy() if season is not None and "season" in new.columns else None
    tp.update(new[cols].to_numpy(dtype=float), season=new_season)
    th = tp.weave()
    out = opts.out or Path("tapestry-update")
    th.save(out / "threads.npz")
    print(
        f"library grew from {n0} to {len(tp.library_)} states; threads for the new last row saved to "
        f"{out / 'threads.npz'}"
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    opts = common_options(args)
    quick = (
        {
            "sizes": (300, 1000),
            "n_maps": 50,
            "n_origins": 30,
            "memory_maps": 300,
            "lars_maps": 4,
            "lars_repeats": 1,
        }
        if args.quick
        else {}
    )
    # --quick only changes the defaults: an explicit --set still wins
    cfg = resolve_config(BenchConfig, file=opts.config, overrides={**quick, **opts.overrides})
    with measure() as m:
        metrics = run_bench(cfg)
    out = opts.out or Path("tapestry-bench")
    n = max(cfg.sizes)
    line = (
        f"{metrics[f'ms_per_origin_n{n}']:.2f} ms per origin at n={n} ({cfg.n_maps} maps x k={cfg.k}); "
        f"{metrics['speedup_vs_naive_refit']:.0f}x faster than refitting NearestNeighbors per origin; "
        f"LARS mode with {cfg.lars_jobs} processes {metrics['lars_parallel_speedup']:.2f}x vs one"
    )
    write_result(
        out,
        command=sys.argv,
        config=asdict(cfg),
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=[*PACKAGES, "pyEDM"],
        headline=line,
    )
    if not opts.quiet:
        print(line)
    return 0


def _demo(args: argparse.Namespace) -> int:
    opts, cfg = _cfg(args)
    out = opts.out or Path("tapestry-demo")
    n_maps = min(cfg.n_maps, 300)  # keeps the demo under a minute on 1-2 cores
    with measure() as m:
        real = seasonal_experiment("real", n_maps=n_maps, seed=opts.seed)
        l96 = seasonal_experiment(
            "lorenz96", n_maps=n_maps, seed=opts.seed, baselines=("climatology", "persistence")
        )
        sel = select_variables(
            l96.data[l96.variables],
            "prcp1",
            direction="forward",
            lags=4,
            horizons=2,
            nsel=4,
            n_maps=40,
            k=15,
            seasonal_period=4,
            random_state=opts.seed,
        )
        files = [
            fan_chart(
                real.threads,
                out / "fan_chart_sst.png",
                var="sst",
                h=1,
                history=(np.arange(real.n_train), real.data["sst"].to_numpy()[: real.n_train]),
            ),
            fan_chart(l96.threads, out / "fan_chart_lorenz96_prcp1.png", var="prcp1", h=1),
            pit_plot(real.evaluation, out / "pit_sst.png"),
            selection_plot(sel, out / "selection_path_lorenz96.png"),
        ]
    metrics = {f"real_{k}": v for k, v in real.evaluation.as_dict().items()}
    metrics.update({f"lorenz96_{k}": v for k, v in l96.evaluation.as_dict().items()})
    metrics["lorenz96_selected"] = list(sel.selected)
    c = real.evaluation.crps
    line = (
        f"El Nino SST, 36 held-out seasons: tapestry CRPS at h=1 {c['tapestry'][0]:.3f} vs climatology "
        f"{c['climatology'][0]:.3f} (ratio {c['tapestry'][0] / c['climatology'][0]:.3f}), "
        f"SARIMA {c.get('sarima', [np.nan])[0]:.3f}"
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


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``tapestry`` argument parser."""
    parser, sub = make_parser(
        "tapestry",
        version=__version__,
        description="Threads of plausible future histories for forecasting open chaotic systems.",
    )
    p = sub.add_parser("simulate", help="write a test system or the real seasonal data to a CSV")
    p.add_argument(
        "--system",
        choices=("lorenz63", "lorenz96-forced", "logistic", "ar1", "coupled-logistic", "real-seasonal"),
        default="lorenz96-forced",
    )
    p.add_argument("--n", type=int, default=400, help="samples (seasons for lorenz96-forced)")
    p.add_argument("--noise", type=float, default=0.0, help="observation noise sd (lorenz63, logistic)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    p.set_defaults(func=_simulate)

    def data_opts(q: argparse.ArgumentParser, target_required: bool = False) -> None:
        q.add_argument(
            "--data", type=Path, required=True, help="CSV: numeric columns, optional 'season' 0..3"
        )
        q.add_argument("--target", required=target_required, default=None, help="variable to forecast")
        q.add_argument("--variables", default=None, help="comma list of variables (default: all numeric)")

    p = sub.add_parser("weave", help="fit on the data and weave threads for the chosen origins")
    data_opts(p)
    p.add_argument("--origins", default="last:36", help="'end' or 'last:N' (hold out the last N rows)")
    p.add_argument("--horizons", type=int, default=None)
    p.add_argument("--mode", choices=("analog", "lars"), default=None)
    p.add_argument("--n-maps", type=int, default=None)
    p.add_argument("--k", type=int, default=None)
    p.add_argument("--n-jobs", type=int, default=None, help="worker processes for LARS fits (-1: all cores)")
    add_common_options(p)
    p.set_defaults(func=_weave)

    p = sub.add_parser("evaluate", help="score saved threads against the truth and baselines")
    p.add_argument("--threads", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument(
        "--baselines", default=None, help=f"comma list of {', '.join(BASELINES)}, simplex (needs pyEDM)"
    )
    p.add_argument("--period", type=int, default=4, help="seasonal period (0: none)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, default=None, help="folder for result.json and the PIT histogram")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("select", help="forward/backward variable selection by held-out log-likelihood")
    data_opts(p, target_required=True)
    p.add_argument("--direction", choices=("forward", "backward"), default="forward")
    p.add_argument("--n-maps", type=int, default=None)
    p.add_argument("--k", type=int, default=None)
    p.add_argument("--horizons", type=int, default=None)
    add_common_options(p)
    p.set_defaults(func=_select)

    p = sub.add_parser("scenario", help="condition saved threads on an event and read later horizons")
    p.add_argument("--threads", type=Path, required=True)
    p.add_argument("--condition", required=True, help="e.g. 'prcp1@h2>q0.8' or 'x@h1<=0.5'")
    p.add_argument("--read", default=None, help="variable to read (default: the first)")
    p.set_defaults(func=_scenario)

    p = sub.add_parser(
        "coefficients", help="count large LARS coefficients in good threads (which drivers matter)"
    )
    p.add_argument("--threads", type=Path, required=True, help="threads.npz woven with --mode lars")
    p.add_argument("--var", default=None, help="target variable (default: the first)")
    p.add_argument("--threshold", type=float, default=0.1, help="|beta| counted as large (standardised)")
    p.add_argument("--band", type=float, default=0.5, help="good fit: within BAND training sd of the truth")
    p.add_argument("--horizons", default=None, help="comma list of horizons to pool (default all)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, default=None, help="folder for result.json and a bar chart")
    p.set_defaults(func=_coefficients)

    p = sub.add_parser("ccm", help="convergent cross mapping (pyEDM): does X drive Y or Y drive X?")
    p.add_argument("--data", type=Path, required=True, help="CSV with the two columns")
    p.add_argument("--x", required=True, help="candidate driver")
    p.add_argument("--y", required=True, help="candidate response")
    p.add_argument("--E", type=int, default=3, help="embedding dimension")
    p.add_argument("--tau", type=int, default=-1, help="embedding delay (negative: back in time)")
    p.add_argument("--sample", type=int, default=30, help="random libraries per size")
    p.add_argument("--exclusion-radius", type=int, default=0, help="skip neighbours this close in time")
    p.add_argument("--period", type=int, default=0, help="remove this seasonal cycle first (0: none)")
    p.add_argument("--lib-sizes", default=None, help="comma list of library sizes (default: 6 sizes)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, default=None, help="folder for result.json and the CCM curve")
    p.set_defaults(func=_ccm)

    p = sub.add_parser("update", help="append new rows to the library (no refit) and weave from the new end")
    data_opts(p)
    p.add_argument("--new", type=Path, required=True, help="CSV with the new rows (same columns)")
    add_common_options(p)
    p.set_defaults(func=_update)

    p = sub.add_parser("bench", help="latency per origin, memory, ratios vs naive refit and pyEDM")
    p.add_argument("--quick", action="store_true", help="small sizes")
    add_common_options(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("demo", help="seasonal hold-out experiments; writes result.json and figures")
    add_common_options(p)
    p.set_defaults(func=_demo)

    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tapestry`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
