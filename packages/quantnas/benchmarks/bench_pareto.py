"""Pareto table (searched vs uniform / mixed-precision / direct-quantization / bicubic) and stability.

Usage: python benchmarks/bench_pareto.py --out DIR [--seeds 0 1 2]
Tiny CPU budget: 9 channels, 1 cell, x4, SK-Set6 central 128x128 crops.
"""

import argparse
import json
import sys
from pathlib import Path

import torch

from core_utils import measure, write_result
from quantnas.benchmark import pareto_experiment
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    a = ap.parse_args()
    torch.set_num_threads(1)
    with measure() as m:
        res = pareto_experiment(SEARCH, TRAIN, seeds=tuple(a.seeds))
    plot_pareto(res["points"], Path(a.out) / "pareto.png", title="x4, SK-Set6 128px crops, tiny CPU budget")
    metrics = {k: v for k, v in res.items() if k != "points"}
    write_result(
        a.out,
        command=["python", *sys.argv],
        config={"search": SEARCH, "train": TRAIN},
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["quantnas"],
        headline=f"PSNR spread over seeds: noise {res['psnr_spread_noise_db']:.3f} dB, "
        f"direct {res['psnr_spread_direct_db']:.3f} dB",
    )
    for r in res["table"]:
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}))
    print("uniform dominated by searched:", res["uniform_dominated_by_searched"])


if __name__ == "__main__":
    main()
