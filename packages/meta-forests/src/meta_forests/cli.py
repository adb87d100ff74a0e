"""Command-line interface of ``meta-forests`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from meta_forests import __version__

CITATION = "Sun, Kosmas. Meta-forests: Domain generalization on random forests with meta-learning. ACML 2023 (arXiv:2401.04425)."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``meta-forests`` argument parser."""
    parser, sub = make_parser(
        "meta-forests",
        version=__version__,
        description="Domain generalization with random forests, meta-learning and MMD, as a scikit-learn estimator.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``meta-forests`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
