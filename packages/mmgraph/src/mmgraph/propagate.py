"""Component 3 of the blueprint: propagating information by message passing (PyG layers).

``h_i' = phi(h_i, AGG_{j in N(i)} psi(h_i, h_j, e_ij))``. Each propagation component runs a stack
of ``n_layers`` PyTorch Geometric layers on every modality channel (one stack per modality, or one
shared stack with ``shared=True``) over the graph from component 2. Layers: GCN (weighted A, Kipf &
Welling 2017), GraphSAGE, GAT, GIN, relational GCN, and the Battaglia et al. graph-network block
(PyG ``MetaLayer``, used by GNS); ``mlp`` is the graph-free control. ``branches`` runs several
propagation kinds side by side (FuNet's CNN branch + miniGCN branch) and emits one channel each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from core_utils import InputError
from mmgraph.registry import build, register

Graph = Mapping[str, torch.Tensor | None]

_ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU, "identity": nn.Identity}


def _edge_type(et: Sequence[str]) -> tuple[str, str, str]:
    if isinstance(et, str) or len(et) != 3 or not all(isinstance(p, str) for p in et):
        raise InputError(f"cross edge types are (src, relation, dst) triples of names, got {et!r}")
    return (et[0], et[1], et[2])


class Propagation(nn.Module):
    """A stack of message-passing layers per modality channel (base class of the slot).

    Parameters
    ----------
    in_dim : int
        Entity embedding size d (from the entities component).
    hidden : int
        Output size of every layer.
    n_layers : int
        Depth (2-3: deeper GCNs over-smooth).
    modalities : sequence of str
        Channels to propagate (one per modality).
    shared : bool
        One stack shared by all modalities instead of one per modality.
    act : {"relu", "tanh", "elu", "identity"}
        Non-linearity after every layer.
    dropout : float
        Dropout before every layer.
    residual : bool
        Add the layer input to its output when the sizes agree (GNS-style).
    cross : sequence of (src, relation, dst)
        Cross-modal edge types of ``HeteroData`` inputs that get their own bipartite layers
        (:mod:`mmgraph.hetero`); within-modality relations reuse the modality's layers.
    """

    label = "base"

    def __init__(
        self,
        in_dim: int = 64,
        hidden: int = 64,
        n_layers: int = 2,
        modalities: Sequence[str] = ("x",),
        shared: bool = False,
        act: str = "relu",
        dropout: float = 0.0,
        residual: bool = False,
        cross: Sequence[Sequence[str]] = (),
    ) -> None:
        super().__init__()
        if n_layers < 1:
            raise InputError(f"propagation n_layers must be >= 1, got {n_layers}")
        if act not in _ACTS:
            raise InputError(f"unknown activation {act!r} (choose from {', '.join(_ACTS)})")
        self.in_dim, self.hidden, self.n_layers = in_dim, hidden, n_layers
        self.modalities, self.shared = list(modalities), shared
        self.act_name, self.dropout, self.residual = act, dropout, residual
        self.act = _ACTS[act]()
        keys = ["shared"] if shared else self.modalities
        self.stacks = nn.ModuleDict(
            {
                k: nn.ModuleList(
                    [self.make_layer(in_dim if i == 0 else hidden, hidden, i) for i in range(n_layers)]
                )
                for k in keys
            }
        )
        self.cross = [list(_edge_type(et)) for et in cross]
        if self.cross:
            from mmgraph.hetero import HETERO_KINDS, edge_key, make_cross_layer

            if self.kind not in HETERO_KINDS:
                raise InputError(f"propagation {self.kind!r} has no HeteroData path (cross edge types given)")
            self.cross_layers = nn.ModuleDict(
                {
                    edge_key(tuple(et)): nn.ModuleList(
                        [make_cross_layer(in_dim if i == 0 else hidden, hidden) for i in range(n_layers)]
                    )
                    for et in self.cross
                }
            )

    def make_layer(self, in_dim: int, out_dim: int, index: int) -> nn.Module:
        raise NotImplementedError

    def call_layer(self, layer: nn.Module, x: torch.Tensor, g: Graph) -> torch.Tensor:
        raise NotImplementedError

    @property
    def channels(self) -> list[str]:
        return list(self.modalities)

    def out_dim(self) -> int:
        return self.hidden

    def forward(self, h: Mapping[str, torch.Tensor], g: Graph) -> dict[str, torch.Tensor]:
        out = {}
        for m in self.modalities:
            x = h[m]
            for layer in self.stacks["shared" if self.shared else m]:
                x_in = nn.functional.dropout(x, self.dropout, self.training) if self.dropout > 0 else x
                y = self.act(self.call_layer(layer, x_in, g))
                x = y + x if self.residual and y.shape == x.shape else y
            out[m] = x
        return out

    def params(self) -> dict[str, Any]:
        return {}

    def config(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "in_dim": self.in_dim,
            "hidden": self.hidden,
            "n_layers": self.n_layers,
            "modalities": list(self.modalities),
            "shared": self.shared,
            "act": self.act_name,
            "dropout": self.dropout,
            "residual": self.residual,
            "cross": [list(et) for et in self.cross],
            **self.params(),
        }

    def describe(self) -> str:
        share = "shared" if self.shared else "per modality"
        return f"{self.label} x{self.n_layers} ({self.hidden} units, {share})"


@register("propagation", "gcn")
class GCNPropagation(Propagation):
    """GCN, ``H' = sigma(D^-1/2 (A + I) D^-1/2 H W)`` with optional edge weights (PyG ``GCNConv``)."""

    label = "GCN"

    def make_layer(self, in_dim: int, out_dim: int, index: int) -> nn.Module:
        from torch_geometric.nn import GCNConv

        return GCNConv(in_dim, out_dim)

    def call_layer(self, layer: nn.Module, x: torch.Tensor, g: Graph) -> torch.Tensor:
        return layer(x, g["edge_index"], g.get("edge_weight"))


