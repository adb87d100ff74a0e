"""Reproducible figures and the small-size demo of all seven experiments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from core_utils import new_figure, progress, save_figure
from overparam import formulas
from overparam.experiments import EXPERIMENTS, _isotropic_risk_given_design, rf_simulated_risk, run_experiment
from overparam.figures import plot_experiment

__all__ = ["DEMO_PARAMS", "demo", "double_descent"]

#: Small sizes for ``overparam demo`` (the tolerances are unchanged).
DEMO_PARAMS: dict[str, dict[str, Any]] = {
    "E1": {"steps": 2000},
    "E2": {"steps": 10_000},
    "E3": {"n_asym": 200, "reps_asym": 6},
    "E4": {"reps": 3},
    "E5": {"ps": (500, 2000, 4000), "reps": 2},
    "E6": {"d": 60, "reps": 3, "psi1s": (0.5, 1.0, 6.0, 10.0), "ridge_lams": (0.1,)},
    "E7": {"widths": (128, 512, 2048), "steps": 1000},
}


def demo(out: str | os.PathLike[str], *, seed: int = 0, quiet: bool = False) -> dict[str, Any]:
    """Run E1-E7 at the demo sizes, save one PNG each, and return their check summaries."""
    out = Path(out)
    results = {}
    for name in progress(list(EXPERIMENTS), desc="experiments", quiet=quiet):
        res = run_experiment(name, seed=seed, scale=1.0, **DEMO_PARAMS[name])
        plot_experiment(res, out / f"{name}.png")
        results[name] = res.to_dict()
    return {"experiments": results, "demo_params": DEMO_PARAMS}


def double_descent(
    out: str | os.PathLike[str], *, seed: int = 0, scale: float = 1.0, quiet: bool = False
) -> dict[str, Any]:
    """Risk vs overparameterisation: HMRT (linear) and Mei-Montanari (random features).

    Left panel: isotropic min-norm and optimally tuned ridge risk vs ``gamma = p/n``
    with simulated points at ``n = 200``. Right panel: ridgeless ReLU random-features
    risk vs ``psi1 = N/d`` at ``psi2 = 3``, with simulated points at ``d = 60``.
    """
    rng = np.random.default_rng(seed)
    reps = max(2, int(round(8 * scale)))
    r2, sigma2, n = 1.0, 0.5, 200
    gam = np.concatenate([np.linspace(0.05, 0.95, 60), np.linspace(1.05, 5.0, 80)])
    lin = [formulas.hmrt_isotropic_risk(float(g), r2, sigma2)["risk"] for g in gam]
    opt = [
        formulas.hmrt_isotropic_risk(
            float(g), r2, sigma2, formulas.optimal_ridge_lambda(float(g), r2, sigma2)
        )["risk"]
        for g in gam
    ]
    errors = []
    sim_lin = []
    for g in progress([0.25, 0.5, 0.75, 1.5, 2.0, 3.0, 4.0], desc="linear", quiet=quiet):
        p = int(round(g * n))
        vals = []
        for _ in range(reps):
            x = rng.standard_normal((n, p))
            vals.append(_isotropic_risk_given_design(x, r2, sigma2, 0.0))
        theory = formulas.hmrt_isotropic_risk(g, r2, sigma2)["risk"]
        sim_lin.append((g, float(np.mean(vals))))
        if abs(g - 1) >= 0.5:
            errors.append(abs(np.mean(vals) - theory) / theory)
    coeffs = formulas.activation_coefficients("relu")
    psi2, tau2, d = 3.0, 0.25, 60
    grid = np.concatenate([np.linspace(0.2, 2.95, 50), np.linspace(3.05, 12.0, 80)])
    rf = [
        formulas.rf_risk(*formulas.rf_ridgeless_bv(float(g), psi2, coeffs.zeta), 1.0, 0.0, tau2) for g in grid
    ]
    sim_rf = []
    for psi1 in progress([0.5, 1.0, 2.0, 4.0, 6.0, 10.0], desc="random features", quiet=quiet):
        vals = [rf_simulated_risk(d, psi1, psi2, tau2=tau2, f1=1.0, lam=0.0, rng=rng) for _ in range(reps)]
        theory = formulas.rf_risk(*formulas.rf_ridgeless_bv(psi1, psi2, coeffs.zeta), 1.0, 0.0, tau2)
        sim_rf.append((psi1, float(np.mean(vals))))
        if abs(psi1 - psi2) / psi2 >= 0.3:
            errors.append(abs(np.mean(vals) - theory) / theory)
    fig, (a1, a2) = new_figure(1, 2, figsize=(10, 4))
    a1.plot(gam, lin, label="min-norm (HMRT)")
    a1.plot(gam, opt, ls="--", label="optimal ridge (HMRT)")
    a1.plot(*zip(*sim_lin, strict=True), "o", label=f"simulation, n={n}")
    a1.set(xlabel="gamma = p/n", ylabel="excess risk", ylim=(0, 4), title="linear regression")
    a2.plot(grid, rf, label="ridgeless RF (Mei-Montanari)")
    a2.plot(*zip(*sim_rf, strict=True), "o", label=f"simulation, d={d}")
    a2.set(xlabel="psi1 = N/d", ylabel="test risk", ylim=(0, 3), title="ReLU random features, psi2 = 3")
    for a in (a1, a2):
        a.legend(fontsize=8)
    save_figure(fig, Path(out) / "double_descent.png")
    return {"linear": sim_lin, "random_features": sim_rf, "max_rel_error_off_peak": float(max(errors))}
