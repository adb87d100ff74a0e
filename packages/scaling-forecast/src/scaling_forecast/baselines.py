"""Baseline forecasters of Owen (2024) §3: chance, training mean, mean of the last k models.

All follow the curve interface ``fit(x, y) -> self`` and ``predict(x)``, so the backtest
treats them exactly like the fitted curves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core_utils import InputError
from scaling_forecast.curves import check_xy

__all__ = ["ChanceBaseline", "LastKBaseline", "TrainMeanBaseline"]


@dataclass
class ChanceBaseline:
    """Predict the task's chance level (the sigmoid floor) everywhere."""

    floor: float = 0.0

    def fit(self, x: ArrayLike, y: ArrayLike) -> ChanceBaseline:
        check_xy(x, y)
        return self

    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        return np.full(np.shape(x), self.floor, dtype=float)


@dataclass
class TrainMeanBaseline:
    """Predict the mean observed score of the training models ("simple per-task average")."""

    floor: float = 0.0
    mean_: float = field(default=float("nan"), init=False)

    def fit(self, x: ArrayLike, y: ArrayLike) -> TrainMeanBaseline:
        _, y = check_xy(x, y)
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        return np.full(np.shape(x), self.mean_, dtype=float)


@dataclass
class LastKBaseline:
    """Predict the mean score of the k training models with the largest compute.

    Ties in compute are broken by keeping every model tied with the k-th largest, so the
    prediction does not depend on the row order of the table.
    """

    floor: float = 0.0
    k: int = 3
    mean_: float = field(default=float("nan"), init=False)

    def __post_init__(self) -> None:
        if self.k < 1:
            raise InputError(f"k must be >= 1, got {self.k}")

    def fit(self, x: ArrayLike, y: ArrayLike) -> LastKBaseline:
        x, y = check_xy(x, y)
        kth = np.sort(x)[::-1][min(self.k, x.size) - 1]
        self.mean_ = float(np.mean(y[x >= kth]))
        return self

    def predict(self, x: ArrayLike) -> NDArray[np.float64]:
        return np.full(np.shape(x), self.mean_, dtype=float)
