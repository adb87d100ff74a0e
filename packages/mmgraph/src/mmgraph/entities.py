"""Component 1 of the blueprint: identifying entities and projecting each modality to a shared space.

A multimodal node set is a PyG :class:`~torch_geometric.data.Data` holding one feature matrix per
modality as ``x_<modality>`` (rows = entities), a boolean ``mask_<modality>`` marking which entities
have that modality, optional ``pos``, ``y`` and graph fields. :func:`make_data` builds one and checks
that the modalities agree on the entities (or takes an explicit alignment map).

Extractors turn raw inputs into entities: :func:`pixel_entities`, :func:`patch_entities`,
:func:`superpixel_entities` (scikit-image SLIC), :func:`token_entities` (scikit-learn
``CountVectorizer``) and :func:`tabular_entities`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from core_utils import InputError
from mmgraph.registry import register
from mmgraph.validation import as_float_tensor, check_edge_index, check_labels


def check_modality_name(name: str) -> str:
    """Modality names are Python identifiers that do not shadow ``nn.ModuleDict`` attributes."""
    if not isinstance(name, str) or not name.isidentifier() or hasattr(nn.ModuleDict, name):
        raise InputError(f"modality name {name!r} must be an identifier that is not a torch Module attribute")
    return name


def modalities_of(data: Any) -> list[str]:
    """Modality names present on a data object (its ``x_<name>`` fields), sorted."""
    return sorted(k[2:] for k in data.keys() if k.startswith("x_"))


def make_data(
    features: Mapping[str, Any],
    y: Any = None,
    *,
    alignment: Mapping[str, Any] | None = None,
    num_nodes: int | None = None,
    masks: Mapping[str, Any] | None = None,
    edge_index: Any = None,
    edge_weight: Any = None,
    pos: Any = None,
    classification: bool = True,
    **extra: Any,
) -> Any:
    """Assemble a multimodal node set as a PyG ``Data``.

    Parameters
    ----------
    features : mapping modality -> array (N_m, F_m)
        Per-modality entity features. Without ``alignment`` every modality must have the same
        number of rows (row i = entity i in every modality).
    y : array, optional
        Node (or, for a single graph of a graph-level task, graph) labels.
    alignment : mapping modality -> int array (N_m,), optional
        Node id of each row of that modality; nodes absent from a modality are masked out.
    masks : mapping modality -> bool array (N,), optional
        Entities whose modality is missing (False). Their features are zeroed.
    edge_index, edge_weight, pos : optional
        Explicit topology and physical positions.
    """
    from torch_geometric.data import Data

    if not features:
        raise InputError("at least one modality is needed")
    feats = {m: as_float_tensor(x, f"modality {m!r}") for m, x in features.items()}
    for m in feats:
        check_modality_name(m)
    if alignment is None:
        sizes = {m: x.shape[0] for m, x in feats.items()}
        if len(set(sizes.values())) > 1:
            raise InputError(
                f"modalities have different entity counts {sizes}; pass an alignment map "
                "(modality -> node id of each row)"
            )
        n = num_nodes or next(iter(sizes.values()))
        if n != next(iter(sizes.values())):
            raise InputError(f"num_nodes={n} but the modalities have {next(iter(sizes.values()))} rows")
        mask_t = {m: torch.ones(n, dtype=torch.bool) for m in feats}
    else:
        missing = set(feats) - set(alignment)
        if missing:
            raise InputError(f"alignment map lacks modalities {sorted(missing)}")
        ids = {m: torch.as_tensor(np.asarray(alignment[m]), dtype=torch.long).reshape(-1) for m in feats}
        n = num_nodes or int(max(int(i.max()) for i in ids.values())) + 1
        mask_t = {}
        for m, x in feats.items():
            i = ids[m]
            if i.numel() != x.shape[0]:
                raise InputError(f"alignment for {m!r} has {i.numel()} ids for {x.shape[0]} rows")
            if i.min() < 0 or i.max() >= n or i.unique().numel() != i.numel():
                raise InputError(f"alignment for {m!r} must hold distinct node ids in [0, {n})")
            full = torch.zeros(n, x.shape[1])
            full[i] = x
            feats[m] = full
            mask_t[m] = torch.zeros(n, dtype=torch.bool)
            mask_t[m][i] = True
    if masks:
        for m, mk in masks.items():
            if m not in feats:
                raise InputError(f"mask given for unknown modality {m!r}")
            mk_t = torch.as_tensor(np.asarray(mk), dtype=torch.bool).reshape(-1)
            if mk_t.numel() != n:
                raise InputError(f"mask for {m!r} has {mk_t.numel()} entries for {n} nodes")
            mask_t[m] = mask_t[m] & mk_t
    present = torch.stack(list(mask_t.values())).any(0)
    if not present.all():
        raise InputError(f"node {int((~present).nonzero()[0, 0])} has no modality at all")
    data = Data(num_nodes=n, **extra)
    for m, x in feats.items():
        data[f"x_{m}"] = x * mask_t[m][:, None]
        data[f"mask_{m}"] = mask_t[m]
    if y is not None:
        data.y = check_labels(y, "y", classification=classification)
    if pos is not None:
        data.pos = as_float_tensor(pos, "pos")
        if data.pos.shape[0] != n:
            raise InputError(f"pos has {data.pos.shape[0]} rows for {n} nodes")
    if edge_index is not None:
        data.edge_index = check_edge_index(edge_index, n)
        if edge_weight is not None:
            data.edge_weight = as_float_tensor(edge_weight, "edge_weight").reshape(-1)
    return data


# ------------------------------------------------------------------------------- extractors


def pixel_entities(image: Any) -> tuple[np.ndarray, np.ndarray]:
    """Pixels as entities (GraphFCN, hyperspectral FuNet): features (H*W, C) and positions (H*W, 2)."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.size == 0:
        raise InputError(f"image must be (H, W) or (H, W, C), got shape {np.shape(image)}")
    h, w, c = img.shape
    rr, cc = np.mgrid[0:h, 0:w]
    return img.reshape(h * w, c), np.stack([rr.ravel(), cc.ravel()], 1).astype(np.float64)


