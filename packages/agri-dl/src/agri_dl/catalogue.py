"""The survey's catalogue of works (Kamilaris & Prenafeta-Boldu 2018, appendix tables), as packaged data.

**Status: incomplete.** The survey lists 40 works (abstract: "a survey of 40 research efforts").
Its appendix table could not be consulted, so this package ships only the 9 rows whose facts were
known (the survey's anchor rows), and no cell is a verified transcription of the appendix. Each row
says what was checked and against what:

* ``status``: ``"unconfirmed"`` (nothing checked) or ``"checked-abstract"`` (some cells were checked
  against the work's own published abstract);
* ``checked_fields``: the ``;``-separated field names confirmed by that source (``"none"`` if none);
* ``source``: the DOI / arXiv id of the checked source (``"none"`` if none); ``note``: what it says.

Unknown cells are the literal string ``unconfirmed`` (``n/a`` where a field does not apply). Nothing
is invented to fill the table. Metric values are fractions in [0, 1] (percentages converted).
"""

from __future__ import annotations

import csv
import difflib
import io
from collections import Counter
from dataclasses import asdict, dataclass, fields
from importlib import resources

from core_utils import InputError

__all__ = [
    "EXPECTED_WORKS",
    "STATUSES",
    "UNCONFIRMED",
    "Work",
    "compare",
    "coverage",
    "dump_csv",
    "load_works",
    "query",
    "summary",
]

EXPECTED_WORKS = 40  # the survey's abstract: "a survey of 40 research efforts"
UNCONFIRMED = "unconfirmed"
NOT_APPLICABLE = "n/a"
NONE = "none"
STATUSES = (UNCONFIRMED, "checked-abstract")
SUMMARY_KEYS = {"area": "area", "model": "model_family", "framework": "framework", "metric": "metric"}


@dataclass(frozen=True)
class Work:
    """One surveyed work (one row of the appendix table). Text fields may be ``"unconfirmed"``."""

    id: int
    ref: str
    year: int
    area: str
    problem: str
    data_source: str
    n_samples: str
    n_classes: str
    model: str
    model_family: str
    framework: str
    preprocessing: str
    augmentation: str
    metric: str
    value: float
    compared_with: str
    other_value: str
    status: str
    checked_fields: str
    source: str
    note: str

    @property
    def checked(self) -> tuple[str, ...]:
        """Names of the fields confirmed by :attr:`source` (empty when nothing was checked)."""
        return () if self.checked_fields == NONE else tuple(self.checked_fields.split(";"))

    @property
    def has_comparison(self) -> bool:
        return self.compared_with not in (NOT_APPLICABLE, UNCONFIRMED, "")

    @property
    def delta(self) -> float | None:
        """DL value minus the compared technique's value, when both are numeric."""
        try:
            return self.value - float(self.other_value)
        except ValueError:
            return None


def _parse(text: str) -> list[Work]:
    rows = list(csv.DictReader(io.StringIO(text)))
    names = [f.name for f in fields(Work)]
    works = []
    for r in rows:
        if list(r) != names:
            raise InputError(f"catalogue columns {list(r)} do not match {names}")
        try:
            work = Work(**{**r, "id": int(r["id"]), "year": int(r["year"]), "value": float(r["value"])})
        except ValueError as exc:
            raise InputError(f"catalogue row {r.get('id')!r}: {exc}") from None
        _validate(work, names)
        works.append(work)
    return works


def _validate(w: Work, names: list[str]) -> None:
    """Provenance rules: a known status; checked fields are real field names, hold a value (not
    ``unconfirmed``) and come with a source; unchecked rows name no source."""
    where = f"catalogue row {w.id} ({w.ref})"
    if w.status not in STATUSES:
        raise InputError(f"{where}: status {w.status!r} is not one of {STATUSES}")
    unknown = [f for f in w.checked if f not in names]
    if unknown:
        raise InputError(f"{where}: checked_fields names unknown field(s) {unknown}")
    empty = [f for f in w.checked if str(getattr(w, f)) == UNCONFIRMED]
    if empty:
        raise InputError(f"{where}: field(s) {empty} are marked checked but hold {UNCONFIRMED!r}")
    if (w.status == UNCONFIRMED) != (not w.checked) or (not w.checked) != (w.source == NONE):
        raise InputError(f"{where}: status, checked_fields and source disagree")


