"""Localized adversarial attack on a reconstruction method (paper Sec. 4).

For a decoder ``R`` and measurements ``y`` the attack solves

.. math:: \\max_e \\|\\varphi^{\\mu,\\sigma} \\odot (R(y + e) - R(y))\\|_2
          \\quad \\text{s.t.} \\quad \\|e\\|_2 \\le \\eta \\|y\\|_2,

with ``phi`` the indicator (or a smoothed indicator) of a disk with centre ``mu`` and radius
``sigma``, by projected Adam through the (unrolled, warm-started) decoder, as in robust-nets
``PAdam`` + ``proj_l2_ball``. It is scored by the l-infinity error inside vs outside the disk and
compared with Gaussian noise of the same norm.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from core_utils import InputError, progress
from mri_linf.metrics import linf_error, localized_l2, rel_l2
from mri_linf.operators import SubsampledFourier
from mri_linf.tv import TVState

Decoder = Callable[[torch.Tensor], torch.Tensor]
"""Anything mapping measurements ``(..., m)`` to images ``(..., H, W)``, differentiably."""


def disk_weight(
    shape: tuple[int, int], mu: tuple[float, float], sigma: float, *, smooth: float = 0.0, dtype=torch.float64
) -> torch.Tensor:
    """Disk weight ``phi^{mu, sigma}``: 1 inside ``|p - mu| <= sigma``, 0 outside.

    ``smooth > 0`` replaces the hard edge by a logistic ramp of that width (pixels). The disk must
    lie inside the image.
    """
    if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
        raise InputError(f"disk radius sigma must be > 0, got {sigma!r}")
    if smooth < 0:
        raise InputError(f"smooth must be >= 0, got {smooth}")
    h, w = shape
    r0, c0 = (float(v) for v in mu)
    if not (r0 - sigma >= 0 and c0 - sigma >= 0 and r0 + sigma <= h - 1 and c0 + sigma <= w - 1):
        raise InputError(
            f"disk with centre {tuple(mu)} and radius {sigma} lies (partly) outside the {h}x{w} image"
        )
    rr, cc = torch.meshgrid(torch.arange(h, dtype=dtype), torch.arange(w, dtype=dtype), indexing="ij")
    dist = torch.sqrt((rr - r0) ** 2 + (cc - c0) ** 2)
    if smooth == 0:
        return (dist <= sigma).to(dtype)
    return torch.sigmoid((sigma - dist) / smooth)


def random_perturbation(
    y: torch.Tensor, eta: float, *, generator: torch.Generator | None = None, seed: int = 0
) -> torch.Tensor:
    """Complex Gaussian noise scaled to norm exactly ``eta * ||y||``."""
    _check_eta(eta)
    gen = generator if generator is not None else torch.Generator().manual_seed(seed)
    real = y.real.dtype
    noise = torch.complex(
        torch.randn(y.shape, generator=gen, dtype=real), torch.randn(y.shape, generator=gen, dtype=real)
    ).to(y.device)
    return noise * (eta * torch.linalg.vector_norm(y) / torch.linalg.vector_norm(noise))


def _check_eta(eta: float) -> None:
    if not (isinstance(eta, (int, float)) and math.isfinite(eta) and eta > 0):
        raise InputError(f"eta must be > 0, got {eta!r}")


def project_l2_ball(e: torch.Tensor, radius: float | torch.Tensor) -> torch.Tensor:
    """Projection onto ``{e : ||e||_2 <= radius}`` (robust-nets ``proj_l2_ball``)."""
    norm = torch.linalg.vector_norm(e)
    return e * torch.clamp(radius / torch.clamp(norm, min=1e-300), max=1.0)


def perturbation_metrics(
    decoder: Decoder, y: torch.Tensor, e: torch.Tensor, x_ref: torch.Tensor, phi: torch.Tensor
) -> dict[str, float]:
    """l-inf inside/outside the disk, relative l2 and gain of ``R(y + e)`` against ``x_ref``."""
    with torch.no_grad():
        x_pert = decoder(y + e)
    inside = phi > 0.5
    norm_e = float(torch.linalg.vector_norm(e))
    return {
        "linf_in": linf_error(x_pert, x_ref, inside),
        "linf_out": linf_error(x_pert, x_ref, ~inside),
        "rel_l2": rel_l2(x_pert, x_ref),
        "gain": localized_l2(x_pert, x_ref, phi) / norm_e if norm_e > 0 else 0.0,
        "e_norm": norm_e,
    }


class _ProjectedAdam:
    """Adam ascent on the real and imaginary parts of ``e`` followed by projection onto the l2 ball.

    The same update as ``torch.optim.Adam`` (betas 0.9, 0.999; robust-nets ``PAdam``), written out
    so that the attack does not pull in ``torch.optim``'s compiler machinery.
    """

    def __init__(self, e: torch.Tensor, lr: float, radius: float, *, eps: float = 1e-5, betas=(0.9, 0.999)):
        self.e = project_l2_ball(e, radius)
        self.lr, self.radius, self.eps, self.betas = lr, radius, eps, betas
        self.m = torch.zeros_like(torch.view_as_real(e))
        self.v = torch.zeros_like(self.m)
        self.t = 0

    def step(self, grad: torch.Tensor) -> torch.Tensor:
        b1, b2 = self.betas
        g = torch.view_as_real(grad)
        self.t += 1
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        m_hat = self.m / (1 - b1**self.t)
        v_hat = self.v / (1 - b2**self.t)
        upd = torch.view_as_complex((self.lr * m_hat / (torch.sqrt(v_hat) + self.eps)).contiguous())
        self.e = project_l2_ball(self.e + upd, self.radius)
        return self.e


@dataclass
class AttackResult:
    """Outcome of :func:`localized_attack`.

    Attributes
    ----------
    e : tensor ``(m,)``
        The adversarial perturbation, ``||e|| <= eta ||y||``.
    x_ref, x_adv : tensor ``(H, W)``
        Reference reconstruction ``R(y)`` (or the truth) and ``R(y + e)``.
    metrics : dict
        ``linf_in``, ``linf_out``, ``rel_l2``, ``gain`` (``||phi (x_adv - x_ref)|| / ||e||``),
        ``e_norm``, ``budget`` and the same keys prefixed ``random_`` for Gaussian noise of equal
        norm, plus ``linf_ratio`` = ``linf_in / random_linf_in``.
    history : list of float
        The attack objective ``||phi (R(y + e) - x_ref)||`` per step.
    """

    e: torch.Tensor
    x_ref: torch.Tensor
    x_adv: torch.Tensor
    metrics: dict[str, float]
    history: list[float] = field(default_factory=list)


def localized_attack(
    decoder: Decoder,
    y: torch.Tensor,
    phi: torch.Tensor,
    eta: float,
    *,
    steps: int = 40,
    lr: float | None = None,
    x_ref: torch.Tensor | None = None,
    seed: int = 0,
    init_scale: float = 0.1,
    adam_eps: float = 1e-5,
    quiet: bool = True,
) -> AttackResult:
    """Projected-Adam localized attack (paper Sec. 4; robust-nets ``PAdam``).

    Parameters
    ----------
    decoder : callable
        Differentiable map ``y -> x`` (e.g. :class:`TVDecoder`, a U-Net decoder).
    y : complex tensor ``(m,)``
        Clean measurements.
    phi : tensor ``(H, W)``
        Disk weight from :func:`disk_weight`.
    eta : float
        Relative budget: ``||e|| <= eta ||y||``.
    steps : int
        Adam steps (robust-nets: 250; the spec's CPU reproduction: 40).
    lr : float, optional
        Adam step; default ``budget / 10`` (spec Sec. 6: the step must scale with the budget).
    x_ref : tensor, optional
        Reference image; default ``R(y)`` (the clean reconstruction).
    seed : int
        Seed of the random start (norm ``init_scale * budget``) and of the random baseline.
    adam_eps : float
        Adam epsilon (robust-nets: 1e-5).

    Returns
    -------
    AttackResult
        The best perturbation found (largest objective), projected onto the budget.
    """
    _check_eta(eta)
    if int(steps) < 1:
        raise InputError(f"steps must be >= 1, got {steps}")
    if not y.is_complex():
        raise InputError(f"measurements must be complex-valued, got dtype {y.dtype}")
    budget = eta * float(torch.linalg.vector_norm(y))
    if x_ref is None:
        with torch.no_grad():
            x_ref = decoder(y)
    x_ref = x_ref.detach()
    phi = phi.to(device=y.device, dtype=y.real.dtype)
    gen = torch.Generator().manual_seed(seed)
    e = random_perturbation(y, eta * init_scale, generator=gen).detach()
    step_size = budget / 10 if lr is None else float(lr)
    adam = _ProjectedAdam(e, step_size, budget, eps=adam_eps)
    best, best_val, history = e.clone(), -math.inf, []
    bar = progress(range(int(steps)), desc="attack", quiet=quiet)
    for _ in bar:
        e_var = e.clone().requires_grad_(True)
        obj = torch.linalg.vector_norm(phi * (decoder(y + e_var) - x_ref))
        (g,) = torch.autograd.grad(obj, e_var)
        val = float(obj.detach())
        history.append(val)
        if val > best_val:
            best_val, best = val, e.clone()
        # torch's complex autograd returns conj(d obj / d conj(e)) convention: g is the ascent direction
        e = adam.step(g)
        bar.set_postfix(obj=f"{val:.4g}")
    # the last iterate has not been scored yet
    e_last = e
    last = perturbation_metrics(decoder, y, e_last, x_ref, phi)
    if last["gain"] * last["e_norm"] > best_val:
        best = e_last
    metrics = perturbation_metrics(decoder, y, best, x_ref, phi)
    noise = random_perturbation(y, eta, generator=gen) * (metrics["e_norm"] / budget)
    rand = perturbation_metrics(decoder, y, noise, x_ref, phi)
    metrics.update({f"random_{k}": v for k, v in rand.items()})
    metrics["budget"] = budget
    metrics["linf_ratio"] = metrics["linf_in"] / max(rand["linf_in"], 1e-300)
    with torch.no_grad():
        x_adv = decoder(y + best)
    return AttackResult(e=best, x_ref=x_ref, x_adv=x_adv, metrics=metrics, history=history)


class TVDecoder:
    """A TV (or l1-wavelet) solver as a differentiable decoder ``y -> x``, warm-started.

    Parameters
    ----------
    solver : TVADMM, TVPrimalDual or L1WaveletADMM
        The solver.
    op : SubsampledFourier
        Forward operator.
    n_iter : int, optional
        Unrolled iterations per call (spec: 60 on CPU; robust-nets: 200).
    warm : TVState, optional
        Warm start (the converged clean iterates); see :meth:`warm_started`.
    """

    def __init__(
        self, solver, op: SubsampledFourier, *, n_iter: int | None = None, warm: TVState | None = None
    ):
        self.solver, self.op, self.n_iter, self.warm = solver, op, n_iter, warm

    @classmethod
    def warm_started(
        cls, solver, op: SubsampledFourier, y: torch.Tensor, *, clean_iter: int = 500, n_iter: int = 60
    ) -> TVDecoder:
        """Solve the clean problem with ``clean_iter`` iterations and warm-start from it."""
        with torch.no_grad():
            _, state = solver.solve(y, op, n_iter=clean_iter)
        return cls(solver, op, n_iter=n_iter, warm=state.detach())

    def __call__(self, y: torch.Tensor) -> torch.Tensor:
        return self.solver.solve(y, self.op, init=self.warm, n_iter=self.n_iter)[0]


class ZeroFilledDecoder:
    """``R(y) = A^* y``; with ``||A|| = 1`` its localized gain is at most 1."""

    def __init__(self, op: SubsampledFourier) -> None:
        self.op = op

    def __call__(self, y: torch.Tensor) -> torch.Tensor:
        return self.op.A_adj(y)
