"""The meta-forests weight update (Sun & Kosmas 2023, Algorithm 1 and Eq. 3), in log space.

For meta-task ``i`` and forest ``j`` scored on the meta-test domain:

* accuracy term ``W_acc = exp(acc_ij) - exp(1 / C)``; chance accuracy ``1 / C`` gives 0;
* MMD term ``W_mmd = MMD_ij - mean(MMDs computed so far)``;
* update ``W_ij = W_(i-1)j * exp(alpha * W_mmd) * g(W_acc)``, ``alpha < 0``, then normalise over ``j``.

The factor ``g`` is ambiguous in the published text; three readings are provided (``rule``):

``"safe"``
    ``g(a) = max(a, eps) ** beta`` -- monotone in accuracy, chance gives ``eps ** beta``
    (the package default).
``"log-power"``
    ``g(a) = max(log(a), eps) ** beta`` -- the unofficial reproduction's reading ``log(W_acc)^beta``,
    clipped at ``eps`` because ``log(a) < 0`` for ``a < 1``.
``"log-scaled"``
    ``g(a) = max(log(beta * a), eps)`` -- the alternative reading ``log(beta * W_acc)``.

Everything is computed on log-weights, so ``exp`` of a large ``alpha * W_mmd`` cannot overflow.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from core_utils import InputError

__all__ = [
    "RULES",
    "accuracy_term",
    "log_factor",
    "mmd_term",
    "normalize_log_weights",
    "regression_term",
]

RULES = ("safe", "log-power", "log-scaled")


def accuracy_term(accuracy: float | np.ndarray, n_classes: int) -> np.ndarray:
    """``W_acc = exp(acc) - exp(1 / C)`` (Eq. 3, accuracy part); 0 at chance level."""
    if n_classes < 1:
        raise InputError(f"n_classes must be >= 1, got {n_classes}")
    return np.exp(np.asarray(accuracy, dtype=float)) - np.exp(1.0 / n_classes)


def regression_term(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Regression analogue of :func:`accuracy_term`: ``exp(s) - 1`` with ``s = max(0, 1 - RMSE / std(y))``.

    The mean predictor (the regression "chance level") gives ``s = 0`` and a term of 0; a perfect
    predictor gives ``e - 1``, as a perfect classifier with many classes.
    """
    y_true = np.asarray(y_true, dtype=float)
    rmse = float(np.sqrt(np.mean((y_true - np.asarray(y_pred, dtype=float)) ** 2)))
    sd = float(np.std(y_true))
    s = (1.0 if rmse == 0.0 else 0.0) if sd == 0.0 else max(0.0, 1.0 - rmse / sd)
    return float(np.exp(s) - 1.0)


def mmd_term(mmd: float, history: list[float]) -> float:
    """``W_mmd = MMD_ij - mean(MMDs so far)``; ``history`` must already include ``mmd``."""
    if not history:
        raise InputError("the MMD history must contain the current MMD")
    return float(mmd - np.mean(history))


def log_factor(
    w_acc: float | np.ndarray, *, beta: float, rule: str = "safe", eps: float = 1e-10
) -> np.ndarray:
    """``log g(W_acc)`` for one of the :data:`RULES` (see the module docstring)."""
    if eps <= 0:
        raise InputError(f"eps must be > 0, got {eps}")
    a = np.asarray(w_acc, dtype=float)
    if rule == "safe":
        return beta * np.log(np.maximum(a, eps))
    if rule == "log-power":
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = np.log(np.maximum(a, eps))
        return beta * np.log(np.maximum(inner, eps))
    if rule == "log-scaled":
        with np.errstate(divide="ignore", invalid="ignore"):
            inner = np.log(np.maximum(beta * a, eps))
        return np.log(np.maximum(inner, eps))
    raise InputError(f"rule must be one of {RULES}, got {rule!r}")


def normalize_log_weights(log_w: np.ndarray) -> np.ndarray:
    """Weights ``exp(log_w) / sum(exp(log_w))`` computed stably; uniform if every entry is equal."""
    log_w = np.asarray(log_w, dtype=float)
    if log_w.size == 0:
        raise InputError("cannot normalise an empty weight vector")
    if np.all(np.isneginf(log_w)):
        return np.full(log_w.shape, 1.0 / log_w.size)
    return np.exp(log_w - logsumexp(log_w))
