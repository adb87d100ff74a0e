"""Threads of plausible future histories for forecasting open chaotic systems.

Paper: LuValle. Learning tapestries: threads of plausible pseudo future histories for open chaotic systems. arXiv, 2025.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
