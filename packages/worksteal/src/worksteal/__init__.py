"""Adaptive asynchronous work stealing over MPI (mpi4py) on heterogeneous nodes.

Paper: Fernandes, de Assis, Martins, Barros, Xavier-de-Souza. Adaptive Asynchronous Work-Stealing for distributed load-balancing in heterogeneous systems. arXiv:2401.04494, 2024.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
