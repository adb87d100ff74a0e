"""Offline multi-domain datasets and a loader for the user's own files.

Every builder returns a :class:`DomainDataset` ``(X, y, domains, name)``. Nothing is downloaded: the
images and tables come from scikit-learn's bundled ``digits``, ``wine`` and ``breast_cancer`` data.

* :func:`make_rotated_digits` -- a miniature DomainBed RotatedMNIST: the 1797 8x8 digits split
  disjointly over domains rotated by 0, 15, ..., 75 degrees (``scipy.ndimage.rotate``).
* :func:`make_shifted_digits` -- corruption domains: clean, Gaussian noise, blur, low contrast, inverted.
* :func:`make_feature_shifted` -- wine / breast cancer with per-domain affine feature shifts.
* :func:`make_multidomain_blobs` -- Gaussian classes with controllable covariate and concept shift.
* :func:`load_domains_file` -- ``.npz`` (arrays ``X``, ``y``, ``domains``) or CSV with a domain column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from core_utils import InputError

__all__ = [
    "DATASETS",
    "DomainDataset",
    "load_dataset",
    "load_domains_file",
    "make_feature_shifted",
    "make_multidomain_blobs",
    "make_rotated_digits",
    "make_shifted_digits",
]

DEFAULT_ANGLES = (0, 15, 30, 45, 60, 75)


@dataclass(frozen=True)
class DomainDataset:
    """Samples ``X`` (n, d), labels ``y`` (n,), domain label per sample ``domains`` (n,)."""

    X: np.ndarray
    y: np.ndarray
    domains: np.ndarray
    name: str

    @property
    def domain_names(self) -> list:
        return list(dict.fromkeys(self.domains.tolist()))


def _disjoint_split(n: int, k: int, seed: int) -> list[np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(perm, k)]


def make_rotated_digits(angles: tuple[float, ...] = DEFAULT_ANGLES, seed: int = 0) -> DomainDataset:
    """Digits split disjointly into one domain per rotation angle (degrees), pixel values in [0, 16].

    Rotation: ``scipy.ndimage.rotate(img, angle, reshape=False, order=1)``; domain labels are the
    angles as strings (``"0"``, ``"15"``, ...).
    """
    if len(angles) < 2:
        raise InputError(f"need at least 2 angles, got {angles}")
    digits = load_digits()
    imgs, y = digits.images, digits.target
    parts = _disjoint_split(len(y), len(angles), seed)
    Xs, ys, ds = [], [], []
    for angle, rows in zip(angles, parts, strict=True):
        rot = np.stack([ndimage.rotate(im, angle, reshape=False, order=1) for im in imgs[rows]])
        Xs.append(rot.reshape(len(rows), -1))
        ys.append(y[rows])
        ds.append(np.full(len(rows), f"{angle:g}"))
    return DomainDataset(np.vstack(Xs), np.concatenate(ys), np.concatenate(ds), "rotated-digits")


def make_shifted_digits(seed: int = 0) -> DomainDataset:
    """Digits split over corruption domains: ``clean``, ``noise`` (Gaussian, sd 3), ``blur`` (sigma 0.8),
    ``contrast`` (x0.5 + 4), ``invert`` (16 - x)."""
    digits = load_digits()
    imgs, y = digits.images, digits.target
    rng = np.random.default_rng(seed)
    shifts = {
        "clean": lambda im: im,
        "noise": lambda im: np.clip(im + rng.normal(0, 3.0, im.shape), 0, 16),
        "blur": lambda im: np.stack([ndimage.gaussian_filter(i, 0.8) for i in im]),
        "contrast": lambda im: 0.5 * im + 4.0,
        "invert": lambda im: 16.0 - im,
    }
    parts = _disjoint_split(len(y), len(shifts), seed)
    Xs, ys, ds = [], [], []
    for (name, fn), rows in zip(shifts.items(), parts, strict=True):
        Xs.append(fn(imgs[rows]).reshape(len(rows), -1))
        ys.append(y[rows])
        ds.append(np.full(len(rows), name))
    return DomainDataset(np.vstack(Xs), np.concatenate(ys), np.concatenate(ds), "shifted-digits")


def make_feature_shifted(
    base: str = "wine", n_domains: int = 4, shift: float = 1.0, seed: int = 0
) -> DomainDataset:
    """A bundled table split into domains, domain ``k`` standardised then scaled and shifted.

    Domain ``k`` applies ``x -> x * (1 + 0.3 k shift u) + k shift v`` with fixed random direction
    vectors ``u, v`` (a covariate shift that grows with ``k``).
    """
    loaders = {"wine": load_wine, "breast-cancer": load_breast_cancer}
    if base not in loaders:
        raise InputError(f"base must be one of {sorted(loaders)}, got {base!r}")
    if n_domains < 2:
        raise InputError(f"n_domains must be >= 2, got {n_domains}")
    data = loaders[base]()
    X = (data.data - data.data.mean(0)) / data.data.std(0)
    rng = np.random.default_rng(seed)
    u = np.abs(rng.normal(size=X.shape[1]))
    v = rng.normal(size=X.shape[1])
    parts = _disjoint_split(len(X), n_domains, seed)
    Xs, ys, ds = [], [], []
    for k, rows in enumerate(parts):
        Xs.append(X[rows] * (1 + 0.3 * k * shift * u) + k * shift * v)
        ys.append(data.target[rows])
        ds.append(np.full(len(rows), f"{base}-{k}"))
    return DomainDataset(np.vstack(Xs), np.concatenate(ys), np.concatenate(ds), f"shifted-{base}")


def make_multidomain_blobs(
    n_domains: int = 5,
    n_per_domain: int = 200,
    n_features: int = 5,
    n_classes: int = 3,
    covariate_shift: float = 1.0,
    concept_shift: float = 0.0,
    seed: int = 0,
) -> DomainDataset:
    """Gaussian class blobs; domain ``k`` moves all points by ``k * covariate_shift`` along a fixed
    direction and moves class ``c``'s mean by ``k * concept_shift`` along a class-specific direction."""
    if n_domains < 2 or n_classes < 2:
        raise InputError("need n_domains >= 2 and n_classes >= 2")
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=2.0, size=(n_classes, n_features))
    direction = rng.normal(size=n_features)
    direction /= np.linalg.norm(direction)
    concept = rng.normal(size=(n_classes, n_features))
    Xs, ys, ds = [], [], []
    for k in range(n_domains):
        y = rng.integers(n_classes, size=n_per_domain)
        X = means[y] + rng.normal(size=(n_per_domain, n_features))
        X += k * covariate_shift * direction + k * concept_shift * concept[y]
        Xs.append(X)
        ys.append(y)
        ds.append(np.full(n_per_domain, f"d{k}"))
    return DomainDataset(np.vstack(Xs), np.concatenate(ys), np.concatenate(ds), "blobs")


