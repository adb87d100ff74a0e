"""Test systems with known truth and seasonal real series that ship offline.

* :func:`lorenz63` — Lorenz (1963), sampled every ``dt``, Gaussian observation noise.
* :func:`lorenz96_forced` — Lorenz (1996) ring with forcing F(t) = F0 + A sin(2 pi t / P): an
  "open" system driven by a slow external cycle (an 11-"year" solar proxy). Seasonal means of
  two nodes give "temperature" and a zero-inflated "precipitation" at two "sites", plus the
  driver itself.
* :func:`logistic_map`, :func:`ar1` — exact predictive laws.
* :func:`coupled_logistic` — two logistic maps where x drives y and not the reverse (the
  convergent-cross-mapping oracle of Sugihara et al. 2012).
* :func:`seasonal_real` — statsmodels' El Nino SST (monthly 1950-2010, averaged to DJF/MAM/JJA/
  SON) and annual sunspots (1700-2008, held constant over the four seasons of a year).
* :func:`load_seasonal_csv` — a user's seasonal CSV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from core_utils import InputError

__all__ = [
    "ar1",
    "coupled_logistic",
    "load_seasonal_csv",
    "logistic_map",
    "lorenz63",
    "lorenz96_forced",
    "seasonal_real",
]


def _rk4(f, x0, dt: float, n: int, *, substeps: int = 1, time_dependent: bool = False) -> NDArray[np.float64]:
    """Classical fixed-step Runge-Kutta 4 with ``substeps`` steps per sample.

    Used instead of ``scipy.integrate.solve_ivp`` because the adaptive solver's per-step Python
    overhead makes 10^4-sample trajectories take tens of seconds on a busy machine; for
    sampling the attractor (not for trajectory-exact comparisons) RK4 at dt/2 is ample.
    """
    h = dt / substeps
    x = np.asarray(x0, dtype=float).copy()
    out = np.empty((n, x.size))
    t = 0.0
    g = (lambda x, t: f(x, t)) if time_dependent else (lambda x, t: f(x))
    for i in range(n):
        out[i] = x
        for _ in range(substeps):
            k1 = g(x, t)
            k2 = g(x + 0.5 * h * k1, t + 0.5 * h)
            k3 = g(x + 0.5 * h * k2, t + 0.5 * h)
            k4 = g(x + h * k3, t + h)
            x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            t += h
    return out


def lorenz63(
    n: int,
    *,
    dt: float = 0.05,
    noise: float = 0.0,
    seed: int = 0,
    transient: int = 500,
    sigma: float = 10.0,
    rho: float = 28.0,
    beta: float = 8.0 / 3.0,
) -> NDArray[np.float64]:
    """``n`` samples (x, y, z) of the Lorenz-63 flow every ``dt`` plus N(0, noise^2) noise."""
    if n < 1 or dt <= 0:
        raise InputError("need n >= 1 and dt > 0")
    rng = np.random.default_rng(seed)

    def f(s: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y, z = s
        return np.array([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])

    X = _rk4(f, rng.normal(0, 1, 3) + [1, 1, 20], dt, n + transient, substeps=2)[transient:]
    return X + rng.normal(0, noise, X.shape) if noise > 0 else X


def lorenz96_forced(
    n_seasons: int = 400,
    *,
    n_nodes: int = 8,
    F0: float = 8.0,
    amplitude: float = 2.0,
    period_years: float = 11.0,
    steps_per_season: int = 10,
    dt: float = 0.1,
    noise: float = 0.1,
    seed: int = 0,
) -> pd.DataFrame:
    """Seasonal means of a forced Lorenz-96 ring (an "open" chaotic system).

    Returns a DataFrame with columns ``season`` (0..3), ``temp1``, ``prcp1``, ``temp2``,
    ``prcp2`` (nodes 0 and n/2; precipitation = max(0, node + noise), zero-inflated) and
    ``sun`` (the forcing F(t), the external driver), one row per season.
    """
    if n_seasons < 8 or n_nodes < 4:
        raise InputError("need n_seasons >= 8 and n_nodes >= 4")
    rng = np.random.default_rng(seed)
    season_len = steps_per_season * dt
    period = period_years * 4 * season_len

    def forcing(t: float) -> float:
        return F0 + amplitude * np.sin(2 * np.pi * t / period)

    ip1 = (np.arange(n_nodes) + 1) % n_nodes
    im1 = (np.arange(n_nodes) - 1) % n_nodes
    im2 = (np.arange(n_nodes) - 2) % n_nodes

    def f(x: NDArray[np.float64], t: float) -> NDArray[np.float64]:
        return (x[ip1] - x[im2]) * x[im1] - x + forcing(t)

    burn = 200
    total = (n_seasons + burn) * steps_per_season
    x0 = F0 + rng.normal(0, 0.5, n_nodes)
    X = _rk4(f, x0, dt, total, substeps=2, time_dependent=True)
    t = np.arange(total) * dt
    X = X[burn * steps_per_season :].reshape(n_seasons, steps_per_season, n_nodes).mean(axis=1)
    tt = t[burn * steps_per_season :].reshape(n_seasons, steps_per_season).mean(axis=1)
    a, b = X[:, 0], X[:, n_nodes // 2]
    return pd.DataFrame(
        {
            "season": np.arange(n_seasons) % 4,
            "temp1": a + rng.normal(0, noise, n_seasons),
            "prcp1": np.maximum(0.0, X[:, 1] + rng.normal(0, 0.5, n_seasons)),
            "temp2": b + rng.normal(0, noise, n_seasons),
            "prcp2": np.maximum(0.0, X[:, n_nodes // 2 + 1] + rng.normal(0, 0.5, n_seasons)),
            "sun": np.array([forcing(v) for v in tt]) + rng.normal(0, noise, n_seasons),
        }
    )


def logistic_map(
    n: int, *, r: float = 4.0, x0: float = 0.3, noise: float = 0.0, seed: int = 0
) -> NDArray[np.float64]:
    """``x_{t+1} = r x_t (1 - x_t)`` (observation noise added after, not fed back)."""
    if not 0 < x0 < 1:
        raise InputError(f"x0 must be in (0, 1), got {x0}")
    x = np.empty(n)
    x[0] = x0
    for i in range(1, n):
        x[i] = r * x[i - 1] * (1 - x[i - 1])
        if x[i] in (0.0, 1.0):  # r = 4 can hit the fixed point 0 through rounding
            x[i] = 0.5 + 1e-9 * i
    rng = np.random.default_rng(seed)
    return x + rng.normal(0, noise, n) if noise > 0 else x


def coupled_logistic(
    n: int,
    *,
    rx: float = 3.8,
    ry: float = 3.5,
    beta_yx: float = 0.1,
    beta_xy: float = 0.0,
    x0: float = 0.4,
    y0: float = 0.2,
) -> pd.DataFrame:
    """Two coupled logistic maps (Sugihara et al. 2012, Science 338, Fig. 1).

    ``x_{t+1} = x_t (rx - rx x_t - beta_xy y_t)``, ``y_{t+1} = y_t (ry - ry y_t - beta_yx x_t)``.
    With the defaults (``beta_xy = 0``) x drives y and y has no influence on x.
    """
    if n < 2:
        raise InputError(f"n must be >= 2, got {n}")
    x, y = np.empty(n), np.empty(n)
    x[0], y[0] = x0, y0
    for t in range(n - 1):
        x[t + 1] = x[t] * (rx - rx * x[t] - beta_xy * y[t])
        y[t + 1] = y[t] * (ry - ry * y[t] - beta_yx * x[t])
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("the coupled maps diverged: lower the coupling")
    return pd.DataFrame({"x": x, "y": y})


def ar1(n: int, *, phi: float = 0.7, sigma: float = 1.0, seed: int = 0) -> NDArray[np.float64]:
    """Stationary Gaussian AR(1): ``x_t = phi x_{t-1} + sigma e_t``."""
    if not abs(phi) < 1:
        raise InputError(f"|phi| must be < 1, got {phi}")
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    x[0] = rng.normal(0, sigma / np.sqrt(1 - phi**2))
    e = rng.normal(0, sigma, n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def seasonal_real() -> pd.DataFrame:
    """El Nino SST and sunspots as a seasonal table, 1950-2010 (244 seasons).

    El Nino: statsmodels ``elnino`` (monthly Nino 1+2 SST, 1950-2010) averaged to DJF (Dec of
    the previous year), MAM, JJA, SON; the first DJF uses Jan-Feb only. Sunspots: statsmodels
    ``sunspots`` (yearly mean 1700-2008), constant over the seasons of a year; 2009-2010 are
    missing upstream and filled by persistence of 2008 (marked by ``sun_filled``).
    """
    import statsmodels.api as sm

    el = sm.datasets.elnino.load_pandas().data
    months = el.columns[1:13]
    years = el["YEAR"].astype(int).to_numpy()
    m = el[months].to_numpy(dtype=float)  # (61, 12) JAN..DEC
    prev_dec = np.concatenate([[np.nan], m[:-1, 11]])
    djf = np.nanmean(np.column_stack([prev_dec, m[:, 0], m[:, 1]]), axis=1)
    mam, jja, son = m[:, 2:5].mean(1), m[:, 5:8].mean(1), m[:, 8:11].mean(1)
    sst = np.column_stack([djf, mam, jja, son]).ravel()
    ss = sm.datasets.sunspots.load_pandas().data
    spot = dict(zip(ss["YEAR"].astype(int), ss["SUNACTIVITY"].astype(float), strict=True))
    sun_year = np.array([spot.get(y, spot[max(spot)]) for y in years])
    return pd.DataFrame(
        {
            "year": np.repeat(years, 4),
            "season": np.tile(np.arange(4), years.size),
            "sst": sst,
            "sunspots": np.repeat(sun_year, 4),
            "sun_filled": np.repeat([y not in spot for y in years], 4),
        }
    )


def load_seasonal_csv(
    path: str | Path, *, season_col: str | None = "season", period: int = 4
) -> pd.DataFrame:
    """Read a seasonal CSV: numeric columns, optional integer ``season_col`` (0..period-1).

    Raises
    ------
    InputError
        Missing file, non-numeric columns (named), misaligned seasons (row named).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file {path} does not exist")
    df = pd.read_csv(path)
    if df.empty:
        raise InputError(f"{path}: no rows")
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise InputError(f"{path}: column {c!r} is not numeric (e.g. {df[c].iloc[0]!r})")
    if season_col is not None and season_col in df.columns:
        s = df[season_col].to_numpy()
        if np.any(~np.isfinite(s)) or np.any(s != np.round(s)) or np.any((s < 0) | (s >= period)):
            raise InputError(f"{path}: column {season_col!r} must hold integers 0..{period - 1}")
        bad = np.flatnonzero(np.diff(s.astype(int)) % period != 1 % period)
        if bad.size:
            i = int(bad[0]) + 1
            raise InputError(
                f"{path}: misaligned seasons at data row {i + 1}: season {int(s[i])} after {int(s[i - 1])}"
            )
        df[season_col] = s.astype(int)
    return df
