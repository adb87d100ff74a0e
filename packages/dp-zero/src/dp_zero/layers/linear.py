"""``nn.Linear`` on 2-D (``B x d``) and sequence (``B x ... x d``) inputs."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dp_zero.layers.base import LayerRule, clipped_matrix_sum, matrix_sq_norms, register_rule, sequence_view


@register_rule(nn.Linear)
class LinearRule(LayerRule):
    """``s = a W^T + b``: ``G_i = b_i^T a_i`` (weight), ``sum_t b_it`` (bias)."""

    def forward(self, module: nn.Module, x: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.linear(x, params["weight"], params.get("bias"))

    def grad_input(self, module, x, params, g):
        w = params["weight"]
        gx = g @ (w if w.dtype == g.dtype else w.to(g.dtype))
        return gx if gx.dtype == x.dtype else gx.to(x.dtype)

    def prepare(self, module, x, g, params) -> dict[str, Any]:
        if x.dim() == 1:
            raise ValueError("dp-zero needs a batch dimension: Linear got a 1-D input")
        return {"a": sequence_view(x), "b": sequence_view(g)}

    def per_sample_sq_norms(self, state, trainable):
        a, b = state["a"], state["b"]
        sq = (
            matrix_sq_norms(a, b, state)
            if "weight" in trainable
            else torch.zeros(a.shape[0], device=a.device)
        )
        if "bias" in trainable:
            state["bsum"] = b.sum(1)  # per-sample bias gradient, reused by clipped_sum
            sq = sq + state["bsum"].square().sum(1)
        return sq

    def clipped_sum(self, state, c, trainable):
        a, b = state["a"], state["b"]
        out = {}
        if "weight" in trainable:
            out["weight"] = clipped_matrix_sum(a, b, c, state.get("G"))
        if "bias" in trainable:
            out["bias"] = c @ (state["bsum"] if "bsum" in state else b.sum(1))
        return out
