"""Small tasks that ship offline: scikit-learn digits, networkx graphs and synthetic multimodal sets.

Every builder returns a :class:`Task`: the data (one PyG ``Data`` for node-level tasks, a list of
graphs for graph-level ones), a train/test split, the output size and the task kind. The synthetic
designs put each part of the label in a different modality (sum and XOR designs), so fusion is
provably needed; their Bayes ceilings are given in the docstrings. Nothing is downloaded.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core_utils import InputError
from mmgraph.entities import make_data, modalities_of, superpixel_entities, token_entities
from mmgraph.topology import cooccurrence_graph, region_adjacency

KINDS = ("node-classification", "graph-classification", "node-regression")


@dataclass
class Task:
    """A learning task: data, split, output size and kind.

    Attributes
    ----------
    data : Data or list of Data
        Node-level tasks on one graph hold boolean ``train_mask``/``test_mask`` on the data;
        tasks over many graphs list graphs and split them with ``train_idx``/``test_idx``.
    """

    name: str
    data: Any
    n_out: int
    kind: str
    description: str = ""
    train_idx: list[int] = field(default_factory=list)
    test_idx: list[int] = field(default_factory=list)

    @property
    def graphs(self) -> list[Any]:
        return self.data if isinstance(self.data, list) else [self.data]

    @property
    def modalities(self) -> list[str]:
        from mmgraph.hetero import hetero_in_dims, is_hetero

        g = self.graphs[0]
        return sorted(hetero_in_dims(g)) if is_hetero(g) else modalities_of(g)

    @property
    def in_dims(self) -> dict[str, int]:
        from mmgraph.hetero import hetero_in_dims, is_hetero

        g = self.graphs[0]
        if is_hetero(g):
            return hetero_in_dims(g)
        return {m: int(g[f"x_{m}"].shape[1]) for m in self.modalities}

    def select(self, modalities: Sequence[str]) -> Task:
        """The same task restricted to some modalities (unimodal ablations)."""
        missing = set(modalities) - set(self.modalities)
        if missing:
            raise InputError(f"task {self.name!r} has no modality {sorted(missing)} (has {self.modalities})")
        drop = [m for m in self.modalities if m not in modalities]
        from mmgraph.hetero import is_hetero

        if is_hetero(self.graphs[0]):
            raise InputError("select() works on homogeneous multimodal Data, not HeteroData")

        def strip(g: Any) -> Any:
            g = g.clone()
            for m in drop:
                del g[f"x_{m}"], g[f"mask_{m}"]
            return g

        data = [strip(g) for g in self.data] if isinstance(self.data, list) else strip(self.data)
        return Task(self.name, data, self.n_out, self.kind, self.description, self.train_idx, self.test_idx)


def _split_masks(n: int, n_train: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    perm = rng.permutation(n)
    train = torch.zeros(n, dtype=torch.bool)
    train[perm[:n_train]] = True
    return train, ~train


def split_signal_digits(
    mode: str = "sum", *, noise: float = 0.35, n_train: int = 1200, seed: int = 0
) -> Task:
    """Digits with the label split across two modalities (spec section 3, oracle 5).

    Nodes are the 1,797 scikit-learn digits. Modality ``image`` (64 pixels / 16) carries
    ``a = [digit >= 5]``; modality ``tab`` (8 columns of N(0, 1) noise) carries a random bit ``b``
    in column 0 as ``b + N(0, noise^2)``. ``mode="sum"``: ``y = 2a + b`` (4 classes, each modality
    alone is capped at 0.5); ``mode="xor"``: ``y = a XOR b`` (2 classes, each modality alone is
    exactly at chance, 0.5). Fusion ceiling ~ P(a correct) * Phi(0.5 / noise) ~ 0.97 * 0.92 = 0.89
    for the defaults (XOR: plus the both-wrong term, ~0.90).
    """
    from sklearn.datasets import load_digits

    if mode not in ("sum", "xor"):
        raise InputError(f"mode must be 'sum' or 'xor', got {mode!r}")
    digits = load_digits()
    rng = np.random.default_rng(seed)
    n = len(digits.target)
    a = (digits.target >= 5).astype(np.int64)
    b = rng.integers(0, 2, n)
    tab = rng.normal(size=(n, 8))
    tab[:, 0] = b + rng.normal(0.0, noise, n)
    y = 2 * a + b if mode == "sum" else a ^ b
    data = make_data({"image": digits.data / 16.0, "tab": tab}, y)
    data.train_mask, data.test_mask = _split_masks(n, n_train, rng)
    return Task(
        f"digits-{mode}", data, int(y.max()) + 1, "node-classification", split_signal_digits.__doc__ or ""
    )


def digits_low_label(*, per_class: int = 10, seed: int = 0) -> Task:
    """The 10-class digits with ``per_class`` labelled images per class (hyperspectral-style pixels
    classification with few labels, the FuNet setting); the rest are test nodes."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    y = digits.target
    train = torch.zeros(len(y), dtype=torch.bool)
    for c in range(10):
        train[rng.choice(np.flatnonzero(y == c), per_class, replace=False)] = True
    data = make_data({"image": digits.data / 16.0}, y)
    data.train_mask, data.test_mask = train, ~train
    return Task("digits", data, 10, "node-classification", "digits, few labels")


