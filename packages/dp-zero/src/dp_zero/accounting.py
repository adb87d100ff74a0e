"""Privacy accounting for the Poisson-subsampled Gaussian mechanism (spec section 1, step 8).

The default accountant is Rényi DP (RDP) of the sampled Gaussian mechanism, implemented here from
Mironov, Talwar and Zhang, "Rényi Differential Privacy of the Sampled Gaussian Mechanism" (2019),
with the RDP -> (epsilon, delta) conversion of Balle et al. (2020, Theorem 21), the same conversion
and order grid Opacus uses, so the numbers agree with ``opacus.accountants.RDPAccountant``.

The PRV accountant (Gopi, Lee and Wutschitz, 2021) is offered through Opacus (``'prv'``) and, as
the official engine's ``'glw'`` mode, through the authors' ``prv-accountant`` package, which also
composes segments with different ``(sigma, q)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from core_utils import InputError

#: Rényi orders searched for the tightest epsilon (Opacus' ``DEFAULT_ALPHAS``).
DEFAULT_ALPHAS: tuple[float, ...] = tuple([1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64)))

ACCOUNTANTS: dict[str, Callable[..., float]] = {}


def register_accountant(name: str) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Register an epsilon function ``f(q, sigma, steps, delta) -> epsilon`` under ``name``."""

    def deco(fn: Callable[..., float]) -> Callable[..., float]:
        if name in ACCOUNTANTS:
            raise ValueError(f"accountant {name!r} is already registered")
        ACCOUNTANTS[name] = fn
        return fn

    return deco


def _log_add(a: float, b: float) -> float:
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    hi, lo = max(a, b), min(a, b)
    return hi + math.log1p(math.exp(lo - hi))


def _log_sub(a: float, b: float) -> float:
    if a < b:
        raise ValueError("log_sub needs a >= b")
    if b == -np.inf:
        return a
    if a == b:
        return -np.inf
    try:
        return math.log(math.expm1(a - b)) + b
    except OverflowError:
        return a


def _log_a_int(q: float, sigma: float, alpha: int) -> float:
    """log A_alpha for integer alpha: binomial expansion (Mironov et al. 2019, Section 3.3)."""
    log_a = -np.inf
    for i in range(alpha + 1):
        log_coef_i = math.log(special.binom(alpha, i)) + i * math.log(q) + (alpha - i) * math.log(1 - q)
        s = log_coef_i + (i * i - i) / (2 * (sigma**2))
        log_a = _log_add(log_a, s)
    return float(log_a)


def _log_a_frac(q: float, sigma: float, alpha: float) -> float:
    """log A_alpha for fractional alpha: the two-series expansion (Mironov et al. 2019, Section 3.3).

    The series terms are evaluated vectorised up to the first index whose terms both fall below
    ``e^-30`` (the stopping rule of the reference implementation); positive and negative terms
    are summed separately in log space.
    """
    z0 = sigma**2 * math.log(1 / q - 1) + 0.5
    n = 64
    while True:
        i = np.arange(n, dtype=float)
        coef = special.binom(alpha, i)
        log_coef = np.log(np.abs(coef))
        j = alpha - i
        log_t0 = log_coef + i * math.log(q) + j * math.log(1 - q)
        log_t1 = log_coef + j * math.log(q) + i * math.log(1 - q)
        log_e0 = math.log(0.5) + math.log(2) + special.log_ndtr(-(i - z0) / sigma)
        log_e1 = math.log(0.5) + math.log(2) + special.log_ndtr(-(z0 - j) / sigma)
        log_s0 = log_t0 + (i * i - i) / (2 * sigma**2) + log_e0
        log_s1 = log_t1 + (j * j - j) / (2 * sigma**2) + log_e1
        below = np.flatnonzero(np.maximum(log_s0, log_s1) < -30)
        if below.size:
            stop = int(below[0]) + 1
            break
        n *= 2
    pos = coef[:stop] > 0

    def signed(log_s: np.ndarray) -> float:
        plus = special.logsumexp(log_s[:stop][pos]) if pos.any() else -np.inf
        minus = special.logsumexp(log_s[:stop][~pos]) if (~pos).any() else -np.inf
        return _log_sub(float(plus), float(minus))

    return _log_add(signed(log_s0), signed(log_s1))


