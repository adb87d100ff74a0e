"""Encoders: shapes, rebuild from config, input standardisation."""

import pytest
import torch

from core_utils import InputError
from flat_embed.encoders import ConvEncoder, MLPDecoder, MLPEncoder, build_encoder


def test_mlp_maps_rows_to_latent_rows():
    enc = MLPEncoder(100, 3, hidden=(16, 8))
    assert enc(torch.zeros(7, 100)).shape == (7, 3)


def test_cnn_accepts_flattened_32x32_images():
    enc = ConvEncoder(32 * 32, 2)
    assert enc(torch.rand(5, 1024)).shape == (5, 2)


def test_cnn_rejects_non_square_inputs():
    with pytest.raises(InputError, match="square images"):
        ConvEncoder(1000, 2)


@pytest.mark.parametrize("cls", [MLPEncoder, ConvEncoder, MLPDecoder])
def test_rebuild_from_config_gives_the_same_function(cls):
    torch.manual_seed(0)
    net = cls(1024, 2) if cls is not MLPDecoder else cls(2, 1024)
    twin = build_encoder(net.config)
    twin.load_state_dict(net.state_dict())
    x = torch.rand(3, net.config["in_dim"])
    torch.testing.assert_close(twin(x), net(x))


def test_unknown_activation_is_rejected():
    with pytest.raises(InputError, match="unknown activation 'relu6'"):
        MLPEncoder(4, 2, activation="relu6")


def test_standardisation_buffer_is_part_of_the_state():
    enc = MLPEncoder(4, 2)
    assert {"norm.mean", "norm.scale"} <= set(enc.state_dict())


def test_cnn_trained_on_image_rotation_approaches_the_round_circle_optimum():
    """Behaviour, not shape: on the rotation family (a closed curve of length 2π) the trained CNN's
    loss comes within a few percent of the topological bound L_* and never below it. (The warm
    start alone is at 26 L_*, README; a map that is not a near-isometric, nearly round circle
    cannot get within 30 %.)"""
    from flat_embed.bounds import circle_bound_check
    from flat_embed.estimator import FlatEmbedding
    from flat_embed.manifolds import make_manifold

    m = make_manifold("image-rotation", size=16)
    est = FlatEmbedding(
        2, encoder="cnn", steps=150, init="isomap", warm_steps=300, batch_size=32, random_state=0
    ).fit(m)
    r = circle_bound_check(lambda t: est.transform(m.embed(t)), m.period, n_pairs=1000)
    assert r["total"] > r["bound"] - 3 * r["total_stderr"]
    assert r["excess"] < 0.3  # measured 0.15 after 150 steps


@pytest.mark.slow
def test_cnn_on_32x32_image_rotation_comes_within_ten_percent_of_the_bound():
    """The README's CNN run on ``image-rotation`` (32×32): measured excess 4.5 % after 400 steps."""
    from flat_embed.bounds import circle_bound_check
    from flat_embed.estimator import FlatEmbedding
    from flat_embed.manifolds import make_manifold

    m = make_manifold("image-rotation")
    est = FlatEmbedding(
        2, encoder="cnn", steps=400, batch_size=64, lr=1e-3, init="isomap", warm_steps=300, random_state=0
    ).fit(m)
    r = circle_bound_check(lambda t: est.transform(m.embed(t)), m.period, n_pairs=2000)
    assert r["total"] > r["bound"] - 3 * r["total_stderr"]
    assert r["excess"] < 0.1
