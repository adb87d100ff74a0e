"""Manifolds with exact Riemannian distance, geodesic midpoint and geodesics.

Every manifold is given by parameters ``p`` (one row per point) and an embedding
``embed(p)`` into an ambient space R^n. Distances and midpoints are computed in
parameter space from the known metric, never from the ambient average of two
points (the ambient average of two images is a blend, off the manifold).

The intrinsically flat manifolds (:class:`Plane`, :class:`SCurve`,
:class:`SwissRoll`, :class:`Cylinder`, :class:`FlatTorus`, :class:`ImageTranslation`,
:class:`TextureCrops`) carry isometric "unrolled" coordinates used as ground
truth for Procrustes errors. Curved or closed ones (:class:`Sphere`,
:class:`ImageRotation`) have analytic lower bounds instead (spec section 3.6).

Any manifold can be lifted into a higher-dimensional ambient space by a fixed
random orthonormal map (``ambient_dim=100``), as in the reference experiments.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from core_utils import InputError

__all__ = [
    "MANIFOLDS",
    "Cylinder",
    "FlatTorus",
    "ImageRotation",
    "ImageTranslation",
    "ParametricManifold",
    "Plane",
    "SCurve",
    "Sphere",
    "SwissRoll",
    "TextureCrops",
    "make_manifold",
    "register_manifold",
]

MANIFOLDS: dict[str, Callable[..., ParametricManifold]] = {}


def register_manifold(name: str) -> Callable[[type], type]:
    """Class decorator adding a manifold to :data:`MANIFOLDS` (duplicate names refused)."""

    def deco(cls: type) -> type:
        if name in MANIFOLDS:
            raise ValueError(f"manifold {name!r} is already registered")
        MANIFOLDS[name] = cls
        cls.name = name
        return cls

    return deco


def make_manifold(name: str, **kwargs: object) -> ParametricManifold:
    """Build a registered manifold by name (``plane``, ``swiss-roll``, ...)."""
    if name not in MANIFOLDS:
        raise InputError(f"unknown manifold {name!r}; choose one of {', '.join(sorted(MANIFOLDS))}")
    return MANIFOLDS[name](**kwargs)


def _wrap(a: np.ndarray, period: float) -> np.ndarray:
    """Map angle-like differences to [-period/2, period/2)."""
    return (a + period / 2) % period - period / 2


class ParametricManifold(ABC):
    """A Riemannian manifold given by parameters with exact geodesic geometry.

    Parameters
    ----------
    ambient_dim : int, optional
        If given (and larger than the native embedding dimension), points are
        mapped into R^ambient_dim by a fixed random orthonormal map, which keeps
        every distance and the second fundamental form.
    seed : int
        Seed of that orthonormal map.

    Notes
    -----
    Tangent vectors are given by coefficients ``v`` (shape ``(n, k)``, k the
    intrinsic dimension) in the orthonormal frame returned by :meth:`tangent_basis`.
    """

    name: ClassVar[str] = "manifold"
    intrinsic_dim: ClassVar[int] = 2
    #: True when the manifold is intrinsically flat with global isometric coordinates.
    is_flat: ClassVar[bool] = True

    def __init__(self, *, ambient_dim: int | None = None, seed: int = 0) -> None:
        self.ambient_dim_requested = ambient_dim
        self.seed = seed
        native = self.native_dim
        if ambient_dim is not None:
            if ambient_dim < native:
                raise InputError(
                    f"ambient_dim={ambient_dim} is below the native dimension {native} of {self.name}"
                )
            g = np.random.default_rng(seed)
            q, _ = np.linalg.qr(g.standard_normal((ambient_dim, native)))
            self._lift: np.ndarray | None = q.T  # (native, ambient), orthonormal rows
        else:
            self._lift = None

    # -- to implement -----------------------------------------------------------------
    @property
    @abstractmethod
    def native_dim(self) -> int:
        """Dimension of the native embedding before any lift."""

    @property
    @abstractmethod
    def param_dim(self) -> int:
        """Number of parameters per point."""

    @abstractmethod
    def sample_params(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` parameter rows drawn uniformly w.r.t. the Riemannian volume of the domain."""

    @abstractmethod
    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        """Native embedding of parameter rows, shape ``(n, native_dim)``."""

    @abstractmethod
    def exp(self, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Exponential map: the point at geodesic distance ``|v|`` from ``p`` in direction ``v``."""

    @abstractmethod
    def distance(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Riemannian (geodesic) distance between parameter rows."""

    @abstractmethod
    def geodesic(self, p: np.ndarray, q: np.ndarray, t: float | np.ndarray) -> np.ndarray:
        """The point at fraction ``t`` of the shortest geodesic from ``p`` to ``q``."""

    @property
    @abstractmethod
    def diameter(self) -> float:
        """Characteristic size of the sampled domain (sets default epsilons)."""

    # -- shared -------------------------------------------------------------------------
    def tangent_basis(self, p: np.ndarray) -> np.ndarray:
        """Orthonormal tangent frame in parameter coordinates, ``(n, k, param_dim)``.

        The default (identity) is right for manifolds whose parameters are
        isometric coordinates.
        """
        n = len(p)
        return np.broadcast_to(
            np.eye(self.intrinsic_dim, self.param_dim), (n, self.intrinsic_dim, self.param_dim)
        )

    @property
    def ambient_dim(self) -> int:
        """Dimension of the ambient space of :meth:`embed`."""
        return self.native_dim if self._lift is None else self._lift.shape[1]

    def embed(self, p: np.ndarray) -> np.ndarray:
        """Ambient coordinates of parameter rows, shape ``(n, ambient_dim)``."""
        p = np.asarray(p, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != self.param_dim:
            raise InputError(f"{self.name}: parameters must have shape (n, {self.param_dim}), got {p.shape}")
        x = self._embed_native(p)
        return x if self._lift is None else x @ self._lift

    def contains(self, p: np.ndarray) -> np.ndarray:
        """Whether parameter rows lie in the sampled domain (always true for closed manifolds)."""
        return np.ones(len(p), dtype=bool)

    def midpoint(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Riemannian average av(p, q): the geodesic midpoint."""
        return self.geodesic(p, q, 0.5)

    def coordinates(self, p: np.ndarray) -> np.ndarray:
        """Isometric flat coordinates (ground truth for Procrustes) of flat manifolds."""
        if not self.is_flat:
            raise InputError(f"{self.name} is not intrinsically flat: it has no isometric flat coordinates")
        return np.asarray(p, dtype=np.float64)[:, : self.intrinsic_dim]

    def color(self, p: np.ndarray) -> np.ndarray:
        """A scalar per point for colouring scatter plots (first coordinate)."""
        return np.asarray(p, dtype=np.float64)[:, 0]

    def __repr__(self) -> str:
        lift = f", ambient_dim={self.ambient_dim}" if self._lift is not None else ""
        return f"{type(self).__name__}({self.name}{lift})"


class _EuclideanParams(ParametricManifold):
    """Parameters are isometric coordinates on a box ``[lo, hi]``; geodesics are straight."""

    lo: np.ndarray
    hi: np.ndarray

    @property
    def param_dim(self) -> int:
        return self.intrinsic_dim

    def sample_params(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.lo, self.hi, size=(n, self.intrinsic_dim))

    def exp(self, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        return p + v

    def contains(self, p: np.ndarray) -> np.ndarray:
        return np.all((p >= self.lo) & (p <= self.hi), axis=1)

    def distance(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return np.linalg.norm(q - p, axis=-1)

    def geodesic(self, p: np.ndarray, q: np.ndarray, t: float | np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if t.ndim == 1:
            t = t[:, None]
        return (1 - t) * p + t * q

    @property
    def diameter(self) -> float:
        return float(np.linalg.norm(self.hi - self.lo))


@register_manifold("plane")
class Plane(_EuclideanParams):
    """A flat 2-D patch ``[0, width] x [0, height]`` in R^2 (lift it with ``ambient_dim``)."""

    def __init__(self, width: float = 1.0, height: float = 1.0, **kw: object) -> None:
        if width <= 0 or height <= 0:
            raise InputError(f"plane: width and height must be > 0, got {width}, {height}")
        self.lo = np.zeros(2)
        self.hi = np.array([width, height], dtype=np.float64)
        super().__init__(**kw)

    @property
    def native_dim(self) -> int:
        return 2

    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        return p.copy()


def _swiss_arclength(t: np.ndarray) -> np.ndarray:
    """Arc length of the spiral (t cos t, t sin t) from 0: ½(t√(1+t²) + asinh t)."""
    return 0.5 * (t * np.sqrt(1 + t * t) + np.arcsinh(t))


@register_manifold("swiss-roll")
class SwissRoll(_EuclideanParams):
    """scikit-learn's Swiss roll, parametrised by arc length ``s`` and height ``h``.

    ``make_swiss_roll`` uses ``(t cos t, h, t sin t)`` with t in [1.5π, 4.5π],
    h in [0, 21]; the unrolled isometric coordinates are ``(s(t), h)`` with
    ``s(t) = ½(t√(1+t²) + asinh t)``.
    """

    def __init__(self, t_min: float = 1.5 * np.pi, t_max: float = 4.5 * np.pi, height: float = 21.0, **kw):
        if not 0 < t_min < t_max or height <= 0:
            raise InputError(
                f"swiss-roll: need 0 < t_min < t_max and height > 0, got {t_min}, {t_max}, {height}"
            )
        self.lo = np.array([_swiss_arclength(np.float64(t_min)), 0.0])
        self.hi = np.array([_swiss_arclength(np.float64(t_max)), height])
        super().__init__(**kw)

    @property
    def native_dim(self) -> int:
        return 3

    @staticmethod
    def t_of_s(s: np.ndarray) -> np.ndarray:
        """Invert the arc length by Newton's method (s'(t) = √(1+t²))."""
        t = np.sqrt(2 * np.abs(s))  # s ~ t²/2 for large t
        for _ in range(50):
            step = (_swiss_arclength(t) - s) / np.sqrt(1 + t * t)
            t = t - step
            if np.max(np.abs(step)) < 1e-15 * max(1.0, float(np.max(np.abs(t)))):
                break
        return t

    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        t = self.t_of_s(p[:, 0])
        return np.stack([t * np.cos(t), p[:, 1], t * np.sin(t)], axis=1)


@register_manifold("s-curve")
class SCurve(_EuclideanParams):
    """scikit-learn's S-curve ``(sin t, h, sign(t)(cos t − 1))``, t in [−1.5π, 1.5π], h in [0, 2].

    With unit-radius arcs, ``t`` itself is arc length, so ``(t, h)`` is isometric.
    """

    def __init__(self, height: float = 2.0, **kw: object) -> None:
        self.lo = np.array([-1.5 * np.pi, 0.0])
        self.hi = np.array([1.5 * np.pi, height])
        super().__init__(**kw)

    @property
    def native_dim(self) -> int:
        return 3

    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        t = p[:, 0]
        return np.stack([np.sin(t), p[:, 1], np.sign(t) * (np.cos(t) - 1)], axis=1)


@register_manifold("cylinder")
class Cylinder(ParametricManifold):
    """Cylinder of radius R, parameters (u, z): u arc length (period 2πR), z height.

    Bending density of the inclusion: ⨍ cos⁴α / (64 R²) = 3 / (512 R²).
    """

    def __init__(self, radius: float = 1.0, height: float = 2.0, **kw: object) -> None:
        if radius <= 0 or height <= 0:
            raise InputError(f"cylinder: radius and height must be > 0, got {radius}, {height}")
        self.radius = float(radius)
        self.height = float(height)
        super().__init__(**kw)

    native_dim = 3  # type: ignore[assignment]
    param_dim = 2  # type: ignore[assignment]

    @property
    def period(self) -> float:
        return 2 * np.pi * self.radius

    @property
    def diameter(self) -> float:
        return float(np.hypot(np.pi * self.radius, self.height))

    def sample_params(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.stack([rng.uniform(0, self.period, n), rng.uniform(0, self.height, n)], axis=1)

    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        a = p[:, 0] / self.radius
        return np.stack([self.radius * np.cos(a), self.radius * np.sin(a), p[:, 1]], axis=1)

    def contains(self, p: np.ndarray) -> np.ndarray:
        return (p[:, 1] >= 0) & (p[:, 1] <= self.height)

    def _delta(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        dq = q - p
        return np.stack([_wrap(dq[:, 0], self.period), dq[:, 1]], axis=1)

    def exp(self, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        return p + v

    def distance(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return np.linalg.norm(self._delta(p, q), axis=-1)

    def geodesic(self, p: np.ndarray, q: np.ndarray, t: float | np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if t.ndim == 1:
            t = t[:, None]
        return p + t * self._delta(p, q)

    def coordinates(self, p: np.ndarray) -> np.ndarray:
        # Locally isometric; globally the u-coordinate is cut at 0 / 2πR.
        return np.asarray(p, dtype=np.float64)


@register_manifold("torus")
class FlatTorus(ParametricManifold):
    """The flat (Clifford) torus (cos u, sin u, cos w, sin w) ⊂ R⁴, parameters (u, w).

    Intrinsically flat, compact: no zero-loss embedding exists. The inclusion
    has bending density ⨍(cos⁴α + sin⁴α)/64 = 3/256 (spec section 3.1).
    """

    is_flat = False  # flat metric, but no global isometric chart (compact)

    native_dim = 4  # type: ignore[assignment]
    param_dim = 2  # type: ignore[assignment]
    diameter = float(np.sqrt(2) * np.pi)  # type: ignore[assignment]

    def sample_params(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(0, 2 * np.pi, size=(n, 2))

    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        return np.stack([np.cos(p[:, 0]), np.sin(p[:, 0]), np.cos(p[:, 1]), np.sin(p[:, 1])], axis=1)

    def exp(self, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        return p + v

    def distance(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return np.linalg.norm(_wrap(q - p, 2 * np.pi), axis=-1)

    def geodesic(self, p: np.ndarray, q: np.ndarray, t: float | np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if t.ndim == 1:
            t = t[:, None]
        return p + t * _wrap(q - p, 2 * np.pi)


@register_manifold("sphere")
class Sphere(ParametricManifold):
    """Round sphere of radius R in R³; parameters are unit vectors (3 per point).

    Bending density of the inclusion: |II(v,v)|²/64 = 1/(64 R²).
    """

    is_flat = False
    native_dim = 3  # type: ignore[assignment]
    param_dim = 3  # type: ignore[assignment]

    def __init__(self, radius: float = 1.0, **kw: object) -> None:
        if radius <= 0:
            raise InputError(f"sphere: radius must be > 0, got {radius}")
        self.radius = float(radius)
        super().__init__(**kw)

    @property
    def diameter(self) -> float:
        return float(np.pi * self.radius)

    def sample_params(self, n: int, rng: np.random.Generator) -> np.ndarray:
        g = rng.standard_normal((n, 3))
        return g / np.linalg.norm(g, axis=1, keepdims=True)

    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        return self.radius * p

    def tangent_basis(self, p: np.ndarray) -> np.ndarray:
        a = np.where(np.abs(p[:, :1]) < 0.9, np.array([[1.0, 0, 0]]), np.array([[0, 1.0, 0]]))
        e1 = np.cross(p, a)
        e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
        e2 = np.cross(p, e1)
        # Tangent coefficients are in arc-length units of the radius-R sphere.
        return np.stack([e1, e2], axis=1)

    def exp(self, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        frame = self.tangent_basis(p)
        w = np.einsum("nk,nkd->nd", v, frame) / self.radius
        th = np.linalg.norm(w, axis=1, keepdims=True)
        safe = np.where(th > 0, th, 1.0)
        return np.cos(th) * p + np.sin(th) * w / safe

    def distance(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        c = np.linalg.norm(np.cross(p, q), axis=-1)
        return self.radius * np.arctan2(c, np.sum(p * q, axis=-1))

    def geodesic(self, p: np.ndarray, q: np.ndarray, t: float | np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if t.ndim == 1:
            t = t[:, None]
        th = (self.distance(p, q) / self.radius)[:, None]
        s = np.sin(th)
        small = s < 1e-12
        s = np.where(small, 1.0, s)
        out = (np.sin((1 - t) * th) * p + np.sin(t * th) * q) / s
        out = np.where(small, (1 - t) * p + t * q, out)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def color(self, p: np.ndarray) -> np.ndarray:
        return np.asarray(p)[:, 2]


# -- image manifolds ---------------------------------------------------------------------


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    c = np.arange(size, dtype=np.float64) + 0.5
    return np.meshgrid(c, c, indexing="ij")


@register_manifold("image-translation")
class ImageTranslation(_EuclideanParams):
    """32×32 images of an elliptic Gaussian blob translated by (a, b) pixels.

    The metric is the Euclidean metric of the translation parameters (pixels);
    distances and midpoints are exact in parameter space. The image manifold
    is flat and isometric to a square of side ``span`` (spec section 4).
    """

    def __init__(
        self,
        size: int = 32,
        span: float = 12.0,
        sigma: tuple[float, float] = (2.5, 1.5),
        angle: float = 0.5,
        **kw: object,
    ) -> None:
        if size < 8 or span <= 0 or span > size:
            raise InputError(f"image-translation: need size >= 8 and 0 < span <= size, got {size}, {span}")
        self.size = int(size)
        self.span = float(span)
        self.sigma = tuple(float(s) for s in sigma)
        self.angle = float(angle)
        c = size / 2
        self.lo = np.array([c - span / 2, c - span / 2])
        self.hi = np.array([c + span / 2, c + span / 2])
        super().__init__(**kw)

    @property
    def native_dim(self) -> int:
        return self.size * self.size

    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        gi, gj = _grid(self.size)
        di = gi[None] - p[:, 0, None, None]
        dj = gj[None] - p[:, 1, None, None]
        ca, sa = np.cos(self.angle), np.sin(self.angle)
        u = ca * di + sa * dj
        w = -sa * di + ca * dj
        img = np.exp(-0.5 * ((u / self.sigma[0]) ** 2 + (w / self.sigma[1]) ** 2))
        return img.reshape(len(p), -1)


@register_manifold("image-rotation")
class ImageRotation(ParametricManifold):
    """32×32 images of an asymmetric shape rotated by an angle θ (a closed curve, S¹).

    Parameter θ in [0, 2π) with metric ``radius · |dθ|``; compact, so the loss
    has a positive floor (round circle: λ/(64 radius²) bending density).
    """

    is_flat = False
    intrinsic_dim = 1
    param_dim = 1  # type: ignore[assignment]

    def __init__(self, size: int = 32, radius: float = 1.0, **kw: object) -> None:
        self.size = int(size)
        self.radius = float(radius)
        super().__init__(**kw)

    @property
    def native_dim(self) -> int:
        return self.size * self.size

    @property
    def diameter(self) -> float:
        return float(np.pi * self.radius)

    def sample_params(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(0, 2 * np.pi * self.radius, size=(n, 1))

    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        gi, gj = _grid(self.size)
        c = self.size / 2
        th = p[:, 0, None, None] / self.radius
        di, dj = gi[None] - c, gj[None] - c
        u = np.cos(th) * di + np.sin(th) * dj
        w = -np.sin(th) * di + np.cos(th) * dj
        # A bar with an off-centre blob: no rotational symmetry.
        bar = np.exp(-0.5 * ((u / 8.0) ** 2 + (w / 2.0) ** 2))
        blob = np.exp(-0.5 * (((u - 7.0) / 2.5) ** 2 + ((w - 3.0) / 2.5) ** 2))
        return (bar + blob).reshape(len(p), -1)

    @property
    def period(self) -> float:
        return 2 * np.pi * self.radius

    def exp(self, p: np.ndarray, v: np.ndarray) -> np.ndarray:
        return (p + v) % self.period

    def distance(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return np.abs(_wrap(q - p, self.period))[:, 0]

    def geodesic(self, p: np.ndarray, q: np.ndarray, t: float | np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if t.ndim == 1:
            t = t[:, None]
        return (p + t * _wrap(q - p, self.period)) % self.period


@register_manifold("texture-crops")
class TextureCrops(_EuclideanParams):
    """32×32 grey crops of scikit-learn's bundled ``china.jpg`` at sub-pixel offsets (a, b).

    The photo is blurred (Gaussian, ``blur`` pixels) so that the crop map is
    smooth, and sampled with cubic splines. The metric is the Euclidean metric
    of the offsets (pixels). Needs Pillow (``pip install flat-embed[images]``)
    to decode the JPEG.
    """

    def __init__(
        self, size: int = 32, span: float = 24.0, blur: float = 1.5, image: str = "china.jpg", **kw: object
    ) -> None:
        try:
            from sklearn.datasets import load_sample_image

            photo = load_sample_image(image)
        except ImportError as exc:  # sklearn needs Pillow to decode the JPEG
            raise InputError(
                f"texture-crops needs Pillow to decode {image}: pip install pillow ({exc})"
            ) from None
        from scipy.ndimage import gaussian_filter, spline_filter

        grey = photo.astype(np.float64).mean(axis=2) / 255.0
        self.texture = gaussian_filter(grey, blur)
        # Cubic-spline coefficients once, not on every map_coordinates call.
        self._coeffs = spline_filter(self.texture, order=3, mode="nearest")
        self.size = int(size)
        self.span = float(span)
        self.origin = np.array([150.0, 250.0])  # a textured region (roof and trees)
        self.lo = np.zeros(2)
        self.hi = np.array([span, span])
        super().__init__(**kw)

    @property
    def native_dim(self) -> int:
        return self.size * self.size

    def _embed_native(self, p: np.ndarray) -> np.ndarray:
        from scipy.ndimage import map_coordinates

        gi, gj = _grid(self.size)
        coords = np.stack(
            [gi[None] + self.origin[0] + p[:, 0, None, None], gj[None] + self.origin[1] + p[:, 1, None, None]]
        )
        out = map_coordinates(self._coeffs, coords, order=3, mode="nearest", prefilter=False)
        return out.reshape(len(p), -1)
