"""Component 4 of the blueprint: mixing representations, graph readouts and prediction heads.

A mixer combines the per-channel node embeddings ``{c: H_c (N, d)}`` from propagation into one
``(N, d')`` matrix, ignoring channels whose modality is missing for a node (mask). Options follow
FuNet's three fusion modes (concatenation, sum, element-wise product), plus attention (a learned,
per-node softmax over channels, as in MMGL/HAN) and none (a single channel). Readouts pool nodes to
graphs (PyG ``global_*_pool``); heads map to the task output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from core_utils import InputError
from mmgraph.registry import register


class Mixer(nn.Module):
    """Base mixer: ``forward(channels, masks) -> (N, out_dim)``; channels are taken in sorted order."""

    label = "base"

    def __init__(self, in_dim: int = 64, channels: Sequence[str] = ()) -> None:
        super().__init__()
        self.in_dim, self.channels = in_dim, list(channels)

    def out_dim(self) -> int:
        return self.in_dim

    def _stack(
        self, channels: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        names = sorted(channels)
        if self.channels and names != sorted(self.channels):
            raise InputError(f"mixer expects channels {sorted(self.channels)}, got {names}")
        h = torch.stack([channels[c] for c in names])  # (C, N, d)
        m = torch.stack([masks[c] for c in names]).to(h.dtype)[..., None]  # (C, N, 1)
        return h, m

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "in_dim": self.in_dim, "channels": list(self.channels)}

    def describe(self) -> str:
        return self.label


@register("mixing", "none")
class NoMixer(Mixer):
    """Single channel, passed through unchanged."""

    label = "none (single channel)"

    def forward(
        self, channels: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor]
    ) -> torch.Tensor:
        if len(channels) != 1:
            raise InputError(f"mixing 'none' needs exactly one channel, got {sorted(channels)}")
        return next(iter(channels.values()))


@register("mixing", "concat")
class ConcatMixer(Mixer):
    """``[H_1 || ... || H_C]`` (missing modalities contribute zeros); out dim = C d."""

    label = "concatenation"

    def out_dim(self) -> int:
        return self.in_dim * max(1, len(self.channels))

    def forward(
        self, channels: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor]
    ) -> torch.Tensor:
        h, m = self._stack(channels, masks)
        return (h * m).permute(1, 0, 2).reshape(h.shape[1], -1)


@register("mixing", "sum")
class SumMixer(Mixer):
    """``sum_c m_c H_c`` over the channels present at each node."""

    label = "sum"

    def forward(
        self, channels: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor]
    ) -> torch.Tensor:
        h, m = self._stack(channels, masks)
        return (h * m).sum(0)


@register("mixing", "product")
class ProductMixer(Mixer):
    """Element-wise product ``prod_c H_c`` over present channels (a missing one acts as 1)."""

    label = "element-wise product"

    def forward(
        self, channels: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor]
    ) -> torch.Tensor:
        h, m = self._stack(channels, masks)
        return torch.where(m.bool(), h, torch.ones_like(h)).prod(0)


@register("mixing", "attention")
class AttentionMixer(Mixer):
    """Per-node attention over channels: ``a_c = softmax_c(q^T tanh(W H_c + b))``, ``z = sum_c a_c H_c``.

    Missing channels get zero weight; the last weights are kept in ``last_weights`` (C, N).
    """

    label = "attention"

    def __init__(self, in_dim: int = 64, channels: Sequence[str] = (), att_dim: int = 32) -> None:
        super().__init__(in_dim, channels)
        self.att_dim = att_dim
        self.proj = nn.Linear(in_dim, att_dim)
        self.query = nn.Linear(att_dim, 1, bias=False)
        self.last_weights: torch.Tensor | None = None

    def forward(
        self, channels: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor]
    ) -> torch.Tensor:
        h, m = self._stack(channels, masks)
        score = self.query(torch.tanh(self.proj(h)))  # (C, N, 1)
        score = score.masked_fill(m == 0, -torch.inf)
        a = torch.softmax(score, dim=0)
        self.last_weights = a[..., 0].detach()
        return (a * h).sum(0)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "att_dim": self.att_dim}


# ----------------------------------------------------------------------------- readouts, heads


@register("readout", "none")
class NodeReadout(nn.Module):
    """Node-level task: no pooling."""

    label = "node-level (no pooling)"
    graph_level = False

    def forward(self, z: torch.Tensor, batch: torch.Tensor | None) -> torch.Tensor:
        return z

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def describe(self) -> str:
        return self.label


class _PoolReadout(NodeReadout):
    graph_level = True
    pool = "mean"

    def forward(self, z: torch.Tensor, batch: torch.Tensor | None) -> torch.Tensor:
        from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool

        fn = {"mean": global_mean_pool, "sum": global_add_pool, "max": global_max_pool}[self.pool]
        if batch is None:
            batch = torch.zeros(z.shape[0], dtype=torch.long, device=z.device)
        return fn(z, batch)


@register("readout", "mean")
class MeanReadout(_PoolReadout):
    """Graph embedding = mean of node embeddings (PyG ``global_mean_pool``)."""

    label, pool = "mean pooling", "mean"


@register("readout", "sum")
class SumReadout(_PoolReadout):
    """Graph embedding = sum of node embeddings (PyG ``global_add_pool``; RAG-GAT)."""

    label, pool = "sum pooling", "sum"


@register("readout", "max")
class MaxReadout(_PoolReadout):
    """Graph embedding = element-wise max of node embeddings (PyG ``global_max_pool``)."""

    label, pool = "max pooling", "max"


@register("head", "mlp")
class MLPHead(nn.Module):
    """Prediction head: linear (``hidden=0``) or a one-hidden-layer MLP; logits or regression output."""

    def __init__(self, in_dim: int = 64, out_dim: int = 2, hidden: int = 0, dropout: float = 0.0) -> None:
        super().__init__()
        self.in_dim, self.out_dim, self.hidden, self.dropout = in_dim, out_dim, hidden, dropout
        if hidden > 0:
            self.net: nn.Module = nn.Sequential(
                nn.Dropout(dropout), nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, out_dim)
            )
        else:
            self.net = nn.Sequential(
                nn.Dropout(dropout) if dropout > 0 else nn.Identity(), nn.Linear(in_dim, out_dim)
            )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def config(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "in_dim": self.in_dim,
            "out_dim": self.out_dim,
            "hidden": self.hidden,
            "dropout": self.dropout,
        }

    def describe(self) -> str:
        return f"MLP({self.hidden}) -> {self.out_dim}" if self.hidden else f"linear -> {self.out_dim}"
