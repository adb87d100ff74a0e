"""Kernel maximum mean discrepancy (MMD) between two samples.

The meta-forests weight update (Sun & Kosmas 2023, Eq. 3) penalises a forest whose training domain is
far, in MMD, from the meta-test domain. This module holds the estimators:

* :func:`mmd2` -- exact biased (V-statistic) or unbiased (U-statistic) MMD^2 (Gretton et al. 2012,
  Eq. 3 and Eq. 5) with an RBF, multi-bandwidth RBF or linear kernel;
* :func:`rff_mmd2` -- linear-time approximation with random Fourier features (Rahimi & Recht 2007);
* :func:`median_heuristic` -- the RBF bandwidth, with a fallback for constant features.

The RBF kernel is ``k(x, y) = exp(-||x - y||^2 / (2 h^2))``, i.e. ``gamma = 1 / (2 h^2)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial.distance import cdist, pdist

from core_utils import InputError

__all__ = ["kernel_matrix", "median_heuristic", "mmd2", "rff_mmd2", "subsample"]

KERNELS = ("rbf", "linear")


def _as_2d(name: str, X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise InputError(f"{name} must be a 2-D array (samples x features), got shape {X.shape}")
    if X.shape[0] < 1:
        raise InputError(f"{name} has no samples")
    if not np.all(np.isfinite(X)):
        raise InputError(f"{name} contains NaN or infinite values")
    return X


def subsample(X: np.ndarray, max_samples: int | None, rng: np.random.Generator) -> np.ndarray:
    """Rows of ``X`` drawn without replacement, at most ``max_samples`` of them."""
    if max_samples is None or X.shape[0] <= max_samples:
        return X
    return X[rng.choice(X.shape[0], size=max_samples, replace=False)]


def median_heuristic(
    X: np.ndarray, Y: np.ndarray | None = None, *, max_samples: int = 1000, seed: int = 0
) -> float:
    """RBF bandwidth ``h`` = median pairwise Euclidean distance of the pooled sample.

    Falls back to ``h = sqrt(d)`` (i.e. ``gamma = 1 / (2 d)``) when the median distance is 0, which happens
    when most features are constant or most points coincide.
    """
    Z = _as_2d("X", X) if Y is None else np.vstack([_as_2d("X", X), _as_2d("Y", Y)])
    Z = subsample(Z, max_samples, np.random.default_rng(seed))
    if Z.shape[0] < 2:
        return float(np.sqrt(Z.shape[1]))
    med = float(np.median(pdist(Z)))
    if not np.isfinite(med) or med <= 0.0:
        return float(np.sqrt(Z.shape[1]))
    return med


def kernel_matrix(
    X: np.ndarray, Y: np.ndarray, *, kernel: str = "rbf", bandwidth: float | Sequence[float] = 1.0
) -> np.ndarray:
    """Gram matrix ``K[i, j] = k(X[i], Y[j])``.

    For ``kernel="rbf"`` a sequence of bandwidths gives the mean of the RBF kernels (a characteristic
    kernel mixture, as DomainBed's MMD penalty).
    """
    if kernel == "linear":
        return X @ Y.T
    if kernel != "rbf":
        raise InputError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    hs = np.atleast_1d(np.asarray(bandwidth, dtype=float))
    if hs.size == 0 or np.any(~np.isfinite(hs)) or np.any(hs <= 0):
        raise InputError(f"bandwidth must be positive and finite, got {bandwidth!r}")
    d2 = cdist(X, Y, "sqeuclidean")
    K = np.zeros_like(d2)
    for h in hs:
        K += np.exp(-d2 / (2.0 * h * h))
    return K / hs.size


def mmd2(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    kernel: str = "rbf",
    bandwidth: float | Sequence[float] | str = "median",
    unbiased: bool = False,
) -> float:
    """Squared MMD between samples ``X ~ P`` and ``Y ~ Q`` (Gretton et al. 2012).

    Biased (V-statistic, always >= 0): ``mean(Kxx) + mean(Kyy) - 2 mean(Kxy)``.
    Unbiased (U-statistic): the diagonals of ``Kxx`` and ``Kyy`` are left out; its mean is 0 when
    ``P = Q`` and it can be negative.

    Parameters
    ----------
    X, Y : array of shape (n, d) and (m, d)
    kernel : {"rbf", "linear"}
    bandwidth : float, sequence of float or "median"
        RBF bandwidth ``h``; ``"median"`` uses :func:`median_heuristic` on the pooled sample.
    unbiased : bool
        U-statistic instead of V-statistic.
    """
    X, Y = _as_2d("X", X), _as_2d("Y", Y)
    if X.shape[1] != Y.shape[1]:
        raise InputError(f"X and Y must have the same number of features, got {X.shape[1]} and {Y.shape[1]}")
    if isinstance(bandwidth, str):
        if bandwidth != "median":
            raise InputError(f"bandwidth must be a number, a list of numbers or 'median', got {bandwidth!r}")
        bandwidth = median_heuristic(X, Y)
    Kxx = kernel_matrix(X, X, kernel=kernel, bandwidth=bandwidth)
    Kyy = kernel_matrix(Y, Y, kernel=kernel, bandwidth=bandwidth)
    Kxy = kernel_matrix(X, Y, kernel=kernel, bandwidth=bandwidth)
    n, m = X.shape[0], Y.shape[0]
    if unbiased:
        if n < 2 or m < 2:
            raise InputError("the unbiased MMD estimator needs at least 2 samples in each set")
        sxx = (Kxx.sum() - np.trace(Kxx)) / (n * (n - 1))
        syy = (Kyy.sum() - np.trace(Kyy)) / (m * (m - 1))
        return float(sxx + syy - 2.0 * Kxy.mean())
    return float(max(Kxx.mean() + Kyy.mean() - 2.0 * Kxy.mean(), 0.0))


def rff_mmd2(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    bandwidth: float | str = "median",
    n_features: int = 512,
    seed: int = 0,
) -> float:
    """Random-Fourier-feature estimate of the biased RBF MMD^2, in O((n + m) d D) time and O(d D) memory.

    ``phi(x) = sqrt(2 / D) cos(W x + b)`` with ``W ~ N(0, I / h^2)``, ``b ~ U[0, 2 pi]`` satisfies
    ``E[phi(x) . phi(y)] = exp(-||x - y||^2 / (2 h^2))`` (Rahimi & Recht 2007); then
    ``MMD^2 ~= ||mean phi(X) - mean phi(Y)||^2``.
    """
    X, Y = _as_2d("X", X), _as_2d("Y", Y)
    if X.shape[1] != Y.shape[1]:
        raise InputError(f"X and Y must have the same number of features, got {X.shape[1]} and {Y.shape[1]}")
    if n_features < 1:
        raise InputError(f"n_features must be >= 1, got {n_features}")
    if isinstance(bandwidth, str):
        if bandwidth != "median":
            raise InputError(f"bandwidth must be a number or 'median', got {bandwidth!r}")
        bandwidth = median_heuristic(X, Y)
    if not (np.isfinite(bandwidth) and bandwidth > 0):
        raise InputError(f"bandwidth must be positive and finite, got {bandwidth!r}")
    rng = np.random.default_rng(seed)
    W = rng.normal(scale=1.0 / bandwidth, size=(X.shape[1], n_features))
    b = rng.uniform(0.0, 2.0 * np.pi, size=n_features)
    scale = np.sqrt(2.0 / n_features)

    def mean_features(Z: np.ndarray, chunk: int = 4096) -> np.ndarray:
        total = np.zeros(n_features)
        for start in range(0, Z.shape[0], chunk):
            total += np.cos(Z[start : start + chunk] @ W + b).sum(axis=0)
        return scale * total / Z.shape[0]

    diff = mean_features(X) - mean_features(Y)
    return float(diff @ diff)