def rdp_sampled_gaussian(q: float, sigma: float, alpha: float) -> float:
    """RDP of order ``alpha`` of one step of the Poisson-subsampled Gaussian mechanism.

    ``RDP(alpha) = log(A_alpha) / (alpha - 1)`` with ``A_alpha`` of Mironov et al. (2019), eq. (3);
    ``q = 1`` is the plain Gaussian mechanism, ``alpha / (2 sigma^2)``.
    """
    if q == 0:
        return 0.0
    if sigma == 0:
        return math.inf
    if q == 1.0:
        return alpha / (2 * sigma**2)
    if math.isinf(alpha):
        return math.inf
    log_a = _log_a_int(q, sigma, int(alpha)) if float(alpha).is_integer() else _log_a_frac(q, sigma, alpha)
    return log_a / (alpha - 1)


def rdp_to_epsilon(orders: Sequence[float], rdp: Sequence[float], delta: float) -> tuple[float, float]:
    """Best (epsilon, order) from an RDP curve (Balle et al. 2020, Theorem 21).

    ``eps = rdp - (log(delta) + log(alpha)) / (alpha - 1) + log((alpha - 1) / alpha)``.
    """
    orders_vec = np.atleast_1d(np.asarray(orders, dtype=float))
    rdp_vec = np.atleast_1d(np.asarray(rdp, dtype=float))
    eps = (
        rdp_vec
        - (np.log(delta) + np.log(orders_vec)) / (orders_vec - 1)
        + np.log((orders_vec - 1) / orders_vec)
    )
    if np.isnan(eps).all():
        return math.inf, math.nan
    idx = int(np.nanargmin(eps))
    return float(max(eps[idx], 0.0)), float(orders_vec[idx])


def _check(q: float, sigma: float, steps: int, delta: float) -> None:
    if not 0 < q <= 1:
        raise InputError(f"sample rate q must be in (0, 1], got {q}")
    if sigma < 0:
        raise InputError(f"noise multiplier sigma must be >= 0, got {sigma}")
    if steps < 0:
        raise InputError(f"steps must be >= 0, got {steps}")
    if not 0 < delta < 1:
        raise InputError(f"delta must be in (0, 1), got {delta}")


@register_accountant("rdp")
def rdp_epsilon(
    q: float, sigma: float, steps: int, delta: float, *, alphas: Sequence[float] = DEFAULT_ALPHAS
) -> float:
    """Epsilon after ``steps`` compositions of the sampled Gaussian (RDP accountant)."""
    _check(q, sigma, steps, delta)
    if steps == 0:
        return 0.0
    rdp = [steps * rdp_sampled_gaussian(q, sigma, a) for a in alphas]
    return rdp_to_epsilon(alphas, rdp, delta)[0]


@register_accountant("prv")
def prv_epsilon(q: float, sigma: float, steps: int, delta: float) -> float:
    """Epsilon from the PRV accountant (Gopi et al. 2021) via Opacus (optional dependency)."""
    _check(q, sigma, steps, delta)
    if steps == 0:
        return 0.0
    try:
        from opacus.accountants import PRVAccountant
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError("the 'prv' accountant needs opacus: pip install 'dp-zero[opacus]'") from None
    acc = PRVAccountant()
    acc.history = [(sigma, q, steps)]
    with warnings.catch_warnings():
        # the PRV accountant bounds its domain with an internal RDP pass that warns when its best
        # order is at the edge of its grid; the bound stays valid, only less tight
        warnings.filterwarnings("ignore", message="Optimal order is the", category=UserWarning)
        return float(acc.get_epsilon(delta=delta))


def glw_epsilon_history(history: Sequence[tuple[float, float, int]], delta: float) -> float:
    """Epsilon of a composition of Poisson-subsampled Gaussian segments ``(sigma, q, steps)`` by
    numerical composition of privacy random variables (Gopi, Lee and Wutschitz, "Numerical
    composition of differential privacy", NeurIPS 2021; the official engine's ``'glw'`` mode).

    Uses the authors' ``prv-accountant`` package (optional dependency) with Opacus' PRV error
    budget (``eps_error = 0.01``, ``delta_error = delta / 1000``) and returns the certified upper
    bound of the epsilon interval, so the reported epsilon is never an underestimate.
    """
    segments = [(float(s), float(q), int(k)) for s, q, k in history if int(k) > 0]
    for s, q, k in segments:
        _check(q, s, k, delta)
    if not segments:
        return 0.0
    try:
        from prv_accountant import PoissonSubsampledGaussianMechanism, PRVAccountant
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError("the 'glw' accountant needs prv-accountant: pip install 'dp-zero[glw]'") from None
    prvs = [
        PoissonSubsampledGaussianMechanism(sampling_probability=q, noise_multiplier=s) for s, q, _ in segments
    ]
    steps = [k for _, _, k in segments]
    acc = PRVAccountant(prvs=prvs, max_self_compositions=steps, eps_error=0.01, delta_error=delta / 1000)
    _, _, eps_upper = acc.compute_epsilon(delta=delta, num_self_compositions=steps)
    return float(eps_upper)


