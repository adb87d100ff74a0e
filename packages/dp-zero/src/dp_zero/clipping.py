"""Clipping functions and per-layer thresholds (spec section 1, step 5 and "Clipping functions").

A clipping function maps per-sample norms ``||g_i||`` and a threshold ``R`` to factors ``C_i`` such
that ``||C_i g_i|| <= R``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from core_utils import InputError

ClipFn = Callable[[torch.Tensor, float], torch.Tensor]
CLIPPING_FUNCTIONS: dict[str, ClipFn] = {}

#: stability constant of automatic clipping (Bu et al., NeurIPS 2023; fastDP default)
AUTOMATIC_GAMMA = 0.01


def register_clipping(name: str) -> Callable[[ClipFn], ClipFn]:
    """Register a clipping function under ``name`` (duplicates refused)."""

    def deco(fn: ClipFn) -> ClipFn:
        if name in CLIPPING_FUNCTIONS:
            raise ValueError(f"clipping function {name!r} is already registered")
        CLIPPING_FUNCTIONS[name] = fn
        return fn

    return deco


@register_clipping("abadi")
def abadi(norms: torch.Tensor, threshold: float) -> torch.Tensor:
    """``C = min(1, R / (||g|| + 1e-6))`` (Abadi et al. 2016)."""
    # reciprocal-then-multiply is what ``threshold / tensor`` does, without its Python wrapper
    return (norms + 1e-6).reciprocal_().mul_(threshold).clamp_(max=1.0)


@register_clipping("automatic")
def automatic(norms: torch.Tensor, threshold: float) -> torch.Tensor:
    """``C = R / (||g|| + gamma)``, gamma = 0.01 (automatic / normalised clipping)."""
    return (norms + AUTOMATIC_GAMMA).reciprocal_().mul_(threshold)


@register_clipping("global")
def global_(norms: torch.Tensor, threshold: float) -> torch.Tensor:
    """``C = 1[||g|| <= R]``: samples above the threshold are dropped (Bu et al. 2021)."""
    return (norms <= threshold).to(norms.dtype)


def get_clipping_fn(name: str) -> ClipFn:
    if name not in CLIPPING_FUNCTIONS:
        raise InputError(f"clipping_fn must be one of {', '.join(CLIPPING_FUNCTIONS)}, got {name!r}")
    return CLIPPING_FUNCTIONS[name]


def layer_thresholds(max_grad_norm: float, num_groups: int) -> float:
    """Equal per-group threshold ``R_l = R / sqrt(L)`` so that ``sqrt(sum_l R_l^2) = R``."""
    if num_groups < 1:
        raise InputError("the model has no trainable supported layer to clip")
    return max_grad_norm / math.sqrt(num_groups)
