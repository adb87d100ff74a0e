"""Atomic checkpoints of a state dict, for resumable long runs.

The format follows the file name: ``.pt``/``.pth`` uses ``torch.save`` (any
picklable state, tensors included), ``.npz`` stores a flat mapping of numpy
arrays without pickle. Both are written with :func:`atomic_write_bytes`, so an
interrupted save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from core_utils.errors import InputError
from core_utils.records import atomic_write_bytes

_TORCH_SUFFIXES = (".pt", ".pth")


def save_checkpoint(path: str | os.PathLike[str], state: Mapping[str, Any]) -> Path:
    """Save ``state`` atomically to ``path`` (``.pt``/``.pth`` or ``.npz``)."""
    path = Path(path)
    if not isinstance(state, Mapping):
        raise InputError(f"checkpoint state must be a mapping, got {type(state).__name__}")
    buf = io.BytesIO()
    if path.suffix in _TORCH_SUFFIXES:
        import torch

        torch.save(dict(state), buf)
    elif path.suffix == ".npz":
        arrays = {}
        for key, value in state.items():
            arr = np.asarray(value)
            if arr.dtype == object:
                raise InputError(f"checkpoint entry {key!r} is not a numeric array; use a .pt file")
            arrays[str(key)] = arr
        np.savez(buf, **arrays)
    else:
        raise InputError(f"checkpoint path {path} must end in .pt, .pth or .npz")
    return atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | os.PathLike[str], *, map_location: Any = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint`.

    ``.pt`` files are loaded with ``weights_only=False``: load only checkpoints
    you wrote yourself.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path} does not exist")
    if path.suffix in _TORCH_SUFFIXES:
        import torch

        return torch.load(path, map_location=map_location, weights_only=False)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    raise InputError(f"checkpoint path {path} must end in .pt, .pth or .npz")
