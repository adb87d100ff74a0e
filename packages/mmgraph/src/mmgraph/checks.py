"""Property checks shipped with the library: permutation equivariance of node outputs and
invariance of graph-level readouts, ``f(PX, P A P^T) = P f(X, A)`` (spec oracle 1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from mmgraph.entities import modalities_of


def permute_data(data: Any, perm: torch.Tensor) -> Any:
    """Relabel nodes: new node ``p`` is old node ``perm[p]``; edges follow, edge order kept."""
    n = data.num_nodes
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(n)
    out = data.clone()
    for key in data.keys():
        value = data[key]
        if key == "edge_index":
            out[key] = inv[value]
        elif (
            isinstance(value, torch.Tensor)
            and value.ndim >= 1
            and value.shape[0] == n
            and key not in ("edge_attr", "edge_weight", "edge_type")
        ):
            out[key] = value[perm]
    return out


@dataclass
class CheckResult:
    name: str
    error: float
    level: str

    def passed(self, atol: float = 1e-5) -> bool:
        return self.error <= atol


@torch.no_grad()
def equivariance_error(model: Any, data: Any, *, seed: int = 0) -> float:
    """Max |f(P data) - P f(data)| (node-level) or |f(P data) - f(data)| (graph-level readout).

    The static topology is rebuilt on the permuted data, so the check covers graph construction
    as well as propagation, mixing and readout.
    """
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(data.num_nodes, generator=g)
    model.eval()
    out = model(model.prepare(data))
    out_p = model(model.prepare(permute_data(data, perm)))
    expected = out if model.graph_level else out[perm]
    return float((out_p - expected).abs().max())


def _toy(n: int = 40, seed: int = 0) -> Any:
    from mmgraph.entities import make_data

    g = torch.Generator().manual_seed(seed)
    data = make_data(
        {"a": torch.randn(n, 6, generator=g), "b": torch.randn(n, 4, generator=g)},
        torch.arange(n) % 3,
        masks={"b": torch.rand(n, generator=g) > 0.2},
        pos=torch.rand(n, 2, generator=g),
    )
    return data


PROPAGATIONS: Mapping[str, dict[str, Any]] = {
    "gcn": {"kind": "gcn"},
    "sage": {"kind": "sage"},
    "gat": {"kind": "gat", "heads": 2},
    "gin": {"kind": "gin"},
    "rgcn": {"kind": "rgcn", "num_relations": 3},
    "gn": {"kind": "gn", "edge_dim": 3},
    "mlp": {"kind": "mlp"},
    "branches": {"kind": "branches", "branches": [{"kind": "mlp"}, {"kind": "gcn"}]},
}
TOPOLOGIES: Mapping[str, dict[str, Any]] = {
    "knn": {"kind": "knn", "k": 5},
    "gaussian": {"kind": "gaussian", "k": 5, "on": "a"},
    "radius": {"kind": "radius", "r": 0.3},
    "latent": {"kind": "latent", "k": 5},
}
MIXERS = ("concat", "sum", "product", "attention")
READOUTS = ("mean", "sum", "max")


def blueprint_configs() -> dict[str, tuple[dict[str, Any], str]]:
    """Every propagation x mixer, every topology and every readout, as named configs."""
    base = {"entities": {"dim": 8}, "head": {"hidden": 8}}
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for pname, prop in PROPAGATIONS.items():
        topo = TOPOLOGIES["radius"] if pname in ("gn", "rgcn") else TOPOLOGIES["knn"]
        for mix in MIXERS:
            cfg = {**base, "topology": topo, "propagation": {**prop, "hidden": 8}, "mixing": {"kind": mix}}
            out[f"{pname}+{mix}"] = (cfg, "node")
    for tname, topo in TOPOLOGIES.items():
        out[f"topology:{tname}"] = (
            {
                **base,
                "topology": topo,
                "propagation": {"kind": "gcn", "hidden": 8},
                "mixing": {"kind": "concat"},
            },
            "node",
        )
    for r in READOUTS:
        cfg = {
            **base,
            "topology": TOPOLOGIES["knn"],
            "propagation": {"kind": "gat", "hidden": 8},
            "mixing": {"kind": "attention"},
            "readout": {"kind": r},
        }
        out[f"readout:{r}"] = (cfg, "graph")
    return out


def check_equivariance(seed: int = 0, n: int = 40) -> list[CheckResult]:
    """Run :func:`equivariance_error` for every configuration of :func:`blueprint_configs`."""
    from mmgraph.blueprint import MGLBlueprint

    torch.manual_seed(seed)
    data = _toy(n, seed)
    results = []
    for name, (cfg, level) in blueprint_configs().items():
        model = MGLBlueprint.from_config(
            cfg, in_dims={m: data[f"x_{m}"].shape[1] for m in modalities_of(data)}, out_dim=3
        )
        d = data.clone()
        if cfg["propagation"]["kind"] == "rgcn":
            d = model.prepare(d)
            gen = torch.Generator().manual_seed(seed)
            d.edge_type = torch.randint(0, 3, (d.edge_index.shape[1],), generator=gen)
            model.topology.prepare = lambda x: x  # keep the explicit typed edges
        results.append(CheckResult(name, equivariance_error(model, d, seed=seed), level))
    return results
