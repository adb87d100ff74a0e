"""``nn.Embedding``: the per-sample gradient is ``G_i = sum_t e_{idx_it} b_it^T`` (sparse rows)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dp_zero.layers.base import LayerRule, register_rule


@register_rule(nn.Embedding)
class EmbeddingRule(LayerRule):
    """Ghost norm ``||G_i||^2 = sum_{t,s} [idx_it = idx_is] <b_it, b_is>``; never instantiated
    (``G_i`` would be ``V x p`` per sample)."""

    param_names = ("weight",)

    def unsupported_reason(self, module: nn.Module) -> str | None:
        if module.max_norm is not None:
            return "Embedding(max_norm=...) renormalises weights in forward and is not supported"
        if module.sparse:
            return "Embedding(sparse=True) is not supported"
        if module.scale_grad_by_freq:
            return "Embedding(scale_grad_by_freq=True) couples samples and is not supported"
        return None

    def forward(self, module, x, params):
        return F.embedding(x, params["weight"], module.padding_idx)

    def grad_input(self, module, x, params, g):
        return None

    def prepare(self, module, x, g, params):
        idx = x.reshape(x.shape[0], -1)
        b = g.reshape(g.shape[0], idx.shape[1], -1).float()
        if module.padding_idx is not None:  # torch gives the padding row no gradient
            b = b * (idx != module.padding_idx).unsqueeze(-1)
        return {"idx": idx, "b": b, "num": params["weight"].shape[0]}

    def per_sample_sq_norms(self, state, trainable):
        idx, b = state["idx"], state["b"]
        same = (idx.unsqueeze(2) == idx.unsqueeze(1)).to(b.dtype)
        return (same * torch.bmm(b, b.transpose(1, 2))).sum((1, 2))

    def clipped_sum(self, state, c, trainable):
        idx, b = state["idx"], state["b"]
        out = torch.zeros(state["num"], b.shape[2], device=b.device, dtype=b.dtype)
        out.index_add_(0, idx.reshape(-1), (b * c[:, None, None]).reshape(-1, b.shape[2]))
        return {"weight": out}
