"""Test images: piecewise-constant phantoms, shipped brain MRI slices, and user files.

- :func:`shepp_logan`: scikit-image's Shepp-Logan phantom, resized with nearest neighbour so that
  it stays exactly piecewise constant (what TV recovers exactly).
- :func:`random_ellipses`: sums of random ellipses (robust-nets ``ellipses/`` set-up), optionally
  with a smooth phase; used to train the U-Net.
- :func:`brain_slice`: ten real T1 slices of the Colin27 ("ch2") template shipped with MRIcron
  (BSD-3-clause; see the package NOTICE), 192 x 192 in [0, 1].
- :func:`load_image`: a user's ``.npy``, ``.png`` or NIfTI (``.nii``/``.nii.gz``) slice.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

from core_utils import InputError

BRAIN_KEYS = (
    "axial_060",
    "axial_070",
    "axial_080",
    "axial_090",
    "axial_100",
    "axial_110",
    "coronal_100",
    "coronal_140",
    "sagittal_060",
    "sagittal_090",
)


def _resize(img: np.ndarray, size: int | tuple[int, int], order: int) -> np.ndarray:
    from skimage.transform import resize

    shape = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if tuple(img.shape) == shape:
        return img
    kw = {"order": order, "anti_aliasing": order > 0, "preserve_range": True, "mode": "edge"}
    if np.iscomplexobj(img):
        return resize(img.real, shape, **kw) + 1j * resize(img.imag, shape, **kw)
    return resize(img, shape, **kw)


def shepp_logan(n: int = 128) -> np.ndarray:
    """Shepp-Logan phantom ``(n, n)`` in [0, 1], nearest-neighbour resized (piecewise constant)."""
    from skimage.data import shepp_logan_phantom

    if int(n) < 8:
        raise InputError(f"phantom size must be >= 8, got {n}")
    img = _resize(shepp_logan_phantom(), int(n), order=0)
    return (img / img.max()).astype(np.float64)


def random_ellipses(
    n: int = 128,
    n_ellipses: int = 8,
    *,
    seed: int | np.random.Generator = 0,
    phase: float = 0.0,
) -> np.ndarray:
    """Random-ellipse phantom ``(n, n)``: a sum of constant ellipses, max modulus 1.

    Parameters
    ----------
    n : int
        Side length.
    n_ellipses : int
        Number of ellipses besides the outer "head".
    seed : int or numpy Generator
        Randomness.
    phase : float
        Amplitude (radians) of a smooth random phase ``exp(i * phase * p(x, y))`` with ``p`` a
        random plane; 0 gives a real image.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if int(n) < 8:
        raise InputError(f"phantom size must be >= 8, got {n}")
    yy, xx = np.mgrid[-1 : 1 : n * 1j, -1 : 1 : n * 1j]

    def ellipse(cy: float, cx: float, ay: float, ax: float, theta: float) -> np.ndarray:
        c, s = np.cos(theta), np.sin(theta)
        u = (xx - cx) * c + (yy - cy) * s
        v = -(xx - cx) * s + (yy - cy) * c
        return ((u / ax) ** 2 + (v / ay) ** 2) <= 1.0

    img = 0.6 * ellipse(0, 0, rng.uniform(0.75, 0.9), rng.uniform(0.6, 0.8), rng.uniform(-0.3, 0.3))
    for _ in range(int(n_ellipses)):
        cy, cx = rng.uniform(-0.5, 0.5, size=2)
        ay, ax = rng.uniform(0.04, 0.3, size=2)
        img = img + rng.uniform(-0.3, 0.4) * ellipse(cy, cx, ay, ax, rng.uniform(0, np.pi))
    img = np.clip(img, 0, None)
    img = img / max(img.max(), 1e-12)
    if phase:
        a, b = rng.normal(size=2)
        return img * np.exp(1j * phase * (a * xx + b * yy) / np.hypot(a, b))
    return img


def brain_slice(key: str = "axial_090", size: int | None = None) -> np.ndarray:
    """A shipped T1 brain slice (Colin27 / ch2 template), 192 x 192 in [0, 1].

    ``size`` resizes it (linear interpolation with anti-aliasing).
    """
    if key not in BRAIN_KEYS:
        raise InputError(f"unknown brain slice {key!r}; choose one of {', '.join(BRAIN_KEYS)}")
    with resources.files("mri_linf").joinpath("data/brain_slices.npz").open("rb") as fh:
        with np.load(fh) as data:
            img = np.asarray(data[key], dtype=np.float64)
    return _resize(img, size, order=1) if size is not None else img


def load_image(
    path: str | os.PathLike[str],
    *,
    axis: int = 2,
    index: int | None = None,
    size: int | None = None,
    normalize: bool = True,
) -> np.ndarray:
    """Load a 2-D image from ``.npy``, ``.png`` or NIfTI (``.nii``, ``.nii.gz``).

    Parameters
    ----------
    path : path
        The file.
    axis, index : int
        For 3-D volumes (NIfTI or 3-D ``.npy``): the slice ``index`` along ``axis`` (default the
        middle slice).
    size : int, optional
        Resize to ``size x size``.
    normalize : bool
        Scale so the largest modulus is 1.

    Returns
    -------
    numpy.ndarray
        Real or complex 2-D array.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"image file {path} does not exist")
    name = path.name.lower()
    if name.endswith(".npy"):
        arr = np.load(path, allow_pickle=False)
    elif name.endswith(".png"):
        from PIL import Image

        with Image.open(path) as im:
            arr = np.asarray(im.convert("F"), dtype=np.float64)
    elif name.endswith(".nii") or name.endswith(".nii.gz"):
        import nibabel

        try:
            arr = np.asarray(nibabel.load(path).get_fdata(dtype=np.float64))
        except Exception as exc:  # nibabel raises several types for corrupt files
            raise InputError(f"cannot read NIfTI file {path}: {exc}") from None
    else:
        raise InputError(f"unsupported image format {path.name!r}; use .npy, .png, .nii or .nii.gz")
    arr = np.squeeze(arr)
    if arr.ndim == 3:
        if not -3 <= axis < 3:
            raise InputError(f"axis must be 0, 1 or 2 for a 3-D volume, got {axis}")
        idx = arr.shape[axis] // 2 if index is None else int(index)
        if not 0 <= idx < arr.shape[axis]:
            raise InputError(f"slice index {idx} out of range for axis {axis} of size {arr.shape[axis]}")
        arr = np.take(arr, idx, axis=axis)
    if arr.ndim != 2:
        raise InputError(f"image must be 2-D (or a 3-D volume), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"image must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(np.complex128 if np.iscomplexobj(arr) else np.float64)
    if not np.isfinite(arr).all():
        raise InputError(f"image {path.name} contains NaN or infinite values")
    if size is not None:
        arr = _resize(arr, int(size), order=1)
    if normalize:
        peak = np.abs(arr).max()
        if peak == 0:
            raise InputError(f"image {path.name} is all zeros")
        arr = arr / peak
    return arr


def get_image(name: str, n: int = 128, *, seed: int = 0) -> np.ndarray:
    """Image by name: ``shepp-logan``, ``ellipses``, ``brain[:KEY]`` or a file path."""
    if name == "shepp-logan":
        return shepp_logan(n)
    if name == "ellipses":
        return random_ellipses(n, seed=seed)
    if name == "brain" or name.startswith("brain:"):
        key = name.split(":", 1)[1] if ":" in name else "axial_090"
        return brain_slice(key, size=n)
    return load_image(name, size=n)
