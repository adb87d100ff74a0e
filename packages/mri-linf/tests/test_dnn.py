"""U-Net: shipped weights, reproducible and resumable training, differentiable decoder."""

from importlib import resources

import numpy as np
import pytest
import torch

from core_utils import InputError, load_checkpoint
from mri_linf.dnn import TrainConfig, UNet, UNetDecoder, evaluate_unet, load_weights, save_weights, train_unet
from mri_linf.operators import SubsampledFourier, radial_mask

TINY = {
    "n": 16,
    "spokes": 6,
    "base_channels": 4,
    "depth": 2,
    "steps": 4,
    "batch_size": 2,
    "checkpoint_every": 2,
}


def test_unet_keeps_the_shape():
    net = UNet(2, 4, 2)
    assert net(torch.zeros(3, 2, 16, 12)).shape == (3, 2, 16, 12)


def test_shipped_weights_are_small_and_beat_zero_filling():
    path = resources.files("mri_linf").joinpath("data/unet_default.npz")
    assert path.is_file() and len(path.read_bytes()) < 2_000_000
    net, cfg, meta = load_weights()
    assert meta["seed"] == 0 and cfg == TrainConfig(**meta["config"])
    ev = evaluate_unet(net, cfg, n_images=2)
    assert ev["unet_rel_l2"] < 0.85 * ev["zero_filled_rel_l2"]


def test_training_is_reproducible_and_resume_equals_uninterrupted(tmp_path):
    cfg = TrainConfig(**TINY)
    a = train_unet(cfg, seed=3)
    b = train_unet(cfg, seed=3)
    assert a.losses == b.losses
    ckpt = tmp_path / "c.pt"
    part = train_unet(cfg, seed=3, checkpoint=ckpt, stop_after=2)  # "interrupted" after 2 steps
    assert part.steps_done == 2 and load_checkpoint(ckpt)["step"] == 2
    resumed = train_unet(cfg, seed=3, checkpoint=ckpt)
    assert resumed.losses == a.losses
    for p, q in zip(resumed.net.parameters(), a.net.parameters(), strict=True):
        assert torch.equal(p, q)
    c = train_unet(cfg, seed=4)
    assert c.losses != a.losses
    with pytest.raises(InputError, match="another config or seed"):
        train_unet(cfg, seed=5, checkpoint=ckpt)


def test_weights_round_trip(tmp_path):
    cfg = TrainConfig(**TINY)
    res = train_unet(cfg, seed=1)
    save_weights(tmp_path / "w.npz", res.net, cfg, seed=1)
    net, cfg2, meta = load_weights(tmp_path / "w.npz")
    assert cfg2 == cfg and meta["seed"] == 1
    x = torch.randn(1, 2, 16, 16)
    assert torch.equal(net(x), res.net(x))
    with pytest.raises(InputError, match="npz"):
        load_weights(tmp_path / "w.pt")
    np.savez(tmp_path / "bad.npz", a=np.zeros(2))
    with pytest.raises(InputError, match="not a U-Net"):
        load_weights(tmp_path / "bad.npz")


def test_unet_decoder_is_differentiable_in_the_measurements():
    op = SubsampledFourier(radial_mask(16, 6))
    dec = UNetDecoder(UNet(2, 4, 2), op)
    y = torch.randn(op.m, dtype=torch.complex64, requires_grad=True)
    dec(y).abs().sum().backward()
    assert y.grad is not None and float(y.grad.abs().sum()) > 0


@pytest.mark.parametrize("bad", [{"n": 20, "depth": 3}, {"steps": 0}, {"lr": 0.0}, {"jitter": -1.0}])
def test_bad_training_config_is_refused(bad):
    with pytest.raises(InputError):
        TrainConfig(**bad)
