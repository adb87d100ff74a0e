"""Architecture regularizers: the entropy term with its schedule and the BitOps penalty.

QuantNAS Sec. 3.3 and the official ``search_sr.py`` (``SparseCrit``, ``FlopsLoss``): the architecture
loss is ``L1 + eta * BitOps(p) / BitOps(p_init) + gamma(t) * sum_blocks H(p_block)``.
"""

from __future__ import annotations

import math

import torch

from core_utils import InputError


def entropy(p: torch.Tensor) -> torch.Tensor:
    """Shannon entropy ``H = -sum p log p`` of a distribution (any shape; ``0 log 0 = 0``)."""
    p = p.flatten()
    return -(torch.where(p > 0, p * torch.log(p.clamp_min(1e-30)), torch.zeros_like(p))).sum()


def entropy_schedule(epoch: int, epochs: int, warm_up: int, coef: float = 1e-3) -> float:
    """The entropy weight ``gamma(t) = c * w1 * w2`` of the official code.

    ``q = floor((E - W) / 4)``, ``w1 = (t - W) / (E - 1 - W)``, ``w2 = 0`` while ``t - W < q``, else
    ``log_{E - q - W + 1}(t - q - W + 2)``; zero before the warm-up ends. For ``E = 20, W = 9`` the
    factor ``w1 w2`` over epochs 9..19 is 0, 0, .06, .14, .24, .35, .47, .59, .72, .86, 1.
    """
    if warm_up >= epochs:
        raise InputError(f"warm_up must be < epochs, got warm_up={warm_up}, epochs={epochs}")
    if coef < 0:
        raise InputError(f"entropy coefficient must be >= 0, got {coef}")
    t, e, w = epoch, epochs, warm_up
    if t < w:
        return 0.0
    q = (e - w) // 4
    w1 = (t - w) / (e - 1 - w) if e - 1 - w > 0 else 1.0
    if t - w < q:
        return 0.0
    base = e - q - w + 1
    w2 = math.log(t - q - w + 2) / math.log(base) if base > 1 else 1.0
    return coef * w1 * w2


def bitops_penalty(expected: torch.Tensor, init: float, eta: float) -> torch.Tensor:
    """``eta * BitOps(p) / BitOps(p_init)``."""
    if eta < 0:
        raise InputError(f"BitOps penalty eta must be >= 0, got {eta}")
    return eta * expected / init
