"""k-space attacks causing localized l-infinity artifacts in TV and DNN MRI reconstruction.

Paper: Alaifari, Alberti, Gauksson. Localized adversarial artifacts for compressed sensing MRI.
arXiv:2206.05289, 2022.

The public names below are imported lazily, so ``import mri_linf`` (and ``mri-linf --help``)
does not load torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "SubsampledFourier": "operators",
    "radial_mask": "operators",
    "cartesian_mask": "operators",
    "gaussian_mask": "operators",
    "make_mask": "operators",
    "TVADMM": "tv",
    "TVPrimalDual": "tv",
    "TVState": "tv",
    "tv_reconstruct": "tv",
    "L1WaveletADMM": "wavelet",
    "UNet": "dnn",
    "UNetDecoder": "dnn",
    "TrainConfig": "dnn",
    "train_unet": "dnn",
    "load_weights": "dnn",
    "AttackResult": "attack",
    "TVDecoder": "attack",
    "ZeroFilledDecoder": "attack",
    "disk_weight": "attack",
    "localized_attack": "attack",
    "perturbation_metrics": "attack",
    "random_perturbation": "attack",
    "spike_perturbation": "theory",
    "amplification_factor": "theory",
    "restricted_singular_values": "theory",
    "shepp_logan": "phantoms",
    "random_ellipses": "phantoms",
    "brain_slice": "phantoms",
    "load_image": "phantoms",
    "linf_error": "metrics",
    "rel_l2": "metrics",
    "psnr": "metrics",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"mri_linf.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'mri_linf' has no attribute {name!r}")
