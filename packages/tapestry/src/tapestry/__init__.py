"""Threads of plausible future histories for forecasting open chaotic systems.

Paper: LuValle. Learning tapestries: threads of plausible pseudo future histories for open
chaotic systems. arXiv, 2025.
"""

__version__ = "0.1.0"

from tapestry.core import Scaler, Tapestry
from tapestry.datasets import (
    ar1,
    coupled_logistic,
    load_seasonal_csv,
    logistic_map,
    lorenz63,
    lorenz96_forced,
    seasonal_real,
)
from tapestry.drivers import ccm_driver_check, large_coefficient_counts
from tapestry.embedding import estimate_dimension, lag_matrix, random_delay_maps
from tapestry.evaluation import evaluate
from tapestry.scoring import coverage, crps_ensemble, crps_gaussian, log_score, pit
from tapestry.selection import select_variables
from tapestry.threads import Threads, parse_condition

__all__ = [
    "Scaler",
    "Tapestry",
    "Threads",
    "__version__",
    "ar1",
    "ccm_driver_check",
    "coupled_logistic",
    "coverage",
    "crps_ensemble",
    "crps_gaussian",
    "estimate_dimension",
    "evaluate",
    "lag_matrix",
    "large_coefficient_counts",
    "load_seasonal_csv",
    "log_score",
    "logistic_map",
    "lorenz63",
    "lorenz96_forced",
    "parse_condition",
    "pit",
    "random_delay_maps",
    "seasonal_real",
    "select_variables",
]
