"""Bundled iBean data, the class-per-folder loader and the procedural leaves."""

import numpy as np
import pytest
from PIL import Image

from agri_dl.data import load_ibean, load_image_folder, synth_leaves
from core_utils import InputError


@pytest.fixture(scope="module")
def ibean():
    return load_ibean()


def test_ibean_has_the_official_split_and_class_counts(ibean):
    assert ibean.images.shape == (1295, 32, 32, 3) and ibean.images.dtype == np.uint8
    assert ibean.class_names == ("angular_leaf_spot", "bean_rust", "healthy")
    _, ytr = ibean.train()
    _, yte = ibean.test()
    assert np.bincount(ytr).tolist() == [389, 393, 385]
    assert np.bincount(yte).tolist() == [43, 43, 42]


def test_no_image_is_in_both_train_and_test(ibean):
    tr = {ibean.ids[i] for i in np.flatnonzero(~ibean.is_test)}
    te = {ibean.ids[i] for i in np.flatnonzero(ibean.is_test)}
    assert not tr & te
    hashes_tr = {ibean.images[i].tobytes() for i in np.flatnonzero(~ibean.is_test)}
    assert not any(ibean.images[i].tobytes() in hashes_tr for i in np.flatnonzero(ibean.is_test))
    assert all(ibean.ids[i].startswith("data/test/") == bool(ibean.is_test[i]) for i in range(len(ibean.ids)))


def test_image_folder_loader_reads_classes_splits_and_converts_modes(tmp_path):
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for cname, mode in (("rust", "RGB"), ("healthy", "L"), ("spot", "RGBA")):
            (tmp_path / split / cname).mkdir(parents=True)
            for k in range(2):
                arr = rng.integers(0, 256, size=(20, 24, 4 if mode == "RGBA" else 3), dtype=np.uint8)
                im = Image.fromarray(
                    arr[..., :3] if mode != "RGBA" else arr, "RGBA" if mode == "RGBA" else "RGB"
                )
                im.convert(mode).save(tmp_path / split / cname / f"{k}.png")
    ds = load_image_folder(tmp_path, size=16)
    assert ds.images.shape == (12, 16, 16, 3)
    assert ds.class_names == ("healthy", "rust", "spot")
    assert ds.is_test.sum() == 6 and np.bincount(ds.labels).tolist() == [4, 4, 4]


def test_empty_class_folder_is_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a" / "x.png")
    with pytest.raises(InputError, match="has no images"):
        load_image_folder(tmp_path)


def test_unreadable_image_is_named(tmp_path):
    for c in "ab":
        (tmp_path / c).mkdir()
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / c / "x.png")
    (tmp_path / "a" / "broken.jpg").write_text("not an image")
    with pytest.raises(InputError, match="cannot read image"):
        load_image_folder(tmp_path)


def test_synth_leaves_match_lesion_colour_across_classes():
    ds = synth_leaves(n=300, seed=0)
    assert ds.images.shape == (300, 32, 32, 3)
    means = [ds.images[ds.labels == k].reshape(-1, 3).mean(0) for k in range(3)]
    assert np.max(np.abs(np.array(means) - np.mean(means, axis=0))) < 4.0
    np.testing.assert_array_equal(ds.images, synth_leaves(n=300, seed=0).images)
