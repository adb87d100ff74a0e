"""Single process: the engine's gradients go straight to a torch optimizer."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from dp_zero.backends.base import OptimizerTrainer
from dp_zero.engine import BackendScaling, DPZeroEngine


class LocalTrainer(OptimizerTrainer):
    def __init__(self, model, optimizer, engine, gradient_accumulation_steps=1):
        super().__init__(model, optimizer, engine, gradient_accumulation_steps)

    def backward(self, loss: torch.Tensor) -> None:
        loss.backward()

    def _before_optimizer_step(self) -> None:
        if self.engine is not None:
            self.engine.finalize()

    def checkpoint_state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_checkpoint_state(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])


def initialize(
    model: nn.Module,
    optimizer_factory,
    engine: DPZeroEngine | None,
    *,
    gradient_accumulation_steps: int = 1,
) -> LocalTrainer:
    """Convert ``model`` (when ``engine`` is given) and return a single-process trainer.

    ``optimizer_factory(params)`` builds the torch optimizer.
    """
    if engine is not None:
        engine.convert(model)
        engine.attach(BackendScaling(name="local"))
    return LocalTrainer(model, optimizer_factory(model.parameters()), engine, gradient_accumulation_steps)
