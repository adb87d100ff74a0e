"""Blueprint overhead vs the same GCN written directly in PyG, and kNN graph construction vs nodes.

Usage: ``python benchmarks/bench_blueprint.py --out DIR [extra mmgraph bench options]``. Runs the
same library code as ``mmgraph bench`` and writes ``DIR/result.json`` and ``DIR/construction.png``.
"""

import sys

from mmgraph.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench", "--threads", "1", *sys.argv[1:]]))
