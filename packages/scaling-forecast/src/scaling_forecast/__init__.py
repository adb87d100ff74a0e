"""Forecasting benchmark scores from training compute, with backtests.

Paper: Owen. How predictable is language model benchmark performance? arXiv:2401.04757, 2024.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
