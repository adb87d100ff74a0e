"""DP vs non-DP DeepSpeed ZeRO 1/2/3 (step time, peak memory, bytes per step) and dp-zero vs Opacus.

Usage: python benchmarks/bench_zero.py --out DIR [--stages 1,2,3] [--steps 5]
Calls the same library code as ``dp-zero bench``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dp_zero.cli import main

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--stages", default="1,2,3")
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    sys.exit(main(["bench", "--stages", args.stages, "--steps", str(args.steps), "--out", str(args.out)]))
