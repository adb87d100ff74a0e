"""One figure per experiment: theory curves drawn over simulation points."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from core_utils import new_figure, save_figure
from overparam.experiments import ExperimentResult

__all__ = ["plot_experiment"]


def plot_experiment(result: ExperimentResult, path: str | os.PathLike[str]) -> Path:
    """Draw ``result``'s figure and save it as PNG at ``path``."""
    fig, ax = new_figure(figsize=(5.5, 4))
    c = result.curves
    name = result.name
    if name == "E1":
        for label, cur in c.items():
            ax.loglog(cur["steps"], np.maximum(cur["distance"], 1e-17), marker="o", ms=3, label=label)
        ax.axhline(1e-8, color="k", ls=":", label="tolerance 1e-8")
        ax.set(xlabel="GD step", ylabel="||theta_t - limit|| / ||limit||")
    elif name == "E2":
        ax.loglog(c["t"], c["gap"], marker="o", label="GD on logistic loss")
        ax.axhline(1e-3, color="k", ls=":", label="tolerance 1e-3")
        ax.set(xlabel="step t", ylabel="1 - cos(w_t, w_SVM)")
    elif name == "E3":
        ax.plot(c["gamma"], c["theory"], label="min-norm, HMRT asymptotic")
        ax.plot(c["gamma"], c["ridge_opt"], ls="--", label="optimal ridge, HMRT")
        g, m, se = zip(*c["sim"], strict=True)
        ax.errorbar(g, m, yerr=2 * np.asarray(se), fmt="o", label=f"simulation (n={result.params['n_asym']})")
        ax.set(xlabel="gamma = p/n", ylabel="excess risk", ylim=(0, 4))
    elif name == "E4":
        names = list(c)
        xs = np.arange(len(names))
        ax.bar(xs - 0.2, [c[k]["theory_var"] for k in names], 0.4, label="variance, deterministic equivalent")
        ax.bar(xs + 0.2, [c[k]["sim_var"] for k in names], 0.4, label="variance, simulation")
        ax.set_xticks(xs, names)
        ax.set(ylabel="variance of min-norm interpolant")
    elif name == "E5":
        p, diff, spiky, total = zip(*c["rows"], strict=True)
        ax.loglog(p, spiky, marker="o", label="spiky part's risk ||theta_>k||^2_Sigma")
        ax.loglog(p, total, marker="s", label="total excess risk")
        ax.loglog(p, diff, marker="^", label="rel. diff. simple part vs ridge")
        ax.set(xlabel="p", ylabel="value")
    elif name == "E6":
        ax.plot(c["psi1"], c["theory"], label="Mei-Montanari ridgeless")
        psi1, m, se, _ = zip(*c["sim"], strict=True)
        ax.errorbar(psi1, m, yerr=2 * np.asarray(se), fmt="o", label=f"simulation (d={result.params['d']})")
        ax.axvline(result.params["psi2"], color="k", ls=":", lw=0.8)
        ax.set(xlabel="psi1 = N/d", ylabel="test risk", ylim=(0, 3))
    elif name == "E7":
        runs = c["runs"]
        m = [r["width"] for r in runs]
        for key, label in (
            ("rel_weight_change", "||theta_T - theta_0|| / ||theta_0||"),
            ("rms_diff_ntk", "rms |f - f_NTK|"),
            ("max_diff_linearized", "max |f - f_lin|"),
        ):
            ax.loglog(m, [r[key] for r in runs], marker="o", label=label)
        ref = np.asarray(m, dtype=float)
        ax.loglog(ref, runs[0]["rel_weight_change"] * (ref / ref[0]) ** -0.5, "k:", label="m^(-1/2)")
        ax.set(xlabel="width m", ylabel="distance")
    ax.set_title(f"{name}: {'pass' if result.passed else 'FAIL'}", fontsize=10)
    ax.legend(fontsize=7)
    return save_figure(fig, path)
