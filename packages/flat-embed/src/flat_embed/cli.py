"""Command-line interface of ``flat-embed`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from flat_embed import __version__

CITATION = "Braunsmann, Rajkovic, Rumpf, Wirth. Learning low bending and low distortion manifold embeddings. CVPRW 2021 (arXiv:2104.13189); M2AN 2024 (arXiv:2208.10193)."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``flat-embed`` argument parser."""
    parser, sub = make_parser(
        "flat-embed",
        version=__version__,
        description="Encoder training with an isometry + flatness (low bending, low distortion) loss on pairs of manifold points.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flat-embed`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
