"""Backends: each wraps a model and an optimizer and tells the engine how it scales gradients.

Every backend returns a :class:`~dp_zero.backends.base.Trainer` with ``backward(loss)``,
``step()`` (one micro-step; the engine's step closes at the accumulation boundary) and
``full_parameters()``. Heavy imports (deepspeed) happen inside the functions that need them.
"""

from dp_zero.backends.base import BACKENDS, Trainer

__all__ = ["BACKENDS", "Trainer"]
