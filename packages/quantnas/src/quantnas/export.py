"""Export of a trained model to integer weights + scales, and the integer-arithmetic model.

Every :class:`~quantnas.ops.QConv2d` below 32 bits becomes an :class:`IntConv2d` holding signed
integer weight codes ``q_w`` (int8 storage), one weight step ``s_w`` per output channel and the HWGQ
activation step ``s_a``. Its forward computes the integer accumulator ``conv(q_a, q_w)`` exactly (in
float64, whose 53-bit mantissa holds every sum these sizes produce) and rescales once:
``y = conv(q_a, q_w) * s_a * s_w + bias`` (bias kept in float32). This equals the fake-quant model
``conv(q_a s_a, q_w s_w) + bias`` up to float32 rounding (tested).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from core_utils import InputError, load_checkpoint, save_checkpoint
from quantnas.ops import QConv2d
from quantnas.space import DiscreteNet, Genotype


class IntConv2d(nn.Module):
    """Integer conv unit built from a trained :class:`QConv2d` (see the module docstring)."""

    def __init__(self, q: QConv2d) -> None:
        super().__init__()
        if q.bits == 32:
            raise InputError("IntConv2d needs a quantized unit (bits < 32)")
        self.bits, self.groups, self.padding = q.bits, q.groups, q.padding
        self.in_channels, self.out_channels, self.kernel_size = q.in_channels, q.out_channels, q.kernel_size
        codes, step = q.wq.codes(q.weight)
        self.register_buffer("w_codes", codes.to(torch.int8))
        self.register_buffer("w_scale", step.detach().clone().float())
        self.register_buffer(
            "bias", q.bias.detach().clone() if q.bias is not None else torch.zeros(q.out_channels)
        )
        self.act_step = float(q.act.step)
        self.act_levels = q.act.levels

    def macs(self, out_hw: tuple[int, int]) -> int:
        kh, kw = self.kernel_size
        return self.in_channels * self.out_channels * kh * kw // self.groups * out_hw[0] * out_hw[1]

    def integer_accumulator(self, x: torch.Tensor) -> torch.Tensor:
        """``conv(q_a, q_w)``: exact integers (float64 storage)."""
        q_a = torch.clamp(torch.round(torch.clamp(x, min=0.0) / self.act_step), 0, self.act_levels)
        return F.conv2d(q_a.double(), self.w_codes.double(), padding=self.padding, groups=self.groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        acc = self.integer_accumulator(x)
        scale = (self.act_step * self.w_scale.double()).view(1, -1, 1, 1)
        return (acc * scale).to(x.dtype) + self.bias.view(1, -1, 1, 1)


def export_model(model: DiscreteNet) -> DiscreteNet:
    """A copy of ``model`` with every quantized conv unit replaced by :class:`IntConv2d` (eval mode)."""
    out = copy.deepcopy(model).eval()
    for parent in list(out.modules()):
        for name, child in list(parent._modules.items()):
            if isinstance(child, QConv2d) and child.bits != 32:
                parent._modules[name] = IntConv2d(child)
    return out


def save_exported(model: DiscreteNet, path: str | os.PathLike[str]) -> Path:
    """Export ``model`` and save its genotype and integer state to ``path`` (``.pt``)."""
    exported = export_model(model)
    return save_checkpoint(path, {"genotype": model.genotype.to_dict(), "state": exported.state_dict()})


def load_exported(path: str | os.PathLike[str]) -> DiscreteNet:
    """Rebuild an exported integer model from :func:`save_exported`'s file."""
    data = load_checkpoint(path)
    try:
        geno = Genotype.from_dict(data["genotype"])
        state = data["state"]
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path} is not an exported quantnas model: {exc!r}") from None
    skeleton = DiscreteNet(geno)
    for m in skeleton.modules():
        if isinstance(m, QConv2d) and m.bits != 32:
            m.wq.init_from(m.weight)  # gives the skeleton valid steps; overwritten by the state below
    model = export_model(skeleton)
    model.load_state_dict(state)
    return model.eval()


def export_summary(model: DiscreteNet) -> dict[str, int]:
    """Storage of the exported weights: bytes of integer codes at their bit-width, and of float scales."""
    int_bits = 0
    float_params = 0
    for m in export_model(model).modules():
        if isinstance(m, IntConv2d):
            int_bits += m.w_codes.numel() * m.bits
            float_params += m.w_scale.numel() + m.bias.numel()
    return {"weight_bytes_packed": (int_bits + 7) // 8, "float_params": float_params}
