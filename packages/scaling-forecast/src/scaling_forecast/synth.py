"""Synthetic benchmark tables with known sigmoid truth (spec §4, "Synthetic generator").

x = log10 C ~ U(20, 25); each family shifts the compute the model behaves like by
delta_f ~ N(0, family_sd); per task k ~ LogNormal(log 1.5, 0.5), x0 ~ U(x0_range),
floor = chance from {0, 1/2, 1/3, 1/4, 1/5, 1/7}; scores are Binomial(n_items, p)/n_items
(BBH task size 250: sd about 3 pp), or exact with ``n_items=None``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core_utils import InputError
from scaling_forecast.curves import SigmoidCurve
from scaling_forecast.data import BenchmarkTable

__all__ = ["SyntheticTruth", "make_synthetic"]

CHANCES = (0.0, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 7)


@dataclass(frozen=True)
class SyntheticTruth:
    """The generating parameters: per task k, x0, floor; per model the family offset."""

    k: NDArray[np.float64]
    x0: NDArray[np.float64]
    floor: NDArray[np.float64]
    offset: NDArray[np.float64]


def make_synthetic(
    n_models: int = 60,
    n_tasks: int = 10,
    *,
    seed: int = 0,
    n_families: int = 6,
    family_sd: float = 0.3,
    x_range: tuple[float, float] = (20.0, 25.0),
    x0_range: tuple[float, float] = (22.0, 26.0),
    n_items: int | None = 250,
) -> tuple[BenchmarkTable, SyntheticTruth]:
    """Draw a synthetic (models x tasks) table and its truth.

    Parameters
    ----------
    n_models, n_tasks : int
        Table size (n_models >= 3, n_tasks >= 1).
    seed : int
        Seed of the numpy generator (same seed, same table).
    n_families, family_sd : int, float
        Families and the sd (in OOM) of their compute-efficiency offset.
    x_range, x0_range : (float, float)
        Range of log10 compute and of the task midpoints.
    n_items : int or None
        Items per task for binomial noise; ``None`` gives noiseless scores.
    """
    if n_models < 3 or n_tasks < 1 or n_families < 1:
        raise InputError("need n_models >= 3, n_tasks >= 1 and n_families >= 1")
    if n_items is not None and n_items < 1:
        raise InputError(f"n_items must be >= 1 or None, got {n_items}")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(*x_range, n_models))
    fam = rng.integers(0, n_families, n_models)
    delta = rng.normal(0.0, family_sd, n_families) if family_sd > 0 else np.zeros(n_families)
    k = rng.lognormal(np.log(1.5), 0.5, n_tasks)
    x0 = rng.uniform(*x0_range, n_tasks)
    floor = rng.choice(np.array(CHANCES), n_tasks)
    p = SigmoidCurve.curve((x + delta[fam])[:, None], k[None, :], x0[None, :], floor[None, :], 1.0)
    scores = p if n_items is None else rng.binomial(n_items, p) / n_items
    # a tokens/params ratio per model, so that 6ND equals the drawn compute
    ratio = rng.uniform(10.0, 200.0, n_models)
    flop = 10.0**x
    params = np.sqrt(flop / (6.0 * ratio))
    table = BenchmarkTable(
        models=tuple(f"synth-{i:03d}" for i in range(n_models)),
        tasks=tuple(f"task-{j:02d}" for j in range(n_tasks)),
        scores=np.asarray(scores, dtype=float),
        chance=floor,
        params=params,
        tokens=ratio * params,
        flop=flop,
        families=tuple(f"family-{f}" for f in fam),
        code_model=np.zeros(n_models, dtype=bool),
    )
    return table, SyntheticTruth(k=k, x0=x0, floor=floor, offset=delta[fam])
