"""Registry and base class of the per-layer rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

RULES: dict[type[nn.Module], LayerRule] = {}


class LayerRule:
    """How one family of layers computes per-sample norms and clipped sums.

    Subclasses implement :meth:`forward`, :meth:`grad_input`, :meth:`prepare`,
    :meth:`per_sample_sq_norms` and :meth:`clipped_sum`. ``params`` maps the parameter names
    (``"weight"``, ``"bias"``) to the tensors the forward used; ``trainable`` lists the names
    that receive private gradients.
    """

    #: parameter names the layer can own, in the order they are passed to the autograd Function
    param_names: tuple[str, ...] = ("weight", "bias")

    def unsupported_reason(self, module: nn.Module) -> str | None:
        """Why this module instance cannot be made private (``None`` if it can)."""
        return None

    def forward(self, module: nn.Module, x: torch.Tensor, params: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def grad_input(
        self, module: nn.Module, x: torch.Tensor, params: dict[str, torch.Tensor], g: torch.Tensor
    ) -> torch.Tensor:
        raise NotImplementedError

    def prepare(
        self, module: nn.Module, x: torch.Tensor, g: torch.Tensor, params: dict[str, torch.Tensor]
    ) -> dict[str, Any]:
        """Per-sample state (fp32) from the input and the per-sample output gradient."""
        raise NotImplementedError

    def per_sample_sq_norms(self, state: dict[str, Any], trainable: tuple[str, ...]) -> torch.Tensor:
        raise NotImplementedError

    def clipped_sum(
        self, state: dict[str, Any], c: torch.Tensor, trainable: tuple[str, ...]
    ) -> dict[str, torch.Tensor]:
        raise NotImplementedError


def register_rule(*types: type[nn.Module]) -> Callable[[type[LayerRule]], type[LayerRule]]:
    """Class decorator registering a rule for exact module types (duplicates refused)."""

    def deco(cls: type[LayerRule]) -> type[LayerRule]:
        rule = cls()
        for t in types:
            if t in RULES:
                raise ValueError(f"a rule for {t.__name__} is already registered")
            RULES[t] = rule
        return cls

    return deco


def find_rule(module: nn.Module) -> LayerRule | None:
    """The rule for ``module``'s type, or for the nearest registered base class."""
    for cls in type(module).__mro__:
        if cls in RULES:
            return RULES[cls]
    return None


def sequence_view(t: torch.Tensor) -> torch.Tensor:
    """View ``B x ... x d`` as ``B x T x d`` in fp32 (``T`` = product of the middle dims)."""
    return t.reshape(t.shape[0], -1, t.shape[-1]).float()


def matrix_sq_norms(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``||b_i^T a_i||_F^2`` for ``a: B x T x d``, ``b: B x T x p`` (spec step 3, hybrid rule).

    ``T = 1``: ``||a_i||^2 ||b_i||^2`` (Goodfellow's trick). Otherwise the ghost norm
    ``<a_i a_i^T, b_i b_i^T>`` costs ``O(T^2 (d + p))`` and instantiation ``O(T d p)``; the ghost
    norm is used when ``2 T^2 <= p d`` ("MixOpt").
    """
    t, d, p = a.shape[1], a.shape[2], b.shape[2]
    if t == 1:
        return a.square().sum((1, 2)) * b.square().sum((1, 2))
    if 2 * t * t <= p * d:
        aat = torch.bmm(a, a.transpose(1, 2))
        bbt = torch.bmm(b, b.transpose(1, 2))
        return (aat.reshape(a.shape[0], -1) * bbt.reshape(a.shape[0], -1)).sum(1)
    return torch.bmm(b.transpose(1, 2), a).square().sum((1, 2))


def clipped_matrix_sum(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """``sum_i c_i b_i^T a_i`` as one matmul ``(c * b)^T a`` (book-keeping, spec step 4).

    The per-sample factor is applied to the narrower of ``a`` and ``b`` (fewer multiplications,
    same product).
    """
    p, d = b.shape[2], a.shape[2]
    if d < p:
        return b.reshape(-1, p).t() @ (a * c[:, None, None]).reshape(-1, d)
    return (b * c[:, None, None]).reshape(-1, p).t() @ a.reshape(-1, d)
