"""Mixer algebra (spec oracle 4): order invariance, dimensions, attention weights, masks; readouts."""

import pytest
import torch

from core_utils import InputError
from mmgraph.mix import AttentionMixer, ConcatMixer, MeanReadout, NoMixer, ProductMixer, SumMixer, SumReadout


def _channels(seed=0, n=6, d=4, c=3):
    g = torch.Generator().manual_seed(seed)
    return {f"m{i}": torch.randn(n, d, generator=g) for i in range(c)}, {
        f"m{i}": torch.ones(n, dtype=torch.bool) for i in range(c)
    }


@pytest.mark.parametrize("mixer", [SumMixer(4), ProductMixer(4), AttentionMixer(4)])
def test_sum_product_attention_are_invariant_to_modality_order(mixer):
    ch, mk = _channels()
    reordered = dict(reversed(list(ch.items())))
    assert torch.allclose(mixer(ch, mk), mixer(reordered, mk), atol=1e-6)


def test_sum_and_product_equal_closed_forms():
    ch, mk = _channels()
    assert torch.allclose(SumMixer(4)(ch, mk), ch["m0"] + ch["m1"] + ch["m2"])
    assert torch.allclose(ProductMixer(4)(ch, mk), ch["m0"] * ch["m1"] * ch["m2"])


def test_concat_has_sum_of_dimensions():
    ch, mk = _channels()
    mixer = ConcatMixer(4, channels=list(ch))
    out = mixer(ch, mk)
    assert out.shape == (6, 12) == (6, mixer.out_dim())
    assert torch.equal(out[:, 4:8], ch["m1"])


def test_attention_weights_sum_to_one_and_skip_missing_channels():
    ch, mk = _channels()
    mk["m1"] = torch.tensor([True, False, True, False, True, True])
    mixer = AttentionMixer(4)
    mixer(ch, mk)
    w = mixer.last_weights
    assert torch.allclose(w.sum(0), torch.ones(6))
    assert (w[1, ~mk["m1"]] == 0).all()


def test_zeroing_a_modality_gives_the_unimodal_mix():
    ch, mk = _channels(c=2)
    mk["m1"] = torch.zeros(6, dtype=torch.bool)
    assert torch.allclose(SumMixer(4)(ch, mk), ch["m0"])
    assert torch.allclose(ProductMixer(4)(ch, mk), ch["m0"])
    assert torch.allclose(AttentionMixer(4)(ch, mk), ch["m0"], atol=1e-6)


def test_no_mixing_is_identity_for_one_modality_and_refuses_two():
    ch, mk = _channels(c=1)
    assert torch.equal(NoMixer(4)(ch, mk), ch["m0"])
    ch2, mk2 = _channels(c=2)
    with pytest.raises(InputError, match="exactly one channel"):
        NoMixer(4)(ch2, mk2)


def test_readouts_pool_per_graph():
    z = torch.arange(12.0).reshape(6, 2)
    batch = torch.tensor([0, 0, 0, 1, 1, 1])
    assert torch.equal(SumReadout()(z, batch), torch.stack([z[:3].sum(0), z[3:].sum(0)]))
    assert torch.equal(MeanReadout()(z, batch), torch.stack([z[:3].mean(0), z[3:].mean(0)]))
