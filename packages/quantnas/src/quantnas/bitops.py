"""BitOps and parameter counts, with one convention used everywhere.

**Convention.** For a convolution, ``MACs = Cin * Cout * kh * kw / groups * Hout * Wout`` (bias not
counted) and ``BitOps = MACs * b_w * b_a`` with ``b_w = b_a = b`` the block's bit-width; a float conv
counts 32 x 32. The search penalty uses the same convention: the expected BitOps of the supernet is
``sum_blocks sum_(o,b) p_(o,b) * MACs_o * b * b`` plus the constant BitOps of the fixed convs, which is
linear in the softmax weights ``p`` and equals the discrete model's BitOps at a one-hot ``p``.
(The official code uses ``b`` in the search penalty and ``b^2`` for the final model; we use
``b_w * b_a`` for both so that the trade-off searched is the one reported.)
"""

from __future__ import annotations

import torch
from torch import nn

from quantnas.ops import MixedBlock, MixedConv2d, _ConvUnit


def conv_macs(module: nn.Module, out_hw: tuple[int, int]) -> int:
    """MACs of one conv unit or ``nn.Conv2d`` producing an ``out_hw`` map."""
    if isinstance(module, _ConvUnit) or callable(getattr(module, "macs", None)):
        return module.macs(out_hw)
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return module.in_channels * module.out_channels * kh * kw // module.groups * out_hw[0] * out_hw[1]
    raise TypeError(f"not a convolution: {type(module).__name__}")


def _bit_product(module: nn.Module) -> int:
    bits = getattr(module, "bits", 32)
    return bits * bits if isinstance(bits, int) else 32 * 32


def _trace_macs(model: nn.Module, input_hw: tuple[int, int]) -> dict[nn.Module, int]:
    """Run one forward on a ``(2, 3, h, w)`` zero-mean input, recording MACs per conv module."""
    record: dict[nn.Module, int] = {}
    hooks = []
    for m in model.modules():
        if isinstance(m, (_ConvUnit, nn.Conv2d)) or callable(getattr(m, "macs", None)):

            def hook(mod: nn.Module, inp: object, out: torch.Tensor) -> None:
                record[mod] = conv_macs(mod, (out.shape[-2], out.shape[-1]))

            hooks.append(m.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            param = next(model.parameters())
            model(torch.rand(2, 3, *input_hw, device=param.device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return record


def count_macs(model: nn.Module, input_hw: tuple[int, int] = (32, 32)) -> int:
    """Total MACs of all convolutions for one LR input of size ``input_hw`` (a forward-hook counter)."""
    return int(sum(_trace_macs(model, input_hw).values()))


def bitops(model: nn.Module, input_hw: tuple[int, int] = (32, 32)) -> int:
    """BitOps ``sum MACs * b_w * b_a`` of a discrete model for one LR input of size ``input_hw``.

    The paper reports 32 x 32 LR inputs (its 2-17 GBitOps axis).
    """
    rec = _trace_macs(model, input_hw)
    return int(sum(macs * _bit_product(m) for m, macs in rec.items()))


def count_params(model: nn.Module) -> int:
    """Number of parameters (architecture logits excluded)."""
    return sum(p.numel() for n, p in model.named_parameters() if not n.endswith("alpha"))


def annotate_supernet(supernet: nn.Module, input_hw: tuple[int, int] = (32, 32)) -> float:
    """Fill each block's ``op_macs`` and return the constant BitOps of the fixed (non-searched) convs."""
    rec = _trace_macs(supernet, input_hw)
    inside: set[nn.Module] = set()
    for blk in supernet.modules():
        if isinstance(blk, MixedBlock):
            macs = []
            for op in blk.ops:
                units = [m for m in op.modules() if isinstance(m, MixedConv2d)]
                inside.update(units)
                macs.append(sum(rec[u] for u in units))
            blk.op_macs.copy_(torch.tensor(macs, dtype=blk.op_macs.dtype))
    fixed = sum(macs * _bit_product(m) for m, macs in rec.items() if m not in inside)
    supernet.fixed_bitops = float(fixed)
    supernet.bitops_hw = tuple(input_hw)
    return float(fixed)


def expected_bitops(supernet: nn.Module, probs: list[torch.Tensor] | None = None) -> torch.Tensor:
    """Expected BitOps ``sum_blocks sum_(o,b) p_(o,b) MACs_o b^2 + fixed`` (differentiable in alpha).

    Call :func:`annotate_supernet` first. ``probs`` defaults to each block's current softmax.
    """
    if not hasattr(supernet, "fixed_bitops"):
        annotate_supernet(supernet)
    blocks = [m for m in supernet.modules() if isinstance(m, MixedBlock)]
    if probs is None:
        probs = [b.probs() for b in blocks]
    total = torch.tensor(float(supernet.fixed_bitops))
    for blk, p in zip(blocks, probs, strict=True):
        b2 = torch.tensor([float(b * b) for b in blk.bits], device=p.device)
        total = total + (p * blk.op_macs.to(p.device)[:, None] * b2[None, :]).sum().cpu()
    return total


def uniform_bitops(supernet: nn.Module) -> float:
    """Expected BitOps at the uniform ``p_init`` (the penalty's normaliser)."""
    blocks = [m for m in supernet.modules() if isinstance(m, MixedBlock)]
    probs = [torch.full_like(b.alpha, 1.0 / b.alpha.numel()).detach() for b in blocks]
    return float(expected_bitops(supernet, probs))
