"""Shared utilities for the methodkit packages.

Only what several method packages need lives here: seeding, the input-error
type and CLI wrapper, shared CLI options with TOML configs, atomic run records
and checkpoints, progress bars, wall-time / peak-memory measurement and
headless figure saving. numpy is the only hard dependency; torch, matplotlib
and tqdm are used when installed.
"""

from core_utils.checkpoint import load_checkpoint, save_checkpoint
from core_utils.cli import (
    CommonOptions,
    add_common_options,
    cli_main,
    common_options,
    make_parser,
    resolve_config,
    resolve_device,
)
from core_utils.errors import InputError
from core_utils.figures import new_figure, save_figure
from core_utils.measure import Measurement, measure
from core_utils.progress import progress
from core_utils.records import atomic_write_bytes, atomic_write_text, write_result
from core_utils.seeding import SeededGenerators, derive_seed, seed_everything

__version__ = "0.1.0"

__all__ = [
    "CommonOptions",
    "InputError",
    "Measurement",
    "SeededGenerators",
    "__version__",
    "add_common_options",
    "atomic_write_bytes",
    "atomic_write_text",
    "cli_main",
    "common_options",
    "derive_seed",
    "load_checkpoint",
    "make_parser",
    "measure",
    "new_figure",
    "progress",
    "resolve_config",
    "resolve_device",
    "save_checkpoint",
    "save_figure",
    "seed_everything",
    "write_result",
]
