"""Head-tail task-index queues packed into one 64-bit word (spec section 1, mechanism 5).

A rank's queue is a half-open range ``[head, tail)`` of global task indices. The owner
takes from the head, thieves take from the tail. Both ends live in ONE int64 word
(head in the high 32 bits, tail in the low 32 bits), so every change is a single
compare-and-swap: the owner's ``(h, t) -> (h + 1, t)`` and a thief's ``(h, t) -> (h, t - k)``
can never hand out the same index. The same functions drive the MPI runtime (on RMA
window words) and the discrete-event simulator (on plain integers).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_INDEX = 2**31 - 1


def pack(head: int, tail: int) -> int:
    """The queue word of ``[head, tail)``."""
    if not 0 <= head <= MAX_INDEX or not 0 <= tail <= MAX_INDEX:
        raise ValueError(f"task indices must be in [0, 2**31), got head={head}, tail={tail}")
    return (head << 32) | tail


def unpack(word: int) -> tuple[int, int]:
    """``(head, tail)`` of a queue word."""
    word = int(word)
    return (word >> 32) & 0xFFFFFFFF, word & 0xFFFFFFFF


def remaining(word: int) -> int:
    """Tasks still in the queue (never negative)."""
    h, t = unpack(word)
    return max(0, t - h)


def owner_take(word: int) -> tuple[int, int] | None:
    """The owner's transition: ``(new_word, task)`` or ``None`` if the queue is empty."""
    h, t = unpack(word)
    if h >= t:
        return None
    return pack(h + 1, t), h


def thief_take(word: int, k: int) -> tuple[int, tuple[int, int]] | None:
    """A thief's transition taking ``k`` tasks from the tail: ``(new_word, (start, stop))``.

    ``k`` is clipped to the tasks present; ``None`` when nothing can be taken.
    """
    h, t = unpack(word)
    k = min(int(k), t - h)
    if k < 1:
        return None
    return pack(h, t - k), (t - k, t)


@dataclass
class TaskQueue:
    """Pure in-memory model of one rank's queue (used by the simulator and tests)."""

    word: int

    @classmethod
    def of(cls, start: int, stop: int) -> TaskQueue:
        return cls(pack(start, stop))

    def __len__(self) -> int:
        return remaining(self.word)

    def take(self) -> int | None:
        step = owner_take(self.word)
        if step is None:
            return None
        self.word, task = step
        return task

    def steal(self, k: int) -> tuple[int, int] | None:
        step = thief_take(self.word, k)
        if step is None:
            return None
        self.word, rng = step
        return rng

    def install(self, start: int, stop: int) -> None:
        """Replace an EMPTY queue by a new range (the owner publishing stolen work)."""
        if len(self):
            raise RuntimeError("install on a non-empty queue would lose tasks")
        self.word = pack(start, stop)
