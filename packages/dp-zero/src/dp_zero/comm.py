"""Count the bytes a process hands to ``torch.distributed`` collectives (spec section 5).

:class:`CommCounter` wraps the collective functions of ``torch.distributed`` (the layer every
backend here calls into: DeepSpeed's ``deepspeed.comm``, FSDP2, DDP) so that DP and non-DP runs
can be compared byte for byte. Install it before the backend is initialised, because some
backends keep a reference to the function they found at start-up.
"""

from __future__ import annotations

import functools
from collections import Counter

import torch
import torch.distributed as dist

_NAMES = (
    "all_reduce",
    "all_reduce_coalesced",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "_reduce_scatter_base",
    "all_gather",
    "all_gather_into_tensor",
    "_all_gather_base",
    "broadcast",
    "reduce",
    "all_to_all_single",
)


def _nbytes(obj) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(o) for o in obj)
    return 0


class CommCounter:
    """Bytes of the input tensors passed to each collective while :attr:`enabled` is set."""

    _installed: CommCounter | None = None

    def __init__(self) -> None:
        self.bytes: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.enabled = False

    @classmethod
    def install(cls) -> CommCounter:
        """Wrap the collectives once per process and return the process-wide counter."""
        if cls._installed is not None:
            return cls._installed
        counter = cls()
        for name in _NAMES:
            fn = getattr(dist, name, None)
            if fn is None:
                continue
            setattr(dist, name, counter._wrap(name, fn))
        cls._installed = counter
        return counter

    def _wrap(self, name, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if self.enabled:
                tensors = [a for a in args if isinstance(a, (torch.Tensor, list, tuple))]
                tensors += [v for k, v in kwargs.items() if isinstance(v, (torch.Tensor, list, tuple))]
                # the largest argument is the payload (an output buffer of all_gather, an input of
                # reduce_scatter); counting it once keeps DP and non-DP comparable
                self.bytes[name] += max((_nbytes(t) for t in tensors), default=0)
                self.calls[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    def reset(self) -> None:
        self.bytes.clear()
        self.calls.clear()

    @property
    def total(self) -> int:
        return sum(self.bytes.values())
