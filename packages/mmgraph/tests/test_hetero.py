"""HeteroData input: one node type per modality, HeteroConv message passing (mmgraph.hetero).

Oracles: a homogeneous multimodal graph and its HeteroData view give identical outputs and
identical training; cross-modal edge types carry a modality's signal to the target node type
(digits-sum, where each modality alone is capped at 0.5)."""

import pytest
import torch

from core_utils import InputError
from mmgraph.blueprint import MGLBlueprint
from mmgraph.entities import make_data, to_hetero

TOPOLOGY = {"gcn": {"kind": "gaussian", "k": 4, "on": "a"}}


def _complete_toy(n=40):
    g = torch.Generator().manual_seed(1)
    data = make_data(
        {"a": torch.randn(n, 5, generator=g), "b": torch.randn(n, 3, generator=g)}, torch.arange(n) % 3
    )
    data.train_mask = torch.arange(n) < 30
    data.test_mask = ~data.train_mask
    return data


def _model(kind, mixing, **prop):
    torch.manual_seed(0)
    cfg = {
        "entities": {"dim": 8},
        "topology": TOPOLOGY.get(kind, {"kind": "knn", "k": 4, "on": "a"}),
        "propagation": {"kind": kind, "hidden": 8, "n_layers": 2, **prop},
        "mixing": {"kind": mixing},
        "head": {"hidden": 8},
    }
    return MGLBlueprint.from_config(cfg, in_dims={"a": 5, "b": 3}, out_dim=3)


@pytest.mark.parametrize("kind", ["gcn", "sage", "gat", "gin", "mlp"])
@pytest.mark.parametrize("mixing", ["concat", "sum", "attention"])
def test_homogeneous_graph_as_heterodata_gives_the_same_output(kind, mixing):
    model = _model(kind, mixing, residual=kind == "sage").eval()
    data = model.prepare(_complete_toy())
    hetero = to_hetero(data)
    if kind == "gcn":  # weighted A travels with the within-modality relation
        assert hetero["a", "links", "a"].edge_weight is not None
    out, out_h = model(data), model(model.prepare(hetero))
    assert out.shape == out_h.shape == (40, 3)
    assert torch.allclose(out, out_h, atol=1e-5)


def test_training_on_the_heterodata_view_follows_the_same_trajectory():
    from mmgraph.datasets import Task
    from mmgraph.training import fit

    data = _model("sage", "concat").prepare(_complete_toy())
    runs = []
    for d in (data, to_hetero(data)):
        task = Task("toy", d, 3, "node-classification")
        res = fit(_model("sage", "concat"), task, epochs=15, lr=0.05, seed=0)
        runs.append(res)
    assert torch.allclose(torch.tensor(runs[0].losses), torch.tensor(runs[1].losses), atol=1e-5)
    assert runs[0].metric == runs[1].metric


def _digits_hetero(cross: bool):
    """digits-sum as two node types: ``image`` (kNN edges) and the target ``tab`` (labels), with
    (optionally) one cross-modal edge from each digit's image node to its table node."""
    from torch_geometric.data import HeteroData

    from mmgraph.datasets import Task, split_signal_digits
    from mmgraph.topology import knn_graph, symmetrize

    t = split_signal_digits("sum")
    d = t.data
    h = HeteroData()
    h["image"].x, h["tab"].x = d.x_image, d.x_tab
    h["tab"].y, h["tab"].train_mask, h["tab"].test_mask = d.y, d.train_mask, d.test_mask
    h["image", "near", "image"].edge_index = symmetrize(knn_graph(d.x_image, 10), num_nodes=d.num_nodes)[0]
    if cross:
        ids = torch.arange(d.num_nodes)
        h["image", "shows", "tab"].edge_index = torch.stack([ids, ids])
    return Task("digits-sum-hetero", h, t.n_out, "node-classification")


def _fit_hetero(task, cross):
    from mmgraph.training import fit

    torch.manual_seed(0)
    cfg = {
        "entities": {"dim": 32},
        "topology": {"kind": "explicit", "source": "kNN on image + image->tab"},
        "propagation": {"kind": "sage", "hidden": 32, "cross": cross},
        "mixing": {"kind": "concat"},
        "head": {"hidden": 32},
    }
    model = MGLBlueprint.from_config(cfg, in_dims=task.in_dims, out_dim=task.n_out)
    return fit(model, task, epochs=100, lr=0.01, seed=0).metric


def test_cross_modal_edges_bring_the_image_signal_to_the_table_nodes():
    fused = _fit_hetero(_digits_hetero(cross=True), [["image", "shows", "tab"]])
    alone = _fit_hetero(_digits_hetero(cross=False), [])
    # each modality alone is capped at 0.5; fusion ceiling ~0.89 (see split_signal_digits)
    assert alone <= 0.55
    assert fused >= 0.80 and fused - alone >= 0.25


def test_bad_heterodata_is_refused_with_a_clear_error():
    model = _model("sage", "concat")
    h = to_hetero(model.prepare(_complete_toy()))
    del h["b"].x
    with pytest.raises(InputError, match="lacks node types"):
        model(h)
    h = to_hetero(model.prepare(_complete_toy()))
    h["a", "to", "b"].edge_index = torch.zeros(2, 1, dtype=torch.long)
    with pytest.raises(InputError, match="cross parameter"):
        model(h)
    h = to_hetero(model.prepare(_complete_toy()))
    h["a", "also", "a"].edge_index = torch.zeros(2, 1, dtype=torch.long)
    with pytest.raises(InputError, match="two within-modality relations"):
        model(h)
    h = to_hetero(model.prepare(_complete_toy()))
    h["a", "links", "a"].edge_index = torch.tensor([[0], [99]])
    with pytest.raises(InputError, match="edge_index"):
        model(h)
    h = to_hetero(model.prepare(_complete_toy()))
    del h["a"].node_id
    with pytest.raises(InputError, match="exactly one node type"):
        model(h)
    with pytest.raises(InputError, match="no HeteroData path"):
        _model("rgcn", "concat")(h)
    with pytest.raises(InputError, match="edge types are"):
        _model("sage", "concat", cross=["ab"])
