"""The user API: run a task callable over MPI ranks with a work-stealing policy.

Call :func:`run` on every rank of ``mpiexec -n P python my_script.py``; rank 0 receives the
results in task order and every rank receives the :class:`~worksteal.stats.RunStats`.
There is no master rank and no helper thread: ranks steal task indices from each other's
queues with one-sided atomics (see :mod:`worksteal.mpi.window`). The ``master`` policy is
the centralised baseline built on ``mpi4py.futures.MPICommExecutor``.
"""

from __future__ import annotations

import os
import random
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core_utils import InputError
from worksteal.checkpoint import PartWriter, part_path, prepare
from worksteal.checkpoint import remaining as remaining_tasks
from worksteal.emulate import nominal_taus
from worksteal.oracle import block_range
from worksteal.policy import Policy, canonical_policy, make_policy
from worksteal.queue import owner_take, pack, remaining, thief_take
from worksteal.stats import RankStats, RunStats


class TaskError(RuntimeError):
    """A user task raised; carries the failing task index and rank."""

    def __init__(self, task: int, rank: int, message: str) -> None:
        super().__init__(f"task {task} failed on rank {rank}: {message}")
        self.task = task
        self.rank = rank


@dataclass
class RunResult:
    """What :func:`run` returns on every rank."""

    results: list[Any] | None
    """Results in task order on rank 0 (``None`` elsewhere or when ``gather=False``), including
    the results restored from a checkpoint."""
    stats: RunStats
    """Statistics of the tasks executed in this run (restored tasks are not re-run)."""
    restored: int = 0
    """Tasks whose results came from the checkpoint instead of being run again."""


@dataclass(frozen=True)
class StealConfig:
    """Runtime knobs of the stealing loop (spec section 1 suggestions; paper values unknown).

    Attributes
    ----------
    radius : int
        Information radius ``R`` (suggested 2).
    alpha : float
        EMA factor of the measured task time (suggested 0.3).
    preemptive : int
        A2WS steals once its queue holds ``<= preemptive`` tasks (suggested 1).
    backoff_s : (float, float)
        First and maximal sleep after a failed steal of an idle rank (pitfall 4: idle ranks
        must not spin on a shared core).
    steal_retries : int
        CAS retries of one steal when the victim's queue changed under the thief.
    """

    radius: int = 2
    alpha: float = 0.3
    preemptive: int = 1
    backoff_s: tuple[float, float] = (2e-4, 4e-3)
    steal_retries: int = 3
    sizing: str = "pairwise"
    """A2WS steal size: ``pairwise`` (the ideal share of the victim-thief pair, spec
    equation) or ``ideal`` (the ideal share over every rank the thief knows)."""

    def __post_init__(self) -> None:
        if self.radius < 1:
            raise InputError(f"radius must be >= 1, got {self.radius}")
        if not 0 < self.alpha <= 1:
            raise InputError(f"alpha must be in (0, 1], got {self.alpha}")
        if not 0 < self.backoff_s[0] <= self.backoff_s[1]:
            raise InputError(f"backoff must satisfy 0 < first <= max, got {self.backoff_s}")
        if self.sizing not in ("pairwise", "ideal"):
            raise InputError(f"sizing must be 'pairwise' or 'ideal', got {self.sizing!r}")


def _default_comm() -> Any:
    from mpi4py import MPI

    return MPI.COMM_WORLD


