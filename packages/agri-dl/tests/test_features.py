"""Hand-crafted features against scikit-image and hand-computed values."""

import numpy as np
import pytest
from skimage import color, feature

from agri_dl.features import color_histogram, extract, glcm_features, hog_features, lbp_histogram
from agri_dl.images import as_rgb_uint8
from core_utils import InputError


@pytest.fixture
def img():
    return np.random.default_rng(0).integers(0, 256, size=(32, 32, 3), dtype=np.uint8)


def test_color_histogram_matches_hand_count_on_a_tiny_image():
    # pure red (h=0, s=1, v=1) and pure black (h=0, s=0, v=0) pixels
    im = np.zeros((1, 2, 3), dtype=np.uint8)
    im[0, 0] = [255, 0, 0]
    h = color_histogram(im, bins=4).reshape(3, 4)
    np.testing.assert_allclose(h[0], [1.0, 0, 0, 0])  # both hues 0
    np.testing.assert_allclose(h[1], [0.5, 0, 0, 0.5])  # saturation 0 and 1
    np.testing.assert_allclose(h[2], [0.5, 0, 0, 0.5])  # value 0 and 1


def test_color_histogram_is_invariant_to_pixel_permutation(img):
    perm = np.random.default_rng(1).permutation(32 * 32)
    shuffled = img.reshape(-1, 3)[perm].reshape(32, 32, 3)
    np.testing.assert_array_equal(color_histogram(img), color_histogram(shuffled))
    assert color_histogram(img).sum() == pytest.approx(3.0)


def test_uniform_lbp_has_p_plus_2_bins_summing_to_one_and_matches_skimage(img):
    h = lbp_histogram(img, P=8, R=1)
    assert h.shape == (10,) and h.sum() == pytest.approx(1.0)
    grey = np.round(color.rgb2gray(img) * 255).astype(np.uint8)
    codes = feature.local_binary_pattern(grey, 8, 1, method="uniform")
    np.testing.assert_allclose(h, np.bincount(codes.astype(int).ravel(), minlength=10) / codes.size)


def test_rotation_invariant_lbp_is_unchanged_by_90_degree_rotation(img):
    h = lbp_histogram(img, method="ror")
    np.testing.assert_allclose(h, lbp_histogram(np.rot90(img).copy(), method="ror"), atol=0.02)


def test_hog_length_is_324_on_32x32_and_matches_skimage(img):
    h = hog_features(img)
    assert h.shape == (3 * 3 * 2 * 2 * 9,)
    grey = np.round(color.rgb2gray(img) * 255).astype(np.uint8)
    ref = feature.hog(
        grey, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm="L2-Hys"
    )
    np.testing.assert_allclose(h, ref)


def test_glcm_matches_skimage_graycoprops(img):
    g = glcm_features(img, distances=(1,), angles=(0.0,), levels=8)
    grey = np.round(color.rgb2gray(img) * 255).astype(np.uint8)
    q = (grey.astype(int) * 8 // 256).astype(np.uint8)
    m = feature.graycomatrix(q, [1], [0.0], levels=8, symmetric=True, normed=True)
    assert g[0] == pytest.approx(feature.graycoprops(m, "contrast")[0, 0])
    assert g.shape == (6,)


def test_constant_image_has_zero_glcm_contrast():
    g = glcm_features(np.full((16, 16, 3), 100, np.uint8), distances=(1,), angles=(0.0,))
    assert g[0] == 0.0


def test_image_smaller_than_a_hog_block_is_refused():
    with pytest.raises(InputError, match="smaller than one HOG block"):
        hog_features(np.zeros((12, 12, 3), np.uint8))


def test_grey_rgba_and_float_images_are_converted():
    grey = np.arange(16, dtype=np.uint8).reshape(4, 4)
    np.testing.assert_array_equal(as_rgb_uint8(grey)[..., 2], grey)
    rgba = np.zeros((4, 4, 4), np.uint8)
    assert as_rgb_uint8(rgba).shape == (4, 4, 3)
    assert as_rgb_uint8(np.ones((4, 4, 3))).max() == 255


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.full((4, 4, 3), 2.0), r"values in \[0, 1\]"),
        (np.zeros((4, 4, 2), np.uint8), "2 channels"),
        (np.zeros((2, 4, 4, 3), np.uint8), "must be"),
        (np.full((4, 4, 3), np.nan), "NaN"),
    ],
)
def test_bad_images_are_refused_clearly(bad, match):
    with pytest.raises(InputError, match=match):
        as_rgb_uint8(bad)


def test_extract_concatenates_and_rejects_unknown_kinds(img):
    X = extract(np.stack([img, img]), ["color", "lbp"])
    assert X.shape == (2, 24 + 10)
    with pytest.raises(InputError, match="unknown feature"):
        extract(np.stack([img]), ["sift"])
