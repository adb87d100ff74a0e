"""Threads: pooled plausible pseudo-future histories (LuValle 2025, "Predictive distribution").

A :class:`Threads` object holds, for every forecast origin, ``n_threads`` sampled futures over
horizons 1..H for every target variable: ``values`` has shape
(n_origins, n_threads, H, n_vars) in float32. Threads from one delay map share their neighbour
set across horizons, so each thread is a joint path through time, and conditioning on an event
early on the path gives the conditional law later on (:meth:`Threads.condition`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core_utils import InputError, atomic_write_bytes

__all__ = ["Threads", "parse_condition"]


@dataclass
class Threads:
    """Thread array with its metadata.

    Attributes
    ----------
    values : ndarray, float32, shape (n_origins, n_threads, H, n_vars)
    distances : ndarray, float32, shape (n_origins, n_threads)
        Distance of the neighbour behind each thread (standardised delay space).
    map_id : ndarray of int, shape (n_threads,)
        Delay map that produced each thread.
    origins : ndarray of int, shape (n_origins,)
        Row index of each origin in the data the model was fitted/updated on.
    truth : ndarray, shape (n_origins, H, n_vars)
        Observed future values where known (NaN otherwise).
    columns : tuple of str
        Names of the target variables.
    weights : ndarray, float32, shape (n_origins, n_threads)
        1 for every thread; 0 for threads removed by :meth:`condition`.
    neighbors : ndarray, int32, shape (n_origins, n_threads)
        Library row behind each thread (audits leakage and season matching).
    pred : ndarray, float32, shape (n_origins, n_maps, H, n_vars)
        LARS mode only (else empty): each map's local point prediction.
    coef : ndarray, float32, shape (n_origins, n_maps, H, n_vars, nsel)
        LARS mode only (else empty): each map's local LARS coefficients on its standardised
        coordinates (0 = not selected by Cp/AIC).
    map_cols : ndarray of int, shape (n_maps, nsel)
        LARS mode only: lag-library column of each coordinate of each map.
    coord_names : tuple of str
        LARS mode only: name of every lag-library column, e.g. ``"sun[t-2]"``.
    target_sd : ndarray, shape (n_vars,)
        Training standard deviation of each target (empty when unknown).
    """

    values: NDArray[np.float32]
    distances: NDArray[np.float32]
    map_id: NDArray[np.intp]
    origins: NDArray[np.intp]
    truth: NDArray[np.float64]
    columns: tuple[str, ...]
    weights: NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    neighbors: NDArray[np.int32] = field(default_factory=lambda: np.zeros((0, 0), np.int32))
    pred: NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, 0, 0, 0), np.float32))
    coef: NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, 0, 0, 0, 0), np.float32))
    map_cols: NDArray[np.intp] = field(default_factory=lambda: np.zeros((0, 0), np.intp))
    coord_names: tuple[str, ...] = ()
    target_sd: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if self.weights.shape != self.values.shape[:2]:
            self.weights = np.ones(self.values.shape[:2], dtype=np.float32)
        if self.neighbors.shape != self.values.shape[:2]:
            self.neighbors = np.full(self.values.shape[:2], -1, dtype=np.int32)

    @property
    def horizons(self) -> NDArray[np.intp]:
        return np.arange(1, self.values.shape[2] + 1)

    @property
    def nbytes(self) -> int:
        return int(self.values.nbytes)

    def var_index(self, var: str | int) -> int:
        if isinstance(var, (int, np.integer)):
            if not 0 <= var < len(self.columns):
                raise InputError(f"variable index {var} out of range 0..{len(self.columns) - 1}")
            return int(var)
        try:
            return self.columns.index(var)
        except ValueError:
            raise InputError(f"unknown variable {var!r}; threads hold {', '.join(self.columns)}") from None

    def _h(self, h: int) -> int:
        if not 1 <= h <= self.values.shape[2]:
            raise InputError(f"horizon {h} outside 1..{self.values.shape[2]}")
        return h - 1

    def samples(self, var: str | int, h: int) -> NDArray[np.float64]:
        """Thread values of ``var`` at horizon ``h``: shape (n_origins, n_threads)."""
        return self.values[:, :, self._h(h), self.var_index(var)].astype(float)

    def quantiles(self, q: float | list[float], var: str | int = 0) -> NDArray[np.float64]:
        """Weighted empirical quantiles, shape (n_origins, H, len(q))."""
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        if np.any((qs < 0) | (qs > 1)):
            raise InputError(f"quantile levels must be in [0, 1], got {qs.tolist()}")
        j = self.var_index(var)
        n_o, _, H, _ = self.values.shape
        out = np.full((n_o, H, qs.size), np.nan)
        for o in range(n_o):
            w = self.weights[o].astype(float)
            if w.sum() <= 0:
                continue
            for h in range(H):
                v = self.values[o, :, h, j].astype(float)
                order = np.argsort(v)
                cw = np.cumsum(w[order]) / w.sum()
                out[o, h] = v[order][np.minimum(np.searchsorted(cw, qs, side="left"), v.size - 1)]
        return out

    def density(self, x: ArrayLike, var: str | int = 0, h: int = 1) -> NDArray[np.float64]:
        """Predictive density at points ``x``: weighted Gaussian KDE of the threads (Scott's rule,
        ``scipy.stats.gaussian_kde``), shape (n_origins, len(x)); NaN where no thread has weight.
        """
        from scipy.stats import gaussian_kde

        xs = np.atleast_1d(np.asarray(x, dtype=float))
        v = self.samples(var, h)
        out = np.full((v.shape[0], xs.size), np.nan)
        for o in range(v.shape[0]):
            w = self.weights[o].astype(float)
            keep = w > 0
            if keep.sum() < 2 or np.ptp(v[o, keep]) == 0:
                continue  # a KDE needs at least two distinct weighted values
            out[o] = gaussian_kde(v[o, keep], weights=w[keep])(xs)
        return out

    def mean(self, var: str | int = 0) -> NDArray[np.float64]:
        """Weighted mean of the threads, shape (n_origins, H)."""
        j = self.var_index(var)
        w = self.weights.astype(float)
        return np.einsum("ot,oth->oh", w, self.values[..., j].astype(float)) / w.sum(1, keepdims=True)

    def simplex_mean(self, var: str | int = 0) -> NDArray[np.float64]:
        """Simplex-projection point forecast: weights ``exp(-d / d_min)`` (Sugihara & May 1990).

        Equals ``pyEDM.Simplex`` when the threads come from one delay map of consecutive lags
        with k = E + 1 neighbours.
        """
        j = self.var_index(var)
        d = self.distances.astype(float)
        dmin = np.min(d, axis=1, keepdims=True)
        w = np.where(dmin > 0, np.exp(-d / np.maximum(dmin, 1e-300)), (d == 0).astype(float))
        w = np.maximum(w, 1e-6) * (self.weights > 0)
        return np.einsum("ot,oth->oh", w, self.values[..., j].astype(float)) / w.sum(1, keepdims=True)

    def condition(self, var: str | int, h: int, predicate) -> Threads:
        """Keep only the threads whose value of ``var`` at horizon ``h`` satisfies ``predicate``.

        ``predicate`` maps an array of thread values (n_origins, n_threads) to booleans. The
        result shares the values and carries 0 weights for the removed threads, so reading a
        later horizon gives the conditional distribution along the path.
        """
        keep = np.asarray(predicate(self.samples(var, h)), dtype=bool)
        if keep.shape != self.weights.shape:
            raise InputError("the condition must return one boolean per thread")
        return replace(self, weights=(self.weights * keep).astype(np.float32))

    def probability(self) -> NDArray[np.float64]:
        """Fraction of threads still carrying weight, per origin (P(condition))."""
        return self.weights.astype(float).mean(axis=1)

    def save(self, path: str | Path) -> Path:
        """Write an ``.npz`` file atomically."""
        import io

        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            values=self.values,
            distances=self.distances,
            map_id=self.map_id,
            origins=self.origins,
            truth=self.truth,
            columns=np.array(self.columns),
            weights=self.weights,
            neighbors=self.neighbors,
            pred=self.pred,
            coef=self.coef,
            map_cols=self.map_cols,
            coord_names=np.array(self.coord_names, dtype=str),
            target_sd=self.target_sd,
        )
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | Path) -> Threads:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"threads file {path} does not exist")
        with np.load(path) as z:
            return cls(
                values=z["values"],
                distances=z["distances"],
                map_id=z["map_id"],
                origins=z["origins"],
                truth=z["truth"],
                columns=tuple(str(c) for c in z["columns"]),
                weights=z["weights"],
                neighbors=z["neighbors"],
                **{
                    key: z[key]
                    for key in ("pred", "coef", "map_cols", "target_sd")
                    if key in z.files  # absent in files from older versions
                },
                coord_names=tuple(str(c) for c in z["coord_names"]) if "coord_names" in z.files else (),
            )


_COND = re.compile(
    r"^\s*(?P<var>[^@\s]+)@h(?P<h>\d+)\s*(?P<op><=|>=|<|>)\s*(?P<q>q)?(?P<val>[-+0-9.eE]+)\s*$"
)


def parse_condition(text: str, threads: Threads) -> Threads:
    """Apply a condition written ``VAR@hH OP VALUE`` or ``VAR@hH OP qP`` (P a quantile level).

    ``qP`` is the P-quantile of that origin's own threads at (VAR, h), e.g.
    ``"prcp1@h2>q0.8"`` keeps the threads with a wet season 2 (top 20 %).
    """
    m = _COND.match(text)
    if not m:
        raise InputError(f"condition {text!r} must look like 'VAR@h2>q0.8' or 'VAR@h1<=0.5'")
    var, h, op = m["var"], int(m["h"]), m["op"]
    val = float(m["val"])
    if m["q"]:
        if not 0 <= val <= 1:
            raise InputError(f"quantile level in condition must be in [0, 1], got {val}")
        thr = threads.quantiles(val, var)[:, h - 1, 0][:, None]
    else:
        thr = val
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
    return threads.condition(var, h, lambda x: ops[op](x, thr))
