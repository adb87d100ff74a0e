"""Named, interchangeable blueprint components: one registry per slot, duplicates refused.

Every component class registers under its slot (``entities``, ``topology``, ``propagation``,
``mixing``, ``readout``, ``head``) with :func:`register`; :func:`build` turns a config table
``{"kind": name, **params}`` back into the component, which is how blueprints load from files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from core_utils import InputError

SLOTS = ("entities", "topology", "propagation", "mixing", "readout", "head")
_REGISTRY: dict[str, dict[str, type]] = {slot: {} for slot in SLOTS}

T = TypeVar("T", bound=type)


def register(slot: str, name: str) -> Callable[[T], T]:
    """Class decorator adding a component to ``slot`` under ``name`` (refuses duplicates)."""
    if slot not in _REGISTRY:
        raise ValueError(f"unknown slot {slot!r}")

    def deco(cls: T) -> T:
        if name in _REGISTRY[slot]:
            raise ValueError(f"{slot} component {name!r} is already registered")
        _REGISTRY[slot][name] = cls
        cls.kind = name  # type: ignore[attr-defined]
        return cls

    return deco


def names(slot: str) -> list[str]:
    """Registered component names of ``slot``."""
    return sorted(_REGISTRY[slot])


def get(slot: str, name: str) -> type:
    if name not in _REGISTRY[slot]:
        raise InputError(f"unknown {slot} component {name!r} (choose from {', '.join(names(slot))})")
    return _REGISTRY[slot][name]


def build(slot: str, cfg: Mapping[str, Any], **context: Any) -> Any:
    """Instantiate a component from ``{"kind": name, **params}`` (plus builder context)."""
    if "kind" not in cfg:
        raise InputError(f"{slot} config needs a 'kind' key (one of {', '.join(names(slot))})")
    params = {k: v for k, v in cfg.items() if k != "kind"}
    cls = get(slot, cfg["kind"])
    try:
        return cls(**params, **context)
    except TypeError as exc:
        raise InputError(f"bad parameters for {slot} component {cfg['kind']!r}: {exc}") from None
