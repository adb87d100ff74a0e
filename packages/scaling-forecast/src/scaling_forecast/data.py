"""Benchmark tables: the bundled BBH data and a loader for a user's own CSV.

The bundled files (``scaling_forecast/data/*.csv``) come from ryoungj/ObsScaling
(Apache-2.0, see the package NOTICE): 27 BIG-Bench-Hard subtasks, 3-shot, for 75 open
base models (73 with parameter and token counts), prompting ``direct`` or ``cot``,
flexible-extract accuracy.

A :class:`BenchmarkTable` is a dense (models x tasks) score matrix with per-task chance
levels and, per model, parameters N, tokens D and/or training compute.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from core_utils import InputError
from scaling_forecast.compute import HOFFMANN_2022, ChinchillaLaw

__all__ = ["BenchmarkTable", "load_bbh", "load_table", "write_table"]

PROMPTINGS = ("cot", "direct")


@dataclass(frozen=True)
class BenchmarkTable:
    """Scores of models on tasks, with what is needed to place models on a compute axis.

    Attributes
    ----------
    models : tuple of str
        Model names (rows).
    tasks : tuple of str
        Task names (columns).
    scores : ndarray, shape (n_models, n_tasks)
        Accuracy in [0, 1].
    chance : ndarray, shape (n_tasks,)
        Chance accuracy of each task (the sigmoid floor).
    params, tokens : ndarray, shape (n_models,)
        Parameter count N and training tokens D (NaN where unknown).
    flop : ndarray, shape (n_models,)
        Training compute in FLOP (6ND where N and D are known).
    families : tuple of str
        Model family of each row ("" if unknown).
    code_model : ndarray of bool
        Whether the model is a code model (CodeLlama, StarCoder, ...).
    """

    models: tuple[str, ...]
    tasks: tuple[str, ...]
    scores: NDArray[np.float64]
    chance: NDArray[np.float64]
    params: NDArray[np.float64]
    tokens: NDArray[np.float64]
    flop: NDArray[np.float64]
    families: tuple[str, ...] = ()
    code_model: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        n, t = len(self.models), len(self.tasks)
        if self.scores.shape != (n, t):
            raise InputError(f"scores must have shape ({n}, {t}), got {self.scores.shape}")
        if not self.families:
            object.__setattr__(self, "families", ("",) * n)
        if self.code_model.shape != (n,):
            object.__setattr__(self, "code_model", np.zeros(n, dtype=bool))
        _validate_scores(self.scores, self.models, self.tasks)
        _validate_chance(self.chance, self.tasks)

    @property
    def n_models(self) -> int:
        return len(self.models)

    def x(self, axis: str = "flop", law: ChinchillaLaw = HOFFMANN_2022) -> NDArray[np.float64]:
        """``log10`` compute of every model: ``"flop"`` (6ND or given FLOP) or ``"scaled"`` (C*)."""
        if axis == "flop":
            return np.log10(self.flop)
        if axis == "scaled":
            missing = ~(np.isfinite(self.params) & np.isfinite(self.tokens))
            if np.any(missing):
                name = self.models[int(np.flatnonzero(missing)[0])]
                raise InputError(f"scaled compute needs params and tokens; model {name!r} lacks them")
            return np.log10(law.scaled_compute(self.params, self.tokens))
        raise InputError(f"axis must be 'flop' or 'scaled', got {axis!r}")

    def task_index(self, task: str) -> int:
        """Column of ``task``; unknown names are an :class:`InputError` listing the known ones."""
        try:
            return self.tasks.index(task)
        except ValueError:
            raise InputError(f"unknown task {task!r}; known tasks: {', '.join(self.tasks)}") from None

    def select_tasks(self, tasks: Sequence[str]) -> BenchmarkTable:
        """Table restricted to the named tasks (in that order)."""
        idx = [self.task_index(t) for t in tasks]
        return replace(
            self, tasks=tuple(self.tasks[i] for i in idx), scores=self.scores[:, idx], chance=self.chance[idx]
        )

    def select_models(self, mask: NDArray[np.bool_]) -> BenchmarkTable:
        """Table restricted to the rows where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        return replace(
            self,
            models=tuple(m for m, k in zip(self.models, mask, strict=True) if k),
            scores=self.scores[mask],
            params=self.params[mask],
            tokens=self.tokens[mask],
            flop=self.flop[mask],
            families=tuple(f for f, k in zip(self.families, mask, strict=True) if k),
            code_model=self.code_model[mask],
        )

    def aggregate(self, weights: Sequence[float] | None = None, name: str = "aggregate") -> BenchmarkTable:
        """One-task table whose score is the (weighted) mean over tasks.

        The floor of the aggregate is the same weighted mean of the task chance levels, so a
        model at chance on every task sits exactly at the aggregate floor. The default equal
        weights give the unweighted mean over the subtasks (BBH's usual "average").
        """
        w = np.ones(len(self.tasks)) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (len(self.tasks),) or np.any(w < 0) or not w.sum() > 0:
            raise InputError(f"weights must be {len(self.tasks)} non-negative numbers with a positive sum")
        w = w / w.sum()
        return replace(
            self, tasks=(name,), scores=(self.scores @ w)[:, None], chance=np.array([float(self.chance @ w)])
        )


