"""The tapestry forecaster (LuValle 2025): many random delay maps, neighbours, threads.

For each random delay map (a subset of ``nsel`` standardised lagged coordinates) and each
forecast origin t, find the k nearest library states s in that map (same season as t when the
series is seasonal) and follow them across horizons h = 1..H:

* ``mode="analog"``: the thread is the neighbour's actual continuation ``Y[s + h]``;
* ``mode="lars"``: a local sparse linear model ``Y[s + h] ~ X_map[s]`` fitted by LARS with the
  step chosen by AIC (Mallows' Cp for Gaussian errors; ``sklearn.linear_model.LassoLarsIC``)
  predicts ``Y[t + h]``, and each thread adds the residual path of one of the ``k_resid``
  nearest neighbours (the same neighbour for all horizons, keeping the joint structure).

Every coordinate of a state at origin t has lag >= 0 relative to t, hence lag >= h relative to
the target time t + h: direct multi-horizon prediction without leakage. Library states are those
whose whole continuation (s + 1..s + H) is observed, and states within H steps of an origin are
excluded (Theiler window), so no neighbour's future overlaps the period being forecast.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from core_utils import InputError
from tapestry.embedding import delay_map_size, estimate_dimension, lag_matrix, random_delay_maps
from tapestry.threads import Threads

__all__ = ["Scaler", "Tapestry"]

log = logging.getLogger(__name__)
MODES = ("analog", "lars")


@dataclass(frozen=True)
class Scaler:
    """Per-variable mean and standard deviation (from training data only)."""

    mean: NDArray[np.float64]
    sd: NDArray[np.float64]

    def transform(self, Y: NDArray[np.float64]) -> NDArray[np.float64]:
        return (Y - self.mean) / self.sd


def pd_is_numeric(col: object) -> bool:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return bool(is_numeric_dtype(col) and not is_bool_dtype(col))


def _as_array(Y: ArrayLike, columns: Sequence[str] | None) -> tuple[NDArray[np.float64], tuple[str, ...]]:
    if hasattr(Y, "columns") and hasattr(Y, "to_numpy"):  # a pandas DataFrame
        cols = tuple(str(c) for c in Y.columns)
        for c in Y.columns:
            if not pd_is_numeric(Y[c]):
                raise InputError(f"column {c!r} is not numeric (dtype {Y[c].dtype})")
        arr = Y.to_numpy(dtype=float)
        return arr, tuple(columns) if columns is not None else cols
    try:
        arr = np.asarray(Y, dtype=float)
    except (TypeError, ValueError):
        raise InputError("data must be numeric (a 2-D array or a DataFrame of numbers)") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError(f"data must be 2-D (times x variables), got shape {arr.shape}")
    cols = tuple(columns) if columns is not None else tuple(f"y{i}" for i in range(arr.shape[1]))
    if len(cols) != arr.shape[1]:
        raise InputError(f"{len(cols)} column names for {arr.shape[1]} columns")
    return arr, cols


class Tapestry:
    """Threads of plausible pseudo-future histories from random delay maps.

    Parameters
    ----------
    lags : int
        Lags 0..lags-1 of every variable form the lag library (paper scripts: 6 seasons).
    horizons : int
        Maximum horizon H (paper: 4 seasons). Coordinates are lags 0..L-1 of the origin, i.e.
        lags h..h+L-1 of the target, so any H >= 1 is leakage-free.
    nsel : int or "auto"
        Delay-map size; ``"auto"`` = ceil(2.5 d) with d the correlation dimension of the
        training data (Sauer-Yorke-Casdagli: more than 2d coordinates).
    n_maps : int
        Number of random delay maps (paper scripts: 15-1200).
    k : int
        Neighbours per map (paper: 30); threads = n_maps * k.
    k_resid : int
        Neighbours whose residuals are resampled in LARS mode (paper: 5).
    mode : {"analog", "lars"}
    seasonal_period : int or None
        Restrict neighbours to the origin's season (t mod period, or the ``season`` passed to
        :meth:`fit`).
    targets : sequence of str or None
        Variables to thread (default all).
    include_target_lag : bool
        Put lag 0 of the first target into every map.
    criterion : {"aic", "bic"}
        LassoLarsIC criterion in LARS mode (AIC ~ Mallows' Cp).
    random_state : int
        Seed of the delay maps and residual resampling (non-negative).
    n_jobs : int
        Worker processes (``joblib``) for the local LARS fits; -1 = all cores. The residual
        draws of each (map, origin) come from a generator seeded by ``(random_state, map,
        origin)``, so threads do not depend on ``n_jobs`` or on how origins are batched.
    """

    def __init__(
        self,
        *,
        lags: int = 6,
        horizons: int = 4,
        nsel: int | str = "auto",
        n_maps: int = 1200,
        k: int = 30,
        k_resid: int = 5,
        mode: str = "analog",
        seasonal_period: int | None = None,
        targets: Sequence[str] | None = None,
        include_target_lag: bool = False,
        criterion: str = "aic",
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.lags = lags
        self.horizons = horizons
        self.nsel = nsel
        self.n_maps = n_maps
        self.k = k
        self.k_resid = k_resid
        self.mode = mode
        self.seasonal_period = seasonal_period
        self.targets = targets
        self.include_target_lag = include_target_lag
        self.criterion = criterion
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ fitting
    def _validate_params(self) -> None:
        if self.lags < 1:
            raise InputError(f"lags must be >= 1, got {self.lags}")
        if self.horizons < 1:
            raise InputError(f"horizons must be >= 1, got {self.horizons}")
        if self.k < 1 or self.k_resid < 1:
            raise InputError(f"k and k_resid must be >= 1, got {self.k}, {self.k_resid}")
        if self.n_maps < 1:
            raise InputError(f"n_maps must be >= 1, got {self.n_maps}")
        if self.mode not in MODES:
            raise InputError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.criterion not in ("aic", "bic"):
            raise InputError(f"criterion must be 'aic' or 'bic', got {self.criterion!r}")
        if not isinstance(self.random_state, (int, np.integer)) or self.random_state < 0:
            raise InputError(f"random_state must be a non-negative integer, got {self.random_state!r}")
        if not isinstance(self.n_jobs, (int, np.integer)) or self.n_jobs == 0 or self.n_jobs < -1:
            raise InputError(f"n_jobs must be a positive integer or -1, got {self.n_jobs!r}")
        if self.seasonal_period is not None and self.seasonal_period < 1:
            raise InputError(f"seasonal_period must be >= 1, got {self.seasonal_period}")

    def fit(
        self,
        Y: ArrayLike,
        columns: Sequence[str] | None = None,
        season: ArrayLike | None = None,
        scaler: Scaler | None = None,
    ) -> Tapestry:
        """Store the library, draw the delay maps and build one KD-tree per map (and season).

        Parameters
        ----------
        Y : array (n_times, n_vars) or DataFrame
            Training series, rows equally spaced in time. Rows with NaN are kept (time stays
            aligned) but every state or continuation touching them is dropped (reported in
            ``n_dropped_``).
        season : array of int, optional
            Season label per row (default ``t mod seasonal_period``).
        scaler : Scaler, optional
            Reuse a standardisation (default: mean and sd of ``Y``).
        """
        self._validate_params()
        arr, cols = _as_array(Y, columns)
        self.columns_ = cols
        self.targets_ = tuple(self.targets) if self.targets is not None else cols
        for t in self.targets_:
            if t not in cols:
                raise InputError(f"unknown target {t!r}; columns are {', '.join(cols)}")
        self.target_idx_ = np.array([cols.index(t) for t in self.targets_], dtype=np.intp)
        if scaler is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column -> reported below
                mean, sd = np.nanmean(arr, axis=0), np.nanstd(arr, axis=0)
            bad = [c for c, s in zip(cols, sd, strict=True) if not (np.isfinite(s) and s > 0)]
            if bad:
                raise InputError(f"column {bad[0]!r} is constant (or all NaN) in the training data")
            scaler = Scaler(mean=mean, sd=sd)
        self.scaler_ = scaler
        self.Y_ = arr
        self.season_ = self._seasons(arr.shape[0], season)
        self.n_train_ = arr.shape[0]
        n_cols = arr.shape[1] * self.lags
        if self.nsel == "auto":
            d = estimate_dimension(
                self.scaler_.transform(arr), lags=min(self.lags, 4), seed=self.random_state
            )
            self.dimension_ = d
            nsel = delay_map_size(d, n_cols)
        else:
            if not isinstance(self.nsel, (int, np.integer)) or self.nsel < 1:
                raise InputError(f"nsel must be a positive integer or 'auto', got {self.nsel!r}")
            if self.nsel > n_cols:
                raise InputError(
                    f"embedding size nsel={self.nsel} exceeds the {n_cols} available lagged columns "
                    f"({arr.shape[1]} variables x {self.lags} lags)"
                )
            nsel = int(self.nsel)
        self.nsel_ = nsel
        rng = np.random.default_rng(self.random_state)
        always = None
        if self.include_target_lag:
            always = np.array([self.target_idx_[0] * self.lags], dtype=np.intp)  # lag 0 of the target
        maps: list[NDArray[np.intp]] = []
        while len(maps) < self.n_maps:
            maps += random_delay_maps(n_cols, nsel, 1, rng, always=always)
        self.maps_ = maps[: self.n_maps]
        self._build()
        return self

    def _seasons(self, n: int, season: ArrayLike | None) -> NDArray[np.intp]:
        if season is None:
            p = self.seasonal_period or 1
            return np.arange(n) % p
        s = np.asarray(season)
        if s.shape != (n,):
            raise InputError(f"season must have one label per row ({n}), got shape {s.shape}")
        if self.seasonal_period is not None:
            if not np.issubdtype(s.dtype, np.integer):
                raise InputError("season labels must be integers")
            if np.any(np.diff(s) % self.seasonal_period != 1 % self.seasonal_period):
                i = int(np.flatnonzero(np.diff(s) % self.seasonal_period != 1 % self.seasonal_period)[0])
                raise InputError(f"misaligned seasons: row {i + 1} has season {s[i + 1]} after {s[i]}")
        return s.astype(np.intp)

    def _build(self) -> None:
        """(Re)build the standardised lag library and the KD-trees (also used by :meth:`update`)."""
        Z = self.scaler_.transform(self.Y_)
        self.lib_ = lag_matrix(Z, self.lags)
        n, H = Z.shape[0], self.horizons
        finite_state = np.all(np.isfinite(self.lib_.X), axis=1)
        fut_ok = np.zeros(n, dtype=bool)
        ok_rows = np.all(np.isfinite(self.Y_), axis=1)
        for s in range(n - H):
            fut_ok[s] = ok_rows[s + 1 : s + H + 1].all()
        cand = finite_state & fut_ok
        self.n_dropped_ = int(np.sum(~cand[self.lags - 1 : max(n - H, self.lags - 1)]))
        if self.n_dropped_:
            log.info("dropped %d library states touching NaN gaps", self.n_dropped_)
        self.library_ = np.flatnonzero(cand)
        need = self.k + 2 * H + 1
        seasons = np.unique(self.season_)
        sizes = {int(s): int(np.sum(self.season_[self.library_] == s)) for s in seasons}
        if min(sizes.values(), default=0) < self.k + 1:
            s_min = min(sizes, key=sizes.get)
            raise InputError(
                f"k={self.k} is larger than the library: season {s_min} has {sizes[s_min]} usable states "
                f"(series of {n} rows, lags={self.lags}, horizons={H}); need at least lags + H + k + 1 rows"
            )
        self._need = need
        self.trees_: dict[tuple[int, int], tuple[cKDTree, NDArray[np.intp]]] = {}
        for m, cols in enumerate(self.maps_):
            for s in seasons:
                rows = self.library_[self.season_[self.library_] == s]
                self.trees_[(m, int(s))] = (cKDTree(self.lib_.X[np.ix_(rows, cols)]), rows)

    def update(self, new_rows: ArrayLike, season: ArrayLike | None = None) -> Tapestry:
        """Append observations and extend the library: no refit (maps and scaler are kept).

        Equivalent to :meth:`fit` on the longer series with the same scaler and seed.
        """
        arr, _ = _as_array(new_rows, self.columns_)
        if arr.shape[1] != len(self.columns_):
            raise InputError(f"new rows have {arr.shape[1]} columns, expected {len(self.columns_)}")
        n_old = self.Y_.shape[0]
        if season is None:
            new_season = (np.arange(n_old, n_old + arr.shape[0]) % (self.seasonal_period or 1)).astype(
                np.intp
            )
            if self.seasonal_period is not None:
                new_season = (self.season_[-1] + 1 + np.arange(arr.shape[0])) % self.seasonal_period
        else:
            new_season = np.asarray(season, dtype=np.intp)
        all_season = np.concatenate([self.season_, new_season])
        self.season_ = self._seasons(all_season.size, all_season) if season is not None else all_season
        self.Y_ = np.vstack([self.Y_, arr])
        self._build()
        return self

    # ------------------------------------------------------------------ forecasting
    def _check_fitted(self) -> None:
        if not hasattr(self, "trees_"):
            raise InputError("call fit() before weave()")

    def weave(self, origins: ArrayLike | None = None, Y: ArrayLike | None = None) -> Threads:
        """Threads for each origin (row index; default the last row).

        Parameters
        ----------
        origins : array of int
            Rows of the stored series (or of ``Y``) at which the forecast is issued.
        Y : array, optional
            A longer series (the stored one plus test rows) from which origin states and
            truths are read; the library stays the fitted one.
        """
        self._check_fitted()
        data = self.Y_ if Y is None else _as_array(Y, self.columns_)[0]
        if data.shape[1] != len(self.columns_):
            raise InputError(f"data have {data.shape[1]} columns, expected {len(self.columns_)}")
        n = data.shape[0]
        org = np.atleast_1d(np.asarray(n - 1 if origins is None else origins, dtype=np.intp))
        if np.any(org < self.lags - 1) or np.any(org >= n):
            raise InputError(f"origins must lie in {self.lags - 1}..{n - 1}")
        season = self._seasons(n, None) if Y is not None else self.season_
        if Y is not None and self.seasonal_period is not None:
            season = (self.season_[0] + np.arange(n)) % self.seasonal_period
        Zq = lag_matrix(self.scaler_.transform(data), self.lags).X[org]
        if not np.all(np.isfinite(Zq)):
            bad = int(org[np.flatnonzero(~np.all(np.isfinite(Zq), axis=1))[0]])
            raise InputError(f"origin {bad} has NaN in its lagged state; choose another origin")
        H, k, n_maps = self.horizons, self.k, len(self.maps_)
        tv = self.target_idx_
        n_o = org.size
        values = np.empty((n_o, n_maps * k, H, tv.size), dtype=np.float32)
        dists = np.empty((n_o, n_maps * k), dtype=np.float32)
        neigh = np.empty((n_o, n_maps * k), dtype=np.int32)
        truth = np.full((n_o, H, tv.size), np.nan)
        for h in range(1, H + 1):
            ok = org + h < n
            truth[ok, h - 1] = data[org[ok] + h][:, tv]
        fut_idx = np.arange(1, H + 1)
        lars_tasks: list[tuple[int, int, NDArray[np.intp], NDArray[np.intp]]] = []
        for m, cols in enumerate(self.maps_):
            for s in np.unique(season[org]):
                sel = np.flatnonzero(season[org] == s)
                tree, rows = self.trees_[(m, int(s))]
                kq = min(self._need, rows.size)
                d, j = tree.query(Zq[np.ix_(sel, cols)], k=kq)
                d, j = np.atleast_2d(d), np.atleast_2d(j)
                nb = rows[j]  # library row index of each neighbour
                # Theiler window: no neighbour whose state or continuation overlaps the origin's
                valid = np.abs(nb - org[sel, None]) > H
                order = np.argsort(~valid, axis=1, kind="stable")[:, :k]
                if not np.all(np.take_along_axis(valid, order, 1)):
                    raise InputError(f"fewer than k={k} neighbours outside the exclusion window")
                nb = np.take_along_axis(nb, order, 1)
                dd = np.take_along_axis(d, order, 1)
                slot = slice(m * k, (m + 1) * k)
                dists[sel, slot] = dd
                neigh[sel, slot] = nb
                if self.mode == "analog":
                    values[sel, slot] = self.Y_[nb[..., None] + fut_idx][..., tv]  # (n_sel, k, H, n_t)
                else:
                    lars_tasks.append((m, int(s), sel, nb))
        extra: dict[str, object] = {"target_sd": self.scaler_.sd[tv].copy()}
        if lars_tasks:
            extra.update(self._weave_lars(lars_tasks, Zq, values, org))
        return Threads(
            values=values,
            distances=dists,
            map_id=np.repeat(np.arange(n_maps), k),
            origins=org,
            truth=truth,
            columns=tuple(self.columns_[i] for i in tv),
            neighbors=neigh,
            **extra,
        )

    def weave_batches(
        self, origins: ArrayLike, Y: ArrayLike | None = None, *, batch_size: int = 8
    ) -> Iterator[Threads]:
        """Stream :meth:`weave` over blocks of ``batch_size`` origins (bounded memory).

        The thread array grows as origins x n_maps x k x H; streaming keeps only one block in
        memory (e.g. write each block to disk). Concatenated blocks equal one :meth:`weave`.
        """
        if batch_size < 1:
            raise InputError(f"batch_size must be >= 1, got {batch_size}")
        org = np.atleast_1d(np.asarray(origins, dtype=np.intp))
        for start in range(0, org.size, batch_size):
            yield self.weave(org[start : start + batch_size], Y=Y)

    def _weave_lars(
        self,
        tasks: list[tuple[int, int, NDArray[np.intp], NDArray[np.intp]]],
        Zq: NDArray[np.float64],
        values: NDArray[np.float32],
        org: NDArray[np.intp],
    ) -> dict[str, object]:
        """Run the local LARS blocks (in ``n_jobs`` processes) and fill ``values`` in place.

        Returns the per-map point predictions and coefficients for :class:`Threads`.
        """
        from joblib import Parallel, delayed

        from tapestry.local_models import lars_block

        H, k, tv = self.horizons, self.k, self.target_idx_
        n_o, n_maps = Zq.shape[0], len(self.maps_)
        Yz = self.scaler_.transform(self.Y_)[:, tv]
        n = Yz.shape[0]
        fut = np.full((n, H, tv.size), np.nan)
        for h in range(1, H + 1):
            fut[: n - h, h - 1] = Yz[h:]
        X = self.lib_.X
        sd, mean = self.scaler_.sd[tv], self.scaler_.mean[tv]
        maps = np.stack(self.maps_)
        pred = np.empty((n_o, n_maps, H, tv.size), dtype=np.float32)
        coef = np.zeros((n_o, n_maps, H, tv.size, maps.shape[1]), dtype=np.float32)

        def job(m: int, sel: NDArray[np.intp], nb: NDArray[np.intp]):
            rows = np.unique(nb)  # ship only the rows this block needs
            local = np.searchsorted(rows, nb)
            cols = self.maps_[m]
            return delayed(lars_block)(
                Zq[np.ix_(sel, cols)],
                local,
                X[np.ix_(rows, cols)],
                fut[rows],
                k_resid=self.k_resid,
                criterion=self.criterion,
                seed=(int(self.random_state), m),
                origin_ids=org[sel],
            )

        par = Parallel(n_jobs=self.n_jobs, return_as="generator", batch_size="auto")
        for (m, _, sel, _), blk in zip(tasks, par(job(m, sel, nb) for m, _, sel, nb in tasks), strict=True):
            values[sel, m * k : (m + 1) * k] = blk.values * sd + mean
            pred[sel, m] = blk.pred * sd + mean
            coef[sel, m] = blk.coef
        lib = self.lib_
        names = tuple(
            f"{self.columns_[v]}[t-{ell}]" if ell else f"{self.columns_[v]}[t]"
            for v, ell in zip(lib.var, lib.lag, strict=True)
        )
        return {"pred": pred, "coef": coef, "map_cols": maps, "coord_names": names}

    def log_likelihood(self, threads: Threads, var: str | int = 0) -> float:
        """Mean log predictive density of the observed truths (Gaussian KDE of the threads)."""
        from tapestry.scoring import log_score

        j = threads.var_index(var)
        ls = log_score(threads.values[..., j].transpose(0, 2, 1), threads.truth[..., j])
        return float(-np.nanmean(ls))