@register("propagation", "sage")
class SAGEPropagation(Propagation):
    """GraphSAGE with mean aggregation, ``h' = W1 h_i + W2 mean_j h_j`` (PyG ``SAGEConv``)."""

    label = "GraphSAGE"

    def make_layer(self, in_dim: int, out_dim: int, index: int) -> nn.Module:
        from torch_geometric.nn import SAGEConv

        return SAGEConv(in_dim, out_dim)

    def call_layer(self, layer: nn.Module, x: torch.Tensor, g: Graph) -> torch.Tensor:
        return layer(x, g["edge_index"])


@register("propagation", "gat")
class GATPropagation(Propagation):
    """Graph attention (Velickovic et al. 2018), heads averaged (PyG ``GATConv``)."""

    label = "GAT"

    def __init__(self, heads: int = 2, **kwargs: Any) -> None:
        self.heads = heads
        super().__init__(**kwargs)

    def make_layer(self, in_dim: int, out_dim: int, index: int) -> nn.Module:
        from torch_geometric.nn import GATConv

        return GATConv(in_dim, out_dim, heads=self.heads, concat=False)

    def call_layer(self, layer: nn.Module, x: torch.Tensor, g: Graph) -> torch.Tensor:
        return layer(x, g["edge_index"])

    def params(self) -> dict[str, Any]:
        return {"heads": self.heads}


@register("propagation", "gin")
class GINPropagation(Propagation):
    """Graph isomorphism network layer, ``h' = MLP((1 + eps) h_i + sum_j h_j)`` (PyG ``GINConv``)."""

    label = "GIN"

    def make_layer(self, in_dim: int, out_dim: int, index: int) -> nn.Module:
        from torch_geometric.nn import GINConv

        return GINConv(nn.Sequential(nn.Linear(in_dim, out_dim), nn.ReLU(), nn.Linear(out_dim, out_dim)))

    def call_layer(self, layer: nn.Module, x: torch.Tensor, g: Graph) -> torch.Tensor:
        return layer(x, g["edge_index"])


@register("propagation", "rgcn")
class RGCNPropagation(Propagation):
    """Relation-aware GCN (Schlichtkrull et al. 2018; MCN), one weight per edge type (PyG ``RGCNConv``)."""

    label = "R-GCN"

    def __init__(self, num_relations: int = 2, **kwargs: Any) -> None:
        self.num_relations = num_relations
        super().__init__(**kwargs)

    def make_layer(self, in_dim: int, out_dim: int, index: int) -> nn.Module:
        from torch_geometric.nn import RGCNConv

        return RGCNConv(in_dim, out_dim, self.num_relations)

    def call_layer(self, layer: nn.Module, x: torch.Tensor, g: Graph) -> torch.Tensor:
        edge_type = g.get("edge_type")
        if edge_type is None:
            raise InputError("rgcn propagation needs edge_type on the data (one relation id per edge)")
        if edge_type.numel() and int(edge_type.max()) >= self.num_relations:
            raise InputError(
                f"edge_type holds {int(edge_type.max()) + 1} relations, rgcn has {self.num_relations}"
            )
        return layer(x, g["edge_index"], edge_type)

    def params(self) -> dict[str, Any]:
        return {"num_relations": self.num_relations}


class _GNEdgeModel(nn.Module):
    """Edge update of the GN block: ``e'_ij = MLP([h_i, h_j, e_ij])``."""

    def __init__(self, node_dim: int, edge_dim: int, out_dim: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(2 * node_dim + edge_dim, out_dim), nn.ReLU(), nn.Linear(out_dim, out_dim)
        )

    def forward(
        self, src: torch.Tensor, dst: torch.Tensor, edge_attr: torch.Tensor, u: Any, batch: Any
    ) -> torch.Tensor:
        return self.mlp(torch.cat([dst, src, edge_attr], dim=1))


