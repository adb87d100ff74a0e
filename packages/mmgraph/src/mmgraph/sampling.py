"""Mini-batch training on one large graph: neighbour sampling in plain torch, batched by PyG's ``NodeLoader``.

GraphSAGE-style sampling (Hamilton et al. 2017): starting from a batch of seed nodes, hop ``l``
draws up to ``num_neighbors[l]`` incoming neighbours (``-1``: all of them) of the nodes reached at
hop ``l - 1``. PyG's ``NeighborLoader`` does exactly this but needs one of its compiled extensions
(pyg-lib or torch-sparse) for the sampling step; here the sampler is a PyG
``BaseSampler`` written with torch operations (:func:`neighbor_sampler`), so PyG's own ``NodeLoader`` does the rest (feature
slicing, relabelling, batching). The first ``batch.batch_size`` nodes of every mini-batch are the
seeds.

Invariant: with full neighbourhoods (``-1`` at every hop) and as many hops as layers, the outputs at
the seed nodes equal the full-batch outputs for layers normalised on the receiving side (GraphSAGE,
GAT, GIN). GCN's symmetric normalisation also uses the sender's degree, which a sampled subgraph
does not hold for the outermost nodes, so GCN on sampled batches is an approximation (as with
PyG's loader).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from core_utils import InputError


def neighbor_sampler(
    data: Any, num_neighbors: Sequence[int], generator: torch.Generator | None = None
) -> Any:
    """Uniform neighbour sampling without compiled extensions: a PyG ``BaseSampler``.

    Parameters
    ----------
    data : Data
        The graph (``edge_index`` from source to target) with ``num_nodes``.
    num_neighbors : sequence of int
        Neighbours drawn per node at each hop; ``-1`` takes every neighbour.
    generator : torch.Generator, optional
        Random source (reproducible sampling from a seed).
    """
    return _make_impl()(data, num_neighbors, generator)


_IMPL: type | None = None


def _make_impl() -> type:
    global _IMPL
    if _IMPL is not None:
        return _IMPL
    from torch_geometric.sampler import BaseSampler, SamplerOutput

    class TorchNeighborSampler(BaseSampler):
        """GraphSAGE-style neighbour sampling in torch (see :func:`neighbor_sampler`)."""

        def __init__(
            self, data: Any, num_neighbors: Sequence[int], generator: torch.Generator | None = None
        ) -> None:
            hops = [int(k) for k in num_neighbors]
            if not hops or any(k == 0 or k < -1 for k in hops):
                raise InputError(
                    f"num_neighbors must be positive counts or -1 per hop, got {list(num_neighbors)}"
                )
            self.num_neighbors, self.generator = hops, generator
            n = int(data.num_nodes)
            ei = data.edge_index.cpu()
            order = torch.sort(ei[1], stable=True).indices  # group edges by receiving node
            self.src, self.eid = ei[0, order], order
            self.dst = ei[1, order]
            deg = torch.bincount(self.dst, minlength=n)
            self.deg = deg
            self.ptr = torch.cat([torch.zeros(1, dtype=torch.long), deg.cumsum(0)])
            self.num_nodes = n

        def _hop(self, frontier: torch.Tensor, k: int) -> torch.Tensor:
            counts = self.deg[frontier]
            total = int(counts.sum())
            if total == 0:
                return torch.empty(0, dtype=torch.long)
            offsets = torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)[:-1]])
            within = torch.arange(total) - offsets.repeat_interleave(counts)
            idx = self.ptr[frontier].repeat_interleave(counts) + within
            if k < 0:
                return idx
            group = torch.arange(frontier.numel()).repeat_interleave(counts)
            key = torch.rand(total, generator=self.generator)
            o1 = torch.argsort(key)
            o2 = torch.sort(group[o1], stable=True).indices
            order = o1[o2]  # random order inside each receiving node's group
            return idx[order][within < k]

        def sample_from_nodes(self, inputs: Any, **kwargs: Any) -> Any:
            seeds = inputs.node
            local = torch.full((self.num_nodes,), -1, dtype=torch.long)
            local[seeds] = torch.arange(seeds.numel())
            nodes, rows, cols, edges = [seeds], [], [], []
            n_nodes, n_edges = [seeds.numel()], []
            frontier, count = seeds, seeds.numel()
            for k in self.num_neighbors:
                e = self._hop(frontier, k)
                s = self.src[e]
                new = torch.unique(s[local[s] < 0])
                local[new] = torch.arange(count, count + new.numel())
                count += new.numel()
                rows.append(local[s])
                cols.append(local[self.dst[e]])
                edges.append(self.eid[e])
                nodes.append(new)
                n_nodes.append(new.numel())
                n_edges.append(e.numel())
                frontier = new
            return SamplerOutput(
                node=torch.cat(nodes),
                row=torch.cat(rows),
                col=torch.cat(cols),
                edge=torch.cat(edges),
                num_sampled_nodes=n_nodes,
                num_sampled_edges=n_edges,
                metadata=(inputs.input_id, inputs.time),
            )

        def sample_from_edges(self, index: Any, neg_sampling: Any = None) -> Any:
            raise InputError("TorchNeighborSampler samples from seed nodes only")

    _IMPL = TorchNeighborSampler
    return _IMPL


def neighbor_loader(
    data: Any,
    num_neighbors: Sequence[int],
    *,
    input_nodes: torch.Tensor | None = None,
    batch_size: int = 256,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
) -> Any:
    """PyG ``NodeLoader`` over seed nodes (a boolean mask or indices) with :func:`neighbor_sampler`.

    Each mini-batch is a ``Data`` holding the sampled subgraph; its first ``batch_size`` nodes are
    the seeds (``batch.n_id`` maps back to the full graph).
    """
    from torch_geometric.loader import NodeLoader

    if getattr(data, "edge_index", None) is None:
        raise InputError("neighbour sampling needs a graph: prepare the data (static topology) first")
    if batch_size < 1:
        raise InputError(f"batch_size must be >= 1, got {batch_size}")
    sampler = neighbor_sampler(data, num_neighbors, generator)
    return NodeLoader(
        data,
        node_sampler=sampler,
        input_nodes=input_nodes,
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
    )
