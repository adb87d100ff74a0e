"""Command-line interface of ``mmgraph`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from core_utils import (
    InputError,
    add_common_options,
    cli_main,
    common_options,
    make_parser,
    measure,
    new_figure,
    resolve_config,
    resolve_device,
    save_figure,
    write_result,
)
from mmgraph import __version__

CITATION = "Ektefaie, Dasoulas, Noori, Farhat, Zitnik. Multimodal learning with graphs. Nature Machine Intelligence 5, 2023 (arXiv:2209.03299)."
PACKAGES = ["mmgraph", "torch-geometric", "scikit-learn", "networkx"]


@dataclass
class TrainConfig:
    """``mmgraph train``: a preset (or a blueprint config file) on a task; fit settings default to the preset's."""

    preset: str = "funet"
    data: str = ""
    blueprint: str = ""
    epochs: int = 0
    lr: float = 0.0
    weight_decay: float = -1.0
    batch_size: int = 0
    baseline: bool = False
    neighbors: str = ""


@dataclass
class AblateConfig:
    """``mmgraph ablate``: unimodal vs fused and component swaps on one task."""

    data: str = "digits-sum"
    modalities: str = ""
    propagation: str = "sage"
    k: int = 10
    seeds: int = 3
    epochs: int = 100
    swaps: bool = True


@dataclass
class DemoConfig(AblateConfig):
    """``mmgraph demo``: the ablation on the split-signal digits, sized to finish in under a minute."""

    seeds: int = 1
    epochs: int = 60
    swaps: bool = False


@dataclass
class GraphConfig:
    """``mmgraph build-graph``: a topology on one task's entities."""

    data: str = "digits-sum"
    topology: str = "knn"
    on: str = "all"
    k: int = 10
    r: float = 0.2
    sigma: float = 0.0


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def _components(args: argparse.Namespace) -> int:
    from mmgraph.presets import PRESETS, catalogue_rows
    from mmgraph.registry import SLOTS, names

    rows = catalogue_rows(args.domain)
    print("| domain | method (task) | entities | topology | propagation | mixing | preset |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.domain} | {r.method} ({r.task}) | {r.entities} | {r.topology} | {r.propagation} | {r.mixing} | {r.preset or '-'} |"
        )
    print()
    for slot in SLOTS:
        print(f"{slot:<12} {', '.join(names(slot))}")
    print(f"{'presets':<12} {', '.join(PRESETS)}")
    return 0


def _build_graph(args: argparse.Namespace) -> int:
    from mmgraph.datasets import load_task
    from mmgraph.registry import build
    from mmgraph.topology import graph_stats

    opts = common_options(args)
    cfg = resolve_config(
        GraphConfig,
        file=opts.config,
        overrides=opts.overrides,
        flags={"data": args.data, "topology": args.topology, "on": args.on, "k": args.k, "r": args.r},
    )
    if cfg.topology not in ("knn", "radius", "gaussian", "explicit"):
        raise InputError(
            f"build-graph topology must be knn, radius, gaussian or explicit, got {cfg.topology!r}"
        )
    task = load_task(cfg.data, seed=opts.seed)
    params = {
        "knn": {"k": cfg.k, "on": cfg.on},
        "radius": {"r": cfg.r, "on": cfg.on},
        "explicit": {},
        "gaussian": {"k": cfg.k, "on": cfg.on, **({"sigma": cfg.sigma} if cfg.sigma > 0 else {})},
    }[cfg.topology]
    topo = build("topology", {"kind": cfg.topology, **params})
    with measure() as m:
        g = topo.prepare(task.graphs[0].clone())
    y = g.y if task.kind == "node-classification" and g.y.shape[0] == g.num_nodes else None
    stats = graph_stats(g.edge_index, g.num_nodes, y)
    stats["build_s"] = m.wall_s
    print(
        f"{topo.describe()} on {task.name}: "
        + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in stats.items())
    )
    if opts.out is not None:
        import torch

        deg = torch.bincount(g.edge_index[1], minlength=g.num_nodes).numpy()
        fig, ax = new_figure()
        ax.hist(deg, bins=30)
        ax.set_xlabel("in-degree")
        ax.set_ylabel("nodes")
        ax.set_title(topo.describe())
        save_figure(fig, opts.out / "degrees.png")
        write_result(
            opts.out,
            command=sys.argv,
            config=cfg,
            seed=opts.seed,
            metrics=stats,
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=f"{stats['edges']} edges, homophily {stats.get('edge_homophily', float('nan')):.3f}",
        )
    return 0


