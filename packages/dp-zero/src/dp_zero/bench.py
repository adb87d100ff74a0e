"""Benchmarks (spec section 5): DP vs non-DP step time, peak memory and communicated bytes per
ZeRO stage on a tiny GPT (about 1M parameters, T = 32), and dp-zero vs Opacus on one process.

Ratios only: every baseline is measured in the same run with the same model, batch and threads.
"""

from __future__ import annotations

import resource
import time
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F

from dp_zero.engine import DPZeroEngine
from dp_zero.models import TinyGPT


@dataclass
class BenchConfig:
    """Benchmark sizes (issue: about 1M parameters, sequence length 32, 2 processes)."""

    stages: tuple[int, ...] = (1, 2, 3)
    nproc: int = 2
    batch_size: int = 32  # global
    seq_len: int = 32
    vocab: int = 256
    dim: int = 128
    layers: int = 4
    warmup: int = 1
    steps: int = 5
    opacus: bool = True
    seed: int = 0


def _model(cfg: BenchConfig) -> TinyGPT:
    torch.manual_seed(cfg.seed)
    return TinyGPT(cfg.vocab, cfg.dim, cfg.layers, cfg.seq_len)


def _batch(cfg: BenchConfig, n: int, step: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(cfg.seed * 1000 + step)
    tok = torch.randint(0, cfg.vocab, (n, cfg.seq_len + 1), generator=g)
    return tok[:, :-1], tok[:, 1:]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _engine(cfg: BenchConfig) -> DPZeroEngine:
    return DPZeroEngine(batch_size=cfg.batch_size, sample_size=100 * cfg.batch_size, noise_multiplier=1.0)


def _lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    # per-sample mean over tokens, summed over the batch: an ordinary sum-of-per-sample losses
    per_tok = F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
    )
    return per_tok.reshape(targets.shape).mean(1).sum()


