"""Command-line interface of ``mri-linf`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from core_utils import (
    add_common_options,
    cli_main,
    common_options,
    make_parser,
    measure,
    resolve_config,
    resolve_device,
    seed_everything,
    write_result,
)
from mri_linf import __version__

CITATION = (
    "Alaifari, Alberti, Gauksson. Localized adversarial artifacts for compressed sensing MRI. "
    "arXiv:2206.05289, 2022."
)
PACKAGES = ["mri-linf"]


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def _command(args: argparse.Namespace) -> list[str]:
    return ["mri-linf", *(sys.argv[1:] if args.argv is None else args.argv)]


def _out(opts, name: str) -> Path:
    return opts.out if opts.out is not None else Path(f"mri-linf-{name}")


def _threads(opts) -> None:
    # single-threaded torch is the fast default on small, busy CPUs (spec Sec. 5 pitfall)
    if opts.threads is None:
        import torch

        torch.set_num_threads(1)


def _experiment_flags(args: argparse.Namespace) -> dict:
    keys = (
        "image",
        "n",
        "mask",
        "spokes",
        "accel",
        "decoder",
        "eta",
        "sigma",
        "steps",
        "lam",
        "rho",
        "weights",
    )
    flags = {k: getattr(args, k, None) for k in keys}
    if getattr(args, "mu", None) is not None:
        flags["mu"] = tuple(args.mu)
    if getattr(args, "etas", None) is not None:
        flags["etas"] = list(args.etas)
    if getattr(args, "radii", None) is not None:
        flags["radii"] = list(args.radii)
    if getattr(args, "no_dnn", False):
        flags["compare_dnn"] = False
    return flags


def _run_experiment(args: argparse.Namespace, name: str) -> int:
    from mri_linf import experiments

    opts = common_options(args)
    _threads(opts)
    resolve_device(opts.device)  # validated; these solvers run on the CPU
    cfg = resolve_config(
        experiments.ExperimentConfig,
        file=opts.config,
        overrides=opts.overrides,
        flags=_experiment_flags(args),
    )
    seed_everything(opts.seed)
    out = _out(opts, name)
    runner = {
        "recon": experiments.run_recon,
        "attack": experiments.run_attack,
        "sweep": experiments.run_sweep,
    }[name]
    kwargs = {} if name == "recon" else {"quiet": opts.quiet}
    with measure() as m:
        metrics, head = runner(cfg, out, seed=opts.seed, **kwargs)
    write_result(
        out,
        command=_command(args),
        config=cfg,
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=head,
    )
    if not opts.quiet:
        print(head)
    return 0


def _mask(args: argparse.Namespace) -> int:
    from mri_linf import figures
    from mri_linf.operators import SubsampledFourier, make_mask

    opts = common_options(args)
    out = _out(opts, "mask")
    mask = make_mask(args.kind, args.n, spokes=args.spokes, accel=args.accel, seed=opts.seed)
    op = SubsampledFourier(mask)
    import numpy as np

    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "mask.npy", mask.numpy())
    figures.save_mask(out / "mask.png", mask, f"{args.kind} mask, m = {op.m}")
    metrics = {"m": op.m, "n2_over_m": op.undersampling, "sampling_rate": op.m / op.n_pixels}
    head = f"{args.kind} mask {args.n}^2: m = {op.m} samples ({100 * op.m / op.n_pixels:.1f}%), n^2/m = {op.undersampling:.2f}"
    write_result(
        out,
        command=_command(args),
        config={"kind": args.kind, "n": args.n, "spokes": args.spokes, "accel": args.accel},
        seed=opts.seed,
        metrics=metrics,
        packages=PACKAGES,
        headline=head,
    )
    if not opts.quiet:
        print(head)
    return 0


def _recovery(args: argparse.Namespace) -> int:
    from mri_linf import experiments

    opts = common_options(args)
    _threads(opts)
    flags = {"image": args.image, "n": args.n, "decoder": args.decoder}
    if args.spokes is not None:
        flags["spokes"] = list(args.spokes)
    cfg = resolve_config(experiments.RecoveryConfig, file=opts.config, overrides=opts.overrides, flags=flags)
    out = _out(opts, "recovery")
    with measure() as m:
        metrics, head = experiments.run_recovery(cfg, out, seed=opts.seed, quiet=opts.quiet)
    write_result(
        out,
        command=_command(args),
        config=cfg,
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=head,
    )
    if not opts.quiet:
        print(head)
    return 0


def _train(args: argparse.Namespace) -> int:
    from mri_linf import dnn, figures

    opts = common_options(args)
    _threads(opts)
    device = resolve_device(opts.device)
    cfg = resolve_config(
        dnn.TrainConfig, file=opts.config, overrides=opts.overrides, flags={"steps": args.steps, "n": args.n}
    )
    out = _out(opts, "train-dnn")
    with measure() as m:
        res = dnn.train_unet(
            cfg,
            seed=opts.seed,
            checkpoint=out / "checkpoint.pt",
            resume=not args.restart,
            device=device,
            quiet=opts.quiet,
        )
        metrics = dnn.evaluate_unet(res.net, cfg)
    metrics["final_loss"] = res.losses[-1]
    dnn.save_weights(out / "unet.npz", res.net, cfg, seed=opts.seed, extra=metrics)
    figures.save_curves(
        out / "loss.png",
        range(1, len(res.losses) + 1),
        {"MSE": res.losses},
        xlabel="step",
        ylabel="loss",
        title="U-Net training (noise jittering)",
        logy=True,
    )
    head = (
        f"U-Net ({metrics['n_params']} params) rel l2 error {metrics['unet_rel_l2']:.3f} vs zero-filled "
        f"{metrics['zero_filled_rel_l2']:.3f} on held-out ellipses"
    )
    write_result(
        out,
        command=_command(args),
        config=cfg,
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=head,
    )
    if not opts.quiet:
        print(head)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from mri_linf import benchmark

    opts = common_options(args)
    _threads(opts)
    out = _out(opts, "bench")
    with measure() as m:
        metrics, head = benchmark.run_benchmarks(
            out, quick=args.quick, peer=not args.no_peer, quiet=opts.quiet
        )
    write_result(
        out,
        command=_command(args),
        config={"quick": args.quick, "peer": not args.no_peer},
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=[*PACKAGES, "sigpy"],
        headline=head,
    )
    if not opts.quiet:
        print(head)
    return 0


def _demo(args: argparse.Namespace) -> int:
    # the demo is the attack at the spec's reproduction settings with fewer Adam steps
    args.steps = args.steps if args.steps is not None else 25
    return _run_experiment(args, "attack")


def _add_problem(p: argparse.ArgumentParser, *, attack: bool = True) -> None:
    p.add_argument(
        "--image", default=None, help="shepp-logan | ellipses | brain[:KEY] | path (.npy/.png/.nii[.gz])"
    )
    p.add_argument("--n", type=int, default=None, help="image side (default 128)")
    p.add_argument("--mask", default=None, choices=("radial", "cartesian", "gaussian"))
    p.add_argument("--spokes", type=int, default=None, help="radial spokes (default 30)")
    p.add_argument("--accel", type=float, default=None, help="acceleration of cartesian/gaussian masks")
    p.add_argument("--decoder", default=None, help="tv | tv-iso | tv-pd | wavelet | unet | zero-filled")
    p.add_argument("--lam", type=float, default=None, help="regularisation weight lambda")
    p.add_argument("--rho", type=float, default=None, help="ADMM penalty rho")
    p.add_argument("--weights", default=None, help="U-Net weights (.npz from train-dnn); default: shipped")
    if attack:
        p.add_argument(
            "--eta", type=float, default=None, help="relative budget ||e|| <= eta ||y|| (default 0.01)"
        )
        p.add_argument("--mu", type=float, nargs=2, default=None, metavar=("ROW", "COL"), help="disk centre")
        p.add_argument("--sigma", type=float, default=None, help="disk radius in pixels (default 3)")
        p.add_argument("--steps", type=int, default=None, help="Adam steps (default 40)")
        p.add_argument("--no-dnn", action="store_true", help="do not also attack the U-Net")


def build_parser() -> argparse.ArgumentParser:
    """The ``mri-linf`` argument parser."""
    parser, sub = make_parser(
        "mri-linf",
        version=__version__,
        description="k-space attacks causing localized l-infinity artifacts in TV and DNN MRI reconstruction.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)

    p = sub.add_parser("mask", help="make a k-space mask (saves mask.npy and mask.png)")
    p.add_argument("--kind", default="radial", choices=("radial", "cartesian", "gaussian"))
    p.add_argument("--n", type=int, default=128)
    p.add_argument("--spokes", type=int, default=30)
    p.add_argument("--accel", type=float, default=4.0)
    add_common_options(p)
    p.set_defaults(func=_mask)

    p = sub.add_parser("recon", help="reconstruct an image from subsampled k-space")
    _add_problem(p, attack=False)
    add_common_options(p)
    p.set_defaults(func=lambda a: _run_experiment(a, "recon"))

    p = sub.add_parser("attack", help="localized l-inf attack on a decoder (and the U-Net, with transfer)")
    _add_problem(p)
    add_common_options(p)
    p.set_defaults(func=lambda a: _run_experiment(a, "attack"))

    p = sub.add_parser("sweep", help="attack over a list of eta (or of disk radii) with a plot")
    _add_problem(p)
    p.add_argument("--etas", type=float, nargs="+", default=None, help="eta values")
    p.add_argument("--radii", type=float, nargs="+", default=None, help="sweep disk radii instead of eta")
    add_common_options(p)
    p.set_defaults(func=lambda a: _run_experiment(a, "sweep"))

    p = sub.add_parser("recovery", help="exact-recovery curve: error vs number of radial spokes")
    p.add_argument("--image", default="shepp-logan")
    p.add_argument("--n", type=int, default=128)
    p.add_argument("--spokes", type=int, nargs="+", default=None)
    p.add_argument("--decoder", default="tv", choices=("tv", "tv-iso", "wavelet"))
    add_common_options(p)
    p.set_defaults(func=_recovery)

    p = sub.add_parser("train-dnn", help="train the U-Net on random ellipses with noise jittering")
    p.add_argument("--steps", type=int, default=None, help="training steps (default 1500)")
    p.add_argument("--n", type=int, default=None, help="image side (default 128)")
    p.add_argument("--restart", action="store_true", help="ignore an existing checkpoint in --out")
    add_common_options(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("bench", help="TV speed vs sigpy, iterations to a gap, attack time, unrolling memory")
    p.add_argument("--quick", action="store_true", help="smaller problem sizes (for tests)")
    p.add_argument("--no-peer", action="store_true", help="skip the sigpy comparison")
    add_common_options(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("demo", help="128^2 Shepp-Logan: attack TV and the U-Net at eta = 1%% (< 60 s)")
    _add_problem(p)
    add_common_options(p, out_default="mri-linf-demo")
    p.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mri-linf`` command."""
    parser = build_parser()
    parser.set_defaults(argv=list(argv) if argv is not None else None)
    return cli_main(parser, argv)


if __name__ == "__main__":
    raise SystemExit(main())
