"""Component 2 of the blueprint: uncovering topology (the adjacency between entities).

Builders return a PyG-style ``edge_index`` (shape (2, E), int64, row 0 = source j, row 1 = target
i, so messages flow from neighbours to the centre node) and optional edge weights. kNN and radius
graphs come from scikit-learn (``kneighbors_graph`` / ``radius_neighbors_graph``), never from PyG's
optional compiled extensions. Topology *components* (registered in the ``topology`` slot) attach
such a graph to a data object in :meth:`prepare`, or learn it in ``forward`` (latent graph).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from core_utils import InputError
from mmgraph.registry import register
from mmgraph.validation import as_float_tensor, check_edge_index, check_k, check_positive


def _csr_to_edge_index(adj: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Sparse matrix A (A[i, j]: j is a neighbour of i) to (edge_index j->i, values)."""
    coo = adj.tocoo()
    order = np.lexsort((coo.col, coo.row))
    row, col, val = coo.row[order], coo.col[order], coo.data[order]
    edge_index = torch.as_tensor(np.vstack([col, row]).astype(np.int64))
    return edge_index, torch.as_tensor(val, dtype=torch.float32)


def _np(x: Any, name: str) -> np.ndarray:
    return as_float_tensor(x, name).numpy().astype(np.float64)


def knn_graph(x: Any, k: int, *, loop: bool = False) -> torch.Tensor:
    """Directed k-nearest-neighbour graph in feature or physical space.

    Each node ``i`` receives edges from its ``k`` nearest neighbours ``j`` (Euclidean), via
    :func:`sklearn.neighbors.kneighbors_graph`. With ``loop=True`` the node counts as its own
    nearest neighbour (``include_self``). Symmetrise with :func:`symmetrize`.
    """
    from sklearn.neighbors import kneighbors_graph

    arr = _np(x, "x")
    check_k(k, arr.shape[0], loop=loop)
    adj = kneighbors_graph(arr, k, mode="connectivity", include_self=loop)
    return _csr_to_edge_index(adj)[0]


def radius_graph(x: Any, r: float, *, loop: bool = False) -> torch.Tensor:
    """Radius graph: ``j -> i`` whenever ``||x_i - x_j|| <= r`` ("radial particle connectivity", GNS)."""
    from sklearn.neighbors import radius_neighbors_graph

    arr = _np(x, "x")
    check_positive(r, "radius r")
    adj = radius_neighbors_graph(arr, r, mode="connectivity", include_self=loop)
    return _csr_to_edge_index(adj)[0]


