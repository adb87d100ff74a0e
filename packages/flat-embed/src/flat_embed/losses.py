"""The low-distortion / low-bending loss on pairs (Braunsmann et al. 2021, eq. of spec section 1).

.. math::

    L_{ε,K}[φ] = \\frac1K \\sum_k W\\Big(\\frac{|φ(x_k) − φ(y_k)|}{d_k}\\Big)
        + λ \\frac{|φ(av(x_k, y_k)) − ½(φ(x_k) + φ(y_k))|²}{d_k⁴}

The d⁻⁴ scaling of the bending term is forced: along a geodesic,
½(φ(x)+φ(y)) − φ(mid) = (d²/8) ∇²φ(γ', γ') + O(d⁴), so the term tends to
|∇²φ(v, v)|²/64. The exact W of the paper is unverified; W is a registry
parameter (default ``"sq2"`` = (s² − 1)²).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core_utils import InputError

__all__ = ["W_FUNCTIONS", "FlatEmbedLoss", "LossParts", "bending", "distortion", "get_w", "register_w"]

W_FUNCTIONS: dict[str, Callable[[Any], Any]] = {}


def register_w(name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Decorator registering a distortion penalty W(s) (W >= 0, W(1) = 0); duplicates refused."""

    def deco(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        if name in W_FUNCTIONS:
            raise ValueError(f"W {name!r} is already registered")
        W_FUNCTIONS[name] = fn
        return fn

    return deco


@register_w("sq")
def w_sq(s: Any) -> Any:
    """W(s) = (s − 1)²."""
    return (s - 1) ** 2


@register_w("sq2")
def w_sq2(s: Any) -> Any:
    """W(s) = (s² − 1)² (default; unverified against the paper)."""
    return (s * s - 1) ** 2


@register_w("sym")
def w_sym(s: Any) -> Any:
    """W(s) = s² + s⁻² − 2, symmetric under s -> 1/s (infinite at s = 0)."""
    return s * s + 1 / (s * s) - 2


def get_w(w: str | Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Resolve a W name (``sq``, ``sq2``, ``sym``) or pass a callable through."""
    if callable(w):
        return w
    if w not in W_FUNCTIONS:
        raise InputError(f"unknown W {w!r}; choose one of {', '.join(sorted(W_FUNCTIONS))}")
    return W_FUNCTIONS[w]


def distortion(zx: Any, zy: Any, d: Any, w: str | Callable[[Any], Any] = "sq2") -> Any:
    """Per-pair distortion W(|φ(x) − φ(y)| / d) (first-order term).

    Works on torch tensors and numpy arrays; ``zx``, ``zy`` have shape (K, l), ``d`` (K,).
    """
    diff = zx - zy
    s = (diff * diff).sum(-1) ** 0.5 / d
    return get_w(w)(s)


def bending(zx: Any, zy: Any, zm: Any, d: Any) -> Any:
    """Per-pair bending |φ(av) − ½(φ(x) + φ(y))|² / d⁴ (second-order term)."""
    r = zm - 0.5 * (zx + zy)
    return (r * r).sum(-1) / d**4


@dataclass
class LossParts:
    """Total loss and its two terms (means over the pairs); ``bending`` is *not* multiplied by λ."""

    total: Any
    distortion: Any
    bending: Any

    def item(self) -> dict[str, float]:
        """Python floats of the three parts."""
        return {
            k: float(getattr(self, k).detach())
            if hasattr(getattr(self, k), "detach")
            else float(getattr(self, k))
            for k in ("total", "distortion", "bending")
        }


class FlatEmbedLoss:
    """Callable loss ``(zx, zy, zm, d) -> LossParts``.

    Parameters
    ----------
    lam : float
        Weight λ >= 0 of the bending term (default 1, as in the reference runs).
    w : str or callable
        Distortion penalty W; see :data:`W_FUNCTIONS`.
    """

    def __init__(self, lam: float = 1.0, w: str | Callable[[Any], Any] = "sq2") -> None:
        if not lam >= 0:
            raise InputError(f"lam must be >= 0, got {lam}")
        self.lam = float(lam)
        self.w = w
        get_w(w)

    def __call__(self, zx: Any, zy: Any, zm: Any, d: Any) -> LossParts:
        dist = distortion(zx, zy, d, self.w).mean()
        bend = bending(zx, zy, zm, d).mean()
        return LossParts(dist + self.lam * bend, dist, bend)

    def __repr__(self) -> str:
        return f"FlatEmbedLoss(lam={self.lam}, w={self.w!r})"
