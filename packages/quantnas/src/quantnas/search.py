"""The QuantNAS search loop: alternating first-order DARTS over (operation, bit-width).

QuantNAS Sec. 3 and the official ``search_sr.py``. Each step: a weight step on a batch from the first
data half (L1 loss only), then, after ``warm_up`` epochs, an architecture step on a batch from the
disjoint second half with loss ``L1 + eta * BitOps(p) / BitOps(p_init) + gamma(t) * sum_blocks H(p)``.
The argmax of the joint logits is the genotype. Every epoch is checkpointed atomically; a search
started again with the same output folder resumes from the last finished epoch and, with the same
seed, gives the same result as an uninterrupted run.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F

from core_utils import InputError, load_checkpoint, progress, save_checkpoint, seed_everything
from quantnas.bitops import annotate_supernet, expected_bitops, uniform_bitops
from quantnas.data import PatchSampler, check_scale, load_images
from quantnas.ops import available_ops
from quantnas.regularizers import bitops_penalty, entropy, entropy_schedule
from quantnas.space import Genotype, SearchSpace, SuperNet, load_space

log = logging.getLogger(__name__)

CHECKPOINT = "search_checkpoint.pt"


@dataclass
class SearchConfig:
    """Search settings; defaults are the official code's (``configs/*.yaml``, ``search_sr.py``).

    ``steps_per_epoch`` replaces a pass over DIV2K patches (ours); ``fraction`` is the column split of
    each image into the weight half and the architecture half (the code splits the patch list).
    """

    space: str = "basic"  # preset name or TOML file
    channels: int | None = None  # override the space's width
    cells: int | None = None  # override the space's depth
    bits: list[int] | None = None  # override the space's bit-widths
    scale: int = 4
    mode: Literal["noise", "shared", "fp"] = "noise"  # quantization noise (paper) or direct (baseline)
    noise_kind: Literal["uniform", "gaussian"] = "uniform"
    adq: bool = True
    entropy: bool = True
    entropy_coef: float = 1e-3
    penalty: float = 1e-4  # eta, one of the code's sweep {0, 5e-5, 1e-4, 1e-3}
    epochs: int = 20
    warm_up: int = 9
    steps_per_epoch: int = 100
    batch_size: int = 32
    lr_crop: int = 45
    lr_w: float = 1e-3
    wd_w: float = 3e-8
    clip: float = 5.0
    lr_alpha: float = 3e-4
    fixed_op: str | None = None  # mixed-precision baseline: one op everywhere, only bits searched
    bitops_hw: int = 32
    images: str = "builtin"  # "builtin", "synthetic" or an image folder
    fraction: float = 0.5

    def __post_init__(self) -> None:
        check_scale(self.scale)
        if self.epochs < 1:
            raise InputError(f"epochs must be >= 1, got {self.epochs}")
        if not 0 <= self.warm_up < self.epochs:
            raise InputError(
                f"warm_up must be in [0, epochs), got warm_up={self.warm_up}, epochs={self.epochs}"
            )
        for name in ("penalty", "entropy_coef", "wd_w"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("lr_w", "lr_alpha", "clip"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.steps_per_epoch < 1:
            raise InputError(f"steps_per_epoch must be >= 1, got {self.steps_per_epoch}")
        if not 0 < self.fraction < 1:
            raise InputError(f"fraction must be in (0, 1), got {self.fraction}")
        if self.fixed_op is not None and self.fixed_op not in available_ops():
            raise InputError(f"fixed_op {self.fixed_op!r} is not a known operation")

    def build_space(self) -> SearchSpace:
        """The search space with this config's overrides (and the fixed-op restriction, if any)."""
        space = load_space(
            self.space,
            channels=self.channels,
            cells=self.cells,
            bits=tuple(self.bits) if self.bits is not None else None,
            scale=self.scale,
        )
        if self.fixed_op is not None:
            space = restrict_space(space, self.fixed_op)
        return space


def restrict_space(space: SearchSpace, op: str) -> SearchSpace:
    """The same space with one op per part (``op`` where offered, else ``conv3``, else the first)."""
    ops = {}
    for part, cands in space.ops.items():
        ops[part] = [op if op in cands else ("conv3" if "conv3" in cands else cands[0])]
    return dataclasses.replace(space, ops=ops)


@dataclass
class SearchResult:
    """Outcome of :func:`search`."""

    genotype: Genotype
    history: list[dict[str, Any]] = field(default_factory=list)
    supernet: SuperNet | None = None
    completed: bool = True


def _check_finite(value: torch.Tensor, what: str, epoch: int, step: int, ckpt: Path | None) -> None:
    if not bool(torch.isfinite(value).all()):
        where = f"; the last checkpoint {ckpt.name} is kept" if ckpt is not None and ckpt.exists() else ""
        raise InputError(
            f"non-finite {what} at epoch {epoch} step {step}: the search diverged "
            f"(lower lr_w/lr_alpha or check the images){where}"
        )