def gaussian_kernel_graph(
    x: Any, *, sigma: float | None = None, k: int | None = 10
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian (RBF) weighted graph, ``w_ij = exp(-||x_i - x_j||^2 / sigma^2)`` (FuNet, GraphFCN).

    Parameters
    ----------
    x : array (N, F)
    sigma : float, optional
        Kernel width; default the median distance to the k-th neighbour (or the median pairwise
        distance when ``k`` is None).
    k : int or None
        Sparsify to the symmetrised kNN graph (None: dense, every pair i != j).

    Returns
    -------
    edge_index, edge_weight
        Symmetric, weights in (0, 1], no self-loops.
    """
    arr = _np(x, "x")
    n = arr.shape[0]
    if k is None:
        if n < 2:
            raise InputError("a dense Gaussian graph needs at least 2 nodes")
        idx = torch.combinations(torch.arange(n), 2).T
        edge_index = torch.cat([idx, idx.flip(0)], dim=1)
    else:
        edge_index = symmetrize(knn_graph(arr, k), num_nodes=n)[0]
    xt = torch.as_tensor(arr)
    d2 = ((xt[edge_index[0]] - xt[edge_index[1]]) ** 2).sum(dim=1)
    if sigma is None:
        sigma = float(d2.sqrt().median()) or 1.0
    check_positive(sigma, "sigma")
    weight = torch.exp(-d2 / sigma**2).to(torch.float32)
    return edge_index, weight


def region_adjacency(labels: Any, *, connectivity: int = 1) -> torch.Tensor:
    """Region adjacency graph of a 2-D label image (super-pixels; RAG-GAT).

    Regions ``a != b`` are adjacent when two of their pixels touch (4-neighbourhood for
    ``connectivity=1``, 8-neighbourhood for 2, as :func:`skimage.graph.rag_mean_color`). Labels
    must be 0..R-1. Returns the symmetric edge_index over regions.
    """
    lab = np.asarray(labels)
    if lab.ndim != 2 or lab.size == 0:
        raise InputError(f"labels must be a non-empty 2-D label image, got shape {lab.shape}")
    if lab.dtype.kind not in "iu" or lab.min() < 0:
        raise InputError("labels must be non-negative integers")
    if connectivity not in (1, 2):
        raise InputError(f"connectivity must be 1 or 2, got {connectivity}")
    pairs = [(lab[:, :-1], lab[:, 1:]), (lab[:-1, :], lab[1:, :])]
    if connectivity == 2:
        pairs += [(lab[:-1, :-1], lab[1:, 1:]), (lab[:-1, 1:], lab[1:, :-1])]
    a = np.concatenate([p[0].ravel() for p in pairs])
    b = np.concatenate([p[1].ravel() for p in pairs])
    keep = a != b
    e = np.unique(np.vstack([np.concatenate([a[keep], b[keep]]), np.concatenate([b[keep], a[keep]])]), axis=1)
    return torch.as_tensor(e.astype(np.int64)).reshape(2, -1)


def cooccurrence_graph(counts: Any, *, min_pmi: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """TextGCN's heterogeneous document-word graph (Yao, Mao, Luo 2019, eq. 1).

    Nodes ``0..D-1`` are documents, ``D..D+V-1`` words. Document-word edges carry TF-IDF weights
    (scikit-learn ``TfidfTransformer``); word-word edges carry positive pointwise mutual
    information ``PMI(i, j) = log p(i, j) / (p(i) p(j))`` with the document as the sliding window.

    Parameters
    ----------
    counts : array or sparse matrix (D, V)
        Word counts per document (e.g. from :func:`mmgraph.entities.token_entities`).
    """
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer

    c = sp.csr_matrix(counts, dtype=np.float64)
    n_docs, n_words = c.shape
    if n_docs == 0 or n_words == 0:
        raise InputError("the document-word count matrix is empty")
    tfidf = TfidfTransformer().fit_transform(c).tocoo()
    binary = (c > 0).astype(np.float64)
    joint = (binary.T @ binary).toarray()
    p_word = np.diag(joint) / n_docs
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log((joint / n_docs) / np.outer(p_word, p_word))
    np.fill_diagonal(pmi, 0.0)
    wi, wj = np.nonzero(np.nan_to_num(pmi, nan=0.0, neginf=0.0) > min_pmi)
    src = np.concatenate([tfidf.col + n_docs, tfidf.row, wj + n_docs])
    dst = np.concatenate([tfidf.row, tfidf.col + n_docs, wi + n_docs])
    w = np.concatenate([tfidf.data, tfidf.data, pmi[wi, wj]])
    return torch.as_tensor(np.vstack([src, dst]).astype(np.int64)), torch.as_tensor(w, dtype=torch.float32)


def explicit_graph(
    edge_index: Any, num_nodes: int, edge_weight: Any = None, *, undirected: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Validate a user's edge list (bonds, relations, document structure) and coalesce duplicates."""
    from torch_geometric.utils import coalesce

    ei = check_edge_index(edge_index, num_nodes)
    w = None
    if edge_weight is not None:
        w = as_float_tensor(edge_weight, "edge_weight").reshape(-1)
        if w.numel() != ei.shape[1]:
            raise InputError(f"edge_weight has {w.numel()} entries for {ei.shape[1]} edges")
    if undirected:
        return symmetrize(ei, w, num_nodes=num_nodes)
    ei, w = coalesce(ei, w, num_nodes=num_nodes, reduce="max")
    return ei, w


def symmetrize(
    edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None, *, num_nodes: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Union with the reversed graph (``A <- max(A, A^T)``), duplicates merged; idempotent."""
    from torch_geometric.utils import to_undirected

    if edge_weight is None:
        return to_undirected(edge_index, num_nodes=num_nodes), None
    ei, w = to_undirected(edge_index, edge_weight, num_nodes=num_nodes, reduce="max")
    return ei, w


def add_self_loops(
    edge_index: torch.Tensor, edge_weight: torch.Tensor | None = None, *, num_nodes: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Add a self-loop (weight 1) to every node lacking one, so isolated nodes keep their features."""
    from torch_geometric.utils import add_remaining_self_loops

    return add_remaining_self_loops(edge_index, edge_weight, fill_value=1.0, num_nodes=num_nodes)


def graph_stats(edge_index: torch.Tensor, num_nodes: int, y: torch.Tensor | None = None) -> dict[str, float]:
    """Edges, degree summary, isolated nodes, self-loops, symmetry and (with labels) edge homophily."""
    ei = edge_index
    deg = torch.bincount(ei[1], minlength=num_nodes).float()
    loops = int((ei[0] == ei[1]).sum())
    fwd = set(map(tuple, ei.T.tolist()))
    symmetric = all((j, i) in fwd for i, j in fwd)
    out = {
        "nodes": num_nodes,
        "edges": int(ei.shape[1]),
        "mean_in_degree": float(deg.mean()),
        "max_in_degree": float(deg.max()) if num_nodes else 0.0,
        "isolated_nodes": int(((deg == 0) & (torch.bincount(ei[0], minlength=num_nodes) == 0)).sum()),
        "self_loops": loops,
        "symmetric": bool(symmetric),
    }
    if y is not None and ei.shape[1]:
        out["edge_homophily"] = float((y[ei[0]] == y[ei[1]]).float().mean())
    return out


# ---------------------------------------------------------------- topology components (slot 2)


def _source_features(data: Any, on: str) -> torch.Tensor:
    """The raw features a static topology is built on: ``pos``, one modality or ``all``."""
    from mmgraph.entities import modalities_of

    if on == "pos":
        if getattr(data, "pos", None) is None:
            raise InputError("topology on='pos' but the data has no positions")
        return data.pos
    mods = modalities_of(data)
    if on == "all":
        parts = []
        for m in mods:
            x = data[f"x_{m}"]
            parts.append((x - x.mean(0)) / x.std(0).clamp_min(1e-8))  # standardise: no modality dominates
        return torch.cat(parts, dim=1)
    if on not in mods:
        raise InputError(f"topology built on unknown modality {on!r} (data has {', '.join(mods)}, pos, all)")
    return data[f"x_{on}"]


class Topology(nn.Module):
    """Base topology component: ``prepare`` attaches a static graph; ``forward`` returns it."""

    kind = "base"
    learned = False

    def prepare(self, data: Any) -> Any:
        return data

    def forward(self, data: Any, h: dict[str, torch.Tensor]) -> dict[str, torch.Tensor | None]:
        if getattr(data, "edge_index", None) is None:
            raise InputError(f"topology {self.kind!r}: call blueprint.prepare(data) first (no edges)")
        return {
            "edge_index": data.edge_index,
            "edge_weight": getattr(data, "edge_weight", None),
            "edge_attr": getattr(data, "edge_attr", None),
            "edge_type": getattr(data, "edge_type", None),
        }

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def describe(self) -> str:
        return self.kind


@register("topology", "explicit")
class ExplicitTopology(Topology):
    """Edges supplied with the data (bonds, region adjacency, co-occurrence, KG relations)."""

    def __init__(self, source: str = "given") -> None:
        super().__init__()
        self.source = source

    def prepare(self, data: Any) -> Any:
        if getattr(data, "edge_index", None) is None:
            raise InputError("explicit topology: the data carries no edge_index")
        check_edge_index(data.edge_index, data.num_nodes)
        return data

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source}

    def describe(self) -> str:
        return f"explicit ({self.source})"


@register("topology", "none")
class NoTopology(Topology):
    """No edges (graph-free baselines): an empty edge_index; graph layers then see isolated nodes."""

    def prepare(self, data: Any) -> Any:
        data.edge_index = torch.empty(2, 0, dtype=torch.long)
        data.edge_weight = None
        return data

    def describe(self) -> str:
        return "none (no edges)"


@register("topology", "knn")
class KNNTopology(Topology):
    """Symmetrised kNN graph on one modality, on positions or on all standardised modalities."""

    def __init__(self, k: int = 10, on: str = "all") -> None:
        super().__init__()
        self.k, self.on = k, on

    def prepare(self, data: Any) -> Any:
        x = _source_features(data, self.on)
        data.edge_index, _ = symmetrize(knn_graph(x, self.k), num_nodes=data.num_nodes)
        data.edge_weight = None
        return data

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "k": self.k, "on": self.on}

    def describe(self) -> str:
        return f"kNN (k={self.k}) on {self.on}"


