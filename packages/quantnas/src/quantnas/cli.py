"""Command-line interface of ``quantnas`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import dataclasses
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
    load_checkpoint,
    make_parser,
    measure,
    resolve_config,
    resolve_device,
    save_checkpoint,
    write_result,
)
from quantnas import __version__

CITATION = (
    "Shvetsov et al. QuantNAS for super resolution: searching for efficient quantization-friendly "
    "architectures against quantization noise. arXiv:2208.14839, 2022."
)
PACKAGES = ["quantnas", "scikit-image", "scikit-learn"]


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def _split_overrides(overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``--set key=v`` goes to the search config, ``--set train.key=v`` to the training config."""
    s = {k: v for k, v in overrides.items() if not k.startswith("train.")}
    t = {k[len("train.") :]: v for k, v in overrides.items() if k.startswith("train.")}
    return s, t


def _out(opts: Any, default: str) -> Path:
    return Path(opts.out) if opts.out is not None else Path(default)


def _search_cfg(args: argparse.Namespace, opts: Any, overrides: dict[str, Any]) -> Any:
    from quantnas.search import SearchConfig

    flags = {
        "space": getattr(args, "space", None),
        "penalty": getattr(args, "penalty", None),
        "bits": getattr(args, "bits", None),
        "mode": getattr(args, "mode", None),
        "noise_kind": getattr(args, "noise", None),
        "epochs": getattr(args, "epochs", None),
        "warm_up": getattr(args, "warm_up", None),
        "scale": getattr(args, "scale", None),
        "images": getattr(args, "images", None),
        "adq": False if getattr(args, "no_adq", False) else None,
        "entropy": False if getattr(args, "no_entropy", False) else None,
    }
    return resolve_config(SearchConfig, file=opts.config, section="search", overrides=overrides, flags=flags)


def _train_cfg(args: argparse.Namespace, opts: Any, overrides: dict[str, Any]) -> Any:
    from quantnas.train import TrainConfig

    flags = {"epochs": getattr(args, "train_epochs", None), "images": getattr(args, "images", None)}
    return resolve_config(TrainConfig, file=opts.config, section="train", overrides=overrides, flags=flags)


def _search(args: argparse.Namespace) -> int:
    from quantnas.search import final_entropy, search

    opts = common_options(args)
    s_over, _ = _split_overrides(opts.overrides)
    cfg = _search_cfg(args, opts, s_over)
    out = _out(opts, "quantnas-search")
    with measure() as m:
        res = search(cfg, seed=opts.seed, out_dir=out, device=resolve_device(opts.device), quiet=opts.quiet)
    geno = res.genotype
    write_result(
        out,
        command=["quantnas", *sys.argv[1:]],
        config=cfg,
        seed=opts.seed,
        metrics={
            "expected_gbitops": res.history[-1]["expected_gbitops"],
            "final_mean_entropy": final_entropy(res),
            "bits_histogram": geno.bits_histogram(),
            "history": res.history,
        },
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=f"genotype {geno.bits_histogram()} (bits: blocks), E[BitOps] {res.history[-1]['expected_gbitops']:.3g} G",
        extra={"genotype": geno.to_dict()},
    )
    print(out / "genotype.json")
    return 0


