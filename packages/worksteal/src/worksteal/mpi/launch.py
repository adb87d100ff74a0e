"""Launch the runtime under ``mpiexec`` from a normal Python process (used by the CLI and tests).

The launcher prefers the ``mpiexec`` installed next to the running interpreter (the one the
``mpich`` wheel puts in a virtual environment's ``bin``), then ``PATH``. Without any
``mpiexec`` it warns and runs one process (a singleton MPI run, or sequential without mpi4py).
Every launch has a wall-clock limit; on expiry the whole process group is killed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class LaunchError(RuntimeError):
    """The MPI job failed, timed out, or a task raised (message names the cause)."""


def find_mpiexec() -> str | None:
    """Path of ``mpiexec``: next to ``sys.executable`` first, then on ``PATH``."""
    local = Path(sys.executable).parent / "mpiexec"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which("mpiexec")


def _run(cmd: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # our own job's process group only
        proc.communicate()
        raise LaunchError(f"the MPI job did not finish within {timeout_s:g} s and was killed") from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def launch_module(
    module: str, args: list[str], n_ranks: int, timeout_s: float = 300.0
) -> tuple[subprocess.CompletedProcess, bool]:
    """Run ``python -m module args`` on ``n_ranks`` ranks; returns (process, fell_back)."""
    mpiexec = find_mpiexec()
    fell_back = mpiexec is None
    if fell_back:
        msg = f"mpiexec not found: running 1 process instead of {n_ranks} (pip install 'worksteal[mpi]')"
        log.warning(msg)
        print(f"warning: {msg}", file=sys.stderr)
        cmd = [sys.executable, "-m", module, *args]
    else:
        cmd = [mpiexec, "-n", str(n_ranks), sys.executable, "-m", module, *args]
    return _run(cmd, timeout_s), fell_back


def launch(config: dict[str, Any], n_ranks: int, timeout_s: float = 300.0) -> dict[str, Any]:
    """Run :mod:`worksteal.mpi.worker` with ``config`` on ``n_ranks`` ranks; return its JSON.

    Raises
    ------
    LaunchError
        When a task raised (message names the task and rank), the job failed or timed out.
    """
    with tempfile.TemporaryDirectory(prefix="worksteal-") as tmp:
        cfg_path, out_path = Path(tmp) / "config.json", Path(tmp) / "out.json"
        cfg_path.write_text(json.dumps(config))
        proc, fell_back = launch_module(
            "worksteal.mpi.worker", [str(cfg_path), str(out_path)], n_ranks, timeout_s
        )
        payload = json.loads(out_path.read_text()) if out_path.is_file() else None
    if payload and "error" in payload:
        raise LaunchError(payload["error"])
    if proc.returncode != 0 or payload is None:
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-5:]
        raise LaunchError(f"the MPI job exited with code {proc.returncode}: {' | '.join(tail)}")
    payload["fell_back"] = fell_back
    return payload