@register("topology", "radius")
class RadiusTopology(Topology):
    """Radius graph with relative-displacement edge features ``[x_j - x_i, |x_j - x_i|]`` (GNS)."""

    def __init__(self, r: float = 0.1, on: str = "pos") -> None:
        super().__init__()
        self.r, self.on = r, on

    def prepare(self, data: Any) -> Any:
        x = _source_features(data, self.on)
        ei = radius_graph(x, self.r)
        rel = x[ei[0]] - x[ei[1]]
        data.edge_index = ei
        data.edge_attr = torch.cat([rel, rel.norm(dim=1, keepdim=True)], dim=1).float()
        return data

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "r": self.r, "on": self.on}

    def describe(self) -> str:
        return f"radius graph (r={self.r}) on {self.on}"


@register("topology", "gaussian")
class GaussianTopology(Topology):
    """Gaussian-kernel weighted kNN graph, ``w_ij = exp(-||x_i-x_j||^2/sigma^2)`` (FuNet, GraphFCN)."""

    def __init__(self, k: int = 10, sigma: float | None = None, on: str = "all") -> None:
        super().__init__()
        self.k, self.sigma, self.on = k, sigma, on

    def prepare(self, data: Any) -> Any:
        x = _source_features(data, self.on)
        data.edge_index, data.edge_weight = gaussian_kernel_graph(x, sigma=self.sigma, k=self.k)
        return data

    def config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {"kind": self.kind, "k": self.k, "on": self.on}
        if self.sigma is not None:
            cfg["sigma"] = self.sigma
        return cfg

    def describe(self) -> str:
        return f"Gaussian-kernel kNN graph (k={self.k}) on {self.on}"


