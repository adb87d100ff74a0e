"""Encoder training with an isometry + flatness (low bending, low distortion) loss on pairs of manifold points.

Paper: Braunsmann, Rajkovic, Rumpf, Wirth. Learning low bending and low distortion manifold embeddings. CVPRW 2021 (arXiv:2104.13189); M2AN 2024 (arXiv:2208.10193).

The public names are imported lazily, so ``flat-embed --help`` does not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "FlatEmbedding": "flat_embed.estimator",
    "FlatEmbedLoss": "flat_embed.losses",
    "PairBatch": "flat_embed.pairs",
    "PairDataset": "flat_embed.pairs",
    "PairSampler": "flat_embed.pairs",
    "knn_pairs": "flat_embed.pairs",
    "make_manifold": "flat_embed.manifolds",
    "TrainConfig": "flat_embed.train",
    "fit_encoder": "flat_embed.train",
    "procrustes_error": "flat_embed.metrics",
    "interpolation_error": "flat_embed.metrics",
    "analytic_limit": "flat_embed.gamma",
    "mc_loss": "flat_embed.gamma",
    "compare": "flat_embed.baselines",
    "circle_lower_bound": "flat_embed.bounds",
    "circle_bound_check": "flat_embed.bounds",
    "flat_torus_lower_bound": "flat_embed.bounds",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'flat_embed' has no attribute {name!r}")
