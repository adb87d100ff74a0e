"""Launch ``N`` worker processes with ``torchrun`` on a free loopback port, with a hard timeout.

A hang (for example a collective that never completes) fails fast: the whole process group the
launcher started is killed when the timeout expires and :class:`LaunchError` carries the log tail.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from core_utils import InputError


class LaunchError(RuntimeError):
    """A worker group failed or timed out."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(spec: dict[str, Any], *, nproc: int, timeout: float = 300.0, threads: int = 1) -> dict[str, Any]:
    """Run ``python -m dp_zero.worker`` on ``nproc`` ranks and return rank 0's JSON result.

    ``spec`` is the worker's task description (``task``, ``config``); ``spec["out"]`` is set to a
    folder the workers write to (a temporary one unless given).
    """
    if nproc < 1:
        raise InputError(f"--nproc must be >= 1, got {nproc}")
    with tempfile.TemporaryDirectory(prefix="dp-zero-") as tmp:
        spec = dict(spec)
        spec.setdefault("out", tmp)
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        cmd = [
            sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", str(nproc),
            "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
            "-m", "dp_zero.worker", str(spec_path),
        ]  # fmt: skip
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")
        env.setdefault("DS_ACCELERATOR", "cpu" if not _cuda() else "cuda")
        log_path = Path(tmp) / "log.txt"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise LaunchError(f"workers timed out after {timeout:.0f} s:\n{_tail(log_path)}") from None
        if code != 0:
            raise LaunchError(f"workers exited with code {code}:\n{_tail(log_path)}")
        result_path = Path(spec["out"]) / "worker_result.json"
        if not result_path.is_file():
            raise LaunchError(f"workers wrote no result:\n{_tail(log_path)}")
        return json.loads(result_path.read_text(encoding="utf-8"))


def _tail(path: Path, n: int = 4000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-n:]


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
