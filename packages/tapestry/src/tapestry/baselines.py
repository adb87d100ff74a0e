"""Reference forecasters on the same origins as the threads.

* :func:`climatology` — ensemble of all training values of the target's season.
* :func:`persistence` — the value at the origin (a one-member ensemble).
* :func:`sarima` — statsmodels ``SARIMAX`` fitted on the training rows; Gaussian predictive
  mean and sd at each origin after filtering the data up to it (no refit).
* :func:`simplex` — ``pyEDM.Simplex`` point forecasts (optional dependency ``pyEDM``).
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from core_utils import InputError

__all__ = ["climatology", "persistence", "sarima", "simplex"]


def climatology(
    y_train: NDArray[np.float64], origins: NDArray[np.intp], horizons: int, period: int | None = 4
) -> NDArray[np.float64]:
    """Climatological ensembles, shape (n_origins, H, n_members): same-season training values.

    ``period=None`` uses all training values. Rows are indexed like the full series; the
    training part is ``y_train`` (rows 0..n_train-1).
    """
    y = np.asarray(y_train, dtype=float)
    y = y[np.isfinite(y)] if period is None else y
    if period is None:
        return np.broadcast_to(y, (len(origins), horizons, y.size)).copy()
    idx = np.arange(y.size)
    pools = [y[(idx % period == s) & np.isfinite(y)] for s in range(period)]
    m = min(p.size for p in pools)
    out = np.empty((len(origins), horizons, m))
    for i, t in enumerate(origins):
        for h in range(1, horizons + 1):
            out[i, h - 1] = pools[(t + h) % period][-m:]
    return out


def persistence(y: NDArray[np.float64], origins: NDArray[np.intp], horizons: int) -> NDArray[np.float64]:
    """The origin's value for every horizon, shape (n_origins, H, 1)."""
    y = np.asarray(y, dtype=float)
    return np.repeat(y[np.asarray(origins)][:, None, None], horizons, axis=1)


def sarima(
    y: NDArray[np.float64],
    n_train: int,
    origins: NDArray[np.intp],
    horizons: int,
    *,
    order: tuple[int, int, int] = (1, 0, 0),
    seasonal_order: tuple[int, int, int, int] = (1, 0, 0, 4),
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gaussian SARIMA forecasts: (mean, sd), each of shape (n_origins, H).

    Parameters are estimated once on ``y[:n_train]``; for each origin the fitted model is
    re-filtered on ``y[:origin + 1]`` (``SARIMAXResults.apply``, no re-estimation).
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    from threadpoolctl import threadpool_limits

    y = np.asarray(y, dtype=float)
    if n_train < 3 * max(seasonal_order[3], 1) + 2:
        raise InputError(f"SARIMA needs a longer training series than {n_train} rows")
    # the state-space matrices are tiny: multi-threaded BLAS only adds contention (20x slower
    # on a busy 2-core machine), so run single-threaded
    with warnings.catch_warnings(), threadpool_limits(1):
        # statsmodels warns about non-invertible starting values and optimizer convergence on
        # short seasonal series; the estimates are still usable as a baseline
        warnings.simplefilter("ignore")
        res = SARIMAX(y[:n_train], order=order, seasonal_order=seasonal_order, trend="c").fit(disp=False)
        mean = np.empty((len(origins), horizons))
        sd = np.empty_like(mean)
        for i, t in enumerate(origins):
            r = res.apply(y[: t + 1])
            f = r.get_forecast(horizons)
            mean[i] = f.predicted_mean
            sd[i] = np.sqrt(f.var_pred_mean)
    return mean, sd


def simplex(
    y: NDArray[np.float64], E: int, n_train: int, origins: NDArray[np.intp], Tp: int
) -> NDArray[np.float64]:
    """``pyEDM.Simplex`` forecasts of ``y[origin + Tp]`` from an E-lag embedding of ``y``.

    The library is rows 1..n_train (pyEDM counts from 1); predictions are made for the origins
    (the last library row onwards; pyEDM excludes a row from its own neighbours). Requires ``pip install pyEDM``.
    """
    try:
        import pandas as pd
        from pyEDM import Simplex
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise InputError("the simplex baseline needs pyEDM (pip install 'tapestry[edm]')") from exc
    y = np.asarray(y, dtype=float)
    origins = np.asarray(origins)
    if origins.min() < n_train - 1:
        raise InputError("simplex origins must not precede the end of the library rows")
    df = pd.DataFrame({"time": np.arange(1, y.size + 1), "y": y})
    lo, hi = int(origins.min()) + 1, int(origins.max()) + 1
    out = Simplex(
        dataFrame=df,
        columns="y",
        target="y",
        lib=[1, n_train],
        pred=[lo, hi],
        E=E,
        Tp=Tp,
        knn=E + 1,
        noTime=False,
    )
    pred = out["Predictions"].to_numpy(dtype=float)
    times = out.iloc[:, 0].to_numpy()  # pyEDM names its time column itself
    lookup = {int(tt): p for tt, p in zip(times, pred, strict=True)}
    return np.array([lookup.get(int(t) + 1 + Tp, np.nan) for t in origins])
