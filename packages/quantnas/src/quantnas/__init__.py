"""Quantization-aware differentiable architecture search for image super-resolution.

Paper: Shvetsov et al. QuantNAS for super resolution: searching for efficient quantization-friendly architectures against quantization noise. arXiv:2208.14839, 2022.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
