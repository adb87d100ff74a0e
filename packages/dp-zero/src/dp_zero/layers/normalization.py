"""``nn.LayerNorm`` and ``nn.GroupNorm`` (elementwise affine): per-sample gradients are tiny
(``B x C``), so they are instantiated from the normalised input ``x_hat``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dp_zero.layers.base import STATS, LayerRule, register_rule


class _AffineNormRule(LayerRule):
    """``s = x_hat * w + b``: ``dL_i/dw = sum (x_hat_i * g_i)``, ``dL_i/db = sum g_i``."""

    def normalise(self, module, x, params):
        """``x_hat`` (fp32) of the input ``x``."""
        raise NotImplementedError

    def reduce(self, module, t):
        """Sum a per-element tensor down to ``B x (parameter shape, flattened)``."""
        raise NotImplementedError

    def grad_input(self, module, x, params, g):
        # The input gradient of a normalisation is elementwise-cheap: recompute it with autograd.
        with torch.enable_grad():
            xx = x.detach().requires_grad_(True)
            out = self.forward(module, xx, {k: params[k].detach() for k in self.param_names if k in params})
            (gx,) = torch.autograd.grad(out, xx, g)
        return gx

    def prepare(self, module, x, g, params):
        xf, gf = x.float(), g.float()
        state = {"shape": {k: params[k].shape for k in self.param_names if k in params}}
        if "weight" in params:
            state["weight"] = self.reduce(module, self.normalise(module, xf, params) * gf)
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

    def forward_with_stats(self, module, x, params):
        # one kernel gives the output and the mean / 1/std the backward needs (fp32 inputs; other
        # dtypes recompute them in fp32)
        if x.dtype != torch.float32:
            return self.forward(module, x, params), ()
        out, mean, rstd = torch.native_layer_norm(
            x, list(module.normalized_shape), params.get("weight"), params.get("bias"), module.eps
        )
        return out, (mean, rstd)

    def normalise(self, module, x, params):
        if STATS in params:
            mean, rstd = params[STATS]
            return (x - mean) * rstd
        return F.layer_norm(x, module.normalized_shape, None, None, module.eps)

    def grad_input(self, module, x, params, g):
        # torch's own LayerNorm backward kernel, fed the forward's statistics (or those of a
        # weightless forward)
        shape = list(module.normalized_shape)
        if STATS in params:
            mean, rstd = params[STATS]
        else:
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

    def normalise(self, module, x, params):
        return F.group_norm(x, module.num_groups, None, None, module.eps)

    def reduce(self, module, t):
        return t.reshape(t.shape[0], t.shape[1], -1).sum(2)
