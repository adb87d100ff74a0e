"""Synthetic data generators (every theorem here is stated for synthetic distributions)."""

from __future__ import annotations

import numpy as np

from core_utils import InputError

__all__ = ["gaussian_design", "random_direction", "separable_classes", "unit_sphere"]


def random_direction(p: int, norm: float, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random vector of the given Euclidean norm."""
    v = rng.standard_normal(p)
    return norm * v / np.linalg.norm(v)


def gaussian_design(n: int, eigs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows ``x ~ N(0, diag(eigs))`` (the eigenbasis is the standard basis)."""
    eigs = np.asarray(eigs, dtype=np.float64)
    if np.any(eigs < 0):
        raise InputError("eigenvalues must be non-negative")
    return rng.standard_normal((n, eigs.size)) * np.sqrt(eigs)


def unit_sphere(n: int, d: int, rng: np.random.Generator, radius: float = 1.0) -> np.ndarray:
    """``n`` points uniform on the sphere of the given radius in ``R^d``."""
    z = rng.standard_normal((n, d))
    return radius * z / np.linalg.norm(z, axis=1, keepdims=True)


def separable_classes(
    n: int, d: int, rng: np.random.Generator, margin: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian points labelled by a random hyperplane through 0, with a gap of ``margin``.

    Points with ``|<w*, x>| < margin`` are redrawn, so the data are linearly
    separable through the origin.
    """
    w_star = random_direction(d, 1.0, rng)
    xs: list[np.ndarray] = []
    while sum(len(a) for a in xs) < n:
        cand = rng.standard_normal((4 * n, d))
        xs.append(cand[np.abs(cand @ w_star) >= margin])
    x = np.concatenate(xs)[:n]
    return x, np.sign(x @ w_star)
