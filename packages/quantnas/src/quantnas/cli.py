"""Command-line interface of ``quantnas`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from quantnas import __version__

CITATION = "Shvetsov et al. QuantNAS for super resolution: searching for efficient quantization-friendly architectures against quantization noise. arXiv:2208.14839, 2022."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``quantnas`` argument parser."""
    parser, sub = make_parser(
        "quantnas",
        version=__version__,
        description="Quantization-aware differentiable architecture search for image super-resolution.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``quantnas`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