def _train(args: argparse.Namespace) -> int:
    from quantnas.bitops import bitops, count_params
    from quantnas.data import load_images
    from quantnas.evaluation import evaluate_model
    from quantnas.export import export_model, save_exported
    from quantnas.space import Genotype
    from quantnas.train import train

    opts = common_options(args)
    _, t_over = _split_overrides(opts.overrides)
    t_over = {**{k: v for k, v in opts.overrides.items() if not k.startswith("train.")}, **t_over}
    cfg = _train_cfg(args, opts, t_over)
    geno = Genotype.from_json(args.genotype)
    out = _out(opts, "quantnas-train")
    with measure() as m:
        res = train(
            geno, cfg, seed=opts.seed, out_dir=out, device=resolve_device(opts.device), quiet=opts.quiet
        )
        model = res.model.cpu()
        save_checkpoint(out / "model.pt", {"genotype": geno.to_dict(), "state": model.state_dict()})
        save_exported(model, out / "model_int.pt")
        ev_imgs = load_images(args.eval_images, "eval")
        ev = evaluate_model(model, ev_imgs, geno.space.scale, args.eval_crop)
        ev_int = evaluate_model(export_model(model), ev_imgs, geno.space.scale, args.eval_crop)
    b = bitops(model)
    write_result(
        out,
        command=["quantnas", *sys.argv[1:]],
        config=cfg,
        seed=opts.seed,
        metrics={
            "label": args.label,
            "psnr": ev["psnr"],
            "ssim": ev["ssim"],
            "psnr_exported": ev_int["psnr"],
            "per_image": ev["per_image"],
            "bitops": b,
            "params": count_params(model),
            "history": res.history,
        },
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=f"{args.label}: Y-PSNR {ev['psnr']:.2f} dB (exported {ev_int['psnr']:.2f}) at {b / 1e9:.3g} GBitOps",
        extra={"genotype": geno.to_dict()},
    )
    return 0


def _load_model(path: Path) -> Any:
    from quantnas.export import load_exported
    from quantnas.space import DiscreteNet, Genotype

    data = load_checkpoint(path)
    state = data.get("state") if isinstance(data, dict) else None
    if state is None or "genotype" not in data:
        raise InputError(f"{path} is not a quantnas model file (model.pt or model_int.pt)")
    if any(k.endswith("w_codes") for k in state):
        return load_exported(path)
    model = DiscreteNet(Genotype.from_dict(data["genotype"]))
    model.load_state_dict(state)
    return model.eval()


def _eval(args: argparse.Namespace) -> int:
    from quantnas.bitops import bitops, count_params
    from quantnas.data import load_images
    from quantnas.evaluation import evaluate_model

    opts = common_options(args)
    model = _load_model(Path(args.model))
    imgs = load_images(args.images, "eval")
    with measure() as m:
        ev = evaluate_model(model, imgs, model.space.scale, args.eval_crop)
    b = bitops(model)
    metrics = {"label": args.label, **ev, "bitops": b, "params": count_params(model)}
    print(json.dumps({"psnr": round(ev["psnr"], 3), "ssim": round(ev["ssim"], 4), "gbitops": b / 1e9}))
    if opts.out is not None:
        write_result(
            opts.out,
            command=["quantnas", *sys.argv[1:]],
            seed=opts.seed,
            metrics=metrics,
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=f"{args.label}: Y-PSNR {ev['psnr']:.2f} dB at {b / 1e9:.3g} GBitOps",
        )
    return 0


