"""Command-line interface of ``dp-zero`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from dp_zero import __version__

CITATION = "Bu, Chiu, Liu, Zha, Karypis. Zero redundancy distributed learning with differential privacy. arXiv:2311.11822, 2023."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``dp-zero`` argument parser."""
    parser, sub = make_parser(
        "dp-zero",
        version=__version__,
        description="Differentially private training inside DeepSpeed ZeRO stages 1/2/3 with mixed precision.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dp-zero`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
