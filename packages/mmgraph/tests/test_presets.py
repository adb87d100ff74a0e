"""Presets: the instance table, one runnable blueprint per catalogued family member, each trained
on its small task to a documented score above its non-graph baseline (same seed, same budget)."""

import pytest
import torch

from mmgraph.presets import CATALOGUE, PRESETS, Preset, build_preset, register_preset


def test_catalogue_reproduces_the_twelve_instances_across_three_families():
    assert len(CATALOGUE) == 12
    assert {r.domain for r in CATALOGUE} == {"image", "language", "science"}
    assert {r.preset for r in CATALOGUE if r.preset} == set(PRESETS)


def test_duplicate_preset_names_are_refused():
    with pytest.raises(ValueError, match="already registered"):
        register_preset(Preset("funet", "x", "image", "digits", {}, {}))


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_and_describes_four_components(name):
    import numpy as np

    from mmgraph.datasets import (
        Task,
        digits_low_label,
        document_graph,
        noisy_shapes,
        particles,
        patients,
        text_corpus,
    )
    from mmgraph.entities import make_data
    from mmgraph.topology import region_adjacency

    if name == "rag_gat":
        lab = np.repeat(np.arange(4), 4).reshape(4, 4)
        g = make_data(
            {"superpixel": np.random.default_rng(0).random((4, 4))}, None, edge_index=region_adjacency(lab)
        )
        g.y = torch.tensor([1])
        task = Task("toy", [g], 10, "graph-classification")
    else:
        task = {
            "funet": digits_low_label,
            "graphfcn": lambda: noisy_shapes(16),
            "mcn": lambda: document_graph(60, n_train=10),
            "textgcn": lambda: text_corpus(40, per_class=2),
            "gns": lambda: particles(2, n_particles=10),
            "mmgl": lambda: patients(60, n_train=10),
        }[name]()
    model = build_preset(name, task)
    text = model.describe()
    assert all(s in text for s in ("entities", "topology", "propagation", "mixing"))
    out = model(model.prepare(task.graphs[0]))
    rows = 1 if model.graph_level else task.graphs[0].num_nodes
    assert out.shape == (rows, task.n_out)
    method = PRESETS[name].method
    assert any(r.method == method for r in CATALOGUE)


def _run(name, task, **fit_overrides):
    from mmgraph.training import fit

    kw = {**PRESETS[name].fit, **fit_overrides}
    torch.manual_seed(0)
    res = fit(build_preset(name, task), task, seed=0, **kw)
    torch.manual_seed(0)
    base = fit(build_preset(name, task, baseline=True), task, seed=0, **kw)
    return res.metric, base.metric


def test_funet_beats_the_dense_branch_alone_on_few_label_digits():
    from mmgraph.datasets import digits_low_label

    acc, base = _run("funet", digits_low_label())
    # measured seed 0/1: 0.932/0.929 vs dense-only 0.893/0.900
    assert acc >= 0.90 and acc > base


def test_graphfcn_denoises_pixels_beyond_the_per_pixel_bayes_ceiling():
    from mmgraph.datasets import noisy_shapes, per_pixel_bayes_accuracy

    task = noisy_shapes()
    ceiling = per_pixel_bayes_accuracy(float(task.data.y.float().mean()), 0.8)
    acc, base = _run("graphfcn", task)
    # measured seeds 0/1/2: 0.950/0.961/0.958 vs per-pixel MLP 0.755/0.827/0.760
    # (ceilings 0.765/0.829/0.795): no graph-free model can pass the ceiling
    assert base <= ceiling + 0.03
    assert acc >= ceiling + 0.10


def test_mcn_relation_aware_gcn_reads_relation_signs_a_type_blind_gcn_cannot():
    from scipy.stats import norm

    from mmgraph.blueprint import MGLBlueprint
    from mmgraph.datasets import document_graph
    from mmgraph.training import fit

    task = document_graph()
    acc, base = _run("mcn", task)
    cfg = {k: dict(v) for k, v in PRESETS["mcn"].config.items()}
    cfg["propagation"] = {"kind": "gcn", "hidden": 16, "n_layers": 2}
    torch.manual_seed(0)
    blind = MGLBlueprint.from_config(cfg, in_dims=task.in_dims, out_dim=task.n_out)
    blind_acc = fit(blind, task, seed=0, **PRESETS["mcn"].fit).metric
    ceiling = float(norm.cdf(0.5))  # one entity alone: Phi(1 / noise), noise 2
    # measured seeds 0/1/2: R-GCN 0.983/0.997/1.000, graph-free 0.608/0.617/0.567,
    # type-blind GCN 0.550/0.558/0.536
    assert acc >= 0.90
    assert base <= ceiling + 0.03 and blind_acc <= ceiling + 0.03


def test_textgcn_beats_bag_of_words_with_five_labels_per_class():
    from mmgraph.datasets import text_corpus

    acc, base = _run("textgcn", text_corpus())
    # measured seed 0/1: 0.800/0.771 vs bag-of-words MLP 0.539/0.458
    assert acc >= 0.70 and acc > base + 0.1


def test_mmgl_latent_graph_beats_the_graph_free_model():
    from mmgraph.datasets import patients

    acc, base = _run("mmgl", patients())
    # measured seed 0/1: 0.981/0.979 vs graph-free attention fusion 0.925/0.919
    assert acc >= 0.95 and acc > base


def test_gns_radius_graph_predicts_forces_a_per_particle_model_cannot():
    from mmgraph.datasets import particles

    r2, base = _run("gns", particles(40, n_particles=30, n_train=30), epochs=40, batch_size=8)
    # small budget (40 graphs, 40 epochs): measured R^2 0.22; the per-particle baseline ~0.00
    assert r2 >= 0.15 and base < 0.05


@pytest.mark.slow
def test_rag_gat_learns_superpixel_digits_well_above_chance():
    from mmgraph.datasets import superpixel_digits

    task = superpixel_digits(200, n_train=150)
    from mmgraph.training import fit

    torch.manual_seed(0)
    acc = fit(build_preset("rag_gat", task), task, seed=0, **PRESETS["rag_gat"].fit).metric
    # measured seeds 0/1/2: 0.52/0.40/0.54 (chance 0.10); graph-free 0.42/0.44/0.48
    assert acc >= 0.40


@pytest.mark.slow
@pytest.mark.xfail(
    reason="measured on the full task (450/150 images), seeds 0/1/2: the graph-free bag of "
    "super-pixels (0.720/0.800/0.787) beats RAG-GAT-like (0.640/0.727/0.660): node centroids "
    "already encode the digit's shape on these ~16-node graphs",
    strict=True,
)
def test_rag_gat_beats_bag_of_superpixels():
    from mmgraph.datasets import superpixel_digits

    acc, base = _run("rag_gat", superpixel_digits())
    assert acc > base


@pytest.mark.slow
def test_gns_full_task():
    from mmgraph.datasets import particles

    r2, base = _run("gns", particles())
    # measured seed 0: R^2 0.919 vs 0.001
    assert r2 >= 0.85 and base < 0.05
