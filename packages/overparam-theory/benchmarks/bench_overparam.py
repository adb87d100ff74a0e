"""Benchmark: experiment wall times, deterministic-equivalent cost vs p, closed form vs simulation.

Run from the package folder: ``python benchmarks/bench_overparam.py --out DIR [--quick]``
(the same code as ``overparam bench``).
"""

from __future__ import annotations

import argparse
import json

from core_utils import measure, write_result
from overparam.bench import run_bench

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="bench-out")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    with measure() as m:
        metrics = run_bench(quick=args.quick)
    write_result(
        args.out,
        command="benchmarks/bench_overparam.py",
        metrics=metrics,
        wall_time_s=m.wall_s,
        packages=["overparam-theory"],
    )
    print(json.dumps(metrics, indent=2))
