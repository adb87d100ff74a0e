"""The blueprint on PyG ``HeteroData``: one node type per modality, message passing with ``HeteroConv``.

A heterogeneous multimodal graph holds one node type per modality ``m`` (features ``data[m].x``),
within-modality edges ``(m, rel, m)`` and cross-modal edges ``(m1, rel, m2)``, so modalities may
cover different entity sets (PyG's per-type ``x_dict`` / ``edge_index_dict``, the answer to
"different modalities of node information", pyg-team/pytorch_geometric#2242).
:func:`mmgraph.entities.to_hetero` writes a multimodal ``Data`` in this form.

The four components map as follows.

1. Entities: the encoder of modality ``m`` embeds node type ``m``.
2. Topology: the edge types of the data (a static builder such as kNN applies to ``Data`` only;
   the ``HeteroData`` brings its edges, already built; ``none`` drops them; a learned latent graph
   is refused). Edge type relation ``"same"`` only aligns two views of one entity and carries no
   messages.
3. Propagation: layer ``l`` is a PyG ``HeteroConv`` (sum over relations) whose within-modality
   relation ``(m, *, m)`` runs the modality's own layer ``l`` (the very module the homogeneous path
   uses) and whose cross-modal relations ``(m1, rel, m2)`` listed in the propagation's ``cross``
   parameter run bipartite ``SAGEConv`` layers.
4. Mixing: when every node type carries ``node_id`` (the shared entity id, as written by
   ``to_hetero``) the per-type embeddings are scattered back to the shared entities and mixed
   exactly as in the homogeneous path (a modality absent for an entity is masked). Otherwise the
   prediction is made on the one node type that carries labels ``y`` (the target); the other
   modalities reach it only through cross-modal edges and are masked in the mixer.

Invariant: a multimodal ``Data`` and its ``to_hetero`` view give the same output from the same
model (all modalities present; with missing modalities the hetero view drops absent entities from
each modality's graph instead of zeroing them, which changes GCN degrees).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from core_utils import InputError
from mmgraph.validation import check_edge_index

EdgeType = tuple[str, str, str]
ALIGN_RELATION = "same"
HETERO_KINDS = ("gcn", "sage", "gat", "gin", "mlp")


def is_hetero(data: Any) -> bool:
    from torch_geometric.data import HeteroData

    return isinstance(data, HeteroData)


def edge_key(et: EdgeType) -> str:
    return "__".join(et)


def make_cross_layer(in_dim: int, out_dim: int) -> nn.Module:
    """Bipartite message-passing layer for a cross-modal relation (PyG ``SAGEConv((d, d), d')``)."""
    from torch_geometric.nn import SAGEConv

    return SAGEConv((in_dim, in_dim), out_dim)


def uses_node_ids(data: Any, modalities: list[str]) -> bool:
    return all("node_id" in data[m] for m in modalities)


def target_type(data: Any) -> str:
    """The node type carrying labels ``y`` (prediction target when no shared ``node_id`` exists)."""
    typed = [t for t in data.node_types if "y" in data[t]]
    if len(typed) != 1:
        raise InputError(
            f"HeteroData without node_id on every node type needs labels y on exactly one node type "
            f"(the target), found {typed or 'none'}"
        )
    return typed[0]


def label_store(data: Any, modalities: list[str]) -> Any:
    """Where ``y``, ``train_mask`` and ``test_mask`` live: the global store (shared entities) or the target."""
    if uses_node_ids(data, modalities):
        return data
    return data[target_type(data)]


def check_hetero(data: Any, modalities: list[str], topology_kind: str) -> Any:
    """Validate a ``HeteroData`` for a blueprint: one node type per modality, sound edge types."""
    missing = [m for m in modalities if m not in data.node_types or "x" not in data[m]]
    if missing:
        raise InputError(
            f"HeteroData lacks node types (with features x) for modalities {missing}; "
            f"it has node types {data.node_types}"
        )
    if topology_kind == "latent":
        raise InputError("a learned latent topology has no HeteroData path: HeteroData brings its edge types")
    within: dict[str, EdgeType] = {}
    for et in data.edge_types:
        src, rel, dst = et
        for t in (src, dst):
            if t not in data.node_types:
                raise InputError(f"edge type {et} refers to unknown node type {t!r}")
        check_edge_index(
            data[et].edge_index, max(data[src].num_nodes, data[dst].num_nodes), f"edge_index of {et}"
        )
        ei = data[et].edge_index
        if ei.numel() and (
            int(ei[0].max()) >= data[src].num_nodes or int(ei[1].max()) >= data[dst].num_nodes
        ):
            raise InputError(f"edge_index of {et} points past the {src!r}/{dst!r} node counts")
        if src == dst and rel != ALIGN_RELATION and src in modalities:
            if src in within:
                raise InputError(
                    f"node type {src!r} has two within-modality relations {within[src]} and {et}; "
                    "merge them (one relation per modality) or use rgcn on a homogeneous graph"
                )
            within[src] = et
    return data


def hetero_forward(model: Any, data: Any) -> torch.Tensor:
    """``MGLBlueprint.forward`` on a ``HeteroData`` (see the module docstring)."""
    from torch_geometric.nn import HeteroConv

    ent, prop = model.entities, model.propagation
    mods = ent.modalities
    if model.graph_level:
        raise InputError("HeteroData input supports node-level tasks only (readout 'none')")
    kind = getattr(prop, "kind", "")
    if kind not in HETERO_KINDS:
        raise InputError(
            f"propagation {kind!r} has no HeteroData path (choose from {', '.join(HETERO_KINDS)})"
        )
    check_hetero(data, mods, model.topology.kind)
    h: dict[str, torch.Tensor] = {}
    for m in mods:
        x = data[m].x
        if x.shape[1] != ent.in_dims[m]:
            raise InputError(
                f"node type {m!r} has {x.shape[1]} features, the encoder expects {ent.in_dims[m]}"
            )
        h[m] = ent.encoders[m](x)

    use_edges = model.topology.kind != "none" and kind != "mlp"
    within: dict[EdgeType, torch.Tensor] = {}
    weights: dict[EdgeType, torch.Tensor] = {}
    cross: dict[EdgeType, torch.Tensor] = {}
    declared = {tuple(c) for c in prop.cross}
    for et in data.edge_types if use_edges else []:
        src, rel, dst = et
        if rel == ALIGN_RELATION:
            continue
        if src == dst and src in mods:
            within[et] = data[et].edge_index
            w = data[et].get("edge_weight") if kind == "gcn" else None
            if w is not None:
                weights[et] = w
        elif et in declared:
            cross[et] = data[et].edge_index
        else:
            raise InputError(
                f"cross-modal edge type {et} has no layers: list it in the propagation's cross parameter"
            )
    for m in mods:  # every modality runs its own layer, with no edges if it has no within relation
        if not any(et[0] == m and et[2] == m for et in within):
            within[(m, "links", m)] = torch.empty(2, 0, dtype=torch.long, device=h[m].device)

    for i in range(prop.n_layers):
        x_in = {
            m: nn.functional.dropout(x, prop.dropout, prop.training) if prop.dropout > 0 else x
            for m, x in h.items()
        }
        if kind == "mlp":
            out = {m: prop.stacks["shared" if prop.shared else m][i](x_in[m]) for m in mods}
        else:
            convs = {et: prop.stacks["shared" if prop.shared else et[0]][i] for et in within}
            convs.update({et: prop.cross_layers[edge_key(et)][i] for et in cross})
            conv = HeteroConv(convs, aggr="sum")
            kwargs = {"edge_weight_dict": weights} if weights else {}
            out = conv(x_in, {**within, **cross}, **kwargs)
        new = {}
        for m in mods:
            y = prop.act(out[m])
            new[m] = y + h[m] if prop.residual and y.shape == h[m].shape else y
        h = new

    if uses_node_ids(data, mods):
        n = (
            int(data.num_entities)
            if "num_entities" in data
            else 1 + max(int(data[m].node_id.max()) for m in mods)
        )
        ref = next(iter(h.values()))
        channels, masks = {}, {}
        for m in mods:
            full = torch.zeros(n, ref.shape[1], dtype=ref.dtype, device=ref.device)
            full[data[m].node_id] = h[m]
            mask = torch.zeros(n, dtype=torch.bool, device=ref.device)
            mask[data[m].node_id] = True
            channels[m], masks[m] = full, mask
    else:
        tgt = target_type(data)
        if tgt not in mods:
            raise InputError(f"the target node type {tgt!r} is not a modality of the model {mods}")
        n = h[tgt].shape[0]
        channels = {m: h[tgt] if m == tgt else torch.zeros_like(h[tgt]) for m in mods}
        masks = {m: torch.full((n,), m == tgt, dtype=torch.bool, device=h[tgt].device) for m in mods}
    z = model.mixing(channels, masks)
    return model.head(model.readout(z, None))


def hetero_in_dims(data: Any) -> dict[str, int]:
    return {t: int(data[t].x.shape[1]) for t in data.node_types if "x" in data[t]}


def cross_types(data: Any) -> list[list[str]]:
    """Cross-modal edge types of ``data`` (config value for the propagation's ``cross``)."""
    return [list(et) for et in data.edge_types if et[0] != et[2] and et[1] != ALIGN_RELATION]
