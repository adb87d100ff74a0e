"""iBean: classical pipelines vs compact CNNs, accuracy / fit time / images per second, and the
learning curve over training-set fractions (same code as `agri-dl bench`).

Usage: python benchmarks/bench_ibean.py --out DIR [--seeds 3] [--quick] [--threads 1]
"""

import argparse
import sys

from agri_dl.cli import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="1 seed, 10 epochs, full training set only")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (small models run best on 1)")
    args = ap.parse_args()
    argv = [
        "bench",
        "--task",
        "ibean",
        "--seeds",
        "1" if args.quick else str(args.seeds),
        "--out",
        args.out,
        "--quiet",
        "--threads",
        str(args.threads),
    ]
    argv += ["--methods", "color-svm,color-rf,lbp-svm,hog-svm,hog-rf,glcm-rf,all-svm,all-rf,cnn,vgg,resnet"]
    if args.quick:
        argv += ["--set", "epochs=10"]
    else:
        argv += ["--set", "fractions=[0.1, 0.25, 0.5, 1.0]"]
    sys.exit(main(argv))
