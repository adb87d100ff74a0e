"""PSNR and SSIM on the Y channel against scikit-image."""

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from core_utils import InputError
from quantnas.metrics import psnr_y, rgb_to_y, ssim_y


def _pair(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-20, 21, a.shape), 0, 255).astype(np.uint8)
    return a, b


@pytest.mark.parametrize("seed", range(5))
def test_psnr_equals_skimage_on_shaved_y(seed):
    a, b = _pair(seed)
    ya, yb = rgb_to_y(a)[4:-4, 4:-4], rgb_to_y(b)[4:-4, 4:-4]
    assert psnr_y(a, b, shave=4) == pytest.approx(peak_signal_noise_ratio(yb, ya, data_range=255), abs=1e-10)


def test_ssim_equals_skimage_wang_conventions():
    a, b = _pair(7)
    ref = structural_similarity(
        rgb_to_y(a),
        rgb_to_y(b),
        data_range=255,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    assert ssim_y(a, b) == pytest.approx(ref, abs=1e-12)


def test_psnr_closed_forms():
    a, _ = _pair(0)
    assert psnr_y(a, a) == math.inf
    y = np.full((8, 8, 3), 100, np.uint8)
    # +1 on every channel shifts luma by (65.481 + 128.553 + 24.966) / 255 = 219 / 255 everywhere
    d = 219 / 255
    assert psnr_y(y + 1, y) == pytest.approx(20 * math.log10(255 / d), abs=1e-9)
    assert 20 * math.log10(255 / d) - 20 * math.log10(255) == pytest.approx(-20 * math.log10(d))


def test_y_of_white_and_black():
    assert rgb_to_y(np.zeros((1, 1, 3), np.uint8))[0, 0] == pytest.approx(16.0)
    assert rgb_to_y(np.full((1, 1, 3), 255, np.uint8))[0, 0] == pytest.approx(235.0)


def test_shape_mismatch_is_input_error():
    with pytest.raises(InputError, match="differ in shape"):
        psnr_y(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8))
