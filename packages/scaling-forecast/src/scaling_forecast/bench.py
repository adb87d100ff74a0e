"""Backtest speed: the naive per-fit ``curve_fit`` against the reusing and batched engines.

The full backtest covers the aggregate and every task at every cutoff and three horizons.
The naive engine refits an independent 3-start ``curve_fit`` (numerical Jacobian) for every
(horizon, cutoff, task); the ``scipy`` engine fits each (cutoff, task) once with an analytic
Jacobian and reuses it across horizons; the ``batched`` engine solves all fits together in
numpy. All three run in the same process, so the ratios are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core_utils import InputError, measure
from scaling_forecast.backtest import BacktestResult, backtest
from scaling_forecast.data import BenchmarkTable, load_bbh

__all__ = ["BenchConfig", "run_bench"]


@dataclass
class BenchConfig:
    """Benchmark settings. ``n_tasks`` < 27 runs on the first tasks only (quick runs)."""

    prompting: str = "cot"
    n_tasks: int = 27
    horizons: tuple[float, ...] = (0.33, 1.0, 2.0)
    engines: tuple[str, ...] = ("naive", "scipy", "batched")

    def __post_init__(self) -> None:
        if not 1 <= self.n_tasks <= 27:
            raise InputError(f"n_tasks must be in 1..27, got {self.n_tasks}")
        if "naive" not in self.engines:
            raise InputError("engines must include the 'naive' baseline")


def _full(table: BenchmarkTable, horizons: tuple[float, ...], engine: str) -> list[BacktestResult]:
    methods = ("sigmoid",)
    return [
        backtest(table.aggregate(), methods, horizons, engine=engine),
        backtest(table, methods, horizons, engine=engine),
    ]


def run_bench(cfg: BenchConfig) -> dict[str, Any]:
    """Time the full backtest with each engine; return times, ratios and result differences."""
    table = load_bbh(cfg.prompting)
    table = table.select_tasks(table.tasks[: cfg.n_tasks])
    out: dict[str, Any] = {"n_tasks": cfg.n_tasks, "n_horizons": len(cfg.horizons)}
    results = {}
    for eng in cfg.engines:
        # no tracemalloc here: tracing slows this Python-bound loop several-fold and would distort
        # the ratios; memory is negligible (a few MB) and recorded as the process peak RSS
        with measure() as m:
            results[eng] = _full(table, cfg.horizons, eng)
        out[f"{eng}_wall_s"] = round(m.wall_s, 3)
        out[f"{eng}_fits"] = sum(r.n_fits for r in results[eng])
    ref = results["naive"]
    for eng in cfg.engines:
        if eng == "naive":
            continue
        out[f"speedup_{eng}_vs_naive"] = round(out["naive_wall_s"] / out[f"{eng}_wall_s"], 2)
        diffs, agg_d, task_d = [], [], []
        for a, b, store in zip(ref, results[eng], (agg_d, task_d), strict=True):
            ka = np.lexsort(
                (a.records["model"], a.records["cutoff"], a.records["task"], a.records["horizon"])
            )
            kb = np.lexsort(
                (b.records["model"], b.records["cutoff"], b.records["task"], b.records["horizon"])
            )
            diffs.append(float(np.max(np.abs(a.records["yhat"][ka] - b.records["yhat"][kb]))) * 100)
            store.extend(abs(a.mae("sigmoid", h) - b.mae("sigmoid", h)) for h in cfg.horizons)
        out[f"{eng}_max_abs_prediction_diff_pp"] = round(max(diffs), 6)
        out[f"{eng}_aggregate_mae_diff_pp"] = round(max(agg_d), 6)
        out[f"{eng}_tasks_mae_diff_pp"] = round(max(task_d), 6)
    out["sigmoid_aggregate_1oom_pp"] = round(ref[0].mae("sigmoid", 1.0), 3)
    out["sigmoid_tasks_1oom_pp"] = round(ref[1].mae("sigmoid", 1.0), 3)
    return out
