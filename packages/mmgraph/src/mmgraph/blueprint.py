"""The MGL blueprint (Ektefaie et al. 2023, Fig. 2): entities -> topology -> propagation -> mixing.

:class:`MGLBlueprint` is a ``torch.nn.Module`` whose four slots hold interchangeable, registered
components (plus a readout and a prediction head). Components 1-2 define the structure, 3-4 learn
on it. A blueprint is fully described by a nested config (``to_config``), can be rebuilt from one
(``from_config``, partial configs are completed from the data's dimensions), and saved/loaded as a
TOML file plus weights.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core_utils import InputError, atomic_write_text, load_checkpoint, save_checkpoint
from mmgraph import entities as _entities  # noqa: F401  (registers the entities component)
from mmgraph import mix as _mix  # noqa: F401  (registers mixers, readouts, heads)
from mmgraph import propagate as _propagate  # noqa: F401  (registers propagation layers)
from mmgraph import topology as _topology  # noqa: F401  (registers topology builders)
from mmgraph.registry import build

CONFIG_FILE = "blueprint.toml"
WEIGHTS_FILE = "weights.pt"


class MGLBlueprint(nn.Module):
    """A multimodal graph learning model assembled from the blueprint's four components.

    Parameters
    ----------
    entities : Entities
        Component 1: per-modality encoders ``f_m: X_m -> R^d`` with missing-modality masks.
    topology : Topology
        Component 2: the adjacency (static, attached by :meth:`prepare`, or learned in ``forward``).
    propagation : Propagation
        Component 3: message passing per modality channel (PyG layers).
    mixing : Mixer
        Component 4: combines the channels (none, concat, sum, product, attention).
    head : MLPHead
        Task head (logits or regression outputs).
    readout : NodeReadout, optional
        Node-level (default) or a graph pooling for graph-level tasks.

    Notes
    -----
    ``forward(data)`` returns one row per node (node-level readout) or per graph.
    """

    def __init__(
        self,
        entities: nn.Module,
        topology: nn.Module,
        propagation: nn.Module,
        mixing: nn.Module,
        head: nn.Module,
        readout: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.entities = entities
        self.topology = topology
        self.propagation = propagation
        self.mixing = mixing
        self.head = head
        self.readout = readout if readout is not None else build("readout", {"kind": "none"})
        self._check_dims()

    def _check_dims(self) -> None:
        e, p, m, h = self.entities, self.propagation, self.mixing, self.head
        if sorted(p.modalities) != sorted(e.modalities):
            raise InputError(
                f"propagation modalities {p.modalities} differ from the entities' {e.modalities}"
            )
        inner = getattr(p, "in_dim", None) or next(iter(p.branches.values())).in_dim
        if inner != e.dim:
            raise InputError(f"propagation in_dim={inner} differs from the entity dim d={e.dim}")
        if m.kind == "none" and len(p.channels) != 1:
            raise InputError(f"mixing 'none' needs one channel; propagation makes {p.channels}")
        if m.in_dim != p.out_dim():
            raise InputError(f"mixer in_dim={m.in_dim} differs from the propagation output {p.out_dim()}")
        if h.in_dim != m.out_dim():
            raise InputError(f"head in_dim={h.in_dim} differs from the mixer output {m.out_dim()}")

    @property
    def graph_level(self) -> bool:
        return bool(self.readout.graph_level)

    def prepare(self, data: Any) -> Any:
        """Run the structure phase that does not learn (static topology) once, on a copy of ``data``.

        ``HeteroData`` carries its own edge types (:mod:`mmgraph.hetero`); it is validated only.
        """
        from mmgraph.hetero import check_hetero, is_hetero

        if is_hetero(data):
            return check_hetero(data, self.entities.modalities, self.topology.kind)
        return self.topology.prepare(copy.copy(data))

    def forward(self, data: Any) -> torch.Tensor:
        """Predictions for a PyG ``Data``/``Batch`` or a ``HeteroData`` (one node type per modality)."""
        from mmgraph.hetero import hetero_forward, is_hetero

        if is_hetero(data):
            return hetero_forward(self, data)
        h, masks = self.entities(data)
        graph = self.topology(data, h)
        channels = self.propagation(h, graph)
        ch_masks = {c: masks[c.split("/")[0]] for c in channels}
        z = self.mixing(channels, ch_masks)
        z = self.readout(z, getattr(data, "batch", None))
        return self.head(z)

    def components(self) -> dict[str, str]:
        """One line per component: entities, topology, propagation, mixing, readout, head."""
        return {
            "entities": self.entities.describe(),
            "topology": self.topology.describe(),
            "propagation": self.propagation.describe(),
            "mixing": self.mixing.describe(),
            "readout": self.readout.describe(),
            "head": self.head.describe(),
        }

    def describe(self) -> str:
        """The four component choices (plus readout and head), one per line."""
        names = ["1. entities", "2. topology", "3. propagation", "4. mixing", "   readout", "   head"]
        return "\n".join(f"{n:<16} {v}" for n, v in zip(names, self.components().values()))

    # ---------------------------------------------------------------------------- configs

    def to_config(self) -> dict[str, Any]:
        """Nested, complete config (``{slot: {"kind": ..., **params}}``) that rebuilds this model."""
        return {
            "entities": self.entities.config(),
            "topology": self.topology.config(),
            "propagation": self.propagation.config(),
            "mixing": self.mixing.config(),
            "readout": self.readout.config(),
            "head": self.head.config(),
        }

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        *,
        in_dims: Mapping[str, int] | None = None,
        out_dim: int | None = None,
    ) -> MGLBlueprint:
        """Build a blueprint from a (possibly partial) config.

        Missing derived sizes are filled in: ``entities.in_dims`` from ``in_dims``, the
        propagation's input size and modalities from the entities, the mixer's channels and
        sizes from the propagation, the head's sizes from the mixer and ``out_dim``.
        """
        cfg = {k: dict(v) for k, v in config.items()}
        unknown = set(cfg) - {"entities", "topology", "propagation", "mixing", "readout", "head"}
        if unknown:
            raise InputError(f"unknown blueprint sections {sorted(unknown)}")
        for slot in ("entities", "topology", "propagation", "mixing"):
            if slot not in cfg:
                raise InputError(f"blueprint config lacks the [{slot}] section")
        ent_cfg = {"kind": "encoders", **cfg["entities"]}
        if "in_dims" not in ent_cfg:
            if in_dims is None:
                raise InputError("entities.in_dims missing: pass in_dims (modality -> feature size)")
            ent_cfg["in_dims"] = dict(in_dims)
        entities = build("entities", ent_cfg)
        mods = entities.modalities
        prop_cfg = dict(cfg["propagation"])
        prop_cfg.setdefault("in_dim", entities.dim)
        prop_cfg.setdefault("modalities", mods)
        propagation = build("propagation", prop_cfg)
        topo_cfg = dict(cfg["topology"])
        if topo_cfg.get("kind") == "latent":
            topo_cfg.setdefault("embed_dim", entities.dim)
            topo_cfg.setdefault("modalities", mods)
        topology = build("topology", topo_cfg)
        mix_cfg = dict(cfg["mixing"])
        mix_cfg.setdefault("in_dim", propagation.out_dim())
        mix_cfg.setdefault("channels", propagation.channels)
        mixing = build("mixing", mix_cfg)
        readout = build("readout", cfg.get("readout", {"kind": "none"}))
        head_cfg = {"kind": "mlp", **cfg.get("head", {})}
        head_cfg.setdefault("in_dim", mixing.out_dim())
        if "out_dim" not in head_cfg:
            if out_dim is None:
                raise InputError("head.out_dim missing: pass out_dim (classes or targets)")
            head_cfg["out_dim"] = out_dim
        head = build("head", head_cfg)
        return cls(entities, topology, propagation, mixing, head, readout)

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``blueprint.toml`` (the full config) and ``weights.pt`` atomically into ``folder``."""
        import tomli_w

        folder = Path(folder)
        atomic_write_text(folder / CONFIG_FILE, tomli_w.dumps(_toml_safe(self.to_config())))
        save_checkpoint(folder / WEIGHTS_FILE, {"state_dict": self.state_dict()})
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> MGLBlueprint:
        """Rebuild a blueprint saved by :meth:`save` (config + weights)."""
        folder = Path(folder)
        model = cls.from_config(load_config(folder / CONFIG_FILE))
        weights = folder / WEIGHTS_FILE
        if weights.is_file():
            model.load_state_dict(load_checkpoint(weights)["state_dict"])
        return model


def _toml_safe(obj: Any) -> Any:
    """Drop None values (TOML has no null)."""
    if isinstance(obj, Mapping):
        return {k: _toml_safe(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_toml_safe(v) for v in obj]
    return obj


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a blueprint config from TOML (``.toml``) or JSON (``.json``)."""
    import json

    path = Path(path)
    if not path.is_file():
        raise InputError(f"blueprint config {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"blueprint config {path} cannot be parsed: {exc}") from None
