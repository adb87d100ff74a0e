"""Compute axes: raw training FLOP (6ND) and Chinchilla "scaled compute".

Owen (2024) places every model on a single compute axis. Two are offered:

* ``train_flop(N, D) = 6 N D`` — the usual dense-transformer training cost.
* ``ChinchillaLaw.scaled_compute(N, D)`` — the compute ``C*`` whose compute-optimal
  allocation reaches the same Chinchilla loss ``L(N, D) = E + A/N^alpha + B/D^beta``
  (Hoffmann et al. 2022, eq. 10 and appendix D.2). Models trained off the optimal
  tokens-per-parameter ratio get ``C* <= 6ND``.

Closed form (spec §1, step 1). With ``G = (alpha A / (beta B))^(1/(alpha+beta))`` the
compute-optimal allocation is ``N_opt = G (C/6)^(beta/(alpha+beta))`` and
``D_opt = C / (6 N_opt)``; substituting gives ``L_opt(C) - E = K (C/6)^(-gamma)`` with
``K = A G^-alpha + B G^beta`` and ``gamma = alpha beta / (alpha + beta)``. Hence

    C* = 6 ((L - E) / K)^(-1/gamma)

with no root finding. The alternative "20 tokens per parameter" rule replaces the optimal
allocation by ``D = 20 N``: ``C* = 6 * 20 * N'^2`` where ``L(N', 20 N') = L(N, D)``; that one
needs a (vectorised, monotone) root finding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core_utils import InputError

__all__ = [
    "HOFFMANN_2022",
    "ChinchillaLaw",
    "train_flop",
    "compute_axis",
]


def _positive(name: str, value: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=float)
    bad = ~(np.isfinite(arr) & (arr > 0))
    if np.any(bad):
        idx = np.flatnonzero(np.atleast_1d(bad))[0]
        raise InputError(
            f"{name} must be positive and finite, got {np.atleast_1d(arr)[idx]!r} at index {idx}"
        )
    return arr


def train_flop(n_params: ArrayLike, n_tokens: ArrayLike) -> NDArray[np.float64]:
    """Training compute ``C = 6 N D`` in FLOP (Kaplan et al. 2020, eq. 2.1).

    Parameters
    ----------
    n_params, n_tokens : array_like
        Parameter count N and training tokens D (both > 0).
    """
    return 6.0 * _positive("params", n_params) * _positive("tokens", n_tokens)


@dataclass(frozen=True)
class ChinchillaLaw:
    """Chinchilla loss ``L(N, D) = E + A / N^alpha + B / D^beta`` and its scaled compute.

    Parameters
    ----------
    E, A, B, alpha, beta : float
        Defaults are Hoffmann et al. (2022), approach 3 (eq. 10): E = 1.69, A = 406.4,
        B = 410.7, alpha = 0.34, beta = 0.28. That Owen (2024) used exactly these is not
        verified against the paper.
    tokens_per_param : float or None
        ``None`` (default): scaled compute uses the law's own compute-optimal allocation
        (closed form). A number r: the allocation ``D = r N`` is taken as "optimal" instead,
        i.e. ``C* = 6 r N'^2`` with ``L(N', r N') = L(N, D)`` (the ``D ~ 20 N`` convention).
    """

    E: float = 1.69
    A: float = 406.4
    B: float = 410.7
    alpha: float = 0.34
    beta: float = 0.28
    tokens_per_param: float | None = None

    def __post_init__(self) -> None:
        for name in ("A", "B", "alpha", "beta"):
            if not getattr(self, name) > 0:
                raise InputError(f"ChinchillaLaw.{name} must be > 0, got {getattr(self, name)!r}")
        if self.E < 0:
            raise InputError(f"ChinchillaLaw.E must be >= 0, got {self.E!r}")
        if self.tokens_per_param is not None and not self.tokens_per_param > 0:
            raise InputError(f"tokens_per_param must be > 0, got {self.tokens_per_param!r}")

    # -- constants of the closed form -------------------------------------------------
    @property
    def G(self) -> float:
        """``G = (alpha A / (beta B))^(1/(alpha+beta))`` (1.3447 for the defaults)."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    @property
    def gamma(self) -> float:
        """``gamma = alpha beta / (alpha + beta)`` (0.15355 for the defaults)."""
        return self.alpha * self.beta / (self.alpha + self.beta)

    @property
    def K(self) -> float:
        """``K = A G^-alpha + B G^beta`` (813.68 for the defaults)."""
        return self.A * self.G ** (-self.alpha) + self.B * self.G**self.beta

    # -- the law -------------------------------------------------------------------
    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> NDArray[np.float64]:
        """``L(N, D) = E + A N^-alpha + B D^-beta`` (Hoffmann et al. 2022, eq. 2)."""
        return self.E + self.reducible_loss(n_params, n_tokens)

    def reducible_loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> NDArray[np.float64]:
        """``L(N, D) - E``."""
        n = _positive("params", n_params)
        d = _positive("tokens", n_tokens)
        return self.A * n ** (-self.alpha) + self.B * d ** (-self.beta)

    def optimal_allocation(self, compute: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Compute-optimal ``(N_opt, D_opt)`` for budget C = 6ND (Hoffmann et al. 2022, eq. 4).

        ``N_opt = G (C/6)^(beta/(alpha+beta))``, ``D_opt = C / (6 N_opt)``.
        """
        c = _positive("compute", compute)
        n_opt = self.G * (c / 6.0) ** (self.beta / (self.alpha + self.beta))
        return n_opt, c / (6.0 * n_opt)

    def optimal_loss(self, compute: ArrayLike) -> NDArray[np.float64]:
        """``L_opt(C) = E + K (C/6)^-gamma``."""
        c = _positive("compute", compute)
        return self.E + self.K * (c / 6.0) ** (-self.gamma)

    def compute_for_loss(self, loss: ArrayLike) -> NDArray[np.float64]:
        """Inverse of :meth:`optimal_loss`: ``C* = 6 ((L - E) / K)^(-1/gamma)``.

        Raises
        ------
        InputError
            If some ``L <= E`` (no finite compute reaches it).
        """
        loss = np.asarray(loss, dtype=float)
        red = loss - self.E
        if np.any(~np.isfinite(red) | (red <= 0)):
            idx = int(np.flatnonzero(np.atleast_1d(~np.isfinite(red) | (red <= 0)))[0])
            raise InputError(
                f"loss must exceed the irreducible loss E = {self.E} for scaled compute; "
                f"got {np.atleast_1d(loss)[idx]!r} at index {idx}"
            )
        if self.tokens_per_param is None:
            return 6.0 * (red / self.K) ** (-1.0 / self.gamma)
        n_prime = self._params_on_ratio(red)
        return 6.0 * self.tokens_per_param * n_prime**2

    def scaled_compute(self, n_params: ArrayLike, n_tokens: ArrayLike) -> NDArray[np.float64]:
        """Scaled compute ``C*(N, D)``: compute-optimal budget with the same loss (spec §1).

        For the default (``tokens_per_param=None``) this is the closed form
        ``6 ((L(N, D) - E) / K)^(-1/gamma)``, which satisfies ``C* <= 6ND`` with equality
        exactly on the optimal allocation.
        """
        return self.compute_for_loss(self.loss(n_params, n_tokens))

    def _params_on_ratio(self, red: NDArray[np.float64]) -> NDArray[np.float64]:
        """Solve ``A N^-alpha + B (r N)^-beta = red`` for N (monotone decreasing in N).

        Vectorised bisection in log N (60 halvings of a 1e-3..1e30 bracket: relative error
        below 1e-15 in log space).
        """
        r = float(self.tokens_per_param)  # type: ignore[arg-type]
        lo = np.full(red.shape, np.log(1e-3))
        hi = np.full(red.shape, np.log(1e30))

        def f(logn: NDArray[np.float64]) -> NDArray[np.float64]:
            n = np.exp(logn)
            return self.A * n ** (-self.alpha) + self.B * (r * n) ** (-self.beta) - red

        for _ in range(200):
            mid = 0.5 * (lo + hi)
            pos = f(mid) > 0  # loss still too high: need a larger model
            lo = np.where(pos, mid, lo)
            hi = np.where(pos, hi, mid)
            if np.all(hi - lo < 1e-13):
                break
        return np.exp(0.5 * (lo + hi))


HOFFMANN_2022 = ChinchillaLaw()
"""Hoffmann et al. (2022) approach-3 constants with the law's own optimal allocation."""

TOKENS_PER_PARAM_20 = ChinchillaLaw(tokens_per_param=20.0)
"""The same loss law, but "optimal" means D = 20 N (C* = 120 N'^2)."""

__all__ += ["TOKENS_PER_PARAM_20"]


def compute_axis(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    axis: str = "flop",
    law: ChinchillaLaw = HOFFMANN_2022,
) -> NDArray[np.float64]:
    """``log10`` of the chosen compute axis: ``"flop"`` (6ND) or ``"scaled"`` (C*)."""
    if axis == "flop":
        return np.log10(train_flop(n_params, n_tokens))
    if axis == "scaled":
        return np.log10(law.scaled_compute(n_params, n_tokens))
    raise InputError(f"axis must be 'flop' or 'scaled', got {axis!r}")