def karate() -> Task:
    """Zachary's karate club (networkx) with the two-faction ``club`` label; one labelled node per
    faction (0 and 33); features = node identity (one-hot)."""
    import networkx as nx

    g = nx.karate_club_graph()
    n = g.number_of_nodes()
    y = np.array([0 if g.nodes[i]["club"] == "Mr. Hi" else 1 for i in range(n)])
    edges = np.array(list(g.edges())).T
    ei = np.concatenate([edges, edges[::-1]], axis=1)
    data = make_data({"id": np.eye(n)}, y, edge_index=ei)
    data.train_mask = torch.zeros(n, dtype=torch.bool)
    data.train_mask[[0, 33]] = True
    data.test_mask = ~data.train_mask
    return Task("karate", data, 2, "node-classification", "karate club factions")


def multimodal_sbm(
    n: int = 400,
    *,
    p_in: float = 0.05,
    p_out: float = 0.005,
    noise: float = 1.0,
    dim: int = 8,
    n_train: int = 80,
    seed: int = 0,
) -> Task:
    """Two-modality stochastic block model: block label ``y = 2a + b``; modality ``A`` encodes
    ``a`` (mean +-1 in ``dim`` features, N(0, noise^2) noise), modality ``B`` encodes ``b``; edges
    from networkx's SBM on ``y`` (probabilities ``p_in`` within, ``p_out`` across blocks)."""
    import networkx as nx

    rng = np.random.default_rng(seed)
    sizes = [n // 4] * 3 + [n - 3 * (n // 4)]
    probs = [[p_in if i == j else p_out for j in range(4)] for i in range(4)]
    g = nx.stochastic_block_model(sizes, probs, seed=int(rng.integers(2**31)))
    y = np.repeat(np.arange(4), sizes)
    a, b = y // 2, y % 2
    xa = (2 * a[:, None] - 1) + rng.normal(0, noise, (n, dim))
    xb = (2 * b[:, None] - 1) + rng.normal(0, noise, (n, dim))
    edges = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2).T
    ei = np.concatenate([edges, edges[::-1]], axis=1)
    data = make_data({"A": xa, "B": xb}, y, edge_index=ei)
    data.train_mask, data.test_mask = _split_masks(n, n_train, rng)
    return Task("sbm", data, 4, "node-classification", multimodal_sbm.__doc__ or "")


