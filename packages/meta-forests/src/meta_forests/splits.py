"""Domain-generalisation protocols (DomainBed, Gulrajani & Lopez-Paz 2021, Sec. 3).

Leave-one-domain-out is scikit-learn's :class:`~sklearn.model_selection.LeaveOneGroupOut` with the
domain labels as groups (re-exported here). Model selection uses *training-domain validation*
(DomainBed's ``IIDAccuracySelectionMethod``): a random, per-domain stratified fraction of every
source domain is held out, models are fitted on the rest and ranked by accuracy on the held-out
source data. The target domain is never looked at.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import LeaveOneGroupOut

from core_utils import InputError

__all__ = ["LeaveOneGroupOut", "training_domain_split"]


def training_domain_split(
    y: np.ndarray, domains: np.ndarray, *, holdout: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, val)``: ``holdout`` of each (domain, class) cell goes to validation.

    Cells with a single sample stay in training, so every domain and class keeps training data.
    """
    if not 0.0 < holdout < 1.0:
        raise InputError(f"holdout must be in (0, 1), got {holdout}")
    y, domains = np.asarray(y), np.asarray(domains)
    if y.shape != domains.shape:
        raise InputError(f"y and domains must have the same length, got {y.shape[0]} and {domains.shape[0]}")
    rng = np.random.default_rng(seed)
    val = []
    keys = np.unique(np.stack([domains.astype(str), y.astype(str)], axis=1), axis=0)
    for d, c in keys:
        rows = np.flatnonzero((domains.astype(str) == d) & (y.astype(str) == c))
        k = int(np.floor(holdout * rows.size))
        if k >= 1 and rows.size >= 2:
            val.extend(rng.choice(rows, size=k, replace=False).tolist())
    val_idx = np.sort(np.array(val, dtype=int))
    train_idx = np.setdiff1d(np.arange(y.size), val_idx)
    return train_idx, val_idx
