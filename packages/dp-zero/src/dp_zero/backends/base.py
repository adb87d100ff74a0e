"""The trainer interface every backend returns."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from dp_zero.engine import DPZeroEngine

BACKENDS = ("local", "deepspeed", "fsdp", "zero-optimizer")


class Trainer:
    """One micro-step at a time: ``loss = f(trainer.model(x)); trainer.backward(loss); trainer.step()``."""

    def __init__(self, model: nn.Module, engine: DPZeroEngine | None, gradient_accumulation_steps: int = 1):
        self.model = model
        self.engine = engine
        self.gas = gradient_accumulation_steps
        self.micro_step = 0

    def backward(self, loss: torch.Tensor) -> None:
        raise NotImplementedError

    def step(self) -> None:
        raise NotImplementedError

    def full_parameters(self) -> dict[str, torch.Tensor]:
        """Detached fp32 copies of the full (unsharded) parameters."""
        return {n: p.detach().float().clone() for n, p in self.model.named_parameters()}

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    def checkpoint_state(self) -> dict[str, Any] | None:
        """Full model and optimizer state for a checkpoint, on rank 0 (``None`` on other ranks).

        Collective on distributed backends: every rank must call it."""
        raise NotImplementedError(f"{type(self).__name__} has no checkpoint support")

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`checkpoint_state` returned (every rank passes the full state)."""
        raise NotImplementedError(f"{type(self).__name__} has no checkpoint support")

    def close(self) -> None:
        """Release process-group resources held by the backend."""


class OptimizerTrainer(Trainer):
    """A backend whose torch ``optimizer`` is stepped here, once every ``gas`` micro-steps.

    The engine's accountant counts the step after the optimizer has taken it."""

    def __init__(self, model: nn.Module, optimizer: Any, engine: DPZeroEngine | None, gas: int = 1):
        super().__init__(model, engine, gas)
        self.optimizer = optimizer

    def _before_optimizer_step(self) -> None:
        """Hook run at the accumulation boundary, before the optimizer steps."""

    def step(self) -> None:
        self.micro_step += 1
        if self.micro_step % self.gas:
            return
        self._before_optimizer_step()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.engine is not None:
            self.engine.step_done()
