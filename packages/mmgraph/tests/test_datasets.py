"""Built-in tasks carry the designed signal; the user-table loader reads files and rejects bad ones."""

import numpy as np
import pytest
import torch

from core_utils import InputError
from mmgraph.datasets import (
    karate,
    load_tables,
    load_task,
    particle_forces,
    particles,
    split_signal_digits,
    text_corpus,
)


def test_split_signal_design_puts_each_label_part_in_one_modality():
    from sklearn.datasets import load_digits

    task = split_signal_digits("sum")
    d = task.data
    a = torch.as_tensor(load_digits().target >= 5).long()
    b = d.y - 2 * a
    assert set(b.unique().tolist()) == {0, 1}
    # b lives in tab column 0 (b + N(0, 0.35^2)) and nowhere in the image
    assert float(((d.x_tab[:, 0] > 0.5).long() == b).float().mean()) > 0.9
    assert int(d.train_mask.sum()) == 1200 and int(d.test_mask.sum()) == 597
    xor = split_signal_digits("xor").data
    assert torch.equal(xor.y, a ^ b)


def test_karate_has_two_factions_and_one_label_each():
    task = karate()
    assert task.data.num_nodes == 34 and task.data.edge_index.shape[1] == 156
    assert task.data.y[task.data.train_mask].tolist() == [0, 1]


def test_particle_targets_are_sums_over_the_radius_graph():
    from mmgraph.topology import radius_graph

    task = particles(2, n_particles=15)
    g = task.data[0]
    ei = radius_graph(g.pos, 0.2)
    s = torch.where(g.x_species[:, 1] > 0, 2.0, 1.0)
    rel = g.pos[ei[1]] - g.pos[ei[0]]
    dist = rel.norm(dim=1, keepdim=True)
    f = torch.zeros_like(g.pos).index_add_(
        0, ei[1], (1 - dist / 0.2) * (s[ei[0]] * s[ei[1]])[:, None] * rel / dist
    )
    assert torch.allclose(f, g.y, atol=1e-5)
    assert np.allclose(particle_forces(g.pos.numpy(), g.x_species[:, 1].numpy(), 0.2), g.y.numpy(), atol=1e-5)


def test_text_corpus_graph_links_documents_and_words():
    task = text_corpus(40, per_class=2)
    d = task.data
    n_docs = 40
    assert (d.y[:n_docs] >= 0).all() and (d.y[n_docs:] == -1).all()
    assert not d.test_mask[n_docs:].any() and not d.train_mask[n_docs:].any()
    ei = d.edge_index
    assert ((ei[0] < n_docs) & (ei[1] >= n_docs)).any() and ((ei[0] >= n_docs) & (ei[1] >= n_docs)).any()


def _write(path, text):
    path.write_text(text)
    return path


def test_user_tables_load_with_missing_modality_masks(tmp_path):
    nodes = _write(
        tmp_path / "nodes.csv",
        "id,label,img:0,img:1,tab:age\nn1,0,0.1,0.2,30\nn2,1,0.3,0.1,\nn3,1,0.5,0.5,41\nn4,0,0.2,0.9,50\n",
    )
    edges = _write(tmp_path / "edges.csv", "source,target,weight\nn1,n2,0.5\nn3,n4,1.0\n")
    task = load_tables(nodes, edges)
    d = task.data
    assert task.modalities == ["img", "tab"] and d.num_nodes == 4
    assert d.mask_tab.tolist() == [True, False, True, True]
    assert d.edge_index.tolist() == [[0, 2], [1, 3]] and d.edge_weight.tolist() == [0.5, 1.0]
    assert load_task(f"{nodes},{edges}").data.num_nodes == 4


@pytest.mark.parametrize(
    "nodes, edges, match",
    [
        ("id,label,img:0\nn1,0,0.1\nn2,0,0.2\n", None, "single class"),
        ("id,label,img:0,img:1\nn1,0,0.1,\nn2,1,0.2,0.3\n", None, "partly empty"),
        ("id,label,img:0\nn1,0,nan\nn2,1,0.2\n", None, "NaN"),
        ("id,label,img:0\nn1,0,x\nn2,1,0.2\n", None, "non-numeric"),
        ("id,label,img:0\nn1,0,0.1\nn1,1,0.2\n", None, "duplicate ids"),
        ("id,img:0\nn1,0.1\n", None, "needs columns"),
        ("id,label,img:0\nn1,0,0.1\nn2,1,0.2\n", "source,target\nn1,n9\n", "unknown node 'n9'"),
        ("id,label,img:0\nn1,0,0.1\nn2,1,0.2\n", "a,b\nn1,n2\n", "header"),
    ],
)
def test_bad_user_tables_are_rejected(tmp_path, nodes, edges, match):
    n = _write(tmp_path / "n.csv", nodes)
    e = _write(tmp_path / "e.csv", edges) if edges else None
    with pytest.raises(InputError, match=match):
        load_tables(n, e)


def test_unknown_task_name_is_rejected():
    with pytest.raises(InputError, match="unknown data 'mnist'"):
        load_task("mnist")


def test_superpixel_features_are_standardised_with_training_statistics_only():
    """Raw super-pixel features in [0, 1] with a small spread stalled training at the uniform
    prediction; they are z-scored with the training images' statistics (no labels, no test data)."""
    from mmgraph.datasets import superpixel_digits

    task = superpixel_digits(60, n_train=40)
    train = torch.cat([task.graphs[i].x_superpixel for i in task.train_idx])
    assert torch.allclose(train.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(train.std(0), torch.ones(4), atol=1e-5)
    test = torch.cat([task.graphs[i].x_superpixel for i in task.test_idx])
    assert not torch.allclose(test.mean(0), torch.zeros(4), atol=1e-3)  # test data not used
    for g in task.graphs:
        assert g.edge_index.max() < g.num_nodes and g.y.shape == (1,)


def test_per_pixel_bayes_ceiling_matches_the_best_threshold_on_samples():
    from mmgraph.datasets import per_pixel_bayes_accuracy

    rng = np.random.default_rng(0)
    y = rng.random(200_000) < 0.3
    x = y + rng.normal(0.0, 0.8, y.size)
    best = max(float(((x > t) == y).mean()) for t in np.linspace(0.0, 2.0, 201))
    assert abs(best - per_pixel_bayes_accuracy(0.3, 0.8)) < 0.005
    assert abs(per_pixel_bayes_accuracy(0.5, 0.8) - 0.734) < 0.001  # Phi(0.625)
