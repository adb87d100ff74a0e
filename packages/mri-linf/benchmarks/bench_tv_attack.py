"""Benchmark: TV time/iteration vs sigpy, iterations to a gap, attack time, unrolling memory.

Usage: ``python benchmarks/bench_tv_attack.py --out DIR [--quick] [--no-peer]`` (writes
DIR/bench_tv_attack/result.json); the same code as ``mri-linf bench``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from core_utils import measure, write_result
from mri_linf.benchmark import run_benchmarks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = args.out / "bench_tv_attack"
    with measure() as m:
        metrics, head = run_benchmarks(out, quick=args.quick, peer=not args.no_peer)
    write_result(
        out,
        command=[sys.executable, *sys.argv],
        config={"quick": args.quick, "peer": not args.no_peer},
        metrics=metrics,
        wall_time_s=m.wall_s,
        peak_memory_mb=m.peak_rss_mb,
        packages=["mri-linf", "sigpy"],
        headline=head,
    )
    print(head)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
