"""Command-line interface of ``agri-dl`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agri_dl import __version__
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

CITATION = (
    "Kamilaris, Prenafeta-Boldu. Deep learning in agriculture: A survey. "
    "Computers and Electronics in Agriculture 147:70-90 (2018) (arXiv:1807.11809)."
)
PACKAGES = ["agri-dl", "scikit-image", "scikit-learn"]


@dataclass
class BenchConfig:
    """Benchmark settings; ``epochs`` etc. are the networks' fixed training recipe."""

    task: str = "ibean"
    methods: list[str] = dataclasses.field(
        default_factory=lambda: ["color-svm", "lbp-svm", "hog-rf", "all-svm", "cnn", "resnet"]
    )
    seeds: int = 3
    fractions: list[float] = dataclasses.field(default_factory=lambda: [1.0])
    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    width: int = 16


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def _works(args: argparse.Namespace) -> int:
    from agri_dl import catalogue as cat

    works = cat.load_works()
    if args.works_cmd == "list":
        sel = cat.query(works, area=args.area, model=args.model, framework=args.framework, metric=args.metric)
        for w in sel:
            print(
                f"{w.id:>3}  {w.ref} {w.year}  [{w.area}]  {w.model} / {w.framework}  {w.metric} {w.value:g}"
            )
        cov = cat.coverage(works)
        print(
            f"{len(sel)} of {len(works)} catalogued works ({cat.EXPECTED_WORKS} in the survey); "
            f"{cov['checked_rows']} rows partly checked against the works' own abstracts "
            f"({cov['checked_cells']} cells), none against the survey's appendix"
        )
    elif args.works_cmd == "show":
        match = [w for w in works if w.id == args.id]
        if not match:
            raise InputError(f"no work with id {args.id}; ids are {works[0].id}..{works[-1].id}")
        for k, v in dataclasses.asdict(match[0]).items():
            print(f"{k:>14}: {v}")
    elif args.works_cmd == "summary":
        counts = cat.summary(works, args.by)
        for k, v in counts.items():
            print(f"{v:>3}  {k}")
    elif args.works_cmd == "compare":
        res = cat.compare(works)
        print(
            f"DL better in {res['k']} of {res['n_numeric']} comparisons with numeric values "
            f"({res['n']} comparisons catalogued, {res['unknown']} without a transcribed value)"
        )
        for p in res["pairs"]:
            d = "n/a" if p["delta"] is None else f"{p['delta']:+.3f}"
            print(f"  {p['ref']}: DL {p['dl']:g} vs {p['compared_with']} {p['other']}  delta {d}")
    return 0


def _data_list(args: argparse.Namespace) -> int:
    from agri_dl.data import DATASETS

    for k, v in DATASETS.items():
        print(f"{k:<14} {v}")
    print("folder:PATH    your images, one folder per class (optional train/ and test/ sub-folders)")
    return 0


def _load_task(task: str, seed: int):
    from agri_dl.data import load_ibean, load_image_folder, synth_leaves

    if task == "ibean":
        return load_ibean()
    if task.startswith("ibean:"):
        return load_ibean(task.split(":", 1)[1])
    if task == "synth-leaves":
        return synth_leaves(n=300, seed=seed)
    if task.startswith("folder:"):
        return load_image_folder(task.split(":", 1)[1])
    raise InputError(f"unknown task {task!r}; use ibean, ibean:PATH, synth-leaves or folder:PATH")


def _run_bench(cfg: BenchConfig, opts, command: list[str], prefix: str) -> int:
    from agri_dl.harness import format_table, plot_confusions, plot_learning_curves, run, summarize
    from agri_dl.training import TrainConfig

    if cfg.seeds < 1:
        raise InputError(f"seeds must be >= 1, got {cfg.seeds}")
    data = _load_task(cfg.task, opts.seed)
    tcfg = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, width=cfg.width)
    device = resolve_device(opts.device)
    if opts.out is not None:
        opts.out.mkdir(parents=True, exist_ok=True)
    with measure() as m:
        records = run(
            data,
            methods=cfg.methods,
            seeds=[opts.seed + k for k in range(cfg.seeds)],
            fractions=cfg.fractions,
            train_config=tcfg,
            device=device,
            quiet=opts.quiet,
            checkpoint=None if opts.out is None else opts.out / "checkpoint.json",
        )
    rows = summarize(records)
    table = format_table(rows)
    print(table)
    full = [r for r in rows if r["fraction"] == max(cfg.fractions)]
    best_deep = max((r for r in full if r["family"] == "deep"), key=lambda r: r["accuracy"], default=None)
    best_cls = max((r for r in full if r["family"] == "classical"), key=lambda r: r["accuracy"], default=None)
    parts = [f"{r['method']} {r['accuracy']:.3f}" for r in (best_deep, best_cls) if r is not None]
    headline = f"{prefix} {data.name} test accuracy, best deep vs best classical: " + " vs ".join(parts)
    if opts.out is not None:
        opts.out.mkdir(parents=True, exist_ok=True)
        (opts.out / "table.md").write_text(table + "\n", encoding="utf-8")
        (opts.out / "records.json").write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
        plot_confusions(rows, data.class_names, opts.out / "confusion.png")
        if len(cfg.fractions) > 1:
            plot_learning_curves(rows, opts.out / "learning_curve.png")
        write_result(
            opts.out,
            command=command,
            config=cfg,
            seed=opts.seed,
            metrics={"summary": rows, "class_names": list(data.class_names)},
            wall_time_s=m.wall_s,
            peak_memory_mb=m.peak_rss_mb,
            packages=[*PACKAGES, "torch"],
            headline=headline,
        )
    return 0


