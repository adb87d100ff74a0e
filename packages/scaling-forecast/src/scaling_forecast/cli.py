"""Command-line interface of ``scaling-forecast`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from scaling_forecast import __version__

CITATION = "Owen. How predictable is language model benchmark performance? arXiv:2401.04757, 2024."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``scaling-forecast`` argument parser."""
    parser, sub = make_parser(
        "scaling-forecast",
        version=__version__,
        description="Forecasting benchmark scores from training compute, with backtests.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``scaling-forecast`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
