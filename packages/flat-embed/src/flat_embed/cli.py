"""Command-line interface of ``flat-embed`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from core_utils import (
    InputError,
    add_common_options,
    cli_main,
    common_options,
    make_parser,
    measure,
    resolve_config,
    resolve_device,
    write_result,
)
from flat_embed import __version__

CITATION = "Braunsmann, Rajkovic, Rumpf, Wirth. Learning low bending and low distortion manifold embeddings. CVPRW 2021 (arXiv:2104.13189); M2AN 2024 (arXiv:2208.10193)."


@dataclass
class RunConfig:
    """Configuration of ``train``, ``eval``, ``compare`` and ``demo`` (defaults: spec section 1 reference runs)."""

    manifold: str = "swiss-roll"
    ambient_dim: int = 100  # random orthonormal lift, as in the reference runs (ignored if <= native dim)
    pairs: str = ""  # .npz with x, y, mid, d (user pairs); overrides manifold
    samples: str = ""  # .npy/.npz/.csv raw samples (kNN pairs, approximate); overrides manifold
    latent: int = 2
    encoder: Literal["mlp", "cnn"] = "mlp"
    hidden: list[int] = field(default_factory=lambda: [64, 64])
    activation: str = "elu"
    lam: float = 1.0
    w: str = "sq2"
    steps: int = 4000
    batch_size: int = 256
    lr: float = 3e-3
    eps_start: float = 0.0  # 0 = diameter/4
    eps_end: float = 0.0  # 0 = diameter/20
    eps_max: float = 0.0  # user pairs: reject d > eps_max (0 = no check)
    warm_start: Literal["isomap", "spectral", "none"] = "isomap"
    warm_steps: int = 1500
    n_neighbors: int = 10
    dtype: Literal["float32", "float64"] = "float32"
    decoder: bool = False
    n_eval: int = 2000  # evaluation sample size
    n_interp: int = 300  # geodesic test pairs for the interpolation error
    baselines: list[str] = field(default_factory=lambda: ["isomap", "lle", "spectral", "autoencoder"])
    ae_steps: int = 3000


@dataclass
class DemoConfig(RunConfig):
    """``demo``: the Swiss roll in R^100 with short training so it finishes in under a minute."""

    steps: int = 1000
    warm_steps: int = 600
    batch_size: int = 128
    ae_steps: int = 800
    n_samples: int = 800


@dataclass
class GammaConfig:
    """Configuration of ``gamma-check``."""

    manifold: str = "sphere"
    eps: list[float] = field(default_factory=lambda: [0.4, 0.1, 0.025])
    n_pairs: list[int] = field(default_factory=lambda: [20_000, 200_000])
    scale: float = 1.0
    lam: float = 1.0
    w: str = "sq2"
    stratified: bool = True


def _manifold(cfg: RunConfig, seed: int):
    from flat_embed.manifolds import make_manifold

    m = make_manifold(cfg.manifold)
    # The random lift only applies where it adds dimensions (not to 1024-pixel images).
    if cfg.ambient_dim and cfg.ambient_dim > m.native_dim:
        m = make_manifold(cfg.manifold, ambient_dim=cfg.ambient_dim, seed=seed)
    return m


def _load_samples(path: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"samples file {p} does not exist")
    if p.suffix == ".npy":
        return np.load(p, allow_pickle=False)
    if p.suffix == ".npz":
        with np.load(p, allow_pickle=False) as f:
            if "X" not in f.files:
                raise InputError(f"{p} must contain an array named 'X'")
            return f["X"]
    if p.suffix in (".csv", ".txt"):
        try:
            return np.loadtxt(p, delimiter="," if p.suffix == ".csv" else None, ndmin=2)
        except ValueError as exc:
            raise InputError(f"could not read {p} as numbers: {exc}") from None
    raise InputError(f"samples file must be .npy, .npz or .csv, got {p.name}")


def _source(cfg: RunConfig, seed: int):
    from flat_embed.pairs import PairDataset, PairSampler, knn_pairs

    if cfg.pairs:
        p = Path(cfg.pairs)
        if not p.is_file():
            raise InputError(f"pairs file {p} does not exist")
        with np.load(p, allow_pickle=False) as f:
            missing = [k for k in ("x", "y", "mid", "d") if k not in f.files]
            if missing:
                raise InputError(f"pairs file {p} lacks arrays {missing} (needs x, y, mid, d)")
            return PairDataset.from_arrays(
                f["x"], f["y"], f["mid"], f["d"], eps_max=cfg.eps_max or None
            ), None
    if cfg.samples:
        return knn_pairs(_load_samples(cfg.samples), n_neighbors=cfg.n_neighbors, seed=seed), None
    m = _manifold(cfg, seed)
    return PairSampler(m), m


def _estimator(cfg: RunConfig, seed: int, device: str):
    from flat_embed.estimator import FlatEmbedding

    return FlatEmbedding(
        cfg.latent,
        encoder=cfg.encoder,
        hidden=tuple(cfg.hidden),
        activation=cfg.activation,
        lam=cfg.lam,
        w=cfg.w,
        steps=cfg.steps,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        eps_start=cfg.eps_start or None,
        eps_end=cfg.eps_end or None,
        init=cfg.warm_start,
        warm_steps=cfg.warm_steps,
        n_neighbors=cfg.n_neighbors,
        dtype=cfg.dtype,
        decoder=cfg.decoder,
        random_state=seed,
        device=device,
    )


def _manifold_metrics(est, manifold, n: int, seed: int, n_interp: int = 300) -> dict[str, Any]:
    from flat_embed.manifolds import ImageRotation
    from flat_embed.metrics import (
        distortion_stats,
        interpolation_error,
        loss_on_pairs,
        procrustes_error,
        trustworthiness,
    )
    from flat_embed.pairs import PairSampler

    rng = np.random.default_rng(seed + 12345)
    p = manifold.sample_params(n, rng)
    X = manifold.embed(p)
    Z = est.transform(X)
    out: dict[str, Any] = {"trustworthiness": trustworthiness(X, Z)}
    if manifold.is_flat:
        out["procrustes"] = procrustes_error(Z, manifold.coordinates(p))
    eps = est.result_.eps_end if hasattr(est, "result_") else manifold.diameter / 20
    pairs = PairSampler(manifold).sample(n, eps, rng)
    out["loss_at_eps_end"] = loss_on_pairs(est.transform, pairs, lam=est.lam, w=est.w)
    out["distortion_stats"] = distortion_stats(est.transform(pairs.x), est.transform(pairs.y), pairs.d)
    out["interpolation"] = interpolation_error(
        est.transform, manifold, n=n_interp, relative_to="distance", seed=seed
    )
    if isinstance(manifold, ImageRotation):
        # a closed curve: the loss is bounded below by the round circle's (spec 3.6)
        from flat_embed.bounds import circle_bound_check

        out["topological_bound"] = circle_bound_check(
            lambda t: est.transform(manifold.embed(t)),
            manifold.period,
            n_pairs=max(n, 2),
            lam=est.lam,
            w=est.w,
            seed=seed,
        )
    return out


def _one_thread_default(opts) -> None:
    """Small MLPs train faster on one torch thread (README benchmark: 2 threads ran at 0.10x)."""
    if opts.threads is None:
        import torch

        torch.set_num_threads(1)


def _resolve(args: argparse.Namespace, cls: type, flags: dict[str, Any]):
    opts = common_options(args)
    _one_thread_default(opts)
    cfg = resolve_config(cls, file=opts.config, overrides=opts.overrides, flags=flags)
    return opts, cfg


def _out(opts, default: str) -> Path:
    return Path(opts.out) if opts.out is not None else Path(default)


def _train(args: argparse.Namespace) -> int:
    from flat_embed.plots import plot_training

    opts, cfg = _resolve(
        args,
        RunConfig,
        {
            "manifold": args.manifold,
            "pairs": args.pairs,
            "samples": args.samples,
            "latent": args.latent,
            "lam": args.lam,
            "steps": args.steps,
        },
    )
    device = resolve_device(opts.device)
    out = _out(opts, "flat-embed-train")
    source, manifold = _source(cfg, opts.seed)
    est = _estimator(cfg, opts.seed, device)
    with measure() as m:
        est.fit(source, checkpoint=out / "checkpoint.pt", quiet=opts.quiet)
    model = est.save(out / "model.pt")
    metrics: dict[str, Any] = {"final": est.history_[-1]}
    if manifold is not None:
        metrics.update(_manifold_metrics(est, manifold, cfg.n_eval, opts.seed, cfg.n_interp))
    plot_training(est.history_, out / "training.png")
    head = f"trained {cfg.steps} steps: loss {est.history_[-1]['total']:.3g}"
    if "procrustes" in metrics:
        head += f", Procrustes {metrics['procrustes']:.3g}"
    write_result(
        out,
        command=["flat-embed", *sys.argv[1:]],
        config=cfg,
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["flat-embed", "scikit-learn"],
        headline=head,
        extra={"model": str(model)},
    )
    print(json.dumps({"model": str(model), "final": est.history_[-1]}))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from flat_embed.estimator import FlatEmbedding

    opts, cfg = _resolve(args, RunConfig, {"manifold": args.manifold})
    est = FlatEmbedding.load(args.model)
    manifold = _manifold(cfg, opts.seed)
    if manifold.ambient_dim != est.n_features_in_:
        raise InputError(
            f"model expects {est.n_features_in_} input features, manifold {cfg.manifold} with "
            f"ambient_dim={cfg.ambient_dim} gives {manifold.ambient_dim}"
        )
    with measure() as m:
        metrics = _manifold_metrics(est, manifold, cfg.n_eval, opts.seed, cfg.n_interp)
    out = _out(opts, "flat-embed-eval")
    head = f"{cfg.manifold}: interpolation error {metrics['interpolation']['mean']:.3g}"
    write_result(
        out,
        command=["flat-embed", *sys.argv[1:]],
        config=cfg,
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["flat-embed"],
        headline=head,
    )
    print(json.dumps(metrics, default=float))
    return 0


def _parse_list(text: str | None, conv) -> list | None:
    if text is None:
        return None
    try:
        return [conv(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"expected a comma-separated list of numbers, got {text!r}") from None


def _gamma(args: argparse.Namespace) -> int:
    from flat_embed.gamma import analytic_limit, mc_convergence
    from flat_embed.manifolds import make_manifold
    from flat_embed.plots import plot_gamma

    opts, cfg = _resolve(
        args,
        GammaConfig,
        {
            "manifold": args.manifold,
            "eps": _parse_list(args.eps, float),
            "n_pairs": _parse_list(args.n_pairs, int),
        },
    )
    manifold = make_manifold(cfg.manifold)
    with measure() as m:
        limit = analytic_limit(manifold, scale=cfg.scale, lam=cfg.lam, w=cfg.w)
        rows = mc_convergence(
            manifold,
            cfg.eps,
            cfg.n_pairs,
            scale=cfg.scale,
            lam=cfg.lam,
            w=cfg.w,
            stratified=cfg.stratified,
            seed=opts.seed,
        )
    out = _out(opts, "flat-embed-gamma")
    plot_gamma(rows, out / "gamma.png", title=cfg.manifold)
    best = min(rows, key=lambda r: (r.eps, -r.n_pairs))
    head = (
        f"{cfg.manifold}: MC loss {best.mc_total:.6g} at eps={best.eps:g}, K={best.n_pairs} vs Γ-limit "
        f"{limit['total']:.6g} (rel. err {best.rel_error:.2e})"
    )
    write_result(
        out,
        command=["flat-embed", *sys.argv[1:]],
        config=cfg,
        seed=opts.seed,
        metrics={"limit": limit, "rows": [asdict(r) for r in rows]},
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["flat-embed"],
        headline=head,
    )
    print(head)
    return 0


def _compare_rows_md(rows) -> str:
    lines = [
        "| method | fit s | Procrustes (rigid) | Procrustes (scaled) | trustworthiness | interp. mean | interp. p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.method} | {r.fit_time_s:.1f} | {r.procrustes:.3g} | {r.procrustes_scaled:.3g} | "
            f"{r.trustworthiness:.4f} | {r.interp_mean:.3g} | {r.interp_p95:.3g} |"
        )
    return "\n".join(lines) + "\n"


def _run_compare(cfg: RunConfig, opts, out: Path, methods: Sequence[str], n_samples: int):
    from core_utils import atomic_write_text
    from flat_embed.baselines import compare
    from flat_embed.plots import plot_interpolation, plot_latents

    manifold = _manifold(cfg, opts.seed)
    flat = {
        "steps": cfg.steps,
        "init": cfg.warm_start,
        "warm_steps": cfg.warm_steps,
        "lam": cfg.lam,
        "w": cfg.w,
        "hidden": tuple(cfg.hidden),
        "encoder": cfg.encoder,
        "batch_size": cfg.batch_size,
        "lr": cfg.lr,
        "eps_start": cfg.eps_start or None,
        "eps_end": cfg.eps_end or None,
    }
    rows, lat = compare(
        manifold,
        methods=methods,
        n_samples=n_samples,
        n_interp=cfg.n_interp,
        n_neighbors=cfg.n_neighbors,
        flat_params=flat,
        ae_steps=cfg.ae_steps,
        seed=opts.seed,
    )
    U = manifold.coordinates(lat["params"])
    plot_latents(lat, U, manifold.color(lat["params"]), out / "latents.png")
    plot_interpolation(lat, U, out / "interpolation.png")
    atomic_write_text(out / "compare.md", _compare_rows_md(rows))
    return rows


def _compare(args: argparse.Namespace) -> int:
    opts, cfg = _resolve(args, RunConfig, {"manifold": args.manifold, "steps": args.steps})
    if args.baselines is not None:
        cfg.baselines = [s.strip() for s in args.baselines.split(",") if s.strip()]
    out = _out(opts, "flat-embed-compare")
    with measure() as m:
        rows = _run_compare(cfg, opts, out, ["flat-embed", *cfg.baselines], args.n_samples)
    best = min(rows, key=lambda r: r.interp_mean)
    fe = next(r for r in rows if r.method == "flat-embed")
    head = (
        f"{cfg.manifold}: interpolation error flat-embed {fe.interp_mean:.3g}; best overall {best.method} "
        f"{best.interp_mean:.3g}"
    )
    write_result(
        out,
        command=["flat-embed", *sys.argv[1:]],
        config=cfg,
        seed=opts.seed,
        metrics={"rows": [asdict(r) for r in rows]},
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["flat-embed", "scikit-learn"],
        headline=head,
    )
    print(_compare_rows_md(rows))
    return 0


def _demo(args: argparse.Namespace) -> int:
    opts = common_options(args)
    _one_thread_default(opts)
    cfg = resolve_config(DemoConfig, file=opts.config, overrides=opts.overrides)
    out = _out(opts, "flat-embed-demo")
    with measure() as m:
        rows = _run_compare(cfg, opts, out, ["flat-embed", "isomap", "autoencoder"], cfg.n_samples)
    fe = next(r for r in rows if r.method == "flat-embed")
    iso = next(r for r in rows if r.method == "isomap")
    head = (
        f"{cfg.manifold} in R^{cfg.ambient_dim}: flat-embed Procrustes {fe.procrustes:.2g}, latent interpolation "
        f"error {fe.interp_mean:.2g} (Isomap {iso.interp_mean:.2g})"
    )
    write_result(
        out,
        command=["flat-embed", *sys.argv[1:]],
        config=cfg,
        seed=opts.seed,
        metrics={"rows": [asdict(r) for r in rows]},
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["flat-embed", "scikit-learn"],
        headline=head,
    )
    if not opts.quiet:
        print(head)
    return 0


def _bench(args: argparse.Namespace) -> int:
    import torch

    from flat_embed.benchmark import bench_loss_scaling, bench_memory, bench_threads, bench_time_to_target

    opts = common_options(args)
    torch.set_num_threads(opts.threads or 1)
    out = _out(opts, "flat-embed-bench")
    with measure() as m:
        metrics: dict[str, Any] = {}
        if not args.quick:  # memory first: peak RSS is a process high-water mark
            metrics["memory"] = bench_memory()
        metrics["loss_scaling"] = bench_loss_scaling()
        if not args.quick:
            metrics["threads"] = bench_threads()
            metrics["time_to_target"] = bench_time_to_target()
    ls = metrics["loss_scaling"]
    head = (
        f"loss evaluation: {ls['pairs_per_s'][-1]:.3g} pairs/s at 1e5 pairs; time x{ls['time_ratio_largest_vs_smallest']:.3g} "
        f"for pairs x{ls['pairs_ratio_largest_vs_smallest']:.0f} (log-log slope {ls['loglog_slope']:.2f})"
    )
    write_result(
        out,
        command=["flat-embed", *sys.argv[1:]],
        seed=opts.seed,
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["flat-embed", "scikit-learn"],
        headline=head,
    )
    print(head)
    return 0


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``flat-embed`` argument parser."""
    parser, sub = make_parser(
        "flat-embed",
        version=__version__,
        description="Encoder training with an isometry + flatness (low bending, low distortion) loss on pairs of manifold points.",
    )
    p = sub.add_parser("train", help="train an encoder on a manifold, user pairs (.npz) or raw samples")
    p.add_argument("--manifold", default=None, help="built-in manifold (swiss-roll, plane, s-curve, ...)")
    p.add_argument("--pairs", default=None, help=".npz file with arrays x, y, mid, d (exact pairs)")
    p.add_argument("--samples", default=None, help=".npy/.npz(X)/.csv raw samples (approximate kNN pairs)")
    p.add_argument("--latent", type=int, default=None, help="latent dimension")
    p.add_argument("--lam", type=float, default=None, help="bending weight lambda")
    p.add_argument("--steps", type=int, default=None, help="training steps")
    add_common_options(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("eval", help="evaluate a saved model on a built-in manifold")
    p.add_argument("--model", required=True, type=Path, help="model.pt written by train")
    p.add_argument("--manifold", default=None)
    add_common_options(p)
    p.set_defaults(func=_eval)

    p = sub.add_parser("gamma-check", help="Monte Carlo loss vs its analytic Gamma-limit as eps -> 0")
    p.add_argument("--manifold", default=None, help="sphere, torus, cylinder, plane or swiss-roll")
    p.add_argument("--eps", default=None, help="comma-separated eps values, e.g. 0.1,0.05,0.025")
    p.add_argument("--n-pairs", default=None, help="comma-separated sample sizes K")
    add_common_options(p)
    p.set_defaults(func=_gamma)

    p = sub.add_parser(
        "compare", help="flat-embed vs Isomap, LLE, spectral embedding and a plain autoencoder"
    )
    p.add_argument("--manifold", default=None)
    p.add_argument("--baselines", default=None, help="comma-separated: isomap,lle,spectral,autoencoder")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--n-samples", type=int, default=1500)
    add_common_options(p)
    p.set_defaults(func=_compare)

    p = sub.add_parser("demo", help="Swiss roll in R^100: flat-embed vs Isomap and an autoencoder (< 60 s)")
    add_common_options(p)
    p.set_defaults(func=_demo)

    p = sub.add_parser("bench", help="speed and memory ratios against baselines measured in the same run")
    p.add_argument("--quick", action="store_true", help="only the loss-scaling benchmark")
    add_common_options(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flat-embed`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