def _train(args: argparse.Namespace) -> int:
    import torch

    from mmgraph.blueprint import MGLBlueprint, load_config
    from mmgraph.datasets import load_task
    from mmgraph.presets import build_preset, get_preset
    from mmgraph.training import fit

    opts = common_options(args)
    cfg = resolve_config(
        TrainConfig,
        file=opts.config,
        overrides=opts.overrides,
        flags={
            "preset": args.preset,
            "data": args.data,
            "blueprint": args.blueprint,
            "epochs": args.epochs,
            "baseline": args.baseline or None,
            "neighbors": args.neighbors,
        },
    )
    preset = get_preset(cfg.preset)
    fit_kw = dict(preset.fit)
    if cfg.neighbors:
        try:
            fit_kw["num_neighbors"] = [int(k) for k in cfg.neighbors.split(",")]
        except ValueError:
            raise InputError(f"--neighbors takes comma-separated integers, got {cfg.neighbors!r}") from None
    for key, unset in (("epochs", 0), ("lr", 0.0), ("weight_decay", -1.0), ("batch_size", 0)):
        if getattr(cfg, key) != unset:
            fit_kw[key] = getattr(cfg, key)
    task = load_task(cfg.data or preset.data, seed=opts.seed)
    device = resolve_device(opts.device)
    torch.manual_seed(opts.seed)
    if cfg.blueprint:
        model = MGLBlueprint.from_config(load_config(cfg.blueprint), in_dims=task.in_dims, out_dim=task.n_out)
    else:
        model = build_preset(cfg.preset, task)
    if not opts.quiet:
        print(model.describe())
    ckpt = opts.out / "checkpoint.pt" if opts.out is not None else None
    with measure() as m:
        res = fit(model, task, seed=opts.seed, device=device, quiet=opts.quiet, checkpoint=ckpt, **fit_kw)
    metrics = {
        res.metric_name: res.metric,
        f"train_{res.metric_name}": res.train_metric,
        "final_loss": res.losses[-1],
    }
    line = f"{cfg.preset if not cfg.blueprint else 'blueprint'} on {task.name}: test {res.metric_name} {res.metric:.3f}"
    if cfg.baseline and not cfg.blueprint:
        torch.manual_seed(opts.seed)
        base = fit(
            build_preset(cfg.preset, task, baseline=True), task, seed=opts.seed, device=device, **fit_kw
        )
        metrics[f"baseline_{res.metric_name}"] = base.metric
        line += f" (non-graph baseline {base.metric:.3f})"
    print(line)
    if opts.out is not None:
        model.cpu().save(opts.out / "model")
        fig, ax = new_figure()
        ax.plot(res.losses)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        ax.set_title(line, fontsize=8)
        save_figure(fig, opts.out / "loss.png")
        write_result(
            opts.out,
            command=sys.argv,
            config={**asdict(cfg), "fit": fit_kw, "blueprint": model.to_config()},
            seed=opts.seed,
            metrics=metrics,
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=line,
        )
    return 0


def _run_ablation(cfg: AblateConfig, opts, *, title: str) -> tuple[list, str, object]:
    from mmgraph.ablation import default_variants, format_table, run_ablation
    from mmgraph.datasets import load_task

    if cfg.seeds < 1 or cfg.epochs < 1:
        raise InputError("seeds and epochs must be >= 1")
    task = load_task(cfg.data, seed=opts.seed)
    mods = [m for m in cfg.modalities.split(",") if m] or task.modalities
    variants = default_variants(
        mods,
        propagation=cfg.propagation,
        topology={"kind": "knn", "k": cfg.k, "on": mods[0]},
        swaps=cfg.swaps,
    )
    task.select(mods)
    rows = run_ablation(
        task, variants, seeds=[opts.seed + i for i in range(cfg.seeds)], epochs=cfg.epochs, quiet=opts.quiet
    )
    return rows, format_table(rows), task


