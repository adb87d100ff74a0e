"""Training and inference of the torch networks (cross-entropy, AdamW, cosine schedule, flip/rotate
augmentation), seeded and with progress; a scikit-learn-like wrapper for the benchmark harness."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agri_dl.images import as_batch
from agri_dl.nets import build_model, load_weights
from core_utils import InputError, progress, save_checkpoint, seed_everything

__all__ = ["NetClassifier", "TrainConfig"]


@dataclass
class TrainConfig:
    """Training settings (the same budget for every architecture)."""

    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 5e-4
    width: int = 16
    augment: bool = True


def _to_tensor(images: np.ndarray, mean: np.ndarray, std: np.ndarray):
    import torch

    x = torch.from_numpy(images.astype(np.float32) / 255.0).permute(0, 3, 1, 2)
    return (x - torch.from_numpy(mean).view(1, 3, 1, 1)) / torch.from_numpy(std).view(1, 3, 1, 1)


def _augment(x, gen):
    """Random horizontal / vertical flips and 90-degree rotations (leaf photos have no canonical
    orientation), per batch."""
    import torch

    if torch.rand(1, generator=gen).item() < 0.5:
        x = x.flip(3)
    if torch.rand(1, generator=gen).item() < 0.5:
        x = x.flip(2)
    k = int(torch.randint(0, 4, (1,), generator=gen).item())
    if k and x.shape[2] == x.shape[3]:
        x = torch.rot90(x, k, dims=(2, 3))
    return x


class NetClassifier:
    """Fit/predict wrapper around :func:`agri_dl.nets.build_model` (labels must be ``0 .. C-1``)."""

    def __init__(
        self,
        arch: str = "cnn",
        config: TrainConfig | None = None,
        *,
        seed: int = 0,
        device: str = "cpu",
        quiet: bool = True,
        weights: str | Path | None = None,
    ) -> None:
        self.arch = arch
        self.config = config or TrainConfig()
        self.seed = seed
        self.device = device
        self.quiet = quiet
        self.weights = weights

    def fit(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        n_classes: int | None = None,
        checkpoint: str | Path | None = None,
    ) -> NetClassifier:
        import torch
        import torch.nn.functional as F

        images = as_batch(images)
        labels = np.asarray(labels, dtype=int)
        if len(images) != len(labels):
            raise InputError(f"{len(images)} images but {len(labels)} labels")
        n_classes = int(n_classes or labels.max() + 1)
        if len(images) < n_classes:
            raise InputError(f"{len(images)} training images is fewer than the {n_classes} classes")
        gens = seed_everything(self.seed)
        cfg = self.config
        self.mean_ = images.reshape(-1, 3).mean(0).astype(np.float32) / 255.0
        self.std_ = images.reshape(-1, 3).std(0).astype(np.float32) / 255.0 + 1e-3
        self.n_classes_ = n_classes
        model = build_model(self.arch, n_classes, width=cfg.width).to(self.device)
        if self.weights is not None:
            load_weights(model, self.weights)
        x = _to_tensor(images, self.mean_, self.std_)
        y = torch.from_numpy(labels)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        steps = cfg.epochs * int(np.ceil(len(x) / cfg.batch_size))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=max(steps, 1))
        gen = gens.torch if gens.torch is not None else torch.Generator().manual_seed(self.seed)
        model.train()
        self.loss_curve_ = []
        for _epoch in progress(
            range(cfg.epochs), total=cfg.epochs, desc=f"train {self.arch}", quiet=self.quiet
        ):
            perm = torch.randperm(len(x), generator=gen)
            total = 0.0
            for start in range(0, len(x), cfg.batch_size):
                idx = perm[start : start + cfg.batch_size]
                if len(idx) < 2:
                    continue  # BatchNorm needs 2 samples
                xb = x[idx]
                if cfg.augment:
                    xb = _augment(xb, gen)
                loss = F.cross_entropy(model(xb.to(self.device)), y[idx].to(self.device))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += loss.item() * len(idx)
            self.loss_curve_.append(total / len(x))
        model.eval()
        self.model_ = model
        if checkpoint is not None:
            save_checkpoint(
                checkpoint,
                {
                    "arch": self.arch,
                    "state_dict": model.state_dict(),
                    "mean": self.mean_,
                    "std": self.std_,
                    "n_classes": n_classes,
                },
            )
        return self

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        import torch

        if not hasattr(self, "model_"):
            raise InputError("the network is not fitted")
        x = _to_tensor(as_batch(images), self.mean_, self.std_)
        out = []
        with torch.no_grad():
            for start in range(0, len(x), 256):
                out.append(
                    torch.softmax(self.model_(x[start : start + 256].to(self.device)), 1).cpu().numpy()
                )
        return np.concatenate(out)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return self.predict_proba(images).argmax(1)
