"""Wall time and peak memory of a block, for ``bench`` commands and run records."""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB."""
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@dataclass
class Measurement:
    """Filled in when the :func:`measure` block exits.

    Attributes
    ----------
    wall_s : float
        Elapsed wall-clock seconds (``time.perf_counter``).
    peak_rss_mb : float
        Process peak RSS at exit (a high-water mark over the process life).
    peak_traced_mb : float or None
        Peak of Python-level allocations inside the block (numpy included) when
        ``trace=True``; this one is specific to the block.
    """

    wall_s: float = float("nan")
    peak_rss_mb: float = float("nan")
    peak_traced_mb: float | None = None


@contextmanager
def measure(*, trace: bool = False) -> Iterator[Measurement]:
    """Measure wall time and peak memory of a ``with`` block.

    Examples
    --------
    >>> with measure() as m:
    ...     _ = sum(range(1000))
    >>> m.wall_s >= 0
    True
    """
    m = Measurement()
    started_trace = trace and not tracemalloc.is_tracing()
    if started_trace:
        tracemalloc.start()
    if trace:
        tracemalloc.reset_peak()
    t0 = time.perf_counter()
    try:
        yield m
    finally:
        m.wall_s = time.perf_counter() - t0
        if trace:
            m.peak_traced_mb = tracemalloc.get_traced_memory()[1] / 2**20
            if started_trace:
                tracemalloc.stop()
        m.peak_rss_mb = peak_rss_mb()
