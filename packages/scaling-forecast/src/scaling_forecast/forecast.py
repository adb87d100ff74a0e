"""Forecasts with bootstrap bands, and per-family residuals around the fitted trend.

Owen (2024) notes that pre-Chinchilla models fall below the trend and that algorithmic
progress is not modelled; on the open models bundled here code models and Phi sit off the
trend. :func:`family_residuals` makes that visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core_utils import InputError
from scaling_forecast.backtest import METHODS
from scaling_forecast.compute import HOFFMANN_2022, ChinchillaLaw
from scaling_forecast.curves import bootstrap_band
from scaling_forecast.data import BenchmarkTable

__all__ = ["Forecast", "FamilyResidual", "family_residuals", "fit_task", "forecast"]


def _column(table: BenchmarkTable, task: str | None) -> tuple[NDArray[np.float64], float, str]:
    if task is None or task == "aggregate":
        agg = table.aggregate()
        return agg.scores[:, 0], float(agg.chance[0]), "aggregate"
    j = table.task_index(task)
    return table.scores[:, j], float(table.chance[j]), task


def fit_task(
    table: BenchmarkTable,
    task: str | None = None,
    *,
    method: str = "sigmoid",
    axis: str = "flop",
    law: ChinchillaLaw = HOFFMANN_2022,
) -> Any:
    """Fit ``method`` to one task (``None`` or ``"aggregate"``: the mean over tasks)."""
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    y, floor, _ = _column(table, task)
    return METHODS[method](floor).fit(table.x(axis, law), y)


@dataclass(frozen=True)
class Forecast:
    """Predicted score at ``log10_compute`` with a bootstrap band (``level``)."""

    task: str
    log10_compute: NDArray[np.float64]
    center: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    level: float


def forecast(
    table: BenchmarkTable,
    compute: ArrayLike,
    task: str | None = None,
    *,
    method: str = "sigmoid",
    axis: str = "flop",
    law: ChinchillaLaw = HOFFMANN_2022,
    n_boot: int = 200,
    level: float = 0.9,
    seed: int = 0,
) -> Forecast:
    """Forecast the score at ``compute`` (FLOP, or scaled compute for ``axis="scaled"``).

    The band comes from :func:`~scaling_forecast.curves.bootstrap_band` (models resampled
    with replacement, ``n_boot`` refits).
    """
    c = np.atleast_1d(np.asarray(compute, dtype=float))
    if np.any(~np.isfinite(c) | (c <= 0)):
        raise InputError(f"compute must be positive FLOP, got {c.tolist()}")
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    y, floor, name = _column(table, task)
    xs = np.log10(c)
    center, lo, hi = bootstrap_band(
        lambda: METHODS[method](floor), table.x(axis, law), y, xs, n_boot=n_boot, level=level, seed=seed
    )
    return Forecast(task=name, log10_compute=xs, center=center, lower=lo, upper=hi, level=level)


@dataclass(frozen=True)
class FamilyResidual:
    """Mean residual (observed - fitted, pp) of one model family."""

    family: str
    n_models: int
    mean_pp: float
    code_model: bool


def family_residuals(
    table: BenchmarkTable,
    task: str | None = None,
    *,
    method: str = "sigmoid",
    axis: str = "flop",
    law: ChinchillaLaw = HOFFMANN_2022,
) -> list[FamilyResidual]:
    """Per-family mean residual around the curve fitted on all models, sorted by residual."""
    curve = fit_task(table, task, method=method, axis=axis, law=law)
    y, _, _ = _column(table, task)
    res = 100.0 * (y - curve.predict(table.x(axis, law)))
    fams = np.array(table.families)
    out = []
    for f in dict.fromkeys(table.families):
        m = fams == f
        out.append(
            FamilyResidual(
                family=f or "(none)",
                n_models=int(m.sum()),
                mean_pp=float(res[m].mean()),
                code_model=bool(np.any(table.code_model[m])),
            )
        )
    return sorted(out, key=lambda r: r.mean_pp)
