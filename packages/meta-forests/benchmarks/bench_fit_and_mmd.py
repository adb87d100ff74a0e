"""Fit time of meta-forests vs a pooled random forest with equal trees, and exact vs random-feature MMD.

Usage: python benchmarks/bench_fit_and_mmd.py --out DIR   (same code as `meta-forests bench`)
"""

import argparse
import sys

from meta_forests.cli import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sys.exit(main(["bench", "--out", args.out, "--quiet", "--threads", "1"]))
