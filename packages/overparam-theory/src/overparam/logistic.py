"""Logistic regression on separable data and the hard-margin SVM (BMR21 Section 3.2).

Soudry et al. (2018), Ji & Telgarsky (2019): gradient descent on the logistic
loss without intercept diverges in norm and converges in direction to the
hard-margin SVM solution, at rate ``O(1 / log t)``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from core_utils import InputError

__all__ = ["gd_logistic", "max_margin_svm"]


def max_margin_svm(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Hard-margin SVM without intercept: ``argmin ||w|| s.t. y_i <w, x_i> >= 1``.

    Started from scikit-learn's ``LinearSVC(fit_intercept=False, loss="hinge",
    C=1e6)``, then polished to machine precision by an active-set step: on the
    candidate support set ``S`` the solution is ``w = A_S^T (A_S A_S^T)^{-1} 1``
    (``A = y * x``), accepted only when the KKT conditions hold (all margins
    ``>= 1``, multipliers ``>= 0``). If the data are not linearly separable
    through the origin an ``InputError`` is raised.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    if set(np.unique(y)) - {-1, 1}:
        raise InputError("labels must be -1 or +1")
    clf = LinearSVC(fit_intercept=False, loss="hinge", C=1e6, tol=1e-10, max_iter=1_000_000, dual=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # checked below through the margins
        clf.fit(x, y)
    w = clf.coef_.ravel().astype(np.float64)
    a = y[:, None] * x
    margins = a @ w
    if margins.min() < 1 - 1e-3:
        raise InputError(
            f"data are not linearly separable through the origin (smallest SVM margin {margins.min():.3g})"
        )
    w = w / margins.min()
    for slack in (1e-6, 1e-4, 1e-3, 1e-2, 5e-2):
        support = np.nonzero(a @ w <= 1 + slack)[0]
        sub = a[support]
        gram = sub @ sub.T
        try:
            alpha = np.linalg.solve(gram, np.ones(support.size))
        except np.linalg.LinAlgError:
            continue
        cand = sub.T @ alpha
        if alpha.min() >= -1e-10 and (a @ cand).min() >= 1 - 1e-10:
            return cand
    return w


def gd_logistic(
    x: np.ndarray,
    y: np.ndarray,
    *,
    step: float = 1.0,
    record_at: tuple[int, ...] = (100, 1000, 10_000),
) -> dict[int, np.ndarray]:
    """Gradient descent on the mean logistic loss ``mean log(1 + exp(-y_i <w, x_i>))`` from 0.

    Parameters
    ----------
    step : float
        Learning rate; stable below ``8 / lambda_max(X^T X / n)``.
    record_at : tuple of int
        Iteration counts at which to return the iterate.

    Returns
    -------
    dict
        ``{t: w_t}`` for each ``t`` in ``record_at``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.shape[0]
    lmax = float(np.linalg.norm(x, 2) ** 2) / n
    if not 0 < step < 8.0 / lmax:
        raise InputError(f"step must be in (0, 8/lambda_max) = (0, {8.0 / lmax:.4g}), got {step}")
    targets = sorted(set(int(t) for t in record_at))
    w = np.zeros(x.shape[1])
    out: dict[int, np.ndarray] = {}
    yx = y[:, None] * x
    t = 0
    for target in targets:
        while t < target:
            margins = yx @ w
            grad = -(yx.T @ special.expit(-margins)) / n
            w -= step * grad
            t += 1
        out[target] = w.copy()
    return out
