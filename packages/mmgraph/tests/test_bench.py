"""Benchmark helpers: the blueprint equals the same model written directly in PyG (oracle 2)."""

import torch

from mmgraph.bench import (
    brute_force_knn,
    construction_benchmark,
    matched_models,
    overhead_benchmark,
    random_graph,
)
from mmgraph.topology import knn_graph


def test_blueprint_equals_direct_pyg_model_with_copied_weights():
    torch.manual_seed(0)
    bp, direct = matched_models(in_dim=16, dim=8, n_layers=2, out_dim=3)
    data = random_graph(100, in_dim=16)
    with torch.no_grad():
        assert torch.allclose(bp(data), direct(data.x_x, data.edge_index), atol=1e-5)


def test_brute_force_knn_agrees_with_knn_graph():
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    assert set(map(tuple, brute_force_knn(x, 4).T.tolist())) == set(map(tuple, knn_graph(x, 4).T.tolist()))


def test_benchmarks_report_ratios():
    over = overhead_benchmark(200, epochs=2, repeats=1)
    assert over["max_output_diff"] < 1e-5 and over["overhead_ratio"] > 0
    rows = construction_benchmark([100, 200])
    assert [r["nodes"] for r in rows] == [100, 200] and all(r["ratio_vs_brute_force"] > 0 for r in rows)
