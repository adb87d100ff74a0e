"""Benchmarks: blueprint overhead vs the same model written directly in PyG, and graph
construction time vs nodes (scikit-learn kNN vs brute-force torch distances)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from mmgraph.blueprint import MGLBlueprint
from mmgraph.entities import make_data
from mmgraph.topology import knn_graph, symmetrize


class DirectGCN(nn.Module):
    """The reference model written directly in PyG: Linear encoder -> GCNConv x L (ReLU) -> Linear."""

    def __init__(self, in_dim: int, dim: int, n_layers: int, out_dim: int) -> None:
        from torch_geometric.nn import GCNConv

        super().__init__()
        self.enc = nn.Linear(in_dim, dim)
        self.convs = nn.ModuleList([GCNConv(dim, dim) for _ in range(n_layers)])
        self.head = nn.Linear(dim, out_dim)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        h = self.enc(x)
        for conv in self.convs:
            h = torch.relu(conv(h, edge_index))
        return self.head(h)


def matched_models(
    in_dim: int = 64, dim: int = 64, n_layers: int = 2, out_dim: int = 4
) -> tuple[MGLBlueprint, DirectGCN]:
    """A blueprint and a direct PyG model with identical weights (outputs equal)."""
    bp = MGLBlueprint.from_config(
        {
            "entities": {"dim": dim},
            "topology": {"kind": "explicit"},
            "propagation": {"kind": "gcn", "hidden": dim, "n_layers": n_layers},
            "mixing": {"kind": "none"},
            "head": {"hidden": 0},
        },
        in_dims={"x": in_dim},
        out_dim=out_dim,
    )
    direct = DirectGCN(in_dim, dim, n_layers, out_dim)
    direct.enc.load_state_dict(bp.entities.encoders["x"].net.state_dict())
    for c_bp, c_d in zip(bp.propagation.stacks["x"], direct.convs):
        c_d.load_state_dict(c_bp.state_dict())
    direct.head.load_state_dict(bp.head.net[1].state_dict())
    return bp, direct


def random_graph(n: int, avg_degree: int = 10, in_dim: int = 64, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    e = n * avg_degree // 2
    src, dst = rng.integers(0, n, e), rng.integers(0, n, e)
    ei = torch.as_tensor(np.vstack([np.concatenate([src, dst]), np.concatenate([dst, src])]))
    return make_data({"x": rng.normal(size=(n, in_dim))}, rng.integers(0, 4, n), edge_index=ei)


def overhead_benchmark(
    n_nodes: int = 5000, *, epochs: int = 20, repeats: int = 5, seed: int = 0
) -> dict[str, float]:
    """Training throughput (nodes/s) of the blueprint vs the direct PyG model, interleaved runs.

    Returns the median time per epoch of each and ``overhead_ratio = blueprint / direct``.
    """
    torch.manual_seed(seed)
    data = random_graph(n_nodes, seed=seed)
    bp, direct = matched_models()
    with torch.no_grad():
        max_diff = float((bp(data) - direct(data.x_x, data.edge_index)).abs().max())

    def run(model: nn.Module, call: Any) -> float:
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        t0 = time.perf_counter()
        for _ in range(epochs):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(call(), data.y)
            loss.backward()
            opt.step()
        return (time.perf_counter() - t0) / epochs

    t_bp, t_direct = [], []
    run(bp, lambda: bp(data))  # warm-up both
    run(direct, lambda: direct(data.x_x, data.edge_index))
    for _ in range(repeats):
        t_bp.append(run(bp, lambda: bp(data)))
        t_direct.append(run(direct, lambda: direct(data.x_x, data.edge_index)))
    mb, md = float(np.median(t_bp)), float(np.median(t_direct))
    return {
        "nodes": n_nodes,
        "edges": int(data.edge_index.shape[1]),
        "blueprint_s_per_epoch": mb,
        "direct_s_per_epoch": md,
        "blueprint_nodes_per_s": n_nodes / mb,
        "direct_nodes_per_s": n_nodes / md,
        "overhead_ratio": mb / md,
        "max_output_diff": max_diff,
    }


def brute_force_knn(x: torch.Tensor, k: int) -> torch.Tensor:
    """Reference kNN by dense torch distances + topk (O(N^2) memory)."""
    d = torch.cdist(x, x)
    d.fill_diagonal_(float("inf"))
    idx = d.topk(k, largest=False).indices
    return torch.stack([idx.reshape(-1), torch.arange(x.shape[0]).repeat_interleave(k)])


def construction_benchmark(
    sizes: Sequence[int] = (500, 1000, 2000, 4000), *, k: int = 10, dim: int = 16, seed: int = 0
) -> list[dict[str, float]]:
    """kNN graph construction time vs nodes: :func:`~mmgraph.topology.knn_graph` (scikit-learn)
    plus symmetrisation, against brute-force torch distances, same run."""
    rng = np.random.default_rng(seed)
    warm = torch.as_tensor(rng.normal(size=(50, dim)), dtype=torch.float32)
    symmetrize(knn_graph(warm, k), num_nodes=50)  # imports and first-call set-up are not timed
    brute_force_knn(warm, k)
    rows = []
    for n in sizes:
        x = torch.as_tensor(rng.normal(size=(n, dim)), dtype=torch.float32)
        t0 = time.perf_counter()
        ei = symmetrize(knn_graph(x, k), num_nodes=n)[0]
        t_sk = time.perf_counter() - t0
        t0 = time.perf_counter()
        brute_force_knn(x, k)
        t_bf = time.perf_counter() - t0
        rows.append(
            {
                "nodes": n,
                "edges": int(ei.shape[1]),
                "knn_s": t_sk,
                "brute_force_s": t_bf,
                "ratio_vs_brute_force": t_sk / t_bf,
            }
        )
    return rows
