"""Command-line interface of ``agri-dl`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from agri_dl import __version__
from core_utils import cli_main, make_parser

CITATION = "Kamilaris, Prenafeta-Boldu. Deep learning in agriculture: a survey. Computers and Electronics in Agriculture 147, 2018 (arXiv:1807.11809)."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``agri-dl`` argument parser."""
    parser, sub = make_parser(
        "agri-dl",
        version=__version__,
        description="Deep learning vs classical image analysis in agriculture, with the survey's catalogue.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``agri-dl`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