class LatentGraphLearner(nn.Module):
    """Differentiable top-k cosine-similarity graph (modality-aware latent graph, MMGL; GP-GNN).

    ``z_i = W h_i / ||W h_i||``, ``S = z z^T`` (diagonal excluded); node ``i`` receives edges from
    its ``k`` most similar nodes ``j`` with weight ``relu(S_ij)``, so gradients reach ``W``.
    Dense O(N^2) similarity: meant for graphs of a few thousand nodes.
    """

    def __init__(self, in_dim: int, dim: int = 32, k: int = 10) -> None:
        super().__init__()
        self.k = k
        self.proj = nn.Linear(in_dim, dim)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = h.shape[0]
        k = check_k(self.k, n)
        z = nn.functional.normalize(self.proj(h), dim=1)
        sim = z @ z.T
        sim = sim.masked_fill(torch.eye(n, dtype=torch.bool, device=h.device), -math.inf)
        vals, idx = sim.topk(k, dim=1)
        target = torch.arange(n, device=h.device).repeat_interleave(k)
        edge_index = torch.stack([idx.reshape(-1), target])
        return edge_index, torch.relu(vals.reshape(-1))


@register("topology", "latent")
class LatentTopology(Topology):
    """Learned latent graph over the concatenated modality embeddings (MMGL's adaptive graph)."""

    learned = True

    def __init__(
        self, k: int = 10, dim: int = 32, embed_dim: int = 64, modalities: Sequence[str] = ()
    ) -> None:
        super().__init__()
        self.k, self.dim, self.embed_dim, self.modalities = k, dim, embed_dim, tuple(modalities)
        self.learner = LatentGraphLearner(embed_dim * max(1, len(self.modalities)), dim, k)

    def forward(self, data: Any, h: dict[str, torch.Tensor]) -> dict[str, torch.Tensor | None]:
        mods = self.modalities or tuple(h)
        if len(mods) * self.embed_dim != self.learner.proj.in_features:
            raise InputError(f"latent topology expects modalities {self.modalities}, got {tuple(h)}")
        edge_index, weight = self.learner(torch.cat([h[m] for m in mods], dim=1))
        return {"edge_index": edge_index, "edge_weight": weight, "edge_attr": None, "edge_type": None}

    def config(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "k": self.k,
            "dim": self.dim,
            "embed_dim": self.embed_dim,
            "modalities": list(self.modalities),
        }

    def describe(self) -> str:
        return f"learned latent graph (top-{self.k} cosine) over {', '.join(self.modalities) or 'all'}"