def bench_worker(config: dict[str, Any], rank: int, world: int) -> dict[str, Any]:
    """One DeepSpeed stage, DP or not, in this process group: step time, peak RSS, bytes/step."""
    from dp_zero.backends import deepspeed as ds_backend
    from dp_zero.comm import CommCounter

    cfg = BenchConfig(**{k: v for k, v in config.items() if k not in ("stage", "private")})
    stage, private = int(config["stage"]), bool(config["private"])
    counter = CommCounter.install()
    model = _model(cfg)
    engine = _engine(cfg) if private else None
    if engine is not None:
        engine.loss_reduction = "sum"
    trainer = ds_backend.initialize(
        model, lambda p: torch.optim.SGD(p, lr=1e-3), engine, stage=stage,
        micro_batch_size=cfg.batch_size // world,
    )  # fmt: skip
    rss_init = _peak_rss_mb()
    times = []
    for step in range(cfg.warmup + cfg.steps):
        x, y = _batch(cfg, cfg.batch_size, step)
        x, y = x[rank::world], y[rank::world]
        if step == cfg.warmup:
            counter.reset()
            counter.enabled = True
        t0 = time.perf_counter()
        loss = _lm_loss(trainer.model(x), y)
        trainer.backward(loss if private else loss * (world / cfg.batch_size))
        trainer.step()
        times.append(time.perf_counter() - t0)
    counter.enabled = False
    trainer.close()
    timed = times[cfg.warmup :]
    return {
        "stage": stage,
        "private": private,
        "step_s": sorted(timed)[len(timed) // 2],
        "peak_rss_mb": _peak_rss_mb(),
        "rss_after_init_mb": rss_init,
        "bytes_per_step": counter.total / cfg.steps,
        "calls_per_step": sum(counter.calls.values()) / cfg.steps,
        # ds_numel: the full size of a ZeRO-3 partitioned parameter (its local numel is 0)
        "num_params": sum(getattr(p, "ds_numel", p.numel()) for p in model.parameters()),
    }


def bench_single_process(cfg: BenchConfig) -> dict[str, Any]:
    """Step time on one process: non-DP, dp-zero (ghost/BK), and Opacus' per-sample-gradient mode."""
    results: dict[str, Any] = {}
    torch.set_num_threads(1)  # as in each DeepSpeed worker (OMP_NUM_THREADS=1)

    def timeit(model, step_fn):
        times = []
        for step in range(cfg.warmup + cfg.steps):
            x, y = _batch(cfg, cfg.batch_size, step)
            t0 = time.perf_counter()
            step_fn(model, x, y)
            times.append(time.perf_counter() - t0)
        timed = times[cfg.warmup :]
        return sorted(timed)[len(timed) // 2]

    model = _model(cfg)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)

    def plain(m, x, y):
        (_lm_loss(m(x), y) / cfg.batch_size).backward()
        opt.step()
        opt.zero_grad()

    results["non_dp_step_s"] = timeit(model, plain)

    model = _model(cfg)
    engine = _engine(cfg)
    engine.loss_reduction = "sum"
    from dp_zero.backends import local

    trainer = local.initialize(model, lambda p: torch.optim.SGD(p, lr=1e-3), engine)

    def private(m, x, y):
        trainer.backward(_lm_loss(m(x), y))
        trainer.step()

    results["dp_zero_step_s"] = timeit(model, private)
    if cfg.opacus:
        try:
            from opacus import GradSampleModule
            from opacus.optimizers import DPOptimizer
        except ImportError:
            results["opacus_step_s"] = None
        else:
            gsm = GradSampleModule(_model(cfg), batch_first=True, loss_reduction="sum")
            dpo = DPOptimizer(
                torch.optim.SGD(gsm.parameters(), lr=1e-3), noise_multiplier=1.0, max_grad_norm=1.0,
                expected_batch_size=cfg.batch_size, loss_reduction="sum",
            )  # fmt: skip

            def opacus_step(m, x, y):
                _lm_loss(m(x), y).backward()
                dpo.step()
                dpo.zero_grad()

            with warnings.catch_warnings():
                # Opacus' full backward hooks warn that the token input needs no gradient: expected
                warnings.filterwarnings(
                    "ignore", message="Full backward hook is firing", category=UserWarning
                )
                results["opacus_step_s"] = timeit(gsm, opacus_step)
    return results


def run_bench(cfg: BenchConfig, *, timeout: float = 600.0) -> dict[str, Any]:
    """All measurements; DeepSpeed runs are one launch per (stage, DP or not) so peak memory is
    per configuration."""
    from dp_zero.launch import launch

    rows = []
    for stage in cfg.stages:
        pair = {}
        for private in (False, True):
            spec = {
                "task": "bench", "backend": "deepspeed", "comm_counter": True,
                "config": {**asdict(cfg), "stage": stage, "private": private},
            }  # fmt: skip
            pair[private] = launch(spec, nproc=cfg.nproc, timeout=timeout)
        base, dp = pair[False], pair[True]
        rows.append(
            {
                "stage": stage,
                "step_time_ratio": dp["step_s"] / base["step_s"],
                "peak_rss_ratio": dp["peak_rss_mb"] / base["peak_rss_mb"],
                "step_rss_growth_ratio": (dp["peak_rss_mb"] - dp["rss_after_init_mb"] + 1e-9)
                / (base["peak_rss_mb"] - base["rss_after_init_mb"] + 1e-9),
                "bytes_per_step_dp": dp["bytes_per_step"],
                "bytes_per_step_non_dp": base["bytes_per_step"],
                "bytes_equal": dp["bytes_per_step"] == base["bytes_per_step"],
                "step_s_dp": dp["step_s"],
                "step_s_non_dp": base["step_s"],
                "num_params": dp["num_params"],
            }
        )
    single = bench_single_process(cfg)
    out = {"config": asdict(cfg), "zero": rows, "single_process": single}
    single["dp_zero_over_non_dp"] = single["dp_zero_step_s"] / single["non_dp_step_s"]
    if single.get("opacus_step_s"):
        single["opacus_over_dp_zero"] = single["opacus_step_s"] / single["dp_zero_step_s"]
    return out
