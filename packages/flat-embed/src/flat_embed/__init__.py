"""Encoder training with an isometry + flatness (low bending, low distortion) loss on pairs of manifold points.

Paper: Braunsmann, Rajkovic, Rumpf, Wirth. Learning low bending and low distortion manifold embeddings. CVPRW 2021 (arXiv:2104.13189); M2AN 2024 (arXiv:2208.10193).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
