"""Reference values for identical tasks on related machines: the exact optimum and bounds.

For ``T`` identical tasks on ``P`` machines where machine ``i`` needs ``tau_i`` per task
("uniform" or "related" machines, ``Q | p_j = 1 | C_max``), assigning each next task to the
machine with the earliest finish time is optimal, and the optimal makespan is the smallest
``C`` with ``sum_i floor(C / tau_i) >= T`` (spec section 3).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np

from core_utils import InputError

_EPS = 1e-9


def _check(taus: Sequence[float], n_tasks: int) -> np.ndarray:
    tau = np.asarray(taus, dtype=float).ravel()
    if tau.size == 0:
        raise InputError("need at least one rank (empty task-time list)")
    if not np.all(np.isfinite(tau)) or np.any(tau <= 0):
        raise InputError(f"task times / speed factors must be finite and > 0, got {tau.tolist()}")
    if isinstance(n_tasks, bool) or int(n_tasks) != n_tasks or n_tasks < 0:
        raise InputError(f"number of tasks must be an integer >= 0, got {n_tasks!r}")
    return tau


def capacity(taus: Sequence[float], horizon: float) -> int:
    """Tasks the ranks can finish by time ``horizon``: ``sum_i floor(C / tau_i)``."""
    tau = np.asarray(taus, dtype=float)
    return int(np.floor(horizon / tau + _EPS).sum())


def fluid_bound(taus: Sequence[float], n_tasks: int) -> float:
    """Fluid (divisible-load) lower bound ``T / sum_i (1 / tau_i)``."""
    tau = _check(taus, n_tasks)
    return float(n_tasks / np.sum(1.0 / tau))


def optimal_makespan(taus: Sequence[float], n_tasks: int) -> float:
    """Exact optimal makespan ``C*`` of ``n_tasks`` identical tasks (spec section 3).

    ``C*`` is a multiple of some ``tau_i`` and lies in ``[L, L + max tau]`` with ``L`` the
    fluid bound, so the candidates ``k * tau_i`` in that interval are scanned in order and
    the first with enough capacity is returned.

    Parameters
    ----------
    taus : sequence of float
        Time per task on each rank (> 0).
    n_tasks : int
        Number of identical tasks (>= 0).
    """
    tau = _check(taus, n_tasks)
    if n_tasks == 0:
        return 0.0
    lower = fluid_bound(tau, n_tasks)
    upper = lower + float(tau.max())
    cands = []
    for t in np.unique(tau):
        k0 = max(1, math.floor(lower / t))
        k1 = math.ceil(upper / t) + 1
        cands.append(t * np.arange(k0, k1 + 1, dtype=float))
    for c in np.unique(np.concatenate(cands)):
        if capacity(tau, c) >= n_tasks:
            return float(c)
    raise AssertionError("no candidate reached the capacity; the interval bound is wrong")  # pragma: no cover


def greedy_schedule(taus: Sequence[float], n_tasks: int) -> tuple[float, np.ndarray]:
    """Earliest-finish-time greedy assignment (optimal here); returns (makespan, counts).

    An independent, obviously correct reference for :func:`optimal_makespan` (a heap of
    next finish times, O(T log P)).
    """
    tau = _check(taus, n_tasks)
    heap = [(float(t), i) for i, t in enumerate(tau)]
    heapq.heapify(heap)
    counts = np.zeros(tau.size, dtype=int)
    makespan = 0.0
    for _ in range(int(n_tasks)):
        finish, i = heapq.heappop(heap)
        counts[i] += 1
        makespan = max(makespan, finish)
        heapq.heappush(heap, (finish + float(tau[i]), i))
    return makespan, counts


def static_makespan(taus: Sequence[float], n_tasks: int) -> float:
    """Makespan of the equal static partition (``T // P`` or one more task per rank)."""
    tau = _check(taus, n_tasks)
    counts = block_counts(int(n_tasks), tau.size)
    return float(np.max(counts * tau))


def block_counts(n_tasks: int, n_ranks: int) -> np.ndarray:
    """Tasks per rank in the equal block partition (first ``T % P`` ranks get one more)."""
    base, extra = divmod(int(n_tasks), int(n_ranks))
    return np.array([base + (1 if r < extra else 0) for r in range(n_ranks)], dtype=int)


def block_range(n_tasks: int, n_ranks: int, rank: int) -> tuple[int, int]:
    """The half-open task-index range ``[start, stop)`` of ``rank`` in the block partition."""
    counts = block_counts(n_tasks, n_ranks)
    start = int(counts[:rank].sum())
    return start, start + int(counts[rank])


def imbalance(busy_times: Sequence[float]) -> float:
    """Percent-imbalance metric ``lambda = max_i T_i / mean_i T_i - 1`` (0 = perfect)."""
    t = np.asarray(busy_times, dtype=float)
    if t.size == 0 or t.mean() <= 0:
        return 0.0
    return float(t.max() / t.mean() - 1.0)
