"""Differentially private training inside DeepSpeed ZeRO stages 1/2/3 with mixed precision.

Paper: Bu, Chiu, Liu, Zha, Karypis. Zero redundancy distributed learning with differential privacy. arXiv:2311.11822, 2023.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
