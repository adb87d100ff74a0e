"""Domain-generalisation protocols (DomainBed, Gulrajani & Lopez-Paz 2021, Sec. 3).

Leave-one-domain-out is scikit-learn's :class:`~sklearn.model_selection.LeaveOneGroupOut` with the
domain labels as groups (re-exported here). Model selection only ever uses the *source* domains; two
selection protocols of DomainBed (``domainbed/model_selection.py``) are provided:

``"training-domain"`` (``IIDAccuracySelectionMethod``)
    a random, per-(domain, class) stratified fraction of every source domain is held out, models are
    fitted on the rest and ranked by accuracy on the held-out source data;
``"leave-one-domain-out"`` (``LeaveOneOutSelectionMethod``)
    every source domain is held out in turn, models are fitted on the other source domains and ranked
    by their mean accuracy on the held-out source domain (costs one fit per source domain).

The target domain is never looked at.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.model_selection import LeaveOneGroupOut

from core_utils import InputError

__all__ = [
    "SELECTION_PROTOCOLS",
    "LeaveOneGroupOut",
    "selection_splits",
    "training_domain_split",
    "validation_score",
]

SELECTION_PROTOCOLS = ("training-domain", "leave-one-domain-out")


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


def selection_splits(
    y: np.ndarray, domains: np.ndarray, *, protocol: str = "training-domain", seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, val)`` index pairs of a model-selection protocol over the source domains.

    ``"training-domain"`` gives one split (:func:`training_domain_split`, 20% of each domain-class
    cell); ``"leave-one-domain-out"`` gives one split per source domain, holding that domain out
    (needs at least 3 source domains, so that every fit still sees 2 domains).
    """
    y, domains = np.asarray(y), np.asarray(domains)
    if protocol == "training-domain":
        return [training_domain_split(y, domains, seed=seed)]
    if protocol == "leave-one-domain-out":
        if y.shape != domains.shape:
            raise InputError(
                f"y and domains must have the same length, got {y.shape[0]} and {domains.shape[0]}"
            )
        names = np.unique(domains.astype(str))
        if names.size < 3:
            raise InputError(
                f"leave-one-domain-out selection needs at least 3 source domains, got {names.size}"
            )
        dom = domains.astype(str)
        return [(np.flatnonzero(dom != d), np.flatnonzero(dom == d)) for d in names]
    raise InputError(f"unknown selection protocol {protocol!r}; choose from {list(SELECTION_PROTOCOLS)}")


def validation_score(
    factory: Callable[[int], object],
    X: np.ndarray,
    y: np.ndarray,
    domains: np.ndarray,
    *,
    protocol: str = "training-domain",
    seed: int = 0,
) -> float:
    """Mean held-out source accuracy of ``factory(n_training_domains)`` under ``protocol``.

    Estimators with a ``domains`` fit argument (the meta-forests) receive the training rows' domains;
    others are fitted on ``(X, y)`` only. The estimator's ``score`` on the validation rows is averaged
    over the splits of :func:`selection_splits`.
    """
    X, y, domains = np.asarray(X), np.asarray(y), np.asarray(domains)
    scores = []
    for tr, va in selection_splits(y, domains, protocol=protocol, seed=seed):
        est = factory(int(np.unique(domains[tr].astype(str)).size))
        if hasattr(est, "forest_mode"):
            est.fit(X[tr], y[tr], domains=domains[tr])
        else:
            est.fit(X[tr], y[tr])
        scores.append(float(est.score(X[va], y[va])))
    return float(np.mean(scores))
