"""Command-line interface of ``overparam-theory`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from overparam import __version__

CITATION = "Bartlett, Montanari, Rakhlin. Deep learning: a statistical viewpoint. Acta Numerica 30, 2021 (arXiv:2103.09177)."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``overparam-theory`` argument parser."""
    parser, sub = make_parser(
        "overparam-theory",
        version=__version__,
        description="Implicit regularization, benign overfitting and the linear regime: closed forms plus simulations.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``overparam-theory`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
