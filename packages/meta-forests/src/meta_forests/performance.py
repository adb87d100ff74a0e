"""Speed and memory measurements, always as ratios against a baseline measured in the same run.

* :func:`fit_time_ratios` -- fit time of meta-forests variants / a pooled random forest with the same
  total number of trees (spec Sec. 5: the per-domain algorithm cannot be much faster than
  ``(M-2)/M`` of it per meta-task, since every tree is still grown, on less data);
* :func:`mmd_scaling` -- time and peak traced memory of the exact MMD vs the random-feature MMD as the
  sample size grows.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from core_utils import measure
from meta_forests.benchmark import make_method
from meta_forests.datasets import DomainDataset
from meta_forests.mmd import mmd2, rff_mmd2

__all__ = ["fit_time_ratios", "mmd_scaling"]


def fit_time_ratios(
    data: DomainDataset, *, n_trees: int = 200, n_meta_tasks: int = 10, repeats: int = 3, seed: int = 0
) -> dict:
    """Median fit time of each meta variant divided by that of ``RandomForestClassifier(n_trees)``,
    on all domains but the first (the held-out target), single-threaded."""
    doms = data.domains.astype(str)
    src = doms != doms[0]
    X, y, d = data.X[src], data.y[src], doms[src]
    n_sources = len(np.unique(d))

    def timed(make, with_domains):
        times = []
        for r in range(repeats):
            est = make(seed + r)
            with measure() as m:
                est.fit(X, y, domains=d) if with_domains else est.fit(X, y)
            times.append(m.wall_s)
        return float(np.median(times))

    base = timed(lambda s: RandomForestClassifier(n_estimators=n_trees, random_state=s, n_jobs=1), False)
    out = {"random_forest_fit_s": base}
    for name in ("meta-pooled", "meta-per-domain"):
        t = timed(
            lambda s, name=name: make_method(
                name, n_trees=n_trees, n_sources=n_sources, n_meta_tasks=n_meta_tasks, seed=s, n_jobs=1
            ),
            True,
        )
        out[f"{name}_fit_ratio"] = t / base
    return out


def mmd_scaling(sizes=(250, 500, 1000, 2000), *, d: int = 64, seed: int = 0) -> list[dict]:
    """Exact biased RBF MMD^2 vs 512-feature RFF MMD^2: time and peak traced memory ratios per size."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        X = rng.normal(size=(n, d))
        Y = rng.normal(0.2, 1.0, size=(n, d))
        with measure(trace=True) as me:
            exact = mmd2(X, Y, bandwidth=float(np.sqrt(2 * d)))
        with measure(trace=True) as mr:
            approx = rff_mmd2(X, Y, bandwidth=float(np.sqrt(2 * d)), seed=seed)
        rows.append(
            {
                "n": n,
                "exact_s": me.wall_s,
                "rff_s": mr.wall_s,
                "time_ratio_exact_over_rff": me.wall_s / max(mr.wall_s, 1e-9),
                "memory_ratio_exact_over_rff": (me.peak_traced_mb or 0.0)
                / max(mr.peak_traced_mb or 0.0, 1e-9),
                "exact_mmd2": exact,
                "rff_mmd2": approx,
            }
        )
    return rows
