"""Closed-form results of the survey, usable on their own.

Every function states its normalisation: they differ between papers (penalty
``lambda`` vs ``n lambda``, spheres of radius ``sqrt(d)`` vs 1, excess risk vs
risk with noise). Unless said otherwise, *risk* is the excess test risk
``E (x . (theta_hat - theta*))^2`` (label noise excluded).

References
----------
BMR21  Bartlett, Montanari, Rakhlin, "Deep learning: a statistical viewpoint",
       Acta Numerica 30 (2021).
HMRT   Hastie, Montanari, Rosset, Tibshirani, "Surprises in high-dimensional
       ridgeless least squares interpolation", Ann. Statist. 50 (2022).
BLLT   Bartlett, Long, Lugosi, Tsigler, "Benign overfitting in linear
       regression", PNAS 117 (2020).
MM     Mei, Montanari, "The generalization error of random features regression",
       CPAM 75 (2022).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from core_utils import InputError

__all__ = [
    "ActivationCoefficients",
    "activation_coefficients",
    "bllt_bounds",
    "critical_index",
    "deterministic_equivalent",
    "effective_ranks",
    "hmrt_finite_gaussian",
    "hmrt_isotropic_risk",
    "mp_stieltjes",
    "optimal_ridge_lambda",
    "relu_ntk",
    "rf_ridge_bv",
    "rf_ridgeless_bv",
    "rf_risk",
]


def _check_nonneg(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a finite number >= 0, got {value}")
    return value


def _check_pos(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a finite number > 0, got {value}")
    return value


# ---------------------------------------------------------------------------
# E3: isotropic ridge(less) regression (HMRT; BMR21 Section 4)
# ---------------------------------------------------------------------------


def mp_stieltjes(lam: float, gamma: float) -> tuple[float, float]:
    """Marchenko-Pastur Stieltjes transform ``m(-lam)`` and its derivative ``m'(-lam)``.

    ``m(z) = E[1/(s - z)]`` for ``s`` distributed as the limiting spectrum of
    ``X^T X / n`` with ``X`` an ``n x p`` matrix of i.i.d. standard entries and
    ``p/n -> gamma``. For ``lam > 0`` (HMRT, eq. for ``m(-lambda)``)::

        m(-lam) = [-(1 - gamma + lam) + sqrt((1 - gamma + lam)^2 + 4 gamma lam)] / (2 gamma lam)

    Returns
    -------
    m, dm : float
        ``m(-lam)`` and ``m'(z)`` evaluated at ``z = -lam`` (``dm > 0``).
    """
    lam = _check_pos("lambda", lam)
    gamma = _check_pos("gamma", gamma)
    a = 1.0 - gamma + lam
    s = math.sqrt(a * a + 4.0 * gamma * lam)
    num = -a + s
    den = 2.0 * gamma * lam
    m = num / den
    # f(lam) = m(-lam);  m'(-lam) = -f'(lam)
    dnum = -1.0 + (a + 2.0 * gamma) / s
    df = (dnum * den - num * 2.0 * gamma) / den**2
    return m, -df


def hmrt_isotropic_risk(gamma: float, r2: float, sigma2: float, lam: float = 0.0) -> dict[str, float]:
    """Asymptotic excess risk of ridge(less) regression, isotropic Gaussian design (HMRT).

    Estimator ``beta_hat = (X^T X / n + lam I)^{-1} X^T y / n`` (``lam = 0``: the
    minimum-norm least-squares solution), ``x ~ N(0, I_p)``, ``||beta||^2 = r2``,
    noise variance ``sigma2``, ``p/n -> gamma``.

    * ``lam = 0``: ``sigma2 gamma / (1 - gamma)`` for ``gamma < 1``;
      ``r2 (1 - 1/gamma) + sigma2 / (gamma - 1)`` for ``gamma > 1``.
    * ``lam > 0``: ``r2 lam^2 m'(-lam) + sigma2 gamma [m(-lam) - lam m'(-lam)]``.

    ``gamma = 1`` with ``lam = 0`` returns ``inf`` with a ``RuntimeWarning``.

    Returns
    -------
    dict
        ``bias``, ``variance`` and ``risk`` (their sum).
    """
    gamma = _check_pos("gamma", gamma)
    r2 = _check_nonneg("r2", r2)
    sigma2 = _check_nonneg("sigma2", sigma2)
    lam = _check_nonneg("lambda", lam)
    if lam == 0.0:
        if gamma == 1.0:
            warnings.warn("ridgeless risk diverges at gamma = 1; returning inf", RuntimeWarning, stacklevel=2)
            return {"bias": math.inf, "variance": math.inf, "risk": math.inf}
        if gamma < 1.0:
            bias, var = 0.0, sigma2 * gamma / (1.0 - gamma)
        else:
            bias, var = r2 * (1.0 - 1.0 / gamma), sigma2 / (gamma - 1.0)
    else:
        m, dm = mp_stieltjes(lam, gamma)
        bias = r2 * lam**2 * dm
        var = sigma2 * gamma * (m - lam * dm)
    return {"bias": bias, "variance": var, "risk": bias + var}


def hmrt_finite_gaussian(n: int, p: int, r2: float, sigma2: float) -> dict[str, float]:
    """Exact expected excess risk of min-norm least squares at finite ``n``, ``p``.

    Gaussian design ``x ~ N(0, I_p)``, fixed ``beta`` with ``||beta||^2 = r2``:

    * ``p < n - 1``: ``sigma2 p / (n - p - 1)`` (inverse-Wishart mean);
    * ``p > n + 1``: ``r2 (1 - n/p) + sigma2 n / (p - n - 1)``.

    ``n - 1 <= p <= n + 1`` has infinite expected risk: an ``InputError``.
    """
    n, p = int(n), int(p)
    if n < 1 or p < 1:
        raise InputError(f"n and p must be >= 1, got n={n}, p={p}")
    r2 = _check_nonneg("r2", r2)
    sigma2 = _check_nonneg("sigma2", sigma2)
    if n - 1 <= p <= n + 1:
        raise InputError(f"the finite-n formula needs p < n-1 or p > n+1, got n={n}, p={p}")
    if p < n - 1:
        bias, var = 0.0, sigma2 * p / (n - p - 1)
    else:
        bias, var = r2 * (1.0 - n / p), sigma2 * n / (p - n - 1)
    return {"bias": bias, "variance": var, "risk": bias + var}


def optimal_ridge_lambda(gamma: float, r2: float, sigma2: float) -> float:
    """Optimal isotropic ridge penalty ``lam* = sigma2 gamma / r2`` (HMRT; ``1/n`` normalisation)."""
    gamma = _check_pos("gamma", gamma)
    r2 = _check_pos("r2", r2)
    return _check_nonneg("sigma2", sigma2) * gamma / r2


# ---------------------------------------------------------------------------
# E4: benign overfitting (BLLT; BMR21 Section 4.2)
# ---------------------------------------------------------------------------


def _check_spectrum(eigs: np.ndarray) -> np.ndarray:
    eigs = np.asarray(eigs, dtype=np.float64)
    if eigs.ndim != 1 or eigs.size == 0:
        raise InputError("eigenvalues must be a non-empty 1-D array")
    if not np.all(np.isfinite(eigs)) or np.any(eigs < 0):
        raise InputError("eigenvalues must be finite and non-negative")
    if np.any(np.diff(eigs) > 0):
        raise InputError("eigenvalues must be sorted in non-increasing order")
    return eigs


def effective_ranks(eigs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Effective ranks of BLLT, Definition 3.

    ``r_k = sum_{i>k} lam_i / lam_{k+1}`` and
    ``R_k = (sum_{i>k} lam_i)^2 / sum_{i>k} lam_i^2`` for ``k = 0..p-1``
    (``k`` counts the leading eigenvalues removed).

    Parameters
    ----------
    eigs : array, shape (p,)
        Non-negative eigenvalues of the covariance, sorted non-increasingly.
    """
    eigs = _check_spectrum(eigs)
    tail = np.cumsum(eigs[::-1])[::-1]  # tail[k] = sum_{i>=k} eigs[i] (0-based) = sum_{i>k} lam_i
    tail2 = np.cumsum((eigs**2)[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(eigs > 0, tail / eigs, np.inf)
        big_r = np.where(tail2 > 0, tail**2 / tail2, np.inf)
    return r, big_r


def critical_index(eigs: np.ndarray, n: int, b: float = 1.0) -> int:
    """BLLT's critical index ``k* = min{k >= 0 : r_k >= b n}``.

    Raises
    ------
    InputError
        When no ``k`` satisfies the condition (the spectrum is too short for ``n``).
    """
    if n < 1:
        raise InputError(f"n must be >= 1, got {n}")
    _check_pos("b", b)
    r, _ = effective_ranks(eigs)
    ok = np.nonzero(r >= b * n)[0]
    if ok.size == 0:
        raise InputError(f"no k with r_k >= b*n = {b * n:g}: the spectrum has too few effective directions")
    return int(ok[0])


def bllt_bounds(
    eigs: np.ndarray,
    n: int,
    sigma2: float,
    theta_norm2: float,
    *,
    b: float = 1.0,
    delta: float = 0.1,
) -> dict[str, float]:
    """Shape of the BLLT bounds for the min-norm interpolant (Theorem 4), constants set to 1.

    Upper: ``||theta*||^2 ||Sigma|| max{sqrt(r0/n), r0/n, sqrt(log(1/delta)/n)}
    + sigma2 log(1/delta) (k*/n + n/R_{k*})``; variance lower bound:
    ``sigma2 (k*/n + n/R_{k*})``. The theorem holds up to universal constants
    that the paper does not make explicit, so these are rates, not numbers.
    """
    eigs = _check_spectrum(eigs)
    r, big_r = effective_ranks(eigs)
    k = critical_index(eigs, n, b)
    if not 0 < delta < 1:
        raise InputError(f"delta must be in (0, 1), got {delta}")
    r0 = r[0]
    log_term = math.log(1.0 / delta)
    bias = theta_norm2 * eigs[0] * max(math.sqrt(r0 / n), r0 / n, math.sqrt(log_term / n))
    var_rate = k / n + n / big_r[k]
    return {
        "k_star": k,
        "r0": float(r0),
        "R_k_star": float(big_r[k]),
        "bias_upper": float(bias),
        "variance_upper": float(sigma2 * log_term * var_rate),
        "variance_lower": float(sigma2 * var_rate),
    }


def deterministic_equivalent(
    eigs: np.ndarray, beta2: np.ndarray, n: int, sigma2: float, lam: float = 0.0
) -> dict[str, float]:
    """Deterministic-equivalent risk of ridge(less) regression with covariance spectrum ``eigs``.

    Cheng-Montanari / Bach form of HMRT's general-covariance theorem. With the
    estimator ``argmin ||y - X theta||^2 / n + lam ||theta||^2`` (``lam = 0``: min-norm
    interpolant), ``kappa`` solves ``kappa - lam = (kappa / n) sum_i lam_i / (lam_i + kappa)``
    (for ``lam = 0``: ``sum_i lam_i / (lam_i + kappa) = n``), ``df2 = sum_i lam_i^2 / (lam_i + kappa)^2``::

        Var  = sigma2 df2 / (n - df2)
        Bias = kappa^2 sum_i lam_i beta_i^2 / (lam_i + kappa)^2 * n / (n - df2)

    Parameters
    ----------
    eigs : array (p,)
        Covariance eigenvalues (non-negative, sorted non-increasingly).
    beta2 : array (p,)
        Squared coordinates of ``theta*`` in the eigenbasis.
    """
    eigs = _check_spectrum(eigs)
    beta2 = np.asarray(beta2, dtype=np.float64)
    if beta2.shape != eigs.shape:
        raise InputError(f"beta2 must have the shape of eigs {eigs.shape}, got {beta2.shape}")
    lam = _check_nonneg("lambda", lam)
    if n < 1:
        raise InputError(f"n must be >= 1, got {n}")
    if lam == 0.0 and np.count_nonzero(eigs) <= n:
        raise InputError(
            f"interpolation needs more than n={n} non-zero eigenvalues (got {np.count_nonzero(eigs)})"
        )

    def g(log_kappa: float) -> float:
        kappa = math.exp(log_kappa)
        return kappa - lam - kappa / n * float(np.sum(eigs / (eigs + kappa)))

    lo, hi = math.log(max(lam, 1e-300) if lam > 0 else 1e-300), math.log(float(eigs.sum()) + lam + 1.0)
    if lam == 0.0:
        lo = math.log(1e-14 * float(eigs.max()))
        while g(lo) > 0:  # more directions than n at this tiny kappa is needed
            lo -= 10.0
    kappa = math.exp(optimize.brentq(g, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500))
    df2 = float(np.sum(eigs**2 / (eigs + kappa) ** 2))
    var = sigma2 * df2 / (n - df2)
    bias = kappa**2 * float(np.sum(eigs * beta2 / (eigs + kappa) ** 2)) * n / (n - df2)
    return {"kappa": kappa, "df2": df2, "bias": bias, "variance": var, "risk": bias + var}


# ---------------------------------------------------------------------------
# E6: random features regression (MM; BMR21 Section 4.3)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivationCoefficients:
    """Gaussian Hermite coefficients of an activation: ``mu0 = E s(G)``, ``mu1 = E G s(G)``,
    ``mu_star^2 = E s(G)^2 - mu0^2 - mu1^2``, ``zeta = mu1 / mu_star``."""

    mu0: float
    mu1: float
    mu_star2: float

    @property
    def zeta(self) -> float:
        return self.mu1 / math.sqrt(self.mu_star2)


_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "abs": np.abs,
}


def activation_coefficients(sigma: str | Callable[[np.ndarray], np.ndarray]) -> ActivationCoefficients:
    """``mu0, mu1, mu_star^2`` of an activation under a standard Gaussian input.

    Computed by adaptive quadrature (``scipy.integrate.quad``) against the
    Gaussian density, split at 0 so that kinks (ReLU, abs) are integrated to
    ~1e-10. ReLU: ``mu0 = 1/sqrt(2 pi)``, ``mu1 = 1/2``,
    ``mu_star^2 = 1/4 - 1/(2 pi) = 0.0908``, ``zeta = 1.6589``.
    """
    from scipy import integrate

    if isinstance(sigma, str):
        if sigma not in _ACTIVATIONS:
            raise InputError(
                f"unknown activation {sigma!r}; choose from {sorted(_ACTIVATIONS)} or pass a callable"
            )
        sigma = _ACTIVATIONS[sigma]
    fn = sigma

    def moment(h: Callable[[float], float]) -> float:
        def integrand(g: float) -> float:
            return float(h(g)) * math.exp(-0.5 * g * g) / math.sqrt(2 * math.pi)

        left = integrate.quad(integrand, -np.inf, 0.0, epsabs=1e-12, epsrel=1e-12)[0]
        right = integrate.quad(integrand, 0.0, np.inf, epsabs=1e-12, epsrel=1e-12)[0]
        return left + right

    def s(g: float) -> float:
        return float(np.asarray(fn(np.array([g])))[0])

    mu0 = moment(s)
    mu1 = moment(lambda g: g * s(g))
    mu_star2 = moment(lambda g: s(g) ** 2) - mu0**2 - mu1**2
    if mu_star2 <= 1e-12:
        raise InputError(
            "the activation is linear (mu_star = 0): the random-features formula needs a nonlinearity"
        )
    return ActivationCoefficients(mu0, mu1, mu_star2)


def _rf_e_terms(chi: complex, psi1: float, psi2: float, zeta: float) -> tuple[complex, complex, complex]:
    """The polynomials ``E0, E1, E2`` of MM Theorem 2 at ``chi`` (real ridgeless, complex ridge)."""
    z2 = zeta**2
    p12 = psi1 * psi2
    e0 = (
        -(chi**5) * zeta**6
        + 3 * chi**4 * zeta**4
        + (p12 - psi1 - psi2 + 1) * chi**3 * zeta**6
        - 2 * chi**3 * zeta**4
        - 3 * chi**3 * z2
        + (psi1 + psi2 - 3 * p12 + 1) * chi**2 * zeta**4
        + 2 * chi**2 * z2
        + chi**2
        + 3 * p12 * chi * z2
        - p12
    )
    e1 = psi2 * chi**3 * zeta**4 - psi2 * chi**2 * z2 + p12 * chi * z2 - p12
    e2 = (
        chi**5 * zeta**6
        - 3 * chi**4 * zeta**4
        + (psi1 - 1) * chi**3 * zeta**6
        + 2 * chi**3 * zeta**4
        + 3 * chi**3 * z2
        - (psi1 + 1) * chi**2 * zeta**4
        - 2 * chi**2 * z2
        - chi**2
    )
    return e0, e1, e2


def rf_ridgeless_bv(psi1: float, psi2: float, zeta: float) -> tuple[float, float]:
    """Ridgeless random-features bias and variance factors ``B = E1/E0``, ``V = E2/E0`` (MM, Theorem 2).

    ``N/d -> psi1`` features, ``n/d -> psi2`` samples, ``zeta = mu1 / mu_star``.
    ``psi1 = psi2`` (the interpolation peak) returns ``(inf, inf)`` with a warning.
    """
    psi1 = _check_pos("psi1", psi1)
    psi2 = _check_pos("psi2", psi2)
    zeta = _check_pos("zeta", zeta)
    if psi1 == psi2:
        warnings.warn(
            "ridgeless RF risk diverges at psi1 = psi2; returning inf", RuntimeWarning, stacklevel=2
        )
        return math.inf, math.inf
    psi = min(psi1, psi2)
    z2 = zeta**2
    a = psi * z2 - z2 - 1.0
    chi = -(a + math.sqrt(a * a + 4.0 * z2 * psi)) / (2.0 * z2)
    e0, e1, e2 = _rf_e_terms(chi, psi1, psi2, zeta)
    return e1 / e0, e2 / e0


def rf_ridge_bv(psi1: float, psi2: float, zeta: float, lam: float, mu_star2: float) -> tuple[float, float]:
    """Random-features ridge bias/variance factors via the complex fixed point (MM, Theorem 1).

    *(Unverified against the paper: reconstructed from the spec.)* Penalty
    ``(N lam / d) ||a||^2``; ``xi = i sqrt(psi1 psi2 lam / mu_star2)``;
    ``nu1 = psi1 (-xi - nu2 - zeta^2 nu2 / (1 - zeta^2 nu1 nu2))^{-1}`` and symmetrically
    for ``nu2``, solved by damped iteration on the branch ``Im nu > 0``; ``chi = nu1 nu2``
    enters the same ``E0, E1, E2`` as :func:`rf_ridgeless_bv`. The tests check it
    against simulation and against the ridgeless limit ``lam -> 0``.
    """
    psi1 = _check_pos("psi1", psi1)
    psi2 = _check_pos("psi2", psi2)
    zeta = _check_pos("zeta", zeta)
    lam = _check_pos("lambda", lam)
    mu_star2 = _check_pos("mu_star2", mu_star2)
    xi = 1j * math.sqrt(psi1 * psi2 * lam / mu_star2)
    z2 = zeta**2
    nu1, nu2 = 1j * psi1, 1j * psi2
    for _ in range(200_000):
        d = 1.0 - z2 * nu1 * nu2
        new1 = psi1 / (-xi - nu2 - z2 * nu2 / d)
        new2 = psi2 / (-xi - nu1 - z2 * nu1 / d)
        if new1.imag <= 0 or new2.imag <= 0:  # stay on the branch Im nu > 0
            new1 = complex(new1.real, abs(new1.imag))
            new2 = complex(new2.real, abs(new2.imag))
        step = abs(new1 - nu1) + abs(new2 - nu2)
        nu1 = 0.5 * nu1 + 0.5 * new1
        nu2 = 0.5 * nu2 + 0.5 * new2
        if step < 1e-13:
            break
    else:  # pragma: no cover - the damped map converges for lam > 0
        raise RuntimeError("random-features fixed point did not converge")
    chi = nu1 * nu2
    e0, e1, e2 = _rf_e_terms(chi, psi1, psi2, zeta)
    return float((e1 / e0).real), float((e2 / e0).real)


def rf_risk(bias_factor: float, var_factor: float, f1_2: float, fstar_2: float, tau2: float) -> float:
    """MM test risk ``R = F1^2 B + (tau^2 + F*^2) V + F*^2`` (``F*^2``: unlearnable nonlinear part)."""
    return f1_2 * bias_factor + (tau2 + fstar_2) * var_factor + fstar_2


# ---------------------------------------------------------------------------
# E7: the neural tangent kernel of a two-layer ReLU network (BMR21 Section 5)
# ---------------------------------------------------------------------------


def relu_ntk(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Infinite-width NTK of ``f = m^{-1/2} sum_j a_j relu(<w_j, x>)``, both layers trained.

    For unit-norm inputs with ``u = <x, x'>`` and ``w ~ N(0, I)``, ``a ~ N(0, 1)``::

        Theta(u) = u (pi - arccos u) / (2 pi)                       (first layer)
                 + (sqrt(1 - u^2) + (pi - arccos u) u) / (2 pi)     (second layer)

    Inputs must have unit norm (rows of ``x`` and ``y``).
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    for name, arr in (("x", x), ("y", y)):
        if not np.allclose(np.linalg.norm(arr, axis=1), 1.0, atol=1e-8):
            raise InputError(f"relu_ntk needs unit-norm rows in {name}")
    u = np.clip(x @ y.T, -1.0, 1.0)
    ang = np.pi - np.arccos(u)
    return u * ang / (2 * np.pi) + (np.sqrt(1.0 - u**2) + ang * u) / (2 * np.pi)
