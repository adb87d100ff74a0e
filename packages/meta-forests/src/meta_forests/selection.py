"""Choosing a meta-forests variant by model selection on the source domains only.

:func:`select_variant` fits every candidate variant of :data:`meta_forests.benchmark.META_VARIANTS`
under a source-only selection protocol of DomainBed (Gulrajani & Lopez-Paz 2021, Sec. 3;
``domainbed/model_selection.py``) and returns the variant with the best mean validation accuracy:

``"leave-one-domain-out"`` (``LeaveOneOutSelectionMethod``)
    every training domain is held out in turn; candidates are fitted on the other training domains
    and scored on the held-out one (the closest source-only imitation of an unseen domain);
``"training-domain"`` (``IIDAccuracySelectionMethod``)
    20% of every training domain is held out; candidates are fitted on the rest.

This is the procedure used to check the package default (:data:`meta_forests.benchmark.DEFAULT_VARIANT`):
the data passed here are the user's *source* domains; no target data are involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core_utils import InputError, derive_seed, progress
from meta_forests.benchmark import DEFAULT_VARIANT, META_VARIANTS, make_method
from meta_forests.splits import SELECTION_PROTOCOLS, validation_score

__all__ = ["SelectionResult", "format_selection", "select_variant"]


@dataclass
class SelectionResult:
    """Validation accuracy of every candidate (mean over seeds) and the selected variant."""

    protocol: str
    candidates: list[str]
    per_seed: dict[str, list[float]]
    default: str = DEFAULT_VARIANT
    scores: dict[str, float] = field(init=False)
    best: str = field(init=False)

    def __post_init__(self) -> None:
        self.scores = {m: float(np.mean(v)) for m, v in self.per_seed.items()}
        self.best = max(self.candidates, key=lambda m: self.scores[m])

    @property
    def agrees_with_default(self) -> bool:
        """Whether the selected variant is the package default."""
        return self.best == self.default


def select_variant(
    X: np.ndarray,
    y: np.ndarray,
    domains: np.ndarray,
    *,
    candidates: Sequence[str] = tuple(META_VARIANTS),
    protocol: str = "leave-one-domain-out",
    seeds: Sequence[int] = (0,),
    n_trees: int = 200,
    n_meta_tasks: int = 10,
    n_jobs: int | None = None,
    name: str = "data",
    quiet: bool = True,
) -> SelectionResult:
    """Select a meta-forests variant by source-only validation.

    Parameters
    ----------
    X, y, domains : arrays of the training (source) domains.
    candidates : names in :data:`~meta_forests.benchmark.META_VARIANTS` (or baselines, for reference).
    protocol : {"leave-one-domain-out", "training-domain"}
    seeds : every candidate is scored once per seed (forest seeds and the validation split change).
    n_trees : total trees per candidate (split evenly over its forests, as in the benchmark).

    Returns
    -------
    SelectionResult
        ``best`` has the highest mean validation accuracy; ties go to the earlier candidate.
    """
    if protocol not in SELECTION_PROTOCOLS:
        raise InputError(f"unknown selection protocol {protocol!r}; choose from {list(SELECTION_PROTOCOLS)}")
    candidates = list(candidates)
    if not candidates:
        raise InputError("select_variant needs at least one candidate")
    for c in candidates:
        make_method(c, n_trees=1, n_sources=2, n_meta_tasks=1, seed=0, n_jobs=None)  # validates the name
    X, y, domains = np.asarray(X), np.asarray(y), np.asarray(domains).astype(str)
    per_seed: dict[str, list[float]] = {c: [] for c in candidates}
    jobs = [(s, c) for s in seeds for c in candidates]
    for s, c in progress(jobs, total=len(jobs), desc=f"select ({protocol})", quiet=quiet):
        seed = derive_seed(s, "select", name, c)

        def factory(n_dom, c=c, seed=seed):
            return make_method(
                c, n_trees=n_trees, n_sources=n_dom, n_meta_tasks=n_meta_tasks, seed=seed, n_jobs=n_jobs
            )

        per_seed[c].append(validation_score(factory, X, y, domains, protocol=protocol, seed=seed))
    return SelectionResult(protocol, candidates, per_seed)


def format_selection(result: SelectionResult) -> str:
    """Markdown table of the candidates' validation accuracy, best first, and the verdict."""
    lines = [f"| variant | {result.protocol} validation acc | sd over seeds |", "|---|---|---|"]
    for c in sorted(result.candidates, key=lambda m: -result.scores[m]):
        mark = " (selected)" if c == result.best else ""
        lines.append(f"| {c}{mark} | {result.scores[c]:.3f} | {np.std(result.per_seed[c]):.3f} |")
    verdict = "agrees with" if result.agrees_with_default else "differs from"
    lines.append("")
    lines.append(f"selected: {result.best} ({verdict} the package default {result.default})")
    return "\n".join(lines)
