"""Benchmarks: experiment wall times, the deterministic-equivalent solver's cost vs p,
and the speed-up of closed forms over simulation at equal accuracy."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from core_utils import measure
from overparam import formulas
from overparam.experiments import EXPERIMENTS, _isotropic_risk_given_design, run_experiment
from overparam.reproduce import DEMO_PARAMS

__all__ = ["run_bench"]


def _timed(fn: Any, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_bench(*, quick: bool = False) -> dict[str, Any]:
    """Run the benchmarks and return their numbers (ratios against in-run baselines)."""
    timings = {}
    for name in EXPERIMENTS:
        params = DEMO_PARAMS[name] if quick else {}
        with measure() as m:
            run_experiment(name, seed=0, **params)
        timings[name] = m.wall_s
    # deterministic-equivalent cost vs p (baseline: p = 1e3)
    ps = [1_000, 10_000, 100_000] + ([] if quick else [1_000_000])
    de_times = {}
    for p in ps:
        eigs = 1.0 / np.arange(1, p + 1)
        beta2 = np.full(p, 1.0 / p)
        de_times[p] = _timed(
            lambda eigs=eigs, beta2=beta2: formulas.deterministic_equivalent(eigs, beta2, 200, 1.0), 3
        )
    de_ratio = {str(p): de_times[p] / de_times[ps[0]] for p in ps}
    # closed form vs simulation reaching 1% standard error (isotropic ridgeless, gamma = 2, n = 200)
    rng = np.random.default_rng(0)
    n, p = 200, 400
    t_formula = _timed(lambda: formulas.hmrt_finite_gaussian(n, p, 1.0, 0.5), 20)
    vals: list[float] = []
    t0 = time.perf_counter()
    while True:
        x = rng.standard_normal((n, p))
        vals.append(_isotropic_risk_given_design(x, 1.0, 0.5, 0.0))
        if len(vals) >= 10 and np.std(vals, ddof=1) / np.sqrt(len(vals)) <= 0.01 * np.mean(vals):
            break
    t_sim = time.perf_counter() - t0
    return {
        "experiment_wall_s": timings,
        "de_solver_time_ratio_vs_p1000": de_ratio,
        "de_solver_s": {str(k): v for k, v in de_times.items()},
        "simulation_reps_for_1pct_se": len(vals),
        "formula_s": t_formula,
        "simulation_s": t_sim,
        "speedup_formula_vs_simulation": t_sim / t_formula,
    }
