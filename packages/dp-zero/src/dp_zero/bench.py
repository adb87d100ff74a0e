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


def _ds_trainer(cfg: BenchConfig, stage: int, private: bool):
    from dp_zero.backends import deepspeed as ds_backend

    model = _model(cfg)
    engine = _engine(cfg) if private else None
    if engine is not None:
        engine.loss_reduction = "sum"
    import torch.distributed as dist

    world = dist.get_world_size()
    trainer = ds_backend.initialize(
        model, lambda p: torch.optim.SGD(p, lr=1e-3), engine, stage=stage,
        micro_batch_size=cfg.batch_size // world,
    )  # fmt: skip
    return model, trainer


def _ds_step(cfg: BenchConfig, trainer, private: bool, step: int, rank: int, world: int) -> float:
    x, y = _batch(cfg, cfg.batch_size, step)
    x, y = x[rank::world], y[rank::world]
    t0 = time.perf_counter()
    loss = _lm_loss(trainer.model(x), y)
    trainer.backward(loss if private else loss * (world / cfg.batch_size))
    trainer.step()
    return time.perf_counter() - t0


def bench_worker(config: dict[str, Any], rank: int, world: int) -> dict[str, Any]:
    """One DeepSpeed stage in this process group: step time, peak RSS, bytes per step.

    ``private`` True or False measures one configuration (its peak RSS is the process's). With
    ``private = "both"`` a DP and a non-DP DeepSpeed engine live side by side and their steps
    alternate (the order flips every step), so machine load hits both alike: the step-time ratio
    comes from these paired steps.
    """
    from dp_zero.comm import CommCounter

    cfg = BenchConfig(**{k: v for k, v in config.items() if k not in ("stage", "private")})
    stage, mode = int(config["stage"]), config["private"]
    counter = CommCounter.install()
    kinds = (False, True) if mode == "both" else (bool(mode),)
    trainers = {k: _ds_trainer(cfg, stage, k) for k in kinds}
    rss_init = _peak_rss_mb()
    times: dict[bool, list[float]] = {k: [] for k in kinds}
    nbytes: dict[bool, int] = {k: 0 for k in kinds}
    for step in range(cfg.warmup + cfg.steps):
        order = kinds if step % 2 == 0 else kinds[::-1]
        for k in order:
            counter.reset()
            counter.enabled = step >= cfg.warmup
            times[k].append(_ds_step(cfg, trainers[k][1], k, step, rank, world))
            counter.enabled = False
            nbytes[k] += counter.total
    for _, trainer in trainers.values():
        trainer.close()
    out: dict[str, Any] = {"stage": stage, "private": mode}
    for k in kinds:
        timed = times[k][cfg.warmup :]
        model = trainers[k][0]
        out["dp" if k else "non_dp"] = {
            "step_s": sorted(timed)[len(timed) // 2],
            "step_s_all": timed,
            "bytes_per_step": nbytes[k] / cfg.steps,
            # ds_numel: the full size of a ZeRO-3 partitioned parameter (its local numel is 0)
            "num_params": sum(getattr(p, "ds_numel", p.numel()) for p in model.parameters()),
        }
    out.update(peak_rss_mb=_peak_rss_mb(), rss_after_init_mb=rss_init)
    return out


def bench_single_process(cfg: BenchConfig) -> dict[str, Any]:
    """Step time on one process: non-DP, dp-zero (ghost/BK), and Opacus' per-sample-gradient mode.

    The three step functions take turns on every step (the order rotates), so load on the machine
    affects them alike; each time is the median over the timed steps.
    """
    torch.set_num_threads(1)  # as in each DeepSpeed worker (OMP_NUM_THREADS=1)
    steps: dict[str, Any] = {}

    plain_model = _model(cfg)
    opt = torch.optim.SGD(plain_model.parameters(), lr=1e-3)

    def plain(x, y):
        (_lm_loss(plain_model(x), y) / cfg.batch_size).backward()
        opt.step()
        opt.zero_grad()

    steps["non_dp_step_s"] = plain

    from dp_zero.backends import local

    engine = _engine(cfg)
    engine.loss_reduction = "sum"
    trainer = local.initialize(_model(cfg), lambda p: torch.optim.SGD(p, lr=1e-3), engine)

    def private(x, y):
        trainer.backward(_lm_loss(trainer.model(x), y))
        trainer.step()

    steps["dp_zero_step_s"] = private

    engine0 = _engine(cfg)
    engine0.loss_reduction = "sum"
    engine0.noise_multiplier = 0.0
    trainer0 = local.initialize(_model(cfg), lambda p: torch.optim.SGD(p, lr=1e-3), engine0)

    def private_no_noise(x, y):  # the same private step without drawing noise: isolates its cost
        trainer0.backward(_lm_loss(trainer0.model(x), y))
        trainer0.step()

    steps["dp_zero_sigma0_step_s"] = private_no_noise
    results: dict[str, Any] = {}
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

            def opacus_step(x, y):
                _lm_loss(gsm(x), y).backward()
                dpo.step()
                dpo.zero_grad()

            steps["opacus_step_s"] = opacus_step
    times: dict[str, list[float]] = {k: [] for k in steps}
    names = list(steps)
    with warnings.catch_warnings():
        # Opacus' full backward hooks warn that the token input needs no gradient: expected
        warnings.filterwarnings("ignore", message="Full backward hook is firing", category=UserWarning)
        with _PhaseTimer() as phases:
            for step in range(cfg.warmup + cfg.steps):
                x, y = _batch(cfg, cfg.batch_size, step)
                for k in names[step % len(names) :] + names[: step % len(names)]:
                    phases.active = k == "dp_zero_step_s" and step >= cfg.warmup
                    t0 = time.perf_counter()
                    steps[k](x, y)
                    times[k].append(time.perf_counter() - t0)
                    phases.active = False
    for k, v in times.items():
        timed = v[cfg.warmup :]
        results[k] = sorted(timed)[len(timed) // 2]
    # where the DP overhead goes, per DP step, as a fraction of the median non-DP step
    base = results["non_dp_step_s"]
    results["dp_phases_over_non_dp"] = {k: v / cfg.steps / base for k, v in phases.seconds.items()}
    return results


class _PhaseTimer:
    """Wall time spent in the DP-specific parts of the private layers' backward while ``active``:
    per-sample norms, the clipped sum (the ordinary weight-gradient matmul plus the per-sample
    scaling) and noise generation. Wraps the rule and noise methods for the duration of a ``with``
    block only."""

    def __init__(self) -> None:
        self.active = False
        self.seconds: dict[str, float] = {"per_sample_norms": 0.0, "clipped_sum": 0.0, "noise": 0.0}
        self._restore: list[tuple[Any, str, Any]] = []

    def _wrap(self, owner: Any, name: str, label: str) -> None:
        fn = getattr(owner, name)

        def timed(*args, **kwargs):
            if not self.active:
                return fn(*args, **kwargs)
            t0 = time.perf_counter()
            out = fn(*args, **kwargs)
            self.seconds[label] += time.perf_counter() - t0
            return out

        self._restore.append((owner, name, fn))
        setattr(owner, name, timed)

    def __enter__(self) -> _PhaseTimer:
        from dp_zero.layers.base import RULES
        from dp_zero.noise import RankNoise

        for rule in {id(r): r for r in RULES.values()}.values():
            self._wrap(rule, "per_sample_sq_norms", "per_sample_norms")
            self._wrap(rule, "clipped_sum", "clipped_sum")
        self._wrap(RankNoise, "sample", "noise")
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, fn in reversed(self._restore):
            if isinstance(owner, type):
                setattr(owner, name, fn)  # a class: put the function back
            else:
                delattr(owner, name)  # an instance: drop the shadowing attribute
        self._restore.clear()


def run_bench(cfg: BenchConfig, *, timeout: float = 600.0) -> dict[str, Any]:
    """All measurements. Per ZeRO stage: one launch with DP and non-DP steps interleaved (step-time
    ratio, bytes), and one launch per configuration alone (peak memory is per process)."""
    from dp_zero.launch import launch

    def one(stage: int, private) -> dict[str, Any]:
        spec = {
            "task": "bench", "backend": "deepspeed", "comm_counter": True,
            "config": {**asdict(cfg), "stage": stage, "private": private},
        }  # fmt: skip
        return launch(spec, nproc=cfg.nproc, timeout=timeout)

    rows = []
    for stage in cfg.stages:
        pair = one(stage, "both")
        base, dp = one(stage, False), one(stage, True)
        paired = [d / b for d, b in zip(pair["dp"]["step_s_all"], pair["non_dp"]["step_s_all"])]
        rows.append(
            {
                "stage": stage,
                "step_time_ratio": pair["dp"]["step_s"] / pair["non_dp"]["step_s"],
                "step_time_ratio_paired_median": sorted(paired)[len(paired) // 2],
                "step_time_ratio_separate_launches": dp["dp"]["step_s"] / base["non_dp"]["step_s"],
                "peak_rss_ratio": dp["peak_rss_mb"] / base["peak_rss_mb"],
                "step_rss_growth_ratio": (dp["peak_rss_mb"] - dp["rss_after_init_mb"] + 1e-9)
                / (base["peak_rss_mb"] - base["rss_after_init_mb"] + 1e-9),
                "bytes_per_step_dp": pair["dp"]["bytes_per_step"],
                "bytes_per_step_non_dp": pair["non_dp"]["bytes_per_step"],
                "bytes_equal": pair["dp"]["bytes_per_step"] == pair["non_dp"]["bytes_per_step"]
                and dp["dp"]["bytes_per_step"] == base["non_dp"]["bytes_per_step"],
                "step_s_dp": pair["dp"]["step_s"],
                "step_s_non_dp": pair["non_dp"]["step_s"],
                "num_params": pair["dp"]["num_params"],
            }
        )
    single = bench_single_process(cfg)
    out = {"config": asdict(cfg), "zero": rows, "single_process": single}
    single["dp_zero_over_non_dp"] = single["dp_zero_step_s"] / single["non_dp_step_s"]
    single["dp_zero_sigma0_over_non_dp"] = single["dp_zero_sigma0_step_s"] / single["non_dp_step_s"]
    if single.get("opacus_step_s"):
        single["opacus_over_dp_zero"] = single["opacus_step_s"] / single["dp_zero_step_s"]
    return out