def text_corpus(
    n_docs: int = 400,
    *,
    n_classes: int = 4,
    doc_len: int = 6,
    topic_words: int = 40,
    common_words: int = 60,
    p_topic: float = 0.5,
    per_class: int = 5,
    seed: int = 0,
) -> Task:
    """Synthetic topic corpus for TextGCN: short documents drawn from class topic words mixed with
    common words; ``per_class`` labelled documents per class.

    Nodes: documents then words (TextGCN's heterogeneous graph: TF-IDF document-word edges and
    positive-PMI word-word edges, :func:`~mmgraph.topology.cooccurrence_graph`). Modality ``bow``:
    TF-IDF rows for documents, the one-hot indicator for words. Words are unlabelled (y = -1).
    Documents are short, so most test-document words never occur in a labelled document: the
    word co-occurrence graph carries the signal a bag-of-words classifier lacks.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    rng = np.random.default_rng(seed)
    y_docs = np.arange(n_docs) % n_classes
    texts = []
    for c in y_docs:
        words = [
            f"t{c}x{rng.integers(topic_words)}"
            if rng.random() < p_topic
            else f"w{rng.integers(common_words)}"
            for _ in range(doc_len)
        ]
        texts.append(" ".join(words))
    tokens = token_entities(texts)
    ei, w = cooccurrence_graph(tokens.counts)
    n_words = len(tokens.vocabulary)
    tfidf = TfidfTransformer().fit_transform(tokens.counts).toarray()
    x = np.vstack([tfidf, np.eye(n_words)])
    data = make_data({"bow": x}, None, edge_index=ei, edge_weight=w)
    data.y = torch.as_tensor(np.concatenate([y_docs, -np.ones(n_words, dtype=np.int64)]))
    train = torch.zeros(n_docs + n_words, dtype=torch.bool)
    for c in range(n_classes):
        train[rng.choice(np.flatnonzero(y_docs == c), per_class, replace=False)] = True
    test = torch.zeros_like(train)
    test[:n_docs] = ~train[:n_docs]
    data.train_mask, data.test_mask = train, test
    return Task("text", data, n_classes, "node-classification", "synthetic topic corpus (TextGCN)")


def particle_forces(pos: np.ndarray, kind: np.ndarray, radius: float) -> np.ndarray:
    """Pairwise soft repulsion ``F_i = sum_{|r_ij| < R} s_i s_j (1 - |r_ij|/R) r_ij/|r_ij|``,
    ``r_ij = x_i - x_j``, strength ``s = 1`` (type 0) or 2 (type 1)."""
    s = np.where(kind == 1, 2.0, 1.0)
    diff = pos[:, None, :] - pos[None, :, :]
    dist = np.linalg.norm(diff, axis=-1)
    np.fill_diagonal(dist, np.inf)
    mag = np.where(dist < radius, (1 - dist / radius), 0.0) * s[:, None] * s[None, :]
    return (mag[..., None] * diff / dist[..., None]).sum(1)


def particles(
    n_graphs: int = 120, *, n_particles: int = 40, radius: float = 0.2, n_train: int = 90, seed: int = 0
) -> Task:
    """Point clouds in the unit square (GNS-like physics): predict each particle's net force.

    Modality ``species``: one-hot particle type; ``pos`` holds positions (used only by the radius
    topology, never as features, so the model must be translation invariant). The target is
    exactly a sum over the radius graph (:func:`particle_forces`), so a radius-graph GN block can
    fit it while a per-particle model cannot (its best is the mean, R^2 ~ 0).
    """
    rng = np.random.default_rng(seed)
    graphs = []
    for _ in range(n_graphs):
        pos = rng.random((n_particles, 2))
        kind = rng.integers(0, 2, n_particles)
        force = particle_forces(pos, kind, radius)
        g = make_data({"species": np.eye(2)[kind]}, force, pos=pos, classification=False)
        graphs.append(g)
    idx = list(range(n_graphs))
    return Task(
        "particles", graphs, 2, "node-regression", particles.__doc__ or "", idx[:n_train], idx[n_train:]
    )


def superpixel_digits(
    n_images: int = 600, *, scale: int = 3, n_segments: int = 20, n_train: int = 450, seed: int = 0
) -> Task:
    """Digits as super-pixel region adjacency graphs (RAG-GAT-like graph classification).

    Each 8x8 digit is upsampled ``scale`` times, segmented with SLIC (scikit-image) into about
    ``n_segments`` super-pixels; node features = mean intensity, centroid and area, standardised
    per feature with the statistics of the training images' super-pixels (no labels used; raw
    features in [0, 1] with a small spread left both the GAT and the graph-free model stuck at the
    uniform prediction on 450 training images); edges = region adjacency
    (:func:`~mmgraph.topology.region_adjacency`). Label = the digit (10 classes).
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.permutation(len(digits.target))[:n_images]
    graphs = []
    for i in pick:
        img = np.kron(digits.images[i] / 16.0, np.ones((scale, scale)))
        sp = superpixel_entities(img, n_segments=n_segments, compactness=0.1)
        ei = region_adjacency(sp.labels)
        g = make_data({"superpixel": sp.features}, None, edge_index=ei, pos=sp.pos)
        g.y = torch.tensor([int(digits.target[i])])
        graphs.append(g)
    idx = list(range(n_images))
    train_x = torch.cat([graphs[i].x_superpixel for i in idx[:n_train]])
    mean, std = train_x.mean(0), train_x.std(0).clamp_min(1e-8)
    for g in graphs:
        g.x_superpixel = (g.x_superpixel - mean) / std
    return Task(
        "superpixels",
        graphs,
        10,
        "graph-classification",
        superpixel_digits.__doc__ or "",
        idx[:n_train],
        idx[n_train:],
    )


