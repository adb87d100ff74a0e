"""Private layers: the "torch-extending" core (spec section 6, ``layers.py``).

:func:`convert_model` routes the forward of every trainable supported layer through
:class:`PrivateLayerFunction`, an ``autograd.Function`` whose backward returns the layer's
*already clipped (and, once per step, noised)* gradient as the gradient of its parameters. The
clipped gradient is therefore final when the layer's backward ends, before any gradient-reduction
hook of DeepSpeed ZeRO, FSDP or DDP fires, and no backend internals are touched (spec step 5).
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import nn

from core_utils import InputError
from dp_zero.layers import LayerRule, find_rule
from dp_zero.layers.base import STATS

if TYPE_CHECKING:
    from dp_zero.engine import DPZeroEngine


@dataclass(eq=False)
class PrivateLayer:
    """Book-keeping for one converted module: its rule, its parameters and their indices."""

    name: str
    module: nn.Module
    rule: LayerRule
    names: tuple[str, ...]  # parameters passed through the Function, in order
    trainable: tuple[str, ...]  # those that receive private gradients
    index: int  # clipping-group index
    param_index: dict[str, int] = field(default_factory=dict)  # global parameter index for noise seeds
    engine: DPZeroEngine | None = None


class PrivateLayerFunction(torch.autograd.Function):
    """``forward(layer, x, *params)`` computes the layer; ``backward`` returns the input gradient
    and the private parameter gradients computed by the engine from ``(x, grad_out)``."""

    @staticmethod
    def forward(ctx, layer: PrivateLayer, x: torch.Tensor, *params: torch.Tensor) -> torch.Tensor:
        ctx.layer = layer
        out, stats = layer.rule.forward_with_stats(layer.module, x, dict(zip(layer.names, params)))
        ctx.save_for_backward(x, *params, *stats)
        return out

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        layer: PrivateLayer = ctx.layer
        x, *rest = ctx.saved_tensors
        k = len(layer.names)
        pdict = dict(zip(layer.names, rest[:k]))
        if len(rest) > k:  # forward statistics the rule kept (LayerNorm: mean, 1/std)
            pdict[STATS] = tuple(rest[k:])
        gx = None
        if ctx.needs_input_grad[1]:
            gx = layer.rule.grad_input(layer.module, x, pdict, grad_out)
        assert layer.engine is not None
        grads = layer.engine._private_grads(layer, x, grad_out, pdict)
        return (None, gx, *[grads.get(n) for n in layer.names])


def _private_forward(layer: PrivateLayer, original):
    def forward(self, x, *args, **kwargs):
        if args or kwargs or not torch.is_grad_enabled():
            return original(x, *args, **kwargs)
        params = [getattr(self, n) for n in layer.names]
        return PrivateLayerFunction.apply(layer, x, *params)

    return forward


def unsupported_modules(model: nn.Module) -> list[str]:
    """Names (and reasons) of modules owning trainable parameters that cannot be clipped."""
    bad = []
    for name, module in model.named_modules():
        own = [n for n, p in module.named_parameters(recurse=False) if p.requires_grad]
        if not own:
            continue
        rule = find_rule(module)
        label = f"{name or '<root>'} ({type(module).__name__})"
        if rule is None:
            bad.append(f"{label}: no per-sample rule for this layer type")
            continue
        reason = rule.unsupported_reason(module)
        if reason:
            bad.append(f"{label}: {reason}")
        extra = [n for n in own if n not in rule.param_names]
        if extra:
            bad.append(f"{label}: extra parameters {extra}")
    return bad


def convert_model(model: nn.Module, engine: DPZeroEngine) -> list[PrivateLayer]:
    """Make every trainable supported layer of ``model`` private, in place.

    Raises
    ------
    InputError
        Listing every module with trainable parameters that has no rule (never left unclipped).
    """
    bad = unsupported_modules(model)
    if bad:
        raise InputError("unsupported trainable layers (freeze or replace them): " + "; ".join(bad))
    layers: list[PrivateLayer] = []
    pidx = 0
    for name, module in model.named_modules():
        if getattr(module, "_dp_zero_layer", None) is not None:
            raise InputError(f"module {name or '<root>'} is already converted by a dp-zero engine")
        own = {n: p for n, p in module.named_parameters(recurse=False)}
        if not any(p.requires_grad for p in own.values()):
            continue
        rule = find_rule(module)
        assert rule is not None
        names = tuple(n for n in rule.param_names if own.get(n) is not None)
        trainable = tuple(n for n in names if own[n].requires_grad)
        layer = PrivateLayer(name, module, rule, names, trainable, len(layers), engine=engine)
        for n in trainable:
            layer.param_index[n] = pidx
            pidx += 1
        module._dp_zero_layer = layer
        module.forward = types.MethodType(_private_forward(layer, module.forward), module)
        layers.append(layer)
    return layers
