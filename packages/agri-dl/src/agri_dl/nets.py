"""Compact versions of the CNN families the survey reports (Kamilaris & Prenafeta-Boldu 2018, Sec. 3.2
and Table 2: AlexNet/CaffeNet, VGG, ResNet ...), written in plain torch for small RGB images and
trained from scratch (pretrained ImageNet weights cannot be downloaded here).

* ``cnn``: a small 2-block CNN (conv-BN-ReLU-pool x 2, global average pool, linear);
* ``vgg``: VGG-style, 3 stages of two 3x3 convolutions each (Simonyan & Zisserman 2015);
* ``resnet``: ResNet-style, a stem and 3 stages of basic residual blocks (He et al. 2016).

All take (N, 3, H, W) float tensors and return logits (N, n_classes); any H, W >= 8 works.
"""

from __future__ import annotations

from pathlib import Path

from core_utils import InputError

__all__ = ["ARCHITECTURES", "build_model", "load_weights"]

ARCHITECTURES = ("cnn", "vgg", "resnet")


def _conv_bn(cin: int, cout: int, stride: int = 1):
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


def build_model(arch: str, n_classes: int, width: int = 16):
    """A freshly initialised network of family ``arch`` (see module docstring)."""
    import torch
    from torch import nn

    if n_classes < 2:
        raise InputError(f"n_classes must be >= 2, got {n_classes}")
    w = width
    if arch == "cnn":
        body = nn.Sequential(_conv_bn(3, w), nn.MaxPool2d(2), _conv_bn(w, 2 * w), nn.MaxPool2d(2))
        out = 2 * w
    elif arch == "vgg":
        body = nn.Sequential(
            _conv_bn(3, w), _conv_bn(w, w), nn.MaxPool2d(2),
            _conv_bn(w, 2 * w), _conv_bn(2 * w, 2 * w), nn.MaxPool2d(2),
            _conv_bn(2 * w, 4 * w), _conv_bn(4 * w, 4 * w), nn.MaxPool2d(2),
        )  # fmt: skip
        out = 4 * w
    elif arch == "resnet":

        class Basic(nn.Module):
            def __init__(self, cin: int, cout: int, stride: int) -> None:
                super().__init__()
                self.c1 = _conv_bn(cin, cout, stride)
                self.c2 = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
                self.skip = (
                    nn.Identity()
                    if stride == 1 and cin == cout
                    else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                )

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return torch.relu(self.c2(self.c1(x)) + self.skip(x))

        body = nn.Sequential(_conv_bn(3, w), Basic(w, w, 1), Basic(w, 2 * w, 2), Basic(2 * w, 4 * w, 2))
        out = 4 * w
    else:
        raise InputError(f"unknown architecture {arch!r}; choose from {ARCHITECTURES}")
    return nn.Sequential(body, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(out, n_classes))


def load_weights(model, path: str | Path) -> None:
    """Load a user's local ``state_dict`` file (e.g. weights pretrained elsewhere) into ``model``.

    Raises :class:`InputError` when the file is missing or does not match the architecture (names
    or shapes), instead of torch's long traceback.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise InputError(f"weights file {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several unrelated types for a bad file
        raise InputError(f"cannot read weights file {path}: {type(exc).__name__}") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise InputError(f"{path} does not hold a state_dict")
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    bad = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or bad:
        detail = (missing[:2] and f"missing {missing[:2]}") or (
            unexpected[:2] and f"unexpected {unexpected[:2]}"
        )
        detail = detail or f"shape mismatch at {bad[:2]}"
        raise InputError(f"weights file {path} does not match the architecture: {detail}")
    model.load_state_dict(state)
