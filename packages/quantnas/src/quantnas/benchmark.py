"""Benchmarks: search-step time with quantization noise vs direct quantization (same run, ratios)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch
import torch.nn.functional as F

from core_utils import seed_everything
from quantnas.bitops import annotate_supernet, expected_bitops, uniform_bitops
from quantnas.regularizers import bitops_penalty, entropy
from quantnas.space import SearchSpace, SuperNet


def _step_fn(net: SuperNet, lr: torch.Tensor, hr: torch.Tensor, init: float) -> Any:
    opt_w = torch.optim.Adam(net.weights(), lr=1e-4)
    opt_a = torch.optim.Adam(net.alphas(), lr=3e-4, betas=(0.5, 0.999))
    blocks = net.mixed_blocks()

    def step() -> None:
        opt_w.zero_grad(set_to_none=True)
        F.l1_loss(net(lr), hr).backward()
        opt_w.step()
        opt_a.zero_grad(set_to_none=True)
        loss = F.l1_loss(net(lr), hr) + bitops_penalty(expected_bitops(net), init, 1e-4)
        loss = loss + 1e-3 * sum(entropy(b.probs()) for b in blocks)
        loss.backward()
        opt_a.step()

    return step


def search_step_times(
    space: SearchSpace, *, batch_size: int = 8, lr_crop: int = 24, steps: int = 5, repeats: int = 5, seed: int = 0
) -> dict[str, Any]:
    """Median time of one full search step (weight + architecture step) per mode, interleaved.

    Modes are timed alternately in each repeat so that load changes on a shared machine affect both
    alike; the result is the ratio ``direct / noise`` (> 1 means quantization noise is faster).
    """
    seed_everything(seed)
    s = space.scale
    lr = torch.rand(batch_size, 3, lr_crop, lr_crop)
    hr = torch.rand(batch_size, 3, lr_crop * s, lr_crop * s)
    fns = {}
    for mode in ("noise", "shared", "fp"):
        seed_everything(seed)
        net = SuperNet(space, mode=mode)
        annotate_supernet(net)
        fns[mode] = _step_fn(net, lr, hr, uniform_bitops(net))
        fns[mode]()  # warm-up (LSQ init, allocator)
    times: dict[str, list[float]] = {m: [] for m in fns}
    for _ in range(repeats):
        for mode, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(steps):
                fn()
            times[mode].append((time.perf_counter() - t0) / steps)
    med = {m: statistics.median(v) for m, v in times.items()}
    return {
        "step_s": med,
        "speedup_noise_vs_direct": med["shared"] / med["noise"],
        "overhead_noise_vs_fp": med["noise"] / med["fp"],
        "overhead_direct_vs_fp": med["shared"] / med["fp"],
        "batch_size": batch_size,
        "lr_crop": lr_crop,
    }