def _validate_scores(scores: NDArray[np.float64], models: Sequence[str], tasks: Sequence[str]) -> None:
    bad = np.argwhere(~np.isfinite(scores))
    if bad.size:
        i, j = bad[0]
        raise InputError(f"score of model {models[i]!r} on task {tasks[j]!r} is missing or NaN")
    bad = np.argwhere((scores < 0) | (scores > 1))
    if bad.size:
        i, j = bad[0]
        hint = " (percentages? divide by 100)" if scores[i, j] > 1 else ""
        raise InputError(
            f"score of model {models[i]!r} on task {tasks[j]!r} is {scores[i, j]!r}, outside [0, 1]{hint}"
        )


def _validate_chance(chance: NDArray[np.float64], tasks: Sequence[str]) -> None:
    for t, c in zip(tasks, chance, strict=True):
        if not (math.isfinite(c) and 0 <= c < 1):
            raise InputError(f"chance level of task {t!r} must be in [0, 1) (below the ceiling 1), got {c!r}")


def _data_file(name: str) -> Path:
    return Path(str(resources.files("scaling_forecast") / "data" / name))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_bbh(prompting: str = "cot", *, require_compute: bool = True) -> BenchmarkTable:
    """The bundled BBH table: 27 subtasks x 73 models (75 with ``require_compute=False``).

    Parameters
    ----------
    prompting : {"cot", "direct"}
        3-shot chain-of-thought or direct answers (never mix them: they differ by 5-20 pp).
    require_compute : bool
        Drop the models without parameter/token counts (Mistral, Mixtral, Qwen2).
    """
    if prompting not in PROMPTINGS:
        raise InputError(f"prompting must be one of {PROMPTINGS}, got {prompting!r}")
    tasks_rows = _read_csv(_data_file("bbh_tasks.csv"))
    tasks = tuple(r["task"] for r in tasks_rows)
    chance = np.array([float(r["chance_accuracy"]) for r in tasks_rows])
    meta = {r["model"]: r for r in _read_csv(_data_file("models.csv"))}
    scores: dict[str, dict[str, float]] = {}
    for r in _read_csv(_data_file("bbh_task_scores.csv")):
        if r["prompting"] == prompting and r["extraction"] == "flexible-extract":
            scores.setdefault(r["model"], {})[r["task"]] = float(r["accuracy"])
    models = [m for m, s in scores.items() if len(s) == len(tasks)]
    if require_compute:
        models = [m for m in models if meta[m]["params_b"] and meta[m]["tokens_t"]]

    def num(m: str, key: str, scale: float) -> float:
        v = meta[m][key]
        return float(v) * scale if v else math.nan

    params = np.array([num(m, "params_b", 1e9) for m in models])
    tokens = np.array([num(m, "tokens_t", 1e12) for m in models])
    flop = np.array([num(m, "train_flop", 1.0) for m in models])
    return BenchmarkTable(
        models=tuple(models),
        tasks=tasks,
        scores=np.array([[scores[m][t] for t in tasks] for m in models]),
        chance=chance,
        params=params,
        tokens=tokens,
        flop=flop,
        families=tuple(meta[m]["family"] for m in models),
        code_model=np.array([meta[m]["code_model"] == "1" for m in models]),
    )


USER_COLUMNS = "model, task, score and either compute or params+tokens (optional: chance, family)"


