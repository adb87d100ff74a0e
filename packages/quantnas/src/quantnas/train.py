"""Training a genotype from scratch with quantization-aware training (QuantNAS step 4).

The discrete network (:class:`~quantnas.space.DiscreteNet`) uses LSQ weights and HWGQ activations at
each block's bit-width; training is L1 with Adam and a cosine schedule (official ``augment_sr.py``:
30 epochs, lr 1e-4). Each epoch is checkpointed atomically and a run resumes from its output folder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from core_utils import InputError, load_checkpoint, progress, save_checkpoint, seed_everything
from quantnas.data import PatchSampler, load_images
from quantnas.space import DiscreteNet, Genotype

CHECKPOINT = "train_checkpoint.pt"


@dataclass
class TrainConfig:
    """QAT settings; defaults follow the official ``augment_sr.py`` (``steps_per_epoch`` is ours)."""

    epochs: int = 30
    steps_per_epoch: int = 100
    batch_size: int = 32
    lr_crop: int = 45
    lr: float = 1e-4
    wd: float = 0.0
    clip: float = 5.0
    images: str = "builtin"
    augment: bool = False  # random flips/transposes of each patch pair (data.PatchSampler)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.steps_per_epoch < 1:
            raise InputError(
                f"epochs and steps_per_epoch must be >= 1, got {self.epochs}, {self.steps_per_epoch}"
            )
        if not self.lr > 0 or self.wd < 0 or not self.clip > 0:
            raise InputError(
                f"need lr > 0, wd >= 0, clip > 0; got lr={self.lr}, wd={self.wd}, clip={self.clip}"
            )


@dataclass
class TrainResult:
    model: DiscreteNet
    history: list[dict[str, Any]] = field(default_factory=list)
    completed: bool = True


def train(
    genotype: Genotype,
    cfg: TrainConfig,
    images: list[tuple[str, np.ndarray]] | None = None,
    *,
    seed: int = 777,
    out_dir: str | Path | None = None,
    resume: bool = True,
    stop_after: int | None = None,
    device: str = "cpu",
    quiet: bool = True,
) -> TrainResult:
    """Train ``genotype``'s network from scratch with QAT and return it (in eval mode)."""
    if images is None:
        images = load_images(cfg.images, "train")
    seed_everything(seed)
    rng = np.random.default_rng(seed)
    scale = genotype.space.scale
    sampler = PatchSampler(images, scale, cfg.lr_crop, cfg.batch_size, rng=rng, augment=cfg.augment)
    model = DiscreteNet(genotype).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.wd)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    history: list[dict[str, Any]] = []
    start = 0
    ckpt = Path(out_dir) / CHECKPOINT if out_dir is not None else None
    key = {"config": dataclasses.asdict(cfg), "genotype": genotype.to_dict(), "seed": seed}
    if ckpt is not None and resume and ckpt.exists():
        state = load_checkpoint(ckpt)
        if state.get("key") != key:
            raise InputError(f"checkpoint {ckpt} was written for another genotype, configuration or seed")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"])
        history, start = state["history"], state["epoch"]
    end = cfg.epochs if stop_after is None else min(cfg.epochs, start + stop_after)
    for epoch in range(start, end):
        model.train()
        total = 0.0
        for step in progress(range(cfg.steps_per_epoch), desc=f"train {epoch + 1}/{cfg.epochs}", quiet=quiet):
            lr, hr = (t.to(device) for t in sampler.sample())
            opt.zero_grad(set_to_none=True)
            loss = F.l1_loss(model(lr), hr)
            if not bool(torch.isfinite(loss)):
                kept = (
                    f"; the last checkpoint {ckpt.name} is kept" if ckpt is not None and ckpt.exists() else ""
                )
                raise InputError(f"non-finite training loss at epoch {epoch} step {step} (lower lr){kept}")
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            opt.step()
            total += float(loss.detach())
        sched.step()
        history.append({"epoch": epoch, "loss": total / cfg.steps_per_epoch})
        if ckpt is not None:
            save_checkpoint(
                ckpt,
                {
                    "key": key,
                    "epoch": epoch + 1,
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "numpy_rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(),
                    "history": history,
                },
            )
    model.eval()
    return TrainResult(model, history, end >= cfg.epochs)
