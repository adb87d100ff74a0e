"""Registry and base class of the per-layer rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

RULES: dict[type[nn.Module], LayerRule] = {}

#: key under which the backward passes a rule the statistics its forward kept (``params[STATS]``)
STATS = "_stats"


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

    def forward_with_stats(
        self, module: nn.Module, x: torch.Tensor, params: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """The output and any statistics worth keeping for the backward (saved with the input and
        handed back as ``params[STATS]``); by default none."""
        return self.forward(module, x, params), ()

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


#: cost of one pass over an instantiated ``B x p x d`` per-sample gradient, in multiply-adds per
#: element: these passes (the norm and the weighted sum) are memory-bound. 8 is what the tiny-GPT
#: benchmark step measured on a CPU (d = p = 128, T = 32 is the break-even: both branches took the
#: same step time there, and instantiating the wider MLP layers was slower)
INSTANTIATED_PASS_COST = 8.0
#: never instantiate more than this many per-sample gradient elements for one layer (memory bound:
#: 2**24 fp32 numbers = 64 MiB); larger layers always take the ghost branch
MAX_INSTANTIATED_ELEMENTS = 2**24


def instantiate_is_cheaper(batch: int, t: int, d: int, p: int) -> bool:
    """The hybrid rule ("MixOpt", spec step 3), counting the whole book-keeping cost of each branch.

    Ghost branch: the norm ``<a_i a_i^T, b_i b_i^T>`` costs ``T^2 (d + p)`` multiply-adds per sample
    and the clipped sum is the matmul ``(C b)^T a``, ``T d p``. Instantiated branch: ``G_i = b_i^T a_i``
    costs ``T d p``, and then both the norm and the clipped sum ``sum_i C_i G_i`` are passes over
    ``G`` (``2 d p``, weighted by :data:`INSTANTIATED_PASS_COST`); no second matmul. ``T = 1`` is
    always the ghost branch (Goodfellow's trick, ``d + p``), and a layer whose ``B d p`` exceeds
    :data:`MAX_INSTANTIATED_ELEMENTS` too (memory).
    """
    if t == 1 or batch * d * p > MAX_INSTANTIATED_ELEMENTS:
        return False
    ghost = t * t * (d + p) + t * d * p
    instantiated = t * d * p + 2 * INSTANTIATED_PASS_COST * d * p
    return instantiated < ghost


def matrix_sq_norms(
    a: torch.Tensor, b: torch.Tensor, state: dict[str, Any] | None = None, *, instantiate: bool | None = None
) -> torch.Tensor:
    """``||b_i^T a_i||_F^2`` for ``a: B x T x d``, ``b: B x T x p`` (spec step 3, hybrid rule).

    ``T = 1``: ``||a_i||^2 ||b_i||^2`` (Goodfellow's trick). Otherwise either the ghost norm
    ``<a_i a_i^T, b_i b_i^T>`` (two batched ``T x T`` Gram matrices) or the instantiated per-sample
    gradients ``G_i = b_i^T a_i`` (one batched matmul), as :func:`instantiate_is_cheaper` decides
    (``instantiate`` forces a branch). The instantiated ``G`` is kept in ``state["G"]`` (when a
    ``state`` is given) so :func:`clipped_matrix_sum` reuses it.
    """
    n, t, d, p = a.shape[0], a.shape[1], a.shape[2], b.shape[2]
    if t == 1:
        return a.square().sum((1, 2)) * b.square().sum((1, 2))
    if instantiate is None:
        instantiate = instantiate_is_cheaper(n, t, d, p)
    if not instantiate:
        aat = torch.bmm(a, a.transpose(1, 2))
        bbt = torch.bmm(b, b.transpose(1, 2))
        return (aat.reshape(n, -1) * bbt.reshape(n, -1)).sum(1)
    g = torch.bmm(b.transpose(1, 2), a).reshape(n, -1)  # B x (p d)
    if state is not None:
        state["G"] = g
    return torch.linalg.vector_norm(g, dim=1).square()


def clipped_matrix_sum(
    a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, g: torch.Tensor | None = None
) -> torch.Tensor:
    """``sum_i c_i b_i^T a_i`` (book-keeping, spec step 4), ``p x d``.

    With the instantiated per-sample gradients ``g`` (``B x (p d)``, from :func:`matrix_sq_norms`)
    it is the weighted sum ``c^T g``; otherwise one matmul ``(c * b)^T a``, the per-sample factor
    applied to the narrower of ``a`` and ``b`` (fewer multiplications, same product).
    """
    p, d = b.shape[2], a.shape[2]
    if g is not None:
        return (c.to(g.dtype) @ g).reshape(p, d)
    if d < p:
        return b.reshape(-1, p).t() @ (a * c[:, None, None]).reshape(-1, d)
    return (b * c[:, None, None]).reshape(-1, p).t() @ a.reshape(-1, d)
