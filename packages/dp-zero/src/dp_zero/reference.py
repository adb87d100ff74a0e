"""Slow, obviously correct reference: explicit per-sample gradients with ``torch.func``.

Used by the tests and ``dp-zero verify`` as the oracle for the ghost norms and for the clipped,
(noise-free) update of every backend (spec section 3, "Reference equivalence").
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from dp_zero.clipping import get_clipping_fn
from dp_zero.layers import find_rule


def per_sample_grads(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """``{name: B x *shape}`` gradients of ``loss_fn(model(x_i), y_i)`` for each sample ``i``."""
    params = {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}
    buffers = {n: b.detach() for n, b in model.named_buffers()}

    def one(p, xi, yi):
        out = functional_call(model, (p, buffers), (xi.unsqueeze(0),))
        return loss_fn(out, yi.unsqueeze(0))

    return vmap(grad(one), in_dims=(None, 0, 0))(params, x, y)


def layer_groups(model: nn.Module) -> list[list[str]]:
    """Parameter names grouped by owning supported layer (the layer-wise clipping groups)."""
    groups = []
    for name, module in model.named_modules():
        own = [n for n, p in module.named_parameters(recurse=False) if p.requires_grad]
        if own and find_rule(module) is not None:
            groups.append([f"{name}.{n}" if name else n for n in own])
    return groups


def reference_clipped_sum(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    max_grad_norm: float,
    clipping_fn: str = "automatic",
    clipping_style: str = "layer-wise",
) -> dict[str, torch.Tensor]:
    """``sum_i C_i g_i`` per parameter from explicit per-sample gradients."""
    gs = per_sample_grads(model, loss_fn, x, y)
    clip = get_clipping_fn(clipping_fn)
    groups = layer_groups(model) if clipping_style == "layer-wise" else [list(gs)]
    thr = max_grad_norm / math.sqrt(len(groups)) if clipping_style == "layer-wise" else max_grad_norm
    out = {}
    for group in groups:
        sq = sum(gs[n].reshape(gs[n].shape[0], -1).square().sum(1) for n in group)
        c = clip(sq.sqrt(), thr)
        for n in group:
            out[n] = torch.einsum("b,b...->...", c, gs[n])
    return out
