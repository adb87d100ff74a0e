"""DeepSpeed ZeRO stages 1/2/3 (spec section 6, ``backends/deepspeed.py``).

The private gradient is produced inside each layer's backward (:mod:`dp_zero.private`), so
DeepSpeed runs unmodified: its bucketed reduce(-scatter) sees ordinary ``.grad`` tensors and
communicates exactly what non-private ZeRO communicates. The engine is told DeepSpeed's scaling:
the loss is divided by the accumulation steps and multiplied by the static fp16 loss scale, and
gradients are averaged over ranks.

On CPU only, DeepSpeed's ``init_distributed`` JIT-compiles a shared-memory communication op (minutes
on two cores, and a stale build lock can hang the next run). It is skipped by replacing
``deepspeed.comm.torch.build_shm_op`` with a no-op before initialisation, so plain gloo collectives
are used; this is the one touch of DeepSpeed internals and it is applied on CPU alone.
"""

from __future__ import annotations

import copy
import importlib
import os
import warnings
from typing import Any

import torch
from torch import nn

from core_utils import InputError
from dp_zero.backends.base import Trainer
from dp_zero.engine import BackendScaling, DPZeroEngine

PRECISIONS = ("fp32", "bf16", "fp16")


def build_config(
    *,
    stage: int,
    precision: str,
    micro_batch_size: int,
    gradient_accumulation_steps: int,
    world_size: int,
    user_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A DeepSpeed config for private training, merged over ``user_config`` and validated.

    Raises
    ------
    InputError
        For settings that would break the privacy guarantee or the gradient scaling: dynamic fp16
        loss scaling (``loss_scale: 0``), pre-division of gradients, a batch size that disagrees.
    """
    if stage not in (0, 1, 2, 3):
        raise InputError(f"ZeRO stage must be 0, 1, 2 or 3, got {stage}")
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    cfg = copy.deepcopy(user_config or {})
    validate_user_config(cfg)
    zero = dict(cfg.get("zero_optimization", {}))
    zero["stage"] = stage
    if stage == 3:
        # without this, small parameters stay replicated and stage 3 would not really partition
        zero.setdefault("stage3_param_persistence_threshold", 0)
    cfg["zero_optimization"] = zero
    cfg["train_micro_batch_size_per_gpu"] = micro_batch_size
    cfg["gradient_accumulation_steps"] = gradient_accumulation_steps
    cfg["train_batch_size"] = micro_batch_size * gradient_accumulation_steps * world_size
    cfg["zero_allow_untested_optimizer"] = True
    cfg.setdefault("gradient_clipping", 0.0)
    cfg.setdefault("steps_per_print", 10**9)
    cfg.setdefault("wall_clock_breakdown", False)
    if precision == "fp16":
        fp16 = dict(cfg.get("fp16", {}))
        fp16.update(enabled=True)
        fp16.setdefault("loss_scale", 1.0)
        if fp16["loss_scale"] == 0:
            raise InputError(
                "dynamic fp16 loss scaling (loss_scale 0) is not supported: use a static loss_scale"
            )
        cfg["fp16"] = fp16
        cfg.pop("bf16", None)
    elif precision == "bf16":
        cfg["bf16"] = {"enabled": True}
        cfg.pop("fp16", None)
    else:
        cfg.pop("fp16", None)
        cfg.pop("bf16", None)
    return cfg


def validate_user_config(cfg: dict[str, Any]) -> None:
    """Refuse DeepSpeed settings that would break the guarantee (before any training)."""
    fp16 = cfg.get("fp16", {})
    if fp16.get("enabled") and fp16.get("loss_scale", 0) == 0:
        raise InputError(
            "dynamic fp16 loss scaling (fp16.loss_scale = 0) is not supported: overflow-skipped steps "
            "change the gradient scale per step; set a static fp16.loss_scale (e.g. 1.0) or use bf16"
        )
    if cfg.get("prescale_gradients"):
        raise InputError("prescale_gradients changes the gradient scaling the privacy engine relies on")
    if cfg.get("gradient_predivide_factor", 1.0) != 1.0:
        raise InputError(
            "gradient_predivide_factor != 1 changes the gradient scaling the privacy engine relies on"
        )
    if "optimizer" in cfg:
        raise InputError("pass the optimizer as a client optimizer, not in the DeepSpeed config")
    if cfg.get("gradient_clipping", 0) > 0:
        warnings.warn(
            "DeepSpeed gradient_clipping > 0 clips the already private gradient (post-processing: "
            "privacy is kept, but it is not per-sample clipping)",
            UserWarning,
            stacklevel=3,
        )


def init_distributed(timeout=None) -> None:
    """``deepspeed.init_distributed`` with gloo on CPU (skipping the shm op build) or NCCL on GPU."""
    cpu = not torch.cuda.is_available()
    if cpu:
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
        # CPU only: skip the JIT build of the shared-memory op (see the module docstring). The
        # import_module form matters: `import deepspeed.comm.torch as m` binds torch itself.
        importlib.import_module("deepspeed.comm.torch").build_shm_op = lambda: None
    import deepspeed

    kwargs = {} if timeout is None else {"timeout": timeout}
    deepspeed.init_distributed(dist_backend="gloo" if cpu else "nccl", **kwargs)


class DeepSpeedTrainer(Trainer):
    def __init__(self, ds_engine, engine, gas):
        # forward must go through the DeepSpeed engine (stage 3 accumulation relies on it)
        super().__init__(ds_engine, engine, gas)
        self.ds = ds_engine

    def backward(self, loss: torch.Tensor) -> None:
        self.ds.backward(loss)

    def step(self) -> None:
        boundary = self.ds.is_gradient_accumulation_boundary()
        skipped = self.ds.skipped_steps
        self.ds.step()
        self.micro_step += 1
        if boundary and self.engine is not None:
            # overflow-skipped steps touched the data: they are counted all the same
            self.engine.step_done(skipped=self.ds.skipped_steps > skipped)

    def full_parameters(self) -> dict[str, torch.Tensor]:
        import deepspeed

        params = list(self.ds.module.parameters())
        with deepspeed.zero.GatheredParameters(params, enabled=self.ds.zero_optimization_stage() == 3):
            return {n: p.detach().float().clone() for n, p in self.ds.module.named_parameters()}

    @property
    def dtype(self) -> torch.dtype:
        if self.ds.bfloat16_enabled():
            return torch.bfloat16
        if self.ds.fp16_enabled():
            return torch.float16
        return torch.float32

    def close(self) -> None:
        self.ds.destroy()


def initialize(
    model: nn.Module,
    optimizer_factory,
    engine: DPZeroEngine | None,
    *,
    stage: int,
    precision: str = "fp32",
    micro_batch_size: int,
    gradient_accumulation_steps: int = 1,
    user_config: dict[str, Any] | None = None,
) -> DeepSpeedTrainer:
    """Convert ``model`` and wrap it in a DeepSpeed ZeRO engine (call after :func:`init_distributed`).

    ``optimizer_factory(params)`` builds the client torch optimizer.
    """
    import deepspeed
    import torch.distributed as dist

    world = dist.get_world_size() if dist.is_initialized() else 1
    rank = dist.get_rank() if dist.is_initialized() else 0
    cfg = build_config(
        stage=stage,
        precision=precision,
        micro_batch_size=micro_batch_size,
        gradient_accumulation_steps=gradient_accumulation_steps,
        world_size=world,
        user_config=user_config,
    )
    if engine is not None:
        engine.convert(model)
        loss_scale = float(cfg["fp16"]["loss_scale"]) if "fp16" in cfg else 1.0
        engine.attach(
            BackendScaling(
                world_size=world,
                rank=rank,
                loss_scale=loss_scale,
                loss_divisor=float(gradient_accumulation_steps),
                averages_ranks=True,
                name=f"DeepSpeed ZeRO-{stage}",
            )
        )
    ds_engine, _, _, _ = deepspeed.initialize(
        model=model, optimizer=optimizer_factory(model.parameters()), config=cfg
    )
    return DeepSpeedTrainer(ds_engine, engine, gradient_accumulation_steps)