def _ablation_record(rows, cfg, opts, m, task, name: str) -> str:
    from mmgraph.ablation import plot_ablation

    uni = max(r.mean for r in rows if len(r.modalities) == 1)
    fused = [r for r in rows if len(r.modalities) > 1]
    best = max(fused, key=lambda r: r.mean) if fused else max(rows, key=lambda r: r.mean)
    headline = f"{task.name}: best fused model ({best.variant}) {best.mean:.3f} vs best unimodal {uni:.3f} (gap {best.mean - uni:+.3f})"
    if opts.out is not None:
        chance = 1.0 / task.n_out
        plot_ablation(rows, opts.out / f"{name}.png", title=task.name, chance=chance)
        metrics = {r.variant: {"mean": r.mean, "std": r.std, "scores": r.scores} for r in rows}
        metrics["fusion_gap"] = best.mean - uni
        write_result(
            opts.out,
            command=sys.argv,
            config=cfg,
            seed=opts.seed,
            metrics=metrics,
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=headline,
        )
    return headline


def _ablate(args: argparse.Namespace) -> int:
    opts = common_options(args)
    cfg = resolve_config(
        AblateConfig,
        file=opts.config,
        overrides=opts.overrides,
        flags={
            "data": args.data,
            "modalities": args.modalities,
            "seeds": args.seeds,
            "epochs": args.epochs,
            "propagation": args.propagation,
        },
    )
    with measure() as m:
        rows, table, task = _run_ablation(cfg, opts, title=cfg.data)
    print(table)
    print(_ablation_record(rows, cfg, opts, m, task, "ablation"))
    return 0


def _check(args: argparse.Namespace) -> int:
    from mmgraph.checks import check_equivariance

    opts = common_options(args)
    with measure() as m:
        results = check_equivariance(seed=opts.seed)
    worst = max(r.error for r in results)
    for r in results:
        if not opts.quiet or not r.passed(args.atol):
            print(
                f"{'ok  ' if r.passed(args.atol) else 'FAIL'} {r.level:<5} {r.name:<22} max error {r.error:.2e}"
            )
    failed = [r.name for r in results if not r.passed(args.atol)]
    line = f"{len(results) - len(failed)}/{len(results)} configurations equivariant/invariant within {args.atol:g} (worst {worst:.1e})"
    print(line)
    if opts.out is not None:
        write_result(
            opts.out,
            command=sys.argv,
            config={"atol": args.atol},
            seed=opts.seed,
            metrics={r.name: r.error for r in results} | {"failed": failed},
            wall_time_s=m.wall_s,
            packages=PACKAGES,
            headline=line,
        )
    return 1 if failed else 0


def _bench(args: argparse.Namespace) -> int:
    from mmgraph.bench import construction_benchmark, overhead_benchmark

    opts = common_options(args)
    with measure() as m:
        over = overhead_benchmark(args.nodes, epochs=args.epochs, repeats=args.repeats, seed=opts.seed)
        cons = construction_benchmark(args.sizes)
    print(
        f"blueprint vs direct PyG GCN ({over['nodes']} nodes, {over['edges']} edges): overhead ratio {over['overhead_ratio']:.3f} "
        f"({over['blueprint_nodes_per_s']:.0f} vs {over['direct_nodes_per_s']:.0f} nodes/s)"
    )
    for r in cons:
        print(
            f"kNN graph, {r['nodes']} nodes: {r['knn_s'] * 1e3:.1f} ms, brute-force torch {r['brute_force_s'] * 1e3:.1f} ms (ratio {r['ratio_vs_brute_force']:.2f})"
        )
    if opts.out is not None:
        fig, ax = new_figure()
        ax.loglog(
            [r["nodes"] for r in cons],
            [r["knn_s"] for r in cons],
            "o-",
            label="scikit-learn kNN + symmetrise",
        )
        ax.loglog(
            [r["nodes"] for r in cons],
            [r["brute_force_s"] for r in cons],
            "s--",
            label="brute-force torch cdist",
        )
        ax.set_xlabel("nodes")
        ax.set_ylabel("seconds")
        ax.legend()
        save_figure(fig, opts.out / "construction.png")
        write_result(
            opts.out,
            command=sys.argv,
            config=vars(args) | {"func": None, "out": str(opts.out), "config": None},
            seed=opts.seed,
            metrics={"overhead": over, "construction": cons},
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=PACKAGES,
            headline=f"blueprint overhead ratio {over['overhead_ratio']:.3f} vs direct PyG",
        )
    return 0


