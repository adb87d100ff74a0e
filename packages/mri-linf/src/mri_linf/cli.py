"""Command-line interface of ``mri-linf`` (thin: parse, call the library, write the record)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from core_utils import cli_main, make_parser
from mri_linf import __version__

CITATION = "Alaifari, Alberti, Gauksson. Localized adversarial artifacts for compressed sensing MRI. arXiv:2206.05289, 2022."


def _cite(args: argparse.Namespace) -> int:
    print(CITATION)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``mri-linf`` argument parser."""
    parser, sub = make_parser(
        "mri-linf",
        version=__version__,
        description="k-space attacks causing localized l-infinity artifacts in TV and DNN MRI reconstruction.",
    )
    p = sub.add_parser("cite", help="print the paper to cite")
    p.set_defaults(func=_cite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mri-linf`` command."""
    return cli_main(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
