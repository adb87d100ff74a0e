"""Saving a trained network with its class names and input size, and predicting image files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agri_dl.data import ImageDataset
from agri_dl.training import NetClassifier, TrainConfig
from core_utils import InputError, load_checkpoint, save_checkpoint

__all__ = ["SavedModel", "load_model", "train_and_save"]


def train_and_save(
    data: ImageDataset,
    *,
    arch: str,
    path: str | Path,
    epochs: int = 30,
    seed: int = 0,
    weights: str | Path | None = None,
    quiet: bool = True,
) -> Path:
    """Train ``arch`` on the training split of ``data`` and save it (atomic ``.pt``)."""
    path = Path(path)
    if path.suffix not in (".pt", ".pth"):
        raise InputError(f"model path must end in .pt or .pth, got {path.name}")
    X, y = data.train()
    net = NetClassifier(arch, TrainConfig(epochs=epochs), seed=seed, quiet=quiet, weights=weights)
    net.fit(X, y, n_classes=len(data.class_names))
    save_checkpoint(
        path,
        {
            "arch": arch,
            "state_dict": net.model_.state_dict(),
            "mean": net.mean_,
            "std": net.std_,
            "class_names": list(data.class_names),
            "size": int(X.shape[1]),
            "width": net.config.width,
        },
    )
    return path


class SavedModel:
    """A network loaded by :func:`load_model`."""

    def __init__(self, net: NetClassifier, class_names: list[str], size: int) -> None:
        self.net, self.class_names, self.size = net, class_names, size

    def predict_files(self, files: list[Path]) -> np.ndarray:
        from PIL import Image, UnidentifiedImageError

        imgs = []
        for f in files:
            try:
                with Image.open(f) as im:
                    imgs.append(
                        np.asarray(im.convert("RGB").resize((self.size, self.size), Image.Resampling.LANCZOS))
                    )
            except (UnidentifiedImageError, OSError) as exc:
                raise InputError(f"cannot read image {f}: {exc}") from None
        return np.array(self.class_names)[self.net.predict(np.stack(imgs))]


def load_model(path: str | Path) -> SavedModel:
    """Load a model written by :func:`train_and_save`."""
    from agri_dl.nets import build_model

    path = Path(path)
    if not path.is_file():
        raise InputError(f"model file {path} does not exist")
    try:
        state = load_checkpoint(path)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read model file {path}: {type(exc).__name__}") from None
    need = {"arch", "state_dict", "mean", "std", "class_names", "size"}
    if not isinstance(state, dict) or not need <= set(state):
        raise InputError(f"{path} is not an agri-dl model file")
    net = NetClassifier(state["arch"], TrainConfig(width=int(state.get("width", 16))))
    net.model_ = build_model(state["arch"], len(state["class_names"]), width=net.config.width)
    net.model_.load_state_dict(state["state_dict"])
    net.model_.eval()
    net.mean_, net.std_ = np.asarray(state["mean"]), np.asarray(state["std"])
    return SavedModel(net, list(state["class_names"]), int(state["size"]))
