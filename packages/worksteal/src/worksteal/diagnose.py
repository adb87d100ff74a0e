"""Installation checks behind ``worksteal doctor`` (spec pitfall 1)."""

from __future__ import annotations

import json
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from worksteal.mpi.launch import LaunchError, find_mpiexec, launch_module

PROGRESS_OK_S = 0.05
"""An RMA operation on a busy target must complete within this time (the probe spins 0.6 s)."""


def doctor(timeout_s: float = 60.0) -> dict[str, Any]:
    """Report mpi4py/MPI versions and whether passive-target RMA progresses on a busy rank."""
    report: dict[str, Any] = {"mpiexec": find_mpiexec() is not None}
    try:
        report["mpi4py"] = metadata.version("mpi4py")
    except metadata.PackageNotFoundError:
        report.update(mpi4py=None, ok=False, problem="mpi4py is not installed: pip install 'worksteal[mpi]'")
        return report
    if not report["mpiexec"]:
        report.update(ok=False, problem="no mpiexec found next to python or on PATH: pip install mpich")
        return report
    with tempfile.TemporaryDirectory(prefix="worksteal-doctor-") as tmp:
        out = Path(tmp) / "doctor.json"
        proc, _ = launch_module("worksteal.mpi.doctor", [str(out)], 2, timeout_s)
        if proc.returncode != 0 or not out.is_file():
            raise LaunchError(f"the RMA progress probe failed (exit {proc.returncode})")
        report.update(json.loads(out.read_text()))
    epoch = report["lock_all_flush_max_latency_s"]
    report["ok"] = epoch < PROGRESS_OK_S
    report["per_access_lock_stalls"] = report["lock_unlock_max_latency_s"] > PROGRESS_OK_S
    if not report["ok"]:
        report["problem"] = (
            f"one-sided operations on a busy rank took {epoch:.3f} s even inside Lock_all: "
            "this MPI does not progress passive-target RMA; expect steals to wait for victims"
        )
    return report
