"""Command-line interface of ``dp-zero`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace

from core_utils import (
    InputError,
    add_common_options,
    cli_main,
    common_options,
    make_parser,
    measure,
    new_figure,
    resolve_config,
    save_figure,
    write_result,
)
from dp_zero import __version__

CITATION = "Bu, Chiu, Liu, Zha, Karypis. Zero redundancy distributed learning with differential privacy. arXiv:2311.11822, 2023."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def _account(args: argparse.Namespace) -> int:
    from dp_zero.accounting import get_epsilon

    opts = common_options(args)
    eps = get_epsilon(args.q, args.sigma, args.steps, args.delta, args.accounting)
    print(f"epsilon = {eps:.4f} (delta = {args.delta:g}, {args.accounting})")
    if opts.out:
        write_result(opts.out, command=sys.argv, config=vars_of(args), seed=opts.seed, packages=["dp-zero"],
                     metrics={"epsilon": eps}, headline=f"epsilon = {eps:.4f}")  # fmt: skip
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from dp_zero.accounting import get_epsilon, get_noise_multiplier

    opts = common_options(args)
    if (args.epochs is None) == (args.steps is None):
        raise InputError("give exactly one of --epochs and --steps")
    sigma = get_noise_multiplier(args.target_eps, args.delta, args.q, epochs=args.epochs, steps=args.steps,
                                 accounting=args.accounting)  # fmt: skip
    steps = args.steps if args.steps is not None else int(args.epochs / args.q)
    eps = get_epsilon(args.q, sigma, steps, args.delta, args.accounting)
    print(f"sigma = {sigma:.4f} (epsilon = {eps:.4f} after {steps} steps, delta = {args.delta:g})")
    if opts.out:
        write_result(opts.out, command=sys.argv, config=vars_of(args), seed=opts.seed, packages=["dp-zero"],
                     metrics={"noise_multiplier": sigma, "epsilon": eps, "steps": steps},
                     headline=f"sigma = {sigma:.4f}")  # fmt: skip
    return 0


def vars_of(args: argparse.Namespace) -> dict:
    return {k: v for k, v in vars(args).items() if k != "func" and not callable(v)}


def _train_config(args: argparse.Namespace, opts):
    from dp_zero.training import TrainConfig

    flags = {
        "dataset": args.dataset, "backend": args.backend, "stage": args.stage,
        "nproc": args.nproc if args.nproc is not None else (1 if args.backend == "local" else 2),
        "precision": args.precision, "epochs": args.epochs, "batch_size": args.batch_size,
        "grad_accum": args.grad_accum, "lr": args.lr, "optimizer": args.optimizer,
        "target_epsilon": args.target_epsilon, "noise_multiplier": args.noise_multiplier,
        "delta": args.delta, "max_grad_norm": args.max_grad_norm, "clipping_fn": args.clipping_fn,
        "clipping_style": args.clipping_style, "accounting": args.accounting,
        "resume": args.resume or None, "checkpoint_every": args.checkpoint_every,
    }  # fmt: skip
    cfg = resolve_config(TrainConfig, file=opts.config, overrides=opts.overrides, flags=flags)
    if args.noise_multiplier is not None and args.target_epsilon is None:
        cfg = replace(cfg, target_epsilon=None)
    if args.non_private:
        cfg = replace(cfg, private=False, target_epsilon=None, noise_multiplier=None)
    from core_utils import resolve_device

    device = resolve_device(opts.device) if cfg.backend == "local" else "cpu"
    return replace(
        cfg, seed=opts.seed, out=str(opts.out) if opts.out else None, quiet=opts.quiet, device=device
    )


def _train(args: argparse.Namespace) -> int:
    from dp_zero.training import run

    opts = common_options(args)
    cfg = _train_config(args, opts)
    cfg.validate()
    with measure() as m:
        res = run(cfg)
    eps = res.get("epsilon")
    head = f"test accuracy {res['test_accuracy']:.3f}" + (
        f" at epsilon {eps:.2f}" if eps is not None else " (non-private)"
    )
    print(head)
    if opts.out:
        metrics = {k: v for k, v in res.items() if k not in ("config", "loss_curve")}
        write_result(opts.out, command=sys.argv, config=asdict(cfg), seed=opts.seed, metrics=metrics,
                     wall_time_s=m.wall_s, peak_memory_mb=m.peak_rss_mb, packages=["dp-zero", "deepspeed"],
                     headline=head, extra={"loss_curve": res["loss_curve"]})  # fmt: skip
    return 0


def _demo(args: argparse.Namespace) -> int:
    from dp_zero.training import TrainConfig, run

    opts = common_options(args)
    out = opts.out
    if out is None:
        raise InputError("demo needs --out DIR")
    if opts.threads is None:
        import torch

        torch.set_num_threads(1)  # the demo's small MLP is fastest (and steadiest) on one thread
    from core_utils import resolve_device

    base = TrainConfig(
        dataset="digits",
        epochs=args.epochs,
        seed=opts.seed,
        quiet=opts.quiet,
        device=resolve_device(opts.device),
    )
    with measure() as m:
        dp = run(base)
        plain = run(replace(base, private=False, target_epsilon=None))
    fig, ax = new_figure()
    for res, label in ((plain, "non-private"), (dp, f"DP-Adam, epsilon={dp['epsilon']:.2f}")):
        steps = [s for s, _ in res["loss_curve"]]
        losses = [v for _, v in res["loss_curve"]]
        k = 10
        smooth = [
            sum(losses[max(0, i - k + 1) : i + 1]) / len(losses[max(0, i - k + 1) : i + 1])
            for i in range(len(losses))
        ]
        ax.plot(steps, smooth, label=f"{label} (test acc {res['test_accuracy']:.3f})")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training loss (10-step mean)")
    ax.set_title("digits: private vs non-private training")
    ax.legend()
    save_figure(fig, out / "loss_curves.png")
    head = (f"digits: DP test accuracy {dp['test_accuracy']:.3f} at epsilon {dp['epsilon']:.2f} "
            f"(delta {dp['delta']:.1e}) vs non-private {plain['test_accuracy']:.3f}")  # fmt: skip
    print(head)
    metrics = {
        "dp_test_accuracy": dp["test_accuracy"], "non_private_test_accuracy": plain["test_accuracy"],
        "epsilon": dp["epsilon"], "delta": dp["delta"], "noise_multiplier": dp["noise_multiplier"],
        "steps": dp["steps"],
    }  # fmt: skip
    write_result(out, command=sys.argv, config=asdict(base), seed=opts.seed, metrics=metrics,
                 wall_time_s=m.wall_s, peak_memory_mb=m.peak_rss_mb, packages=["dp-zero"], headline=head)  # fmt: skip
    return 0


def _verify(args: argparse.Namespace) -> int:
    from dp_zero.verify import run_verify

    opts = common_options(args)
    stages = tuple(int(s) for s in args.stages.split(","))
    if any(s not in (1, 2, 3) for s in stages):
        raise InputError(f"--stages must list ZeRO stages from 1,2,3, got {args.stages!r}")
    with measure() as m:
        res = run_verify(backend=args.backend, nproc=args.nproc, stages=stages)
    for name, value, tol, ok in res["rows"]:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {value:.4g} (reference/tolerance {tol:.4g})")
    head = f"verify: {res['passed']} passed, {res['failed']} failed"
    print(head)
    if opts.out:
        write_result(opts.out, command=sys.argv, config=vars_of(args), seed=opts.seed, metrics=res,
                     wall_time_s=m.wall_s, packages=["dp-zero", "deepspeed"], headline=head)  # fmt: skip
    return 0 if res["failed"] == 0 else 1


def _bench(args: argparse.Namespace) -> int:
    from dp_zero.bench import BenchConfig, run_bench

    opts = common_options(args)
    stages = tuple(int(s) for s in args.stages.split(",")) if args.stages else ()
    if any(s not in (1, 2, 3) for s in stages):
        raise InputError(f"--stages must list ZeRO stages from 1,2,3, got {args.stages!r}")
    cfg = BenchConfig(
        stages=stages, nproc=args.nproc, steps=args.steps, seed=opts.seed, opacus=not args.no_opacus
    )
    with measure() as m:
        res = run_bench(cfg)
    for row in res["zero"]:
        print(f"ZeRO-{row['stage']}: DP/non-DP step time {row['step_time_ratio']:.2f}, peak RSS "
              f"{row['peak_rss_ratio']:.2f}, bytes/step {row['bytes_per_step_dp']:.0f} vs "
              f"{row['bytes_per_step_non_dp']:.0f} (equal: {row['bytes_equal']})")  # fmt: skip
    single = res["single_process"]
    line = f"one process: dp-zero/non-DP {single['dp_zero_over_non_dp']:.2f}"
    if single.get("opacus_over_dp_zero"):
        line += f", Opacus/dp-zero {single['opacus_over_dp_zero']:.2f}"
    print(line)
    if opts.out:
        write_result(opts.out, command=sys.argv, config=asdict(cfg), seed=opts.seed, metrics=res,
                     wall_time_s=m.wall_s, peak_memory_mb=m.peak_rss_mb,
                     packages=["dp-zero", "deepspeed", "opacus"], headline=line)  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``dp-zero`` argument parser."""
    parser, sub = make_parser(
        "dp-zero",
        version=__version__,
        description="Differentially private training inside DeepSpeed ZeRO stages 1/2/3 with mixed precision.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)

    p = sub.add_parser("account", help="epsilon of the Poisson-subsampled Gaussian after STEPS steps")
    p.add_argument("--q", type=float, required=True, help="sample rate B/n")
    p.add_argument("--sigma", type=float, required=True, help="noise multiplier")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--delta", type=float, default=1e-5)
    p.add_argument("--accounting", choices=("rdp", "prv", "glw"), default="rdp")
    add_common_options(p)
    p.set_defaults(func=_account)

    p = sub.add_parser("calibrate", help="noise multiplier for a target epsilon")
    p.add_argument("--target-eps", type=float, required=True)
    p.add_argument("--q", type=float, required=True, help="sample rate B/n")
    p.add_argument("--epochs", type=float, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--delta", type=float, default=1e-5)
    p.add_argument("--accounting", choices=("rdp", "prv", "glw"), default="rdp")
    add_common_options(p)
    p.set_defaults(func=_calibrate)

    p = sub.add_parser("train", help="private training (launches NPROC processes itself)")
    p.add_argument("--backend", default="local", help="local, deepspeed, fsdp or zero-optimizer")
    p.add_argument("--stage", type=int, default=2, help="ZeRO stage 1, 2 or 3 (deepspeed)")
    p.add_argument("--nproc", type=int, default=None, help="processes (default 1 local, 2 otherwise)")
    p.add_argument("--precision", default="fp32", help="fp32, bf16 or fp16 (static loss scale 1)")
    p.add_argument("--dataset", default="digits", help="digits, synthetic or a .npz with X and y")
    p.add_argument("--epochs", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--grad-accum", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--optimizer", default=None, help="adam (DP-Adam) or sgd (DP-SGD)")
    p.add_argument("--target-epsilon", type=float, default=None)
    p.add_argument("--noise-multiplier", type=float, default=None)
    p.add_argument("--delta", type=float, default=None, help="default 1/(2n)")
    p.add_argument("--max-grad-norm", type=float, default=None)
    p.add_argument("--clipping-fn", default=None, help="automatic, abadi or global")
    p.add_argument("--clipping-style", default=None, help="layer-wise or all-layer (local only)")
    p.add_argument("--accounting", default=None, help="rdp, prv or glw")
    p.add_argument("--non-private", action="store_true", help="train without DP (baseline)")
    p.add_argument("--checkpoint-every", type=int, default=None, help="checkpoint every N steps in --out")
    p.add_argument("--resume", action="store_true", help="resume from the checkpoint in --out")
    add_common_options(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("demo", help="DP vs non-private training on scikit-learn digits (< 1 min)")
    p.add_argument("--epochs", type=float, default=15.0)
    add_common_options(p)
    p.set_defaults(func=_demo)

    p = sub.add_parser("verify", help="run the method's oracles (norms, clipping, noise, accountant, ZeRO)")
    p.add_argument("--backend", choices=("deepspeed", "fsdp", "zero-optimizer", "none"), default="deepspeed")
    p.add_argument("--nproc", type=int, default=2)
    p.add_argument("--stages", default="1,2,3")
    add_common_options(p)
    p.set_defaults(func=_verify)

    p = sub.add_parser("bench", help="DP vs non-DP ZeRO step time, memory, bytes; dp-zero vs Opacus")
    p.add_argument("--stages", default="1,2,3", help="ZeRO stages to measure ('' for none)")
    p.add_argument("--nproc", type=int, default=2)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--no-opacus", action="store_true")
    add_common_options(p)
    p.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dp-zero`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
