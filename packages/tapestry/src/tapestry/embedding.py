"""Lag libraries, random delay maps and attractor-dimension estimates (LuValle 2025, steps 1-3).

* :func:`lag_matrix` — every variable at lags 0..L-1 (row t holds ``Y[t - lag]``).
* :func:`random_delay_maps` — ``disjoint.delaymap.make1``: permute the lagged columns, cut them
  into disjoint blocks of ``nsel``, pad the last block with random extra columns, repeat.
* :func:`correlation_dimension` (Grassberger & Procaccia 1983) and
  :func:`false_nearest_neighbors` (Kennel, Brown & Abarbanel 1992); :func:`estimate_dimension`
  combines them and :func:`delay_map_size` returns ``ceil(2.5 d)`` (> 2d coordinates, the
  Sauer-Yorke-Casdagli embedding condition).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from core_utils import InputError

__all__ = [
    "LagLibrary",
    "correlation_dimension",
    "delay_map_size",
    "estimate_dimension",
    "false_nearest_neighbors",
    "lag_matrix",
    "random_delay_maps",
]


@dataclass(frozen=True)
class LagLibrary:
    """Lagged coordinates of a multivariate series.

    Attributes
    ----------
    X : ndarray, shape (n_times, n_vars * lags)
        ``X[t, j]`` = ``Y[t - lag_j, var_j]``; rows ``t < lags - 1`` are NaN.
    var : ndarray of int, shape (n_cols,)
        Variable index of each column.
    lag : ndarray of int, shape (n_cols,)
        Lag of each column (0 = the current time).
    """

    X: NDArray[np.float64]
    var: NDArray[np.intp]
    lag: NDArray[np.intp]

    @property
    def n_cols(self) -> int:
        return int(self.var.size)


def lag_matrix(Y: NDArray[np.float64], lags: int) -> LagLibrary:
    """Every column of ``Y`` (n_times, n_vars) at lags ``0..lags-1``; column order var-major."""
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if lags < 1:
        raise InputError(f"lags must be >= 1, got {lags}")
    n, v = Y.shape
    if n < lags:
        raise InputError(f"series of length {n} is shorter than lags={lags}")
    X = np.full((n, v * lags), np.nan)
    var = np.repeat(np.arange(v), lags)
    lag = np.tile(np.arange(lags), v)
    for c in range(v * lags):
        ell = lag[c]
        X[ell:, c] = Y[: n - ell, var[c]]
    return LagLibrary(X=X, var=var, lag=lag)


def random_delay_maps(
    n_cols: int,
    nsel: int,
    n_trials: int,
    rng: np.random.Generator,
    *,
    disjoint: bool = True,
    always: NDArray[np.intp] | None = None,
) -> list[NDArray[np.intp]]:
    """Random subsets of ``nsel`` lagged coordinates (``disjoint.delaymap.make1``).

    With ``disjoint`` each trial permutes the columns and cuts them into ``ceil(n_cols/nsel)``
    blocks of ``nsel`` (the last padded with random columns not already in it), so every column
    appears at least once per trial; otherwise each map is an independent random subset.
    ``always`` columns (e.g. the target's own lag 0) are put into every map, replacing random
    ones.
    """
    if nsel < 1 or nsel > n_cols:
        raise InputError(f"embedding size nsel={nsel} must be in 1..{n_cols} (the available lagged columns)")
    if n_trials < 1:
        raise InputError(f"n_trials must be >= 1, got {n_trials}")
    maps: list[NDArray[np.intp]] = []
    for _ in range(n_trials):
        if disjoint:
            perm = rng.permutation(n_cols)
            for start in range(0, n_cols, nsel):
                block = perm[start : start + nsel]
                if block.size < nsel:
                    rest = np.setdiff1d(np.arange(n_cols), block)
                    block = np.concatenate([block, rng.choice(rest, nsel - block.size, replace=False)])
                maps.append(np.sort(block))
        else:
            maps.append(np.sort(rng.choice(n_cols, nsel, replace=False)))
    if always is not None and len(always):
        fixed = np.asarray(always, dtype=np.intp)
        out = []
        for m in maps:
            others = [c for c in m if c not in set(fixed.tolist())]
            keep = max(nsel - fixed.size, 0)
            out.append(np.sort(np.concatenate([fixed, np.asarray(others[:keep], dtype=np.intp)])))
        maps = out
    return maps


def correlation_dimension(
    X: NDArray[np.float64], *, n_radii: int = 12, max_points: int = 2000, theiler: int = 0, seed: int = 0
) -> float:
    """Grassberger-Procaccia correlation dimension: slope of log C(r) vs log r.

    ``C(r)`` is the fraction of point pairs (more than ``theiler`` steps apart) closer than r;
    the slope is fitted over radii between the 1st and 30th percentile of pair distances
    (the scaling region for moderately sampled attractors).
    """
    X = np.asarray(X, dtype=float)
    X = X[np.all(np.isfinite(X), axis=1)]
    if X.shape[0] < 20:
        raise InputError(f"need at least 20 complete points for a dimension estimate, got {X.shape[0]}")
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(X.shape[0], min(max_points, X.shape[0]), replace=False))
    Z = (X[idx] - X[idx].mean(0)) / np.where(X[idx].std(0) > 0, X[idx].std(0), 1.0)
    from scipy.spatial.distance import pdist

    d = pdist(Z)
    if theiler > 0:
        i, j = np.triu_indices(idx.size, 1)
        d = d[np.abs(idx[i] - idx[j]) > theiler]
    d = d[d > 0]
    lo, hi = np.percentile(d, [1, 30])
    radii = np.geomspace(lo, hi, n_radii)
    ds = np.sort(d)
    c = np.searchsorted(ds, radii) / ds.size
    return float(np.polyfit(np.log(radii), np.log(c), 1)[0])


def false_nearest_neighbors(
    x: NDArray[np.float64], *, max_dim: int = 10, tau: int = 1, rtol: float = 10.0
) -> NDArray[np.float64]:
    """Fraction of false nearest neighbours of a scalar series for embedding dims 1..max_dim.

    A neighbour in dimension m is false if adding the (m+1)-th delay coordinate stretches the
    distance by more than ``rtol`` (Kennel et al. 1992, criterion 1).
    """
    x = np.asarray(x, dtype=float).ravel()
    x = x[np.isfinite(x)]
    out = []
    for m in range(1, max_dim + 1):
        n = x.size - m * tau
        if n < 10:
            break
        emb = np.stack([x[(m - 1 - j) * tau + np.arange(n)] for j in range(m)], axis=1)
        nxt = x[m * tau + np.arange(n)]
        tree = cKDTree(emb)
        dist, nb = tree.query(emb, k=2)
        d1, j1 = dist[:, 1], nb[:, 1]
        ok = d1 > 0
        ratio = np.abs(nxt[ok] - nxt[j1[ok]]) / d1[ok]
        out.append(float(np.mean(ratio > rtol)))
    return np.array(out)


def estimate_dimension(
    Y: NDArray[np.float64], *, lags: int = 4, method: str = "correlation", seed: int = 0
) -> float:
    """Attractor dimension d of a (multivariate) series (``dim.est.calc``).

    ``method="correlation"``: correlation dimension of the lag library of all variables.
    ``method="fnn"``: the first embedding dimension of the first column whose false-neighbour
    fraction falls below 5 % (an upper bound on 2d, halved).
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if method == "correlation":
        return correlation_dimension(lag_matrix(Y, lags).X, seed=seed)
    if method == "fnn":
        frac = false_nearest_neighbors(Y[:, 0])
        below = np.flatnonzero(frac < 0.05)
        m = int(below[0]) + 1 if below.size else frac.size
        return m / 2.0
    raise InputError(f"method must be 'correlation' or 'fnn', got {method!r}")


def delay_map_size(d: float, n_cols: int) -> int:
    """``nsel = ceil(2.5 d)``, at least 1 and at most ``n_cols``."""
    return int(min(max(math.ceil(2.5 * d), 1), n_cols))
