"""Implicit regularization, benign overfitting and the linear regime: closed forms plus simulations.

Paper: Bartlett, Montanari, Rakhlin. Deep learning: a statistical viewpoint. Acta Numerica 30, 2021 (arXiv:2103.09177).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
