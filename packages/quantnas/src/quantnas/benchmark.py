"""Benchmarks: search-step time and memory with quantization noise vs direct quantization (ratios)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
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


def _build_steps(
    space: SearchSpace, modes: tuple[str, ...], batch_size: int, lr_crop: int, seed: int, warm_up: bool = True
) -> dict[str, Any]:
    seed_everything(seed)
    s = space.scale
    lr = torch.rand(batch_size, 3, lr_crop, lr_crop)
    hr = torch.rand(batch_size, 3, lr_crop * s, lr_crop * s)
    fns = {}
    for mode in modes:
        seed_everything(seed)
        net = SuperNet(space, mode=mode)
        annotate_supernet(net)
        fns[mode] = _step_fn(net, lr, hr, uniform_bitops(net))
        if warm_up:
            fns[mode]()  # LSQ init, allocator, optimizer state
    return fns


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
    alike. Two clocks are read: wall time (``perf_counter``) and the CPU time of this thread
    (``thread_time``, which time slices lost to other processes do not inflate). The results are the
    ratios ``direct / noise`` (> 1 means quantization noise is faster).
    """
    fns = _build_steps(space, ("noise", "shared", "fp"), batch_size, lr_crop, seed)
    wall: dict[str, list[float]] = {m: [] for m in fns}
    cpu: dict[str, list[float]] = {m: [] for m in fns}
    for _ in range(repeats):
        for mode, fn in fns.items():
            c0, t0 = time.thread_time(), time.perf_counter()
            for _ in range(steps):
                fn()
            wall[mode].append((time.perf_counter() - t0) / steps)
            cpu[mode].append((time.thread_time() - c0) / steps)
    med = {m: statistics.median(v) for m, v in wall.items()}
    med_cpu = {m: statistics.median(v) for m, v in cpu.items()}
    return {
        "step_s": med,
        "step_cpu_s": med_cpu,
        "speedup_noise_vs_direct": med["shared"] / med["noise"],
        "speedup_noise_vs_direct_cpu": med_cpu["shared"] / med_cpu["noise"],
        "overhead_noise_vs_fp": med["noise"] / med["fp"],
        "overhead_direct_vs_fp": med["shared"] / med["fp"],
        "overhead_noise_vs_fp_cpu": med_cpu["noise"] / med_cpu["fp"],
        "overhead_direct_vs_fp_cpu": med_cpu["shared"] / med_cpu["fp"],
        "repeats": repeats,
        "batch_size": batch_size,
        "lr_crop": lr_crop,
    }


