"""Speed and memory of flat-embed as ratios against baselines measured in the same run.

Usage: python benchmarks/bench_flat_embed.py --out DIR [--quick]

Calls the same library code as ``flat-embed bench`` and writes DIR/result.json.
"""

from __future__ import annotations

import argparse
import sys

from flat_embed.cli import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    sys.exit(main(["bench", "--out", a.out, "--quiet", *(["--quick"] if a.quick else [])]))
