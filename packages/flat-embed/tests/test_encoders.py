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
