"""Adaptive asynchronous work stealing over MPI (mpi4py) on heterogeneous nodes.

Paper: Fernandes, de Assis, Martins, Barros, Xavier-de-Souza. Adaptive Asynchronous Work-Stealing
for distributed load-balancing in heterogeneous systems. arXiv:2401.04494, 2024.

Importing this package does not import mpi4py; :func:`run` does, on first call.
"""

from worksteal.emulate import EmulatedWorkload, Perturbation
from worksteal.mpi.runtime import RunResult, StealConfig, TaskError, run
from worksteal.oracle import fluid_bound, imbalance, optimal_makespan
from worksteal.policy import ideal_distribution, offload_size, select_victim
from worksteal.sim.des import simulate
from worksteal.stats import RankStats, RunStats

__version__ = "0.1.0"

__all__ = [
    "EmulatedWorkload",
    "Perturbation",
    "RankStats",
    "RunResult",
    "RunStats",
    "StealConfig",
    "TaskError",
    "__version__",
    "fluid_bound",
    "ideal_distribution",
    "imbalance",
    "offload_size",
    "optimal_makespan",
    "run",
    "select_victim",
    "simulate",
]
