"""Event-driven simulator of work stealing on heterogeneous ranks, sharing ``policy.py``.

The simulator reproduces the runtime's protocol at event granularity (spec section 6):
each rank owns a head-tail queue (:class:`worksteal.queue.TaskQueue`); after each task it
publishes ``(remaining, EMA task time)`` to its ring neighbours; a steal costs one
one-way ``latency`` to reach the victim's queue word (where the atomic transition happens)
and one more for the reply; failed steals back off exponentially. Nothing busy-polls, so
1024 ranks x 102,400 tasks take seconds.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from core_utils import InputError
from worksteal.emulate import Perturbation, factor_at, parse_speeds
from worksteal.oracle import block_range
from worksteal.policy import Policy, canonical_policy, make_policy, ring_neighbours
from worksteal.queue import TaskQueue
from worksteal.stats import RankStats, RunStats

_TASK_DONE, _AT_VICTIM, _REPLY, _RETRY = range(4)


@dataclass
class _Rank:
    queue: TaskQueue
    policy: Policy
    stats: RankStats
    neighbours: list[int]
    pending: list[tuple[int, int]] = field(default_factory=list)
    busy: bool = False
    inflight: bool = False
    tau: float = 0.0
    published: tuple[int, float] = (0, 0.0)
    backoff: float = 0.0
    cur_dur: float = 0.0

    def load(self) -> int:
        return len(self.queue) + sum(b - a for a, b in self.pending)


def simulate(
    speeds: Sequence[float],
    n_tasks: int,
    policy: str = "a2ws",
    *,
    radius: int = 2,
    latency: float = 1e-3,
    task_time: float = 1.0,
    alpha: float = 0.3,
    backoff: tuple[float, float] = (0.01, 0.25),
    perturbations: Sequence[Perturbation] = (),
    seed: int = 0,
    trace: bool = False,
    sizing: str = "pairwise",
) -> RunStats:
    """Simulate one run and return its :class:`~worksteal.stats.RunStats`.

    Parameters
    ----------
    speeds : sequence of float
        Slowdown factor per rank (rank ``i`` needs ``task_time * speeds[i]`` per task).
    n_tasks : int
        Number of identical tasks, initially split in equal blocks.
    policy : str
        ``a2ws`` (alias ``adaptive``), ``random``, ``ctws`` or ``static``.
    radius : int
        A2WS information radius ``R`` (>= 1).
    latency : float
        One-way communication latency of a steal (same unit as ``task_time``).
    alpha : float
        EMA factor of the measured task time.
    backoff : (float, float)
        First and maximal back-off after a failed steal of an idle rank.
    perturbations : sequence of Perturbation
        Mid-run slowdowns (``at_s`` in simulated time).
    sizing : {"pairwise", "ideal"}
        A2WS steal size (:class:`~worksteal.policy.A2WSPolicy`).
    """
    taus_f = parse_speeds(list(speeds))
    n_ranks = len(taus_f)
    if isinstance(n_tasks, bool) or int(n_tasks) != n_tasks or n_tasks < 1:
        raise InputError(f"number of tasks must be a positive integer, got {n_tasks!r}")
    if radius < 1:
        raise InputError(f"radius must be >= 1, got {radius}")
    if latency < 0 or not 0 < alpha <= 1 or not 0 < backoff[0] <= backoff[1]:
        raise InputError("need latency >= 0, 0 < alpha <= 1 and 0 < backoff[0] <= backoff[1]")
    name = canonical_policy(policy)
    if name == "master":
        raise InputError("the simulator covers a2ws, random, ctws and static (not master)")
    rng = random.Random(seed)
    ranks = []
    for r in range(n_ranks):
        a, b = block_range(int(n_tasks), n_ranks, r)
        ranks.append(
            _Rank(
                queue=TaskQueue.of(a, b),
                policy=make_policy(name, radius=radius, latency=2 * latency, sizing=sizing),
                stats=RankStats(rank=r),
                neighbours=ring_neighbours(r, n_ranks, radius) if n_ranks > 1 else [],
                backoff=backoff[0],
            )
        )
    events: list[tuple[float, int, int, int, int, int]] = []
    seq = 0
    # unclaimed tasks (in queues), stolen-but-not-installed tasks, steals in flight
    state = {"done": 0, "inflight": 0, "queued": int(n_tasks), "pending": 0}

    def push(t: float, kind: int, rank: int, a: int = 0, b: int = 0) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, rank, a, b))

    def view(r: int) -> dict[int, tuple[int, float]]:
        return {j: ranks[j].published for j in ranks[r].neighbours}

    def publish(r: int) -> None:
        ranks[r].published = (ranks[r].load(), ranks[r].tau)

    def claimable() -> bool:
        # Work can only be stolen from queues, and queues only grow from pending ranges; once
        # both are empty, steals in flight find nothing (counting them would let idle ranks
        # keep each other retrying forever).
        return state["queued"] > 0 or state["pending"] > 0

    def try_steal(r: int, now: float, idle: bool) -> None:
        me = ranks[r]
        if me.inflight or not me.policy.steals or n_ranks < 2:
            return
        n_me = me.load()  # tasks not yet started (as in the runtime)
        v = me.policy.choose_victim(r, n_ranks, view(r), n_me, me.tau, rng)
        if v is None:
            if idle and claimable():
                push(now + me.backoff, _RETRY, r)
                me.backoff = min(2 * me.backoff, backoff[1])
            return
        me.inflight = True
        state["inflight"] += 1
        me.stats.steals_attempted += 1
        push(now + latency, _AT_VICTIM, r, v)

    def start_next(r: int, now: float) -> None:
        me = ranks[r]
        task = me.queue.take()
        if task is None and me.pending:
            a, b = me.pending.pop(0)
            me.queue.install(a, b)
            state["pending"] -= b - a
            state["queued"] += b - a
            task = me.queue.take()
        if task is not None:
            state["queued"] -= 1
        if task is None:
            me.busy = False
            try_steal(r, now, idle=True)
            return
        me.busy = True
        dur = task_time * factor_at(taus_f, perturbations, r, now)
        push(now + dur, _TASK_DONE, r, task, 0)
        me.cur_dur = dur
        if trace:
            me.stats.trace.append((task, now, now + dur))
        me.stats.busy_s += dur
        # pre-emptive steal right after taking a task, exactly where the runtime checks
        if me.policy.preemptive >= 0 and not me.pending and me.load() <= me.policy.preemptive:
            try_steal(r, now, idle=False)

    for r in range(n_ranks):
        publish(r)
    for r in range(n_ranks):
        start_next(r, 0.0)

    makespan = 0.0
    while events:
        now, _, kind, r, a, b = heapq.heappop(events)
        me = ranks[r]
        if kind == _TASK_DONE:
            state["done"] += 1
            me.stats.tasks += 1
            me.stats.end_s = now
            makespan = max(makespan, now)
            dur = me.cur_dur
            me.tau = dur if me.tau == 0 else alpha * dur + (1 - alpha) * me.tau
            publish(r)
            start_next(r, now)
        elif kind == _AT_VICTIM:
            victim = ranks[a]
            k = me.policy.steal_size(len(victim.queue), victim.tau, me.load(), me.tau)
            got = victim.queue.steal(k) if k >= 1 else None
            if got:
                state["queued"] -= got[1] - got[0]
                state["pending"] += got[1] - got[0]
            push(now + latency, _REPLY, r, *(got if got else (-1, -1)))
        elif kind == _REPLY:
            me.inflight = False
            state["inflight"] -= 1
            ok = a >= 0
            me.policy.on_steal(-1, ok)
            if ok:
                me.stats.steals_ok += 1
                me.stats.tasks_stolen += b - a
                me.pending.append((a, b))
                me.backoff = backoff[0]
                publish(r)
                if not me.busy:
                    start_next(r, now)
            else:
                me.stats.steals_failed += 1
                if not me.busy and claimable():
                    push(now + me.backoff, _RETRY, r)
                    me.backoff = min(2 * me.backoff, backoff[1])
        elif kind == _RETRY:
            if not me.busy and not me.inflight:
                if me.pending or len(me.queue):
                    start_next(r, now)
                else:
                    try_steal(r, now, idle=True)
    if state["done"] != n_tasks:  # pragma: no cover - would be a simulator bug
        raise AssertionError(f"simulation lost tasks: {state['done']} of {n_tasks} executed")
    return RunStats(
        policy=name,
        n_tasks=int(n_tasks),
        taus=[task_time * f for f in taus_f],
        ranks=[x.stats for x in ranks],
        makespan=makespan,
    )
