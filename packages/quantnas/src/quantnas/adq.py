"""ADQ: the adaptive deviation-modulated residual that fixes BatchNorm for quantized SR blocks.

QuantNAS Sec. 3.4 (official ``sr_models/ADN.py``, ``AdaptiveNormalization``), a simplification of
AdaDM (Liu et al. 2022): ``y = x + phi(sigma(x)) * f(BN(x))`` where ``sigma`` is the per-sample
standard deviation over (C, H, W) and ``phi(s) = a s + c`` a learnable 1x1 conv with ``a = 1.5``,
``c = 0`` at initialisation. AdaDM's ``exp``/``log`` and its second BN are dropped, as in the code.
With ``enabled=False`` (the ablation, the code's ``skip_mode``) the block is a plain residual
``y = x + f(x)``.
"""

from __future__ import annotations

import torch
from torch import nn


class ADQ(nn.Module):
    """Residual wrapper ``y = x + phi(std(x)) * body(BN(x))``.

    Parameters
    ----------
    channels : int
        Channels of ``x`` (and of ``body``'s output).
    body : nn.Module
        The residual branch ``f``.
    enabled : bool
        False gives the plain residual ``x + body(x)`` (ADQ switched off).
    """

    def __init__(self, channels: int, body: nn.Module, *, enabled: bool = True) -> None:
        super().__init__()
        self.body, self.enabled = body, enabled
        if enabled:
            self.norm = nn.BatchNorm2d(channels)
            self.phi = nn.Conv2d(1, 1, 1)
            with torch.no_grad():
                self.phi.weight.fill_(1.5)
                self.phi.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.enabled:
            return x + self.body(x)
        sigma = x.flatten(1).std(dim=1).view(-1, 1, 1, 1)
        return x + self.phi(sigma) * self.body(self.norm(x))