def patch_entities(image: Any, patch: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping ``patch x patch`` patches as entities: flattened features and centres."""
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        img = img[..., None]
    h, w, c = img.shape
    if patch < 1 or h % patch or w % patch:
        raise InputError(f"patch={patch} must divide the image size {h}x{w}")
    blocks = img.reshape(h // patch, patch, w // patch, patch, c).transpose(0, 2, 1, 3, 4)
    feats = blocks.reshape(-1, patch * patch * c)
    rr, cc = np.mgrid[0 : h // patch, 0 : w // patch]
    centres = (np.stack([rr.ravel(), cc.ravel()], 1) + 0.5) * patch - 0.5
    return feats, centres


@dataclass
class Superpixels:
    """SLIC super-pixels of one image: mean colour + centroid + size per region, the label image."""

    features: np.ndarray
    pos: np.ndarray
    labels: np.ndarray


def superpixel_entities(image: Any, n_segments: int = 50, compactness: float = 10.0) -> Superpixels:
    """Super-pixels (scikit-image ``slic``) as entities (RAG-GAT).

    Features per region: mean intensity per channel, centroid (row, col) scaled to [0, 1] and the
    region's area fraction. ``labels`` is relabelled to 0..R-1.
    """
    try:
        from skimage.segmentation import slic
    except ImportError:  # pragma: no cover - the [image] extra is missing
        raise InputError("super-pixel entities need scikit-image: pip install 'mmgraph[image]'") from None
    img = np.asarray(image, dtype=np.float64)
    if img.ndim not in (2, 3) or img.size == 0:
        raise InputError(f"image must be (H, W) or (H, W, C), got shape {img.shape}")
    channel_axis = -1 if img.ndim == 3 else None
    labels = slic(
        img, n_segments=n_segments, compactness=compactness, channel_axis=channel_axis, start_label=0
    )
    _, labels = np.unique(labels, return_inverse=True)
    labels = labels.reshape(img.shape[:2])
    r = int(labels.max()) + 1
    flat = img.reshape(labels.size, -1)
    count = np.bincount(labels.ravel(), minlength=r).astype(np.float64)
    mean = (
        np.stack([np.bincount(labels.ravel(), flat[:, c], r) for c in range(flat.shape[1])], 1)
        / count[:, None]
    )
    rr, cc = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    cy = np.bincount(labels.ravel(), rr.ravel(), r) / count / max(img.shape[0] - 1, 1)
    cx = np.bincount(labels.ravel(), cc.ravel(), r) / count / max(img.shape[1] - 1, 1)
    pos = np.stack([cy, cx], 1)
    feats = np.concatenate([mean, pos, (count / labels.size)[:, None]], 1)
    return Superpixels(features=feats, pos=pos, labels=labels)


@dataclass
class Tokens:
    """Documents as bags of words: counts (D, V) sparse and the vocabulary."""

    counts: Any
    vocabulary: list[str]


def token_entities(
    texts: Sequence[str], *, min_df: int = 1, vocabulary: Sequence[str] | None = None
) -> Tokens:
    """Words and documents as entities (TextGCN), via scikit-learn ``CountVectorizer``."""
    from sklearn.feature_extraction.text import CountVectorizer

    if len(texts) == 0:
        raise InputError("no documents given")
    vec = CountVectorizer(min_df=min_df, vocabulary=vocabulary, token_pattern=r"(?u)\b\w+\b")
    try:
        counts = vec.fit_transform(list(texts))
    except ValueError as exc:
        raise InputError(f"cannot tokenise the documents: {exc}") from None
    return Tokens(counts=counts, vocabulary=list(vec.get_feature_names_out()))


def tabular_entities(table: Any, *, standardize: bool = True) -> np.ndarray:
    """Table rows as entities; standardised per column (so no modality dominates distances)."""
    from sklearn.preprocessing import StandardScaler

    arr = as_float_tensor(table, "table").numpy().astype(np.float64)
    return StandardScaler().fit_transform(arr) if standardize else arr


# ------------------------------------------------------------------ encoders (blueprint slot 1)


class ModalityEncoder(nn.Module):
    """``f_m: X_m -> R^d``: a linear map, or an MLP with one hidden layer when ``hidden > 0``."""

    def __init__(self, in_dim: int, dim: int, hidden: int = 0, dropout: float = 0.0) -> None:
        super().__init__()
        if hidden > 0:
            self.net: nn.Module = nn.Sequential(
                nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, dim)
            )
        else:
            self.net = nn.Linear(in_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@register("entities", "encoders")
class Entities(nn.Module):
    """Per-modality encoders to a shared ``dim``-dimensional space (blueprint component 1).

    Parameters
    ----------
    in_dims : mapping modality -> int
        Input feature size of each modality used by the model (others on the data are ignored).
    dim : int
        Shared embedding size d.
    hidden : int
        Hidden width of each encoder MLP (0: linear encoders).
    unit : str
        What an entity is (for :meth:`describe`): "node", "pixel", "super-pixel", "word/document",
        "particle", "patient", ...
    """

    def __init__(
        self,
        in_dims: Mapping[str, int],
        dim: int = 64,
        hidden: int = 0,
        dropout: float = 0.0,
        unit: str = "node",
    ) -> None:
        super().__init__()
        if not in_dims:
            raise InputError("entities: at least one modality is needed")
        self.in_dims = {check_modality_name(m): int(d) for m, d in sorted(in_dims.items())}
        self.dim, self.hidden, self.dropout, self.unit = dim, hidden, dropout, unit
        self.encoders = nn.ModuleDict(
            {m: ModalityEncoder(d, dim, hidden, dropout) for m, d in self.in_dims.items()}
        )

    @property
    def modalities(self) -> list[str]:
        return list(self.in_dims)

    def forward(self, data: Any) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Embeddings ``h_m`` (N, d) and presence masks (N,) per modality; missing rows are zero."""
        h, masks = {}, {}
        for m, enc in self.encoders.items():
            x = data[f"x_{m}"] if f"x_{m}" in data else None
            if x is None:
                raise InputError(f"the model expects modality {m!r}; the data has {modalities_of(data)}")
            if x.shape[1] != self.in_dims[m]:
                raise InputError(
                    f"modality {m!r} has {x.shape[1]} features, the encoder expects {self.in_dims[m]}"
                )
            mask = (
                data[f"mask_{m}"]
                if f"mask_{m}" in data
                else torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
            )
            z = enc(x)
            h[m] = z if bool(mask.all()) else z * mask[:, None].to(z.dtype)
            masks[m] = mask
        return h, masks

    def config(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "in_dims": dict(self.in_dims),
            "dim": self.dim,
            "hidden": self.hidden,
            "dropout": self.dropout,
            "unit": self.unit,
        }

    def describe(self) -> str:
        enc = f"MLP({self.hidden})" if self.hidden else "linear"
        mods = ", ".join(f"{m}[{d}]" for m, d in self.in_dims.items())
        return f"{self.unit} entities; {enc} encoders {mods} -> R^{self.dim}"


def to_hetero(data: Any) -> Any:
    """A multimodal node set as a PyG ``HeteroData``: one node type per modality.

    Node type ``m`` holds the entities that have modality ``m`` (``x``, ``node_id`` = shared node
    id). The shared graph becomes edge type ``(m, "links", m)`` among entities present in ``m``,
    and ``(m1, "same", m2)`` joins the two views of one entity, so PyG's ``HeteroConv`` /
    ``to_hetero`` can run per-modality relations. Entity-level ``y``/``train_mask``/``test_mask``
    and ``num_entities`` are kept on the global store: :class:`~mmgraph.blueprint.MGLBlueprint`
    accepts the result and gives the same output as on ``data`` (:mod:`mmgraph.hetero`).
    """
    from torch_geometric.data import HeteroData

    out = HeteroData()
    mods = modalities_of(data)
    out.num_entities = int(data.num_nodes)
    for key in ("y", "train_mask", "test_mask"):  # entity-level targets and splits
        if key in data and data[key].shape[0] == data.num_nodes:
            out[key] = data[key]
    local = {}
    for m in mods:
        mask = data[f"mask_{m}"]
        ids = mask.nonzero().reshape(-1)
        out[m].x = data[f"x_{m}"][ids]
        out[m].node_id = ids
        pos = torch.full((data.num_nodes,), -1, dtype=torch.long)
        pos[ids] = torch.arange(ids.numel())
        local[m] = pos
        if "y" in data and data.y.shape[0] == data.num_nodes:
            out[m].y = data.y[ids]
    if "edge_index" in data and data.edge_index is not None:
        for m in mods:
            src, dst = local[m][data.edge_index[0]], local[m][data.edge_index[1]]
            keep = (src >= 0) & (dst >= 0)
            out[m, "links", m].edge_index = torch.stack([src[keep], dst[keep]])
            if data.get("edge_weight") is not None:
                out[m, "links", m].edge_weight = data.edge_weight[keep]
    for m1 in mods:
        for m2 in mods:
            if m1 != m2:
                both = ((local[m1] >= 0) & (local[m2] >= 0)).nonzero().reshape(-1)
                out[m1, "same", m2].edge_index = torch.stack([local[m1][both], local[m2][both]])
    return out
