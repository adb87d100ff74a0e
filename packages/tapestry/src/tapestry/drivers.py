"""Which drivers matter: large LARS coefficients in good threads, and convergent cross mapping.

* :func:`large_coefficient_counts` — the secondary variable-selection diagnostic of LuValle
  (2025, "Uses"): among the local LARS fits whose point prediction fell within ``band``
  training standard deviations of the truth ("good threads"), count how often each lagged
  coordinate carries a coefficient with ``|beta| > threshold`` (standardised units). Random
  delay maps contain each coordinate with a different frequency, so counts are also reported
  as a rate: large-coefficient count / number of good fits whose map contained the coordinate.
* :func:`ccm_driver_check` — convergent cross mapping (Sugihara et al. 2012, Science 338,
  496-500) with ``pyEDM.CCM``: if X drives Y, the shadow manifold of Y holds information about
  X, so cross-mapping X from Y's delay embedding gains skill (Pearson rho) as the library
  grows, while the reverse does not. This is the check the spec asks for on the "sunspot
  effect" (an external driver is predictable from the response).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from core_utils import InputError
from tapestry.threads import Threads

__all__ = ["CCMResult", "CoefficientCounts", "ccm_driver_check", "large_coefficient_counts"]


@dataclass
class CoefficientCounts:
    """Large-coefficient counts in good threads.

    Attributes
    ----------
    by_coordinate : DataFrame
        One row per lagged coordinate: ``variable``, ``lag``, ``n_available`` (good fits whose
        map contained it), ``n_large`` (of those, ``|beta| > threshold``), ``rate``.
    by_variable : DataFrame
        The same summed over lags, sorted by ``rate`` (the ranking of drivers).
    n_good, n_fits : int
        Good fits (prediction within ``band`` sd of the truth) and all scored fits.
    """

    by_coordinate: pd.DataFrame
    by_variable: pd.DataFrame
    n_good: int
    n_fits: int
    threshold: float
    band: float
    target: str
    horizons: tuple[int, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "threshold": self.threshold,
            "band": self.band,
            "horizons": list(self.horizons),
            "n_good": self.n_good,
            "n_fits": self.n_fits,
            "rate_by_variable": {str(r.variable): float(r.rate) for r in self.by_variable.itertuples()},
            "n_large_by_variable": {str(r.variable): int(r.n_large) for r in self.by_variable.itertuples()},
        }


def large_coefficient_counts(
    threads: Threads,
    var: str | int = 0,
    *,
    threshold: float = 0.1,
    band: float = 0.5,
    horizons: ArrayLike | None = None,
) -> CoefficientCounts:
    """Count large local-LARS coefficients in the threads that forecast well (LuValle 2025).

    Parameters
    ----------
    threads : Threads
        Woven in ``mode="lars"`` at origins whose truth is known (held-out rows).
    var : str or int
        Target variable.
    threshold : float
        ``|beta|`` above which a coefficient counts as large (standardised coordinates and
        target, i.e. change in target sd per sd of the coordinate).
    band : float
        A fit is good when ``|prediction - truth| <= band * sd`` (sd of the target in the
        training data; the paper used +-0.5 sd).
    horizons : sequence of int, optional
        Horizons to pool (default all).
    """
    if threads.coef.size == 0 or threads.pred.size == 0:
        raise InputError("the threads carry no LARS coefficients: weave them with mode='lars'")
    if not threshold >= 0 or not band > 0:
        raise InputError(f"threshold must be >= 0 and band > 0, got {threshold}, {band}")
    j = threads.var_index(var)
    H = threads.values.shape[2]
    hs = np.arange(1, H + 1) if horizons is None else np.atleast_1d(np.asarray(horizons, dtype=int))
    if np.any((hs < 1) | (hs > H)):
        raise InputError(f"horizons must lie in 1..{H}, got {hs.tolist()}")
    if threads.target_sd.size <= j:
        raise InputError("the threads do not record the target's training sd")
    sd = float(threads.target_sd[j])
    pred = threads.pred[:, :, hs - 1, j].astype(float)  # (origins, maps, nh)
    truth = threads.truth[:, hs - 1, j][:, None, :]
    scored = np.isfinite(truth) & np.isfinite(pred)
    if not scored.any():
        raise InputError("no origin has a known truth: weave at held-out origins")
    good = scored & (np.abs(pred - truth) <= band * sd)
    large = np.abs(threads.coef[:, :, hs - 1, j, :]) > threshold  # (origins, maps, nh, nsel)
    n_cols = len(threads.coord_names)
    n_large = np.zeros(n_cols, dtype=np.int64)
    n_avail = np.zeros(n_cols, dtype=np.int64)
    good_per_map = good.sum(axis=(0, 2))  # (maps,)
    large_per_map = (large & good[..., None]).sum(axis=(0, 2))  # (maps, nsel)
    for m, cols in enumerate(threads.map_cols):
        np.add.at(n_avail, cols, good_per_map[m])
        np.add.at(n_large, cols, large_per_map[m])
    names = list(threads.coord_names)
    parts = [n.rsplit("[", 1) for n in names]  # "var[t]" or "var[t-3]"
    variable = [p[0] for p in parts]
    lag = [int(p[1].rstrip("]")[2:]) if p[1].startswith("t-") else 0 for p in parts]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n_avail > 0, n_large / np.maximum(n_avail, 1), np.nan)
    by_coord = pd.DataFrame(
        {"coordinate": names, "variable": variable, "lag": lag, "n_available": n_avail, "n_large": n_large}
    )
    by_coord["rate"] = rate
    by_var = by_coord.groupby("variable", sort=False)[["n_available", "n_large"]].sum().reset_index()
    by_var["rate"] = by_var["n_large"] / by_var["n_available"].where(by_var["n_available"] > 0)
    by_var = by_var.sort_values("rate", ascending=False, kind="stable").reset_index(drop=True)
    return CoefficientCounts(
        by_coordinate=by_coord,
        by_variable=by_var,
        n_good=int(good.sum()),
        n_fits=int(scored.sum()),
        threshold=float(threshold),
        band=float(band),
        target=threads.columns[j],
        horizons=tuple(int(h) for h in hs),
    )


@dataclass
class CCMResult:
    """Cross-map skill in both directions and the verdict.

    ``rho_x_from_y[i]`` is the Pearson correlation of X cross-mapped from Y's delay embedding
    (library size ``lib_sizes[i]``): it converges to a high value when X drives Y.
    """

    x: str
    y: str
    lib_sizes: NDArray[np.int64]
    rho_x_from_y: NDArray[np.float64]
    rho_y_from_x: NDArray[np.float64]
    x_drives_y: bool
    y_drives_x: bool
    E: int
    min_rho: float
    min_gain: float
    n_nan_rows: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "x": self.x,
            "y": self.y,
            "E": self.E,
            "lib_sizes": self.lib_sizes.tolist(),
            f"rho_{self.x}_from_{self.y}": self.rho_x_from_y.round(4).tolist(),
            f"rho_{self.y}_from_{self.x}": self.rho_y_from_x.round(4).tolist(),
            f"{self.x}_drives_{self.y}": self.x_drives_y,
            f"{self.y}_drives_{self.x}": self.y_drives_x,
            "n_nan_rows": self.n_nan_rows,
        }

    def summary(self) -> str:
        verdict = []
        if self.x_drives_y:
            verdict.append(f"{self.x} drives {self.y}")
        if self.y_drives_x:
            verdict.append(f"{self.y} drives {self.x}")
        v = " and ".join(verdict) if verdict else "no convergent cross-map evidence either way"
        return (
            f"CCM (E={self.E}, L={self.lib_sizes[0]}..{self.lib_sizes[-1]}): rho({self.x} | {self.y}) "
            f"{self.rho_x_from_y[0]:.2f}->{self.rho_x_from_y[-1]:.2f}, rho({self.y} | {self.x}) "
            f"{self.rho_y_from_x[0]:.2f}->{self.rho_y_from_x[-1]:.2f}: {v}"
        )


def _converges(rho: NDArray[np.float64], min_rho: float, min_gain: float) -> bool:
    return bool(rho[-1] >= min_rho and rho[-1] - rho[0] >= min_gain)


def ccm_driver_check(
    data: pd.DataFrame | ArrayLike,
    x: str,
    y: str,
    *,
    E: int = 3,
    tau: int = -1,
    lib_sizes: ArrayLike | None = None,
    sample: int = 30,
    min_rho: float = 0.3,
    min_gain: float = 0.1,
    exclusion_radius: int = 0,
    seasonal_period: int | None = None,
    seed: int = 0,
) -> CCMResult:
    """Does X drive Y, Y drive X, both or neither? Convergent cross mapping with ``pyEDM.CCM``.

    X is called a driver of Y when the skill of estimating X from Y's shadow manifold reaches
    ``min_rho`` at the largest library and grows by at least ``min_gain`` from the smallest
    (convergence, Sugihara et al. 2012, Fig. 1-2); likewise in reverse.

    Parameters
    ----------
    data : DataFrame
        Columns ``x`` and ``y`` (rows equally spaced in time; embedding vectors touching a NaN
        are skipped by pyEDM and the NaN rows are counted in ``n_nan_rows``).
    E, tau : int
        Embedding dimension and delay of the shadow manifolds (pyEDM convention: tau < 0).
    lib_sizes : sequence of int
        Library sizes (default 6 sizes from 2E + 10 to 80 % of the rows).
    sample : int
        Random libraries per size (pyEDM ``sample``).
    exclusion_radius : int
        Neighbours closer in time than this are not used (pyEDM ``exclusionRadius``).
    seasonal_period : int, optional
        Subtract each season's mean (row t is season ``t mod period``) from both series first.
        A shared seasonal cycle makes each series "predict" the other's season and gives
        spurious cross-map skill (e.g. annual sunspots held constant over four seasons against
        seasonal SST).
    """
    try:
        from pyEDM import CCM
    except ImportError:  # pragma: no cover - exercised only without the optional extra
        raise InputError("the CCM check needs pyEDM: pip install 'tapestry[edm]'") from None
    if not isinstance(data, pd.DataFrame):
        arr = np.asarray(data, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise InputError("data must be a DataFrame or an (n, 2) array of x and y")
        data = pd.DataFrame(arr, columns=[x, y])
    for c in (x, y):
        if c not in data.columns:
            raise InputError(f"unknown variable {c!r}; columns are {', '.join(map(str, data.columns))}")
    if x == y:
        raise InputError("x and y must be different variables")
    if E < 1 or tau == 0 or sample < 1:
        raise InputError(f"need E >= 1, tau != 0 and sample >= 1, got E={E}, tau={tau}, sample={sample}")
    df = data[[x, y]].astype(float).reset_index(drop=True)
    n_nan = int(df.isna().any(axis=1).sum())  # kept in place (time stays aligned); pyEDM skips them
    if seasonal_period is not None:
        if seasonal_period < 2:
            raise InputError(f"seasonal_period must be >= 2, got {seasonal_period}")
        season = np.arange(len(df)) % seasonal_period
        df = df - df.groupby(season).transform("mean")
    if (df.std() == 0).any():
        raise InputError("CCM needs non-constant x and y")
    n_valid = len(df) - n_nan - (E - 1) * abs(tau)
    if lib_sizes is None:
        lo, hi = 2 * E + 10, int(0.8 * n_valid)
        if hi <= lo:
            raise InputError(f"series of {len(df)} rows is too short for CCM with E={E}")
        lib = np.unique(np.geomspace(lo, hi, 6).astype(int))
    else:
        lib = np.unique(np.asarray(lib_sizes, dtype=int))
    if lib[0] < E + 2 or lib[-1] > n_valid:
        raise InputError(f"library sizes must lie in {E + 2}..{n_valid}, got {lib[0]}..{lib[-1]}")
    frame = pd.DataFrame({"time": np.arange(1, len(df) + 1), "X": df[x].to_numpy(), "Y": df[y].to_numpy()})
    res = CCM(
        dataFrame=frame,
        columns="Y",
        target="X",
        libSizes=[int(v) for v in lib],
        sample=sample,
        E=E,
        tau=tau,
        exclusionRadius=exclusion_radius,
        seed=seed,
        parallel=False,  # small problems: process start-up would dominate
    )
    rho_x_from_y = res["Y:X"].to_numpy(dtype=float)  # Y's manifold estimates X
    rho_y_from_x = res["X:Y"].to_numpy(dtype=float)
    return CCMResult(
        x=x,
        y=y,
        lib_sizes=lib.astype(np.int64),
        rho_x_from_y=rho_x_from_y,
        rho_y_from_x=rho_y_from_x,
        x_drives_y=_converges(rho_x_from_y, min_rho, min_gain),
        y_drives_x=_converges(rho_y_from_x, min_rho, min_gain),
        E=E,
        min_rho=min_rho,
        min_gain=min_gain,
        n_nan_rows=n_nan,
    )
