"""Local sparse linear threads (LuValle 2025, construction step 4, LARS mode).

For one delay map and a block of forecast origins sharing a season, each origin's k nearest
library states give a local regression ``Y[s + h, target] ~ X_map[s]`` (standardised units),
fitted by LARS with the step chosen by AIC (Mallows' Cp for Gaussian errors;
``sklearn.linear_model.LassoLarsIC``). The fit predicts the origin's future; each of the k
threads adds the residual path of one of the ``k_resid`` nearest neighbours (the same neighbour
for every horizon, keeping the joint structure through time).

:func:`lars_block` is a pure function of arrays and a seed so that blocks can run in any order
and in any process (``joblib``) with identical results.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["LarsBlock", "lars_block"]


@dataclass
class LarsBlock:
    """Output of :func:`lars_block` for ``n`` origins, k threads, H horizons, T targets.

    Attributes
    ----------
    values : ndarray (n, k, H, T)
        Threads in standardised units (point prediction + resampled residual path).
    pred : ndarray (n, H, T)
        Local LARS point prediction, standardised units.
    coef : ndarray (n, H, T, nsel)
        LARS coefficients on the map's standardised coordinates (0 = not selected).
    """

    values: NDArray[np.float64]
    pred: NDArray[np.float64]
    coef: NDArray[np.float64]


def lars_block(
    q: NDArray[np.float64],
    nb: NDArray[np.intp],
    X_map: NDArray[np.float64],
    Yz_fut: NDArray[np.float64],
    *,
    k_resid: int,
    criterion: str,
    seed: tuple[int, ...],
    origin_ids: NDArray[np.intp] | None = None,
) -> LarsBlock:
    """Local LassoLarsIC fits with residual-path resampling for one (map, season) block.

    Parameters
    ----------
    q : ndarray (n, nsel)
        Standardised origin states in the map's coordinates.
    nb : ndarray (n, k)
        Row of each neighbour in ``X_map`` / ``Yz_fut`` (nearest first).
    X_map : ndarray (n_rows, nsel)
        Standardised library states in the map's coordinates.
    Yz_fut : ndarray (n_rows, H, T)
        Standardised continuation ``Y[s + h]`` of each library row for h = 1..H.
    k_resid : int
        Residual donors: one of the ``k_resid`` nearest neighbours per thread.
    criterion : {"aic", "bic"}
    seed : tuple of int
        Entropy of the residual draws (e.g. ``(random_state, map)``); origin i draws from a
        generator seeded by ``(*seed, origin_ids[i])``, so its threads do not depend on which
        other origins share the block, their order, or the process that runs it.
    origin_ids : ndarray (n,) of int, optional
        Identifier of each origin (default ``0..n-1``).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LassoLarsIC
    from threadpoolctl import threadpool_limits

    n, k = nb.shape
    ids = np.arange(n) if origin_ids is None else np.asarray(origin_ids, dtype=np.intp)
    _, H, T = Yz_fut.shape
    nsel = X_map.shape[1]
    values = np.empty((n, k, H, T))
    pred = np.empty((n, H, T))
    coef = np.zeros((n, H, T, nsel))
    with threadpool_limits(1), warnings.catch_warnings():  # 30 x 10 problems: threaded BLAS only hurts
        # degenerate neighbour sets make LARS stop early; the AIC path is still valid
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i in range(n):
            Xn = X_map[nb[i]]
            mu = Xn.mean(0)
            Xc = Xn - mu
            resid = np.empty((k, H, T))
            for b in range(H):
                for a in range(T):
                    yk = Yz_fut[nb[i], b, a]
                    if k <= nsel + 1 or np.ptp(yk) == 0:
                        p, r = yk.mean(), yk - yk.mean()  # too few neighbours: the analog mean
                    else:
                        model = LassoLarsIC(criterion=criterion).fit(Xc, yk)
                        p = float(model.intercept_ + (q[i] - mu) @ model.coef_)
                        r = yk - model.predict(Xc)
                        coef[i, b, a] = model.coef_
                    pred[i, b, a] = p
                    resid[:, b, a] = r
            rng = np.random.default_rng([*seed, int(ids[i])])
            pick = rng.integers(0, min(k_resid, k), size=k)  # one of the k_resid nearest
            values[i] = pred[i][None] + resid[pick]
    return LarsBlock(values=values, pred=pred, coef=coef)