def run(
    fn: Callable[[Any], Any],
    n_tasks: int | None = None,
    *,
    tasks: Sequence[Any] | None = None,
    policy: str = "a2ws",
    comm: Any = None,
    config: StealConfig | None = None,
    gather: bool = True,
    seed: int = 0,
    taus: Sequence[float] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    checkpoint_every_s: float = 10.0,
) -> RunResult:
    """Execute ``fn`` on every task exactly once across the ranks of ``comm``.

    Parameters
    ----------
    fn : callable
        The task body. With ``n_tasks`` it is called as ``fn(i)`` for ``i in range(n_tasks)``;
        with ``tasks`` as ``fn(tasks[i])`` (every rank must pass the same sequence). An
        :class:`~worksteal.emulate.EmulatedWorkload` is bound to the rank automatically.
        For ``policy="master"`` it must be picklable.
    n_tasks, tasks :
        Exactly one of them.
    policy : {"a2ws", "adaptive", "random", "ctws", "static", "master"}
    comm : mpi4py communicator, optional
        Defaults to ``MPI.COMM_WORLD``.
    config : StealConfig, optional
    gather : bool
        Gather results at rank 0 (set False when tasks write their own output).
    seed : int
        Seed of the random victim choices (rank ``r`` uses ``seed * 7919 + r``).
    taus : sequence of float, optional
        Nominal per-rank task times for the oracle in the statistics (taken from an
        :class:`EmulatedWorkload`; otherwise the measured mean task times are used).
    checkpoint : path, optional
        Directory for checkpoints of completed results (:mod:`worksteal.checkpoint`; it must
        be visible to every rank). Each rank atomically rewrites its own part file at most
        every ``checkpoint_every_s`` seconds, when it stops (also after a failing task) and
        at the end. Results must be picklable.
    resume : bool
        Continue the run saved in ``checkpoint``: tasks with saved results are not run
        again and their results are merged into ``results``. Without ``resume`` a
        directory that already holds parts is rejected.
    checkpoint_every_s : float
        Minimal seconds between two saves of one rank (0: after every task).

    Raises
    ------
    TaskError
        On every rank, after all ranks stopped, when a task raised.
    InputError
        On every rank, before any task runs, for bad arguments or a checkpoint directory
        that does not fit this run.
    """
    if (n_tasks is None) == (tasks is None):
        raise InputError("give exactly one of n_tasks or tasks")
    if tasks is not None:
        items = list(tasks)
        n = len(items)
        body: Callable[[int], Any] = _IndexedBody(fn, items)
    else:
        if isinstance(n_tasks, bool) or int(n_tasks) != n_tasks or n_tasks < 1:
            raise InputError(f"number of tasks must be a positive integer, got {n_tasks!r}")
        n = int(n_tasks)
        body = fn
    name = canonical_policy(policy)
    config = config or StealConfig()
    if not (checkpoint_every_s >= 0):
        raise InputError(f"checkpoint_every_s must be >= 0, got {checkpoint_every_s}")
    if resume and checkpoint is None:
        raise InputError("resume=True needs a checkpoint directory")
    comm = comm if comm is not None else _default_comm()
    if taus is None:
        taus = nominal_taus(fn, comm.Get_size())
    ckpt = _Checkpoint.open(comm, checkpoint, n, resume, checkpoint_every_s)
    if name == "master":
        return _run_master(comm, body, n, gather, taus, ckpt)
    pol = make_policy(name, radius=config.radius, preemptive=config.preemptive, sizing=config.sizing)
    return _run_stealing(comm, body, n, pol, config, gather, seed, taus, ckpt)


@dataclass
class _Checkpoint:
    """What every rank knows about the checkpoint of this run (rank 0 read it)."""

    ids: list[int]
    """Task indices to run in this run (all of them without a checkpoint)."""
    restored: dict[int, Any]
    """Saved results (on rank 0 only; empty elsewhere)."""
    n_restored: int
    writer: PartWriter | None

    @classmethod
    def open(cls, comm: Any, directory: Any, n_tasks: int, resume: bool, every_s: float) -> _Checkpoint:
        if directory is None:
            return cls(list(range(n_tasks)), {}, 0, None)
        msg: tuple[str, Any] = ("ok", None)
        restored: dict[int, Any] = {}
        if comm.Get_rank() == 0:
            try:
                restored, generation = prepare(directory, n_tasks, resume)
                msg = ("ok", (sorted(restored), generation))
            except InputError as exc:
                msg = ("error", str(exc))
        kind, value = comm.bcast(msg, root=0)
        if kind == "error":
            raise InputError(value)
        done, generation = value
        writer = PartWriter(part_path(directory, generation, comm.Get_rank()), n_tasks, every_s)
        return cls(remaining_tasks(n_tasks, done), restored, len(done), writer)

    def merge(self, n_tasks: int, parts: list[dict[int, Any]]) -> list[Any]:
        merged: list[Any] = [None] * n_tasks
        for i, r in self.restored.items():
            merged[i] = r
        for part in parts:
            for i, r in part.items():
                merged[i] = r
        return merged


