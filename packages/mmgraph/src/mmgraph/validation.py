"""Input checks shared by every component: each raises :class:`core_utils.InputError` naming the problem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from core_utils import InputError


def as_float_tensor(x: Any, name: str) -> torch.Tensor:
    """Convert ``x`` to a 2-D float32 tensor and reject NaN/inf and empty input."""
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    if t.ndim == 1:
        t = t[:, None]
    if t.ndim != 2:
        raise InputError(f"{name} must be a 2-D array (entities x features), got shape {tuple(t.shape)}")
    if t.shape[0] == 0:
        raise InputError(f"{name} is empty: no entities (an empty graph cannot be learned on)")
    t = t.to(torch.float32)
    if not torch.isfinite(t).all():
        bad = int((~torch.isfinite(t)).any(dim=1).nonzero()[0, 0])
        raise InputError(f"{name} contains NaN or inf values (first at row {bad})")
    return t


def check_edge_index(edge_index: Any, num_nodes: int, name: str = "edge_index") -> torch.Tensor:
    """Validate a PyG ``edge_index``: int64, shape (2, E), entries in ``[0, num_nodes)``."""
    if not isinstance(edge_index, torch.Tensor):
        arr = np.asarray(edge_index)
        if arr.dtype.kind not in "iu":
            raise InputError(f"{name} must hold integers, got dtype {arr.dtype}")
        edge_index = torch.as_tensor(arr.astype(np.int64))
    if edge_index.dtype != torch.long:
        raise InputError(f"{name} must be int64 (torch.long), got {edge_index.dtype}")
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise InputError(f"{name} must have shape (2, E), got {tuple(edge_index.shape)}")
    if num_nodes <= 0:
        raise InputError(f"{name}: the graph is empty (num_nodes={num_nodes})")
    if edge_index.numel():
        lo, hi = int(edge_index.min()), int(edge_index.max())
        if lo < 0 or hi >= num_nodes:
            raise InputError(f"{name} entries must lie in [0, {num_nodes}), found range [{lo}, {hi}]")
    return edge_index


def check_labels(y: Any, name: str = "labels", *, classification: bool = True) -> torch.Tensor:
    """Labels as a tensor; classification labels must be int and hold at least two classes."""
    t = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y)
    if t.numel() == 0:
        raise InputError(f"{name} is empty")
    if classification:
        if t.dtype.is_floating_point:
            if not torch.equal(t, t.round()):
                raise InputError(f"{name} must be integer class ids for classification")
            t = t.long()
        t = t.long()
        if t.min() < 0:
            raise InputError(f"{name} must be non-negative class ids, got {int(t.min())}")
        if t.unique().numel() < 2:
            raise InputError(f"{name} holds a single class ({int(t[0])}); at least two are needed")
    else:
        t = t.to(torch.float32)
        if not torch.isfinite(t).all():
            raise InputError(f"{name} contains NaN or inf values")
    return t


def check_positive(value: float, name: str) -> float:
    if not value > 0:
        raise InputError(f"{name} must be > 0, got {value!r}")
    return value


def check_k(k: int, n: int, *, loop: bool = False) -> int:
    """``k`` neighbours among ``n`` points: 1 <= k < n (k <= n with self loops)."""
    limit = n if loop else n - 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    if k > limit:
        raise InputError(f"k={k} is too large for {n} points (need k < n = {n})")
    return int(k)


def check_choice(value: str, choices: Mapping[str, Any] | list[str] | tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise InputError(f"unknown {name} {value!r} (choose from {', '.join(sorted(choices))})")
    return value
