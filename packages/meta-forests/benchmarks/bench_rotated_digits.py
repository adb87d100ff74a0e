"""Full rotated-digits leave-one-domain-out benchmark (all methods, training-domain validation).

Usage: python benchmarks/bench_rotated_digits.py --out DIR [--seeds 5]
(same code as `meta-forests benchmark --dataset rotated-digits --protocol lodo`)
"""

import argparse
import sys

from meta_forests.cli import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", type=int, default=1)
    args = ap.parse_args()
    argv = ["benchmark", "--dataset", "rotated-digits", "--protocol", "lodo", "--seeds", str(args.seeds)]
    sys.exit(main([*argv, "--out", args.out, "--quiet"]))
