"""Scheduling policies shared by the MPI runtime and the discrete-event simulator.

Everything here is pure Python (no MPI): a policy decides *whom* to rob and *how many*
tasks to take, given what a rank knows. The runtime and the simulator only differ in how
that knowledge and the atomic queue operations are carried out.

A2WS equations (spec section 1, reconstructed, unverified against the paper's PDF):

* ideal share ``n_i* = N (1/tau_i) / sum_j (1/tau_j)``;
* victim = the rank within ring radius ``R`` with the largest predicted finish time
  ``n_j tau_j`` (equivalently the largest surplus); random when nothing is known;
* offload size from victim ``v`` to thief ``t`` so both finish together:
  ``k = (n_v tau_v - n_t tau_t) / (tau_v + tau_t)``, rounded to the neighbouring integer
  that gives the smaller of the two finish times (so finish times agree within one task);
  steal only if ``k >= 1`` and the time gained exceeds the steal latency.

The offload size is the ideal share applied to the victim-thief pair: with
``N = n_v + n_t`` the thief's ideal share is ``N tau_v / (tau_v + tau_t)``, and
``n_t* - n_t`` is exactly ``k`` above. This pairwise sizing is the default. The alternative
``sizing="ideal"`` (:func:`ideal_steal_size`) applies the ideal share to every rank the thief
knows; it gave larger simulated makespans at 64-4096 ranks (README), so it is opt-in.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from core_utils import InputError

POLICIES = ("a2ws", "random", "ctws", "static", "master")
"""Policy names: the paper's method, three baselines in the same runtime, and master-worker."""


def ideal_distribution(n_total: float, taus: Sequence[float]) -> np.ndarray:
    """Ideal (fluid) task shares ``n_i* = N (1/tau_i) / sum_j (1/tau_j)`` (spec section 1).

    Equal finish times ``n_i* tau_i`` for every rank; the shares sum to ``N``.
    """
    tau = np.asarray(taus, dtype=float)
    if tau.size == 0 or np.any(~np.isfinite(tau)) or np.any(tau <= 0):
        raise InputError(f"task times must be finite and > 0, got {tau.tolist()}")
    if n_total < 0:
        raise InputError(f"number of tasks must be >= 0, got {n_total}")
    speed = 1.0 / tau
    return n_total * speed / speed.sum()


