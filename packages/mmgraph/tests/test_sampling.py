"""Neighbour-sampled mini-batches (mmgraph.sampling): a torch sampler inside PyG's NodeLoader.

Oracles: with full neighbourhoods the seed outputs equal the full-batch outputs exactly (layers
normalised on the receiving side); fan-out limits hold and every sampled edge is a real edge;
one batch holding all training nodes reproduces full-batch training; sampled mini-batch training
reaches the full-batch accuracy on digits-sum."""

import pytest
import torch

from core_utils import InputError
from mmgraph.blueprint import MGLBlueprint
from mmgraph.datasets import split_signal_digits
from mmgraph.sampling import neighbor_loader, neighbor_sampler
from mmgraph.training import fit


def _model(task, kind="sage"):
    torch.manual_seed(0)
    cfg = {
        "entities": {"dim": 16},
        "topology": {"kind": "knn", "k": 5, "on": "image"},
        "propagation": {"kind": kind, "hidden": 16, "n_layers": 2},
        "mixing": {"kind": "concat"},
        "head": {"hidden": 16},
    }
    return MGLBlueprint.from_config(cfg, in_dims=task.in_dims, out_dim=task.n_out)


@pytest.fixture(scope="module")
def task():
    return split_signal_digits("sum")


@pytest.mark.parametrize("kind", ["sage", "gat", "gin"])
def test_full_neighbourhood_sampling_equals_the_full_batch_output(task, kind):
    model = _model(task, kind).eval()
    g = model.prepare(task.data)
    with torch.no_grad():
        full = model(g)
        seen = torch.zeros(g.num_nodes, dtype=torch.bool)
        for batch in neighbor_loader(g, [-1, -1], batch_size=400):
            bs = batch.batch_size
            assert torch.allclose(model(batch)[:bs], full[batch.n_id[:bs]], atol=1e-5)
            seen[batch.n_id[:bs]] = True
    assert bool(seen.all())


def test_sampled_fan_out_is_bounded_and_every_edge_is_real(task):
    g = _model(task).prepare(task.data)
    edges = set(map(tuple, g.edge_index.T.tolist()))
    deg = torch.bincount(g.edge_index[1], minlength=g.num_nodes)
    loader = neighbor_loader(g, [3, 2], batch_size=100, generator=torch.Generator().manual_seed(0))
    batch = next(iter(loader))
    src, dst = batch.n_id[batch.edge_index[0]], batch.n_id[batch.edge_index[1]]
    assert set(zip(src.tolist(), dst.tolist())) <= edges
    assert torch.equal(g.edge_index[:, batch.e_id], torch.stack([src, dst]))
    seeds = batch.n_id[:100]
    into_seed = torch.bincount(batch.edge_index[1][: batch.num_sampled_edges[0]], minlength=100)
    assert torch.equal(into_seed, deg[seeds].clamp(max=3))
    assert len(set(batch.n_id.tolist())) == batch.num_nodes  # no node twice


def test_sampling_is_reproducible_from_a_generator(task):
    g = _model(task).prepare(task.data)

    def first(seed):
        loader = neighbor_loader(
            g, [4, 4], batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(seed)
        )
        return next(iter(loader)).n_id

    assert torch.equal(first(1), first(1)) and not torch.equal(first(1), first(2))


def test_one_batch_of_all_training_nodes_reproduces_full_batch_training(task):
    full = fit(_model(task), task, epochs=10, lr=0.01, seed=0)
    mini = fit(_model(task), task, epochs=10, lr=0.01, seed=0, num_neighbors=[-1, -1], batch_size=4096)
    assert torch.allclose(torch.tensor(full.losses), torch.tensor(mini.losses), atol=1e-5)


def test_sampled_minibatch_training_reaches_the_fusion_accuracy(task):
    res = fit(_model(task), task, epochs=20, lr=0.01, seed=0, num_neighbors=[5, 5], batch_size=128)
    # full batch, 100 epochs: ~0.89 (fusion ceiling ~0.89); each modality alone <= 0.5
    assert res.metric >= 0.80


def test_bad_fan_out_is_refused(task):
    g = _model(task).prepare(task.data)
    with pytest.raises(InputError, match="num_neighbors"):
        neighbor_sampler(g, [0])
    with pytest.raises(InputError, match="needs a graph"):
        neighbor_loader(task.data, [2])
