"""Experiment drivers shared by the CLI and the benchmark scripts (real MPI and simulated)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core_utils import InputError
from worksteal.emulate import Perturbation, parse_speeds
from worksteal.mpi.launch import launch
from worksteal.policy import canonical_policy
from worksteal.sim.des import simulate
from worksteal.stats import RunStats


@dataclass
class MPIConfig:
    """A real MPI experiment (``worksteal run``); defaults from spec section 4."""

    np: int = 4
    policies: list[str] = field(default_factory=lambda: ["a2ws"])
    tasks: int = 200
    speeds: list[float] = field(default_factory=lambda: [1.0, 1.0, 2.0, 4.0])
    task_ms: float = 10.0
    kind: str = "sleep"
    radius: int = 2
    sizing: str = "pairwise"
    """A2WS steal size: ``pairwise`` (default) or ``ideal`` (over the known neighbourhood)."""
    slowdown: list[str] = field(default_factory=list)
    """Mid-run slowdowns ``RANK@SECONDS*FACTOR``."""
    timeout_s: float = 300.0
    fail_on: int | None = None
    """Make this task index raise (exercises error reporting)."""
    checkpoint: str | None = None
    """Directory for atomic checkpoints of completed results (one policy only)."""
    resume: bool = False
    """Continue the run saved in ``checkpoint`` (skip the tasks already done)."""
    checkpoint_every_s: float = 10.0
    """Minimal seconds between two checkpoint saves of one rank."""
    seed: int = 0
    """Seed of the random victim choices; repetition ``j`` of the policy list uses ``seed + j``."""

    def validate(self) -> None:
        if self.np < 1:
            raise InputError(f"--np must be >= 1, got {self.np}")
        if self.tasks < 1:
            raise InputError(f"--tasks must be a positive integer, got {self.tasks}")
        if self.tasks < self.np:
            raise InputError(f"more ranks ({self.np}) than tasks ({self.tasks}): some ranks would never work")
        if self.radius < 1:
            raise InputError(f"--radius must be >= 1, got {self.radius}")
        if self.sizing not in ("pairwise", "ideal"):
            raise InputError(f"--sizing must be pairwise or ideal, got {self.sizing!r}")
        if not self.task_ms > 0:
            raise InputError(f"--task-ms must be > 0, got {self.task_ms}")
        if self.kind not in ("sleep", "compute"):
            raise InputError(f"--kind must be sleep or compute, got {self.kind!r}")
        if not self.timeout_s > 0:
            raise InputError(f"timeout must be > 0, got {self.timeout_s}")
        self.policies = [canonical_policy(p) for p in self.policies]
        if "master" in self.policies and self.np < 2:
            raise InputError("the master policy needs --np >= 2")
        self.speeds = parse_speeds(self.speeds, self.np)
        if not self.checkpoint_every_s >= 0:
            raise InputError(f"--checkpoint-every must be >= 0 seconds, got {self.checkpoint_every_s}")
        if self.resume and self.checkpoint is None:
            raise InputError("--resume needs --checkpoint DIR")
        if self.checkpoint is not None:
            from worksteal.checkpoint import check_directory

            if len(self.policies) != 1:
                raise InputError("--checkpoint works with one policy per run")
            check_directory(self.checkpoint, self.tasks, self.resume)
        from worksteal.emulate import parse_perturbation

        for p in self.slowdown:
            if parse_perturbation(p).rank >= self.np:
                raise InputError(f"--slowdown rank must be < --np ({self.np}), got {p!r}")

    def launch_config(self) -> dict[str, Any]:
        from worksteal.emulate import parse_perturbation

        perts = [parse_perturbation(p) for p in self.slowdown]
        return {
            "policies": self.policies,
            "n_tasks": self.tasks,
            "speeds": self.speeds,
            "task_s": self.task_ms / 1000.0,
            "kind": self.kind,
            "radius": self.radius,
            "sizing": self.sizing,
            "perturbations": [[p.rank, p.at_s, p.factor] for p in perts],
            "fail_on": self.fail_on,
            "checkpoint": None if self.checkpoint is None else str(Path(self.checkpoint).resolve()),
            "resume": self.resume,
            "checkpoint_every_s": self.checkpoint_every_s,
            "seed": self.seed,
        }


def run_mpi(cfg: MPIConfig) -> tuple[list[RunStats], list[dict[str, Any]], dict[str, Any]]:
    """Launch ``cfg`` under mpiexec; returns (stats per policy, summaries, launch info)."""
    cfg.validate()
    payload = launch(cfg.launch_config(), cfg.np, cfg.timeout_s)
    stats = [RunStats.from_dict(r) for r in payload["runs"]]
    summaries = [r["summary"] for r in payload["runs"]]
    info = {"mpi": payload["mpi"], "n_ranks": payload["n_ranks"], "fell_back": payload["fell_back"]}
    return stats, summaries, info


@dataclass
class SimConfig:
    """A simulated experiment (``worksteal simulate``); times in units of the base task."""

    ranks: int = 1024
    tasks_per_rank: int = 100
    policies: list[str] = field(default_factory=lambda: ["static", "random", "ctws", "a2ws"])
    speeds: list[float] = field(default_factory=lambda: [1.0, 1.0, 2.0, 4.0])
    radius: int = 2
    latency: float = 1e-3
    sizing: str = "pairwise"
    """A2WS steal size: ``pairwise`` (default) or ``ideal`` (over the known neighbourhood)."""
    slowdown: list[str] = field(default_factory=list)

    def validate(self) -> None:
        if self.ranks < 1:
            raise InputError(f"--ranks must be >= 1, got {self.ranks}")
        if self.tasks_per_rank < 1:
            raise InputError(f"--tasks-per-rank must be >= 1, got {self.tasks_per_rank}")
        if self.radius < 1:
            raise InputError(f"--radius must be >= 1, got {self.radius}")
        if self.sizing not in ("pairwise", "ideal"):
            raise InputError(f"--sizing must be pairwise or ideal, got {self.sizing!r}")
        if self.latency < 0:
            raise InputError(f"--latency must be >= 0, got {self.latency}")
        self.policies = [canonical_policy(p) for p in self.policies]
        if "master" in self.policies:
            raise InputError("the simulator covers static, random, ctws and a2ws (not master)")
        self.speeds = parse_speeds(self.speeds, self.ranks)


def run_sim(cfg: SimConfig, seed: int = 0, trace: bool = False) -> list[tuple[RunStats, float]]:
    """Simulate every policy of ``cfg``; returns (stats, simulator wall seconds) per policy."""
    from worksteal.emulate import parse_perturbation

    cfg.validate()
    perts: Sequence[Perturbation] = [parse_perturbation(p) for p in cfg.slowdown]
    out = []
    for policy in cfg.policies:
        t = time.perf_counter()
        s = simulate(
            cfg.speeds,
            cfg.ranks * cfg.tasks_per_rank,
            policy,
            radius=cfg.radius,
            latency=cfg.latency,
            perturbations=perts,
            seed=seed,
            trace=trace,
            sizing=cfg.sizing,
        )
        out.append((s, time.perf_counter() - t))
    return out


def benchmark(
    *, quick: bool = False, seed: int = 0, timeout_s: float = 300.0, quiet: bool = True
) -> dict[str, Any]:
    """Makespan / C* per policy on real MPI (4 and 8 ranks) and in the simulator (64-4096 ranks).

    Every ratio is against the exact optimum of the same run's speeds, computed in the same
    run; steal messages, failed steals and scheduling overhead are per task.
    """
    from core_utils import progress
    from worksteal.mpi.launch import find_mpiexec

    rows: list[dict[str, Any]] = []
    nps = [4] if quick else [4, 8]
    if find_mpiexec() is not None:
        for n in progress(nps, desc="mpi", quiet=quiet):
            cfg = MPIConfig(
                np=n,
                policies=["static", "random", "ctws", "a2ws", "master"],
                tasks=50 * n if quick else 100 * n,
                task_ms=10.0,
                timeout_s=timeout_s,
            )
            _, summaries, info = run_mpi(cfg)
            for s in summaries:
                rows.append({"mode": "mpi", **_row(s), "mpi": info["mpi"]})
    sizes = [64, 256] if quick else [64, 256, 1024, 4096]
    for n in progress(sizes, desc="sim", quiet=quiet):
        for stats, wall in run_sim(SimConfig(ranks=n), seed=seed):
            rows.append({"mode": "sim", **_row(stats.summary()), "sim_wall_s": wall})
        for stats, wall in run_sim(SimConfig(ranks=n, policies=["a2ws"], sizing="ideal"), seed=seed):
            row = _row(stats.summary()) | {"policy": "a2ws (ideal sizing)"}
            rows.append({"mode": "sim", **row, "sim_wall_s": wall})
    paired = []
    if find_mpiexec() is not None:
        for tasks in progress([200, 400], desc="pairs", quiet=quiet):
            paired.append(paired_comparison(tasks=tasks, pairs=2 if quick else 5, timeout_s=timeout_s))
    return {"rows": rows, "paired": paired}


def paired_comparison(
    *, np: int = 4, tasks: int = 200, pairs: int = 5, task_ms: float = 10.0, timeout_s: float = 300.0
) -> dict[str, Any]:
    """A2WS against random stealing on real MPI, in alternating runs of one MPI job.

    Both the wall-clock makespan and the count makespan (``max_i n_i tau_i``, insensitive to
    host load) are divided by the nominal ``C*``; repetition ``j`` uses seed ``j``.
    """
    cfg = MPIConfig(
        np=np, policies=["random", "a2ws"] * pairs, tasks=tasks, task_ms=task_ms, timeout_s=timeout_s
    )
    _, summaries, info = run_mpi(cfg)
    out: dict[str, Any] = {"n_ranks": np, "n_tasks": tasks, "pairs": pairs, "mpi": info["mpi"]}
    for pol in ("random", "a2ws"):
        mine = [s for s in summaries if s["policy"] == pol]
        for key, name in (("makespan_over_c_star", "wall"), ("count_makespan_over_c_star", "count")):
            vals = [s[key] for s in mine]
            out[f"{pol}_{name}"] = [sum(vals) / len(vals), min(vals), max(vals)]
        out[f"{pol}_steals_per_task"] = sum(s["steals_per_task"] for s in mine) / len(mine)
    out["random_over_a2ws_wall"] = out["random_wall"][0] / out["a2ws_wall"][0]
    out["random_over_a2ws_count"] = out["random_count"][0] / out["a2ws_count"][0]
    return out


def paired_table(paired: list[dict[str, Any]]) -> str:
    """The README table of :func:`paired_comparison` results (mean [min, max])."""

    def f(v: list[float]) -> str:
        return f"{v[0]:.3f} [{v[1]:.3f}, {v[2]:.3f}]"

    lines = [
        "| ranks | tasks | runs each | a2ws wall / C* | random wall / C* | a2ws count / C* | "
        "random count / C* | random / a2ws (wall) | random / a2ws (count) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in paired:
        lines.append(
            f"| {p['n_ranks']} | {p['n_tasks']} | {p['pairs']} | {f(p['a2ws_wall'])} | {f(p['random_wall'])} | "
            f"{f(p['a2ws_count'])} | {f(p['random_count'])} | {p['random_over_a2ws_wall']:.3f} | "
            f"{p['random_over_a2ws_count']:.3f} |"
        )
    return "\n".join(lines)


def _row(s: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "policy",
        "n_ranks",
        "n_tasks",
        "makespan",
        "c_star",
        "makespan_over_c_star",
        "count_makespan_over_c_star",
        "c_star_measured",
        "makespan_over_c_star_measured",
        "imbalance",
        "steals_per_task",
        "failed_steals_per_task",
        "overhead_per_task_s",
    )
    return {k: s.get(k) for k in keys}


def _overhead(mode: str, policy: str, seconds: float) -> str:
    if mode == "sim":
        return ""
    if policy == "master":
        return "n/a"  # scheduling happens inside mpi4py.futures, not timed here
    return f"{seconds * 1e6:.0f} us"


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The README benchmark table."""
    head = "| mode | ranks | policy | makespan / C* | count makespan / C* | steals / task | failed / task | sched. overhead / task |"
    lines = [head, "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        cnt = r.get("count_makespan_over_c_star")
        ovh = r.get("overhead_per_task_s") or 0.0
        lines.append(
            f"| {r['mode']} | {r['n_ranks']} | {r['policy']} | {r['makespan_over_c_star']:.3f} | "
            f"{'' if cnt is None or r['mode'] == 'sim' else f'{cnt:.3f}'} | {r['steals_per_task']:.3f} | "
            f"{r['failed_steals_per_task']:.3f} | {_overhead(r['mode'], r['policy'], ovh)} |"
        )
    return "\n".join(lines)