def load_works(text: str | None = None) -> list[Work]:
    """The packaged catalogue (or one parsed from CSV ``text``)."""
    if text is None:
        text = (resources.files("agri_dl") / "data" / "works.csv").read_text(encoding="utf-8")
    return _parse(text)


def dump_csv(works: list[Work]) -> str:
    """CSV text of ``works`` (``load_works(dump_csv(w)) == w``)."""
    buf = io.StringIO()
    names = [f.name for f in fields(Work)]
    w = csv.DictWriter(buf, fieldnames=names, lineterminator="\n")
    w.writeheader()
    for work in works:
        row = asdict(work)
        row["value"] = repr(work.value) if work.value != int(work.value) else str(work.value)
        w.writerow(row)
    return buf.getvalue()


def _check_choice(kind: str, value: str, options: list[str]) -> None:
    low = [o.lower() for o in options]
    if not any(value.lower() in o for o in low):
        close = difflib.get_close_matches(value.lower(), low, n=3, cutoff=0.5)
        hint = (
            f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(sorted(set(options)))}"
        )
        raise InputError(f"unknown {kind} {value!r}{hint}")


def query(
    works: list[Work],
    *,
    area: str | None = None,
    model: str | None = None,
    framework: str | None = None,
    metric: str | None = None,
) -> list[Work]:
    """Works whose field contains the given text (case-insensitive); unknown values suggest close matches."""
    out = works
    for kind, attr, value in (
        ("area", "area", area),
        ("model", "model_family", model),
        ("framework", "framework", framework),
        ("metric", "metric", metric),
    ):
        if value is None:
            continue
        options = [getattr(w, attr) for w in works] + ([w.model for w in works] if kind == "model" else [])
        _check_choice(kind, value, options)
        v = value.lower()
        out = [w for w in out if v in getattr(w, attr).lower() or (kind == "model" and v in w.model.lower())]
    return out


def summary(works: list[Work], by: str) -> dict[str, int]:
    """Number of works per value of ``by`` (area, model, framework or metric), largest first."""
    if by not in SUMMARY_KEYS:
        raise InputError(f"--by must be one of {sorted(SUMMARY_KEYS)}, got {by!r}")
    return dict(Counter(getattr(w, SUMMARY_KEYS[by]) for w in works).most_common())


def coverage(works: list[Work]) -> dict:
    """How much of the survey's table the catalogue holds and how much of it was checked.

    Returns ``{"expected": 40, "catalogued": n, "checked_rows": rows with a source, "checked_cells":
    confirmed cells, "cells": all cells of the catalogued rows' content fields}``.
    """
    content = [
        f.name for f in fields(Work) if f.name not in ("id", "status", "checked_fields", "source", "note")
    ]
    return {
        "expected": EXPECTED_WORKS,
        "catalogued": len(works),
        "checked_rows": sum(bool(w.checked) for w in works),
        "checked_cells": sum(len(w.checked) for w in works),
        "cells": len(works) * len(content),
    }


def compare(works: list[Work]) -> dict:
    """DL vs the compared technique over the works that report a comparison.

    Returns ``{"n": comparisons, "k": DL better (numeric delta > 0), "unknown": comparisons without a
    transcribed numeric value, "pairs": [{id, ref, dl, other, compared_with, delta}]}``.
    """
    pairs = []
    for w in works:
        if not w.has_comparison:
            continue
        pairs.append(
            {
                "id": w.id,
                "ref": w.ref,
                "dl": w.value,
                "other": w.other_value,
                "compared_with": w.compared_with,
                "delta": w.delta,
            }
        )
    numeric = [p for p in pairs if p["delta"] is not None]
    return {
        "n": len(pairs),
        "k": sum(p["delta"] > 0 for p in numeric),
        "n_numeric": len(numeric),
        "unknown": len(pairs) - len(numeric),
        "pairs": pairs,
    }
