"""Monte Carlo pair sampling: (x, y, av(x, y), d(x, y)) for the loss.

Three strategies (spec section 1, "Sampling strategies"):

``sphere`` (fixed radius)
    x ~ vol_M, v uniform on the unit tangent sphere, y = exp_x(εv),
    midpoint = exp_x(εv/2), d = ε.
``ball``
    y uniform in the geodesic ball B_ε(x) (radius r = ε U^{1/k}), d = r.
``knn``
    For data given only as samples: pairs joined by short paths in a k-nearest-
    neighbour graph. d is the graph path length and the midpoint is the sample
    on the path closest to half its length. This is an *approximation* (graph
    distances overestimate geodesic distances, the midpoint is only as good as
    the sample density); prefer exact pairs when the geometry is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from core_utils import InputError
from flat_embed.manifolds import ParametricManifold

__all__ = ["PairBatch", "PairDataset", "PairSampler", "knn_pairs", "validate_pairs"]

Strategy = Literal["sphere", "ball"]


@dataclass
class PairBatch:
    """K pairs with their geodesic midpoints and distances.

    Attributes
    ----------
    x, y, mid : ndarray, shape (K, n)
        Ambient coordinates of the pair ends and of the Riemannian average.
    d : ndarray, shape (K,)
        Riemannian distance d(x, y) > 0.
    """

    x: np.ndarray
    y: np.ndarray
    mid: np.ndarray
    d: np.ndarray

    def __len__(self) -> int:
        return len(self.d)

    def subset(self, idx: np.ndarray) -> PairBatch:
        """The pairs at ``idx``."""
        return PairBatch(self.x[idx], self.y[idx], self.mid[idx], self.d[idx])


def validate_pairs(
    x: np.ndarray, y: np.ndarray, mid: np.ndarray, d: np.ndarray, *, eps_max: float | None = None
) -> PairBatch:
    """Check user pairs and return them as a float64 :class:`PairBatch`.

    Raises
    ------
    InputError
        On shape mismatches between x, y and midpoints, non-finite values,
        d <= 0 or x == y (the bending term divides by d⁴), or d > eps_max.
    """
    arrs = {}
    for name, a in (("x", x), ("y", y), ("mid", mid)):
        if a is None:
            raise InputError(f"pairs: {name} is missing (midpoints are required: the loss needs av(x, y))")
        a = np.asarray(a, dtype=np.float64)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise InputError(f"pairs: {name} must be a 2-D array (K, n), got shape {a.shape}")
        arrs[name] = a
    d = np.asarray(d, dtype=np.float64).reshape(-1) if d is not None else None
    if d is None:
        raise InputError("pairs: d (the Riemannian distances) is missing")
    shapes = {k: v.shape for k, v in arrs.items()}
    if len({s for s in shapes.values()}) != 1:
        raise InputError(f"pairs: x, y and mid must have the same shape, got {shapes}")
    if len(d) != arrs["x"].shape[0]:
        raise InputError(f"pairs: d has {len(d)} entries but x has {arrs['x'].shape[0]} rows")
    if len(d) == 0:
        raise InputError("pairs: no pairs given")
    for name, a in (*arrs.items(), ("d", d)):
        if not np.all(np.isfinite(a)):
            raise InputError(f"pairs: {name} contains non-finite values (NaN or inf)")
    if np.any(d <= 0):
        k = int(np.argmax(d <= 0))
        raise InputError(f"pairs: d must be > 0 (the bending term divides by d^4), got d[{k}] = {d[k]}")
    same = np.all(arrs["x"] == arrs["y"], axis=1)
    if np.any(same):
        raise InputError(f"pairs: x == y for pair {int(np.argmax(same))}; pairs must be distinct points")
    if eps_max is not None and np.any(d > eps_max):
        k = int(np.argmax(d > eps_max))
        raise InputError(f"pairs: d[{k}] = {d[k]:.4g} is farther than eps_max = {eps_max:.4g}")
    return PairBatch(arrs["x"], arrs["y"], arrs["mid"], d)


class PairSampler:
    """Draw exact pairs from a :class:`~flat_embed.manifolds.ParametricManifold`.

    Parameters
    ----------
    manifold : ParametricManifold
    strategy : {"sphere", "ball"}
        Fixed radius ε or uniform in the geodesic ball of radius ε.
    inside : bool
        Redraw pairs whose far end leaves the sampled domain (box-shaped domains
        such as the Swiss roll), so no pair relies on the manifold's extension.
    stratified : bool
        For 1-D and 2-D manifolds, draw tangent directions on a shuffled,
        randomly offset regular grid of angles instead of i.i.d. — a variance
        reduction that keeps every direction equally likely.
    """

    def __init__(
        self,
        manifold: ParametricManifold,
        strategy: Strategy = "sphere",
        *,
        stratified: bool = False,
        inside: bool = True,
    ):
        if strategy not in ("sphere", "ball"):
            raise InputError(f"strategy must be 'sphere' or 'ball', got {strategy!r}")
        self.manifold = manifold
        self.strategy = strategy
        self.stratified = stratified
        self.inside = inside

    @property
    def ambient_dim(self) -> int:
        return self.manifold.ambient_dim

    @property
    def intrinsic_dim(self) -> int:
        return self.manifold.intrinsic_dim

    def _directions(self, n: int, rng: np.random.Generator) -> np.ndarray:
        k = self.manifold.intrinsic_dim
        if k == 1:
            return rng.choice([-1.0, 1.0], size=(n, 1))
        if k == 2 and self.stratified:
            a = 2 * np.pi * (np.arange(n) + rng.uniform()) / n
            a = rng.permutation(a)
            return np.stack([np.cos(a), np.sin(a)], axis=1)
        g = rng.standard_normal((n, k))
        return g / np.linalg.norm(g, axis=1, keepdims=True)

    def sample_params(self, n: int, eps: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Parameters (p, q, m) and distances of ``n`` pairs at scale ``eps``."""
        if not np.isfinite(eps) or eps <= 0:
            raise InputError(f"eps must be a positive finite number, got {eps}")
        m = self.manifold
        p = m.sample_params(n, rng)
        v = self._directions(n, rng)
        if self.strategy == "sphere":
            r = np.full(n, float(eps))
        else:
            k = m.intrinsic_dim
            # Uniform in the ball; floor at eps/100 keeps d⁴ away from 0.
            r = float(eps) * np.maximum(rng.uniform(size=n) ** (1.0 / k), 1e-2)
        q = m.exp(p, r[:, None] * v)
        if self.inside:
            for _ in range(100):
                bad = ~m.contains(q)
                if not bad.any():
                    break
                k = int(bad.sum())
                p[bad] = m.sample_params(k, rng)
                v[bad] = self._directions(k, rng)
                q[bad] = m.exp(p[bad], r[bad, None] * v[bad])
        mid = m.exp(p, 0.5 * r[:, None] * v)
        return p, q, mid, r

    def sample(self, n: int, eps: float, rng: np.random.Generator) -> PairBatch:
        """``n`` pairs at scale ``eps`` (ambient coordinates)."""
        p, q, mid, r = self.sample_params(n, eps, rng)
        emb = self.manifold.embed
        return PairBatch(emb(p), emb(q), emb(mid), r)

    def points(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` samples of the manifold (for warm starts)."""
        return self.manifold.embed(self.manifold.sample_params(n, rng))

    @property
    def eps_max(self) -> float:
        return self.manifold.diameter


@dataclass
class PairDataset:
    """A fixed set of user pairs, resampled in mini-batches during training.

    Build with :meth:`from_arrays` (pairs with known distances and midpoints)
    or :func:`knn_pairs` (raw samples).
    """

    pairs: PairBatch
    intrinsic_dim: int | None = None
    sample_points: np.ndarray | None = None
    approximate: bool = False
    eps_max: float = field(default=float("inf"))

    @classmethod
    def from_arrays(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        mid: np.ndarray,
        d: np.ndarray,
        *,
        eps_max: float | None = None,
        intrinsic_dim: int | None = None,
    ) -> PairDataset:
        """Pairs with their Riemannian distances and midpoints, validated (see :func:`validate_pairs`)."""
        batch = validate_pairs(x, y, mid, d, eps_max=eps_max)
        return cls(batch, intrinsic_dim=intrinsic_dim, eps_max=float(eps_max or batch.d.max()))

    @property
    def ambient_dim(self) -> int:
        return self.pairs.x.shape[1]

    def sample(self, n: int, eps: float, rng: np.random.Generator) -> PairBatch:
        """``n`` pairs drawn (with replacement) among those with d <= eps (all, if none is that short)."""
        d = self.pairs.d
        ok = np.flatnonzero(d <= eps)
        if len(ok) < max(1, min(n, len(d)) // 4):
            ok = np.argsort(d)[: max(n, len(d) // 4)]
        return self.pairs.subset(rng.choice(ok, size=n, replace=True))

    def points(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``n`` distinct samples (pair ends) for warm starts."""
        pts = self.sample_points
        if pts is None:
            pts = np.unique(np.concatenate([self.pairs.x, self.pairs.y]), axis=0)
        if len(pts) > n:
            pts = pts[rng.choice(len(pts), n, replace=False)]
        return pts


def knn_pairs(
    X: np.ndarray,
    *,
    n_neighbors: int = 10,
    n_pairs: int = 20000,
    hops: tuple[int, int] = (4, 8),
    seed: int = 0,
    intrinsic_dim: int | None = None,
) -> PairDataset:
    """Approximate pairs from raw samples via a k-nearest-neighbour graph (fallback).

    For random sources i, a shortest-path tree in the kNN graph is grown and
    targets j are taken ``hops`` edges away. ``d`` is the graph path length (an
    over-estimate of the geodesic distance) and the midpoint is the sample on
    the path whose arc length is closest to d/2.

    The midpoint error is O(sample spacing) while the bending term divides by
    d⁴, so short pairs give a noise floor that shrinks the latent; the default
    4–8 hops keep that floor small (on a uniformly sampled plane, 2–4 hops
    collapse the embedding, 4–8 hops recover it to ~1% Procrustes error).

    Raises
    ------
    InputError
        If X is not a finite 2-D array with more than ``n_neighbors`` rows, or the
        kNN graph is disconnected (no geodesic distances between components;
        the same graph would make an Isomap warm start fail).
    """
    from scipy.sparse.csgraph import connected_components, dijkstra
    from sklearn.neighbors import kneighbors_graph

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise InputError(f"samples must be a 2-D array (n_samples, n_features), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise InputError("samples contain non-finite values (NaN or inf)")
    if n_neighbors < 2 or len(X) <= n_neighbors:
        raise InputError(f"need 2 <= n_neighbors < n_samples, got n_neighbors={n_neighbors}, n={len(X)}")
    lo, hi = hops
    if not 2 <= lo <= hi:
        raise InputError(f"hops must satisfy 2 <= lo <= hi, got {hops}")
    G = kneighbors_graph(X, n_neighbors, mode="distance")
    G = G.maximum(G.T)
    n_comp, _ = connected_components(G, directed=False)
    if n_comp > 1:
        raise InputError(
            f"the {n_neighbors}-nearest-neighbour graph has {n_comp} connected components; "
            "increase n_neighbors or supply pairs with known distances"
        )
    rng = np.random.default_rng(seed)
    per_source = 8
    n_src = min(len(X), max(1, n_pairs // per_source))
    sources = rng.choice(len(X), n_src, replace=False)
    dist, pred = dijkstra(G, directed=False, indices=sources, return_predecessors=True)
    xi, yi, mi, dd = [], [], [], []
    for row, s in enumerate(sources):
        # hop counts along the shortest-path tree
        order = np.argsort(dist[row])
        hop = np.full(len(X), -1)
        hop[s] = 0
        for v in order[1:]:
            pv = pred[row, v]
            if pv >= 0 and hop[pv] >= 0:
                hop[v] = hop[pv] + 1
        cand = np.flatnonzero((hop >= lo) & (hop <= hi))
        if len(cand) == 0:
            continue
        for t in rng.choice(cand, min(per_source, len(cand)), replace=False):
            path = [t]
            while path[-1] != s:
                path.append(pred[row, path[-1]])
            arc = dist[row, path]  # distance from s along the path
            total = dist[row, t]
            m = path[int(np.argmin(np.abs(arc - total / 2)))]
            xi.append(s)
            yi.append(t)
            mi.append(m)
            dd.append(total)
    if not xi:
        raise InputError("no kNN pairs found: too few samples for the requested hops")
    xi, yi, mi = map(np.asarray, (xi, yi, mi))
    batch = validate_pairs(X[xi], X[yi], X[mi], np.asarray(dd))
    return PairDataset(
        batch, intrinsic_dim=intrinsic_dim, sample_points=X, approximate=True, eps_max=float(batch.d.max())
    )