class _IndexedBody:
    """Picklable ``i -> fn(items[i])``."""

    def __init__(self, fn: Callable[[Any], Any], items: list[Any]) -> None:
        self.fn, self.items = fn, items

    def for_rank(self, rank: int, t0: float) -> _IndexedBody:
        fn = self.fn.for_rank(rank, t0) if hasattr(self.fn, "for_rank") else self.fn
        return _IndexedBody(fn, self.items)

    def __call__(self, i: int) -> Any:
        return self.fn(self.items[i])


def _bind(fn: Callable[[int], Any], rank: int, t0: float) -> Callable[[int], Any]:
    return fn.for_rank(rank, t0) if hasattr(fn, "for_rank") else fn


class _Loop:
    """The stealing loop of one rank (no helper thread, no master)."""

    def __init__(
        self,
        comm: Any,
        ids: Sequence[int],
        policy: Policy,
        cfg: StealConfig,
        seed: int,
        writer: PartWriter | None = None,
    ) -> None:
        from worksteal.mpi.window import LoadWindow

        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.ids = ids
        """Queue slot ``s`` holds task ``ids[s]`` (all tasks, or those a checkpoint lacks)."""
        self.n_tasks = len(ids)
        self.writer = writer
        self.policy = policy
        self.cfg = cfg
        self.rng = random.Random(seed * 7919 + self.rank)
        self.win = LoadWindow(comm, cfg.radius)
        self.stats = RankStats(rank=self.rank)
        self.pending: list[tuple[int, int]] = []
        self.tau = 0.0
        self.version = 0
        self.my_word = 0
        self.stop = False

    # -- helpers -------------------------------------------------------------------------
    def load(self) -> int:
        return remaining(self.my_word) + sum(b - a for a, b in self.pending)

    def take_own(self) -> int | None:
        """Owner side: CAS ``(h, t) -> (h + 1, t)`` on my queue word; install stolen work."""
        from worksteal.mpi.window import QUEUE

        word = int(self.win.fetch(self.rank, QUEUE)[0])
        while True:
            step = owner_take(word)
            if step is None:
                if not self.pending:
                    self.my_word = word
                    return None
                a, b = self.pending.pop(0)
                old = self.win.cas(self.rank, QUEUE, word, pack(a, b))
                if old != word:  # pragma: no cover - thieves never change an empty queue
                    self.pending.insert(0, (a, b))
                word = int(self.win.fetch(self.rank, QUEUE)[0])
                continue
            old = self.win.cas(self.rank, QUEUE, word, step[0])
            if old == word:
                self.my_word = step[0]
                return step[1]
            word = old

    def publish(self) -> None:
        self.version += 1
        self.win.publish(self.load(), int(self.tau * 1e9), self.version)

    def try_steal(self, idle: bool) -> bool:
        """Thief side: pick a victim, read its queue word and tau, CAS the tail down."""
        from worksteal.mpi.window import QUEUE

        if not self.policy.steals or self.size < 2:
            return False
        view = self.win.view()
        n_me = self.load()  # tasks not yet started
        v = self.policy.choose_victim(self.rank, self.size, view, n_me, self.tau, self.rng)
        if v is None:
            return False
        self.stats.steals_attempted += 1
        word, tau_ns = (int(x) for x in self.win.fetch(v, QUEUE, 2))
        got = None
        for _ in range(self.cfg.steal_retries):
            k = self.policy.steal_size(remaining(word), tau_ns * 1e-9, n_me, self.tau)
            step = thief_take(word, k) if k >= 1 else None
            if step is None:
                break
            old = self.win.cas(v, QUEUE, word, step[0])
            if old == word:
                got = step[1]
                break
            word = old
        self.policy.on_steal(v, got is not None)
        if got is None:
            self.stats.steals_failed += 1
            return False
        self.stats.steals_ok += 1
        self.stats.tasks_stolen += got[1] - got[0]
        self.pending.append(got)
        self.publish()
        return True

    def report_done(self) -> tuple[int, int]:
        """Add one to the global counter on rank 0; returns ``(done before, abort flag)``."""
        import numpy as np

        from worksteal.mpi.window import DONE

        done, abort = self.win.fetch_add(0, DONE, np.array([1, 0], dtype=np.int64))
        return int(done), int(abort)

    def poll(self) -> tuple[int, int]:
        from worksteal.mpi.window import DONE

        done, abort = self.win.fetch(0, DONE, 2)
        return int(done), int(abort)

    def signal_abort(self, task: int) -> None:
        from worksteal.mpi.window import ABORT

        self.win.cas(0, ABORT, 0, task + 1)

    # -- the loop ------------------------------------------------------------------------
    def run(self, fn: Callable[[int], Any], keep: bool) -> tuple[dict[int, Any], tuple | None]:
        a, b = block_range(self.n_tasks, self.size, self.rank)
        self.my_word = pack(a, b)
        self.win.start(self.my_word)
        t0 = time.monotonic()
        body = _bind(fn, self.rank, t0)
        results: dict[int, Any] = self.writer.results if self.writer is not None else {}
        error: tuple | None = None
        backoff = self.cfg.backoff_s[0]
        sched = 0.0
        try:
            while True:
                s0 = time.perf_counter()
                slot = self.take_own()
                if slot is not None:
                    task = self.ids[slot]
                    # pre-emptive steal right after taking a task (before running it), so the
                    # stolen work is ready when this task ends; the simulator does the same
                    pre = self.policy.preemptive
                    if pre >= 0 and not self.pending and self.load() <= pre:
                        self.try_steal(idle=False)
                    start = time.monotonic() - t0
                    sched += time.perf_counter() - s0
                    try:
                        out = body(task)
                    except Exception as exc:
                        error = (task, self.rank, f"{type(exc).__name__}: {exc}", traceback.format_exc())
                        self.signal_abort(task)
                        break
                    end = time.monotonic() - t0
                    s0 = time.perf_counter()
                    if self.writer is not None:
                        self.writer.add(task, out)
                    elif keep:
                        results[task] = out
                    dur = end - start
                    self.stats.tasks += 1
                    self.stats.busy_s += dur
                    self.stats.end_s = end
                    self.stats.trace.append((task, start, end))
                    self.tau = (
                        dur if self.tau == 0 else self.cfg.alpha * dur + (1 - self.cfg.alpha) * self.tau
                    )
                    self.my_word = int(self.win.fetch(self.rank, 0)[0])
                    self.publish()
                    _, abort = self.report_done()
                    if abort:
                        break
                    backoff = self.cfg.backoff_s[0]
                    sched += time.perf_counter() - s0
                    continue
                ok = self.try_steal(idle=True)
                if ok:
                    sched += time.perf_counter() - s0
                    backoff = self.cfg.backoff_s[0]
                    continue
                done, abort = self.poll()
                sched += time.perf_counter() - s0
                if done >= self.n_tasks or abort:
                    break
                time.sleep(backoff * (0.5 + self.rng.random()))
                backoff = min(2 * backoff, self.cfg.backoff_s[1])
        finally:
            self.stats.rma_ops = self.win.ops
            self.stats.sched_s = sched
            self.win.close()
            if self.writer is not None:
                self.writer.flush()  # also after a failing task: completed work is kept
        return results, error


