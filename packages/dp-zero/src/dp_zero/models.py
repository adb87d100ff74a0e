"""Small models built only from layers with per-sample rules (plain torch, no torchvision)."""

from __future__ import annotations

import torch
from torch import nn


def mlp(num_features: int, num_classes: int, hidden: int = 128) -> nn.Sequential:
    """``Linear - Tanh - LayerNorm - Linear``: the digits / tabular classifier."""
    return nn.Sequential(
        nn.Linear(num_features, hidden), nn.Tanh(), nn.LayerNorm(hidden), nn.Linear(hidden, num_classes)
    )


class Block(nn.Module):
    """Pre-norm transformer block with single-head causal attention built from Linear layers
    (``nn.MultiheadAttention`` owns a raw parameter and has no per-sample rule)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x)
        att = self.q(h) @ self.k(h).transpose(1, 2) / h.shape[-1] ** 0.5
        t = x.shape[1]
        mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        x = x + self.o(att @ self.v(h))
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x))))


class TinyGPT(nn.Module):
    """GPT-style next-token model: token + position Embedding, blocks, LayerNorm, Linear head."""

    def __init__(self, vocab: int = 256, dim: int = 128, layers: int = 4, seq_len: int = 32) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, dim), nn.Embedding(seq_len, dim)
        self.blocks = nn.Sequential(*(Block(dim, 4 * dim) for _ in range(layers)))
        self.ln, self.head = nn.LayerNorm(dim), nn.Linear(dim, vocab)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(idx.shape[1], device=idx.device).expand_as(idx)
        return self.head(self.ln(self.blocks(self.tok(idx) + self.pos(pos))))


class CheckNet(nn.Module):
    """Tiny token model used by the distributed oracles: Embedding, sequence Linear, LayerNorm,
    Conv1d and a Linear head, so every stage-3 partitioned layer type is exercised."""

    def __init__(self, vocab: int = 11, dim: int = 8, classes: int = 3) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.lin = nn.Linear(dim, dim)
        self.ln = nn.LayerNorm(dim)
        self.conv = nn.Conv1d(dim, dim, 3, padding=1)
        self.head = nn.Linear(dim, classes)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        h = self.ln(torch.tanh(self.lin(self.emb(idx))))
        h = torch.tanh(self.conv(h.transpose(1, 2))).mean(2)
        return self.head(h)
