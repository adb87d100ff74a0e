"""Fusion oracles on the split-signal digits (spec oracle 5), averaged over seeds.

XOR (y = a xor b): each modality alone carries no information about y, so any unimodal model is
at chance (0.5); the fused model approaches the ceiling ~0.90. XOR has no first-order signal in
either modality, so optimisation matters: product mixing (the interaction (2a-1)(2b-1) is a
product) without weight decay for 250 epochs reaches 0.78-0.81 on seeds 0-3, while concatenation +
MLP head memorises the training set (train 0.95-1.0) and lands at 0.46-0.82 (measured). Sum (y = 2a + b): each modality
alone is capped at 0.5 (4 classes); fusion approaches ~0.89.
"""

import torch

from mmgraph.ablation import Variant, default_variants, format_table, plot_ablation, run_ablation
from mmgraph.datasets import split_signal_digits

SEEDS = (0, 1)


def _cfg(prop, mixing, on="image"):
    return {
        "entities": {"dim": 32},
        "topology": {"kind": "knn", "k": 10, "on": on} if prop != "mlp" else {"kind": "none"},
        "propagation": {"kind": prop, "hidden": 32},
        "mixing": {"kind": mixing},
        "head": {"hidden": 32},
    }


def test_xor_unimodal_stays_at_chance_and_fusion_is_far_above():
    task = split_signal_digits("xor")
    unimodal = [
        Variant("image only", ("image",), _cfg("mlp", "none")),
        Variant("tab only", ("tab",), _cfg("mlp", "none")),
    ]
    # no unimodal model can beat chance on XOR whatever its budget: 60 epochs keep the test short
    image, tab = (r.mean for r in run_ablation(task, unimodal, seeds=SEEDS, epochs=60))
    fused_v = Variant("fused", ("image", "tab"), _cfg("mlp", "product"))
    (fused,) = (r.mean for r in run_ablation(task, [fused_v], seeds=SEEDS, epochs=250, weight_decay=0.0))
    # documented thresholds: unimodal <= 0.56 (chance 0.5 on 597 test nodes), fused >= 0.70
    assert image <= 0.56 and tab <= 0.56
    assert fused >= 0.70


def test_sum_task_fused_gnn_beats_best_single_modality_by_a_quarter(tmp_path):
    task = split_signal_digits("sum")
    rows = run_ablation(
        task,
        [
            Variant("image only", ("image",), _cfg("mlp", "none")),
            Variant("tab only", ("tab",), _cfg("mlp", "none")),
            Variant("fused GNN", ("image", "tab"), _cfg("sage", "concat")),
        ],
        seeds=SEEDS,
        epochs=100,
    )
    image, tab, fused = (r.mean for r in rows)
    # spec: measured unimodal 0.48 / 0.42 (cap 0.5), fused GNN 0.87; assert gap >= 0.25
    assert max(image, tab) <= 0.55
    assert fused - max(image, tab) >= 0.25
    assert "fused GNN" in format_table(rows)
    assert plot_ablation(rows, tmp_path / "a.png", chance=0.25).stat().st_size > 0


def test_default_variants_cover_unimodal_fused_and_swaps():
    names = [v.name for v in default_variants(["image", "tab"])]
    assert "image only (MLP)" in names and "tab only (sage)" in names
    assert {
        "fused sage (concat)",
        "fused sage (sum)",
        "fused sage (product)",
        "fused sage (attention)",
        "fused gcn (concat)",
        "fused gat (concat)",
    } <= set(names)
    # the unimodal graph of a modality is built on that modality only
    tab_gnn = next(v for v in default_variants(["image", "tab"]) if v.name == "tab only (sage)")
    assert tab_gnn.config["topology"]["on"] == "tab"
    assert torch.is_tensor(torch.zeros(1))
