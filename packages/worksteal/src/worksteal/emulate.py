"""Heterogeneity emulation on one machine: per-rank speed factors and task bodies.

A rank with factor ``f`` needs ``f`` times the base task time (spec section 4: factors
``{1, 1, 2, 4}`` emulate a CPU/GPU mix). Factors may change mid-run (a
:class:`Perturbation`). Sleep bodies keep the ratios exact even when ranks outnumber cores;
compute bodies (a small numpy stencil) are faithful only with no more ranks than cores.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from core_utils import InputError


@dataclass(frozen=True)
class Perturbation:
    """From ``at_s`` seconds after the start, rank ``rank`` is ``factor`` times slower."""

    rank: int
    at_s: float
    factor: float


def parse_speeds(text: str | Sequence[float], n_ranks: int | None = None) -> list[float]:
    """Parse ``"1,1,2,4"`` into factors; a shorter list is repeated cyclically to ``n_ranks``."""
    if isinstance(text, str):
        parts = [p for p in text.replace(" ", "").split(",") if p]
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            raise InputError(f"--speeds must be comma-separated numbers, got {text!r}") from None
    else:
        vals = [float(v) for v in text]
    if not vals:
        raise InputError("--speeds needs at least one factor")
    bad = [v for v in vals if not (math.isfinite(v) and v > 0)]
    if bad:
        raise InputError(f"speed factors must be finite and > 0, got {bad[0]:g} in {vals}")
    if n_ranks is not None:
        if n_ranks < 1:
            raise InputError(f"number of ranks must be >= 1, got {n_ranks}")
        vals = [vals[i % len(vals)] for i in range(n_ranks)]
    return vals


def parse_perturbation(text: str) -> Perturbation:
    """Parse ``RANK@SECONDS*FACTOR`` (e.g. ``0@0.2*4``: rank 0 becomes 4x slower at 0.2 s)."""
    try:
        rank_s, rest = text.split("@", 1)
        at_s, factor_s = rest.split("*", 1)
        p = Perturbation(int(rank_s), float(at_s), float(factor_s))
    except ValueError:
        raise InputError(f"--slowdown expects RANK@SECONDS*FACTOR, got {text!r}") from None
    if p.rank < 0 or p.at_s < 0 or not (math.isfinite(p.factor) and p.factor > 0):
        raise InputError(f"--slowdown needs rank >= 0, time >= 0 and factor > 0, got {text!r}")
    return p


def factor_at(
    speeds: Sequence[float], perturbations: Sequence[Perturbation], rank: int, elapsed: float
) -> float:
    """The slowdown factor of ``rank`` at ``elapsed`` seconds after the start."""
    f = float(speeds[rank % len(speeds)])
    for p in perturbations:
        if p.rank == rank and elapsed >= p.at_s:
            f *= p.factor
    return f


def stencil_step(grid: np.ndarray, steps: int) -> float:
    """A tiny 2-D acoustic finite-difference kernel (the "real" compute body, spec section 4)."""
    u_prev = np.zeros_like(grid)
    u = grid.copy()
    for _ in range(steps):
        lap = -4.0 * u
        lap[1:, :] += u[:-1, :]
        lap[:-1, :] += u[1:, :]
        lap[:, 1:] += u[:, :-1]
        lap[:, :-1] += u[:, 1:]
        u, u_prev = 2.0 * u - u_prev + 0.1 * lap, u
    return float(np.abs(u).sum())


@dataclass(frozen=True)
class EmulatedWorkload:
    """A picklable task body ``fn(task) -> result`` with per-rank emulated speed.

    Parameters
    ----------
    speeds : sequence of float
        Slowdown factor per rank (task time = ``task_s * factor``).
    task_s : float
        Base task time in seconds (sleep body) or grid size scale (compute body).
    kind : {"sleep", "compute"}
        Sleep bodies keep ratios exact when ranks exceed cores; compute bodies run a numpy
        stencil whose step count is calibrated once (on first use) so that a base task takes
        about ``task_s`` on an idle core, times ``factor``.
    perturbations : sequence of Perturbation
        Mid-run speed changes.
    rank, t0 : int, float, optional
        Bound by :meth:`for_rank` (the runtime does this); unbound bodies look the rank up
        from ``MPI.COMM_WORLD`` and start their clock at the first call.
    """

    speeds: tuple[float, ...]
    task_s: float = 0.01
    kind: str = "sleep"
    perturbations: tuple[Perturbation, ...] = ()
    rank: int | None = None
    t0: float | None = None
    fail_on: int | None = None
    """Raise ``RuntimeError`` on this task index (to exercise error handling)."""
    _clock: list[float] = field(default_factory=list, compare=False, repr=False)
    """Private per-copy state: [start time, calibrated stencil steps per base task]."""
    _debt: list[float] = field(default_factory=list, compare=False, repr=False)
    """Private per-copy state of the sleep body: accumulated wake-up lateness (seconds)."""

    def __post_init__(self) -> None:
        parse_speeds(list(self.speeds))
        if not (math.isfinite(self.task_s) and self.task_s > 0):
            raise InputError(f"task time must be > 0 seconds, got {self.task_s}")
        if self.kind not in ("sleep", "compute"):
            raise InputError(f"task kind must be 'sleep' or 'compute', got {self.kind!r}")

    def for_rank(self, rank: int, t0: float) -> EmulatedWorkload:
        """A copy bound to ``rank`` whose perturbation clock starts at ``t0`` (``time.monotonic``)."""
        return replace(self, rank=rank, t0=t0, _clock=[], _debt=[])

    def task_time(self, rank: int) -> float:
        """Nominal seconds per task on ``rank`` (before perturbations)."""
        return self.task_s * float(self.speeds[rank % len(self.speeds)])

    def __call__(self, task: int) -> Any:
        rank = self.rank
        if rank is None:
            from mpi4py import MPI

            rank = MPI.COMM_WORLD.Get_rank()
        t0 = self.t0
        if t0 is None:
            if not self._clock:
                self._clock.append(time.monotonic())
            t0 = self._clock[0]
        if self.fail_on is not None and task == self.fail_on:
            raise RuntimeError(f"emulated failure in task {task}")
        f = factor_at(self.speeds, self.perturbations, rank, time.monotonic() - t0)
        if self.kind == "sleep":
            self._sleep(self.task_s * f)
            return task
        reps = max(1, round(f * self._steps()))
        grid = np.zeros((32, 32))
        grid[16, 16] = 1.0
        return stencil_step(grid, reps)

    def _sleep(self, intended: float) -> None:
        """Sleep ``intended`` seconds on average, paying back earlier wake-up lateness.

        ``time.sleep`` returns late on a loaded host (10 ms sleeps took 10.4-11.1 ms on the
        shared 2-core host), which slows fast ranks relatively more than slow ones and makes
        the nominal ``C*`` unreachable. The body therefore keeps the accumulated lateness
        (its *debt*, at most one task time) and shortens the next sleep by it, so a rank
        delivers its nominal rate ``1 / (task_s * factor)`` over a run while every delay
        outside the body (scheduling, idling) still counts in full.
        """
        if self.rank is None:  # unbound copy: no per-rank state to carry
            time.sleep(intended)
            return
        debt = self._debt[0] if self._debt else 0.0
        start = time.perf_counter()
        target = intended - debt
        if target > 0:
            time.sleep(target)
        late = debt + (time.perf_counter() - start) - intended
        self._debt[:] = [min(max(late, 0.0), intended)]

    def _steps(self) -> float:
        """Stencil steps per base task, calibrated once per bound copy to last ``task_s``."""
        if len(self._clock) < 2:
            if not self._clock:
                self._clock.append(time.monotonic())
            grid = np.zeros((32, 32))
            start = time.perf_counter()
            stencil_step(grid, 50)
            per_step = max((time.perf_counter() - start) / 50, 1e-7)
            self._clock.append(self.task_s / per_step)
        return self._clock[1]


def nominal_taus(workload: Callable[[int], Any] | EmulatedWorkload, n_ranks: int) -> list[float] | None:
    """Nominal per-rank task times of an emulated workload (``None`` for user callables)."""
    if isinstance(workload, EmulatedWorkload):
        return [workload.task_time(r) for r in range(n_ranks)]
    return None
