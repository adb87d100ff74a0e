"""Γ-limit checks: the Monte Carlo loss of a fixed smooth embedding converges to its analytic limit.

For fixed φ and ε -> 0, K -> ∞ (spec section 1, main theorem)

.. math::

    L_{ε,K}[φ] \\to ⨍_M ⨍_{|v|=1} W(|dφ_x v|) + \\frac{λ}{64} |∇²φ_x(v, v)|² \\, dv \\, dvol.

Closed forms are known for the scaled inclusion φ = c·ι of these manifolds
(for isometric ι, ∇²ι(v, v) is the second fundamental form II(v, v)):

=====================  ==================================================
manifold               ⨍ |II(v, v)|² / 64
=====================  ==================================================
plane, S-curve (flat)  0 for the plane
unit-R sphere S²       1 / (64 R²)
Clifford torus in R⁴   ⨍ (cos⁴α + sin⁴α) / 64 = 3/256
cylinder radius R      ⨍ cos⁴α / (64 R²) = 3 / (512 R²)
Swiss roll             ⨍_s κ(s)² · (3/8) / 64, κ(t) = (2 + t²)/(1 + t²)^{3/2} (quadrature)
=====================  ==================================================

and the distortion density of c·ι tends to W(c).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core_utils import InputError
from flat_embed.losses import bending, distortion, get_w
from flat_embed.manifolds import Cylinder, FlatTorus, ParametricManifold, Plane, Sphere, SwissRoll

__all__ = ["GammaRow", "analytic_bending_density", "analytic_limit", "mc_convergence", "mc_loss"]


def analytic_bending_density(manifold: ParametricManifold) -> float:
    """⨍_M ⨍_{|v|=1} |II(v, v)|² / 64 of the (native) inclusion of ``manifold``.

    Raises
    ------
    InputError
        For manifolds without a closed form here.
    """
    if isinstance(manifold, Sphere):
        return 1.0 / (64 * manifold.radius**2)
    if isinstance(manifold, FlatTorus):
        return 3.0 / 256
    if isinstance(manifold, Cylinder):
        return 3.0 / (512 * manifold.radius**2)
    if isinstance(manifold, Plane):
        return 0.0
    if isinstance(manifold, SwissRoll):
        # II(v, v) = κ cos²α along the spiral direction; average over s (uniform) and α.
        s = np.linspace(manifold.lo[0], manifold.hi[0], 20001)
        t = SwissRoll.t_of_s(s)
        kappa2 = ((2 + t * t) / (1 + t * t) ** 1.5) ** 2
        return float(np.trapezoid(kappa2, s) / (s[-1] - s[0]) * (3 / 8) / 64)
    raise InputError(
        f"no closed-form Γ-limit for {manifold.name}; use sphere, torus, cylinder, plane or swiss-roll"
    )


def analytic_limit(
    manifold: ParametricManifold, *, scale: float = 1.0, lam: float = 1.0, w: str = "sq2"
) -> dict:
    """Γ-limit of the loss for φ = scale · inclusion: W(scale) + λ scale² ⨍|II|²/64."""
    b = scale**2 * analytic_bending_density(manifold)
    dist = float(get_w(w)(np.float64(scale)))
    return {"distortion": dist, "bending": b, "total": dist + lam * b}


def mc_loss(
    manifold: ParametricManifold,
    eps: float,
    n_pairs: int,
    *,
    scale: float = 1.0,
    lam: float = 1.0,
    w: str = "sq2",
    strategy: str = "sphere",
    stratified: bool = True,
    seed: int = 0,
    chunk: int = 100_000,
) -> dict[str, float]:
    """Monte Carlo loss L_{ε,K} of φ = scale · inclusion in float64, with standard errors.

    Pairs come from :class:`~flat_embed.pairs.PairSampler` on the native
    embedding (``scale`` multiplies the coordinates).
    """
    from flat_embed.pairs import PairSampler

    if n_pairs < 2:
        raise InputError(f"n_pairs must be >= 2, got {n_pairs}")
    rng = np.random.default_rng(seed)
    # inside=False: the closed-form limits integrate over all directions, so no
    # edge rejection (which would bias the directions near a boundary).
    sampler = PairSampler(manifold, strategy, stratified=stratified, inside=False)  # type: ignore[arg-type]
    emb = manifold._embed_native
    dists, bends = [], []
    for start in range(0, n_pairs, chunk):
        n = min(chunk, n_pairs - start)
        p, q, m, d = sampler.sample_params(n, eps, rng)
        zx, zy, zm = scale * emb(p), scale * emb(q), scale * emb(m)
        dists.append(distortion(zx, zy, d, w))
        bends.append(bending(zx, zy, zm, d))
    dv, bv = np.concatenate(dists), np.concatenate(bends)
    tv = dv + lam * bv
    k = len(tv)
    return {
        "distortion": float(dv.mean()),
        "bending": float(bv.mean()),
        "total": float(tv.mean()),
        "bending_stderr": float(bv.std(ddof=1) / np.sqrt(k)),
        "total_stderr": float(tv.std(ddof=1) / np.sqrt(k)),
    }


@dataclass
class GammaRow:
    """One (ε, K) cell of a convergence study."""

    eps: float
    n_pairs: int
    mc_bending: float
    mc_distortion: float
    mc_total: float
    stderr: float
    limit_total: float
    rel_error: float


def mc_convergence(
    manifold: ParametricManifold,
    eps_list: Sequence[float],
    n_pairs_list: Sequence[int],
    *,
    scale: float = 1.0,
    lam: float = 1.0,
    w: str = "sq2",
    stratified: bool = True,
    seed: int = 0,
) -> list[GammaRow]:
    """MC loss against the analytic Γ-limit over a grid of ε and K (spec section 3.5)."""
    if not eps_list or not n_pairs_list:
        raise InputError("eps_list and n_pairs_list must be non-empty")
    for e in eps_list:
        if not (np.isfinite(e) and 0 < e < manifold.diameter):
            raise InputError(f"eps must be in (0, {manifold.diameter:.4g}) for {manifold.name}, got {e}")
    limit = analytic_limit(manifold, scale=scale, lam=lam, w=w)
    rows = []
    for k in n_pairs_list:
        for e in eps_list:
            r = mc_loss(manifold, e, int(k), scale=scale, lam=lam, w=w, stratified=stratified, seed=seed)
            denom = abs(limit["total"]) or 1.0
            rows.append(
                GammaRow(
                    e,
                    int(k),
                    r["bending"],
                    r["distortion"],
                    r["total"],
                    r["total_stderr"],
                    limit["total"],
                    abs(r["total"] - limit["total"]) / denom,
                )
            )
    return rows