def _parse_hw(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--input must look like 32x32, got {text!r}") from None
    if h < 1 or w < 1:
        raise InputError(f"--input sides must be positive, got {text!r}")
    return h, w


def _bitops(args: argparse.Namespace) -> int:
    from quantnas.bitops import bitops, count_macs, count_params
    from quantnas.space import DiscreteNet, Genotype, load_space

    opts = common_options(args)
    hw = _parse_hw(args.input)
    space = load_space(args.space) if args.space else None
    geno = Genotype.from_json(args.genotype, space)
    model = DiscreteNet(geno)
    metrics = {
        "bitops": bitops(model, hw),
        "macs": count_macs(model, hw),
        "params": count_params(model),
        "input": list(hw),
    }
    print(json.dumps(metrics))
    if opts.out is not None:
        write_result(
            opts.out,
            command=["quantnas", *sys.argv[1:]],
            metrics=metrics,
            packages=PACKAGES,
            headline=f"{metrics['bitops'] / 1e9:.4g} GBitOps at {hw[0]}x{hw[1]}",
        )
    return 0


def _baseline(args: argparse.Namespace) -> int:
    from quantnas.data import load_images
    from quantnas.pipeline import run_baseline

    opts = common_options(args)
    s_over, t_over = _split_overrides(opts.overrides)
    scfg = _search_cfg(args, opts, s_over)
    tcfg = _train_cfg(args, opts, t_over)
    out = _out(opts, f"quantnas-baseline-{args.kind}")
    with measure() as m:
        tr = load_images(scfg.images, "train") if args.kind != "bicubic" else []
        ev = load_images(args.eval_images, "eval")
        r = run_baseline(
            args.kind,
            scfg,
            tcfg,
            tr,
            ev,
            seed=opts.seed,
            eval_crop=args.eval_crop,
            out_dir=out,
            device=resolve_device(opts.device),
            quiet=opts.quiet,
        )
    write_result(
        out,
        command=["quantnas", *sys.argv[1:]],
        config={"search": scfg, "train": tcfg},
        seed=opts.seed,
        metrics={**r.as_dict(), "history": r.history},
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=f"{r.label}: Y-PSNR {r.psnr:.2f} dB at {r.bitops / 1e9:.3g} GBitOps",
    )
    return 0


def _pareto(args: argparse.Namespace) -> int:
    from core_utils.records import read_result
    from quantnas.pareto import ModelPoint, pareto_front, plot_pareto

    opts = common_options(args)
    points = []
    for folder in args.runs:
        try:
            rec = read_result(folder)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read result.json in {folder}: {exc}") from None
        met = rec.get("metrics", {})
        if "psnr" not in met or "bitops" not in met:
            raise InputError(
                f"{folder}/result.json has no psnr/bitops metrics (use train, eval or baseline runs)"
            )
        label = met.get("label") or Path(folder).name
        group = (
            "bicubic"
            if label == "bicubic"
            else ("searched" if label.startswith(("quantnas", "searched")) else "baseline")
        )
        points.append(ModelPoint(label, group, float(met["bitops"]), float(met["psnr"])))
    out = _out(opts, "quantnas-pareto")
    png = plot_pareto(points, out / "pareto.png")
    front = [p.label for p in pareto_front(points)]
    write_result(
        out,
        command=["quantnas", *sys.argv[1:]],
        metrics={"points": [dataclasses.asdict(p) for p in points], "front": front},
        packages=PACKAGES,
        headline=f"Pareto front: {', '.join(front)}",
    )
    print(png)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from quantnas.benchmark import search_step_memory, search_step_times
    from quantnas.space import load_space

    opts = common_options(args)
    for name in ("steps", "repeats", "memory_steps", "batch_size", "lr_crop"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    space = load_space(args.space, channels=args.channels, cells=1)
    geometry = {"batch_size": args.batch_size, "lr_crop": args.lr_crop, "seed": opts.seed}
    with measure() as m:
        res = search_step_times(space, steps=args.steps, repeats=args.repeats, **geometry)
        if args.memory:
            mem = search_step_memory(space, steps=args.memory_steps, **geometry)
            res = {**res, **mem}
    out = _out(opts, "quantnas-bench")
    headline = f"search step: quantization noise {res['speedup_noise_vs_direct']:.2f}x the speed of direct quantization"
    if "memory_ratio_noise_vs_direct" in res:
        headline += f", {res['memory_ratio_noise_vs_direct']:.2f}x its peak step memory"
    write_result(
        out,
        command=["quantnas", *sys.argv[1:]],
        seed=opts.seed,
        metrics=res,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=headline,
    )
    print(json.dumps({k: v for k, v in res.items() if not isinstance(v, dict)}))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from quantnas.demo import run_demo

    opts = common_options(args)
    out = _out(opts, "quantnas-demo")
    with measure() as m:
        res = run_demo(out, seed=opts.seed, quiet=opts.quiet)
    write_result(
        out,
        command=["quantnas", *sys.argv[1:]],
        config=res["config"],
        seed=opts.seed,
        metrics=res["metrics"],
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=PACKAGES,
        headline=res["headline"],
    )
    print(res["headline"])
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``quantnas`` argument parser."""
    parser, sub = make_parser(
        "quantnas",
        version=__version__,
        description="Quantization-aware differentiable architecture search for image super-resolution.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)

    def search_flags(p: argparse.ArgumentParser) -> None:
        p.add_argument("--space", default=None, help="preset (basic, rfdn) or TOML file with a [space] table")
        p.add_argument("--penalty", type=float, default=None, help="BitOps penalty eta (default 1e-4)")
        p.add_argument("--bits", type=int, nargs="+", default=None, help="candidate bit-widths (default 4 8)")
        p.add_argument(
            "--mode", choices=("noise", "shared", "fp"), default=None, help="quantization in the search"
        )
        p.add_argument("--noise", choices=("uniform", "gaussian"), default=None, help="noise distribution")
        p.add_argument("--epochs", type=int, default=None)
        p.add_argument("--warm-up", type=int, default=None, help="epochs before architecture steps start")
        p.add_argument("--scale", type=int, default=None, help="2, 3 or 4")
        p.add_argument("--images", default=None, help="builtin, synthetic, or an image folder (training)")
        p.add_argument("--no-adq", action="store_true", help="ablation: plain residuals instead of ADQ")
        p.add_argument("--no-entropy", action="store_true", help="ablation: no entropy regularizer")

    p = sub.add_parser("search", help="search a genotype (checkpoints every epoch; rerun to resume)")
    search_flags(p)
    add_common_options(p)
    p.set_defaults(func=_search)

    p = sub.add_parser("train", help="train a genotype from scratch with QAT, export and evaluate it")
    p.add_argument("--genotype", required=True, help="genotype.json from search")
    p.add_argument("--train-epochs", dest="train_epochs", type=int, default=None)
    p.add_argument("--images", default=None, help="training images: builtin, synthetic or a folder")
    p.add_argument(
        "--eval-images", default="builtin", help="evaluation images: builtin, synthetic or a folder"
    )
    p.add_argument("--eval-crop", type=int, default=None, help="evaluate central HR crops of this size")
    p.add_argument("--label", default="quantnas", help="name of this model in result.json and plots")
    add_common_options(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("eval", help="evaluate a trained (model.pt) or exported (model_int.pt) model")
    p.add_argument("--model", required=True)
    p.add_argument("--images", default="builtin", help="builtin, synthetic or a folder")
    p.add_argument("--eval-crop", type=int, default=None)
    p.add_argument("--label", default="model")
    add_common_options(p)
    p.set_defaults(func=_eval)

    p = sub.add_parser("bitops", help="BitOps, MACs and parameters of a genotype")
    p.add_argument("--genotype", required=True)
    p.add_argument("--input", default="32x32", help="LR input size HxW (default 32x32, the paper's)")
    p.add_argument("--space", default=None, help="check the genotype against this space")
    add_common_options(p)
    p.set_defaults(func=_bitops)

    p = sub.add_parser("baseline", help="a baseline: bicubic, uniform4, uniform8, mixed, direct")
    p.add_argument("--kind", required=True, choices=("bicubic", "uniform4", "uniform8", "mixed", "direct"))
    search_flags(p)
    p.add_argument("--train-epochs", dest="train_epochs", type=int, default=None)
    p.add_argument("--eval-images", default="builtin")
    p.add_argument("--eval-crop", type=int, default=None)
    add_common_options(p)
    p.set_defaults(func=_baseline)

    p = sub.add_parser("pareto", help="PSNR-vs-BitOps Pareto plot from train/eval/baseline run folders")
    p.add_argument("runs", nargs="+", help="folders holding result.json")
    add_common_options(p)
    p.set_defaults(func=_pareto)

    p = sub.add_parser("bench", help="search-step time, quantization noise vs direct quantization")
    p.add_argument("--space", default="basic")
    p.add_argument("--channels", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr-crop", type=int, default=24)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument(
        "--memory",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure peak step memory per mode, each in a fresh process (default: on)",
    )
    p.add_argument("--memory-steps", type=int, default=2)
    add_common_options(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("demo", help="tiny end-to-end search + QAT + export on built-in images (< 1 min)")
    add_common_options(p)
    p.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``quantnas`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
