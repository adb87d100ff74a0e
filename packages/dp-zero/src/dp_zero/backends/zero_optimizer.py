"""torch ``ZeroRedundancyOptimizer`` with ``DistributedDataParallel``: optimizer state sharded
across ranks (ZeRO stage 1 without DeepSpeed; spec section 6, ``backends/zero_optimizer.py``).

DDP's gradient hooks fire when a parameter's gradient is accumulated, which happens after the
private layer's backward has returned the clipped (and noised) gradient: DDP all-reduces exactly
what it all-reduces without DP, averaging over ranks. Under gradient accumulation the micro-steps
before the boundary run under ``no_sync`` (local accumulation, one all-reduce per step).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from dp_zero.backends.base import OptimizerTrainer
from dp_zero.engine import BackendScaling, DPZeroEngine


class ZeroOptimizerTrainer(OptimizerTrainer):
    def __init__(self, ddp, optimizer, engine, gas):
        # forward must go through the DDP wrapper: it arms the reducer for the backward
        super().__init__(ddp, optimizer, engine, gas)
        self.ddp = ddp

    def backward(self, loss: torch.Tensor) -> None:
        if (self.micro_step + 1) % self.gas:
            with self.ddp.no_sync():  # accumulate locally until the step's last micro-step
                loss.backward()
        else:
            loss.backward()

    def full_parameters(self) -> dict[str, torch.Tensor]:
        return {n: p.detach().float().clone() for n, p in self.ddp.module.named_parameters()}

    def checkpoint_state(self) -> dict[str, Any] | None:
        """Model and consolidated optimizer state on rank 0 (``None`` elsewhere); collective."""
        import torch.distributed as dist

        self.optimizer.consolidate_state_dict(to=0)
        if dist.get_rank() != 0:
            return None
        return {"model": self.ddp.module.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        self.ddp.module.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])  # keeps this rank's shard


def initialize(
    model: nn.Module,
    optimizer_factory,
    engine: DPZeroEngine | None,
    *,
    gradient_accumulation_steps: int = 1,
) -> ZeroOptimizerTrainer:
    """Convert ``model``, wrap it in DDP and shard the optimizer with ``ZeroRedundancyOptimizer``.

    ``optimizer_factory(params)`` builds the client torch optimizer; its class and ``defaults``
    (learning rate, momentum, ...) configure the sharded optimizer on every rank.
    """
    import torch.distributed as dist
    from torch.distributed.optim import ZeroRedundancyOptimizer
    from torch.nn.parallel import DistributedDataParallel

    world, rank = dist.get_world_size(), dist.get_rank()
    if engine is not None:
        engine.convert(model)
        engine.attach(
            BackendScaling(world_size=world, rank=rank, averages_ranks=True, name="ZeroRedundancyOptimizer")
        )
    probe = optimizer_factory(list(model.parameters()))
    ddp = DistributedDataParallel(model)
    optimizer = ZeroRedundancyOptimizer(list(ddp.parameters()), optimizer_class=type(probe), **probe.defaults)
    return ZeroOptimizerTrainer(ddp, optimizer, engine, gradient_accumulation_steps)
