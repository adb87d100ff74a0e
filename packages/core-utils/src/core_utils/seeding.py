"""One call that seeds Python, numpy and (if installed) torch."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from core_utils.errors import InputError


@dataclass(frozen=True)
class SeededGenerators:
    """The generators :func:`seed_everything` made.

    Attributes
    ----------
    seed : int
        The seed used.
    python : random.Random
        A dedicated Python generator (the global one is seeded too).
    numpy : numpy.random.Generator
        A fresh ``numpy.random.default_rng(seed)``.
    torch : torch.Generator or None
        A CPU ``torch.Generator`` seeded with ``seed``; None without torch.
    """

    seed: int
    python: random.Random
    numpy: np.random.Generator
    torch: Any = None


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InputError(f"seed must be an integer, got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise InputError(f"seed must be in [0, 2**32), got {seed}")
    return seed


def seed_everything(seed: int, *, deterministic_torch: bool = False) -> SeededGenerators:
    """Seed Python's ``random``, numpy's legacy global state and torch.

    Parameters
    ----------
    seed : int
        Non-negative integer below ``2**32``.
    deterministic_torch : bool
        Also ask torch for deterministic algorithms (``warn_only``).

    Returns
    -------
    SeededGenerators
        Fresh generators seeded from ``seed``; prefer passing these around over
        relying on global state.
    """
    seed = _check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - legacy global state, for third-party code
    torch_gen = None
    try:
        import torch
    except ImportError:  # torch is optional
        torch = None
    if torch is not None:
        torch.manual_seed(seed)
        if deterministic_torch:
            torch.use_deterministic_algorithms(True, warn_only=True)
        torch_gen = torch.Generator().manual_seed(seed)
    return SeededGenerators(
        seed=seed,
        python=random.Random(seed),
        numpy=np.random.default_rng(seed),
        torch=torch_gen,
    )


def derive_seed(seed: int, *names: object) -> int:
    """A stable per-purpose seed from ``(seed, *names)`` (e.g. per sweep point).

    Uses SHA-256, so it does not depend on Python's hash randomisation.
    """
    seed = _check_seed(seed)
    key = repr((seed, *names)).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "little")
