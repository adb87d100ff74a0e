"""torch FSDP2 (``fully_shard``): parameters, gradients and optimizer state sharded (ZeRO-3 like).

The private gradient reaches the unsharded parameter inside the layer's backward, before FSDP's
post-backward reduce-scatter, which averages over ranks as DeepSpeed does.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from core_utils import InputError
from dp_zero.backends.base import OptimizerTrainer
from dp_zero.engine import BackendScaling, DPZeroEngine


class FSDPTrainer(OptimizerTrainer):
    def __init__(self, model, optimizer, engine, gas, dtype):
        super().__init__(model, optimizer, engine, gas)
        self._dtype = dtype

    def backward(self, loss: torch.Tensor) -> None:
        loss.backward()

    def full_parameters(self) -> dict[str, torch.Tensor]:
        out = {}
        for n, p in self.model.named_parameters():
            t = p.full_tensor() if hasattr(p, "full_tensor") else p
            out[n] = t.detach().float().clone()
        return out

    @property
    def dtype(self) -> torch.dtype:
        return self._dtype

    def checkpoint_state(self) -> dict[str, Any] | None:
        """Unsharded model and optimizer state gathered to rank 0 (``None`` elsewhere); collective."""
        import torch.distributed as dist
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

        opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
        model_state, optim_state = get_state_dict(self.model, self.optimizer, options=opts)
        if dist.get_rank() != 0:
            return None
        return {"model": model_state, "optimizer": optim_state}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        """Re-shard a full (unsharded) state onto this rank's parameters and optimizer."""
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

        set_state_dict(
            self.model, self.optimizer, model_state_dict=state["model"],
            optim_state_dict=state["optimizer"], options=StateDictOptions(full_state_dict=True),
        )  # fmt: skip


def initialize(
    model: nn.Module,
    optimizer_factory,
    engine: DPZeroEngine | None,
    *,
    precision: str = "fp32",
    gradient_accumulation_steps: int = 1,
) -> FSDPTrainer:
    """Convert ``model``, shard it with ``fully_shard`` and build the optimizer on the shards."""
    import torch.distributed as dist
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    if precision not in ("fp32", "bf16"):
        raise InputError(f"the fsdp backend supports fp32 and bf16, got {precision!r}")
    world, rank = dist.get_world_size(), dist.get_rank()
    if engine is not None:
        engine.convert(model)
        engine.attach(BackendScaling(world_size=world, rank=rank, averages_ranks=True, name="FSDP2"))
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    mp = MixedPrecisionPolicy(param_dtype=dtype, reduce_dtype=torch.float32)
    for module in model.modules():
        if module is not model and any(True for _ in module.parameters(recurse=False)):
            fully_shard(module, mp_policy=mp)
    fully_shard(model, mp_policy=mp)
    return FSDPTrainer(
        model, optimizer_factory(model.parameters()), engine, gradient_accumulation_steps, dtype
    )