def patients(
    n: int = 500, *, dims: tuple[int, int] = (100, 60), signal: float = 0.2, n_train: int = 20, seed: int = 0
) -> Task:
    """Synthetic patient cohort with two modalities (MMGL-like disease prediction).

    Two classes; ``imaging`` (``dims[0]`` features) and ``clinical`` (``dims[1]``) both carry the
    class as a weak mean shift ``+-signal`` in every feature under unit noise, and 20% of patients
    miss the clinical modality (masked). With few labels a per-patient classifier is noisy; a
    patient-similarity graph pools evidence over similar patients.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    sgn = 2 * y[:, None] - 1
    img = signal * sgn + rng.normal(size=(n, dims[0]))
    clin = signal * sgn + rng.normal(size=(n, dims[1]))
    has_clin = rng.random(n) > 0.2
    data = make_data({"imaging": img, "clinical": clin}, y, masks={"clinical": has_clin})
    data.train_mask, data.test_mask = _split_masks(n, n_train, rng)
    return Task("patients", data, 2, "node-classification", patients.__doc__ or "")


def load_tables(
    nodes: str | os.PathLike[str],
    edges: str | os.PathLike[str] | None = None,
    *,
    label: str = "label",
    n_train: float = 0.7,
    seed: int = 0,
) -> Task:
    """Load a user's node table and edge list (CSV) as a node-classification task.

    ``nodes``: header ``id,<label>,<modality>:<feature>,...`` (e.g. ``img:0,img:1,tab:age``). A row
    whose cells of one modality are all empty lacks that modality (masked); a partly empty
    modality is an error. ``edges``: header ``source,target[,weight]`` with node ids. A random
    ``n_train`` fraction of labelled nodes is used for training.
    """
    path = Path(nodes)
    if not path.is_file():
        raise InputError(f"node table {path} does not exist")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2:
        raise InputError(f"node table {path} has no rows")
    header, body = rows[0], rows[1:]
    if "id" not in header or label not in header:
        raise InputError(f"node table {path} needs columns 'id' and {label!r}, has {header}")
    cols: dict[str, list[int]] = {}
    for j, h in enumerate(header):
        if ":" in h:
            cols.setdefault(h.split(":", 1)[0], []).append(j)
    if not cols:
        raise InputError(f"node table {path} has no '<modality>:<feature>' columns")
    ids = [r[header.index("id")] for r in body]
    if len(set(ids)) != len(ids):
        raise InputError(f"node table {path} has duplicate ids")
    index = {v: i for i, v in enumerate(ids)}
    feats, masks = {}, {}
    for m, js in cols.items():
        arr = np.zeros((len(body), len(js)))
        mk = np.ones(len(body), dtype=bool)
        for i, r in enumerate(body):
            cells = [r[j].strip() if j < len(r) else "" for j in js]
            if all(c == "" for c in cells):
                mk[i] = False
                continue
            if any(c == "" for c in cells):
                raise InputError(
                    f"node {ids[i]!r}: modality {m!r} is partly empty (fill it or leave all empty)"
                )
            try:
                arr[i] = [float(c) for c in cells]
            except ValueError:
                raise InputError(f"node {ids[i]!r}: non-numeric value in modality {m!r}") from None
        feats[m], masks[m] = arr, mk
    try:
        y = np.array([int(r[header.index(label)]) for r in body])
    except ValueError:
        raise InputError(f"column {label!r} must hold integer class ids") from None
    ei = None
    weight = None
    if edges is not None:
        epath = Path(edges)
        if not epath.is_file():
            raise InputError(f"edge list {epath} does not exist")
        with epath.open(newline="", encoding="utf-8") as fh:
            erows = list(csv.reader(fh))
        if not erows or erows[0][:2] != ["source", "target"]:
            raise InputError(f"edge list {epath} needs a header 'source,target[,weight]'")
        try:
            pairs = [(index[r[0]], index[r[1]]) for r in erows[1:]]
        except KeyError as exc:
            raise InputError(f"edge list {epath} names unknown node {exc.args[0]!r}") from None
        ei = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
        if len(erows[0]) > 2:
            weight = np.array([float(r[2]) for r in erows[1:]])
    data = make_data(feats, y, masks=masks, edge_index=ei, edge_weight=weight)
    rng = np.random.default_rng(seed)
    data.train_mask, data.test_mask = _split_masks(len(y), int(round(n_train * len(y))), rng)
    return Task(path.stem, data, int(y.max()) + 1, "node-classification", f"user tables {path.name}")


def document_graph(
    n: int = 400, *, degree: float = 10.0, noise: float = 2.0, n_train: int = 40, seed: int = 0
) -> Task:
    """Entities of a document linked by two relation types (MCN-like relation-aware propagation).

    Each entity has a binary label y and 8 features, the first ``(2y - 1) + N(0, noise^2)``, the
    rest noise (one entity alone: Bayes accuracy Phi(1 / noise), 0.69 for noise 2). Relation 0
    ("agrees", ``edge_type`` 0) joins random pairs with the same label, relation 1 ("contrasts")
    pairs with different labels, each with mean degree ``degree``. A type-blind average over
    neighbours mixes both and cancels; relation-specific weights (R-GCN) read each neighbour's sign
    correctly.
    """
    if n < 4 or degree <= 0 or noise <= 0 or not 2 <= n_train < n:
        raise InputError(f"bad document_graph sizes n={n}, degree={degree}, noise={noise}, n_train={n_train}")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0.0, noise, (n, 8))
    x[:, 0] += 2 * y - 1
    src, dst, typ = [], [], []
    for rel, same in ((0, True), (1, False)):
        m = int(degree * n / 2)
        a, b = rng.integers(0, n, m * 4), rng.integers(0, n, m * 4)
        keep = (a != b) & ((y[a] == y[b]) == same)
        a, b = a[keep][:m], b[keep][:m]
        src += [a, b]
        dst += [b, a]
        typ += [np.full(2 * a.size, rel)]
    ei = np.unique(np.stack([np.concatenate(src), np.concatenate(dst), np.concatenate(typ)]), axis=1)
    data = make_data({"entity": x}, y, edge_index=torch.as_tensor(ei[:2].astype(np.int64)))
    data.edge_type = torch.as_tensor(ei[2].astype(np.int64))
    data.train_mask, data.test_mask = _split_masks(n, n_train, rng)
    return Task("documents", data, 2, "node-classification", document_graph.__doc__ or "")


def per_pixel_bayes_accuracy(prior: float, noise: float) -> float:
    """Best accuracy from one pixel's intensity ``y + N(0, noise^2)`` with ``P(y = 1) = prior``.

    The Bayes rule thresholds at ``t = 0.5 + noise^2 ln((1 - prior) / prior)``; accuracy =
    ``(1 - prior) Phi(t / noise) + prior Phi((1 - t) / noise)``.
    """
    from scipy.stats import norm

    if not 0 < prior < 1 or noise <= 0:
        raise InputError(f"need 0 < prior < 1 and noise > 0, got {prior}, {noise}")
    t = 0.5 + noise**2 * np.log((1 - prior) / prior)
    return float((1 - prior) * norm.cdf(t / noise) + prior * norm.cdf((1 - t) / noise))


def noisy_shapes(
    size: int = 32, *, noise: float = 0.8, n_shapes: int = 3, label_rate: float = 0.05, seed: int = 0
) -> Task:
    """Pixel segmentation of a noisy synthetic image (GraphFCN-like node classification).

    The foreground is a union of ``n_shapes`` random discs in a ``size x size`` image; each pixel's
    intensity is its label (0/1) plus N(0, noise^2). Nodes are pixels with one feature (intensity)
    and ``pos`` = (row, col) / size; ``label_rate`` of the pixels are labelled. A model that sees
    one pixel at a time is capped by the Bayes accuracy :func:`per_pixel_bayes_accuracy` (0.77 for
    noise 0.8 and a third of the pixels in the foreground); neighbouring pixels share labels except
    at shape borders, so propagating over the pixel graph can exceed that ceiling.
    """
    if size < 4 or noise <= 0 or not 0 < label_rate < 1:
        raise InputError(
            f"need size >= 4, noise > 0 and 0 < label_rate < 1, got {size}, {noise}, {label_rate}"
        )
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[0:size, 0:size] / size
    fg = np.zeros((size, size), dtype=bool)
    for _ in range(n_shapes):
        cy, cx, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.12, 0.25)
        fg |= (rr - cy) ** 2 + (cc - cx) ** 2 <= r**2
    y = fg.ravel().astype(np.int64)
    x = (y + rng.normal(0.0, noise, y.size))[:, None]
    pos = np.stack([rr.ravel(), cc.ravel()], 1)
    data = make_data({"pixel": x}, y, pos=pos)
    data.train_mask, data.test_mask = _split_masks(y.size, max(2, int(round(label_rate * y.size))), rng)
    return Task("pixels", data, 2, "node-classification", noisy_shapes.__doc__ or "")


DATASETS: dict[str, Callable[..., Task]] = {
    "pixels": lambda seed=0: noisy_shapes(seed=seed),
    "documents": lambda seed=0: document_graph(seed=seed),
    "digits-sum": lambda seed=0: split_signal_digits("sum", seed=seed),
    "digits-xor": lambda seed=0: split_signal_digits("xor", seed=seed),
    "digits": lambda seed=0: digits_low_label(seed=seed),
    "karate": lambda seed=0: karate(),
    "sbm": lambda seed=0: multimodal_sbm(seed=seed),
    "text": lambda seed=0: text_corpus(seed=seed),
    "particles": lambda seed=0: particles(seed=seed),
    "superpixels": lambda seed=0: superpixel_digits(seed=seed),
    "patients": lambda seed=0: patients(seed=seed),
}


def load_task(name: str, *, seed: int = 0) -> Task:
    """A named built-in task, or ``nodes.csv[,edges.csv]`` for the user's own tables."""
    if name.endswith(".csv") or "," in name:
        parts = name.split(",")
        return load_tables(parts[0], parts[1] if len(parts) > 1 else None, seed=seed)
    if name not in DATASETS:
        raise InputError(
            f"unknown data {name!r} (choose from {', '.join(DATASETS)} or NODES.csv[,EDGES.csv])"
        )
    return DATASETS[name](seed=seed)