def _run_stealing(
    comm: Any,
    fn: Callable[[int], Any],
    n_tasks: int,
    policy: Policy,
    cfg: StealConfig,
    gather: bool,
    seed: int,
    taus: Sequence[float] | None,
    ckpt: _Checkpoint,
) -> RunResult:
    if ckpt.ids:
        loop = _Loop(comm, ckpt.ids, policy, cfg, seed, ckpt.writer)
        results, error = loop.run(fn, keep=gather)
        mine = loop.stats
    else:  # every result was restored from the checkpoint: nothing to schedule
        results, error, mine = {}, None, RankStats(rank=comm.Get_rank())
    # All ranks have left the loop (done == T or abort), so these collectives cannot hang.
    errors = comm.allgather(error)
    gathered = comm.gather((results if gather else {}, mine), root=0)
    stats = None
    merged: list[Any] | None = None
    if comm.Get_rank() == 0:
        ranks = [s for _, s in gathered]
        stats = _make_stats(policy.name, len(ckpt.ids), ranks, taus)
        if gather and not any(errors):
            merged = ckpt.merge(n_tasks, [part for part, _ in gathered])
    stats = comm.bcast(stats, root=0)
    failed = [e for e in errors if e is not None]
    if failed:
        task, rank, msg, _tb = min(failed)
        raise TaskError(task, rank, msg)
    return RunResult(results=merged, stats=stats, restored=ckpt.n_restored)


