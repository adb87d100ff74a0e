"""Command-line interface of ``overparam`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core_utils import (
    InputError,
    add_common_options,
    cli_main,
    common_options,
    make_parser,
    measure,
    seed_everything,
    write_result,
)
from overparam import __version__

CITATION = (
    "Bartlett, Montanari, Rakhlin. Deep learning: a statistical viewpoint. "
    "Acta Numerica 30, 2021 (arXiv:2103.09177)."
)
DIST = "overparam-theory"


def _out(opts: Any, default: str) -> Path:
    return Path(opts.out) if opts.out is not None else Path(default)


def _experiment_params(name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    from overparam.experiments import EXPERIMENTS

    fn = EXPERIMENTS[name][1]
    allowed = {k for k in inspect.signature(fn).parameters if k not in ("seed", "scale")}
    for key in overrides:
        if key not in allowed:
            raise InputError(f"unknown parameter {key!r} for {name}; known: {', '.join(sorted(allowed))}")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}


def _run(args: argparse.Namespace) -> int:
    from overparam.experiments import run_experiment
    from overparam.figures import plot_experiment

    opts = common_options(args)
    name = args.experiment.upper()
    from overparam.experiments import EXPERIMENTS

    if name not in EXPERIMENTS:
        raise InputError(f"unknown experiment {args.experiment!r}; choose from {', '.join(EXPERIMENTS)}")
    params = _experiment_params(name, opts.overrides)
    out = _out(opts, f"overparam-{name}")
    seed_everything(opts.seed)
    with measure() as m:
        result = run_experiment(name, seed=opts.seed, scale=args.scale, **params)
    plot_experiment(result, out / f"{name}.png")
    summary = result.to_dict()
    write_result(
        out,
        command=["overparam", *sys.argv[1:]],
        config={"experiment": name, "scale": args.scale, **result.params},
        seed=opts.seed,
        metrics=summary,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=[DIST, "scipy", "scikit-learn"],
        headline=f"{name}: {'pass' if result.passed else 'FAIL'} ({sum(c.passed for c in result.checks)}/{len(result.checks)} checks)",
    )
    print(json.dumps(summary, indent=2))
    return 0 if result.passed else 1


def _list(args: argparse.Namespace) -> int:
    from overparam.experiments import EXPERIMENTS

    for name, (title, _) in EXPERIMENTS.items():
        print(f"{name}  {title}")
    return 0


def _formula(args: argparse.Namespace) -> int:
    from overparam import formulas

    if args.which == "hmrt":
        res = formulas.hmrt_isotropic_risk(args.gamma, args.r2, args.sigma2, args.lam)
    elif args.which == "finite":
        if args.n is None or args.p is None:
            raise InputError("formula finite needs --n and --p")
        res = formulas.hmrt_finite_gaussian(args.n, args.p, args.r2, args.sigma2)
    elif args.which == "rf":
        coeffs = formulas.activation_coefficients(args.activation)
        if args.lam > 0:
            b, v = formulas.rf_ridge_bv(args.psi1, args.psi2, coeffs.zeta, args.lam, coeffs.mu_star2)
        else:
            b, v = formulas.rf_ridgeless_bv(args.psi1, args.psi2, coeffs.zeta)
        res = {
            "B": b,
            "V": v,
            "zeta": coeffs.zeta,
            "risk": formulas.rf_risk(b, v, args.f1**2, args.fstar**2, args.tau2),
        }
    else:  # de / ranks on a named spectrum
        from overparam.experiments import SPECTRA

        if args.spectrum not in SPECTRA:
            raise InputError(f"unknown spectrum {args.spectrum!r}; choose from {', '.join(SPECTRA)}")
        if args.n is None or args.p is None:
            raise InputError(f"formula {args.which} needs --n and --p")
        eigs = SPECTRA[args.spectrum](args.p)
        if args.which == "de":
            import numpy as np

            res = formulas.deterministic_equivalent(
                eigs, np.full(args.p, args.r2 / args.p), args.n, args.sigma2, args.lam
            )
        else:
            res = formulas.bllt_bounds(eigs, args.n, args.sigma2, args.r2, b=args.b)
    print(json.dumps(res, indent=2))
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from overparam.reproduce import double_descent

    opts = common_options(args)
    out = _out(opts, "overparam-double-descent")
    with measure() as m:
        metrics = double_descent(out, seed=opts.seed, scale=args.scale, quiet=opts.quiet)
    write_result(
        out,
        command=["overparam", *sys.argv[1:]],
        config={"figure": args.figure, "scale": args.scale},
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=[DIST],
        headline=f"double descent: max relative error off-peak {metrics['max_rel_error_off_peak']:.3f}",
    )
    print(f"wrote {out / 'double_descent.png'}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from overparam.reproduce import demo

    opts = common_options(args)
    out = _out(opts, "overparam-demo")
    with measure() as m:
        metrics = demo(out, seed=opts.seed, quiet=opts.quiet)
    passed = sum(r["passed"] for r in metrics["experiments"].values())
    write_result(
        out,
        command=["overparam", *sys.argv[1:]],
        config={"scale": "demo"},
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=[DIST, "scipy", "scikit-learn"],
        headline=f"{passed}/7 experiments match their closed form (E1-E7, small size)",
    )
    if not opts.quiet:
        print(json.dumps({k: v["passed"] for k, v in metrics["experiments"].items()}))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from overparam.bench import run_bench

    opts = common_options(args)
    out = _out(opts, "overparam-bench")
    with measure() as m:
        metrics = run_bench(quick=args.quick)
    write_result(
        out,
        command=["overparam", *sys.argv[1:]],
        config={"quick": args.quick},
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=[DIST],
        headline=f"closed form {metrics['speedup_formula_vs_simulation']:.0f}x faster than simulation at 1% accuracy",
    )
    print(json.dumps(metrics, indent=2))
    return 0


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``overparam`` argument parser."""
    parser, sub = make_parser(
        "overparam",
        version=__version__,
        description="Implicit regularization, benign overfitting and the linear regime: closed forms + simulations.",
    )
    p = sub.add_parser("list", help="list the experiments E1-E7")
    p.set_defaults(func=_list)

    p = sub.add_parser("run", help="run one experiment (JSON checks + PNG figure)")
    p.add_argument("experiment", help="E1 .. E7")
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the Monte Carlo repetitions (0, 1]")
    add_common_options(p)
    p.set_defaults(func=_run)

    p = sub.add_parser("formula", help="evaluate a closed form and print JSON")
    p.add_argument("which", choices=["hmrt", "finite", "rf", "de", "ranks"])
    p.add_argument("--gamma", type=float, default=2.0, help="p/n (hmrt)")
    p.add_argument("--n", type=int, default=None)
    p.add_argument("--p", type=int, default=None)
    p.add_argument("--r2", type=float, default=1.0, help="||beta||^2")
    p.add_argument("--sigma2", type=float, default=1.0, help="noise variance")
    p.add_argument("--lam", type=float, default=0.0, help="ridge penalty (normalisation in the docs)")
    p.add_argument("--psi1", type=float, default=2.0, help="N/d (rf)")
    p.add_argument("--psi2", type=float, default=3.0, help="n/d (rf)")
    p.add_argument("--activation", default="relu")
    p.add_argument("--f1", type=float, default=1.0, help="norm of the linear target part (rf)")
    p.add_argument("--fstar", type=float, default=0.0, help="norm of the nonlinear target part (rf)")
    p.add_argument("--tau2", type=float, default=0.25, help="label noise variance (rf)")
    p.add_argument(
        "--spectrum",
        default="1/i",
        help="named spectrum for de/ranks: '1/i', '5 spikes + flat tail', 'i^-1/2'",
    )
    p.add_argument("--b", type=float, default=1.0, help="BLLT constant b in k* = min{k: r_k >= b n}")
    p.set_defaults(func=_formula)

    p = sub.add_parser("reproduce", help="reproduce a figure of the survey")
    p.add_argument("figure", choices=["double-descent"])
    p.add_argument("--scale", type=float, default=1.0)
    add_common_options(p)
    p.set_defaults(func=_reproduce)

    p = sub.add_parser("demo", help="all seven experiments at small size, with figures")
    add_common_options(p)
    p.set_defaults(func=_demo)

    p = sub.add_parser("bench", help="time the experiments and the closed forms")
    p.add_argument("--quick", action="store_true", help="smaller sizes")
    add_common_options(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``overparam`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
