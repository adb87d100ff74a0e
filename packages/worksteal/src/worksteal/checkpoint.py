"""Checkpoints of completed task results, so that an interrupted long run can resume.

Every rank writes its own part file into one checkpoint directory (no communication and
no master: a rank saves only what it computed). A part holds the task indices the rank
completed in this run and their results; it is rewritten atomically
(:func:`core_utils.save_checkpoint`: a temporary file renamed over the old one), so a run
killed at any moment leaves either the previous or the new version of every part, never a
torn file. Parts of earlier runs are kept: run ``g`` writes ``part-g{g:04d}-r{rank:05d}.npz``
and a resumed run reads every part, skips the tasks already done and schedules only the
rest (on any number of ranks). The directory must be visible to all ranks (one host or a
shared file system).

Results are stored as one pickled list in a ``uint8`` array: load only checkpoints you wrote
yourself (unpickling runs code).
"""

from __future__ import annotations

import os
import pickle
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core_utils import InputError, load_checkpoint, save_checkpoint

_PART = re.compile(r"^part-g(\d{4,})-r(\d{5,})\.npz$")


def part_path(directory: str | os.PathLike[str], generation: int, rank: int) -> Path:
    """Path of the part written by ``rank`` in run ``generation``."""
    return Path(directory) / f"part-g{generation:04d}-r{rank:05d}.npz"


def list_parts(directory: str | os.PathLike[str]) -> list[tuple[int, int, Path]]:
    """``(generation, rank, path)`` of every part file in ``directory`` (sorted)."""
    d = Path(directory)
    if not d.is_dir():
        return []
    out = []
    for p in d.iterdir():
        m = _PART.match(p.name)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), p))
    return sorted(out)


def save_part(path: Path, n_tasks: int, results: dict[int, Any]) -> None:
    """Atomically write one part: the completed task indices and their results."""
    tasks = np.fromiter(results.keys(), dtype=np.int64, count=len(results))
    blob = np.frombuffer(pickle.dumps(list(results.values()), protocol=pickle.HIGHEST_PROTOCOL), np.uint8)
    save_checkpoint(path, {"n_tasks": np.int64(n_tasks), "tasks": tasks, "results": blob})


def load_parts(directory: str | os.PathLike[str], n_tasks: int) -> tuple[dict[int, Any], int]:
    """Merge every part in ``directory``; returns (results by task index, next generation).

    Raises
    ------
    InputError
        When a part was written for a different number of tasks, or names a task index
        outside ``range(n_tasks)`` (a checkpoint of another run).
    """
    done: dict[int, Any] = {}
    parts = list_parts(directory)
    for _, _, path in parts:
        state = load_checkpoint(path)
        written_for = int(state["n_tasks"])
        if written_for != n_tasks:
            raise InputError(
                f"checkpoint part {path.name} was written for {written_for} tasks, this run has "
                f"{n_tasks}: use another checkpoint directory"
            )
        tasks = [int(t) for t in state["tasks"]]
        values = pickle.loads(state["results"].tobytes()) if tasks else []
        if len(values) != len(tasks) or any(not 0 <= t < n_tasks for t in tasks):
            raise InputError(f"checkpoint part {path.name} is inconsistent (task indices or results)")
        done.update(zip(tasks, values, strict=True))
    generation = max((g for g, _, _ in parts), default=-1) + 1
    return done, generation


def prepare(directory: str | os.PathLike[str], n_tasks: int, resume: bool) -> tuple[dict[int, Any], int]:
    """Check the directory before any work; returns (restored results, this run's generation).

    Without ``resume`` the directory must not hold parts already (so two runs never mix by
    accident); with ``resume`` the parts are merged by :func:`load_parts`.
    """
    check_directory(directory, n_tasks, resume)
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    return load_parts(d, n_tasks)


def check_directory(directory: str | os.PathLike[str], n_tasks: int, resume: bool) -> int:
    """Validate ``directory`` for a run of ``n_tasks`` without creating it; returns the
    number of tasks a resumed run would restore (see :func:`prepare`)."""
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise InputError(f"checkpoint path {d} exists and is not a directory")
    parts = list_parts(d)
    if parts and not resume:
        raise InputError(
            f"checkpoint directory {d} already holds {len(parts)} part(s): pass resume=True "
            "(CLI: --resume) to continue that run, or choose an empty directory"
        )
    return len(load_parts(d, n_tasks)[0]) if parts else 0


@dataclass
class PartWriter:
    """Rewrites one rank's part at most every ``every_s`` seconds (and on :meth:`flush`)."""

    path: Path
    n_tasks: int
    every_s: float
    results: dict[int, Any] = field(default_factory=dict)
    _last: float = field(default_factory=time.monotonic)
    _dirty: bool = False
    saves: int = 0

    def add(self, task: int, result: Any) -> None:
        """Record a completed task; save when the interval has passed."""
        self.results[task] = result
        self._dirty = True
        if time.monotonic() - self._last >= self.every_s:
            self.flush()

    def flush(self) -> None:
        """Save now if anything changed since the last save."""
        if self._dirty:
            save_part(self.path, self.n_tasks, self.results)
            self.saves += 1
            self._dirty = False
        self._last = time.monotonic()


def remaining(n_tasks: int, done: Iterable[int]) -> list[int]:
    """Task indices still to run, in order."""
    skip = set(done)
    return [i for i in range(n_tasks) if i not in skip]
