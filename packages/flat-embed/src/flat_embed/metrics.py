"""Quality metrics of an embedding (spec sections 3 and 5).

All latent comparisons go through Procrustes alignment: the loss is invariant
to latent rotations, reflections and translations, so raw coordinates are not
comparable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core_utils import InputError
from flat_embed.losses import bending, distortion
from flat_embed.manifolds import ParametricManifold
from flat_embed.pairs import PairBatch

__all__ = [
    "Embedder",
    "distortion_stats",
    "InterpolationSet",
    "interpolation_error",
    "interpolation_error_latent",
    "interpolation_set",
    "loss_on_pairs",
    "procrustes_error",
    "trustworthiness",
]

Embedder = Callable[[np.ndarray], np.ndarray]


def procrustes_error(Z: np.ndarray, U: np.ndarray, *, scale: bool = False) -> float:
    """Relative RMS error of Z against ground-truth U after the best rigid alignment.

    ``min_{R orthogonal, b (, c)} ‖c Z R + b − U‖_F / ‖U − mean(U)‖_F`` with c = 1
    (isometry: the default) or a free scale c (``scale=True``, for methods with
    no metric scale).
    """
    from scipy.linalg import orthogonal_procrustes

    Z = np.asarray(Z, dtype=np.float64)
    U = np.asarray(U, dtype=np.float64)
    if Z.ndim != 2 or U.ndim != 2 or len(Z) != len(U):
        raise InputError(
            f"procrustes_error: Z and U must be (n, .) arrays with equal n, got {Z.shape}, {U.shape}"
        )
    if Z.shape[1] < U.shape[1]:
        Z = np.pad(Z, ((0, 0), (0, U.shape[1] - Z.shape[1])))
    Zc = Z - Z.mean(0)
    Uc = U - U.mean(0)
    if Zc.shape[1] > Uc.shape[1]:
        Uc = np.pad(Uc, ((0, 0), (0, Zc.shape[1] - Uc.shape[1])))
    R, sv = orthogonal_procrustes(Zc, Uc)
    c = sv / max((Zc**2).sum(), 1e-300) if scale else 1.0
    res = c * Zc @ R - Uc
    return float(np.sqrt((res**2).sum() / (Uc**2).sum()))


def distortion_stats(zx: np.ndarray, zy: np.ndarray, d: np.ndarray) -> dict[str, float]:
    """Statistics of the local stretch ratio s = |φ(x) − φ(y)| / d over pairs."""
    s = np.linalg.norm(zx - zy, axis=1) / d
    dev = np.abs(s - 1)
    return {
        "ratio_median": float(np.median(s)),
        "ratio_p05": float(np.percentile(s, 5)),
        "ratio_p95": float(np.percentile(s, 95)),
        "abs_dev_mean": float(dev.mean()),
        "abs_dev_p95": float(np.percentile(dev, 95)),
    }


def loss_on_pairs(phi: Embedder, pairs: PairBatch, lam: float = 1.0, w: str = "sq2") -> dict[str, float]:
    """Mean distortion, bending and total loss of ``phi`` on fixed pairs (numpy, float64)."""
    zx, zy, zm = phi(pairs.x), phi(pairs.y), phi(pairs.mid)
    dist = float(np.mean(distortion(zx, zy, pairs.d, w)))
    bend = float(np.mean(bending(zx, zy, zm, pairs.d)))
    return {"distortion": dist, "bending": bend, "total": dist + lam * bend}


@dataclass
class InterpolationSet:
    """Geodesic test pairs with intermediate points γ(t), in ambient coordinates."""

    x: np.ndarray
    y: np.ndarray
    xt: list[np.ndarray]
    ts: tuple[float, ...]
    d: np.ndarray
    params: tuple[np.ndarray, ...]

    def all_points(self) -> np.ndarray:
        """x, y and every γ(t) stacked (for methods that embed a fixed point set)."""
        return np.concatenate([self.x, self.y, *self.xt])

    def split(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """Inverse of :meth:`all_points` on latent rows."""
        n = len(self.x)
        parts = [Z[i * n : (i + 1) * n] for i in range(2 + len(self.ts))]
        return parts[0], parts[1], parts[2:]


def interpolation_set(
    manifold: ParametricManifold,
    *,
    n: int = 500,
    separation: tuple[float, float] | None = None,
    ts: Sequence[float] = (0.25, 0.5, 0.75),
    seed: int = 0,
) -> InterpolationSet:
    """``n`` geodesic pairs at separation in ``separation`` (default 0.1–0.25 of the diameter)."""
    from flat_embed.pairs import PairSampler

    rng = np.random.default_rng(seed)
    lo, hi = separation or (0.1 * manifold.diameter, 0.25 * manifold.diameter)
    if not 0 < lo <= hi:
        raise InputError(f"separation must satisfy 0 < lo <= hi, got {(lo, hi)}")
    sampler = PairSampler(manifold)
    p = manifold.sample_params(n, rng)
    r = rng.uniform(lo, hi, n)
    q = manifold.exp(p, r[:, None] * sampler._directions(n, rng))
    for _ in range(100):  # keep both ends (hence the geodesic, on convex boxes) inside the domain
        bad = ~manifold.contains(q)
        if not bad.any():
            break
        k = int(bad.sum())
        p[bad] = manifold.sample_params(k, rng)
        q[bad] = manifold.exp(p[bad], r[bad, None] * sampler._directions(k, rng))
    else:
        raise InputError(f"separation {(lo, hi)} is too large for the domain of {manifold.name}")
    d = manifold.distance(p, q)
    pts = [manifold.geodesic(p, q, t) for t in ts]
    return InterpolationSet(
        manifold.embed(p),
        manifold.embed(q),
        [manifold.embed(g) for g in pts],
        tuple(float(t) for t in ts),
        d,
        (p, q, *pts),
    )


def interpolation_error_latent(
    zx: np.ndarray,
    zy: np.ndarray,
    zts: Sequence[np.ndarray],
    ts: Sequence[float],
    d: np.ndarray | None = None,
) -> dict[str, float]:
    """‖φ(γ(t)) − ((1−t)φ(x) + tφ(y))‖ / ‖φ(x) − φ(y)‖ (or / d when ``d`` is given)."""
    denom = np.linalg.norm(zx - zy, axis=1) if d is None else d
    out: dict[str, float] = {}
    errs = []
    for t, zt in zip(ts, zts):
        e = np.linalg.norm(zt - ((1 - t) * zx + t * zy), axis=1) / np.maximum(denom, 1e-300)
        out[f"t{t:g}_mean"] = float(e.mean())
        errs.append(e)
    allerr = np.concatenate(errs)
    out["mean"] = float(allerr.mean())
    out["p95"] = float(np.percentile(allerr, 95))
    return out


def interpolation_error(
    phi: Embedder,
    manifold: ParametricManifold,
    *,
    n: int = 500,
    separation: tuple[float, float] | None = None,
    ts: Sequence[float] = (0.25, 0.5, 0.75),
    seed: int = 0,
    relative_to: str = "latent",
) -> dict[str, float]:
    """Linear latent interpolation against geodesic interpolation (spec section 3.7).

    For pairs at geodesic separation in ``separation`` (default: 0.1–0.25 of the
    manifold diameter) and t in ``ts``, the error is
    ‖φ(γ(t)) − ((1−t)φ(x) + tφ(y))‖ divided by ‖φ(x) − φ(y)‖ (``relative_to="latent"``,
    scale-free, fair to methods without a metric scale) or by d (``"distance"``).

    Returns mean and 95th percentile, overall and per t.
    """
    if relative_to not in ("latent", "distance"):
        raise InputError(f"relative_to must be 'latent' or 'distance', got {relative_to!r}")
    s = interpolation_set(manifold, n=n, separation=separation, ts=ts, seed=seed)
    return interpolation_error_latent(
        phi(s.x), phi(s.y), [phi(x) for x in s.xt], s.ts, s.d if relative_to == "distance" else None
    )


def trustworthiness(X: np.ndarray, Z: np.ndarray, n_neighbors: int = 10) -> float:
    """scikit-learn's trustworthiness of the embedding Z of X (1 = neighbourhoods kept)."""
    from sklearn.manifold import trustworthiness as _tw

    return float(_tw(X, Z, n_neighbors=n_neighbors))
