"""Makespan / C* of every policy: real MPI (4 and 8 ranks) and the simulator (64 to 4096 ranks).

Usage: ``python benchmarks/bench_policies.py --out DIR [--quick]``. Calls the same library code
as ``worksteal bench`` and writes ``DIR/result.json``, ``DIR/bench_table.md`` and a PNG.
"""

from __future__ import annotations

import argparse
import sys

from worksteal.cli import main

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    sys.exit(main(["bench", "--out", a.out, *(["--quick"] if a.quick else [])]))