def _bench(args: argparse.Namespace) -> int:
    opts = common_options(args)
    flags = {
        "task": args.task,
        "seeds": args.seeds,
        "methods": None
        if args.methods is None
        else [m.strip() for m in args.methods.split(",") if m.strip()],
    }
    cfg = resolve_config(BenchConfig, file=opts.config, overrides=opts.overrides, flags=flags)
    return _run_bench(cfg, opts, ["agri-dl", *sys.argv[1:]], "bench:")


def _demo(args: argparse.Namespace) -> int:
    opts = common_options(args)
    if opts.out is None:
        raise InputError("demo needs --out DIR")
    quick = {"methods": ["color-svm", "hog-svm", "cnn"], "seeds": 1, "epochs": 12}
    cfg = resolve_config(BenchConfig, file=opts.config, overrides={**quick, **opts.overrides})
    return _run_bench(cfg, opts, ["agri-dl", "demo"], "demo:")


def _predict(args: argparse.Namespace) -> int:
    import numpy as np

    from agri_dl.data import IMAGE_SUFFIXES
    from agri_dl.predictor import load_model

    opts = common_options(args)
    model = load_model(args.model)
    folder = Path(args.images)
    if not folder.is_dir():
        raise InputError(f"image folder {folder} does not exist")
    files = sorted(f for f in folder.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    labels = model.predict_files(files)
    out = opts.out or Path(".")
    out.mkdir(parents=True, exist_ok=True)
    lines = ["file,prediction"] + [
        f"{f.relative_to(folder)},{lab}" for f, lab in zip(files, labels, strict=True)
    ]
    (out / "predictions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = dict(zip(*np.unique(labels, return_counts=True), strict=True))
    print(f"predicted {len(files)} images: {counts} -> {out / 'predictions.csv'}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from agri_dl.predictor import train_and_save

    opts = common_options(args)
    data = _load_task(args.task, opts.seed)
    path = train_and_save(
        data,
        arch=args.arch,
        path=args.model,
        epochs=args.epochs,
        seed=opts.seed,
        weights=args.weights,
        quiet=opts.quiet,
    )
    print(f"saved {args.arch} trained on {data.name} -> {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``agri-dl`` argument parser."""
    parser, sub = make_parser(
        "agri-dl",
        version=__version__,
        description="Deep learning vs classical image analysis in agriculture, with the survey's catalogue.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)

    p = sub.add_parser("works", help="query the survey's catalogue of works")
    wsub = p.add_subparsers(dest="works_cmd", metavar="WORKS_COMMAND")
    wsub.required = True
    q = wsub.add_parser("list", help="list works, filtered")
    for opt in ("area", "model", "framework", "metric"):
        q.add_argument(f"--{opt}", default=None)
    q.set_defaults(func=_works)
    q = wsub.add_parser("show", help="every field of one work")
    q.add_argument("id", type=int)
    q.set_defaults(func=_works)
    q = wsub.add_parser("summary", help="counts by area, model family, framework or metric")
    q.add_argument("--by", default="area")
    q.set_defaults(func=_works)
    q = wsub.add_parser("compare", help="DL vs compared technique: k of n and the deltas")
    q.set_defaults(func=_works)

    p = sub.add_parser("data", help="datasets")
    dsub = p.add_subparsers(dest="data_cmd", metavar="DATA_COMMAND")
    dsub.required = True
    q = dsub.add_parser("list", help="list the offline datasets")
    q.set_defaults(func=_data_list)

    p = sub.add_parser("bench", help="classical pipelines vs deep models on a task (table, confusion PNG)")
    p.add_argument("--task", default=None, help="ibean (default), ibean:PATH, synth-leaves, folder:PATH")
    p.add_argument(
        "--methods", default=None, help="comma-separated, e.g. color-svm,lbp-svm,hog-rf,cnn,resnet"
    )
    p.add_argument("--seeds", type=int, default=None, help="number of seeds (default 3)")
    add_common_options(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("demo", help="iBean: colour/HOG + SVM vs a small CNN, one seed")
    add_common_options(p)
    p.set_defaults(func=_demo)

    p = sub.add_parser("train", help="train a network on a task and save it for `predict`")
    p.add_argument("--task", default="ibean")
    p.add_argument("--arch", default="cnn", help="cnn, vgg or resnet")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--weights", default=None, help="local state_dict to start from (no downloads)")
    p.add_argument("--model", type=Path, required=True, help="output model file (.pt)")
    add_common_options(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("predict", help="classify a folder of images with a saved model")
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--images", type=Path, required=True)
    add_common_options(p)
    p.set_defaults(func=_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agri-dl`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
