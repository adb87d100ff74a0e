"""Search-step time and peak memory: quantization noise vs direct quantization vs no quantization.

Usage: python benchmarks/bench_search_step.py --out DIR [--channels 36] [--repeats 5] [--no-memory]
Times are interleaved in one process (median of the repeats, wall and thread CPU time); memory is
the peak RSS of search steps above the RSS before them, each mode in a fresh process.
"""

import argparse
import sys

import torch

from core_utils import measure, write_result
from quantnas.benchmark import search_step_memory, search_step_times
from quantnas.space import preset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--space", default="basic")
    ap.add_argument("--channels", type=int, default=36)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr-crop", type=int, default=24)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--memory", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--memory-steps", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    space = preset(a.space, channels=a.channels, cells=1)
    with measure() as m:
        res = search_step_times(
            space, batch_size=a.batch_size, lr_crop=a.lr_crop, steps=a.steps, repeats=a.repeats
        )
        if a.memory:
            res.update(
                search_step_memory(space, batch_size=a.batch_size, lr_crop=a.lr_crop, steps=a.memory_steps)
            )
    write_result(
        a.out,
        command=["python", *sys.argv],
        config=vars(a),
        metrics=res,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["quantnas"],
        headline=f"noise vs direct search step: {res['speedup_noise_vs_direct']:.2f}x faster (wall), "
        f"{res['speedup_noise_vs_direct_cpu']:.2f}x (CPU time), "
        f"memory ratio {res.get('memory_ratio_noise_vs_direct', float('nan')):.2f}",
    )
    print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in res.items()})


if __name__ == "__main__":
    main()
