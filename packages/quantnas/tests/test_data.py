"""Data: built-in images, the bicubic baseline oracle, patches, and the user folder loader."""

import numpy as np
import pytest
import torch
from PIL import Image

from core_utils import InputError
from quantnas.data import (
    PatchSampler,
    as_rgb,
    bicubic_degrade,
    builtin_images,
    load_image_folder,
    synthetic_images,
)
from quantnas.evaluation import bicubic_baseline


def test_bicubic_x4_baseline_matches_reference_values():
    # PIL bicubic down/up, mod-crop, Y (BT.601), shave 4: reference dB values for these images
    imgs = builtin_images(names=["astronaut", "rocket", "china"])
    per = bicubic_baseline(imgs, 4)["per_image"]
    assert per["astronaut"] == pytest.approx(26.83, abs=0.02)
    assert per["rocket"] == pytest.approx(29.99, abs=0.02)
    assert per["china"] == pytest.approx(22.42, abs=0.02)


def test_builtin_splits_are_disjoint_rgb_uint8():
    ev, tr = builtin_images("eval"), builtin_images("train")
    assert not {n for n, _ in ev} & {n for n, _ in tr}
    for _, img in ev + tr:
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3


def test_degradation_shapes_and_mod_crop():
    hr, lr = bicubic_degrade(np.zeros((50, 63, 3), np.uint8), 4)
    assert hr.shape == (48, 60, 3) and lr.shape == (12, 15, 3)


def test_patch_halves_are_disjoint_and_aligned():
    img = synthetic_images(1, 64)[0]
    a = PatchSampler([img], 2, 8, 64, region="first", rng=np.random.default_rng(0))
    b = PatchSampler([img], 2, 8, 64, region="second", rng=np.random.default_rng(0))
    assert a.items[0][3] == b.items[0][2] == 16
    lr, hr = a.sample()
    assert lr.shape == (64, 3, 8, 8) and hr.shape == (64, 3, 16, 16)
    # an HR patch average-pooled is close to its LR patch (alignment)
    assert float((torch.nn.functional.avg_pool2d(hr, 2) - lr).abs().mean()) < 0.05


def test_augmented_patches_are_the_same_dihedral_transform_of_lr_and_hr():
    name, img = synthetic_images(1, 64)[0]
    # crop = whole LR image: one position, so every patch is a flip/transpose of the full image
    s = PatchSampler([(name, img)], 2, 32, 64, rng=np.random.default_rng(0), augment=True)
    lr0, hr0 = s.items[0][0], s.items[0][1]

    def dihedral(t, k):
        t = t.flip(-1) if k & 1 else t
        t = t.flip(-2) if k & 2 else t
        return t.transpose(-1, -2) if k & 4 else t

    lr, hr = s.sample()
    seen = set()
    for i in range(lr.shape[0]):
        ks = [k for k in range(8) if torch.equal(lr[i], dihedral(lr0, k))]
        assert ks and torch.equal(hr[i], dihedral(hr0, ks[0]))
        seen.add(ks[0])
    assert len(seen) == 8


def test_image_smaller_than_crop_is_refused():
    with pytest.raises(InputError, match="smaller than the crop"):
        PatchSampler([("small", np.zeros((40, 40, 3), np.uint8))], 4, 12, 2)


def test_folder_loader_converts_grey_refuses_transparent(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(rng.integers(0, 256, (20, 24), dtype=np.uint8)).save(tmp_path / "b.png")
    opaque = np.dstack([rng.integers(0, 256, (20, 24, 3), dtype=np.uint8), np.full((20, 24), 255, np.uint8)])
    Image.fromarray(opaque).save(tmp_path / "c.png")
    imgs = load_image_folder(tmp_path)
    assert [n for n, _ in imgs] == ["a", "b", "c"]
    assert all(i.shape == (20, 24, 3) for _, i in imgs)
    assert np.array_equal(imgs[1][1][..., 0], imgs[1][1][..., 2])
    transparent = opaque.copy()
    transparent[0, 0, 3] = 10
    Image.fromarray(transparent).save(tmp_path / "d.png")
    with pytest.raises(InputError, match="transparency"):
        load_image_folder(tmp_path)


def test_folder_loader_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_image_folder(tmp_path / "nope")
    with pytest.raises(InputError, match="has no images"):
        load_image_folder(tmp_path)


def test_bad_arrays_are_refused():
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        as_rgb(np.full((4, 4, 3), 2.0))
    with pytest.raises(InputError, match="expected an RGB image"):
        as_rgb(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(InputError, match="scale must be one of"):
        bicubic_degrade(np.zeros((8, 8, 3), np.uint8), 5)