def search(
    cfg: SearchConfig,
    images: list[tuple[str, np.ndarray]] | None = None,
    *,
    seed: int = 777,
    out_dir: str | Path | None = None,
    resume: bool = True,
    stop_after: int | None = None,
    device: str = "cpu",
    quiet: bool = True,
) -> SearchResult:
    """Run the search and return the argmax genotype and per-epoch history.

    Parameters
    ----------
    cfg : SearchConfig
    images : list of (name, HWC uint8), optional
        Training images (default: ``cfg.images``).
    seed : int
        Seeds weights, noise and patch sampling (official default 777).
    out_dir : path, optional
        Where the per-epoch checkpoint and ``genotype.json`` go; enables resuming.
    resume : bool
        Continue from ``out_dir``'s checkpoint when present.
    stop_after : int, optional
        Stop after this many epochs in this call (to split a run; the checkpoint allows resuming).
    """
    space = cfg.build_space()
    if images is None:
        images = load_images(cfg.images, "train")
    seed_everything(seed)
    rng = np.random.default_rng(seed)
    sampler_w = PatchSampler(
        images, cfg.scale, cfg.lr_crop, cfg.batch_size, region="first", fraction=cfg.fraction, rng=rng
    )
    sampler_a = PatchSampler(
        images, cfg.scale, cfg.lr_crop, cfg.batch_size, region="second", fraction=cfg.fraction, rng=rng
    )
    net = SuperNet(space, mode=cfg.mode, noise_kind=cfg.noise_kind, adq=cfg.adq).to(device)
    annotate_supernet(net, (cfg.bitops_hw, cfg.bitops_hw))
    init_bitops = uniform_bitops(net)
    opt_w = torch.optim.Adam(net.weights(), lr=cfg.lr_w, weight_decay=cfg.wd_w)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt_w, T_max=cfg.epochs)
    opt_a = torch.optim.Adam(net.alphas(), lr=cfg.lr_alpha, betas=(0.5, 0.999), weight_decay=0.0)
    history: list[dict[str, Any]] = []
    start = 0
    ckpt = Path(out_dir) / CHECKPOINT if out_dir is not None else None
    cfg_dict = dataclasses.asdict(cfg)
    if ckpt is not None and resume and ckpt.exists():
        state = load_checkpoint(ckpt)
        if state.get("config") != cfg_dict or state.get("seed") != seed:
            raise InputError(
                f"checkpoint {ckpt} was written by a different configuration or seed; use a new --out"
            )
        for a in state["model"].values():
            _check_finite(a, "checkpointed parameters", state["epoch"], 0, None)
        net.load_state_dict(state["model"])
        opt_w.load_state_dict(state["opt_w"])
        opt_a.load_state_dict(state["opt_a"])
        sched.load_state_dict(state["sched"])
        rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"])
        history, start = state["history"], state["epoch"]
        log.info("resumed search from %s at epoch %d", ckpt, start)
    blocks = net.mixed_blocks()
    end = cfg.epochs if stop_after is None else min(cfg.epochs, start + stop_after)
    for epoch in range(start, end):
        net.train()
        gamma = entropy_schedule(epoch, cfg.epochs, cfg.warm_up, cfg.entropy_coef) if cfg.entropy else 0.0
        sums = {"loss_w": 0.0, "loss_alpha": 0.0}
        bar = progress(range(cfg.steps_per_epoch), desc=f"search {epoch + 1}/{cfg.epochs}", quiet=quiet)
        for step in bar:
            lr, hr = (t.to(device) for t in sampler_w.sample())
            opt_w.zero_grad(set_to_none=True)
            loss = F.l1_loss(net(lr), hr)
            _check_finite(loss.detach(), "weight loss", epoch, step, ckpt)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.weights(), cfg.clip)
            opt_w.step()
            sums["loss_w"] += float(loss.detach())
            if epoch >= cfg.warm_up:
                lr, hr = (t.to(device) for t in sampler_a.sample())
                opt_a.zero_grad(set_to_none=True)
                l1 = F.l1_loss(net(lr), hr)
                reg = bitops_penalty(expected_bitops(net), init_bitops, cfg.penalty)
                if gamma > 0:
                    reg = reg + gamma * sum(entropy(b.probs()) for b in blocks)
                loss_a = l1 + reg.to(l1.device)
                _check_finite(loss_a.detach(), "architecture loss", epoch, step, ckpt)
                loss_a.backward()
                opt_a.step()
                alphas = torch.cat([a.detach().flatten() for a in net.alphas()])
                _check_finite(alphas, "architecture weights", epoch, step, ckpt)
                sums["loss_alpha"] += float(loss_a.detach())
        sched.step()
        with torch.no_grad():
            ent = float(np.mean([float(entropy(b.probs())) for b in blocks]))
            exp_b = float(expected_bitops(net))
        geno = net.genotype()
        history.append(
            {
                "epoch": epoch,
                "loss_w": sums["loss_w"] / cfg.steps_per_epoch,
                "loss_alpha": sums["loss_alpha"] / cfg.steps_per_epoch if epoch >= cfg.warm_up else None,
                "gamma": gamma,
                "mean_entropy": ent,
                "expected_gbitops": exp_b / 1e9,
                "bits_histogram": geno.bits_histogram(),
            }
        )
        log.info(
            "epoch %d: loss_w %.4f entropy %.3f E[BitOps] %.3g", epoch, history[-1]["loss_w"], ent, exp_b
        )
        if ckpt is not None:
            save_checkpoint(
                ckpt,
                {
                    "config": cfg_dict,
                    "seed": seed,
                    "epoch": epoch + 1,
                    "model": net.state_dict(),
                    "opt_w": opt_w.state_dict(),
                    "opt_a": opt_a.state_dict(),
                    "sched": sched.state_dict(),
                    "numpy_rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(),
                    "history": history,
                },
            )
    geno = net.genotype()
    completed = end >= cfg.epochs
    if out_dir is not None and completed:
        geno.to_json(Path(out_dir) / "genotype.json")
    return SearchResult(geno, history, net, completed)


def final_entropy(result: SearchResult) -> float:
    """Mean per-block entropy of the final architecture distribution."""
    if result.supernet is None:
        return math.nan
    with torch.no_grad():
        return float(np.mean([float(entropy(b.probs())) for b in result.supernet.mixed_blocks()]))