def _demo(args: argparse.Namespace) -> int:
    opts = common_options(args)
    import torch

    torch.set_num_threads(opts.threads or 1)
    cfg = resolve_config(DemoConfig, file=opts.config, overrides=opts.overrides)
    with measure() as m:
        rows, table, task = _run_ablation(cfg, opts, title="digits-sum")
    print(table)
    print(_ablation_record(rows, cfg, opts, m, task, "demo_ablation"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``mmgraph`` argument parser."""
    parser, sub = make_parser(
        "mmgraph",
        version=__version__,
        description="The four-component blueprint for multimodal graph learning, on PyTorch Geometric.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)

    p = sub.add_parser("components", help="the paper's instance table and the registered components")
    p.add_argument("--domain", choices=["image", "language", "science"], default=None)
    p.set_defaults(func=_components)

    p = sub.add_parser("build-graph", help="build a topology on a task's entities and print its statistics")
    p.add_argument("--data", default=None, help="task name or NODES.csv[,EDGES.csv]")
    p.add_argument("--topology", default=None, help="knn | radius | gaussian | explicit")
    p.add_argument("--on", default=None, help="modality name, 'pos' or 'all'")
    p.add_argument("--k", type=int, default=None)
    p.add_argument("--r", type=float, default=None)
    add_common_options(p)
    p.set_defaults(func=_build_graph)

    p = sub.add_parser("train", help="train a preset or a blueprint config on a task")
    p.add_argument("--preset", default=None, help="funet | graphfcn | rag_gat | textgcn | mcn | gns | mmgl")
    p.add_argument("--data", default=None, help="task name (default: the preset's) or NODES.csv[,EDGES.csv]")
    p.add_argument(
        "--blueprint", default=None, help="blueprint config file (TOML or JSON) instead of the preset's"
    )
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--baseline", action="store_true", help="also train the preset's non-graph baseline")
    p.add_argument(
        "--neighbors",
        default=None,
        help="fan-out per hop, e.g. 10,5 (-1 = all): neighbour-sampled mini-batches of training nodes",
    )
    add_common_options(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("ablate", help="unimodal vs fused and component swaps: table + plot")
    p.add_argument("--data", default=None)
    p.add_argument("--modalities", default=None, help="comma-separated modalities (default: all)")
    p.add_argument("--propagation", default=None)
    p.add_argument("--seeds", type=int, default=None)
    p.add_argument("--epochs", type=int, default=None)
    add_common_options(p)
    p.set_defaults(func=_ablate)

    p = sub.add_parser("check", help="verify permutation equivariance/invariance of every configuration")
    p.add_argument("--equivariance", action="store_true", help="(the default and only check)")
    p.add_argument("--atol", type=float, default=1e-5)
    add_common_options(p)
    p.set_defaults(func=_check)

    p = sub.add_parser("bench", help="blueprint overhead vs direct PyG; graph construction time vs nodes")
    p.add_argument("--nodes", type=int, default=5000)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    add_common_options(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("demo", help="small fusion ablation on the split-signal digits (< 60 s)")
    add_common_options(p)
    p.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mmgraph`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
