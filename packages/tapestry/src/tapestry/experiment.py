"""The paper-style experiments: seasonal hold-out and the Lorenz-63 consistency study.

* :func:`seasonal_experiment` — LuValle (2025)'s design: hold out the last 9 years x 4 seasons,
  forecast up to 4 seasons ahead from every held-out origin, score against climatology,
  persistence and SARIMA. Data: ``"real"`` (El Nino SST + sunspots, statsmodels) or
  ``"lorenz96"`` (forced Lorenz-96 "climate" with two sites and a solar-like driver).
* :func:`lorenz_convergence` — CRPS as the library grows (spec §3 oracle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core_utils import InputError
from tapestry.core import Tapestry
from tapestry.datasets import lorenz63, lorenz96_forced, seasonal_real
from tapestry.evaluation import Evaluation, evaluate
from tapestry.scoring import coverage, crps_ensemble
from tapestry.threads import Threads

__all__ = ["SeasonalRun", "lorenz_convergence", "seasonal_data", "seasonal_experiment"]

SEASONAL_DEFAULTS: dict[str, dict[str, Any]] = {
    # 2 variables x 6 lags = 12 columns; same-season library ~50 states: small maps, k = 10
    "real": {"target": "sst", "variables": ["sst", "sunspots"], "nsel": 3, "k": 10},
    # 5 variables x 6 lags = 30 columns; ~100 states per season
    "lorenz96": {
        "target": "prcp1",
        "variables": ["prcp1", "temp1", "prcp2", "temp2", "sun"],
        "nsel": 7,
        "k": 20,
    },
}


def seasonal_data(name: str, seed: int = 0) -> pd.DataFrame:
    """The seasonal table of experiment ``name`` (``"real"`` or ``"lorenz96"``)."""
    if name == "real":
        return seasonal_real()
    if name == "lorenz96":
        return lorenz96_forced(400, seed=seed)
    raise InputError(f"unknown seasonal data set {name!r}; use 'real' or 'lorenz96'")


@dataclass
class SeasonalRun:
    """Threads and scores of one seasonal hold-out experiment."""

    threads: Threads
    evaluation: Evaluation
    data: pd.DataFrame
    n_train: int
    target: str
    variables: list[str]


def seasonal_experiment(
    data: str | pd.DataFrame = "real",
    *,
    target: str | None = None,
    variables: list[str] | None = None,
    test_years: int = 9,
    horizons: int = 4,
    n_maps: int = 1200,
    k: int | None = None,
    nsel: int | str | None = None,
    lags: int = 6,
    mode: str = "analog",
    seed: int = 0,
    baselines: tuple[str, ...] = ("climatology", "persistence", "sarima"),
) -> SeasonalRun:
    """Hold out the last ``test_years * 4`` seasons and forecast them 1..H seasons ahead."""
    name = data if isinstance(data, str) else "custom"
    df = seasonal_data(data, seed) if isinstance(data, str) else data
    defaults = SEASONAL_DEFAULTS.get(name, {})
    target = target or defaults.get("target")
    variables = variables or defaults.get("variables")
    if target is None or variables is None:
        raise InputError("give target and variables for a custom seasonal table")
    if target not in variables:
        variables = [target, *variables]
    missing = [v for v in variables if v not in df.columns]
    if missing:
        raise InputError(f"unknown variable {missing[0]!r}; columns are {', '.join(map(str, df.columns))}")
    n = len(df)
    n_test = 4 * test_years
    n_train = n - n_test
    if n_train < lags + horizons + 4 * (k or defaults.get("k", 30)) + 1:
        raise InputError(f"series of {n} seasons is too short for {test_years} test years, lags={lags}, k")
    Y = df[variables].to_numpy(dtype=float)
    season = df["season"].to_numpy() if "season" in df.columns else None
    tp = Tapestry(
        lags=lags,
        horizons=horizons,
        nsel=nsel or defaults.get("nsel", "auto"),
        n_maps=n_maps,
        k=k or defaults.get("k", 30),
        mode=mode,
        seasonal_period=4,
        targets=[target],
        random_state=seed,
    )
    tp.fit(Y[:n_train], columns=variables, season=None if season is None else season[:n_train])
    origins = np.arange(n_train - 1, n - 1)
    th = tp.weave(origins, Y=Y)
    ev = evaluate(th, Y[:, variables.index(target)], n_train, var=target, period=4, baselines=baselines)
    return SeasonalRun(th, ev, df, n_train, target, variables)


def lorenz_convergence(
    sizes: tuple[int, ...] = (500, 2000, 8000),
    *,
    noise: float = 0.5,
    lags: int = 4,
    nsel: int = 5,
    n_maps: int = 200,
    k: int = 5,
    n_origins: int = 190,
    horizons: tuple[int, ...] = (1, 5, 10),
    seed: int = 0,
) -> dict[str, Any]:
    """CRPS of x at the given horizons and 90 % coverage as the library grows (Lorenz-63).

    The test block is the ``n_origins + max(horizons)`` points after the largest library, the
    same for every size, so only the library changes.
    """
    H = max(horizons)
    n_max = max(sizes)
    X = lorenz63(n_max + n_origins + lags + H, noise=noise, seed=seed)
    test = X[n_max:]
    out: dict[str, Any] = {"sizes": list(sizes), "horizons": list(horizons), "crps": [], "coverage90": []}
    for n in sizes:
        tp = Tapestry(lags=lags, horizons=H, nsel=nsel, n_maps=n_maps, k=k, targets=None, random_state=seed)
        tp.fit(X[:n], columns=["x", "y", "z"])
        data = np.vstack([X[:n], test])
        origins = n + np.arange(lags - 1, lags - 1 + n_origins)
        th = tp.weave(origins, Y=data)
        ens = th.values[..., 0].transpose(0, 2, 1).astype(float)
        c = crps_ensemble(ens, th.truth[..., 0])
        out["crps"].append([float(np.mean(c[:, h - 1])) for h in horizons])
        out["coverage90"].append(coverage(ens[:, 0], th.truth[:, 0, 0]))
    out["noise_floor"] = noise / np.sqrt(np.pi)
    return out
