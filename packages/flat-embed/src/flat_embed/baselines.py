"""Baselines on the same data: scikit-learn Isomap, LLE, spectral embedding, and a plain autoencoder.

:func:`compare` fits every method on the same sample of a manifold and scores
all of them with the same metrics (:mod:`flat_embed.metrics`): Procrustes error
against the unrolled coordinates (with a free scale, since only flat-embed and
Isomap have a metric scale), trustworthiness, and latent-interpolation error
relative to the latent distance of the pair ends (scale-free).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core_utils import InputError
from flat_embed.encoders import MLPDecoder, MLPEncoder
from flat_embed.manifolds import ParametricManifold
from flat_embed.metrics import (
    interpolation_error_latent,
    interpolation_set,
    procrustes_error,
    trustworthiness,
)

__all__ = ["BASELINES", "CompareRow", "PlainAutoencoder", "compare"]

BASELINES = ("isomap", "lle", "spectral", "autoencoder")


class PlainAutoencoder:
    """MLP autoencoder trained on reconstruction MSE only (no geometry): the usual baseline.

    Same encoder architecture as flat-embed, plus a mirrored decoder.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        hidden: Sequence[int] = (64, 64),
        steps: int = 3000,
        batch_size: int = 256,
        lr: float = 3e-3,
        random_state: int = 0,
    ) -> None:
        self.n_components = n_components
        self.hidden = tuple(hidden)
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.random_state = random_state

    def fit(self, X: np.ndarray) -> PlainAutoencoder:
        """Train encoder and decoder on reconstruction of X."""
        from flat_embed.train import _set_input_norm

        torch.manual_seed(self.random_state)
        X = np.asarray(X, dtype=np.float64)
        self.encoder_ = MLPEncoder(X.shape[1], self.n_components, self.hidden)
        self.decoder_ = MLPDecoder(self.n_components, X.shape[1], self.hidden[::-1])
        _set_input_norm(self.encoder_, X, "cpu", torch.float32)
        Xt = torch.as_tensor(X, dtype=torch.float32)
        params = list(self.encoder_.parameters()) + list(self.decoder_.parameters())
        opt = torch.optim.Adam(params, lr=self.lr)
        g = torch.Generator().manual_seed(self.random_state)
        for _ in range(self.steps):
            idx = torch.randint(len(X), (min(self.batch_size, len(X)),), generator=g)
            loss = ((self.decoder_(self.encoder_(Xt[idx])) - Xt[idx]) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        self.reconstruction_mse_ = float(loss.detach())
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.encoder_(torch.as_tensor(np.asarray(X), dtype=torch.float32)).double().numpy()


@dataclass
class CompareRow:
    """Scores of one method."""

    method: str
    fit_time_s: float
    procrustes: float
    procrustes_scaled: float
    trustworthiness: float
    interp_mean: float
    interp_p95: float
    interp: dict[str, float] = field(default_factory=dict)


def compare(
    manifold: ParametricManifold,
    *,
    methods: Sequence[str] = ("flat-embed", *BASELINES),
    n_samples: int = 1500,
    n_interp: int = 300,
    n_components: int | None = None,
    n_neighbors: int = 10,
    flat_params: dict[str, Any] | None = None,
    ae_steps: int = 3000,
    seed: int = 0,
) -> tuple[list[CompareRow], dict[str, Any]]:
    """Fit flat-embed and the baselines on the same sample and score them.

    Non-parametric methods (Isomap, LLE, spectral) embed the training sample
    together with the interpolation test points in one ``fit_transform``
    (spectral embedding has no out-of-sample ``transform``); the parametric
    ones (flat-embed, autoencoder) are fitted and then applied to the test points.

    Returns
    -------
    rows : list of CompareRow
    latents : dict
        ``{"params": sample parameters, "<method>": (latent of sample, latent of interpolation set)}``
        and ``"interp_set"`` for plotting.
    """
    from sklearn.manifold import Isomap, LocallyLinearEmbedding, SpectralEmbedding

    from flat_embed.estimator import FlatEmbedding

    unknown = set(methods) - {"flat-embed", *BASELINES}
    if unknown:
        raise InputError(f"unknown methods {sorted(unknown)}; choose from flat-embed, {', '.join(BASELINES)}")
    if not manifold.is_flat:
        raise InputError(
            f"compare needs an intrinsically flat manifold with known coordinates, got {manifold.name}"
        )
    n_lat = n_components or manifold.intrinsic_dim
    rng = np.random.default_rng(seed)
    params = manifold.sample_params(n_samples, rng)
    X = manifold.embed(params)
    U = manifold.coordinates(params)
    iset = interpolation_set(manifold, n=n_interp, seed=seed + 1)
    E = iset.all_points()
    rows: list[CompareRow] = []
    latents: dict[str, Any] = {"params": params, "interp_set": iset}
    for m in methods:
        t0 = time.perf_counter()
        if m == "flat-embed":
            est = FlatEmbedding(n_lat, n_neighbors=n_neighbors, random_state=seed, **(flat_params or {})).fit(
                manifold
            )
            Z, ZE = est.transform(X), est.transform(E)
        elif m == "autoencoder":
            ae = PlainAutoencoder(n_lat, steps=ae_steps, random_state=seed).fit(X)
            Z, ZE = ae.transform(X), ae.transform(E)
        else:
            cls = {"isomap": Isomap, "lle": LocallyLinearEmbedding, "spectral": SpectralEmbedding}[m]
            kw: dict[str, Any] = {"n_components": n_lat, "n_neighbors": n_neighbors}
            if m != "isomap":
                kw["random_state"] = seed
            if m == "lle":
                kw["eigen_solver"] = "dense"
            ZZ = cls(**kw).fit_transform(np.concatenate([X, E]))
            Z, ZE = ZZ[:n_samples], ZZ[n_samples:]
        fit_s = time.perf_counter() - t0
        zx, zy, zts = iset.split(ZE)
        ie = interpolation_error_latent(zx, zy, zts, iset.ts)
        rows.append(
            CompareRow(
                method=m,
                fit_time_s=fit_s,
                procrustes=procrustes_error(Z, U),
                procrustes_scaled=procrustes_error(Z, U, scale=True),
                trustworthiness=trustworthiness(X, Z, n_neighbors=n_neighbors),
                interp_mean=ie["mean"],
                interp_p95=ie["p95"],
                interp=ie,
            )
        )
        latents[m] = (Z, ZE)
    return rows, latents
