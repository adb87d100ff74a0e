"""Entities: shared-node checks, alignment maps, missing-modality masks, extractors, encoders."""

import numpy as np
import pytest
import torch

from core_utils import InputError
from mmgraph.entities import (
    Entities,
    make_data,
    patch_entities,
    pixel_entities,
    superpixel_entities,
    tabular_entities,
    token_entities,
)


def test_mismatched_entity_counts_without_alignment_are_rejected():
    with pytest.raises(InputError, match="alignment map"):
        make_data({"a": np.zeros((4, 2)), "b": np.zeros((3, 2))})


def test_alignment_map_places_rows_and_masks_missing_nodes():
    d = make_data(
        {"a": np.ones((4, 2)), "b": np.full((2, 3), 2.0)}, alignment={"a": [0, 1, 2, 3], "b": [3, 1]}
    )
    assert d.num_nodes == 4
    assert d.mask_b.tolist() == [False, True, False, True]
    assert torch.equal(d.x_b[1], torch.full((3,), 2.0)) and torch.equal(d.x_b[0], torch.zeros(3))


def test_nan_features_are_rejected_naming_the_modality():
    x = np.zeros((3, 2))
    x[1, 1] = np.nan
    with pytest.raises(InputError, match="modality 'img' contains NaN"):
        make_data({"img": x})


def test_single_class_labels_are_rejected():
    with pytest.raises(InputError, match="single class"):
        make_data({"a": np.zeros((3, 2))}, [1, 1, 1])


def test_node_without_any_modality_is_rejected():
    with pytest.raises(InputError, match="no modality"):
        make_data({"a": np.zeros((3, 2))}, masks={"a": [True, False, True]})


def test_modality_name_shadowing_module_attributes_is_rejected():
    with pytest.raises(InputError, match="modality name"):
        make_data({"type": np.zeros((3, 2))})


def test_pixel_and_patch_entities_preserve_values_and_positions():
    img = np.arange(16.0).reshape(4, 4)
    feats, pos = pixel_entities(img)
    assert feats.shape == (16, 1) and feats[5, 0] == img[1, 1] and tuple(pos[5]) == (1, 1)
    pf, centres = patch_entities(img, 2)
    assert pf.shape == (4, 4)
    assert sorted(pf[1]) == sorted([img[0, 2], img[0, 3], img[1, 2], img[1, 3]])
    assert tuple(centres[3]) == (2.5, 2.5)
    with pytest.raises(InputError, match="divide"):
        patch_entities(img, 3)


def test_superpixel_features_are_region_means():
    rng = np.random.default_rng(0)
    img = rng.random((20, 20))
    sp = superpixel_entities(img, n_segments=10, compactness=0.1)
    r = sp.labels.max() + 1
    assert sp.features.shape == (r, 4)
    for k in range(r):
        assert sp.features[k, 0] == pytest.approx(img[sp.labels == k].mean())
    assert sp.features[:, 3].sum() == pytest.approx(1.0)


def test_token_entities_count_words():
    tok = token_entities(["a b b", "c a"])
    assert tok.vocabulary == ["a", "b", "c"]
    assert tok.counts.toarray().tolist() == [[1, 2, 0], [1, 0, 1]]


def test_tabular_entities_are_standardised():
    t = tabular_entities(np.random.default_rng(0).normal(5, 3, (50, 4)))
    assert np.allclose(t.mean(0), 0, atol=1e-9) and np.allclose(t.std(0), 1)


def test_encoders_zero_missing_modalities(toy):
    ent = Entities({"a": 5, "b": 3}, dim=4)
    h, masks = ent(toy)
    assert h["a"].shape == (30, 4)
    assert (h["b"][~toy.mask_b] == 0).all()
    assert torch.equal(masks["b"], toy.mask_b)


def test_encoder_feature_size_mismatch_is_rejected(toy):
    with pytest.raises(InputError, match="has 5 features"):
        Entities({"a": 7, "b": 3}, dim=4)(toy)


def test_hetero_view_has_one_node_type_per_modality_and_identity_links(toy):
    from torch_geometric.nn import HeteroConv, SAGEConv

    from mmgraph.entities import to_hetero
    from mmgraph.topology import knn_graph

    toy.edge_index = knn_graph(toy.x_a, 3)
    h = to_hetero(toy)
    n_b = int(toy.mask_b.sum())
    assert h["a"].num_nodes == 30 and h["b"].num_nodes == n_b
    assert h["a", "same", "b"].edge_index.shape == (2, n_b)
    assert torch.equal(h["b"].x, toy.x_b[toy.mask_b])
    # the shared graph restricted to nodes that have modality b
    kept = toy.mask_b[toy.edge_index[0]] & toy.mask_b[toy.edge_index[1]]
    assert h["b", "links", "b"].edge_index.shape[1] == int(kept.sum())
    conv = HeteroConv({et: SAGEConv((-1, -1), 4) for et in h.edge_types})
    out = conv(h.x_dict, h.edge_index_dict)
    assert out["a"].shape == (30, 4) and out["b"].shape == (n_b, 4)


def test_superpixels_of_a_bundled_photo_give_a_connected_region_graph():
    """scikit-learn's bundled photo (china.jpg), downsampled: colour means per region and a RAG
    equal to scikit-image's."""
    from skimage.graph import RAG
    from sklearn.datasets import load_sample_image

    from mmgraph.topology import graph_stats, region_adjacency

    img = load_sample_image("china.jpg")[::8, ::8] / 255.0
    sp = superpixel_entities(img, n_segments=30, compactness=10.0)
    k = int(sp.labels.max()) // 2
    assert np.allclose(sp.features[k, :3], img[sp.labels == k].mean(0))
    ei = region_adjacency(sp.labels)
    rag = RAG(sp.labels, connectivity=1)
    assert set(map(tuple, ei.T.tolist())) == {(a, b) for a, b in rag.edges()} | {
        (b, a) for a, b in rag.edges()
    }
    assert graph_stats(ei, int(sp.labels.max()) + 1)["isolated_nodes"] == 0
