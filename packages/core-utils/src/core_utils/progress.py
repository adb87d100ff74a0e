"""A tqdm progress bar that stays quiet off a terminal or when asked."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class _Silent:
    """Stand-in with tqdm's surface for when no bar should be drawn."""

    def __init__(self, iterable: Iterable[Any] | None = None, total: int | None = None) -> None:
        self._iterable = iterable
        self.total = total
        self.n = 0

    def __iter__(self) -> Iterator[Any]:
        for item in () if self._iterable is None else self._iterable:
            self.n += 1
            yield item

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str | None = None,
    quiet: bool = False,
    force: bool = False,
    **kwargs: Any,
) -> Any:
    """Wrap ``iterable`` in a tqdm bar on stderr.

    The bar is drawn only when stderr is a terminal (or ``force=True``), tqdm
    is installed, and ``quiet`` is false; otherwise an object with the same
    ``update``/``set_postfix``/``close`` methods is returned, so callers need
    no branches.
    """
    show = not quiet and (force or sys.stderr.isatty())
    if show:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            show = False
    if not show:
        return _Silent(iterable, total=total)
    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, **kwargs)
