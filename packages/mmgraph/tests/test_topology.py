"""Graph construction against brute force; symmetry, self-loops, isolated nodes; bad input."""

import numpy as np
import pytest
import torch

from core_utils import InputError
from mmgraph.topology import (
    LatentGraphLearner,
    add_self_loops,
    cooccurrence_graph,
    explicit_graph,
    gaussian_kernel_graph,
    graph_stats,
    knn_graph,
    radius_graph,
    region_adjacency,
    symmetrize,
)


def _edge_set(ei):
    return set(map(tuple, ei.T.tolist()))


def test_knn_graph_equals_brute_force_topk():
    x = torch.randn(60, 4, generator=torch.Generator().manual_seed(1))
    d = torch.cdist(x, x)
    d.fill_diagonal_(float("inf"))
    nbr = d.topk(5, largest=False).indices
    expected = {(int(j), i) for i in range(60) for j in nbr[i]}
    ei = knn_graph(x, 5)
    assert ei.dtype == torch.long and ei.shape == (2, 300)
    assert _edge_set(ei) == expected


def test_knn_graph_with_loop_counts_the_node_itself():
    x = torch.randn(20, 3, generator=torch.Generator().manual_seed(2))
    ei = knn_graph(x, 3, loop=True)
    assert all((i, i) in _edge_set(ei) for i in range(20))


def test_radius_graph_equals_brute_force_and_is_symmetric():
    x = torch.rand(80, 2, generator=torch.Generator().manual_seed(3))
    d = torch.cdist(x, x).numpy()
    expected = {(j, i) for i in range(80) for j in range(80) if i != j and d[i, j] <= 0.15}
    ei = radius_graph(x, 0.15)
    assert _edge_set(ei) == expected
    assert graph_stats(ei, 80)["symmetric"]


def test_gaussian_weights_match_formula_symmetric_in_unit_interval():
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(4))
    ei, w = gaussian_kernel_graph(x, sigma=1.5, k=4)
    d2 = ((x[ei[0]] - x[ei[1]]) ** 2).sum(1)
    assert torch.allclose(w, torch.exp(-d2 / 1.5**2), atol=1e-6)
    assert (w > 0).all() and (w <= 1).all()
    lookup = {(int(a), int(b)): float(v) for a, b, v in zip(ei[0], ei[1], w)}
    assert all(abs(lookup[(b, a)] - v) < 1e-7 for (a, b), v in lookup.items())


def test_dense_gaussian_graph_has_every_pair():
    ei, w = gaussian_kernel_graph(torch.randn(7, 2), sigma=1.0, k=None)
    assert ei.shape[1] == 7 * 6 and (ei[0] != ei[1]).all()


def test_symmetrize_is_idempotent_and_symmetric():
    ei = knn_graph(torch.randn(50, 3, generator=torch.Generator().manual_seed(5)), 3)
    s1, _ = symmetrize(ei, num_nodes=50)
    s2, _ = symmetrize(s1, num_nodes=50)
    assert torch.equal(s1, s2)
    assert graph_stats(s1, 50)["symmetric"]
    assert _edge_set(ei) <= _edge_set(s1)


def test_self_loops_reach_isolated_nodes():
    ei = torch.tensor([[0, 1], [1, 0]])
    stats = graph_stats(ei, 4)
    assert stats["isolated_nodes"] == 2
    ei2, w = add_self_loops(ei, None, num_nodes=4)
    assert {(i, i) for i in range(4)} <= _edge_set(ei2)
    assert graph_stats(ei2, 4)["self_loops"] == 4


@pytest.mark.parametrize("connectivity", [1, 2])
def test_region_adjacency_matches_skimage_rag(connectivity):
    # skimage.graph.RAG (the graph behind rag_mean_color) is the reference
    from skimage.graph import RAG
    from skimage.segmentation import slic

    rng = np.random.default_rng(0)
    img = rng.random((24, 24))
    labels = slic(img, n_segments=15, compactness=0.1, channel_axis=None, start_label=0)
    rag = RAG(labels, connectivity=connectivity)
    expected = {(a, b) for a, b in rag.edges()} | {(b, a) for a, b in rag.edges()}
    assert _edge_set(region_adjacency(labels, connectivity=connectivity)) == expected


def test_cooccurrence_graph_pmi_and_tfidf_match_brute_force():
    counts = np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]])
    ei, w = cooccurrence_graph(counts)
    lookup = {(int(a), int(b)): float(v) for a, b, v in zip(ei[0], ei[1], w)}
    # words are nodes 4, 5, 6; p(w0)=2/4, p(w1)=3/4, p(w0,w1)=2/4 -> PMI = log(0.5 / 0.375)
    assert lookup[(4, 5)] == pytest.approx(np.log(0.5 / (0.5 * 0.75)))
    assert (4, 6) not in lookup  # never co-occur: no edge
    # w1 and w2: p = 1/4 vs 3/4 * 2/4 -> negative PMI, dropped
    assert (5, 6) not in lookup
    from sklearn.feature_extraction.text import TfidfTransformer

    tfidf = TfidfTransformer().fit_transform(counts).toarray()
    assert lookup[(4, 0)] == pytest.approx(tfidf[0, 0]) and lookup[(0, 4)] == pytest.approx(tfidf[0, 0])


def test_latent_graph_is_topk_cosine_and_differentiable():
    torch.manual_seed(0)
    learner = LatentGraphLearner(6, 4, k=3)
    h = torch.randn(15, 6)
    ei, w = learner(h)
    z = torch.nn.functional.normalize(learner.proj(h), dim=1)
    s = z @ z.T
    s.fill_diagonal_(-2)
    assert _edge_set(ei) == {(int(j), i) for i in range(15) for j in s[i].topk(3).indices}
    w.sum().backward()
    assert learner.proj.weight.grad is not None and learner.proj.weight.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "edge_index, match",
    [
        (torch.tensor([[0, 1], [1, 2]], dtype=torch.int32), "int64"),
        (torch.tensor([[0, 1, 2]]), "shape"),
        (torch.tensor([[0, 5], [1, 2]]), r"\[0, 3\)"),
        (torch.tensor([[-1, 0], [1, 2]]), r"\[0, 3\)"),
        (np.array([[0.0, 1.0], [1.0, 2.0]]), "integers"),
    ],
)
def test_malformed_edge_index_is_rejected(edge_index, match):
    with pytest.raises(InputError, match=match):
        explicit_graph(edge_index, 3)


def test_explicit_graph_merges_duplicates():
    ei, w = explicit_graph(torch.tensor([[0, 0, 1], [1, 1, 2]]), 3, torch.tensor([0.5, 0.9, 1.0]))
    assert ei.shape[1] == 2 and float(w[0]) == pytest.approx(0.9)


def test_k_not_below_n_is_rejected():
    with pytest.raises(InputError, match="k=5 is too large"):
        knn_graph(torch.randn(5, 2), 5)


def test_empty_input_is_rejected():
    with pytest.raises(InputError, match="empty"):
        knn_graph(torch.zeros(0, 2), 1)