class _GNNodeModel(nn.Module):
    """Node update of the GN block: ``h'_i = MLP([h_i, sum_j e'_ij])``."""

    def __init__(self, node_dim: int, edge_dim: int, out_dim: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(node_dim + edge_dim, out_dim), nn.ReLU(), nn.Linear(out_dim, out_dim)
        )

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor, u: Any, batch: Any
    ) -> torch.Tensor:
        from torch_geometric.utils import scatter

        agg = scatter(edge_attr, edge_index[1], dim=0, dim_size=x.shape[0], reduce="sum")
        return self.mlp(torch.cat([x, agg], dim=1))


@register("propagation", "gn")
class GNPropagation(Propagation):
    """Graph-network block (Battaglia et al. 2018; the GNS processor) via PyG ``MetaLayer``.

    Edge features (e.g. relative displacements from :class:`~mmgraph.topology.RadiusTopology`) enter
    the first block; later blocks see the updated edge embeddings.
    """

    label = "GN block"

    def __init__(self, edge_dim: int = 0, **kwargs: Any) -> None:
        self.edge_dim = edge_dim
        super().__init__(**kwargs)

    def make_layer(self, in_dim: int, out_dim: int, index: int) -> nn.Module:
        from torch_geometric.nn import MetaLayer

        e_in = max(self.edge_dim, 1) if index == 0 else out_dim
        return MetaLayer(_GNEdgeModel(in_dim, e_in, out_dim), _GNNodeModel(in_dim, out_dim, out_dim))

    def forward(self, h: Mapping[str, torch.Tensor], g: Graph) -> dict[str, torch.Tensor]:
        ei = g["edge_index"]
        e0 = g.get("edge_attr")
        if e0 is None:
            e0 = torch.zeros(ei.shape[1], max(self.edge_dim, 1), device=ei.device)
        if e0.shape[1] != max(self.edge_dim, 1):
            raise InputError(
                f"gn propagation: edge_attr has {e0.shape[1]} features, edge_dim={self.edge_dim}"
            )
        out = {}
        for m in self.modalities:
            x, e = h[m], e0
            for layer in self.stacks["shared" if self.shared else m]:
                x_in = nn.functional.dropout(x, self.dropout, self.training) if self.dropout > 0 else x
                y, e, _ = layer(x_in, ei, e)
                y = self.act(y)
                x = y + x if self.residual and y.shape == x.shape else y
            out[m] = x
        return out

    def params(self) -> dict[str, Any]:
        return {"edge_dim": self.edge_dim}


@register("propagation", "mlp")
class MLPPropagation(Propagation):
    """Graph-free control: the same depth of dense layers, ignoring the edges."""

    label = "MLP (no graph)"

    def make_layer(self, in_dim: int, out_dim: int, index: int) -> nn.Module:
        return nn.Linear(in_dim, out_dim)

    def call_layer(self, layer: nn.Module, x: torch.Tensor, g: Graph) -> torch.Tensor:
        return layer(x)


@register("propagation", "branches")
class BranchPropagation(nn.Module):
    """Several propagation components side by side; channel ``"<modality>/<kind>"`` per branch.

    FuNet (Hong et al. 2021) runs a CNN branch and a miniGCN branch on the same pixels and fuses
    them: ``branches=[{"kind": "mlp"}, {"kind": "gcn"}]``.
    """

    def __init__(self, branches: Sequence[Mapping[str, Any]] = (), **shared_params: Any) -> None:
        super().__init__()
        if len(branches) < 1:
            raise InputError("branches propagation needs at least one branch")
        kinds = [b.get("kind") for b in branches]
        if len(set(kinds)) != len(kinds) or "branches" in kinds:
            raise InputError(f"branch kinds must be distinct and not nested, got {kinds}")
        self.shared_params = dict(shared_params)
        self.branches = nn.ModuleDict(
            {b["kind"]: build("propagation", {**shared_params, **b}) for b in branches}
        )

    @property
    def modalities(self) -> list[str]:
        return next(iter(self.branches.values())).modalities

    @property
    def channels(self) -> list[str]:
        return [f"{m}/{k}" for k in self.branches for m in self.modalities]

    def out_dim(self) -> int:
        dims = {b.out_dim() for b in self.branches.values()}
        if len(dims) != 1:
            raise InputError(f"branches must share one hidden size, got {sorted(dims)}")
        return dims.pop()

    def forward(self, h: Mapping[str, torch.Tensor], g: Graph) -> dict[str, torch.Tensor]:
        out = {}
        for k, branch in self.branches.items():
            for m, z in branch(h, g).items():
                out[f"{m}/{k}"] = z
        return out

    def config(self) -> dict[str, Any]:
        branches = []
        for b in self.branches.values():
            cfg = b.config()
            branches.append(
                {key: v for key, v in cfg.items() if key == "kind" or self.shared_params.get(key) != v}
            )
        return {"kind": self.kind, **self.shared_params, "branches": branches}

    def describe(self) -> str:
        return " || ".join(b.describe() for b in self.branches.values())