def offload_size(
    n_victim: int, tau_victim: float, n_thief: float, tau_thief: float, in_progress: float = 0.0
) -> int:
    """Tasks to move from victim to thief so both finish together (spec section 1).

    The real-valued balance point is ``k* = (n_v tau_v - n_t tau_t) / (tau_v + tau_t)``;
    ``in_progress`` adds that many task times to the victim's finish time for the task it is
    executing (it cannot be stolen; 0.5 is its expected remaining fraction).
    of ``floor(k*)`` and ``ceil(k*)`` the one with the smaller ``max`` of the two finish
    times ``(n_v - k) tau_v`` and ``(n_t + k) tau_t`` is returned (ties: the smaller ``k``).
    The result lies in ``[0, n_v]``: a steal never moves a negative number of tasks.
    """
    if n_victim <= 0:
        return 0
    if not (tau_victim > 0 and tau_thief > 0):
        return max(1, n_victim // 2) if n_thief == 0 else 0
    nv = n_victim + in_progress
    kstar = (nv * tau_victim - n_thief * tau_thief) / (tau_victim + tau_thief)
    if kstar <= 0:
        return 0
    lo, hi = math.floor(kstar), math.ceil(kstar)

    def worst(k: int) -> float:
        return max((nv - k) * tau_victim, (n_thief + k) * tau_thief)

    k = lo if worst(lo) <= worst(hi) else hi
    return int(min(max(k, 0), n_victim))


def ideal_steal_size(known: Mapping[int, tuple[int, float]], victim: int, thief: int) -> int:
    """Offload size from the ideal distribution over the ranks the thief knows.

    With ``N = sum_j n_j`` over ``known`` (thief and victim included) and the ideal shares
    ``n_j*`` of :func:`ideal_distribution`, the thief takes
    ``k = round(min(n_v - n_v*, n_t* - n_t))``: the victim keeps its ideal share and the
    thief fills its own deficit, so that one steal does not overshoot when several thieves
    serve one slow rank (the pairwise :func:`offload_size` would equalise only the pair).
    Returns 0 when either side has no surplus / deficit.
    """
    ranks = [j for j, (_, tau) in known.items() if tau > 0]
    if victim not in ranks or thief not in ranks:
        return 0
    n = np.array([known[j][0] for j in ranks], dtype=float)
    share = ideal_distribution(float(n.sum()), [known[j][1] for j in ranks])
    iv, it = ranks.index(victim), ranks.index(thief)
    k = min(n[iv] - share[iv], share[it] - n[it])
    return int(min(max(round(k), 0), n[iv]))


def steal_gain(n_victim: float, tau_victim: float, n_thief: float, tau_thief: float, k: int) -> float:
    """Reduction of the pair's later finish time when ``k`` tasks move (0 if none)."""
    before = max(n_victim * tau_victim, n_thief * tau_thief)
    after = max((n_victim - k) * tau_victim, (n_thief + k) * tau_thief)
    return before - after


def ring_neighbours(me: int, n_ranks: int, radius: int) -> list[int]:
    """Ranks within ring distance ``radius`` of ``me`` (both directions, no duplicates).

    A radius above ``floor(P / 2)`` is clipped to ``floor(P / 2)`` (spec, bad input).
    """
    if radius < 1:
        raise InputError(f"radius must be >= 1, got {radius}")
    return list(_ring(int(me), int(n_ranks), min(int(radius), n_ranks // 2)))


@functools.lru_cache(maxsize=8192)
def _ring(me: int, n_ranks: int, r: int) -> tuple[int, ...]:
    out: list[int] = []
    for d in range(1, r + 1):
        for j in ((me + d) % n_ranks, (me - d) % n_ranks):
            if j != me and j not in out:
                out.append(j)
    return tuple(out)


def select_victim(
    view: Mapping[int, tuple[int, float]],
    me: int,
    n_ranks: int,
    radius: int,
    n_me: int = 0,
    tau_me: float = 0.0,
    latency: float = 0.0,
    in_progress: float = 0.0,
) -> int | None:
    """A2WS victim: the neighbour within ``radius`` with the largest ``n_j tau_j``.

    Parameters
    ----------
    view : mapping rank -> (remaining tasks, mean task time)
        What ``me`` knows; entries with unknown time (``<= 0``) or outside the radius are
        ignored.
    n_me, tau_me : int, float
        The thief's own remaining tasks and task time; when ``tau_me > 0`` a victim is only
        returned if moving ``offload_size`` tasks gains more than ``latency``.
    """
    best, best_finish = None, 0.0
    for j in ring_neighbours(me, n_ranks, radius):
        if j not in view:
            continue
        n_j, tau_j = view[j]
        if n_j < 1 or not tau_j > 0:
            continue
        finish = n_j * tau_j
        if finish <= best_finish:
            continue
        if tau_me > 0:
            k = offload_size(n_j, tau_j, n_me, tau_me, in_progress)
            if k < 1 or steal_gain(n_j + in_progress, tau_j, n_me, tau_me, k) <= latency:
                continue
        best, best_finish = j, finish
    return best


@dataclass
class Policy:
    """Base policy: never steals (the static partition)."""

    name: str = "static"
    steals: bool = False
    preemptive: int = -1
    """Steal while still working once the local queue holds ``<= preemptive`` tasks (-1: never)."""

    def choose_victim(
        self,
        me: int,
        n_ranks: int,
        view: Mapping[int, tuple[int, float]],
        n_me: int,
        tau_me: float,
        rng: random.Random,
    ) -> int | None:
        return None

    def steal_size(self, n_victim: int, tau_victim: float, n_thief: int, tau_thief: float) -> int:
        return 0

    def on_steal(self, victim: int, ok: bool) -> None:
        """Feedback after a steal attempt (used by the ring policy)."""


def _random_other(me: int, n_ranks: int, rng: random.Random) -> int | None:
    if n_ranks < 2:
        return None
    j = rng.randrange(n_ranks - 1)
    return j if j < me else j + 1


def _half(n_victim: int) -> int:
    return (n_victim + 1) // 2 if n_victim > 0 else 0


@dataclass
class StaticPolicy(Policy):
    """Equal block partition, no load balancing (lower reference)."""


@dataclass
class RandomPolicy(Policy):
    """Random-victim work stealing, steal half, only when idle (classic baseline)."""

    name: str = "random"
    steals: bool = True

    def choose_victim(self, me, n_ranks, view, n_me, tau_me, rng):
        return _random_other(me, n_ranks, rng)

    def steal_size(self, n_victim, tau_victim, n_thief, tau_thief):
        return _half(n_victim)


@dataclass
class CTWSPolicy(Policy):
    """Ring-ordered ("cyclic token") stealing in the spirit of CTWS (Assis et al. 2019).

    An idle rank visits victims in ring order starting at its right neighbour, stays on a
    victim while it yields work and moves the token on after a failure; steals half. This
    is a simplified, uninformed ring variant (recon), not the published CTWS code.
    """

    name: str = "ctws"
    steals: bool = True
    _next: int = field(default=1, repr=False)

    def choose_victim(self, me, n_ranks, view, n_me, tau_me, rng):
        if n_ranks < 2:
            return None
        offset = (self._next - 1) % (n_ranks - 1) + 1
        return (me + offset) % n_ranks

    def steal_size(self, n_victim, tau_victim, n_thief, tau_thief):
        return _half(n_victim)

    def on_steal(self, victim, ok):
        if not ok:
            self._next += 1


@dataclass
class A2WSPolicy(Policy):
    """Adaptive asynchronous work stealing (Fernandes et al. 2024), spec section 1.

    Parameters
    ----------
    radius : int
        Ring radius ``R`` of the load information (spec suggestion 2).
    preemptive : int
        Steal pre-emptively once the local queue holds ``<= preemptive`` tasks (spec
        suggestion 1).
    latency : float
        Steal latency estimate in seconds; a steal must gain more than this.
    fallback_random : bool
        When idle and no informed victim exists, try a random rank (spec: "fallback without
        information: random").
    """

    name: str = "a2ws"
    steals: bool = True
    preemptive: int = 1
    radius: int = 2
    latency: float = 0.0
    fallback_random: bool = True
    in_progress: float = 0.0
    """Expected unfinished fraction of the victim's current task, counted in its finish time."""
    sizing: str = "pairwise"
    """``ideal`` (:func:`ideal_steal_size` over the known ranks) or ``pairwise`` (:func:`offload_size`)."""
    _known: dict[int, tuple[int, float]] = field(default_factory=dict, repr=False)
    _me: int = field(default=-1, repr=False)
    _victim: int = field(default=-1, repr=False)

    def choose_victim(self, me, n_ranks, view, n_me, tau_me, rng):
        j = select_victim(view, me, n_ranks, self.radius, n_me, tau_me, self.latency, self.in_progress)
        informed = j is not None
        if j is None and n_me == 0 and self.fallback_random:
            j = _random_other(me, n_ranks, rng)
        self._known = {**view, me: (n_me, tau_me)} if informed else {}
        self._me, self._victim = me, (j if j is not None else -1)
        return j

    def steal_size(self, n_victim, tau_victim, n_thief, tau_thief):
        if not tau_victim > 0:
            tau_victim = tau_thief
        pair = offload_size(n_victim, tau_victim, n_thief, tau_thief, self.in_progress)
        if self.sizing != "ideal" or not self._known or not tau_thief > 0:
            return pair
        known = {**self._known, self._me: (n_thief, tau_thief), self._victim: (n_victim, tau_victim)}
        # never more than the pairwise balance point: the pair must still finish together
        return min(pair, ideal_steal_size(known, self._victim, self._me))


_FACTORIES: dict[str, Callable[..., Policy]] = {
    "a2ws": A2WSPolicy,
    "adaptive": A2WSPolicy,
    "random": RandomPolicy,
    "ctws": CTWSPolicy,
    "static": StaticPolicy,
}


def canonical_policy(name: str) -> str:
    """Normalise a policy name (``adaptive`` is an alias of ``a2ws``); reject unknown names."""
    key = str(name).lower()
    if key == "adaptive":
        return "a2ws"
    if key not in POLICIES:
        raise InputError(f"unknown policy {name!r}; choose one of {', '.join(POLICIES)} (or 'adaptive')")
    return key


def make_policy(
    name: str, *, radius: int = 2, latency: float = 0.0, preemptive: int = 1, sizing: str = "pairwise"
) -> Policy:
    """A fresh per-rank policy object by name (``master`` is run by the runtime itself)."""
    key = canonical_policy(name)
    if radius < 1:
        raise InputError(f"radius must be >= 1, got {radius}")
    if key == "master":
        raise InputError("the master-worker baseline has no stealing policy object")
    if sizing not in ("ideal", "pairwise"):
        raise InputError(f"sizing must be 'pairwise' or 'ideal', got {sizing!r}")
    if key == "a2ws":
        return A2WSPolicy(radius=radius, latency=latency, preemptive=preemptive, sizing=sizing)
    return _FACTORIES[key]()
