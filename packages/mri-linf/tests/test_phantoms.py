"""Phantoms, shipped brain slices and the loader for a user's own images."""

import numpy as np
import pytest

from core_utils import InputError
from mri_linf.phantoms import BRAIN_KEYS, brain_slice, get_image, load_image, random_ellipses, shepp_logan


def test_shepp_logan_is_piecewise_constant():
    img = shepp_logan(128)
    assert img.shape == (128, 128) and img.max() == 1.0 and img.min() >= 0
    assert len(np.unique(img)) <= 10  # nearest-neighbour resize keeps the few phantom levels
    grads = (np.abs(np.diff(img, axis=0)) > 0).sum() + (np.abs(np.diff(img, axis=1)) > 0).sum()
    assert grads < 0.15 * img.size  # gradient-sparse


def test_random_ellipses_are_seeded_piecewise_constant_and_normalised():
    a, b, c = random_ellipses(64, seed=1), random_ellipses(64, seed=1), random_ellipses(64, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.isclose(np.abs(a).max(), 1.0) and len(np.unique(a)) < 200
    z = random_ellipses(64, seed=1, phase=1.0)
    assert np.iscomplexobj(z) and np.allclose(np.abs(z), a)


def test_brain_slices_ship_with_the_package():
    assert len(BRAIN_KEYS) == 10
    img = brain_slice("axial_090")
    assert img.shape == (192, 192) and np.isclose(img.max(), 1.0) and img.min() == 0.0
    assert brain_slice("sagittal_090", size=128).shape == (128, 128)
    assert get_image("brain:coronal_100", 64).shape == (64, 64)
    with pytest.raises(InputError, match="unknown brain slice"):
        brain_slice("axial_999")


def test_load_npy_png_and_nifti(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.random((20, 24))
    np.save(tmp_path / "a.npy", img)
    assert np.allclose(load_image(tmp_path / "a.npy"), img / img.max())
    vol = rng.random((6, 7, 5)) + 1j * rng.random((6, 7, 5))
    np.save(tmp_path / "v.npy", vol)
    sl = load_image(tmp_path / "v.npy", axis=1, index=3, normalize=False)
    assert np.allclose(sl, vol[:, 3, :])

    from PIL import Image

    u8 = (img * 255).astype(np.uint8)
    Image.fromarray(u8).save(tmp_path / "a.png")
    assert np.allclose(load_image(tmp_path / "a.png", normalize=False), u8)

    import nibabel

    data = rng.random((8, 9, 4)).astype(np.float32)
    nibabel.save(nibabel.Nifti1Image(data, np.eye(4)), tmp_path / "v.nii.gz")
    got = load_image(tmp_path / "v.nii.gz", axis=2, index=1, normalize=False)
    assert np.allclose(got, data[:, :, 1])
    assert load_image(tmp_path / "v.nii.gz", size=16).shape == (16, 16)


def test_bad_image_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_image(tmp_path / "missing.npy")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(InputError, match="unsupported"):
        load_image(tmp_path / "x.txt")
    bad = np.ones((4, 4))
    bad[1, 1] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(InputError, match="NaN"):
        load_image(tmp_path / "nan.npy")
    np.save(tmp_path / "v.npy", np.ones((3, 3, 3)))
    with pytest.raises(InputError, match="out of range"):
        load_image(tmp_path / "v.npy", index=5)
    (tmp_path / "bad.nii").write_bytes(b"not a nifti")
    with pytest.raises(InputError, match="NIfTI"):
        load_image(tmp_path / "bad.nii")
