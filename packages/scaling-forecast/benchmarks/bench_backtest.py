"""Full-backtest wall time: naive per-fit curve_fit vs the reusing (scipy) and batched engines.

Usage: python benchmarks/bench_backtest.py --out DIR [--quick]
Writes DIR/result.json (same record as ``scaling-forecast bench``).
"""

from __future__ import annotations

import argparse
import sys

from scaling_forecast.cli import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    sys.exit(main(["bench", "--out", a.out, *(["--quick"] if a.quick else [])]))
