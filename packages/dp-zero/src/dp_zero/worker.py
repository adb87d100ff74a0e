"""Worker process entry point: ``python -m dp_zero.worker SPEC.json`` (started by :mod:`dp_zero.launch`).

Initialises the process group for the spec's backend, runs the task and lets rank 0 write
``worker_result.json``.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import warnings
from pathlib import Path


def _init(backend: str, timeout_s: float) -> tuple[int, int]:
    from datetime import timedelta

    import torch.distributed as dist

    # a collective that never completes (a peer died) raises after timeout_s instead of hanging
    timeout = timedelta(seconds=timeout_s)
    if backend == "deepspeed":
        from dp_zero.backends.deepspeed import init_distributed

        init_distributed(timeout=timeout)
    else:
        dist.init_process_group("gloo", timeout=timeout)
    return dist.get_rank(), dist.get_world_size()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # a native crash (an abort inside a C++ library) prints the Python stack of every thread
    faulthandler.enable(all_threads=True)
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    # torch.distributed's deprecation notices for the collectives DeepSpeed calls are noise here
    warnings.filterwarnings("ignore", category=FutureWarning)
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    if spec.get("comm_counter"):
        from dp_zero.comm import CommCounter

        CommCounter.install()
    rank, world = _init(spec["backend"], float(spec.get("collective_timeout_s", 600)))
    task = spec["task"]
    if task == "check":
        from dp_zero.checks import run_checks

        result = run_checks(spec["config"], rank, world)
    elif task == "train":
        from dp_zero.training import TrainConfig, train

        result = train(TrainConfig(**spec["config"]), rank=rank, world_size=world)
    elif task == "train_sequence":
        # several runs one after another in the same process group (e.g. a run, an interrupted
        # run and its resumption): each builds its model, backend and engine from scratch
        from dp_zero.training import TrainConfig, train

        result = {"runs": [train(TrainConfig(**c), rank=rank, world_size=world) for c in spec["config"]]}
    elif task == "bench":
        from dp_zero.bench import bench_worker

        result = bench_worker(spec["config"], rank, world)
    else:
        raise SystemExit(f"unknown task {task!r}")
    if rank == 0:
        path = Path(spec["out"]) / "worker_result.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        tmp.replace(path)
    import torch.distributed as dist

    dist.barrier()
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
