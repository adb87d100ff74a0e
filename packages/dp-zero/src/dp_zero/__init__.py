"""Differentially private training inside DeepSpeed ZeRO stages 1/2/3 with mixed precision.

Paper: Bu, Chiu, Liu, Zha, Karypis. Zero redundancy distributed learning with differential privacy. arXiv:2311.11822, 2023.

Public surface: :class:`DPZeroEngine` (the privacy engine), :func:`get_epsilon` and
:func:`get_noise_multiplier` (accounting). They are imported lazily so that ``dp-zero --help``
does not import torch.
"""

__version__ = "0.1.0"

__all__ = ["DPZeroEngine", "__version__", "get_epsilon", "get_noise_multiplier"]


def __getattr__(name: str):
    if name == "DPZeroEngine":
        from dp_zero.engine import DPZeroEngine

        return DPZeroEngine
    if name in ("get_epsilon", "get_noise_multiplier"):
        from dp_zero import accounting

        return getattr(accounting, name)
    raise AttributeError(f"module 'dp_zero' has no attribute {name!r}")