@register_accountant("glw")
def glw_epsilon(q: float, sigma: float, steps: int, delta: float) -> float:
    """Epsilon from GLW numerical composition (see :func:`glw_epsilon_history`)."""
    _check(q, sigma, steps, delta)
    return glw_epsilon_history([(sigma, q, steps)], delta)


def get_epsilon(q: float, sigma: float, steps: int, delta: float, accounting: str = "rdp") -> float:
    """Epsilon spent after ``steps`` steps at sample rate ``q`` and noise multiplier ``sigma``."""
    if accounting not in ACCOUNTANTS:
        raise InputError(f"accounting must be one of {', '.join(ACCOUNTANTS)}, got {accounting!r}")
    return ACCOUNTANTS[accounting](q, sigma, steps, delta)


def get_noise_multiplier(
    target_epsilon: float,
    delta: float,
    q: float,
    *,
    epochs: float | None = None,
    steps: int | None = None,
    accounting: str = "rdp",
    epsilon_tolerance: float = 0.01,
) -> float:
    """Smallest sigma whose epsilon after the run is at most ``target_epsilon`` (bisection).

    Mirrors ``opacus.accountants.utils.get_noise_multiplier``: ``steps = int(epochs / q)`` when
    ``epochs`` is given; the bisection stops when the bracket's epsilon is within tolerance.
    """
    if target_epsilon <= 0:
        raise InputError(f"target epsilon must be > 0, got {target_epsilon}")
    if (epochs is None) == (steps is None):
        raise InputError("give exactly one of epochs or steps")
    if epochs is not None:
        if epochs <= 0:
            raise InputError(f"epochs must be > 0, got {epochs}")
        steps = int(epochs / q)
    assert steps is not None
    _check(q, 1.0, steps, delta)
    lo, hi = 0.0, 10.0
    eps_hi = math.inf
    while eps_hi > target_epsilon:
        hi *= 2
        eps_hi = get_epsilon(q, hi, steps, delta, accounting)
        if hi > 2**25:
            raise InputError(f"target epsilon {target_epsilon} is unreachable for delta {delta}")
    while target_epsilon - eps_hi > epsilon_tolerance:
        mid = (lo + hi) / 2
        eps = get_epsilon(q, mid, steps, delta, accounting)
        if eps < target_epsilon:
            hi, eps_hi = mid, eps
        else:
            lo = mid
    return hi


@dataclass
class PrivacyAccountant:
    """Running account of a training run: a history of ``(sigma, q, steps)`` segments.

    Every optimizer step is counted, including those an fp16 overflow skipped (they still
    touched the data).
    """

    accounting: str = "rdp"
    history: list[tuple[float, float, int]] = field(default_factory=list)

    def step(self, *, noise_multiplier: float, sample_rate: float, n: int = 1) -> None:
        """Record ``n`` steps at ``(noise_multiplier, sample_rate)``."""
        if self.history and self.history[-1][:2] == (noise_multiplier, sample_rate):
            s, q, k = self.history[-1]
            self.history[-1] = (s, q, k + n)
        else:
            self.history.append((noise_multiplier, sample_rate, n))

    @property
    def steps(self) -> int:
        return sum(k for _, _, k in self.history)

    def get_epsilon(self, delta: float) -> float:
        """Epsilon of the whole history (RDP curves add across segments)."""
        if not self.history:
            return 0.0
        if self.accounting == "glw":  # composes heterogeneous segments numerically
            return glw_epsilon_history(self.history, delta)
        if len(self.history) == 1 or self.accounting != "rdp":
            if len(self.history) > 1:
                raise InputError("the PRV option accounts a single (sigma, q) segment only: use rdp or glw")
            sigma, q, k = self.history[0]
            return get_epsilon(q, sigma, k, delta, self.accounting)
        total = np.zeros(len(DEFAULT_ALPHAS))
        for sigma, q, k in self.history:
            total += [k * rdp_sampled_gaussian(q, sigma, a) for a in DEFAULT_ALPHAS]
        return rdp_to_epsilon(DEFAULT_ALPHAS, total, delta)[0]

    def state_dict(self) -> dict:
        return {"accounting": self.accounting, "history": [list(h) for h in self.history]}

    def load_state_dict(self, state: dict) -> None:
        self.accounting = state["accounting"]
        self.history = [(float(s), float(q), int(k)) for s, q, k in state["history"]]
