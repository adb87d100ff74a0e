"""Offline data sets (spec section 4): scikit-learn's bundled digits, synthetic data, a user's .npz.

Every loader returns float features ``X`` (or int tokens), int labels ``y`` and a train/test split
made from a seed; nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core_utils import InputError


@dataclass
class Dataset:
    """Train/test tensors and the number of classes."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int

    @property
    def n(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def num_features(self) -> int:
        return int(self.x_train.shape[1])


def _split(name, x: np.ndarray, y: np.ndarray, seed: int, test_fraction: float = 0.2) -> Dataset:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(x))
    n_test = max(1, int(round(test_fraction * len(x))))
    te, tr = perm[:n_test], perm[n_test:]
    mean, std = x[tr].mean(0), x[tr].std(0) + 1e-6  # standardise with training statistics only
    xs = ((x - mean) / std).astype(np.float32)
    return Dataset(
        name,
        torch.from_numpy(xs[tr]),
        torch.from_numpy(y[tr].astype(np.int64)),
        torch.from_numpy(xs[te]),
        torch.from_numpy(y[te].astype(np.int64)),
        int(y.max()) + 1,
    )


def load_digits(seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 digits (1 797 images, 10 classes), 80/20 split."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    return _split("digits", d.data.astype(np.float64), d.target, seed)


def make_synthetic(seed: int = 0, n: int = 2000, d: int = 20, classes: int = 4) -> Dataset:
    """Gaussian features labelled by a random linear teacher (argmax of ``X W``)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    w = rng.standard_normal((d, classes))
    y = np.argmax(x @ w + 0.3 * rng.standard_normal((n, classes)), axis=1)
    return _split("synthetic", x, y, seed)


def load_npz(path: str | Path, seed: int = 0) -> Dataset:
    """A user's ``.npz`` with arrays ``X`` (n x d numbers) and ``y`` (n integer labels)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file {path} does not exist")
    try:
        with np.load(path) as f:
            if "X" not in f or "y" not in f:
                raise InputError(f"{path} must hold arrays 'X' and 'y', found {sorted(f.files)}")
            x, y = np.asarray(f["X"], dtype=np.float64), np.asarray(f["y"])
    except (ValueError, OSError) as exc:
        raise InputError(f"cannot read {path} as .npz: {exc}") from None
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise InputError(f"{path}: X must be n x d and y length n, got {x.shape} and {y.shape}")
    if len(x) < 10:
        raise InputError(f"{path}: need at least 10 examples, got {len(x)}")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise InputError(f"{path}: y must hold non-negative integer class labels")
    if not np.isfinite(x).all():
        raise InputError(f"{path}: X holds NaN or infinite values")
    return _split(path.stem, x, y, seed)


def load_dataset(name: str, seed: int = 0) -> Dataset:
    """``digits``, ``synthetic`` or a path to an ``.npz`` file."""
    if name == "digits":
        return load_digits(seed)
    if name == "synthetic":
        return make_synthetic(seed)
    if name.endswith(".npz"):
        return load_npz(name, seed)
    raise InputError(f"dataset must be digits, synthetic or a .npz path, got {name!r}")
