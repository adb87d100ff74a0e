"""Capability-vs-compute curves fitted by bounded least squares (Owen 2024, §2 "Methods").

* :class:`SigmoidCurve` — ``P(x) = floor + (ceil - floor) * sigma(k (x - x0))`` in
  ``x = log10 compute``; floor at chance and ceiling 1 by default, optionally a free floor
  in ``[0, chance]`` and/or a free ceiling. Fitted with :func:`scipy.optimize.least_squares`
  (trust-region reflective, analytic Jacobian) from several starts; the best cost wins.
* :class:`ClippedLinearCurve` — ``clip(a + b x, floor, ceil)``.
* :class:`LinearCurve` — ``a + b x`` (ordinary least squares).
* :func:`fit_sigmoid_batch` — the same bounded sigmoid problem for many data sets at once,
  solved by a vectorised projected Levenberg-Marquardt in numpy (used by the backtest; checked
  against the scipy fit in the tests).
* :func:`bootstrap_band` — confidence band by resampling models with replacement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import least_squares
from scipy.special import expit

from core_utils import InputError

__all__ = [
    "ClippedLinearCurve",
    "LinearCurve",
    "SigmoidCurve",
    "bootstrap_band",
    "check_xy",
    "fit_sigmoid_batch",
    "sigmoid_starts",
]

K_BOUNDS = (0.0, 20.0)  # spec §3.5: k in [0, 20]
X0_BOUNDS = (15.0, 35.0)  # spec §3.5: x0 in [15, 35] (log10 FLOP)


def check_xy(x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate training data: finite, same length, >= 3 points, not all at one x, y in [0, 1]."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise InputError(f"x and y must have the same length, got {x.size} and {y.size}")
    if x.size < 3:
        raise InputError(f"need at least 3 training points to fit a curve, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise InputError("x (log10 compute) contains NaN or infinite values")
    if not np.all(np.isfinite(y)):
        raise InputError(f"y contains NaN at index {int(np.flatnonzero(~np.isfinite(y))[0])}")
    if np.any((y < 0) | (y > 1)):
        raise InputError("scores must lie in [0, 1] (percentages given by mistake?)")
    if np.ptp(x) == 0:
        raise InputError("all training points are at one compute value; the curve is unidentifiable")
    return x, y


def sigmoid_starts(x: NDArray[np.float64], n_starts: int) -> list[tuple[float, float]]:
    """Starting ``(k, x0)`` pairs: k = 1 and x0 spread from mid-range to 2 OOM past the data."""
    lo, hi = float(np.min(x)), float(np.max(x))
    x0s = np.linspace(0.5 * (lo + hi), hi + 2.0, n_starts) if n_starts > 1 else np.array([hi])
    return [(1.0, float(np.clip(v, *X0_BOUNDS))) for v in x0s]


@dataclass
class SigmoidCurve:
    """Sigmoid in log10 compute with floor and ceiling (Owen 2024, eq. 1; spec §1 step 2).

    Parameters
    ----------
    floor : float
        Chance level (lower asymptote). With ``fit_floor`` it becomes the upper bound of a
        free floor in ``[0, floor]`` (small models often score below chance).
    ceiling : float
        Upper asymptote (1 by default). With ``fit_ceiling`` it is free in ``(floor, 1]``.
    k_bounds, x0_bounds : (float, float)
        Box constraints of slope k and midpoint x0 (defaults [0, 20] and [15, 35]).
    n_starts : int
        Number of starting points (best final cost wins).

    Attributes
    ----------
    params_ : dict
        ``k``, ``x0``, ``floor``, ``ceiling`` after :meth:`fit`.
    cost_ : float
        Half the residual sum of squares at the solution.
    at_bound_ : bool
        Whether k or x0 ended on a bound (a sign of an unidentifiable fit).
    """

    floor: float = 0.0
    ceiling: float = 1.0
    fit_floor: bool = False
    fit_ceiling: bool = False
    k_bounds: tuple[float, float] = K_BOUNDS
    x0_bounds: tuple[float, float] = X0_BOUNDS
    n_starts: int = 3
    params_: dict[str, float] = field(default_factory=dict, init=False)
    cost_: float = field(default=float("nan"), init=False)
    at_bound_: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not 0 <= self.floor < self.ceiling <= 1:
            raise InputError(
                f"need 0 <= floor < ceiling <= 1, got floor={self.floor!r}, ceiling={self.ceiling!r}"
            )
        if self.n_starts < 1:
            raise InputError(f"n_starts must be >= 1, got {self.n_starts}")

    @staticmethod
    def curve(x: ArrayLike, k: float, x0: float, floor: float, ceiling: float) -> NDArray[np.float64]:
        """``floor + (ceiling - floor) * sigma(k (x - x0))``."""
        return floor + (ceiling - floor) * expit(k * (np.asarray(x, dtype=float) - x0))

    def fit(self, x: ArrayLike, y: ArrayLike) -> SigmoidCurve:
        """Bounded least squares from ``n_starts`` starts (scipy ``least_squares``, method trf)."""
        x, y = check_xy(x, y)
        free_f, free_c = self.fit_floor, self.fit_ceiling
        lo = [self.k_bounds[0], self.x0_bounds[0]]
        hi = [self.k_bounds[1], self.x0_bounds[1]]
        if free_f:
            lo.append(0.0)
            hi.append(max(self.floor, 1e-9))
        if free_c:
            lo.append(min(self.floor + 1e-6, 1.0 - 1e-6))
            hi.append(self.ceiling)

        def unpack(p: NDArray[np.float64]) -> tuple[float, float, float, float]:
            i = 2
            f = p[i] if free_f else self.floor
            i += free_f
            c = p[i] if free_c else self.ceiling
            return p[0], p[1], f, c

        def resid(p: NDArray[np.float64]) -> NDArray[np.float64]:
            k, x0, f, c = unpack(p)
            return f + (c - f) * expit(k * (x - x0)) - y

        def jac(p: NDArray[np.float64]) -> NDArray[np.float64]:
            k, x0, f, c = unpack(p)
            s = expit(k * (x - x0))
            ds = (c - f) * s * (1 - s)
            cols = [ds * (x - x0), -ds * k]
            if free_f:
                cols.append(1 - s)
            if free_c:
                cols.append(s)
            return np.stack(cols, axis=1)

        best = None
        for k0, x00 in sigmoid_starts(x, self.n_starts):
            p0 = [np.clip(k0, *self.k_bounds), np.clip(x00, *self.x0_bounds)]
            if free_f:
                p0.append(0.5 * hi[2])
            if free_c:
                p0.append(self.ceiling)
            p0 = np.clip(np.array(p0, dtype=float), lo, hi)
            res = least_squares(resid, p0, jac=jac, bounds=(lo, hi), method="trf", x_scale="jac")
            if best is None or res.cost < best.cost:
                best = res
        assert best is not None
        k, x0, f, c = unpack(best.x)
        self.params_ = {"k": float(k), "x0": float(x0), "floor": float(f), "ceiling": float(c)}
        self.cost_ = float(best.cost)
        tol = 1e-6
        self.at_bound_ = bool(
            np.any(np.isclose(best.x[:2], lo[:2], atol=tol) | np.isclose(best.x[:2], hi[:2], atol=tol))
        )
        return self

    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        """Predicted score at ``x`` = log10 compute."""
        if not self.params_:
            raise InputError("fit the curve before predicting")
        p = self.params_
        return self.curve(x, p["k"], p["x0"], p["floor"], p["ceiling"])


@dataclass
class LinearCurve:
    """Straight line ``a + b x`` by ordinary least squares (the paper's linear baseline)."""

    floor: float = 0.0
    params_: dict[str, float] = field(default_factory=dict, init=False)

    def fit(self, x: ArrayLike, y: ArrayLike) -> LinearCurve:
        x, y = check_xy(x, y)
        b, a = np.polyfit(x, y, 1)
        self.params_ = {"a": float(a), "b": float(b)}
        return self

    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        if not self.params_:
            raise InputError("fit the curve before predicting")
        return self.params_["a"] + self.params_["b"] * np.asarray(x, dtype=float)


@dataclass
class ClippedLinearCurve:
    """``clip(a + b x, floor, ceiling)`` fitted by least squares (Owen 2024's clipped linear).

    Started from the OLS line restricted to the points above the floor, then refined with
    ``least_squares`` (finite-difference Jacobian; the loss is piecewise smooth).
    """

    floor: float = 0.0
    ceiling: float = 1.0
    params_: dict[str, float] = field(default_factory=dict, init=False)

    def fit(self, x: ArrayLike, y: ArrayLike) -> ClippedLinearCurve:
        x, y = check_xy(x, y)
        b0, a0 = np.polyfit(x, y, 1)
        best = None
        for p0 in ((a0, b0), (a0, max(b0, 0.05))):
            res = least_squares(
                lambda p: np.clip(p[0] + p[1] * x, self.floor, self.ceiling) - y,
                np.array(p0, dtype=float),
                method="lm",
            )
            if best is None or res.cost < best.cost:
                best = res
        assert best is not None
        self.params_ = {"a": float(best.x[0]), "b": float(best.x[1])}
        return self

    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        if not self.params_:
            raise InputError("fit the curve before predicting")
        p = self.params_
        return np.clip(p["a"] + p["b"] * np.asarray(x, dtype=float), self.floor, self.ceiling)


def fit_sigmoid_batch(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    mask: NDArray[np.bool_],
    floor: NDArray[np.float64],
    ceiling: NDArray[np.float64] | float = 1.0,
    *,
    n_starts: int = 3,
    k_bounds: tuple[float, float] = K_BOUNDS,
    x0_bounds: tuple[float, float] = X0_BOUNDS,
    max_iter: int = 400,
    ftol: float = 1e-8,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fit B fixed-floor sigmoids at once (vectorised projected Levenberg-Marquardt).

    Solves the same problem as :meth:`SigmoidCurve.fit` (``fit_floor=fit_ceiling=False``,
    same starts, same bounds) for B data sets padded to a common length.

    Parameters
    ----------
    x, y : ndarray, shape (B, M)
        Padded data; only entries where ``mask`` is true count.
    mask : ndarray of bool, shape (B, M)
    floor : ndarray, shape (B,)
    ceiling : float or ndarray, shape (B,)

    Returns
    -------
    params : ndarray, shape (B, 2)
        Best ``(k, x0)`` over the starts.
    cost : ndarray, shape (B,)
        Half the residual sum of squares.

    Notes
    -----
    Each iteration solves the 2x2 damped normal equations
    ``(J^T J + lambda diag(J^T J)) delta = -J^T r`` in closed form, projects the step on the
    box and accepts it if the cost drops (lambda / 3) or rejects it (lambda * 4). Parameters
    sitting on a bound with the gradient pointing outwards are frozen for that step, so the
    iteration converges to the constrained minimum like a trust-region-reflective solver.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.asarray(mask, dtype=float)
    B = x.shape[0]
    floor = np.broadcast_to(np.asarray(floor, dtype=float), (B,))[:, None]
    span = np.broadcast_to(np.asarray(ceiling, dtype=float), (B,))[:, None] - floor
    lo = np.array([k_bounds[0], x0_bounds[0]])
    hi = np.array([k_bounds[1], x0_bounds[1]])
    # starts per data set, same rule as SigmoidCurve (sigmoid_starts)
    big = np.where(mask, x, -np.inf).max(axis=1)
    small = np.where(mask, x, np.inf).min(axis=1)
    fracs = np.linspace(0.0, 1.0, n_starts) if n_starts > 1 else np.array([1.0])
    best_p = np.zeros((B, 2))
    best_c = np.full(B, np.inf)

    def cost_of(p: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        s = expit(p[:, :1] * (x - p[:, 1:]))
        r = w * (floor + span * s - y)
        return 0.5 * np.sum(r * r, axis=1), s

    for frac in fracs:
        if n_starts > 1:
            x0s = 0.5 * (small + big) + frac * (big + 2.0 - 0.5 * (small + big))
        else:
            x0s = big
        p = np.stack([np.full(B, np.clip(1.0, *k_bounds)), np.clip(x0s, *x0_bounds)], axis=1)
        lam = np.full(B, 1e-3)
        cost, s = cost_of(p)
        active = np.ones(B, dtype=bool)
        for _ in range(max_iter):
            if not active.any():
                break
            ia = np.flatnonzero(active)
            pa, sa = p[ia], s[ia]
            xa, wa = x[ia], w[ia]
            d = wa * span[ia] * sa * (1 - sa)
            u = xa - pa[:, 1:]
            jk = d * u
            jx = -d * pa[:, :1]
            r = wa * (floor[ia] + span[ia] * sa - y[ia])
            a11 = np.sum(jk * jk, 1)
            a12 = np.sum(jk * jx, 1)
            a22 = np.sum(jx * jx, 1)
            g1 = np.sum(jk * r, 1)
            g2 = np.sum(jx * r, 1)
            # freeze parameters on a bound whose descent direction (-g) points outwards
            f1 = ((pa[:, 0] <= lo[0]) & (g1 > 0)) | ((pa[:, 0] >= hi[0]) & (g1 < 0))
            f2 = ((pa[:, 1] <= lo[1]) & (g2 > 0)) | ((pa[:, 1] >= hi[1]) & (g2 < 0))
            la = lam[ia]
            m11 = a11 * (1 + la) + la * 1e-12
            m22 = a22 * (1 + la) + la * 1e-12
            m12 = np.where(f1 | f2, 0.0, a12)
            m11 = np.where(f1, 1.0, m11)
            m22 = np.where(f2, 1.0, m22)
            r1 = np.where(f1, 0.0, -g1)
            r2 = np.where(f2, 0.0, -g2)
            det = m11 * m22 - m12 * m12
            det = np.where(np.abs(det) < 1e-300, 1e-300, det)
            d1 = (m22 * r1 - m12 * r2) / det
            d2 = (m11 * r2 - m12 * r1) / det
            pn = np.clip(pa + np.stack([d1, d2], axis=1), lo, hi)
            sn = expit(pn[:, :1] * (xa - pn[:, 1:]))
            rn = wa * (floor[ia] + span[ia] * sn - y[ia])
            cn = 0.5 * np.sum(rn * rn, 1)
            ok = cn < cost[ia]
            step = np.abs(pn - pa).max(axis=1)
            rel = (cost[ia] - cn) / np.maximum(cost[ia], 1e-300)
            p[ia[ok]] = pn[ok]
            s[ia[ok]] = sn[ok]
            cost[ia[ok]] = cn[ok]
            lam[ia] = np.where(ok, np.maximum(la / 3.0, 1e-12), np.minimum(la * 4.0, 1e16))
            # scipy's default tolerances (ftol = xtol = 1e-8), so both stop in the same place
            # along the flat valleys of unidentifiable fits
            tiny_step = step < ftol * (ftol + np.abs(pa).max(axis=1))
            done = (ok & ((rel < ftol) | tiny_step)) | (~ok & (la > 1e15)) | (cost[ia] < 1e-30)
            active[ia[done]] = False
        better = cost < best_c
        best_p[better] = p[better]
        best_c[better] = cost[better]
    return best_p, best_c


def bootstrap_band(
    make_curve: Callable[[], SigmoidCurve | LinearCurve | ClippedLinearCurve],
    x: ArrayLike,
    y: ArrayLike,
    x_new: ArrayLike,
    *,
    n_boot: int = 200,
    level: float = 0.9,
    seed: int = 0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Central fit and a ``level`` confidence band by bootstrapping over models.

    Models (rows) are resampled with replacement ``n_boot`` times; each resample is refitted
    and predicted at ``x_new``; the band is the pointwise ``(1 +- level)/2`` quantiles.
    Resamples with fewer than 3 distinct compute values are redrawn.

    Returns
    -------
    center, lower, upper : ndarray, shape (len(x_new),)
    """
    x, y = check_xy(x, y)
    if not 0 < level < 1:
        raise InputError(f"level must be in (0, 1), got {level!r}")
    if n_boot < 2:
        raise InputError(f"n_boot must be >= 2, got {n_boot}")
    x_new = np.asarray(x_new, dtype=float)
    center = make_curve().fit(x, y).predict(x_new)
    rng = np.random.default_rng(seed)
    preds = np.empty((n_boot, x_new.size))
    i = 0
    while i < n_boot:
        idx = rng.integers(0, x.size, x.size)
        if np.unique(x[idx]).size < 3:
            continue
        preds[i] = make_curve().fit(x[idx], y[idx]).predict(x_new)
        i += 1
    a = (1 - level) / 2
    lower, upper = np.quantile(preds, [a, 1 - a], axis=0)
    return center, lower, upper
