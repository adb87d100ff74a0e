"""``nn.LayerNorm`` and ``nn.GroupNorm`` (elementwise affine): per-sample gradients are tiny
(``B x C``), so they are instantiated from the normalised input ``x_hat``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dp_zero.layers.base import LayerRule, register_rule


class _AffineNormRule(LayerRule):
    """``s = x_hat * w + b``: ``dL_i/dw = sum (x_hat_i * g_i)``, ``dL_i/db = sum g_i``."""

    def normalise(self, module, x):
        raise NotImplementedError

    def reduce(self, module, t):
        """Sum a per-element tensor down to ``B x (parameter shape, flattened)``."""
        raise NotImplementedError

    def grad_input(self, module, x, params, g):
        # The input gradient of a normalisation is elementwise-cheap: recompute it with autograd.
        with torch.enable_grad():
            xx = x.detach().requires_grad_(True)
            out = self.forward(module, xx, {k: v.detach() for k, v in params.items()})
            (gx,) = torch.autograd.grad(out, xx, g)
        return gx

    def prepare(self, module, x, g, params):
        xf, gf = x.float(), g.float()
        state = {"shape": {k: v.shape for k, v in params.items()}}
        if "weight" in params:
            state["weight"] = self.reduce(module, self.normalise(module, xf) * gf)
        if "bias" in params:
            state["bias"] = self.reduce(module, gf)
        return state

    def per_sample_sq_norms(self, state, trainable):
        return sum(state[n].square().sum(1) for n in trainable)

    def clipped_sum(self, state, c, trainable):
        return {n: (c @ state[n]).reshape(state["shape"][n]) for n in trainable}


@register_rule(nn.LayerNorm)
class LayerNormRule(_AffineNormRule):
    def forward(self, module, x, params):
        return F.layer_norm(x, module.normalized_shape, params.get("weight"), params.get("bias"), module.eps)

    def normalise(self, module, x):
        return F.layer_norm(x, module.normalized_shape, None, None, module.eps)

    def grad_input(self, module, x, params, g):
        # torch's own LayerNorm backward kernel, fed the statistics of a weightless forward
        shape = list(module.normalized_shape)
        _, mean, rstd = torch.native_layer_norm(x, shape, None, None, module.eps)
        w = params.get("weight")
        gx, _, _ = torch.ops.aten.native_layer_norm_backward(
            g.to(x.dtype), x, shape, mean, rstd, None if w is None else w.to(x.dtype), None,
            [True, False, False],
        )  # fmt: skip
        return gx

    def reduce(self, module, t):
        n = math.prod(module.normalized_shape)
        return t.reshape(t.shape[0], -1, n).sum(1)


@register_rule(nn.GroupNorm)
class GroupNormRule(_AffineNormRule):
    def forward(self, module, x, params):
        return F.group_norm(x, module.num_groups, params.get("weight"), params.get("bias"), module.eps)

    def normalise(self, module, x):
        return F.group_norm(x, module.num_groups, None, None, module.eps)

    def reduce(self, module, t):
        return t.reshape(t.shape[0], t.shape[1], -1).sum(2)
