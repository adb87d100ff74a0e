"""``nn.Conv1d`` / ``nn.Conv2d`` (``groups=1``, zero padding) through im2col: a conv is a Linear
on the unfolded patches, so ``a = unfold(x)`` is ``B x T x (C_in k)`` with ``T`` output positions."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dp_zero.layers.base import LayerRule, clipped_matrix_sum, matrix_sq_norms, register_rule


def _as_2d(module: nn.Module) -> tuple[tuple[int, int], ...]:
    """kernel, stride, padding, dilation as 2-D tuples (Conv1d is a 1 x L Conv2d)."""
    if isinstance(module, nn.Conv1d):
        return tuple(
            (1, v[0]) if i != 2 else (0, v[0])
            for i, v in enumerate((module.kernel_size, module.stride, module.padding, module.dilation))
        )
    return (module.kernel_size, module.stride, module.padding, module.dilation)


@register_rule(nn.Conv1d, nn.Conv2d)
class ConvRule(LayerRule):
    """Conv1d / Conv2d with ``groups == 1`` and ``padding_mode == 'zeros'``."""

    def unsupported_reason(self, module: nn.Module) -> str | None:
        if module.groups != 1:
            return "grouped convolution (groups != 1) is not supported"
        if module.padding_mode != "zeros":
            return f"padding_mode={module.padding_mode!r} is not supported (only 'zeros')"
        if isinstance(module.padding, str):
            return f"string padding {module.padding!r} is not supported: give integers"
        return None

    def forward(self, module, x, params):
        fn = F.conv1d if isinstance(module, nn.Conv1d) else F.conv2d
        return fn(x, params["weight"], params.get("bias"), module.stride, module.padding, module.dilation)

    def grad_input(self, module, x, params, g):
        fn = torch.nn.grad.conv1d_input if isinstance(module, nn.Conv1d) else torch.nn.grad.conv2d_input
        w = params["weight"].to(g.dtype)
        return fn(x.shape, w, g, module.stride, module.padding, module.dilation).to(x.dtype)

    def prepare(self, module, x, g, params):
        k, s, p, d = _as_2d(module)
        x4 = x.unsqueeze(2) if isinstance(module, nn.Conv1d) else x
        a = F.unfold(x4.float(), k, dilation=d, padding=p, stride=s).transpose(1, 2)  # B x T x (C k)
        b = g.reshape(g.shape[0], g.shape[1], -1).float().transpose(1, 2)  # B x T x C_out
        return {"a": a, "b": b, "shape": params["weight"].shape}

    def per_sample_sq_norms(self, state, trainable):
        a, b = state["a"], state["b"]
        sq = torch.zeros(a.shape[0], device=a.device)
        if "weight" in trainable:
            sq = sq + matrix_sq_norms(a, b, state)
        if "bias" in trainable:
            state["bsum"] = b.sum(1)  # per-sample bias gradient, reused by clipped_sum
            sq = sq + state["bsum"].square().sum(1)
        return sq

    def clipped_sum(self, state, c, trainable):
        a, b = state["a"], state["b"]
        out = {}
        if "weight" in trainable:
            out["weight"] = clipped_matrix_sum(a, b, c, state.get("G")).reshape(state["shape"])
        if "bias" in trainable:
            out["bias"] = c @ (state["bsum"] if "bsum" in state else b.sum(1))
        return out
