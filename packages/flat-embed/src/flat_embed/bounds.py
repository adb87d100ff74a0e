"""Topological lower bounds of the loss on closed curves and the flat torus (spec section 3.6).

A compact manifold has no zero-loss embedding: a closed curve must bend. For a
closed curve C of length ℓ (e.g. the ``image-rotation`` family, ℓ = 2π·radius),
write R = ℓ / (2π) and μ = λ / (64 R²). The Γ-limit of the loss (spec section 1)
of an encoder φ, as a function of arc length θ on C, is

.. math::

    L[φ] = ⨍_C W(|φ'(θ)|) + \\frac{λ}{64} |φ''(θ)|² \\, dθ .

**Bound.** φ' is ℓ-periodic with zero mean, so Wirtinger's inequality gives
⨍|φ''|² ≥ R⁻² ⨍|φ'|², hence pointwise in θ

.. math::

    L[φ] ≥ ⨍_C W(|φ'|) + μ |φ'|² ≥ \\min_{s ≥ 0} \\big( W(s) + μ s² \\big) =: L_*(ℓ, λ, W).

**Attained.** Equality in Wirtinger's inequality needs φ' to be a pure first
harmonic, and equality in the pointwise step needs |φ'| ≡ s*, the minimiser:
together, φ is a round circle of radius s*·R traversed at constant speed s*.
For W(s) = (s² − 1)² (default): s*² = 1 − μ/2 and L_* = μ − μ²/4; for λ = 1 and
ℓ = 2π, L_* = 1/64 − 1/16384 = 0.01556396. An *isometric* φ (|φ'| ≡ 1) has
L ≥ μ = λ/64 (spec 3.6, the unit circle's value), the same bound Fenchel's
theorem and Cauchy–Schwarz give.

**Finite ε.** The bound is a statement about the limit functional. The Monte
Carlo loss at a fixed ε differs by O(ε²) for maps that are smooth on the scale ε
(:func:`round_circle_loss` gives the exact finite-ε value of the round circles),
but a map oscillating at the sampling scale can fool pairs of one fixed length:
a circle wound k times with k·ε/2 just below 2π looks nearly straight to
fixed-radius pairs (:func:`aliased_circle`). Pairs with random lengths (``ball``)
expose it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from core_utils import InputError
from flat_embed.losses import bending, distortion, get_w

__all__ = [
    "aliased_circle",
    "circle_bound_check",
    "circle_lower_bound",
    "curve_loss",
    "flat_torus_lower_bound",
    "round_circle_loss",
]


def _check_length(length: float) -> float:
    if not (np.isfinite(length) and length > 0):
        raise InputError(f"curve length must be a positive finite number, got {length}")
    return float(length)


def _min_over_speed(mu: float, w: str | Callable[[Any], Any]) -> tuple[float, float]:
    """(s*, min_s W(s) + μ s²)."""
    from scipy.optimize import minimize_scalar

    W = get_w(w)
    if w == "sq2":
        # (u − 1)² + μu with u = s², minimised at u = 1 − μ/2 (clipped at 0)
        u = max(1 - mu / 2, 0.0)
        return float(np.sqrt(u)), float((u - 1) ** 2 + mu * u)
    # W decreases on (0, 1) and the bending term grows, so the minimiser is in (0, 1]
    res = minimize_scalar(
        lambda s: float(W(np.float64(s))) + mu * s * s,
        bounds=(1e-9, 1.0),
        method="bounded",
        options={"xatol": 1e-12},
    )
    return float(res.x), float(res.fun)


def circle_lower_bound(
    length: float = 2 * np.pi, *, lam: float = 1.0, w: str | Callable[[Any], Any] = "sq2"
) -> dict[str, float]:
    """Infimum L_* of the limit loss over all encoders of a closed curve of length ``length``.

    Parameters
    ----------
    length : float
        Length ℓ of the closed curve in its Riemannian metric (2π·radius for ``image-rotation``).
    lam : float
        Bending weight λ.
    w : str or callable
        Distortion penalty W.

    Returns
    -------
    dict
        ``bound`` = min_s W(s) + μ s² with μ = λ/(64 R²), R = ℓ/2π; ``speed`` = the
        minimiser s*; ``radius`` = s*·R, the radius of the round circle attaining it;
        ``isometric`` = μ, the lower bound among isometric encoders (|φ'| ≡ 1);
        ``mu`` = μ.
    """
    R = _check_length(length) / (2 * np.pi)
    if not lam >= 0:
        raise InputError(f"lam must be >= 0, got {lam}")
    mu = lam / (64 * R * R)
    s, bound = _min_over_speed(mu, w)
    return {"bound": float(bound), "speed": s, "radius": s * R, "isometric": mu, "mu": mu}


def flat_torus_lower_bound(*, lam: float = 1.0, w: str | Callable[[Any], Any] = "sq2") -> dict[str, float]:
    """Infimum of the limit loss over all encoders of the flat torus R²/(2πZ)² (``torus``).

    With φ = Σ_k c_k e^{ik·x} (k ∈ Z²), averaging over unit directions v gives
    ⨍⨍|∂²_v φ|² = (3/8) Σ|c_k|²|k|⁴ ≥ (3/8) Σ|c_k|²|k|² = (3/4) ⨍⨍|∂_v φ|²
    (|k| ≥ 1 for k ≠ 0), hence L[φ] ≥ min_s W(s) + (3μ/4) s², μ = λ/64.
    Equality needs only |k| = 1 modes and |∂_v φ| ≡ s*: the Clifford torus
    (cos u, sin u, cos w, sin w) scaled by s*. For isometric φ the bound is
    3λ/256 (spec 3.6), the Clifford torus's value; the flat torus has no
    isometric C² embedding in R³ at all.

    Returns
    -------
    dict
        ``bound``, ``speed`` = s* (the optimal scale of the Clifford torus),
        ``isometric`` = 3λ/256.
    """
    if not lam >= 0:
        raise InputError(f"lam must be >= 0, got {lam}")
    mu = 0.75 * lam / 64
    s, bound = _min_over_speed(mu, w)
    return {"bound": bound, "speed": s, "isometric": mu, "mu": mu}


def round_circle_loss(
    radius: float,
    eps: float,
    length: float = 2 * np.pi,
    *,
    lam: float = 1.0,
    w: str | Callable[[Any], Any] = "sq2",
) -> dict[str, float]:
    """Exact loss of a round circle of ``radius`` traversed uniformly, for pairs at distance ``eps``.

    Every pair with d = ε on the curve of length ℓ spans the angle α = 2πε/ℓ, so
    the chord is 2r sin(α/2) and the midpoint defect r(1 − cos(α/2)): the
    fixed-radius Monte Carlo loss equals this value for any number of pairs.
    As ε -> 0 it tends to W(r/R) + λ r²/(64 R⁴) (R = ℓ/2π).
    """
    length = _check_length(length)
    if not (0 < eps < length / 2):
        raise InputError(f"eps must be in (0, {length / 2:.4g}), got {eps}")
    a = np.pi * eps / length  # half the subtended angle
    s = 2 * radius * np.sin(a) / eps
    dist = float(get_w(w)(np.float64(s)))
    bend = float((radius * (1 - np.cos(a))) ** 2 / eps**4)
    return {"distortion": dist, "bending": bend, "total": dist + lam * bend}


def curve_loss(
    phi: Callable[[np.ndarray], np.ndarray],
    length: float,
    eps: float,
    n_pairs: int,
    *,
    lam: float = 1.0,
    w: str | Callable[[Any], Any] = "sq2",
    strategy: str = "sphere",
    seed: int = 0,
    chunk: int = 2000,
) -> dict[str, float]:
    """Monte Carlo loss of a map φ on a closed curve of length ``length`` (float64).

    Parameters
    ----------
    phi : callable
        Maps arc-length parameters θ of shape (n, 1) to latent rows (n, l), e.g.
        ``lambda t: est.transform(manifold.embed(t))``.
    length : float
        Length ℓ of the curve (θ is taken modulo ℓ).
    eps : float
        Pair distance (``sphere``: d = ε) or its maximum (``ball``: d uniform in (0, ε]).
    n_pairs : int
        Number of pairs K; the centres θ are stratified over the curve.
    strategy : {"sphere", "ball"}
    seed : int
    chunk : int
        Pairs per call of ``phi``.

    Returns
    -------
    dict
        ``distortion``, ``bending`` (without λ), ``total`` and ``total_stderr``.
    """
    length = _check_length(length)
    if not (0 < eps < length / 2):
        raise InputError(f"eps must be in (0, {length / 2:.4g}), got {eps}")
    if n_pairs < 2:
        raise InputError(f"n_pairs must be >= 2, got {n_pairs}")
    if strategy not in ("sphere", "ball"):
        raise InputError(f"strategy must be 'sphere' or 'ball', got {strategy!r}")
    rng = np.random.default_rng(seed)
    centre = (np.arange(n_pairs) + rng.uniform(size=n_pairs)) * (length / n_pairs)
    d = np.full(n_pairs, float(eps)) if strategy == "sphere" else eps * (1 - rng.uniform(size=n_pairs))
    dists, bends = [], []
    for s in range(0, n_pairs, chunk):
        c, dd = centre[s : s + chunk], d[s : s + chunk]
        k = len(c)
        th = np.concatenate([c - dd / 2, c + dd / 2, c]) % length
        z = np.asarray(phi(th[:, None]), dtype=np.float64)
        if z.ndim != 2 or len(z) != 3 * k:
            raise InputError(f"phi must map (n, 1) parameters to (n, l) rows, got shape {z.shape}")
        dists.append(distortion(z[:k], z[k : 2 * k], dd, w))
        bends.append(bending(z[:k], z[k : 2 * k], z[2 * k :], dd))
    dv, bv = np.concatenate(dists), np.concatenate(bends)
    tv = dv + lam * bv
    return {
        "distortion": float(dv.mean()),
        "bending": float(bv.mean()),
        "total": float(tv.mean()),
        "total_stderr": float(tv.std(ddof=1) / np.sqrt(len(tv))),
    }


def circle_bound_check(
    phi: Callable[[np.ndarray], np.ndarray],
    length: float = 2 * np.pi,
    *,
    eps: float | None = None,
    n_pairs: int = 4000,
    lam: float = 1.0,
    w: str | Callable[[Any], Any] = "sq2",
    seed: int = 0,
) -> dict[str, float]:
    """Loss of an encoder on a closed curve against the topological bound L_*.

    ``eps`` defaults to ℓ/200 (O(ε²) finite-ε effects of relative size ~1e-5
    for smooth maps). Returns the Monte Carlo loss parts, the bound, the loss of
    the optimal round circle at the same ε (:func:`round_circle_loss`), and
    ``excess`` = loss / bound − 1 (>= 0 up to O(ε²) and Monte Carlo error for
    smooth maps; 0 only for the optimal round circle).
    """
    length = _check_length(length)
    eps = length / 200 if eps is None else eps
    b = circle_lower_bound(length, lam=lam, w=w)
    r = curve_loss(phi, length, eps, n_pairs, lam=lam, w=w, seed=seed)
    ref = round_circle_loss(b["radius"], eps, length, lam=lam, w=w)
    return {
        **r,
        "eps": float(eps),
        "bound": b["bound"],
        "isometric_bound": b["isometric"],
        "round_circle_at_eps": ref["total"],
        "excess": r["total"] / b["bound"] - 1 if b["bound"] > 0 else float("inf"),
    }


def aliased_circle(k: int, delta: float, length: float = 2 * np.pi) -> tuple[Callable, float]:
    """A circle wound ``k`` times that fixed-radius pairs at the returned ε cannot see bend.

    ε is chosen so that half a pair (ε/2 of arc) spans the angle 2π − δ of the
    winding circle: the chord is 2r sin δ (set to ε, so W = 0) and the midpoint
    defect r(1 − cos δ), so the fixed-radius loss is λ tan²(δ/2)/(4ε²), far below
    L_* for small δ, while the limit loss (and the loss on ball-sampled pairs) is large.

    Returns
    -------
    phi, eps
        The map θ -> r(cos kθ', sin kθ') (θ' = 2πθ/ℓ) and the pair distance ε.
    """
    length = _check_length(length)
    if k < 2 or not 0 < delta < np.pi / 2:
        raise InputError(f"need k >= 2 windings and 0 < delta < pi/2, got k={k}, delta={delta}")
    eps = 2 * (2 * np.pi - delta) / k * length / (2 * np.pi)
    r = eps / (2 * np.sin(delta))

    def phi(t: np.ndarray) -> np.ndarray:
        u = 2 * np.pi * k * np.asarray(t, dtype=np.float64)[:, 0] / length
        return r * np.stack([np.cos(u), np.sin(u)], axis=1)

    return phi, float(eps)
