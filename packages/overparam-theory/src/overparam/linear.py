"""Linear least squares: min-norm solutions, gradient descent, ridge, simple + spiky split.

BMR21 Sections 3.1 (implicit regularisation of gradient descent) and 4.2
(benign overfitting, the "simple + spiky" decomposition).
"""

from __future__ import annotations

import numpy as np

from core_utils import InputError

__all__ = ["gd_least_squares", "min_norm_solution", "ridge", "simple_spiky_split"]


def _check_xy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2:
        raise InputError(f"X must be 2-D (n, p), got shape {x.shape}")
    if y.shape != (x.shape[0],):
        raise InputError(f"y must have shape ({x.shape[0]},), got {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("X and y must be finite")
    return x, y


def min_norm_solution(x: np.ndarray, y: np.ndarray, theta0: np.ndarray | None = None) -> np.ndarray:
    """Limit of gradient descent on ``||y - X theta||^2 / 2`` started at ``theta0``.

    ``theta0 - P theta0 + X^+ y`` with ``P = X^+ X`` the projector on the row
    space of ``X`` (BMR21 Section 3.1); ``X^+ y`` from ``theta0 = 0``, the
    minimum-norm interpolant when ``p > n`` and ``X`` has full row rank.
    """
    x, y = _check_xy(x, y)
    pinv = np.linalg.pinv(x)
    sol = pinv @ y
    if theta0 is None:
        return sol
    theta0 = np.asarray(theta0, dtype=np.float64)
    return theta0 - pinv @ (x @ theta0) + sol


def gd_least_squares(
    x: np.ndarray,
    y: np.ndarray,
    *,
    theta0: np.ndarray | None = None,
    step: float | None = None,
    steps: int = 20_000,
    tol: float = 0.0,
) -> np.ndarray:
    """Plain gradient descent on ``L(theta) = ||y - X theta||^2 / 2``.

    Parameters
    ----------
    step : float, optional
        Learning rate; default ``1 / lambda_max(X^T X)``. Must be below
        ``2 / lambda_max(X^T X)`` (the stability limit), else ``InputError``.
    steps : int
        Maximum number of iterations.
    tol : float
        Stop when the gradient norm falls below ``tol``.
    """
    x, y = _check_xy(x, y)
    lmax = float(np.linalg.norm(x, 2) ** 2)
    if step is None:
        step = 1.0 / lmax
    if not 0 < step < 2.0 / lmax:
        raise InputError(f"step must be in (0, 2/lambda_max) = (0, {2.0 / lmax:.4g}), got {step}")
    theta = np.zeros(x.shape[1]) if theta0 is None else np.array(theta0, dtype=np.float64)
    for _ in range(int(steps)):
        grad = x.T @ (x @ theta - y)
        theta -= step * grad
        if tol and np.linalg.norm(grad) < tol:
            break
    return theta


def ridge(x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    """Ridge in the un-normalised form ``argmin ||y - X theta||^2 + penalty ||theta||^2``.

    (The isotropic HMRT formulas use ``penalty = n lambda``.) ``penalty < 0`` is an ``InputError``.
    """
    x, y = _check_xy(x, y)
    if not penalty >= 0:
        raise InputError(f"penalty must be >= 0, got {penalty}")
    n, p = x.shape
    if p <= n:
        return np.linalg.solve(x.T @ x + penalty * np.eye(p), x.T @ y)
    return x.T @ np.linalg.solve(x @ x.T + penalty * np.eye(n), y)


def simple_spiky_split(theta: np.ndarray, eigvecs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Split ``theta`` into its component on the top-``k`` eigenvectors and the rest.

    ``theta = theta_{<=k} + theta_{>k}`` (BMR21 Section 4.2): the first part is
    the "simple" component that does the prediction, the second the "spiky"
    component that absorbs the noise.
    """
    theta = np.asarray(theta, dtype=np.float64)
    eigvecs = np.asarray(eigvecs, dtype=np.float64)
    if not 0 <= k <= theta.size:
        raise InputError(f"k must be in [0, {theta.size}], got {k}")
    top = eigvecs[:, :k]
    simple = top @ (top.T @ theta)
    return simple, theta - simple
