"""Variable selection by held-out log predictive likelihood (LuValle 2025, "Uses").

Candidate variable sets are compared by the mean log predictive density of the target on a
validation block at the end of the training data (threads woven from a tapestry fitted on the
rows before it). Forward selection starts from the target alone and adds the variable that
helps most; backward selection starts from all variables and drops the one whose removal helps
most; both stop when no move improves the score by more than ``tol``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core_utils import InputError
from tapestry.core import Tapestry

__all__ = ["SelectionResult", "held_out_loglik", "select_variables"]


@dataclass
class SelectionResult:
    """The path of variable sets with their held-out log-likelihoods, and the chosen set."""

    path: list[tuple[tuple[str, ...], float]]
    selected: tuple[str, ...]
    direction: str


def held_out_loglik(
    df: pd.DataFrame, target: str, variables: Sequence[str], n_valid: int, **params: Any
) -> float:
    """Mean log predictive density of ``target`` on the last ``n_valid`` rows, horizons 1..H."""
    cols = list(dict.fromkeys([target, *variables]))
    data = df[cols].to_numpy(dtype=float)
    n_fit = data.shape[0] - n_valid
    params = {**params, "targets": [target]}
    tp = Tapestry(**params).fit(data[:n_fit], columns=cols)
    origins = np.arange(n_fit - 1, data.shape[0] - 1)
    th = tp.weave(origins, Y=data)
    return tp.log_likelihood(th, target)


def select_variables(
    df: pd.DataFrame,
    target: str,
    candidates: Sequence[str] | None = None,
    *,
    direction: str = "forward",
    n_valid: int | None = None,
    tol: float = 0.0,
    **params: Any,
) -> SelectionResult:
    """Greedy forward or backward selection of the variables that help forecast ``target``.

    ``params`` go to :class:`~tapestry.core.Tapestry` (``nsel`` must fit the smallest set:
    an integer nsel is capped at the available lagged columns).
    """
    if target not in df.columns:
        raise InputError(f"unknown target {target!r}; columns are {', '.join(map(str, df.columns))}")
    cands = [c for c in (candidates or df.columns) if c != target]
    for c in cands:
        if c not in df.columns:
            raise InputError(f"unknown candidate variable {c!r}")
    if direction not in ("forward", "backward"):
        raise InputError(f"direction must be 'forward' or 'backward', got {direction!r}")
    n_valid = n_valid or max(len(df) // 5, 8)
    lags = int(params.get("lags", 6))

    def score(vs: Sequence[str]) -> float:
        p = dict(params)
        if isinstance(p.get("nsel"), int):
            p["nsel"] = min(p["nsel"], (1 + len(vs)) * lags)
        return held_out_loglik(df, target, vs, n_valid, **p)

    current: list[str] = [] if direction == "forward" else list(cands)
    best = score(current)
    path = [(tuple([target, *current]), best)]
    while True:
        moves = [c for c in cands if c not in current] if direction == "forward" else list(current)
        if not moves:
            break
        trials = {}
        for c in moves:
            vs = [*current, c] if direction == "forward" else [v for v in current if v != c]
            trials[c] = score(vs)
        c_best = max(trials, key=trials.get)
        if trials[c_best] <= best + tol:
            break
        current = [*current, c_best] if direction == "forward" else [v for v in current if v != c_best]
        best = trials[c_best]
        path.append((tuple([target, *current]), best))
    return SelectionResult(path=path, selected=tuple([target, *current]), direction=direction)
