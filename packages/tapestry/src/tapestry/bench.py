"""Forecast latency, its scaling with library size, memory of the thread array, and ratios
against a per-origin ``NearestNeighbors`` refit and against ``pyEDM.Simplex``; local-LARS mode
with ``n_jobs`` worker processes against one process (same run, interleaved).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from core_utils import InputError, measure
from tapestry.core import Tapestry
from tapestry.datasets import lorenz63, seasonal_real

__all__ = ["BenchConfig", "run_bench"]


@dataclass
class BenchConfig:
    """Benchmark sizes (defaults: the spec's Lorenz-63 setting)."""

    sizes: tuple[int, ...] = (500, 2000, 8000)
    n_maps: int = 200
    k: int = 5
    n_origins: int = 100
    naive_origins: int = 3
    memory_maps: int = 1200
    lars_maps: int = 40  # LARS-mode maps on the seasonal data (36 origins x 4 horizons each)
    lars_jobs: int = 2  # worker processes compared with one
    lars_repeats: int = 2  # interleaved serial/parallel repeats (median ratio)
    lars_paper_scale: bool = False  # also time one LARS weave at 1200 maps with lars_jobs processes

    def __post_init__(self) -> None:
        counts = (self.n_maps, self.n_origins, self.naive_origins, self.lars_maps, self.lars_repeats)
        if min(self.sizes) < 100 or min(counts) < 1:
            raise InputError("bench sizes must be >= 100 and counts >= 1")
        if self.lars_jobs < 2:
            raise InputError(f"lars_jobs must be >= 2 (compared with one process), got {self.lars_jobs}")


def _naive_forecast(tp: Tapestry, data: np.ndarray, origin: int) -> np.ndarray:
    """What a straightforward implementation does: fit sklearn NearestNeighbors per map per origin."""
    from sklearn.neighbors import NearestNeighbors

    from tapestry.embedding import lag_matrix

    Zq = lag_matrix(tp.scaler_.transform(data), tp.lags).X[origin]
    out = []
    for cols in tp.maps_:
        X = tp.lib_.X[np.ix_(tp.library_, cols)]
        nn = NearestNeighbors(n_neighbors=tp.k).fit(X)
        _, j = nn.kneighbors(Zq[cols][None])
        nb = tp.library_[j[0]]
        out.append(tp.Y_[nb[:, None] + np.arange(1, tp.horizons + 1)][..., 0])
    return np.concatenate(out)


def run_bench(cfg: BenchConfig) -> dict[str, Any]:
    """Time weaving per origin for each library size; compare with the naive and pyEDM paths."""
    H = 10
    n_max = max(cfg.sizes)
    X = lorenz63(n_max + cfg.n_origins + 4 + H, noise=0.5, seed=0)
    test = X[n_max:]
    out: dict[str, Any] = {}
    for n in cfg.sizes:
        tp = Tapestry(lags=4, horizons=H, nsel=5, n_maps=cfg.n_maps, k=cfg.k, random_state=0)
        t0 = time.perf_counter()
        tp.fit(X[:n], columns=["x", "y", "z"])
        fit_s = time.perf_counter() - t0
        data = np.vstack([X[:n], test])
        origins = n + 3 + np.arange(cfg.n_origins)
        t0 = time.perf_counter()
        tp.weave(origins, Y=data)
        per = (time.perf_counter() - t0) / cfg.n_origins
        out[f"fit_s_n{n}"] = round(fit_s, 4)
        out[f"ms_per_origin_n{n}"] = round(1e3 * per, 3)
    # naive: refit NearestNeighbors per map per origin, at the largest library
    t0 = time.perf_counter()
    for o in origins[: cfg.naive_origins]:
        _naive_forecast(tp, data, int(o))
    naive = (time.perf_counter() - t0) / cfg.naive_origins
    out["naive_ms_per_origin"] = round(1e3 * naive, 2)
    out["speedup_vs_naive_refit"] = round(naive / per, 1)
    # pyEDM simplex on the same one-map embedding (consecutive lags of x, k = E + 1)
    try:
        import pandas as pd
        from pyEDM import Simplex

        E = 3
        y = data[:, 0]
        one = Tapestry(lags=E, horizons=1, nsel=E, n_maps=1, k=E + 1, targets=["x"]).fit(
            y[:n, None], columns=["x"]
        )
        o = n + np.arange(E, E + cfg.n_origins)
        t0 = time.perf_counter()
        one.weave(o, Y=y[:, None]).simplex_mean(0)
        ours = time.perf_counter() - t0
        df = pd.DataFrame({"t": np.arange(1, y.size + 1), "x": y})
        t0 = time.perf_counter()
        Simplex(
            dataFrame=df, columns="x", target="x", lib=[1, n], pred=[int(o[0]) + 1, int(o[-1]) + 1], E=E, Tp=1
        )
        edm = time.perf_counter() - t0
        out["pyedm_simplex_s"] = round(edm, 4)
        out["tapestry_one_map_s"] = round(ours, 4)
        out["speedup_vs_pyedm_simplex"] = round(edm / ours, 2)
    except ImportError:
        out["pyedm_simplex_s"] = None
    # memory of the thread array at paper scale: 1200 maps x k=10 x 36 origins x H=4 (float32)
    df = seasonal_real()
    Y = df[["sst", "sunspots"]].to_numpy()
    nt = len(df) - 36
    tp = Tapestry(
        lags=6, horizons=4, nsel=3, n_maps=cfg.memory_maps, k=10, seasonal_period=4, targets=["sst"]
    )
    tp.fit(Y[:nt], columns=["sst", "sunspots"])
    with measure(trace=True) as m:
        th = tp.weave(np.arange(nt - 1, len(df) - 1), Y=Y)
    out["threads_mb_at_1200_maps"] = round(th.nbytes / 2**20, 2)
    out["weave_peak_traced_mb_at_1200_maps"] = round(m.peak_traced_mb or float("nan"), 2)
    out["weave_s_paper_scale"] = round(m.wall_s, 3)
    out["memory_ratio_peak_over_threads"] = round((m.peak_traced_mb or 0) / max(th.nbytes / 2**20, 1e-9), 2)
    out.update(_bench_lars(cfg, Y, nt))
    return out


def _bench_lars(cfg: BenchConfig, Y: np.ndarray, nt: int) -> dict[str, Any]:
    """Local-LARS weave time with one process vs ``lars_jobs`` processes, interleaved."""
    origins = np.arange(nt - 1, Y.shape[0] - 1)

    def model(n_jobs: int, n_maps: int) -> Tapestry:
        return Tapestry(
            lags=6,
            horizons=4,
            nsel=3,
            n_maps=n_maps,
            k=10,
            seasonal_period=4,
            targets=["sst"],
            mode="lars",
            n_jobs=n_jobs,
            random_state=0,
        ).fit(Y[:nt], columns=["sst", "sunspots"])

    model(cfg.lars_jobs, 2).weave(origins[:2], Y=Y)  # start the worker pool (reused afterwards)
    serial, parallel, cpu, same = [], [], [], True
    for r in range(cfg.lars_repeats):
        runs = {}
        for n_jobs in (1, cfg.lars_jobs) if r % 2 == 0 else (cfg.lars_jobs, 1):
            tp = model(n_jobs, cfg.lars_maps)
            t0, c0 = time.perf_counter(), time.process_time()
            runs[n_jobs] = tp.weave(origins, Y=Y)
            (serial if n_jobs == 1 else parallel).append(time.perf_counter() - t0)
            if n_jobs == 1:
                cpu.append(time.process_time() - c0)  # CPU time of the fits (one process)
        same &= bool(np.array_equal(runs[1].values, runs[cfg.lars_jobs].values))
    fits = cfg.lars_maps * origins.size * 4
    s, p = float(np.median(serial)), float(np.median(parallel))
    paper: dict[str, Any] = {}
    if cfg.lars_paper_scale:  # the paper's scale: 1200 maps x 36 origins x 4 horizons
        tp = model(cfg.lars_jobs, cfg.memory_maps)
        t0 = time.perf_counter()
        tp.weave(origins, Y=Y)
        paper = {
            "lars_paper_scale_fits": cfg.memory_maps * origins.size * 4,
            f"lars_paper_scale_n_jobs{cfg.lars_jobs}_s": round(time.perf_counter() - t0, 3),
        }
    return {
        **paper,
        "lars_fits": fits,
        "lars_serial_s": round(s, 3),
        f"lars_n_jobs{cfg.lars_jobs}_s": round(p, 3),
        "lars_ms_per_fit_serial": round(1e3 * s / fits, 3),
        "lars_cpu_ms_per_fit": round(1e3 * float(np.median(cpu)) / fits, 3),
        "lars_parallel_speedup": round(s / p, 3),
        "lars_parallel_identical_threads": same,
    }
