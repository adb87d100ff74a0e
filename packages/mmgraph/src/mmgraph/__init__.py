"""The four-component blueprint for multimodal graph learning, on PyTorch Geometric.

Paper: Ektefaie, Dasoulas, Noori, Farhat, Zitnik. Multimodal learning with graphs. Nature Machine
Intelligence 5, 2023 (arXiv:2209.03299).

Public surface: :class:`MGLBlueprint` (entities -> topology -> propagation -> mixing, plus readout
and head), the presets (:data:`PRESETS`, :func:`build_preset`), the tasks (:func:`load_task`),
:func:`make_data`, :func:`fit` and the ablation runner. Names are imported on first use, so
``import mmgraph`` and ``mmgraph --help`` stay fast (torch and torch_geometric load lazily).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "MGLBlueprint": "mmgraph.blueprint",
    "load_config": "mmgraph.blueprint",
    "Task": "mmgraph.datasets",
    "load_tables": "mmgraph.datasets",
    "load_task": "mmgraph.datasets",
    "make_data": "mmgraph.entities",
    "CATALOGUE": "mmgraph.presets",
    "PRESETS": "mmgraph.presets",
    "build_preset": "mmgraph.presets",
    "fit": "mmgraph.training",
    "evaluate": "mmgraph.training",
    "default_variants": "mmgraph.ablation",
    "run_ablation": "mmgraph.ablation",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mmgraph' has no attribute {name!r}")