def load_table(path: str | Path, *, percent: bool = False) -> BenchmarkTable:
    """Load a user's long-format CSV into a :class:`BenchmarkTable`.

    Columns: ``model``, ``task``, ``score`` in [0, 1]; ``compute`` (training FLOP) or both
    ``params`` and ``tokens`` (raw counts); optional ``chance`` (per task, default 0) and
    ``family``. Every model must have a score for every task.

    Parameters
    ----------
    path : path
        The CSV file.
    percent : bool
        Scores (and chance) are given in percent; divide them by 100.

    Raises
    ------
    InputError
        Naming the row (1-based, header = row 1) and field of the first problem.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file {path} does not exist")
    rows = _read_csv(path)
    if not rows:
        raise InputError(f"{path}: no data rows")
    cols = set(rows[0])
    need = {"model", "task", "score"}
    if not need <= cols or not ({"compute"} <= cols or {"params", "tokens"} <= cols):
        raise InputError(f"{path}: columns must include {USER_COLUMNS}; got {', '.join(sorted(cols))}")
    scale = 100.0 if percent else 1.0
    per_model: dict[str, dict[str, float]] = {}
    meta: dict[str, tuple[float, float, float, str]] = {}
    chance: dict[str, float] = {}

    def number(row: dict[str, str], key: str, line: int) -> float:
        raw = (row.get(key) or "").strip()
        try:
            return float(raw) if raw else math.nan
        except ValueError:
            raise InputError(f"{path}: row {line}, field {key!r}: {raw!r} is not a number") from None

    for line, row in enumerate(rows, start=2):
        model, task = (row.get("model") or "").strip(), (row.get("task") or "").strip()
        if not model or not task:
            raise InputError(f"{path}: row {line}: empty model or task")
        score = number(row, "score", line) / scale
        if not math.isfinite(score):
            raise InputError(f"{path}: row {line}, field 'score' is missing or NaN")
        if not 0 <= score <= 1:
            hint = " (percentages? pass percent=True / --percent)" if 1 < score <= 100 else ""
            raise InputError(f"{path}: row {line}, field 'score' = {score!r} is outside [0, 1]{hint}")
        n, d, c = number(row, "params", line), number(row, "tokens", line), number(row, "compute", line)
        for key, v in (("params", n), ("tokens", d), ("compute", c)):
            if not math.isnan(v) and not v > 0:
                raise InputError(f"{path}: row {line}, field {key!r} must be positive, got {v!r}")
        if math.isnan(c):
            if math.isnan(n) or math.isnan(d):
                raise InputError(f"{path}: row {line}: needs 'compute' or both 'params' and 'tokens'")
            c = 6.0 * n * d
        if "chance" in row and (row.get("chance") or "").strip():
            ch = number(row, "chance", line) / scale
            if not 0 <= ch < 1:
                raise InputError(
                    f"{path}: row {line}, field 'chance' = {ch!r} must be in [0, 1) (below the ceiling 1)"
                )
            if task in chance and not math.isclose(chance[task], ch):
                raise InputError(f"{path}: row {line}: task {task!r} has two chance levels")
            chance[task] = ch
        else:
            chance.setdefault(task, 0.0)
        fam = (row.get("family") or "").strip()
        if model in meta and not math.isclose(meta[model][2], c, rel_tol=1e-9):
            raise InputError(f"{path}: row {line}: model {model!r} has two compute values")
        meta[model] = (n, d, c, fam)
        if task in per_model.setdefault(model, {}):
            raise InputError(f"{path}: row {line}: duplicate score for model {model!r}, task {task!r}")
        per_model[model][task] = score
    tasks = tuple(dict.fromkeys(t for s in per_model.values() for t in s))
    for m, s in per_model.items():
        missing = [t for t in tasks if t not in s]
        if missing:
            raise InputError(f"{path}: model {m!r} has no score for task {missing[0]!r}")
    models = tuple(per_model)
    return BenchmarkTable(
        models=models,
        tasks=tasks,
        scores=np.array([[per_model[m][t] for t in tasks] for m in models]),
        chance=np.array([chance[t] for t in tasks]),
        params=np.array([meta[m][0] for m in models]),
        tokens=np.array([meta[m][1] for m in models]),
        flop=np.array([meta[m][2] for m in models]),
        families=tuple(meta[m][3] for m in models),
    )


def write_table(table: BenchmarkTable, path: str | Path) -> Path:
    """Write ``table`` in the long format :func:`load_table` reads."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["model", "family", "params", "tokens", "compute", "task", "chance", "score"])
        for i, m in enumerate(table.models):
            for j, t in enumerate(table.tasks):
                n, d = table.params[i], table.tokens[i]
                w.writerow(
                    [
                        m,
                        table.families[i],
                        "" if math.isnan(n) else repr(float(n)),
                        "" if math.isnan(d) else repr(float(d)),
                        repr(float(table.flop[i])),
                        t,
                        repr(float(table.chance[j])),
                        repr(float(table.scores[i, j])),
                    ]
                )
    return path
