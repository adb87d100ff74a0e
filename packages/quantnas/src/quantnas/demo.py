"""The ``quantnas demo``: a tiny end-to-end search + QAT + export on the built-in images.

Sizes are cut to finish in about a minute on one or two CPU cores; the numbers show the pipeline
works and the ordering of models, not the paper's accuracy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from quantnas.data import builtin_images
from quantnas.pareto import ModelPoint, dominated_by_group, plot_pareto
from quantnas.pipeline import run_baseline, search_train_evaluate
from quantnas.search import SearchConfig
from quantnas.train import TrainConfig

DEMO_SEARCH = SearchConfig(
    channels=6,
    cells=1,
    epochs=2,
    warm_up=1,
    steps_per_epoch=15,
    batch_size=4,
    lr_crop=12,
    penalty=1e-3,
    lr_alpha=3e-3,
)
DEMO_TRAIN = TrainConfig(epochs=2, steps_per_epoch=75, batch_size=4, lr_crop=12, lr=3e-3)
DEMO_EVAL_CROP = 96


def run_demo(out: str | Path, *, seed: int = 0, quiet: bool = True) -> dict[str, Any]:
    """Search, train and evaluate a tiny model and the bicubic and uniform 8-bit baselines."""
    out = Path(out)
    torch.set_num_threads(1)  # tiny convs: extra OpenMP threads only spin on a busy machine
    train_imgs, eval_imgs = builtin_images("train"), builtin_images("eval")
    common = {"seed": seed, "eval_crop": DEMO_EVAL_CROP, "quiet": quiet}
    searched = search_train_evaluate(
        "quantnas", DEMO_SEARCH, DEMO_TRAIN, train_imgs, eval_imgs, out_dir=out, **common
    )
    searched.genotype.to_json(out / "genotype.json")
    uni8 = run_baseline("uniform8", DEMO_SEARCH, DEMO_TRAIN, train_imgs, eval_imgs, **common)
    bic = run_baseline("bicubic", DEMO_SEARCH, DEMO_TRAIN, train_imgs, eval_imgs, **common)
    points = [
        ModelPoint("quantnas", "searched", searched.bitops, searched.psnr),
        ModelPoint("uniform8", "uniform", uni8.bitops, uni8.psnr),
    ]
    plot_pareto(
        points + [ModelPoint("bicubic", "bicubic", 0.0, bic.psnr)],
        out / "pareto.png",
        title="quantnas demo (SK-Set6 crops, x4)",
    )
    gain = searched.psnr - bic.psnr
    headline = (
        f"searched x4 model: Y-PSNR {searched.psnr:.2f} dB ({gain:+.2f} dB vs bicubic) at "
        f"{searched.bitops / 1e9:.3g} GBitOps; uniform 8-bit {uni8.psnr:.2f} dB at {uni8.bitops / 1e9:.3g} GBitOps"
    )
    return {
        "config": {"search": DEMO_SEARCH, "train": DEMO_TRAIN, "eval_crop": DEMO_EVAL_CROP},
        "metrics": {
            "searched": searched.as_dict(),
            "uniform8": uni8.as_dict(),
            "bicubic": bic.as_dict(),
            "gain_vs_bicubic_db": gain,
            "searched_dominates_uniform8": dominated_by_group(points, "searched", "uniform").get(
                "uniform8", False
            ),
        },
        "headline": headline,
    }
