"""Benchmarks as ratios against baselines measured in the same run (spec section 5).

* loss-evaluation cost vs number of pairs (should be linear),
* training steps per second with 1 vs 2 torch threads,
* training time to a target Procrustes error vs scikit-learn Isomap's fit time,
* peak memory of one loss evaluation (forward + backward) at 10⁵ pairs vs the bare input arrays.
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

import numpy as np
import torch

from core_utils import measure
from flat_embed.encoders import MLPEncoder
from flat_embed.losses import FlatEmbedLoss
from flat_embed.manifolds import make_manifold
from flat_embed.metrics import procrustes_error
from flat_embed.pairs import PairSampler
from flat_embed.train import TrainConfig, _loss_on_batch, fit_encoder

__all__ = ["bench_loss_scaling", "bench_memory", "bench_threads", "bench_time_to_target"]


def _encoder(dim: int) -> MLPEncoder:
    torch.manual_seed(0)
    return MLPEncoder(dim, 2)


def bench_loss_scaling(pair_counts=(1_000, 10_000, 100_000), repeats: int = 3) -> dict[str, Any]:
    """Seconds per loss evaluation (forward + backward) vs K; slope of log-time vs log-K."""
    M = make_manifold("swiss-roll", ambient_dim=100)
    S = PairSampler(M)
    enc = _encoder(M.ambient_dim)
    loss = FlatEmbedLoss()
    rng = np.random.default_rng(0)
    times = []
    for k in pair_counts:
        batch = S.sample(k, 2.0, rng)
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            parts = _loss_on_batch(enc, batch, loss, "cpu", torch.float32)
            parts.total.backward()
            best = min(best, time.perf_counter() - t0)
        times.append(best)
    slope = float(np.polyfit(np.log(pair_counts), np.log(times), 1)[0])
    return {
        "pairs": list(pair_counts),
        "seconds": times,
        "pairs_per_s": [k / t for k, t in zip(pair_counts, times)],
        "loglog_slope": slope,
        "time_ratio_largest_vs_smallest": times[-1] / times[0],
        "pairs_ratio_largest_vs_smallest": pair_counts[-1] / pair_counts[0],
    }


def bench_threads(steps: int = 200, batch_size: int = 256) -> dict[str, Any]:
    """Training steps per second with 1 and 2 torch threads (same model, same data)."""
    M = make_manifold("swiss-roll", ambient_dim=100)
    out: dict[str, Any] = {}
    old = torch.get_num_threads()
    try:
        for th in (1, 2):
            torch.set_num_threads(th)
            enc = _encoder(M.ambient_dim)
            cfg = TrainConfig(steps=steps, batch_size=batch_size, log_every=steps)
            with measure() as m:
                fit_encoder(enc, PairSampler(M), cfg, seed=0)
            out[f"steps_per_s_{th}thread"] = steps / m.wall_s
    finally:
        torch.set_num_threads(old)
    out["speedup_2_vs_1_threads"] = out["steps_per_s_2thread"] / out["steps_per_s_1thread"]
    return out


def bench_time_to_target(
    target: float = 2e-2, max_steps: int = 3000, n_samples: int = 1500
) -> dict[str, Any]:
    """Wall time until flat-embed (Isomap warm start) reaches ``target`` Procrustes error, vs Isomap's fit.

    Training runs in chunks of 250 steps (each chunk a resumed run from a
    checkpoint-free continuation); the time includes the warm start's own Isomap fit.
    """
    from sklearn.manifold import Isomap

    M = make_manifold("swiss-roll", ambient_dim=100)
    rng = np.random.default_rng(1)
    p = M.sample_params(n_samples, rng)
    X, U = M.embed(p), M.coordinates(p)
    with measure() as mi:
        Zi = Isomap(n_neighbors=10, n_components=2).fit_transform(X)
    iso_err = procrustes_error(Zi, U)
    enc = _encoder(M.ambient_dim)
    reached = None
    history = []
    t_total = 0.0
    for steps in range(500, max_steps + 1, 500):
        torch.manual_seed(0)
        enc = _encoder(M.ambient_dim)
        cfg = TrainConfig(steps=steps, warm_start="isomap", warm_steps=1000, warm_points=n_samples)
        with measure() as m:
            fit_encoder(enc, PairSampler(M), cfg, seed=0)
        with torch.no_grad():
            err = procrustes_error(enc(torch.as_tensor(X, dtype=torch.float32)).double().numpy(), U)
        history.append({"steps": steps, "wall_s": m.wall_s, "procrustes": err})
        t_total = m.wall_s
        if err < target:
            reached = steps
            break
    return {
        "target_procrustes": target,
        "isomap_fit_s": mi.wall_s,
        "isomap_procrustes": iso_err,
        "flat_embed_steps_to_target": reached,
        "flat_embed_s_to_target": t_total if reached else None,
        "time_ratio_flat_embed_vs_isomap": (t_total / mi.wall_s) if reached else None,
        "history": history,
    }


def bench_memory(n_pairs: int = 100_000) -> dict[str, Any]:
    """Peak traced memory of one loss evaluation at ``n_pairs`` pairs vs the input arrays' size.

    torch CPU allocations are not seen by tracemalloc, so peak RSS growth is
    measured too; the ratio uses RSS growth against the float32 input tensor size.
    """
    from core_utils.measure import peak_rss_mb

    M = make_manifold("swiss-roll", ambient_dim=100)
    batch = PairSampler(M).sample(n_pairs, 2.0, np.random.default_rng(0))
    enc = _encoder(M.ambient_dim)
    input_mb = 3 * n_pairs * M.ambient_dim * 4 / 2**20  # the float32 tensor of x, y and midpoints
    rss0 = peak_rss_mb()
    tracemalloc.start()
    parts = _loss_on_batch(enc, batch, FlatEmbedLoss(), "cpu", torch.float32)
    parts.total.backward()
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rss_growth = peak_rss_mb() - rss0
    return {
        "n_pairs": n_pairs,
        "input_float32_mb": input_mb,
        "peak_rss_growth_mb": rss_growth,
        "traced_python_mb": traced,
        "rss_growth_over_input": rss_growth / input_mb,
    }
