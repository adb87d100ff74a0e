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
    space: SearchSpace,
    *,
    batch_size: int = 8,
    lr_crop: int = 24,
    steps: int = 5,
    repeats: int = 5,
    seed: int = 0,
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


def pareto_experiment(
    scfg: Any,
    tcfg: Any,
    *,
    seeds: tuple[int, ...] = (0, 1, 2),
    eval_crop: int | None = 128,
    quiet: bool = True,
) -> dict[str, Any]:
    """Searched models vs the paper's baselines at equal training budget, plus seed stability.

    Runs QuantNAS (quantization noise) and the direct-quantization search for every seed, and once
    each: QuantNAS without BitOps penalty, uniform 4- and 8-bit fixed architectures, mixed-precision
    search over the fixed architecture, bicubic. Returns per-model rows and the PSNR spread
    (max - min over seeds) of the noise and direct searches.
    """
    import dataclasses

    from quantnas.data import builtin_images
    from quantnas.pareto import ModelPoint, dominated_by_group
    from quantnas.pipeline import run_baseline, search_train_evaluate

    train_imgs, eval_imgs = builtin_images("train"), builtin_images("eval")
    kw = {"eval_crop": eval_crop, "quiet": quiet}
    rows = []
    for seed in seeds:
        rows.append(
            (
                "searched",
                seed,
                search_train_evaluate(
                    f"quantnas-s{seed}", scfg, tcfg, train_imgs, eval_imgs, seed=seed, **kw
                ),
            )
        )
        rows.append(
            ("direct", seed, run_baseline("direct", scfg, tcfg, train_imgs, eval_imgs, seed=seed, **kw))
        )
    free = dataclasses.replace(scfg, penalty=0.0)
    rows.append(
        (
            "searched",
            seeds[0],
            search_train_evaluate("quantnas-eta0", free, tcfg, train_imgs, eval_imgs, seed=seeds[0], **kw),
        )
    )
    for kind in ("uniform4", "uniform8", "mixed", "bicubic"):
        group = "uniform" if kind.startswith("uniform") else kind
        rows.append(
            (group, seeds[0], run_baseline(kind, scfg, tcfg, train_imgs, eval_imgs, seed=seeds[0], **kw))
        )
    table = [
        {
            "group": g,
            "label": r.label,
            "seed": s,
            "psnr": r.psnr,
            "ssim": r.ssim,
            "gbitops": r.bitops / 1e9,
            "params": r.params,
            "psnr_exported": r.export_psnr,
            "bits": r.genotype.bits_histogram() if r.genotype is not None else None,
        }
        for g, s, r in rows
    ]
    points = [
        ModelPoint(r["label"], r["group"], r["gbitops"] * 1e9, r["psnr"])
        for r in table
        if r["group"] != "bicubic"
    ]

    def spread(group: str) -> float:
        vals = [r["psnr"] for r in table if r["group"] == group and r["label"] != "quantnas-eta0"]
        return max(vals) - min(vals)

    return {
        "table": table,
        "points": points,
        "uniform_dominated_by_searched": dominated_by_group(points, "searched", "uniform"),
        "psnr_spread_noise_db": spread("searched"),
        "psnr_spread_direct_db": spread("direct"),
    }
