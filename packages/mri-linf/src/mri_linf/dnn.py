"""DNN reconstruction: a small U-Net post-processing the zero-filled image (Genzel et al. 2022).

The network maps the zero-filled reconstruction ``A^* y`` (real and imaginary parts as two
channels) to a residual correction, ``R_net(y) = A^* y + U(A^* y)``, and is trained on random
ellipse phantoms with noise "jittering" (a random relative noise level per training sample, the
robust-nets recipe that the paper's DNN baselines use). Training is reproducible from a seed:
batch ``k`` is generated from ``derive_seed(seed, "batch", k)``, so a resumed run continues with
the same data as an uninterrupted one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core_utils import InputError, derive_seed, load_checkpoint, progress, save_checkpoint
from mri_linf.operators import SubsampledFourier, make_mask
from mri_linf.phantoms import random_ellipses

DEFAULT_WEIGHTS = "data/unet_default.npz"


@dataclass
class TrainConfig:
    """Training configuration of the U-Net; the defaults produced the shipped weights.

    ``n``, ``mask`` and ``spokes`` fix the forward operator (128^2, 30 golden-angle spokes, as in
    the spec's small reproduction); ``jitter`` is the largest relative noise level
    ``||e|| / ||y||`` drawn uniformly per sample (noise jittering, Genzel et al. 2022).
    """

    n: int = 128
    mask: str = "radial"
    spokes: int = 30
    accel: float = 4.0
    base_channels: int = 8
    depth: int = 3
    steps: int = 1500
    batch_size: int = 4
    lr: float = 2e-3
    jitter: float = 0.03
    n_ellipses: int = 8
    checkpoint_every: int = 250

    def __post_init__(self) -> None:
        for name in ("n", "spokes", "base_channels", "depth", "steps", "batch_size", "n_ellipses"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.n % (2**self.depth):
            raise InputError(f"n = {self.n} must be divisible by 2**depth = {2**self.depth}")
        if not self.lr > 0:
            raise InputError(f"lr must be > 0, got {self.lr}")
        if not self.jitter >= 0:
            raise InputError(f"jitter must be >= 0, got {self.jitter}")
        if self.checkpoint_every < 1:
            raise InputError(f"checkpoint_every must be >= 1, got {self.checkpoint_every}")


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.GroupNorm(1, cout),
        nn.LeakyReLU(0.1),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.GroupNorm(1, cout),
        nn.LeakyReLU(0.1),
    )


class UNet(nn.Module):
    """A plain-torch U-Net (Ronneberger et al. 2015) on 2-channel (real, imaginary) images.

    Parameters
    ----------
    channels : int
        Input/output channels (2 for complex images).
    base_channels : int
        Width of the first level; doubled at each of ``depth`` down-samplings.
    depth : int
        Number of pooling levels; image sides must be divisible by ``2**depth``.
    """

    def __init__(self, channels: int = 2, base_channels: int = 8, depth: int = 3) -> None:
        super().__init__()
        widths = [base_channels * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList()
        cin = channels
        for wd in widths[:-1]:
            self.down.append(_block(cin, wd))
            cin = wd
        self.bottom = _block(widths[-2], widths[-1])
        self.up = nn.ModuleList()
        self.upconv = nn.ModuleList()
        for wd in reversed(widths[:-1]):
            self.upconv.append(nn.ConvTranspose2d(wd * 2, wd, 2, stride=2))
            self.up.append(_block(wd * 2, wd))
        self.head = nn.Conv2d(widths[0], channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, C, H, W)``."""
        skips = []
        for blk in self.down:
            x = blk(x)
            skips.append(x)
            x = nn.functional.max_pool2d(x, 2)
        x = self.bottom(x)
        for upc, blk in zip(self.upconv, self.up, strict=True):
            x = upc(x)
            x = blk(torch.cat((x, skips.pop()), dim=1))
        return self.head(x)


def _to_channels(x: torch.Tensor) -> torch.Tensor:
    """Complex ``(..., H, W)`` to real ``(B, 2, H, W)``."""
    x = x.reshape(-1, *x.shape[-2:])
    return torch.view_as_real(x).permute(0, 3, 1, 2)


def _from_channels(x: torch.Tensor) -> torch.Tensor:
    return torch.view_as_complex(x.permute(0, 2, 3, 1).contiguous())


class UNetDecoder:
    """``R(y) = A^* y + U(A^* y)``: the post-processing network as a differentiable decoder."""

    def __init__(self, net: UNet, op: SubsampledFourier) -> None:
        self.net, self.op = net, op
        self.param_dtype = next(net.parameters()).dtype

    def __call__(self, y: torch.Tensor) -> torch.Tensor:
        lead = y.shape[:-1]
        z = self.op.A_adj(y)
        zc = _to_channels(z)
        out = _from_channels((zc.to(self.param_dtype) + self.net(zc.to(self.param_dtype))).to(zc.dtype))
        return out.reshape(*lead, *self.op.shape)


def make_operator(cfg: TrainConfig, *, seed: int = 0) -> SubsampledFourier:
    """The forward operator the network is trained for."""
    return SubsampledFourier(make_mask(cfg.mask, cfg.n, spokes=cfg.spokes, accel=cfg.accel, seed=seed))


def _batch(
    cfg: TrainConfig, op: SubsampledFourier, seed: int, step: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Training batch ``step``: jittered zero-filled inputs and clean targets (channels layout)."""
    rng = np.random.default_rng(derive_seed(seed, "batch", step))
    imgs = np.stack([random_ellipses(cfg.n, cfg.n_ellipses, seed=rng) for _ in range(cfg.batch_size)])
    x = torch.from_numpy(imgs).to(torch.complex64)
    y = op.A(x)
    level = torch.from_numpy(rng.uniform(0, cfg.jitter, size=(cfg.batch_size, 1))).to(torch.float32)
    noise = torch.from_numpy(
        (
            rng.standard_normal((cfg.batch_size, op.m)) + 1j * rng.standard_normal((cfg.batch_size, op.m))
        ).astype(np.complex64)
    )
    noise = noise * (
        level
        * torch.linalg.vector_norm(y, dim=-1, keepdim=True)
        / torch.linalg.vector_norm(noise, dim=-1, keepdim=True)
    )
    return _to_channels(op.A_adj(y + noise)), _to_channels(x)


@dataclass
class TrainResult:
    """Trained network, its config and the loss curve."""

    net: UNet
    config: TrainConfig
    losses: list[float]
    steps_done: int


def train_unet(
    cfg: TrainConfig,
    *,
    seed: int = 0,
    checkpoint: str | Path | None = None,
    resume: bool = True,
    device: str = "cpu",
    quiet: bool = True,
    stop_after: int | None = None,
) -> TrainResult:
    """Train the post-processing U-Net with noise jittering (MSE loss, Adam, cosine schedule).

    Parameters
    ----------
    cfg : TrainConfig
        Architecture and schedule.
    seed : int
        Seeds the initialisation and the data stream.
    checkpoint : path, optional
        ``.pt`` file written atomically every ``cfg.checkpoint_every`` steps; with ``resume`` an
        existing checkpoint is continued (same data stream, so the result equals an
        uninterrupted run).
    stop_after : int, optional
        Stop (after checkpointing) once this many steps are done in total; a later call with
        the same checkpoint resumes.
    """
    torch.manual_seed(derive_seed(seed, "init"))
    net = UNet(2, cfg.base_channels, cfg.depth).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.steps)
    op = make_operator(cfg, seed=seed)
    start, losses = 0, []
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None and resume and ckpt.is_file():
        state = load_checkpoint(ckpt)
        if state.get("config") != asdict(cfg) or state.get("seed") != seed:
            raise InputError(
                f"checkpoint {ckpt} was written with another config or seed; remove it or use a new --out"
            )
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start, losses = int(state["step"]), list(state["losses"])
    net.train()
    end = cfg.steps if stop_after is None else min(cfg.steps, int(stop_after))
    bar = progress(range(start, end), total=cfg.steps, initial=start, desc="train-dnn", quiet=quiet)
    for step in bar:
        inp, target = _batch(cfg, op, seed, step)
        inp, target = inp.to(device), target.to(device)
        loss = nn.functional.mse_loss(inp + net(inp), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{losses[-1]:.3g}")
        if ckpt is not None and ((step + 1) % cfg.checkpoint_every == 0 or step + 1 == end):
            save_checkpoint(
                ckpt,
                {
                    "model": net.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "step": step + 1,
                    "losses": losses,
                    "config": asdict(cfg),
                    "seed": seed,
                },
            )
    net.eval()
    return TrainResult(net=net.cpu(), config=cfg, losses=losses, steps_done=end)


def save_weights(
    path: str | Path, net: UNet, cfg: TrainConfig, *, seed: int, extra: dict | None = None
) -> Path:
    """Save weights as a pickle-free ``.npz`` (float32 arrays + the config as JSON text)."""
    meta = {"config": asdict(cfg), "seed": seed, **(extra or {})}
    state = {f"w.{k}": v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    state["meta_json"] = np.asarray(json.dumps(meta))
    return save_checkpoint(path, state)


def load_weights(path: str | Path | None = None) -> tuple[UNet, TrainConfig, dict]:
    """Load weights saved by :func:`save_weights` (default: the weights shipped in the package)."""
    if path is None:
        with resources.as_file(resources.files("mri_linf").joinpath(DEFAULT_WEIGHTS)) as p:
            if not Path(p).is_file():
                raise InputError(
                    "no default U-Net weights are shipped in this installation; run `mri-linf train-dnn`"
                )
            state = load_checkpoint(p)
    else:
        if Path(path).suffix != ".npz":
            raise InputError(f"U-Net weights must be an .npz written by train-dnn, got {path}")
        state = load_checkpoint(path)
    if "meta_json" not in state:
        raise InputError(f"{path} is not a U-Net weights file (no meta_json entry)")
    meta = json.loads(str(state["meta_json"]))
    cfg = TrainConfig(**meta["config"])
    net = UNet(2, cfg.base_channels, cfg.depth)
    net.load_state_dict(
        {k[2:]: torch.from_numpy(np.asarray(v)) for k, v in state.items() if k.startswith("w.")}
    )
    net.eval()
    return net, cfg, meta


def evaluate_unet(net: UNet, cfg: TrainConfig, *, seed: int = 1, n_images: int = 4) -> dict[str, float]:
    """Mean relative l2 error of the U-Net and of zero filling on fresh noiseless ellipses."""
    op = make_operator(cfg)
    dec = UNetDecoder(net, op)
    rng = np.random.default_rng(derive_seed(seed, "eval"))
    errs, zf = [], []
    with torch.no_grad():
        for _ in range(n_images):
            x = torch.from_numpy(random_ellipses(cfg.n, cfg.n_ellipses, seed=rng)).to(torch.complex64)
            y = op.A(x)
            errs.append(float(torch.linalg.vector_norm(dec(y) - x) / torch.linalg.vector_norm(x)))
            zf.append(float(torch.linalg.vector_norm(op.A_adj(y) - x) / torch.linalg.vector_norm(x)))
    n_params = sum(p.numel() for p in net.parameters())
    return {
        "unet_rel_l2": float(np.mean(errs)),
        "zero_filled_rel_l2": float(np.mean(zf)),
        "n_params": n_params,
    }
