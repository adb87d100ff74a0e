"""Hand-crafted image features: the "commonly used image-processing techniques" of the survey
(Kamilaris & Prenafeta-Boldu 2018, Sec. 4.4) that deep learning is compared with.

All extractors use scikit-image: ``color.rgb2hsv`` + ``numpy.histogram`` (colour histograms),
``feature.local_binary_pattern`` (LBP, Ojala et al. 2002), ``feature.hog`` (Dalal & Triggs 2005) and
``feature.graycomatrix`` / ``graycoprops`` (GLCM texture, Haralick et al. 1973).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from skimage import color, feature

from agri_dl.images import as_batch, as_rgb_uint8
from core_utils import InputError

__all__ = ["FEATURES", "color_histogram", "extract", "glcm_features", "hog_features", "lbp_histogram"]


def color_histogram(img: np.ndarray, bins: int = 8) -> np.ndarray:
    """Concatenated normalised histograms of H, S and V (each ``bins`` bins on [0, 1]); length ``3 bins``.

    Invariant to any permutation of the pixels (it only counts values).
    """
    hsv = color.rgb2hsv(as_rgb_uint8(img))
    parts = [np.histogram(hsv[..., c], bins=bins, range=(0.0, 1.0))[0] for c in range(3)]
    h = np.concatenate(parts).astype(float)
    return h / hsv[..., 0].size


def _grey(img: np.ndarray) -> np.ndarray:
    return np.round(color.rgb2gray(as_rgb_uint8(img)) * 255).astype(np.uint8)


def lbp_histogram(img: np.ndarray, P: int = 8, R: float = 1.0, method: str = "uniform") -> np.ndarray:
    """Normalised histogram of ``skimage.feature.local_binary_pattern`` codes on the grey image.

    ``method="uniform"`` has ``P + 2`` codes; ``"ror"`` / ``"default"`` have ``2 ** P``.
    """
    codes = feature.local_binary_pattern(_grey(img), P, R, method=method)
    n_bins = P + 2 if method == "uniform" else 2**P
    hist = np.bincount(codes.astype(int).ravel(), minlength=n_bins).astype(float)
    return hist / hist.sum()


def hog_features(
    img: np.ndarray, pixels_per_cell: int = 8, cells_per_block: int = 2, orientations: int = 9
) -> np.ndarray:
    """``skimage.feature.hog`` of the grey image (L2-Hys block normalisation).

    Length ``(H/c - b + 1) (W/c - b + 1) b^2 o``; e.g. 324 for 32 x 32 with c = 8, b = 2, o = 9.
    """
    g = _grey(img)
    need = pixels_per_cell * cells_per_block
    if min(g.shape) < need:
        raise InputError(
            f"image {g.shape[0]}x{g.shape[1]} is smaller than one HOG block ({need}x{need} pixels)"
        )
    return feature.hog(
        g,
        orientations=orientations,
        pixels_per_cell=(pixels_per_cell, pixels_per_cell),
        cells_per_block=(cells_per_block, cells_per_block),
        block_norm="L2-Hys",
        feature_vector=True,
    )


GLCM_PROPS = ("contrast", "dissimilarity", "homogeneity", "energy", "correlation", "ASM")


def glcm_features(
    img: np.ndarray,
    distances: Sequence[int] = (1, 2),
    angles: Sequence[float] = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4),
    levels: int = 32,
) -> np.ndarray:
    """Haralick properties of the symmetric, normalised grey-level co-occurrence matrix.

    The grey image is quantised to ``levels`` levels; returns ``len(GLCM_PROPS) * len(distances) *
    len(angles)`` numbers.
    """
    q = (_grey(img).astype(int) * levels // 256).astype(np.uint8)
    glcm = feature.graycomatrix(
        q, distances=distances, angles=angles, levels=levels, symmetric=True, normed=True
    )
    return np.concatenate([feature.graycoprops(glcm, p).ravel() for p in GLCM_PROPS])


FEATURES = {
    "color": color_histogram,
    "lbp": lbp_histogram,
    "hog": hog_features,
    "glcm": glcm_features,
}


def extract(images: np.ndarray, kinds: Sequence[str]) -> np.ndarray:
    """Feature matrix (N, sum of lengths) of the named extractors applied to every image."""
    unknown = [k for k in kinds if k not in FEATURES]
    if unknown or not kinds:
        raise InputError(f"unknown feature kind(s) {unknown}; choose from {sorted(FEATURES)}")
    batch = as_batch(images)
    return np.array([np.concatenate([FEATURES[k](im) for k in kinds]) for im in batch])
