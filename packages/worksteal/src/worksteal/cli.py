"""Command-line interface of ``worksteal`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from worksteal import __version__

CITATION = "Fernandes, de Assis, Martins, Barros, Xavier-de-Souza. Adaptive Asynchronous Work-Stealing for distributed load-balancing in heterogeneous systems. arXiv:2401.04494, 2024."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``worksteal`` argument parser."""
    parser, sub = make_parser(
        "worksteal",
        version=__version__,
        description="Adaptive asynchronous work stealing over MPI (mpi4py) on heterogeneous nodes.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``worksteal`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
