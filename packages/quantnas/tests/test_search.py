"""The search loop: resume equals uninterrupted, regularizers act, divergence stops cleanly."""

import dataclasses

import pytest
import torch

from core_utils import InputError, load_checkpoint, save_checkpoint
from quantnas import search as search_mod
from quantnas.search import CHECKPOINT, SearchConfig, final_entropy, search


def _state(res):
    return {k: v.clone() for k, v in res.supernet.state_dict().items()}


def test_resume_after_interrupt_equals_uninterrupted_run(tiny_images, tiny_search_cfg, tmp_path):
    full = search(tiny_search_cfg, tiny_images, seed=3, out_dir=tmp_path / "a")
    part = search(tiny_search_cfg, tiny_images, seed=3, out_dir=tmp_path / "b", stop_after=1)
    assert not part.completed and not (tmp_path / "b" / "genotype.json").exists()
    resumed = search(tiny_search_cfg, tiny_images, seed=3, out_dir=tmp_path / "b")
    assert resumed.completed and (tmp_path / "b" / "genotype.json").exists()
    a, b = _state(full), _state(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert full.history == resumed.history
    assert full.genotype.blocks == resumed.genotype.blocks


def test_resume_with_other_config_is_refused(tiny_images, tiny_search_cfg, tmp_path):
    search(tiny_search_cfg, tiny_images, seed=0, out_dir=tmp_path, stop_after=1)
    with pytest.raises(InputError, match="different configuration"):
        search(dataclasses.replace(tiny_search_cfg, penalty=0.5), tiny_images, seed=0, out_dir=tmp_path)


def test_nan_loss_stops_with_message_and_keeps_checkpoint(
    tiny_images, tiny_search_cfg, tmp_path, monkeypatch
):
    search(tiny_search_cfg, tiny_images, seed=0, out_dir=tmp_path, stop_after=1)
    before = (tmp_path / CHECKPOINT).read_bytes()
    monkeypatch.setattr(search_mod.F, "l1_loss", lambda a, b: (a - b).abs().mean() * float("nan"))
    with pytest.raises(InputError, match=r"non-finite weight loss at epoch 1 .*checkpoint .* is kept"):
        search(tiny_search_cfg, tiny_images, seed=0, out_dir=tmp_path)
    assert (tmp_path / CHECKPOINT).read_bytes() == before


def test_nan_in_checkpointed_architecture_is_refused(tiny_images, tiny_search_cfg, tmp_path):
    search(tiny_search_cfg, tiny_images, seed=0, out_dir=tmp_path, stop_after=1)
    state = load_checkpoint(tmp_path / CHECKPOINT)
    key = next(k for k in state["model"] if k.endswith("alpha"))
    state["model"][key][0, 0] = float("nan")
    save_checkpoint(tmp_path / CHECKPOINT, state)
    with pytest.raises(InputError, match="non-finite checkpointed parameters"):
        search(tiny_search_cfg, tiny_images, seed=0, out_dir=tmp_path)


def test_bitops_penalty_lowers_expected_bitops_and_picks_4_bit(tiny_images, tiny_search_cfg):
    cfg = dataclasses.replace(tiny_search_cfg, lr_alpha=0.05, steps_per_epoch=3, entropy=False)
    free = search(dataclasses.replace(cfg, penalty=0.0), tiny_images, seed=0)
    paid = search(dataclasses.replace(cfg, penalty=1.0), tiny_images, seed=0)
    assert paid.history[-1]["expected_gbitops"] < 0.9 * free.history[-1]["expected_gbitops"]
    assert paid.genotype.bits_histogram().get(4, 0) >= free.genotype.bits_histogram().get(4, 0)
    assert paid.genotype.bits_histogram().get(4, 0) == len(paid.genotype.blocks)


def test_entropy_regularizer_lowers_final_entropy(tiny_images, tiny_search_cfg):
    cfg = dataclasses.replace(tiny_search_cfg, lr_alpha=0.05, steps_per_epoch=3, penalty=0.0, epochs=3)
    off = search(dataclasses.replace(cfg, entropy=False), tiny_images, seed=0)
    on = search(dataclasses.replace(cfg, entropy_coef=1.0), tiny_images, seed=0)
    assert final_entropy(on) < final_entropy(off)


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"warm_up": 5, "epochs": 5}, "warm_up must be in"),
        ({"penalty": -1.0}, "penalty must be >= 0"),
        ({"entropy_coef": -1e-3}, "entropy_coef must be >= 0"),
        ({"scale": 8}, "scale must be one of"),
        ({"fixed_op": "conv9"}, "not a known operation"),
        ({"bits": [4, 12]}, "bits must be one of"),
    ],
)
def test_bad_search_settings_are_input_errors(kwargs, msg):
    with pytest.raises(InputError, match=msg):
        SearchConfig(**kwargs).build_space()


@pytest.mark.parametrize("mode", ["shared", "fp"])
def test_other_modes_and_gaussian_noise_run(tiny_images, tiny_search_cfg, mode):
    cfg = dataclasses.replace(tiny_search_cfg, mode=mode, epochs=1, steps_per_epoch=1, noise_kind="gaussian")
    res = search(cfg, tiny_images, seed=0)
    assert set(res.genotype.blocks) == {s.name for s in res.genotype.space.block_specs()}
