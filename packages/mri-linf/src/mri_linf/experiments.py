"""Experiments behind the CLI: reconstruction, attack (with DNN comparison and transfer), sweeps
and the exact-recovery curve. Each ``run_*`` takes a config dataclass and an output folder,
writes its PNGs/CSV there and returns ``(metrics, headline)``; the CLI writes ``result.json``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from core_utils import InputError, atomic_write_text, progress
from mri_linf import figures
from mri_linf.attack import (
    TVDecoder,
    ZeroFilledDecoder,
    disk_weight,
    localized_attack,
    perturbation_metrics,
    random_perturbation,
)
from mri_linf.dnn import UNetDecoder, load_weights
from mri_linf.metrics import psnr, rel_l2
from mri_linf.operators import MASKS, SubsampledFourier, make_mask
from mri_linf.phantoms import get_image
from mri_linf.theory import amplification_factor, restricted_singular_values
from mri_linf.tv import TVADMM, TVPrimalDual
from mri_linf.wavelet import L1WaveletADMM

DECODERS = ("tv", "tv-iso", "tv-pd", "wavelet", "unet", "zero-filled")


@dataclass
class ExperimentConfig:
    """Problem, decoder and attack settings (defaults: the spec's 128^2 CPU reproduction).

    ``mu = None`` puts the disk at ``(0.5 n, 0.344 n)`` (``(64, 44)`` at 128^2); ``sigma = 3``
    px; ``eta = 0.01``; 40 Adam steps through 60 warm-started ADMM iterations; TV with
    ``lam = 2e-3``, ``rho = 5e-2`` (robust-nets grid-searches them; these are the spec's).
    """

    image: str = "shepp-logan"
    n: int = 128
    mask: str = "radial"
    spokes: int = 30
    accel: float = 4.0
    decoder: str = "tv"
    lam: float = 2e-3
    rho: float = 5e-2
    clean_iter: int = 500
    unroll: int = 60
    eta: float = 0.01
    mu: tuple[float, float] | None = None
    sigma: float = 3.0
    steps: int = 40
    lr: float | None = None
    noise: float = 0.0
    weights: str | None = None
    compare_dnn: bool = True
    double: bool = False
    etas: list[float] = field(default_factory=lambda: [0.005, 0.01, 0.02, 0.03])
    radii: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.mask not in MASKS:
            raise InputError(f"mask must be one of {', '.join(MASKS)}, got {self.mask!r}")
        if self.decoder not in DECODERS:
            raise InputError(f"decoder must be one of {', '.join(DECODERS)}, got {self.decoder!r}")
        for name in ("lam", "rho", "eta", "sigma"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"{name} must be > 0, got {v}")
        for name in ("n", "spokes", "clean_iter", "unroll", "steps"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.noise < 0:
            raise InputError(f"noise must be >= 0, got {self.noise}")
        if any(not (e > 0) for e in self.etas):
            raise InputError(f"every eta must be > 0, got {self.etas}")
        if any(not (r > 0) for r in self.radii):
            raise InputError(f"every radius must be > 0, got {self.radii}")

    @property
    def centre(self) -> tuple[float, float]:
        """The disk centre (explicit ``mu`` or the default position)."""
        return tuple(self.mu) if self.mu is not None else (round(0.5 * self.n), round(0.344 * self.n))


@dataclass
class Problem:
    """Ground truth, operator and (noisy) measurements of one experiment."""

    x: torch.Tensor
    op: SubsampledFourier
    y: torch.Tensor


def make_problem(cfg: ExperimentConfig, *, seed: int = 0) -> Problem:
    """Image, mask and measurements ``y = A x (+ noise of relative level cfg.noise)``."""
    dtype = torch.complex128 if cfg.double else torch.complex64
    x = torch.from_numpy(np.asarray(get_image(cfg.image, cfg.n, seed=seed))).to(dtype)
    op = SubsampledFourier(make_mask(cfg.mask, tuple(x.shape), spokes=cfg.spokes, accel=cfg.accel, seed=seed))
    y = op.A(x)
    if cfg.noise > 0:
        y = y + random_perturbation(y, cfg.noise, seed=seed + 1)
    return Problem(x, op, y)


def make_solver(cfg: ExperimentConfig, name: str | None = None):
    """The variational solver named by ``cfg.decoder`` (or ``name``)."""
    name = name or cfg.decoder
    if name == "tv":
        return TVADMM(cfg.lam, cfg.rho, n_iter=cfg.clean_iter)
    if name == "tv-iso":
        return TVADMM(cfg.lam, cfg.rho, n_iter=cfg.clean_iter, isotropic=True)
    if name == "tv-pd":
        return TVPrimalDual(cfg.lam, n_iter=cfg.clean_iter)
    if name == "wavelet":
        return L1WaveletADMM(cfg.lam, cfg.rho, n_iter=cfg.clean_iter)
    raise InputError(f"{name!r} is not a variational decoder")


def make_decoder(cfg: ExperimentConfig, prob: Problem, name: str | None = None):
    """A differentiable decoder; variational ones are warm-started from the clean solution."""
    name = name or cfg.decoder
    if name == "zero-filled":
        return ZeroFilledDecoder(prob.op)
    if name == "unet":
        net, tcfg, _ = load_weights(cfg.weights)
        if tcfg.n != prob.op.shape[0] or prob.op.shape[0] != prob.op.shape[1]:
            raise InputError(
                f"the U-Net weights were trained at n = {tcfg.n}, the problem is {prob.op.shape}"
            )
        if cfg.double:
            net = net.double()
        return UNetDecoder(net, prob.op)
    solver = make_solver(cfg, name)
    if cfg.unroll > 200 and hasattr(solver, "checkpoint_every"):
        # autograd memory grows ~ unroll x 5 n^2 x 16 B: recompute segments beyond 200 iterations
        solver.checkpoint_every = 20
    return TVDecoder.warm_started(solver, prob.op, prob.y, clean_iter=cfg.clean_iter, n_iter=cfg.unroll)


def run_recon(cfg: ExperimentConfig, out: Path, *, seed: int = 0) -> tuple[dict, str]:
    """Reconstruct with the configured decoder; report errors against the truth."""
    prob = make_problem(cfg, seed=seed)
    dec = make_decoder(cfg, prob)
    with torch.no_grad():
        x_hat = dec(prob.y)
        x_zf = prob.op.A_adj(prob.y)
    metrics = {
        "rel_l2": rel_l2(x_hat, prob.x),
        "psnr_db": psnr(x_hat, prob.x),
        "zero_filled_rel_l2": rel_l2(x_zf, prob.x),
        "m": prob.op.m,
        "n2_over_m": prob.op.undersampling,
    }
    vmax = float(prob.x.abs().max())
    figures.save_image(out / "image.png", prob.x, "ground truth", vmax=vmax)
    figures.save_image(out / "recon.png", x_hat, f"{cfg.decoder} reconstruction", vmax=vmax)
    figures.save_image(out / "zero_filled.png", x_zf, "zero-filled", vmax=vmax)
    figures.save_error_map(out / "error.png", x_hat - prob.x, "|R(y) - x|")
    head = f"{cfg.decoder} on {cfg.image} {cfg.n}^2, m = {prob.op.m}: rel l2 error {metrics['rel_l2']:.2e}"
    return metrics, head


def _prefixed(prefix: str, d: dict) -> dict:
    return {f"{prefix}{k}": v for k, v in d.items()}


def run_attack(cfg: ExperimentConfig, out: Path, *, seed: int = 0, quiet: bool = True) -> tuple[dict, str]:
    """Attack the configured decoder; with ``compare_dnn`` also the U-Net, plus transfer both ways."""
    prob = make_problem(cfg, seed=seed)
    mu = cfg.centre
    phi = disk_weight(prob.op.shape, mu, cfg.sigma, dtype=prob.y.real.dtype)
    dec = make_decoder(cfg, prob)
    res = localized_attack(dec, prob.y, phi, cfg.eta, steps=cfg.steps, lr=cfg.lr, seed=seed, quiet=quiet)
    metrics = dict(res.metrics)
    metrics["amplification_sqrt_n2_over_m"] = amplification_factor(prob.op)
    metrics["inv_sigma_min_disk"] = float(1 / restricted_singular_values(prob.op, phi > 0.5).min())
    metrics["random_linf"] = max(metrics["random_linf_in"], metrics["random_linf_out"])
    metrics["linf_over_random_linf"] = metrics["linf_in"] / max(metrics["random_linf"], 1e-300)
    metrics["truth_rel_l2_clean"] = rel_l2(res.x_ref, prob.x)
    figures.save_attack_figures(
        out, cfg.decoder, prob.x, res.x_ref, res.x_adv, mu=mu, sigma=cfg.sigma, label=cfg.decoder
    )
    head = (
        f"{cfg.decoder}, eta = {cfg.eta:g}: l-inf error in disk {metrics['linf_in']:.3f} vs "
        f"{metrics['random_linf']:.3f} for random noise of equal norm "
        f"({metrics['linf_over_random_linf']:.1f}x)"
    )
    if cfg.compare_dnn and cfg.decoder != "unet":
        net_cfg = dataclasses.replace(cfg, decoder="unet")
        unet = make_decoder(net_cfg, prob)
        res_u = localized_attack(
            unet, prob.y, phi, cfg.eta, steps=cfg.steps, lr=cfg.lr, seed=seed, quiet=quiet
        )
        metrics.update(_prefixed("unet_", res_u.metrics))
        metrics["unet_truth_rel_l2_clean"] = rel_l2(res_u.x_ref, prob.x)
        # transfer: each attack applied to the other decoder
        metrics.update(
            _prefixed("transfer_to_unet_", perturbation_metrics(unet, prob.y, res.e, res_u.x_ref, phi))
        )
        metrics.update(
            _prefixed(
                f"transfer_to_{cfg.decoder}_", perturbation_metrics(dec, prob.y, res_u.e, res.x_ref, phi)
            )
        )
        figures.save_attack_figures(
            out, "unet", prob.x, res_u.x_ref, res_u.x_adv, mu=mu, sigma=cfg.sigma, label="U-Net"
        )
        head += f"; U-Net under the same attack: {metrics['unet_linf_in']:.3f}"
    return metrics, head


def run_sweep(cfg: ExperimentConfig, out: Path, *, seed: int = 0, quiet: bool = True) -> tuple[dict, str]:
    """Attack over ``cfg.etas`` (or over ``cfg.radii`` when given); CSV + plot."""
    prob = make_problem(cfg, seed=seed)
    mu = cfg.centre
    decoders = {cfg.decoder: make_decoder(cfg, prob)}
    if cfg.compare_dnn and cfg.decoder != "unet":
        decoders["unet"] = make_decoder(dataclasses.replace(cfg, decoder="unet"), prob)
    by_radius = bool(cfg.radii)
    values = cfg.radii if by_radius else cfg.etas
    rows = []
    for v in progress(values, desc="sweep", quiet=quiet):
        eta, sigma = (cfg.eta, v) if by_radius else (v, cfg.sigma)
        phi = disk_weight(prob.op.shape, mu, sigma, dtype=prob.y.real.dtype)
        for name, dec in decoders.items():
            r = localized_attack(dec, prob.y, phi, eta, steps=cfg.steps, lr=cfg.lr, seed=seed)
            m = r.metrics
            rows.append(
                {
                    "decoder": name,
                    "eta": eta,
                    "sigma": sigma,
                    "linf_in": m["linf_in"],
                    "linf_out": m["linf_out"],
                    "rel_l2": m["rel_l2"],
                    "gain": m["gain"],
                    "random_linf": max(m["random_linf_in"], m["random_linf_out"]),
                }
            )
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "sweep.csv", buf.getvalue())
    key = "sigma" if by_radius else "eta"
    curves = {}
    for name in decoders:
        sel = [r for r in rows if r["decoder"] == name]
        curves[f"{name}: attack"] = [r["linf_in"] for r in sel]
        curves[f"{name}: random"] = [r["random_linf"] for r in sel]
    figures.save_curves(
        out / "sweep.png", values, curves, xlabel=key, ylabel="l-inf error", title=f"{key} sweep", logy=True
    )
    first = [r for r in rows if r["decoder"] == cfg.decoder]
    head = f"{cfg.decoder} {key} sweep: l-inf in disk " + ", ".join(f"{r['linf_in']:.3f}" for r in first)
    return {"rows": rows}, head


@dataclass
class RecoveryConfig:
    """Exact-recovery (phase-transition) curve; defaults from spec Sec. 3, oracle 1."""

    image: str = "shepp-logan"
    n: int = 128
    spokes: list[int] = field(default_factory=lambda: [6, 10, 14, 20, 30])
    lam: float = 1e-4
    rho: float = 1e-2
    n_iter: int = 2000
    decoder: str = "tv"

    def __post_init__(self) -> None:
        if not self.spokes or any(s < 1 for s in self.spokes):
            raise InputError(f"spokes must be a non-empty list of positive integers, got {self.spokes}")
        if self.decoder not in ("tv", "tv-iso", "wavelet"):
            raise InputError(f"recovery decoder must be tv, tv-iso or wavelet, got {self.decoder!r}")
        for name in ("lam", "rho"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be > 0, got {getattr(self, name)}")


def recovery_curve(cfg: RecoveryConfig, *, seed: int = 0, quiet: bool = True) -> list[dict]:
    """Relative error of the decoder and of zero filling vs the number of radial spokes."""
    x = torch.from_numpy(np.asarray(get_image(cfg.image, cfg.n, seed=seed))).to(torch.complex128)
    rows = []
    for s in progress(cfg.spokes, desc="recovery", quiet=quiet):
        op = SubsampledFourier(make_mask("radial", tuple(x.shape), spokes=s))
        y = op.A(x)
        if cfg.decoder == "wavelet":
            solver = L1WaveletADMM(cfg.lam, cfg.rho, n_iter=cfg.n_iter)
        else:
            solver = TVADMM(cfg.lam, cfg.rho, n_iter=cfg.n_iter, isotropic=cfg.decoder == "tv-iso")
        with torch.no_grad():
            x_hat, _ = solver.solve(y, op)
        rows.append(
            {
                "spokes": s,
                "m_over_n2": op.m / op.n_pixels,
                "rel_l2": rel_l2(x_hat, x),
                "zero_filled_rel_l2": rel_l2(op.A_adj(y), x),
            }
        )
    return rows


def run_recovery(cfg: RecoveryConfig, out: Path, *, seed: int = 0, quiet: bool = True) -> tuple[dict, str]:
    """:func:`recovery_curve` plus its plot and CSV."""
    rows = recovery_curve(cfg, seed=seed, quiet=quiet)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "recovery.csv", buf.getvalue())
    figures.save_curves(
        out / "recovery.png",
        [r["spokes"] for r in rows],
        {cfg.decoder: [r["rel_l2"] for r in rows], "zero-filled": [r["zero_filled_rel_l2"] for r in rows]},
        xlabel="radial spokes",
        ylabel="relative l2 error",
        title=f"exact recovery, {cfg.image} {cfg.n}^2",
        logy=True,
    )
    head = f"{cfg.decoder} exact recovery: " + ", ".join(
        f"{r['spokes']} spokes {r['rel_l2']:.1e}" for r in rows
    )
    return {"rows": rows}, head
