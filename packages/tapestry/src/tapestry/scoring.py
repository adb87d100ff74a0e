"""Proper scores and calibration of ensemble forecasts.

* :func:`crps_ensemble` — CRPS of an ensemble in the sorted O(m log m) form
  ``CRPS = mean|x_i - y| - (1/m^2) sum_i (2i - m - 1) x_(i)`` (Gneiting & Raftery 2007, eq. 21;
  equal to ``properscoring.crps_ensemble`` but without its O(m^2) memory).
* :func:`crps_gaussian` — closed form for N(mu, sigma^2).
* :func:`log_score` — negative log density of a Gaussian KDE (Silverman bandwidth).
* :func:`pit`, :func:`pit_histogram`, :func:`coverage` — calibration.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp
from scipy.stats import norm

from core_utils import InputError

__all__ = ["coverage", "crps_ensemble", "crps_gaussian", "log_score", "pit", "pit_histogram"]


def _ens(ens: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    e = np.asarray(ens, dtype=float)
    yy = np.asarray(y, dtype=float)
    if e.shape[:-1] != yy.shape:
        raise InputError(f"ensemble shape {e.shape} does not match observations {yy.shape} (+ members axis)")
    if e.shape[-1] < 1:
        raise InputError("ensemble has no members")
    return e, yy


def crps_ensemble(ens: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """CRPS of ensembles ``ens[..., m]`` for observations ``y[...]`` (lower is better)."""
    e, yy = _ens(ens, y)
    m = e.shape[-1]
    s = np.sort(e, axis=-1)
    term1 = np.mean(np.abs(s - yy[..., None]), axis=-1)
    i = np.arange(1, m + 1)
    term2 = np.sum((2 * i - m - 1) * s, axis=-1) / m**2
    return term1 - term2


def crps_gaussian(mu: ArrayLike, sigma: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """CRPS of N(mu, sigma^2): ``sigma (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi))``."""
    mu, sigma, y = (np.asarray(a, dtype=float) for a in (mu, sigma, y))
    if np.any(sigma <= 0):
        return np.where(sigma <= 0, np.abs(y - mu), crps_gaussian(mu, np.where(sigma <= 0, 1, sigma), y))
    z = (y - mu) / sigma
    return sigma * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))


def log_score(ens: ArrayLike, y: ArrayLike, bandwidth: float | None = None) -> NDArray[np.float64]:
    """Negative log predictive density at ``y`` of a Gaussian KDE of each ensemble.

    Bandwidth: Silverman's rule ``0.9 min(sd, IQR/1.34) m^(-1/5)`` per ensemble (floored at
    1e-6 of the ensemble scale), unless given.
    """
    e, yy = _ens(ens, y)
    m = e.shape[-1]
    if bandwidth is None:
        sd = e.std(axis=-1)
        q75, q25 = np.percentile(e, [75, 25], axis=-1)
        spread = np.minimum(sd, (q75 - q25) / 1.34)
        spread = np.where(spread > 0, spread, sd)
        bw = 0.9 * spread * m ** (-0.2)
        bw = np.maximum(bw, 1e-6 * np.maximum(np.abs(e).mean(axis=-1), 1.0))
    else:
        bw = np.full(yy.shape, float(bandwidth))
    z = (yy[..., None] - e) / bw[..., None]
    logpdf = logsumexp(-0.5 * z**2, axis=-1) - np.log(m) - np.log(bw) - 0.5 * np.log(2 * np.pi)
    return -logpdf


def pit(ens: ArrayLike, y: ArrayLike, rng: np.random.Generator | None = None) -> NDArray[np.float64]:
    """Probability integral transform: fraction of members below y (ties randomised)."""
    e, yy = _ens(ens, y)
    rng = rng or np.random.default_rng(0)
    below = np.mean(e < yy[..., None], axis=-1)
    equal = np.mean(e == yy[..., None], axis=-1)
    return below + equal * rng.uniform(size=below.shape)


def pit_histogram(p: ArrayLike, bins: int = 10) -> NDArray[np.float64]:
    """Relative frequencies of PIT values in ``bins`` equal bins (flat = calibrated)."""
    p = np.asarray(p, dtype=float).ravel()
    p = p[np.isfinite(p)]
    h, _ = np.histogram(p, bins=bins, range=(0, 1))
    return h / max(p.size, 1)


def coverage(ens: ArrayLike, y: ArrayLike, level: float = 0.9) -> float:
    """Fraction of observations inside the central ``level`` interval of their ensemble."""
    if not 0 < level < 1:
        raise InputError(f"level must be in (0, 1), got {level}")
    e, yy = _ens(ens, y)
    lo, hi = np.quantile(e, [(1 - level) / 2, (1 + level) / 2], axis=-1)
    ok = np.isfinite(yy)
    return float(np.mean((yy[ok] >= lo[ok]) & (yy[ok] <= hi[ok])))
