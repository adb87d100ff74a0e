"""Atomic files and the ``result.json`` run record every CLI command writes."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

RESULT_FILE = "result.json"


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one.

    The bytes go to a temporary file in the same folder, are fsynced, and the
    file is renamed over ``path`` (``os.replace`` is atomic on POSIX and
    Windows). An interruption leaves at most a stray temporary file, never a
    truncated ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return path
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, paths, dataclasses and tensors to JSON types."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    if hasattr(obj, "tolist"):  # numpy arrays/scalars, torch tensors
        return _jsonable(obj.tolist())
    if hasattr(obj, "item"):
        return _jsonable(obj.item())
    return repr(obj)


def package_versions(names: Iterable[str]) -> dict[str, str | None]:
    """Installed versions of the named distributions (None where absent)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(cwd: str | os.PathLike[str] | None = None) -> str | None:
    """The current git commit of ``cwd`` (or the working folder), if any."""
    try:
        res = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() or None if res.returncode == 0 else None


def write_result(
    out_dir: str | os.PathLike[str],
    *,
    command: str | list[str],
    config: Any = None,
    seed: int | None = None,
    metrics: Mapping[str, Any] | None = None,
    wall_time_s: float | None = None,
    peak_memory_mb: float | None = None,
    packages: Iterable[str] = (),
    headline: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``<out_dir>/result.json`` atomically and return its path.

    Parameters
    ----------
    out_dir : path
        Output folder (created if needed).
    command : str or list of str
        The command that produced the result (e.g. ``sys.argv``).
    config : dataclass or mapping, optional
        The fully resolved configuration.
    seed : int, optional
        The seed used.
    metrics : mapping, optional
        The numbers the command computed.
    wall_time_s, peak_memory_mb : float, optional
        From :func:`core_utils.measure`.
    packages : iterable of str
        Distribution names whose versions to record (core-utils, numpy and
        torch are always recorded).
    headline : str, optional
        One line summarising the result (shown in the demo report).
    extra : mapping, optional
        Further fields stored at top level.
    """
    names = ["core-utils", "numpy", "torch", *packages]
    record: dict[str, Any] = {
        "command": command if isinstance(command, str) else " ".join(map(str, command)),
        "config": _jsonable(config) if config is not None else None,
        "seed": seed,
        "metrics": _jsonable(dict(metrics or {})),
        "headline": headline,
        "wall_time_s": wall_time_s,
        "peak_memory_mb": peak_memory_mb,
        "versions": {k: v for k, v in package_versions(dict.fromkeys(names)).items()},
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": git_commit(),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    if extra:
        record.update(_jsonable(dict(extra)))
    text = json.dumps(record, indent=2, sort_keys=False) + "\n"
    return atomic_write_text(Path(out_dir) / RESULT_FILE, text)


def read_result(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Load ``<out_dir>/result.json``."""
    return json.loads((Path(out_dir) / RESULT_FILE).read_text(encoding="utf-8"))
