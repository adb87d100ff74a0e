"""Scoring threads and baselines on held-out origins, per horizon."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core_utils import InputError
from tapestry.baselines import climatology, persistence, sarima
from tapestry.scoring import coverage, crps_ensemble, crps_gaussian, log_score, pit, pit_histogram
from tapestry.threads import Threads

__all__ = ["BASELINES", "Evaluation", "evaluate"]

BASELINES = ("climatology", "persistence", "sarima")
OPTIONAL_BASELINES = ("simplex",)  # pyEDM Simplex (E = 3, k = E + 1), needs the 'edm' extra


@dataclass
class Evaluation:
    """Scores per horizon (index h-1) for the tapestry and each baseline."""

    crps: dict[str, NDArray[np.float64]]
    log_score: NDArray[np.float64]
    coverage90: NDArray[np.float64]
    pit_hist: NDArray[np.float64]
    n_scored: NDArray[np.intp]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, v in self.crps.items():
            for h, x in enumerate(v, start=1):
                out[f"crps_{name}_h{h}"] = round(float(x), 5)
        for h, x in enumerate(self.log_score, start=1):
            out[f"logscore_tapestry_h{h}"] = round(float(x), 5)
        for h, x in enumerate(self.coverage90, start=1):
            out[f"coverage90_h{h}"] = round(float(x), 4)
        out["pit_hist"] = [round(float(x), 4) for x in self.pit_hist]
        return out


def evaluate(
    threads: Threads,
    y: NDArray[np.float64],
    n_train: int,
    *,
    var: str | int = 0,
    period: int | None = 4,
    baselines: tuple[str, ...] = BASELINES,
    sarima_seasonal: tuple[int, int, int, int] | None = None,
) -> Evaluation:
    """Score ``threads`` of ``var`` against the truth and the baselines at every horizon.

    Parameters
    ----------
    y : array (n,)
        The full series of the scored variable (training rows first).
    n_train : int
        Training length (baselines are fitted on ``y[:n_train]``).
    period : int or None
        Seasonal period for climatology and SARIMA (None: non-seasonal).
    """
    unknown = [b for b in baselines if b not in BASELINES + OPTIONAL_BASELINES]
    if unknown:
        raise InputError(
            f"unknown baseline {unknown[0]!r}; known: {', '.join(BASELINES + OPTIONAL_BASELINES)}"
        )
    j = threads.var_index(var)
    ens = threads.values[..., j].transpose(0, 2, 1).astype(float)  # (n_o, H, m)
    truth = threads.truth[..., j]
    H = ens.shape[1]
    ok = np.isfinite(truth)
    org = threads.origins

    def per_h(score: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.array([np.mean(score[ok[:, h], h]) if ok[:, h].any() else np.nan for h in range(H)])

    t_filled = np.where(ok, truth, 0.0)
    crps = {"tapestry": per_h(crps_ensemble(ens, t_filled))}
    ls = per_h(log_score(ens, t_filled))
    cov = np.array(
        [coverage(ens[ok[:, h], h], truth[ok[:, h], h]) if ok[:, h].any() else np.nan for h in range(H)]
    )
    p = pit(ens, t_filled)[ok]
    notes: list[str] = []
    y = np.asarray(y, dtype=float)
    if "climatology" in baselines:
        crps["climatology"] = per_h(crps_ensemble(climatology(y[:n_train], org, H, period), t_filled))
    if "persistence" in baselines:
        crps["persistence"] = per_h(crps_ensemble(persistence(y, org, H), t_filled))
    if "sarima" in baselines:
        seasonal = sarima_seasonal or ((1, 0, 0, period) if period else (0, 0, 0, 0))
        try:
            mu, sd = sarima(y, n_train, org, H, seasonal_order=seasonal)
            crps["sarima"] = per_h(crps_gaussian(mu, sd, t_filled))
        except (np.linalg.LinAlgError, ValueError) as exc:
            notes.append(f"sarima failed: {exc}")
    if "simplex" in baselines:
        from tapestry.baselines import simplex

        point = np.stack([simplex(y, 3, n_train, org, h) for h in range(1, H + 1)], axis=1)
        crps["simplex"] = per_h(np.abs(point - t_filled))
    return Evaluation(
        crps=crps,
        log_score=ls,
        coverage90=cov,
        pit_hist=pit_histogram(p),
        n_scored=ok.sum(axis=0),
        notes=notes,
    )
