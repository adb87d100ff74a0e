"""Per-rank statistics and run summaries shared by the MPI runtime and the simulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from worksteal.oracle import fluid_bound, imbalance, optimal_makespan


@dataclass
class RankStats:
    """What one rank did. Times are seconds since the common start (a barrier)."""

    rank: int
    tasks: int = 0
    busy_s: float = 0.0
    end_s: float = 0.0
    steals_attempted: int = 0
    steals_ok: int = 0
    steals_failed: int = 0
    tasks_stolen: int = 0
    rma_ops: int = 0
    sched_s: float = 0.0
    """Seconds spent in scheduling (queue atomics, publishing, steals), excluding sleeps."""
    trace: list[tuple[int, float, float]] = field(default_factory=list)
    """``(task index, start, end)`` for every task this rank executed."""


@dataclass
class RunStats:
    """Outcome of one scheduled run (real MPI or simulated)."""

    policy: str
    n_tasks: int
    taus: list[float]
    """Nominal time per task of each rank (the oracle's input)."""
    ranks: list[RankStats]
    makespan: float
    overhead_s: float = 0.0
    """Total wall time spent outside task bodies, summed over ranks (scheduling + idle)."""

    @property
    def n_ranks(self) -> int:
        return len(self.ranks)

    @property
    def c_star(self) -> float:
        """Exact optimal makespan for the nominal task times (``oracle.optimal_makespan``)."""
        return optimal_makespan(self.taus, self.n_tasks)

    @property
    def ratio(self) -> float:
        """``makespan / C*`` (1 is optimal)."""
        c = self.c_star
        return self.makespan / c if c > 0 else float("nan")

    @property
    def count_makespan(self) -> float:
        """Makespan implied by the task counts: ``max_i n_i tau_i`` with the nominal ``tau_i``.

        It measures the distribution the scheduler produced, independently of how long the
        host actually took per task (sleep overshoot, CPU contention), so it can be compared
        with ``C*`` on a loaded host. Exact only for constant speeds (no mid-run slowdown),
        and blind to idle gaps, which the wall-clock :attr:`makespan` includes.
        """
        return max((r.tasks * t for r, t in zip(self.ranks, self.taus, strict=True)), default=0.0)

    def executed(self) -> list[int]:
        """Sorted multiset of executed task indices (equals ``range(T)`` iff exactly once)."""
        return sorted(t for r in self.ranks for t, _, _ in r.trace)

    def summary(self) -> dict[str, Any]:
        """JSON-ready metrics: makespan, C*, ratio, imbalance, steal counts per task."""
        n = max(self.n_tasks, 1)
        attempted = sum(r.steals_attempted for r in self.ranks)
        failed = sum(r.steals_failed for r in self.ranks)
        return {
            "policy": self.policy,
            "n_ranks": self.n_ranks,
            "n_tasks": self.n_tasks,
            "makespan": self.makespan,
            "c_star": self.c_star,
            "fluid_bound": fluid_bound(self.taus, self.n_tasks),
            "makespan_over_c_star": self.ratio,
            "count_makespan": self.count_makespan,
            "count_makespan_over_c_star": self.count_makespan / c if (c := self.c_star) > 0 else float("nan"),
            "imbalance": imbalance([r.end_s for r in self.ranks]),
            "steals_per_task": attempted / n,
            "failed_steals_per_task": failed / n,
            "tasks_stolen": sum(r.tasks_stolen for r in self.ranks),
            "overhead_per_task_s": self.overhead_s / n,
            "tasks_per_rank": [r.tasks for r in self.ranks],
        }

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["summary"] = self.summary()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunStats:
        ranks = [RankStats(**{**r, "trace": [tuple(x) for x in r.get("trace", [])]}) for r in d["ranks"]]
        return cls(
            policy=d["policy"],
            n_tasks=int(d["n_tasks"]),
            taus=list(d["taus"]),
            ranks=ranks,
            makespan=float(d["makespan"]),
            overhead_s=float(d.get("overhead_s", 0.0)),
        )


def busy_times(stats: RunStats) -> np.ndarray:
    """Busy seconds per rank."""
    return np.array([r.busy_s for r in stats.ranks])
