"""Pareto table (searched vs uniform / mixed-precision / direct-quantization / bicubic) and stability.

Usage: python benchmarks/bench_pareto.py --out DIR [--seeds 0 1 2]
       python benchmarks/bench_pareto.py --out DIR --budget larger [--work DIR]
tiny (default): 9 channels, 1 cell, all baselines, 3 seeds for stability.
larger: 12 channels, 6x longer search and 7.5x longer QAT, eta in {1e-3, 1e-2} vs uniform 4/8-bit,
one seed (--work DIR checkpoints every run so that a rerun resumes; --jobs N trains N at once).
Evaluation: x4, SK-Set6 central 128x128 crops.
"""

import argparse
import json
import sys
from pathlib import Path

import torch

from core_utils import measure, write_result
from quantnas.benchmark import budget_experiment, pareto_experiment
from quantnas.pareto import plot_pareto
from quantnas.search import SearchConfig
from quantnas.train import TrainConfig

SEARCH = SearchConfig(
    channels=9,
    cells=1,
    epochs=2,
    warm_up=1,
    steps_per_epoch=20,
    batch_size=4,
    lr_crop=12,
    penalty=1e-3,
    lr_alpha=3e-3,
)
TRAIN = TrainConfig(epochs=2, steps_per_epoch=100, batch_size=4, lr_crop=12, lr=3e-3)
SEARCH_LARGER = SearchConfig(
    channels=12,
    cells=1,
    epochs=6,
    warm_up=2,
    steps_per_epoch=40,
    batch_size=8,
    lr_crop=16,
    penalty=1e-3,
    lr_alpha=3e-3,
)
TRAIN_LARGER = TrainConfig(epochs=3, steps_per_epoch=500, batch_size=8, lr_crop=16, lr=3e-3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--budget", choices=("tiny", "larger"), default="tiny")
    ap.add_argument("--work", default=None, help="checkpoint folder of the larger budget (resumable)")
    ap.add_argument("--jobs", type=int, default=1, help="larger budget: models trained at once")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.budget == "larger":
        scfg, tcfg = SEARCH_LARGER, TRAIN_LARGER
        with measure() as m:
            res = budget_experiment(scfg, tcfg, seed=a.seeds[0], work_dir=a.work, jobs=a.jobs)
        dom = res["uniform_dominated_by_searched"]
        headline = f"uniform models dominated by a searched one: {sum(dom.values())} of {len(dom)}"
    else:
        scfg, tcfg = SEARCH, TRAIN
        with measure() as m:
            res = pareto_experiment(scfg, tcfg, seeds=tuple(a.seeds))
        headline = (
            f"PSNR spread over seeds: noise {res['psnr_spread_noise_db']:.3f} dB, "
            f"direct {res['psnr_spread_direct_db']:.3f} dB"
        )
    plot_pareto(
        res["points"], Path(a.out) / "pareto.png", title=f"x4, SK-Set6 128px crops, {a.budget} CPU budget"
    )
    metrics = {k: v for k, v in res.items() if k != "points"}
    write_result(
        a.out,
        command=["python", *sys.argv],
        config={"search": scfg, "train": tcfg},
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["quantnas"],
        headline=headline,
    )
    for r in res["table"]:
        row = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items() if k != "genotype"}
        print(json.dumps(row))
    print("uniform dominated by searched:", res["uniform_dominated_by_searched"])


if __name__ == "__main__":
    main()