def _make_stats(name: str, n_tasks: int, ranks: list[RankStats], taus: Sequence[float] | None) -> RunStats:
    if taus is None:  # measured means; ranks without tasks get the slowest observed time
        means = [r.busy_s / r.tasks for r in ranks if r.tasks]
        fallback = max(means) if means else 1.0
        taus = [r.busy_s / r.tasks if r.tasks else fallback for r in ranks]
    return RunStats(
        policy=name,
        n_tasks=n_tasks,
        taus=list(taus),
        ranks=ranks,
        makespan=max((r.end_s for r in ranks), default=0.0),
        overhead_s=sum(r.sched_s for r in ranks),
    )


class _Timed:
    """Picklable wrapper for the master-worker baseline: ``i -> (rank, i, start, end, result, err)``."""

    def __init__(self, fn: Callable[[int], Any], t0: float) -> None:
        self.fn, self.t0 = fn, t0

    def __call__(self, i: int) -> tuple:
        from mpi4py import MPI

        rank = MPI.COMM_WORLD.Get_rank()
        fn = _bind(self.fn, rank, self.t0)
        start = time.monotonic() - self.t0
        try:
            out, err = fn(i), None
        except Exception as exc:
            out, err = None, f"{type(exc).__name__}: {exc}"
        return rank, i, start, time.monotonic() - self.t0, out, err


def _run_master(
    comm: Any,
    fn: Callable[[int], Any],
    n_tasks: int,
    gather: bool,
    taus: Sequence[float] | None,
    ckpt: _Checkpoint,
) -> RunResult:
    """Centralised master-worker baseline: rank 0 hands out tasks (``MPICommExecutor.map``).

    Rank 0 only schedules, so ``P - 1`` ranks compute. ``time.monotonic`` is shared by the
    processes of one host, which the timing of this baseline assumes.
    """
    from mpi4py.futures import MPICommExecutor

    if comm.Get_size() < 2:
        raise InputError("the master policy needs at least 2 ranks (one master, one worker)")
    comm.Barrier()
    t0 = time.monotonic()
    rows: list[tuple] = []
    with MPICommExecutor(comm, root=0) as ex:
        if ex is not None:
            for row in ex.map(_Timed(fn, t0), ckpt.ids, chunksize=1):
                rows.append(row)
                if ckpt.writer is not None and row[5] is None:
                    ckpt.writer.add(row[1], row[4])  # only the master rank saves
    if ckpt.writer is not None and comm.Get_rank() == 0:
        ckpt.writer.flush()
    rows = comm.bcast(rows if comm.Get_rank() == 0 else None, root=0)
    ranks = [RankStats(rank=r) for r in range(comm.Get_size())]
    merged: list[Any] = ckpt.merge(n_tasks, []) if comm.Get_rank() == 0 else [None] * n_tasks
    errors = []
    for rank, i, start, end, out, err in rows:
        st = ranks[rank]
        st.tasks += 1
        st.busy_s += end - start
        st.end_s = max(st.end_s, end)
        st.trace.append((i, start, end))
        merged[i] = out
        if err is not None:
            errors.append((i, rank, err))
    if errors:
        raise TaskError(*min(errors))
    stats = _make_stats("master", len(ckpt.ids), ranks, taus)
    return RunResult(
        results=merged if gather and comm.Get_rank() == 0 else None, stats=stats, restored=ckpt.n_restored
    )
