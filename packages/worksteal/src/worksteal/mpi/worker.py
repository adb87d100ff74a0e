"""Entry point run on every rank by :func:`worksteal.mpi.launch.launch`.

``python -m worksteal.mpi.worker CONFIG.json OUT.json``: rank 0 reads the configuration
and broadcasts it (pitfall 6: all ranks must agree), every policy listed is run in turn on
an :class:`~worksteal.emulate.EmulatedWorkload`, and rank 0 writes the statistics. Without
mpi4py the tasks run sequentially in this one process.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from worksteal.emulate import EmulatedWorkload, Perturbation
from worksteal.oracle import optimal_makespan
from worksteal.stats import RankStats, RunStats

EXIT_TASK_FAILED = 3


def workload_from(cfg: dict[str, Any], n_ranks: int) -> EmulatedWorkload:
    """The emulated task body described by a launch configuration."""
    speeds = [cfg["speeds"][i % len(cfg["speeds"])] for i in range(n_ranks)]
    return EmulatedWorkload(
        speeds=tuple(float(s) for s in speeds),
        task_s=float(cfg["task_s"]),
        kind=cfg.get("kind", "sleep"),
        perturbations=tuple(Perturbation(*p) for p in cfg.get("perturbations", [])),
        fail_on=cfg.get("fail_on"),
    )


def _record(stats: RunStats, wall: float) -> dict[str, Any]:
    d = stats.to_dict()
    measured = [r.busy_s / r.tasks for r in stats.ranks if r.tasks]
    # Oracle for the speeds the host actually delivered (sleeps overshoot on a loaded host).
    if len(measured) == stats.n_ranks:
        d["summary"]["c_star_measured"] = optimal_makespan(measured, stats.n_tasks)
        d["summary"]["makespan_over_c_star_measured"] = stats.makespan / d["summary"]["c_star_measured"]
    d["summary"]["wall_s"] = wall
    return d


def _serial(cfg: dict[str, Any]) -> dict[str, Any]:
    work = workload_from(cfg, 1).for_rank(0, time.monotonic())
    st = RankStats(rank=0)
    t0 = time.monotonic()
    for i in range(int(cfg["n_tasks"])):
        s = time.monotonic() - t0
        work(i)
        e = time.monotonic() - t0
        st.tasks += 1
        st.busy_s += e - s
        st.end_s = e
        st.trace.append((i, s, e))
    stats = RunStats("serial", int(cfg["n_tasks"]), [work.task_time(0)], [st], st.end_s)
    return {"n_ranks": 1, "mpi": None, "runs": [_record(stats, st.end_s)]}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cfg_path, out_path = Path(argv[0]), Path(argv[1])
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError):  # mpi4py missing, or no MPI library for it
        cfg = json.loads(cfg_path.read_text())
        out_path.write_text(json.dumps(_serial(cfg)))
        return 0
    from core_utils import InputError
    from worksteal.mpi.runtime import StealConfig, TaskError, run

    comm = MPI.COMM_WORLD
    cfg = comm.bcast(json.loads(cfg_path.read_text()) if comm.Get_rank() == 0 else None, root=0)
    work = workload_from(cfg, comm.Get_size())
    steal_cfg = StealConfig(radius=int(cfg.get("radius", 2)), sizing=cfg.get("sizing", "pairwise"))
    runs = []
    for j, policy in enumerate(cfg["policies"]):
        comm.Barrier()
        t = time.monotonic()
        try:
            res = run(
                work,
                int(cfg["n_tasks"]),
                policy=policy,
                config=steal_cfg,
                seed=int(cfg.get("seed", 0)) + j,
                checkpoint=cfg.get("checkpoint"),
                resume=bool(cfg.get("resume", False)),
                checkpoint_every_s=float(cfg.get("checkpoint_every_s", 10.0)),
            )
        except TaskError as exc:
            if comm.Get_rank() == 0:
                out_path.write_text(json.dumps({"error": str(exc), "task": exc.task, "rank": exc.rank}))
            return EXIT_TASK_FAILED
        except InputError as exc:
            if comm.Get_rank() == 0:
                out_path.write_text(json.dumps({"error": str(exc)}))
            return EXIT_TASK_FAILED
        wall = time.monotonic() - t
        if comm.Get_rank() == 0:
            ok = res.results == list(range(int(cfg["n_tasks"]))) if work.kind == "sleep" else True
            rec = _record(res.stats, wall)
            rec["summary"]["results_ok"] = ok
            rec["summary"]["restored"] = res.restored
            runs.append(rec)
    if comm.Get_rank() == 0:
        payload = {"n_ranks": comm.Get_size(), "mpi": MPI.Get_library_version().splitlines()[0], "runs": runs}
        out_path.write_text(json.dumps(payload))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
