"""Command-line interface of ``tapestry`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from tapestry import __version__

CITATION = "LuValle. Learning tapestries: threads of plausible pseudo future histories for open chaotic systems. arXiv, 2025."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``tapestry`` argument parser."""
    parser, sub = make_parser(
        "tapestry",
        version=__version__,
        description="Threads of plausible future histories for forecasting open chaotic systems.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tapestry`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
