"""Encoder-only training: warm start, ε curriculum, Adam on the pair loss, checkpoints.

The loss is purely local (spec section 1): from a random initialisation, rolled
manifolds (Swiss roll, S-curve) get stuck in folded minima. A warm start first
regresses φ onto scikit-learn Isomap (or spectral-embedding) coordinates of a
sample of the manifold; the pair loss then removes the remaining distortion
and bending while ε shrinks from ``eps_start`` to ``eps_end``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import torch
from torch import nn

from core_utils import InputError, load_checkpoint, progress, save_checkpoint, seed_everything
from flat_embed.losses import FlatEmbedLoss, get_w
from flat_embed.pairs import PairBatch

__all__ = ["PairSource", "TrainConfig", "TrainResult", "eps_schedule", "fit_encoder", "warm_start_targets"]

log = logging.getLogger(__name__)


class PairSource(Protocol):
    """Anything that yields pairs and sample points (PairSampler, PairDataset)."""

    ambient_dim: int

    def sample(self, n: int, eps: float, rng: np.random.Generator) -> PairBatch: ...

    def points(self, n: int, rng: np.random.Generator) -> np.ndarray: ...


@dataclass
class TrainConfig:
    """Training hyper-parameters (defaults: the reference runs of spec section 1).

    Attributes
    ----------
    steps : int
        Adam steps on the pair loss.
    batch_size : int
        Pairs per step (each costs three encoder passes: x, y, midpoint).
    lr : float
        Adam learning rate, cosine-annealed to ``lr * lr_final_frac``.
    lam : float
        Bending weight λ (1 in the reference runs; the paper's value is unverified).
    w : str
        Distortion penalty W (``sq2`` = (s²−1)², ``sq``, ``sym``).
    eps_start, eps_end : float or None
        ε curriculum ends; None means diameter/4 and diameter/20 of the manifold
        (for user pairs: the largest and the median pair distance).
    curriculum_frac : float
        Fraction of the steps over which ε decays geometrically; then it stays at eps_end.
    warm_start : {"isomap", "spectral", "none"}
        Regress φ onto sklearn Isomap / SpectralEmbedding coordinates first.
    warm_steps, warm_points, n_neighbors : int
        Warm-start regression steps, sample size and kNN size.
    dtype : {"float32", "float64"}
    calibrate_scale : bool
        After the warm start, rescale the latent so that the median stretch
        |φ(x) − φ(y)| / d over a batch of pairs at ``eps_start`` is 1. Isomap and
        spectral coordinates carry the ambient (e.g. pixel) metric, which can be
        far from the manifold's own metric d (image manifolds).
    checkpoint_every : int
        Save a checkpoint every this many steps (when a checkpoint path is given).
    """

    steps: int = 4000
    batch_size: int = 256
    lr: float = 3e-3
    lr_final_frac: float = 0.01
    lam: float = 1.0
    w: str = "sq2"
    eps_start: float | None = None
    eps_end: float | None = None
    curriculum_frac: float = 0.6
    warm_start: Literal["isomap", "spectral", "none"] = "none"
    warm_steps: int = 1500
    warm_points: int = 1500
    n_neighbors: int = 10
    dtype: Literal["float32", "float64"] = "float32"
    calibrate_scale: bool = True
    checkpoint_every: int = 500
    log_every: int = 50

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "warm_points", "n_neighbors", "checkpoint_every", "log_every"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.warm_steps < 0:
            raise InputError(f"warm_steps must be >= 0, got {self.warm_steps}")
        if not self.lr > 0:
            raise InputError(f"lr must be > 0, got {self.lr}")
        if not self.lam >= 0:
            raise InputError(f"lam must be >= 0, got {self.lam}")
        if not 0 < self.curriculum_frac <= 1:
            raise InputError(f"curriculum_frac must be in (0, 1], got {self.curriculum_frac}")
        for name in ("eps_start", "eps_end"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be > 0, got {v}")
        if self.eps_start and self.eps_end and self.eps_end > self.eps_start:
            raise InputError(f"eps_end ({self.eps_end}) must not exceed eps_start ({self.eps_start})")
        if self.warm_start not in ("isomap", "spectral", "none"):
            raise InputError(f"warm_start must be isomap, spectral or none, got {self.warm_start!r}")
        get_w(self.w)


@dataclass
class TrainResult:
    """History of a training run (one row every ``log_every`` steps)."""

    history: list[dict[str, float]] = field(default_factory=list)
    warm_start_loss: float | None = None
    warm_start_scale: float | None = None
    eps_start: float = float("nan")
    eps_end: float = float("nan")
    resumed_from: int = 0


def eps_schedule(step: int, steps: int, eps_start: float, eps_end: float, frac: float) -> float:
    """Geometric ε curriculum: eps_start -> eps_end over the first ``frac`` of the steps."""
    n = max(1, int(frac * steps))
    r = min(step / n, 1.0)
    return float(eps_start * (eps_end / eps_start) ** r)


def _default_eps(source: PairSource, cfg: TrainConfig) -> tuple[float, float]:
    manifold = getattr(source, "manifold", None)
    if manifold is not None:
        e0, e1 = manifold.diameter / 4, manifold.diameter / 20
    else:
        d = source.pairs.d  # type: ignore[attr-defined]
        e0, e1 = float(d.max()), float(np.median(d))
    e0 = cfg.eps_start or e0
    e1 = cfg.eps_end or min(e1, e0)
    return e0, e1


def warm_start_targets(
    X: np.ndarray, n_components: int, method: str = "isomap", n_neighbors: int = 10
) -> np.ndarray:
    """Latent targets for the warm start, from scikit-learn.

    Isomap coordinates approximate geodesic distances already. Spectral
    coordinates have no metric scale; they are rescaled so that the median
    ratio of latent to ambient distances over kNN edges is 1.
    """
    from scipy.sparse.csgraph import connected_components
    from sklearn.manifold import Isomap, SpectralEmbedding
    from sklearn.neighbors import kneighbors_graph

    G = kneighbors_graph(X, n_neighbors, mode="distance")
    n_comp, _ = connected_components(G.maximum(G.T), directed=False)
    if n_comp > 1:
        raise InputError(
            f"the {n_neighbors}-nearest-neighbour graph of the warm-start sample has {n_comp} components; "
            "increase n_neighbors (the Isomap warm start needs a connected graph)"
        )
    if method == "isomap":
        Y = Isomap(n_neighbors=n_neighbors, n_components=n_components).fit_transform(X)
    elif method == "spectral":
        Y = SpectralEmbedding(
            n_components=n_components, n_neighbors=n_neighbors, random_state=0
        ).fit_transform(X)
        G = G.tocoo()
        lat = np.linalg.norm(Y[G.row] - Y[G.col], axis=1)
        Y = Y * np.median(G.data / np.maximum(lat, 1e-300))
    else:
        raise InputError(f"unknown warm start {method!r}")
    return Y - Y.mean(axis=0)


def _dtype(name: str) -> torch.dtype:
    return torch.float64 if name == "float64" else torch.float32


def fit_encoder(
    encoder: nn.Module,
    source: PairSource,
    config: TrainConfig | None = None,
    *,
    seed: int = 0,
    device: str = "cpu",
    checkpoint: str | Path | None = None,
    quiet: bool = True,
) -> TrainResult:
    """Train ``encoder`` on the flat-embedding loss (in place).

    Parameters
    ----------
    encoder : nn.Module
        Maps (K, n) ambient rows to (K, l) latent rows. If it has a ``norm``
        buffer module (the package encoders do), it is set to standardise inputs.
    source : PairSampler or PairDataset
    config : TrainConfig
    seed : int
        Seeds torch, numpy and Python: runs are reproducible.
    checkpoint : path, optional
        ``.pt`` file written atomically every ``checkpoint_every`` steps and at
        the end; if it exists, training resumes from it.

    Returns
    -------
    TrainResult
    """
    cfg = config or TrainConfig()
    gens = seed_everything(seed)
    rng = gens.numpy
    dt = _dtype(cfg.dtype)
    out_dim = _latent_dim(encoder, source)
    k = getattr(source, "intrinsic_dim", None)
    if k is not None and out_dim < k:
        raise InputError(f"latent dimension {out_dim} is below the intrinsic dimension {k} of the data")
    encoder.to(device=device, dtype=dt)
    eps0, eps1 = _default_eps(source, cfg)
    result = TrainResult(eps_start=eps0, eps_end=eps1)
    loss_fn = FlatEmbedLoss(cfg.lam, cfg.w)
    opt = torch.optim.Adam(encoder.parameters(), lr=cfg.lr)
    start = 0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None and ckpt.exists():
        state = load_checkpoint(ckpt)
        encoder.load_state_dict(state["encoder"])
        opt.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        start = int(state["step"])
        result.history = list(state["history"])
        result.warm_start_loss = state.get("warm_start_loss")
        result.resumed_from = start
        log.info("resumed from %s at step %d", ckpt, start)
    else:
        pts = source.points(cfg.warm_points, rng)
        _set_input_norm(encoder, pts, device, dt)
        if cfg.warm_start != "none" and cfg.warm_steps > 0:
            result.warm_start_loss = _warm_start(encoder, pts, out_dim, cfg, rng, device, dt, quiet)
            if cfg.calibrate_scale:
                result.warm_start_scale = _calibrate_scale(encoder, source, eps0, cfg, rng, device, dt)
    sched = _lr_lambda(cfg)
    for g in opt.param_groups:
        g["lr"] = cfg.lr * sched(start)
    bar = progress(total=cfg.steps, desc="flat-embed", quiet=quiet)
    bar.update(start)
    encoder.train()
    for step in range(start, cfg.steps):
        eps = eps_schedule(step, cfg.steps, eps0, eps1, cfg.curriculum_frac)
        batch = source.sample(cfg.batch_size, eps, rng)
        parts = _loss_on_batch(encoder, batch, loss_fn, device, dt)
        opt.zero_grad(set_to_none=True)
        parts.total.backward()
        opt.step()
        for g in opt.param_groups:
            g["lr"] = cfg.lr * sched(step + 1)
        if step % cfg.log_every == 0 or step == cfg.steps - 1:
            row = {"step": step, "eps": eps, **parts.item()}
            result.history.append(row)
            bar.set_postfix(loss=f"{row['total']:.2e}", eps=f"{eps:.3g}")
            if not math.isfinite(row["total"]):
                raise FloatingPointError(f"loss became non-finite at step {step}; lower lr or raise eps_end")
        bar.update(1)
        if ckpt is not None and ((step + 1) % cfg.checkpoint_every == 0 or step + 1 == cfg.steps):
            save_checkpoint(
                ckpt,
                {
                    "encoder": encoder.state_dict(),
                    "optimizer": opt.state_dict(),
                    "rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(),
                    "step": step + 1,
                    "history": result.history,
                    "warm_start_loss": result.warm_start_loss,
                    "config": asdict(cfg),
                },
            )
    bar.close()
    encoder.eval()
    return result


def _lr_lambda(cfg: TrainConfig):
    def f(step: int) -> float:
        r = min(step / cfg.steps, 1.0)
        return cfg.lr_final_frac + (1 - cfg.lr_final_frac) * 0.5 * (1 + math.cos(math.pi * r))

    return f


def _latent_dim(encoder: nn.Module, source: PairSource) -> int:
    cfg = getattr(encoder, "config", None)
    if cfg and "out_dim" in cfg:
        if cfg.get("in_dim") is not None and cfg["in_dim"] != source.ambient_dim:
            raise InputError(
                f"encoder expects inputs of dimension {cfg['in_dim']}, data has {source.ambient_dim}"
            )
        return int(cfg["out_dim"])
    with torch.no_grad():
        p = next(encoder.parameters())
        return int(encoder(torch.zeros(1, source.ambient_dim, dtype=p.dtype, device=p.device)).shape[-1])


def _set_input_norm(encoder: nn.Module, pts: np.ndarray, device: str, dt: torch.dtype) -> None:
    norm = getattr(encoder, "norm", None)
    if norm is None:
        return
    mean = pts.mean(axis=0)
    scale = float(np.sqrt(((pts - mean) ** 2).sum(axis=1).mean())) or 1.0
    norm.mean.copy_(torch.as_tensor(mean, dtype=dt, device=device))
    norm.scale.fill_(scale)


def _loss_on_batch(
    encoder: nn.Module, batch: PairBatch, loss_fn: FlatEmbedLoss, device: str, dt: torch.dtype
):
    K = len(batch)
    inp = torch.as_tensor(np.concatenate([batch.x, batch.y, batch.mid]), dtype=dt, device=device)
    z = encoder(inp)
    d = torch.as_tensor(batch.d, dtype=dt, device=device)
    return loss_fn(z[:K], z[K : 2 * K], z[2 * K :], d)


def _calibrate_scale(encoder, source, eps, cfg, rng, device, dt) -> float:
    """Divide the last linear layer by the median stretch |φ(x) − φ(y)|/d of one batch."""
    last = [m for m in encoder.modules() if isinstance(m, nn.Linear)]
    if not last:
        return 1.0
    batch = source.sample(cfg.batch_size, eps, rng)
    K = len(batch)
    with torch.no_grad():
        inp = torch.as_tensor(np.concatenate([batch.x, batch.y]), dtype=dt, device=device)
        z = encoder(inp)
        stretch = (z[:K] - z[K:]).norm(dim=1).double().cpu().numpy() / batch.d
        med = float(np.median(stretch))
        if not (math.isfinite(med) and med > 0):
            return 1.0
        last[-1].weight.div_(med)
        if last[-1].bias is not None:
            last[-1].bias.div_(med)
    return med


def _warm_start(encoder, pts, out_dim, cfg, rng, device, dt, quiet) -> float:
    Y = warm_start_targets(pts, out_dim, cfg.warm_start, cfg.n_neighbors)
    X_t = torch.as_tensor(pts, dtype=dt, device=device)
    Y_t = torch.as_tensor(Y, dtype=dt, device=device)
    opt = torch.optim.Adam(encoder.parameters(), lr=cfg.lr)
    scale = float((Y_t**2).sum(1).mean())
    loss = torch.zeros(())
    bar = progress(range(cfg.warm_steps), desc="warm start", quiet=quiet)
    for _ in bar:
        idx = torch.as_tensor(
            rng.choice(len(pts), min(cfg.batch_size, len(pts)), replace=False), device=device
        )
        loss = ((encoder(X_t[idx]) - Y_t[idx]) ** 2).sum(1).mean() / scale
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return float(loss.detach())
