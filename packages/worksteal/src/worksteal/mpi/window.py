"""RMA window layout and atomic operations of the A2WS runtime (spec section 6, pitfalls 1-3).

Each rank exposes one int64 window::

    [QUEUE, TAU, DONE, ABORT, info(offset d_0), info(offset d_1), ...]

* ``QUEUE`` -- the packed head/tail word (:mod:`worksteal.queue`); changed only by
  compare-and-swap, by the owner (head) and by thieves (tail).
* ``TAU`` -- the owner's moving-average task time in ns (single writer: the owner).
* ``DONE``, ``ABORT`` -- used on rank 0 only: global completed-task counter (fetch-and-add)
  and the first failing task index + 1 (compare-and-swap).
* ``info(d)`` -- three slots ``(remaining, tau_ns, version)`` holding the load information of
  rank ``(me + d) mod P`` for every ring offset ``0 < |d| <= R``. Slot ``d`` of rank ``j`` is
  written only by rank ``j + d``: every slot has exactly one writer.

The whole run is one passive-target epoch, ``Lock_all(MODE_NOCHECK)``, and each operation is
completed with ``Flush(target)``. Per-access ``Lock``/``Unlock`` stalls under MPICH until a
busy target calls MPI (pitfall 1); the epoch-wide lock progresses without a helper thread.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI  # noqa: TID253 - imported only by code that runs under MPI

QUEUE, TAU, DONE, ABORT = 0, 1, 2, 3
_T = MPI.INT64_T
# Origin and target must carry the same datatype: numpy int64 alone maps to MPI.LONG, and
# MPICH rejects LONG against an INT64_T target ("datatype signature does not match", pitfall 2).
INFO0 = 4
INFO_WIDTH = 3


def ring_offsets(n_ranks: int, radius: int) -> list[int]:
    """Signed ring offsets ``+1, -1, +2, -2, ...`` up to ``min(R, P // 2)``."""
    r = min(int(radius), n_ranks // 2)
    out: list[int] = []
    for d in range(1, r + 1):
        out += [d, -d]
    return out


class LoadWindow:
    """One rank's view of the shared RMA window (allocate, lock_all, atomics, free).

    Parameters
    ----------
    comm : mpi4py.MPI.Intracomm
        The communicator of the run (collective construction).
    radius : int
        Information radius ``R``.
    """

    def __init__(self, comm: MPI.Intracomm, radius: int) -> None:
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.offsets = ring_offsets(self.size, radius)
        self.n_slots = INFO0 + INFO_WIDTH * len(self.offsets)
        self.win = MPI.Win.Allocate(self.n_slots * 8, 8, comm=comm)
        self.local = np.frombuffer(self.win.tomemory(), dtype=np.int64)
        self.ops = 0
        self._res1 = np.zeros(1, dtype=np.int64)
        self._locked = False

    def start(self, queue_word: int) -> None:
        """Initialise the local slots, open the run-long epoch, and synchronise (collective)."""
        self.local[:] = 0
        self.local[QUEUE] = queue_word
        self.comm.Barrier()
        self.win.Lock_all(MPI.MODE_NOCHECK)
        self._locked = True
        self.win.Sync()
        self.comm.Barrier()
        self.win.Sync()

    def close(self) -> None:
        """Close the epoch and free the window (collective)."""
        if self._locked:
            self.win.Unlock_all()
            self._locked = False
        self.win.Free()

    # -- atomic primitives ---------------------------------------------------------------
    def fetch(self, target: int, disp: int, count: int = 1) -> np.ndarray:
        """Atomic read of ``count`` slots (``Get_accumulate`` with ``NO_OP``)."""
        origin = np.zeros(count, dtype=np.int64)
        result = np.zeros(count, dtype=np.int64)
        self.win.Get_accumulate([origin, _T], [result, _T], target, (disp, count, _T), MPI.NO_OP)
        self.win.Flush(target)
        self.ops += 1
        return result

    def fetch_add(self, target: int, disp: int, values: np.ndarray) -> np.ndarray:
        """Atomic element-wise add; returns the previous values."""
        values = np.ascontiguousarray(values, dtype=np.int64)
        result = np.zeros_like(values)
        self.win.Get_accumulate([values, _T], [result, _T], target, (disp, values.size, _T), MPI.SUM)
        self.win.Flush(target)
        self.ops += 1
        return result

    def cas(self, target: int, disp: int, compare: int, new: int) -> int:
        """Atomic compare-and-swap of one slot; returns the previous value."""
        self.win.Compare_and_swap(
            [np.array([new], dtype=np.int64), _T],
            [np.array([compare], dtype=np.int64), _T],
            [self._res1, _T],
            target,
            disp,
        )
        self.win.Flush(target)
        self.ops += 1
        return int(self._res1[0])

    def replace(self, target: int, disp: int, values: np.ndarray) -> None:
        """Atomic element-wise overwrite (``Accumulate`` with ``REPLACE``)."""
        values = np.ascontiguousarray(values, dtype=np.int64)
        self.win.Accumulate([values, _T], target, (disp, values.size, _T), MPI.REPLACE)
        self.win.Flush(target)
        self.ops += 1

    # -- load information ----------------------------------------------------------------
    def publish(self, remaining: int, tau_ns: int, version: int) -> None:
        """Write ``(remaining, tau, version)`` into every ring neighbour's slot for me, and TAU."""
        self.replace(self.rank, TAU, np.array([tau_ns], dtype=np.int64))
        vals = np.array([remaining, tau_ns, version], dtype=np.int64)
        for i, d in enumerate(self.offsets):
            target = (self.rank - d) % self.size
            self.replace(target, INFO0 + INFO_WIDTH * i, vals)

    def view(self) -> dict[int, tuple[int, float]]:
        """What I know: ``{rank: (remaining, tau seconds)}`` for ranks within the radius."""
        if not self.offsets:
            return {}
        block = self.fetch(self.rank, INFO0, INFO_WIDTH * len(self.offsets)).reshape(-1, INFO_WIDTH)
        out: dict[int, tuple[int, float]] = {}
        for i, d in enumerate(self.offsets):
            remaining, tau_ns, version = (int(x) for x in block[i])
            if version > 0:
                out[(self.rank + d) % self.size] = (remaining, tau_ns * 1e-9)
        return out