def load_domains_file(
    path: str | Path, *, domain_column: str = "domain", label_column: str = "y"
) -> DomainDataset:
    """Load a user's multi-domain data.

    ``.npz``: arrays ``X`` (n, d), ``y`` (n,), ``domains`` (n,). CSV: a header row; ``label_column`` and
    ``domain_column`` name the label and domain columns, every other column is a numeric feature.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file {path} does not exist")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("X", "y", "domains") if k not in z.files]
            if missing:
                raise InputError(f"{path.name} lacks array(s) {missing}; it has {z.files}")
            X, y, d = z["X"], z["y"], z["domains"]
    elif path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        if len(rows) < 2:
            raise InputError(f"{path.name} has no data rows")
        header, body = rows[0], rows[1:]
        for col in (domain_column, label_column):
            if col not in header:
                raise InputError(f"{path.name} has no column {col!r}; columns: {header}")
        di, yi = header.index(domain_column), header.index(label_column)
        feat = [i for i in range(len(header)) if i not in (di, yi)]
        try:
            X = np.array([[float(r[i]) for i in feat] for r in body])
        except (ValueError, IndexError) as exc:
            raise InputError(f"{path.name}: non-numeric or missing feature value ({exc})") from None
        y = np.array([r[yi] for r in body])
        d = np.array([r[di] for r in body])
        try:
            y = y.astype(int)
        except ValueError:
            pass
    else:
        raise InputError(f"data file must be .npz or .csv, got {path.name}")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(y) != len(X) or len(d) != len(X):
        raise InputError(f"{path.name}: X must be 2-D with as many rows as y and domains")
    return DomainDataset(X, np.asarray(y), np.asarray(d), path.stem)


DATASETS = {
    "rotated-digits": make_rotated_digits,
    "shifted-digits": make_shifted_digits,
    "shifted-wine": lambda seed=0: make_feature_shifted("wine", seed=seed),
    "shifted-breast-cancer": lambda seed=0: make_feature_shifted("breast-cancer", seed=seed),
    "blobs": lambda seed=0: make_multidomain_blobs(seed=seed),
}


def load_dataset(name: str, seed: int = 0) -> DomainDataset:
    """A built-in dataset by name (:data:`DATASETS`) or ``npz:PATH`` / ``csv:PATH`` for a user's file."""
    if name.startswith(("npz:", "csv:")):
        return load_domains_file(name.split(":", 1)[1])
    if name not in DATASETS:
        raise InputError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)} or npz:PATH / csv:PATH")
    return DATASETS[name](seed=seed)
