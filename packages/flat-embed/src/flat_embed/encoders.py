"""Encoders φ: R^n -> R^l (MLP, small CNN for 32×32 images) and an optional decoder.

The bending term is a second-order difference quotient (its limit is
|∇²φ(v, v)|²/64, H² regularity in the paper's analysis), so the activations are
smooth: ELU (default, C¹ with bounded second derivative almost everywhere),
or ``softplus``/``tanh``/``silu`` (C^∞).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from core_utils import InputError

__all__ = ["ACTIVATIONS", "ConvEncoder", "MLPDecoder", "MLPEncoder", "build_encoder"]

ACTIVATIONS = {"elu": nn.ELU, "softplus": nn.Softplus, "tanh": nn.Tanh, "silu": nn.SiLU}


def _act(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise InputError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


class _Standardize(nn.Module):
    """Fixed affine input map x -> (x − mean) / scale (a buffer, saved with the model)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.scale


class MLPEncoder(nn.Module):
    """Fully connected encoder ``in_dim -> hidden... -> out_dim``.

    Parameters
    ----------
    in_dim, out_dim : int
        Ambient and latent dimension.
    hidden : sequence of int
        Hidden widths (default (64, 64), the reference 100→64→64→2 net).
    activation : str
        ``elu`` (default), ``softplus``, ``tanh`` or ``silu``.
    """

    def __init__(self, in_dim: int, out_dim: int, hidden: Sequence[int] = (64, 64), activation: str = "elu"):
        super().__init__()
        if in_dim < 1 or out_dim < 1 or any(h < 1 for h in hidden):
            raise InputError(f"MLPEncoder: dimensions must be >= 1, got {in_dim}, {list(hidden)}, {out_dim}")
        self.config = {
            "kind": "mlp",
            "in_dim": in_dim,
            "out_dim": out_dim,
            "hidden": list(hidden),
            "activation": activation,
        }
        self.norm = _Standardize(in_dim)
        layers: list[nn.Module] = []
        prev = in_dim
        for h in hidden:
            layers += [nn.Linear(prev, h), _act(activation)]
            prev = h
        layers.append(nn.Linear(prev, out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.norm(x))


class ConvEncoder(nn.Module):
    """Small CNN for ``size×size`` grey images (flattened rows of length size²).

    Three stride-2 3×3 convolutions (channels ``channels``), then a hidden
    linear layer and the latent head.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        channels: Sequence[int] = (16, 32, 32),
        hidden: int = 64,
        activation: str = "elu",
    ):
        super().__init__()
        size = math.isqrt(in_dim)
        if size * size != in_dim or size % 8:
            raise InputError(f"ConvEncoder needs square images with side divisible by 8, got {in_dim} pixels")
        self.config = {
            "kind": "cnn",
            "in_dim": in_dim,
            "out_dim": out_dim,
            "channels": list(channels),
            "hidden": hidden,
            "activation": activation,
        }
        self.size = size
        self.norm = _Standardize(in_dim)
        layers: list[nn.Module] = []
        prev = 1
        for c in channels:
            layers += [nn.Conv2d(prev, c, 3, stride=2, padding=1), _act(activation)]
            prev = c
        self.conv = nn.Sequential(*layers)
        side = size // 2 ** len(channels)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(prev * side * side, hidden), _act(activation), nn.Linear(hidden, out_dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(x).reshape(-1, 1, self.size, self.size)
        return self.head(self.conv(x))


class MLPDecoder(nn.Module):
    """Decoder ``latent -> hidden... -> out_dim`` for an optional full autoencoder."""

    def __init__(self, in_dim: int, out_dim: int, hidden: Sequence[int] = (64, 64), activation: str = "elu"):
        super().__init__()
        self.config = {
            "kind": "mlp-decoder",
            "in_dim": in_dim,
            "out_dim": out_dim,
            "hidden": list(hidden),
            "activation": activation,
        }
        layers: list[nn.Module] = []
        prev = in_dim
        for h in hidden:
            layers += [nn.Linear(prev, h), _act(activation)]
            prev = h
        layers.append(nn.Linear(prev, out_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def build_encoder(config: dict[str, Any]) -> nn.Module:
    """Rebuild an encoder or decoder from its ``config`` dict (as saved in model files)."""
    cfg = dict(config)
    kind = cfg.pop("kind", None)
    cls = {"mlp": MLPEncoder, "cnn": ConvEncoder, "mlp-decoder": MLPDecoder}.get(kind)
    if cls is None:
        raise InputError(f"unknown network kind {kind!r} in model file")
    return cls(**cfg)