def _rss_mb() -> float:
    """Current resident set size in MiB (Linux ``/proc``; NaN elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_since_reset_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _memory_child(
    space: SearchSpace, mode: str, batch_size: int, lr_crop: int, steps: int, seed: int
) -> dict[str, float]:
    """In a fresh process: peak RSS of ``steps`` search steps above the RSS right before them.

    No warm-up step: memory that the allocator keeps after a step would otherwise hide in the base.
    """
    from core_utils.measure import peak_rss_mb

    torch.set_num_threads(1)
    fn = _build_steps(space, (mode,), batch_size, lr_crop, seed, warm_up=False)[mode]
    gc.collect()
    base = _rss_mb()
    reset = _reset_peak_rss()
    for _ in range(steps):
        fn()
    peak = _peak_rss_since_reset_mb() if reset else peak_rss_mb()
    return {"base_mb": base, "peak_mb": peak, "step_peak_mb": peak - base, "hwm_reset": float(reset)}


def search_step_memory(
    space: SearchSpace,
    *,
    modes: tuple[str, ...] = ("noise", "shared", "fp"),
    batch_size: int = 8,
    lr_crop: int = 24,
    steps: int = 2,
    seed: int = 0,
) -> dict[str, Any]:
    """Peak memory of search steps per mode, each mode in its own fresh process.

    A child process builds the supernet and data, records its resident set size, resets the kernel's peak-RSS mark (``/proc/self/clear_refs``) and runs ``steps`` search
    steps; ``step_peak_mb`` is the peak RSS during those steps minus the RSS before them (what the
    forward activations, saved tensors, gradients and optimizer state cost). Where the mark cannot be reset
    (not Linux) the whole-process peak is used, which includes the setup.

    Returns
    -------
    dict
        ``step_peak_mb`` and ``peak_rss_mb`` per mode and ``memory_ratio_noise_vs_direct``
        (``noise / shared`` step peak; < 1 means quantization noise needs less memory).
    """
    ctx = multiprocessing.get_context("spawn")
    per_mode = {}
    for mode in modes:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
            per_mode[mode] = ex.submit(_memory_child, space, mode, batch_size, lr_crop, steps, seed).result()
    out: dict[str, Any] = {
        "step_peak_mb": {m: r["step_peak_mb"] for m, r in per_mode.items()},
        "peak_rss_mb": {m: r["peak_mb"] for m, r in per_mode.items()},
        "peak_rss_reset": all(r["hwm_reset"] for r in per_mode.values()),
        "platform": sys.platform,
    }
    if "noise" in per_mode and "shared" in per_mode:
        den = per_mode["shared"]["step_peak_mb"]
        out["memory_ratio_noise_vs_direct"] = (
            per_mode["noise"]["step_peak_mb"] / den if den > 0 else float("nan")
        )
    return out


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


def _budget_run(
    group: str, label: str, kind: str, scfg: Any, tcfg: Any, kw: dict[str, Any], out_dir: Any
) -> tuple[str, Any]:
    """One run of :func:`budget_experiment` (top level so that a process pool can run it)."""
    from quantnas.data import builtin_images
    from quantnas.pipeline import run_baseline, search_train_evaluate

    torch.set_num_threads(1)
    train_imgs, eval_imgs = builtin_images("train"), builtin_images("eval")
    if kind == "search":
        return group, search_train_evaluate(label, scfg, tcfg, train_imgs, eval_imgs, out_dir=out_dir, **kw)
    return group, run_baseline(kind, scfg, tcfg, train_imgs, eval_imgs, out_dir=out_dir, **kw)


def budget_experiment(
    scfg: Any,
    tcfg: Any,
    *,
    penalties: tuple[float, ...] = (1e-3, 1e-2),
    seed: int = 0,
    eval_crop: int | None = 128,
    work_dir: str | os.PathLike[str] | None = None,
    jobs: int = 1,
    quiet: bool = True,
) -> dict[str, Any]:
    """QuantNAS at several BitOps penalties vs uniform 4/8-bit fixed architectures, one seed.

    The Pareto question of the paper at a larger budget than :func:`pareto_experiment`: every model
    gets the same QAT budget ``tcfg``. With ``work_dir`` every run checkpoints there and a rerun
    resumes; ``jobs > 1`` runs that many models at once, each in its own process with one thread.
    Returns the rows, the points and, per uniform model, whether a searched one dominates it.
    """
    import dataclasses
    from pathlib import Path

    from quantnas.pareto import ModelPoint, dominated_by_group

    def sub(name: str) -> Path | None:
        return Path(work_dir) / name if work_dir is not None else None

    kw = {"eval_crop": eval_crop, "quiet": quiet, "seed": seed}
    tasks = [
        ("searched", f"quantnas-eta{eta:g}", "search", dataclasses.replace(scfg, penalty=eta))
        for eta in penalties
    ]
    tasks += [("uniform", k, k, scfg) for k in ("uniform4", "uniform8")] + [
        ("bicubic", "bicubic", "bicubic", scfg)
    ]
    args = [(g, label, kind, cfg, tcfg, kw, sub(label)) for g, label, kind, cfg in tasks]
    if jobs > 1:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as ex:
            rows = list(ex.map(_budget_run, *zip(*args, strict=True)))
    else:
        rows = [_budget_run(*a) for a in args]
    table = [
        {
            "group": g,
            "label": r.label,
            "psnr": r.psnr,
            "ssim": r.ssim,
            "gbitops": r.bitops / 1e9,
            "params": r.params,
            "psnr_exported": r.export_psnr,
            "bits": r.genotype.bits_histogram() if r.genotype is not None else None,
            "genotype": r.genotype.to_dict() if r.genotype is not None else None,
        }
        for g, r in rows
    ]
    points = [
        ModelPoint(r["label"], r["group"], r["gbitops"] * 1e9, r["psnr"])
        for r in table
        if r["group"] != "bicubic"
    ]
    return {
        "table": table,
        "points": points,
        "uniform_dominated_by_searched": dominated_by_group(points, "searched", "uniform"),
    }
