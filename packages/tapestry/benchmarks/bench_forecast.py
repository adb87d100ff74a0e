"""Latency per origin vs library size, thread-array memory at 1200 maps, and ratios against a
per-origin NearestNeighbors refit and pyEDM Simplex; local-LARS mode with 2 joblib processes
against one (interleaved, same run).

Usage: python benchmarks/bench_forecast.py --out DIR [--quick]
Writes DIR/result.json (same record as ``tapestry bench``).
"""

from __future__ import annotations

import argparse
import sys

from tapestry.cli import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    sys.exit(main(["bench", "--out", a.out, *(["--quick"] if a.quick else [])]))
