"""Distributed oracles (spec section 3, tests 2, 4, 5), run inside worker processes.

:func:`run_checks` performs, for each requested backend configuration, one private SGD step
(``lr = 1``) on a fixed batch and returns the parameter change; with ``sigma = 0`` it must equal
the single-process reference ``(1/B) sum_i C_i g_i`` (:func:`reference_update`). The noise check
zeroes the data gradient (``loss * 0``), runs one optimizer step of two micro-steps with
``sigma = 1`` and returns ``update * B / lr``, whose per-coordinate std must be ``sigma R``.
"""

from __future__ import annotations

import gc
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from dp_zero.engine import DPZeroEngine
from dp_zero.models import CheckNet
from dp_zero.reference import reference_clipped_sum

BATCH = 8
SEQ = 5
SAMPLE_SIZE = 64
MAX_GRAD_NORM = 0.5
NOISE_SHAPE = (64, 32)


def check_batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 11, (BATCH, SEQ), generator=g), torch.randint(0, 3, (BATCH,), generator=g)


def check_model(seed: int = 0) -> CheckNet:
    torch.manual_seed(seed)
    return CheckNet()


def reference_update(seed: int = 0, clipping_fn: str = "abadi") -> dict[str, torch.Tensor]:
    """Single-process oracle: explicit per-sample gradients (vmap), layer-wise clipping, ``/B``."""
    x, y = check_batch(seed)
    ref = reference_clipped_sum(
        check_model(seed), lambda out, t: F.cross_entropy(out, t, reduction="sum"), x, y,
        max_grad_norm=MAX_GRAD_NORM, clipping_fn=clipping_fn,
    )  # fmt: skip
    return {n: v / BATCH for n, v in ref.items()}


def _initialize(backend: str, model, engine, *, stage: int, precision: str, gas: int, micro: int):
    def sgd(params):
        return torch.optim.SGD(params, lr=1.0)

    if backend == "deepspeed":
        from dp_zero.backends import deepspeed

        return deepspeed.initialize(
            model, sgd, engine, stage=stage, precision=precision, micro_batch_size=micro,
            gradient_accumulation_steps=gas,
        )  # fmt: skip
    if backend == "zero-optimizer":
        from dp_zero.backends import zero_optimizer

        return zero_optimizer.initialize(model, sgd, engine, gradient_accumulation_steps=gas)
    if backend == "fsdp":
        from dp_zero.backends import fsdp

        return fsdp.initialize(model, sgd, engine, precision=precision, gradient_accumulation_steps=gas)
    from dp_zero.backends import local

    return local.initialize(model, sgd, engine, gradient_accumulation_steps=gas)


def _one_step(trainer, x_local, y_local, gas: int, zero_loss: bool) -> None:
    device = next(trainer.model.parameters()).device  # DeepSpeed on a GPU moved the model there
    for xm, ym in zip(x_local.chunk(gas), y_local.chunk(gas)):
        out = trainer.model(xm.to(device))
        loss = F.cross_entropy(out.float(), ym.to(device))
        trainer.backward(loss * 0 if zero_loss else loss)
        trainer.step()


def precision_supported(backend: str, precision: str) -> bool:
    """Whether the backend's device supports ``precision`` (DeepSpeed's CPU accelerator has fp16
    only where oneDNN supports it)."""
    if backend != "deepspeed" or precision == "fp32":
        return True
    from deepspeed.accelerator import get_accelerator

    acc = get_accelerator()
    return bool(acc.is_fp16_supported() if precision == "fp16" else acc.is_bf16_supported())


def update_check(
    backend: str,
    stage: int,
    precision: str,
    gas: int,
    rank: int,
    world: int,
    *,
    seed: int = 0,
    clipping_fn: str = "abadi",
) -> dict[str, list] | None:
    """Parameter change of one private SGD step (lr 1, sigma 0) on the check batch (``None`` when
    the device does not support ``precision``)."""
    if not precision_supported(backend, precision):
        return None
    model = check_model(seed)
    engine = DPZeroEngine(
        batch_size=BATCH, sample_size=SAMPLE_SIZE, noise_multiplier=0.0, clipping_fn=clipping_fn,
        max_grad_norm=MAX_GRAD_NORM,
    )  # fmt: skip
    micro = BATCH // world // gas
    trainer = _initialize(backend, model, engine, stage=stage, precision=precision, gas=gas, micro=micro)
    before = trainer.full_parameters()
    x, y = check_batch(seed)
    _one_step(trainer, x[rank::world], y[rank::world], gas, zero_loss=False)
    after = trainer.full_parameters()
    trainer.close()
    assert engine.step == 1
    return {n: (before[n] - after[n]).tolist() for n in before}


def noise_check(backend: str, stage: int, gas: int, rank: int, world: int, *, sigma: float = 1.0) -> list:
    """``update * B / lr`` of one step whose data gradient is zero (pure noise)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(*NOISE_SHAPE[::-1]))
    engine = DPZeroEngine(
        batch_size=BATCH, sample_size=SAMPLE_SIZE, noise_multiplier=sigma, max_grad_norm=MAX_GRAD_NORM,
        seed=123,
    )  # fmt: skip
    micro = BATCH // world // gas
    trainer = _initialize(backend, model, engine, stage=stage, precision="fp32", gas=gas, micro=micro)
    before = trainer.full_parameters()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(BATCH, NOISE_SHAPE[1], generator=g)
    y = torch.randint(0, NOISE_SHAPE[0], (BATCH,), generator=g)
    _one_step(trainer, x[rank::world], y[rank::world], gas, zero_loss=True)
    after = trainer.full_parameters()
    trainer.close()
    return torch.cat([(before[n] - after[n]).flatten() * BATCH for n in before]).tolist()


def run_checks(config: dict[str, Any], rank: int, world: int) -> dict[str, Any]:
    """Run every update and noise check named in ``config`` and return their results."""
    out: dict[str, Any] = {"world_size": world, "updates": {}, "noise": {}}
    for backend, stage, precision, gas in config.get("updates", []):
        key = f"{backend}/stage{stage}/{precision}/gas{gas}/w{world}"
        out["updates"][key] = update_check(backend, stage, precision, gas, rank, world)
        gc.collect()  # free the closed backend's engine and groups here, not inside a later collective
    for backend, stage, gas in config.get("noise", []):
        key = f"{backend}/stage{stage}/gas{gas}/w{world}"
        out["noise"][key] = noise_check(backend, stage, gas, rank, world)
        gc.collect()
    return out
