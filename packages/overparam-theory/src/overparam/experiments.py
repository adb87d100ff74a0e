"""Experiments E1-E7: each pairs a simulation with the closed form it illustrates.

Every experiment returns an :class:`ExperimentResult` holding a list of
:class:`Check` rows (theory, simulated mean, standard error, relative error,
tolerance, pass flag) plus the curves its figure draws. Sizes default to the
spec's "measured" settings; ``scale < 1`` shrinks the Monte Carlo work (used by
``demo``), never the tolerances.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from core_utils import InputError, derive_seed
from overparam import formulas, linear, logistic, ntk, simulate

__all__ = ["EXPERIMENTS", "Check", "ExperimentResult", "register", "run_experiment"]


@dataclass
class Check:
    """One theory-vs-simulation comparison.

    ``kind`` says how ``passed`` is decided: ``"rel"`` (``rel_error <= tol``),
    ``"se"`` (``|sim - theory| <= tol * se``), ``"le"`` (``sim <= tol``) or
    ``"range"`` (``|sim - theory| <= tol``, used for slopes).
    """

    name: str
    theory: float
    sim_mean: float
    sim_se: float
    tol: float
    kind: str = "rel"
    rel_error: float = field(init=False)
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        diff = abs(self.sim_mean - self.theory)
        self.rel_error = diff / abs(self.theory) if self.theory not in (0.0, math.inf) else diff
        if self.kind == "rel":
            ok = self.rel_error <= self.tol
        elif self.kind == "se":
            ok = diff <= self.tol * max(self.sim_se, 1e-300)
        elif self.kind == "le":
            ok = self.sim_mean <= self.tol
        elif self.kind == "range":
            ok = diff <= self.tol
        else:  # pragma: no cover - programming error
            raise ValueError(f"unknown check kind {self.kind!r}")
        self.passed = bool(ok)


@dataclass
class ExperimentResult:
    """Checks plus figure data of one experiment run."""

    name: str
    title: str
    params: dict[str, Any]
    checks: list[Check]
    curves: dict[str, Any]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "params": self.params,
            "passed": self.passed,
            "checks": [asdict(c) for c in self.checks],
        }


Runner = Callable[..., ExperimentResult]
EXPERIMENTS: dict[str, tuple[str, Runner]] = {}


def register(name: str, title: str) -> Callable[[Runner], Runner]:
    """Register an experiment under ``name``; duplicate names are refused."""

    def deco(fn: Runner) -> Runner:
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name!r} already registered")
        EXPERIMENTS[name] = (title, fn)
        return fn

    return deco


def run_experiment(name: str, *, seed: int = 0, scale: float = 1.0, **params: Any) -> ExperimentResult:
    """Run experiment ``name`` (``E1`` .. ``E7``) with a seed and optional parameters."""
    key = name.upper()
    if key not in EXPERIMENTS:
        raise InputError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    if not 0 < scale <= 1:
        raise InputError(f"scale must be in (0, 1], got {scale}")
    return EXPERIMENTS[key][1](seed=seed, scale=scale, **params)


def _reps(reps: int, scale: float, minimum: int = 2) -> int:
    return max(minimum, int(round(reps * scale)))


def _mean_se(values: list[float] | np.ndarray) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    se = float(arr.std(ddof=1) / math.sqrt(arr.size)) if arr.size > 1 else 0.0
    return float(arr.mean()), se


# --------------------------------------------------------------------------- E1


@register("E1", "Gradient descent on least squares converges to the minimum-norm interpolant")
def e1(
    *, seed: int = 0, scale: float = 1.0, n: int = 50, p: int = 200, steps: int = 20_000
) -> ExperimentResult:
    rng = np.random.default_rng(derive_seed(seed, "E1"))
    x = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    theta0 = rng.standard_normal(p)
    step = 1.0 / float(np.linalg.norm(x, 2) ** 2)
    proj = np.linalg.pinv(x) @ x
    checks, curves = [], {}
    for label, start in (("from 0", None), ("from theta0", theta0)):
        limit = linear.min_norm_solution(x, y, start)
        # run in segments to draw the distance-to-limit curve
        marks = np.unique(np.geomspace(1, steps, 25).astype(int))
        theta = np.zeros(p) if start is None else start.copy()
        dist, done, off_row = [], 0, 0.0
        for mark in marks:
            theta = linear.gd_least_squares(x, y, theta0=theta, step=step, steps=int(mark - done))
            done = int(mark)
            dist.append(np.linalg.norm(theta - limit) / np.linalg.norm(limit))
            base = np.zeros(p) if start is None else start
            off_row = max(off_row, float(np.linalg.norm((np.eye(p) - proj) @ (theta - base))))
        checks.append(Check(f"relative distance to limit, {label}", 0.0, float(dist[-1]), 0.0, 1e-8, "le"))
        checks.append(Check(f"iterates stay in theta0 + row(X), {label}", 0.0, off_row, 0.0, 1e-8, "le"))
        curves[label] = {"steps": marks.tolist(), "distance": dist}
    return ExperimentResult("E1", EXPERIMENTS["E1"][0], {"n": n, "p": p, "steps": steps}, checks, curves)


# --------------------------------------------------------------------------- E2


@register("E2", "Logistic regression on separable data converges in direction to the hard-margin SVM")
def e2(
    *, seed: int = 0, scale: float = 1.0, n: int = 40, d: int = 5, steps: int = 10_000
) -> ExperimentResult:
    from scipy import optimize

    rng = np.random.default_rng(derive_seed(seed, "E2"))
    x, y = simulate.separable_classes(n, d, rng, margin=0.0)  # teacher labels sign(<w*, x>)
    w_svm = logistic.max_margin_svm(x, y)
    # independent oracle: the same QP by SLSQP
    res = optimize.minimize(
        lambda w: 0.5 * w @ w,
        np.zeros(d),
        jac=lambda w: w,
        constraints=[{"type": "ineq", "fun": lambda w: y * (x @ w) - 1.0, "jac": lambda w: y[:, None] * x}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    cos_qp = float(res.x @ w_svm / (np.linalg.norm(res.x) * np.linalg.norm(w_svm)))
    marks = tuple(t for t in (10, 100, 1000, 10_000, 100_000, 1_000_000) if t <= steps)
    # step 1/L with L = lambda_max(X^T X / n) / 4, the smoothness constant of the mean logistic loss
    step = 4.0 / float(np.linalg.norm(x, 2) ** 2 / n)
    iterates = logistic.gd_logistic(x, y, step=step, record_at=marks)
    unit = w_svm / np.linalg.norm(w_svm)
    gaps = [float(1.0 - iterates[t] @ unit / np.linalg.norm(iterates[t])) for t in marks]
    checks = [
        Check("1 - cos(w_t, w_svm) at the last step", 0.0, gaps[-1], 0.0, 1e-3, "le"),
        Check("gap strictly decreasing (1 = yes)", 1.0, float(all(np.diff(gaps) < 0)), 0.0, 0.0, "range"),
        Check("smallest SVM margin", 1.0, float(np.min(y * (x @ w_svm))), 0.0, 1e-8, "range"),
        Check("LinearSVC vs SLSQP direction, 1 - cos", 0.0, 1.0 - cos_qp, 0.0, 1e-6, "le"),
        Check(
            "||w_t|| grows (last / first)",
            1.0,
            float(np.linalg.norm(iterates[marks[-1]]) / np.linalg.norm(iterates[marks[0]])),
            0.0,
            0.0,
            "range",
        ),
    ]
    checks[-1] = Check(checks[-1].name, 1.0, checks[-1].sim_mean, 0.0, checks[-1].sim_mean, "le")
    checks[-1].passed = checks[-1].sim_mean > 1.0
    return ExperimentResult(
        "E2", EXPERIMENTS["E2"][0], {"n": n, "d": d, "steps": steps}, checks, {"t": list(marks), "gap": gaps}
    )


# --------------------------------------------------------------------------- E3


def _isotropic_risk_given_design(x: np.ndarray, r2: float, sigma2: float, lam: float) -> float:
    """Excess risk of ridge(less) for a fixed Gaussian design, averaged exactly over the noise
    and over a uniformly random direction of ``beta`` (``||beta||^2 = r2``).

    By rotation invariance of the isotropic design this has the same expectation over ``X``
    as a fixed ``beta``; it needs only the eigenvalues of the smaller Gram matrix.
    """
    n, p = x.shape
    gram = x @ x.T if p >= n else x.T @ x
    ev = np.clip(np.linalg.eigvalsh(gram / n), 0.0, None)  # the min(n, p) eigenvalues of X^T X / n
    zeros = p - ev.size  # directions of X^T X / n with eigenvalue 0
    if lam == 0:
        keep = ev > 1e-10 * ev.max()
        bias = r2 * (zeros + np.count_nonzero(~keep)) / p
        var = sigma2 * float(np.sum(1.0 / (n * ev[keep])))
    else:
        bias = r2 / p * (float(np.sum((lam / (ev + lam)) ** 2)) + zeros)
        var = sigma2 * float(np.sum(ev / (n * (ev + lam) ** 2)))
    return float(bias + var)


@register("E3", "Ridge and ridgeless regression: exact isotropic risk and double descent")
def e3(
    *,
    seed: int = 0,
    scale: float = 1.0,
    r2: float = 1.0,
    sigma2: float = 0.5,
    n_finite: int = 200,
    reps_finite: int = 150,
    n_asym: int = 400,
    reps_asym: int = 20,
) -> ExperimentResult:
    rng = np.random.default_rng(derive_seed(seed, "E3"))
    checks: list[Check] = []

    def sim(n: int, p: int, lam: float, reps: int) -> tuple[float, float]:
        vals = []
        for _ in range(reps):
            x = rng.standard_normal((n, p))
            vals.append(_isotropic_risk_given_design(x, r2, sigma2, lam))
        return _mean_se(vals)

    reps_f = _reps(reps_finite, scale, 100)
    for p in (100, 400):
        theory = formulas.hmrt_finite_gaussian(n_finite, p, r2, sigma2)["risk"]
        mean, se = sim(n_finite, p, 0.0, reps_f)
        checks.append(
            Check(f"finite-n min-norm risk, n={n_finite}, p={p} (3 SE)", theory, mean, se, 3.0, "se")
        )
    reps_a = _reps(reps_asym, scale, 5)
    gammas = [0.2, 0.5, 0.8, 1.25, 2.0, 4.0]
    sim_curve = []
    for g in gammas:
        p = int(round(g * n_asym))
        theory = formulas.hmrt_isotropic_risk(g, r2, sigma2)["risk"]
        mean, se = sim(n_asym, p, 0.0, reps_a)
        sim_curve.append((g, mean, se))
        if abs(g - 1) >= 0.5:
            checks.append(Check(f"asymptotic ridgeless risk, gamma={g}", theory, mean, se, 0.05, "rel"))
    for g in (0.5, 2.0):
        for lam in (0.1, 1.0):
            p = int(round(g * n_asym))
            theory = formulas.hmrt_isotropic_risk(g, r2, sigma2, lam)["risk"]
            mean, se = sim(n_asym, p, lam, reps_a)
            checks.append(Check(f"ridge risk, gamma={g}, lambda={lam}", theory, mean, se, 0.02, "rel"))
    # optimal penalty by grid search on the simulation
    g = 2.0
    p = int(round(g * n_asym))
    grid = np.geomspace(0.1, 10.0, 21)
    sims = [sim(n_asym, p, lam, max(3, reps_a // 2))[0] for lam in grid]
    lam_star = formulas.optimal_ridge_lambda(g, r2, sigma2)
    cell = float(np.log(grid[1] / grid[0]))
    checks.append(
        Check(
            "argmin of simulated ridge risk, log-lambda (+-1 grid cell)",
            math.log(lam_star),
            math.log(grid[int(np.argmin(sims))]),
            0.0,
            cell * 1.0001,
            "range",
        )
    )
    g_theory = np.concatenate([np.linspace(0.05, 0.95, 60), np.linspace(1.05, 5.0, 80)])
    risk_theory = [formulas.hmrt_isotropic_risk(float(t), r2, sigma2)["risk"] for t in g_theory]
    curves = {
        "gamma": g_theory.tolist(),
        "theory": risk_theory,
        "sim": sim_curve,
        "ridge_opt": [
            formulas.hmrt_isotropic_risk(
                float(t), r2, sigma2, formulas.optimal_ridge_lambda(float(t), r2, sigma2)
            )["risk"]
            for t in g_theory
        ],
    }
    params = {
        "r2": r2,
        "sigma2": sigma2,
        "n_finite": n_finite,
        "reps_finite": reps_f,
        "n_asym": n_asym,
        "reps_asym": reps_a,
    }
    return ExperimentResult("E3", EXPERIMENTS["E3"][0], params, checks, curves)


# --------------------------------------------------------------------------- E4


SPECTRA: dict[str, Callable[[int], np.ndarray]] = {
    "1/i": lambda p: 1.0 / np.arange(1, p + 1),
    "5 spikes + flat tail": lambda p: np.concatenate([np.full(5, 10.0), np.full(p - 5, 0.05)]),
    "i^-1/2": lambda p: np.arange(1, p + 1) ** -0.5,
}


def _minnorm_bias_var(
    x: np.ndarray, eigs: np.ndarray, beta: np.ndarray, sigma2: float
) -> tuple[float, float]:
    """Exact (over noise) bias and variance of the min-norm interpolant for one design."""
    gram_inv = np.linalg.inv(x @ x.T)
    resid = beta - x.T @ (gram_inv @ (x @ beta))
    bias = float(np.sum(eigs * resid**2))
    pinv_t = gram_inv @ x  # rows of (X^+)^T
    var = float(sigma2 * np.sum(pinv_t**2 * eigs))
    return bias, var


@register("E4", "Benign overfitting: effective ranks, BLLT bounds and the deterministic equivalent")
def e4(
    *, seed: int = 0, scale: float = 1.0, n: int = 200, p: int = 2000, sigma2: float = 1.0, reps: int = 10
) -> ExperimentResult:
    rng = np.random.default_rng(derive_seed(seed, "E4"))
    reps = _reps(reps, scale, 3)
    checks: list[Check] = []
    curves: dict[str, Any] = {}
    beta = np.full(p, 1.0 / math.sqrt(p))
    for name, make in SPECTRA.items():
        eigs = make(p)
        de = formulas.deterministic_equivalent(eigs, beta**2, n, sigma2)
        b_list, v_list = [], []
        for _ in range(reps):
            x = simulate.gaussian_design(n, eigs, rng)
            b, v = _minnorm_bias_var(x, eigs, beta, sigma2)
            b_list.append(b)
            v_list.append(v)
        vm, vse = _mean_se(v_list)
        bm, bse = _mean_se(b_list)
        checks.append(Check(f"variance, {name}", de["variance"], vm, vse, 0.02, "rel"))
        checks.append(Check(f"bias, {name}", de["bias"], bm, bse, 0.10, "rel"))
        bounds = formulas.bllt_bounds(eigs, n, sigma2, float(beta @ beta), b=1.0)
        curves[name] = {
            "theory_var": de["variance"],
            "sim_var": vm,
            "theory_bias": de["bias"],
            "sim_bias": bm,
            **bounds,
        }
    params = {"n": n, "p": p, "sigma2": sigma2, "reps": reps, "beta": "uniform, ||beta|| = 1"}
    return ExperimentResult("E4", EXPERIMENTS["E4"][0], params, checks, curves)


# --------------------------------------------------------------------------- E5


@register("E5", "Simple + spiky: the interpolant is ridge on the top features plus a harmless spike")
def e5(
    *,
    seed: int = 0,
    scale: float = 1.0,
    n: int = 200,
    k: int = 5,
    spike: float = 10.0,
    ps: tuple[int, ...] = (1000, 2000, 8000),
    sigma2: float = 1.0,
    reps: int = 4,
) -> ExperimentResult:
    rng = np.random.default_rng(derive_seed(seed, "E5"))
    reps = _reps(reps, scale, 2)
    checks: list[Check] = []
    rows = []
    for p in ps:
        # k spikes, tail of trace n spread evenly (Lambda = Sum_{i>k} lambda_i = n); Sigma is
        # diagonal, so its eigenvectors are the coordinate axes and the split is by coordinates
        eigs = np.concatenate([np.full(k, spike), np.full(p - k, n / (p - k))])
        theta_star = np.concatenate([np.ones(k), np.zeros(p - k)])
        diffs, spiky, total = [], [], []
        for _ in range(reps):
            x = simulate.gaussian_design(n, eigs, rng)
            yv = x @ theta_star + math.sqrt(sigma2) * rng.standard_normal(n)
            theta = x.T @ np.linalg.solve(x @ x.T, yv)  # min-norm interpolant X^+ y
            ridge_top = linear.ridge(x[:, :k], yv, penalty=float(eigs[k:].sum()))
            diffs.append(np.linalg.norm(theta[:k] - ridge_top) / np.linalg.norm(ridge_top))
            spiky.append(float(np.sum(eigs[k:] * theta[k:] ** 2)))
            total.append(float(np.sum(eigs * (theta - theta_star) ** 2)))
        rows.append((p, float(np.mean(diffs)), float(np.mean(spiky)), float(np.mean(total))))
        if p / n >= 10:
            checks.append(
                Check(f"top-k part vs ridge(Lambda = tail trace), p={p}", 0.0, rows[-1][1], 0.0, 0.02, "le")
            )
    spiky_means = [r[2] for r in rows]
    ok = float(all(np.diff(spiky_means) < 0))
    checks.append(Check("spiky risk decreases as p grows (1 = yes)", 1.0, ok, 0.0, 0.0, "range"))
    params = {"n": n, "k": k, "spike": spike, "ps": list(ps), "sigma2": sigma2, "reps": reps}
    return ExperimentResult("E5", EXPERIMENTS["E5"][0], params, checks, {"rows": rows})


# --------------------------------------------------------------------------- E6


def rf_simulated_risk(
    d: int,
    psi1: float,
    psi2: float,
    *,
    tau2: float,
    f1: float,
    lam: float,
    rng: np.random.Generator,
    n_test: int = 2000,
) -> float:
    """Test risk of ReLU random-features ridge(less) regression, linear target (one draw).

    ``x, theta_j`` uniform on the sphere of radius ``sqrt(d)``; features
    ``relu(<theta_j, x> / sqrt(d))``; target ``<beta, x>`` with ``||beta|| = f1``
    plus ``N(0, tau2)`` noise; estimator ``argmin (1/n) ||y - Z a||^2 + (N lam / d) ||a||^2``
    (``lam = 0``: min-norm). Risk excludes the label noise.
    """
    big_n, n = int(round(psi1 * d)), int(round(psi2 * d))
    theta = simulate.unit_sphere(big_n, d, rng, math.sqrt(d))
    x = simulate.unit_sphere(n, d, rng, math.sqrt(d))
    xt = simulate.unit_sphere(n_test, d, rng, math.sqrt(d))
    beta = simulate.random_direction(d, f1, rng)
    z = np.maximum(x @ theta.T / math.sqrt(d), 0.0)
    zt = np.maximum(xt @ theta.T / math.sqrt(d), 0.0)
    y = x @ beta + math.sqrt(tau2) * rng.standard_normal(n)
    if lam == 0:
        a = np.linalg.lstsq(z, y, rcond=None)[0]
    else:
        a = np.linalg.solve(z.T @ z / n + (big_n * lam / d) * np.eye(big_n), z.T @ y / n)
    return float(np.mean((zt @ a - xt @ beta) ** 2))


@register("E6", "Random features regression: exact asymptotic bias/variance and double descent")
def e6(
    *,
    seed: int = 0,
    scale: float = 1.0,
    d: int = 100,
    psi2: float = 3.0,
    psi1s: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 6.0, 10.0),
    tau2: float = 0.25,
    reps: int = 6,
    ridge_lams: tuple[float, ...] = (0.01, 0.1),
) -> ExperimentResult:
    rng = np.random.default_rng(derive_seed(seed, "E6"))
    reps = _reps(reps, scale, 2)
    coeffs = formulas.activation_coefficients("relu")
    checks: list[Check] = []
    points = []
    for psi1 in psi1s:
        b, v = formulas.rf_ridgeless_bv(psi1, psi2, coeffs.zeta)
        theory = formulas.rf_risk(b, v, 1.0, 0.0, tau2)
        mean, se = _mean_se(
            [rf_simulated_risk(d, psi1, psi2, tau2=tau2, f1=1.0, lam=0.0, rng=rng) for _ in range(reps)]
        )
        points.append((psi1, mean, se, theory))
        if abs(psi1 - psi2) / psi2 >= 0.3:
            checks.append(Check(f"ridgeless RF risk, psi1={psi1}", theory, mean, se, 0.10, "rel"))
    ridge_points = []
    for lam in ridge_lams:
        psi1 = 2.0
        b, v = formulas.rf_ridge_bv(psi1, psi2, coeffs.zeta, lam, coeffs.mu_star2)
        theory = formulas.rf_risk(b, v, 1.0, 0.0, tau2)
        mean, se = _mean_se(
            [rf_simulated_risk(d, psi1, psi2, tau2=tau2, f1=1.0, lam=lam, rng=rng) for _ in range(reps)]
        )
        ridge_points.append((lam, mean, se, theory))
        checks.append(
            Check(f"ridge RF risk (fixed point), psi1={psi1}, lambda={lam}", theory, mean, se, 0.10, "rel")
        )
    grid = np.concatenate([np.linspace(0.2, psi2 - 0.05, 60), np.linspace(psi2 + 0.05, 12.0, 80)])
    theory_curve = [
        formulas.rf_risk(*formulas.rf_ridgeless_bv(float(g), psi2, coeffs.zeta), 1.0, 0.0, tau2) for g in grid
    ]
    params = {"d": d, "psi2": psi2, "tau2": tau2, "F1": 1.0, "Fstar": 0.0, "reps": reps, "activation": "relu"}
    curves = {"psi1": grid.tolist(), "theory": theory_curve, "sim": points, "ridge": ridge_points}
    return ExperimentResult("E6", EXPERIMENTS["E6"][0], params, checks, curves)


# --------------------------------------------------------------------------- E7


@register("E7", "Lazy regime: a wide two-layer net stays close to its linearisation and the NTK")
def e7(
    *,
    seed: int = 0,
    scale: float = 1.0,
    d: int = 5,
    n: int = 20,
    widths: tuple[int, ...] = (128, 512, 2048, 8192),
    steps: int = 1650,
    inits: int = 4,
    n_test: int = 50,
) -> ExperimentResult:
    rng = np.random.default_rng(derive_seed(seed, "E7"))
    inits = _reps(inits, scale, 1)
    x = simulate.unit_sphere(n, d, rng)
    xt = simulate.unit_sphere(n_test, d, rng)
    v = simulate.random_direction(d, 2.0, rng)
    y = np.sin(x @ v)
    # each distance is a random m^{-1/2} fluctuation: average over independent initialisations
    runs = []
    for m in widths:
        group = [asdict(ntk.train_lazy(x, y, xt, m, steps=steps, rng=rng)) for _ in range(inits)]
        runs.append({key: float(np.mean([g[key] for g in group])) for key in group[0]})
    logm = np.log(np.array(widths, dtype=np.float64))

    def slope(key: str) -> float:
        return float(np.polyfit(logm, np.log([r[key] for r in runs]), 1)[0])

    big = runs[-1]
    t_check = int(big["check_step"])
    gaps = [
        abs(r["train_residual"] - r["residual_linear_theory"]) / r["residual_linear_theory"] for r in runs
    ]
    checks = [
        Check(
            "slope of relative weight change vs width", -0.5, slope("rel_weight_change"), 0.0, 0.1, "range"
        ),
        Check("slope of rms |f - f_NTK| vs width", -0.5, slope("rms_diff_ntk"), 0.0, 0.1, "range"),
        Check(
            "slope of max |f - f_lin| vs width (<= -0.4)", -0.5, slope("max_diff_linearized"), 0.0, -0.4, "le"
        ),
        Check(
            f"relative gap of training residual at t={t_check} to the NTK prediction shrinks with width (1 = yes)",
            1.0,
            float(gaps[-1] < gaps[0]),
            0.0,
            0.0,
            "range",
        ),
        Check(
            f"training residual at t={t_check} <= exp(-eta lambda_min t) ||y||, m={widths[-1]}",
            big["residual_rate_bound"],
            big["train_residual"],
            0.0,
            big["residual_rate_bound"],
            "le",
        ),
    ]
    params = {
        "d": d,
        "n": n,
        "widths": list(widths),
        "steps": steps,
        "inits": inits,
        "step": "1/lambda_max(Theta)",
    }
    return ExperimentResult("E7", EXPERIMENTS["E7"][0], params, checks, {"runs": runs, "residual_gaps": gaps})
