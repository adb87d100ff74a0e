"""``worksteal doctor``: does this MPI progress one-sided operations on a busy rank?

Run on 2 ranks: rank 1 spins in pure Python (no MPI calls) while rank 0 times
``Fetch_and_op`` on rank 1's window, first with a ``Lock``/``Unlock`` pair per access, then
inside one ``Lock_all(MODE_NOCHECK)`` epoch with ``Flush`` (spec pitfall 1). The runtime
needs the second to be fast; the first is informational (MPICH stalls until the target
enters MPI).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from mpi4py import MPI  # noqa: TID253 - this module only runs under mpiexec

BUSY_S = 0.6
OPS = 5


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += 1


def _probe(win: MPI.Win, comm: MPI.Intracomm, lock_all: bool) -> float:
    one, res = np.ones(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    t = MPI.INT64_T
    comm.Barrier()
    worst = 0.0
    if comm.Get_rank() == 1:
        _spin(BUSY_S)
    elif comm.Get_rank() == 0:
        time.sleep(0.05)
        for _ in range(OPS):
            s = time.perf_counter()
            if lock_all:
                win.Fetch_and_op([one, t], [res, t], 1, 0, MPI.SUM)
                win.Flush(1)
            else:
                win.Lock(1, MPI.LOCK_SHARED)
                win.Fetch_and_op([one, t], [res, t], 1, 0, MPI.SUM)
                win.Unlock(1)
            worst = max(worst, time.perf_counter() - s)
    comm.Barrier()
    return worst


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    comm = MPI.COMM_WORLD
    if comm.Get_size() < 2:
        if comm.Get_rank() == 0:
            Path(argv[0]).write_text(json.dumps({"error": "doctor needs 2 ranks"}))
        return 0
    win = MPI.Win.Allocate(8, 8, comm=comm)
    per_access = _probe(win, comm, lock_all=False)
    win.Lock_all(MPI.MODE_NOCHECK)
    epoch = _probe(win, comm, lock_all=True)
    win.Unlock_all()
    win.Free()
    if comm.Get_rank() == 0:
        report = {
            "mpi_library": MPI.Get_library_version().splitlines()[0].strip(),
            "mpi_standard": "{}.{}".format(*MPI.Get_version()),
            "busy_target_s": BUSY_S,
            "lock_unlock_max_latency_s": per_access,
            "lock_all_flush_max_latency_s": epoch,
        }
        Path(argv[0]).write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
