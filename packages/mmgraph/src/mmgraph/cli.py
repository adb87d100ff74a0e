"""Command-line interface of ``mmgraph`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from mmgraph import __version__

CITATION = "Ektefaie, Dasoulas, Noori, Farhat, Zitnik. Multimodal learning with graphs. Nature Machine Intelligence 5, 2023 (arXiv:2209.03299)."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``mmgraph`` argument parser."""
    parser, sub = make_parser(
        "mmgraph",
        version=__version__,
        description="The four-component blueprint for multimodal graph learning, on PyTorch Geometric.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mmgraph`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
