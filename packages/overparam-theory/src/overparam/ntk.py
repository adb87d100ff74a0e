"""Two-layer ReLU networks in the linear (lazy, NTK) regime (BMR21 Section 5).

``f(x) = m^{-1/2} sum_j a_j relu(<w_j, x>)`` with ``w_j ~ N(0, I_d)``, ``a_j ~ N(0, 1)``
and the symmetric ("doubling") initialisation ``(w, a), (w, -a)`` so that
``f_0 = 0``. Both layers are trained by full-batch gradient descent on
``sum_i (f(x_i) - y_i)^2 / 2``. As the width ``m`` grows, the weights move by
``O(m^{-1/2})`` relative to their initial norm, and the network stays within
``O(m^{-1/2})`` of its linearisation and of the infinite-width NTK predictor.
Plain numpy with manual gradients: at these sizes it is faster than autograd.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core_utils import InputError
from overparam.formulas import relu_ntk

__all__ = ["LazyRun", "TwoLayerNet", "kernel_gd_predictor", "train_lazy"]


@dataclass
class TwoLayerNet:
    """Parameters of ``f(x) = m^{-1/2} a . relu(W x)``; ``W`` is (m, d), ``a`` is (m,)."""

    w: np.ndarray
    a: np.ndarray

    @classmethod
    def doubling_init(cls, m: int, d: int, rng: np.random.Generator) -> TwoLayerNet:
        """Symmetric initialisation with ``f_0 = 0`` (``m`` must be even)."""
        if m < 2 or m % 2:
            raise InputError(f"width m must be an even integer >= 2, got {m}")
        w0 = rng.standard_normal((m // 2, d))
        a0 = rng.standard_normal(m // 2)
        return cls(np.vstack([w0, w0]), np.concatenate([a0, -a0]))

    @property
    def width(self) -> int:
        return self.a.size

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x @ self.w.T, 0.0) @ self.a / np.sqrt(self.width)

    def empirical_ntk(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``<grad f(x), grad f(y)>`` at the current parameters."""
        px, py = x @ self.w.T, y @ self.w.T
        second = np.maximum(px, 0.0) @ np.maximum(py, 0.0).T
        first = ((px > 0) * self.a**2) @ (py > 0).T.astype(np.float64) * (x @ y.T)
        return (first + second) / self.width

    def flat(self) -> np.ndarray:
        return np.concatenate([self.w.ravel(), self.a])


def kernel_gd_predictor(
    k_test: np.ndarray, k_train: np.ndarray, y: np.ndarray, step: float, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Predictions of kernel gradient descent from ``f_0 = 0`` after ``steps`` steps.

    ``f_t(x) = K(x, X) K^{-1} (I - (I - step K)^t) y`` (exact solution of the
    linear dynamics), computed in the eigenbasis of ``K``. Returns test
    predictions and training residuals ``f_t(X) - y``.
    """
    evals, evecs = np.linalg.eigh(k_train)
    evals = np.clip(evals, 1e-300, None)
    coef = evecs @ ((1.0 - (1.0 - step * evals) ** steps) / evals * (evecs.T @ y))
    resid = evecs @ (-((1.0 - step * evals) ** steps) * (evecs.T @ y))
    return k_test @ coef, resid


@dataclass
class LazyRun:
    """Outcome of :func:`train_lazy` for one width."""

    width: int
    check_step: int
    rel_weight_change: float
    max_diff_linearized: float
    rms_diff_ntk: float
    train_residual: float
    residual_linear_theory: float
    residual_rate_bound: float


def train_lazy(
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    m: int,
    *,
    steps: int = 2000,
    check_step: int | None = None,
    rng: np.random.Generator,
) -> LazyRun:
    """Train a doubling-initialised two-layer ReLU net with step ``1/lambda_max(Theta)``.

    Compares the trained network with (i) its linearisation at initialisation
    (kernel GD with the empirical NTK) and (ii) the infinite-width NTK predictor
    after the same number of steps; inputs must have unit norm. The training
    residual is also recorded at ``check_step`` (default ``steps // 8``), where
    it is still far from zero, to compare with the gradient-flow prediction
    ``||(I - eta Theta)^t y||`` and the rate bound ``exp(-eta lambda_min t) ||y||``.
    """
    if check_step is None:
        check_step = max(1, steps // 8)
    theta_train = relu_ntk(x, x)
    lam = np.linalg.eigvalsh(theta_train)
    step = 1.0 / lam[-1]
    net = TwoLayerNet.doubling_init(m, x.shape[1], rng)
    start = net.flat()
    k0_train = net.empirical_ntk(x, x)
    k0_test = net.empirical_ntk(x_test, x)
    sqrt_m = np.sqrt(m)
    resid_at_check = float("nan")
    for t in range(int(steps)):
        if t == check_step:
            resid_at_check = float(np.linalg.norm(net.forward(x) - y))
        pre = x @ net.w.T
        act = np.maximum(pre, 0.0)
        r = act @ net.a / sqrt_m - y
        grad_a = act.T @ r / sqrt_m
        grad_w = (((pre > 0) * r[:, None]) * net.a[None, :]).T @ x / sqrt_m
        net.a -= step * grad_a
        net.w -= step * grad_w
    f_test = net.forward(x_test)
    f_lin, _ = kernel_gd_predictor(k0_test, k0_train, y, step, steps)
    f_ntk, _ = kernel_gd_predictor(relu_ntk(x_test, x), theta_train, y, step, steps)
    _, resid_ntk = kernel_gd_predictor(relu_ntk(x_test, x), theta_train, y, step, check_step)
    return LazyRun(
        width=m,
        check_step=check_step,
        rel_weight_change=float(np.linalg.norm(net.flat() - start) / np.linalg.norm(start)),
        max_diff_linearized=float(np.max(np.abs(f_test - f_lin))),
        rms_diff_ntk=float(np.sqrt(np.mean((f_test - f_ntk) ** 2))),
        train_residual=resid_at_check,
        residual_linear_theory=float(np.linalg.norm(resid_ntk)),
        residual_rate_bound=float(np.exp(-step * lam[0] * check_step) * np.linalg.norm(y)),
    )
