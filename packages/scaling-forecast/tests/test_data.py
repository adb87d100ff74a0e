"""Bundled BBH table and the loader for a user's own CSV (validation names the row and field)."""

import csv
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from core_utils import InputError
from scaling_forecast.data import load_bbh, load_table, write_table
from scaling_forecast.synth import make_synthetic


def test_bundled_bbh_has_73_models_27_tasks_19_families_over_5_oom():
    t = load_bbh("cot")
    assert (t.n_models, len(t.tasks)) == (73, 27)
    assert len(set(t.families)) == 19
    x = t.x("flop")
    assert x.min() == pytest.approx(np.log10(1.26e20), abs=0.01)
    assert x.max() == pytest.approx(np.log10(6.3e24), abs=0.01)
    assert load_bbh("cot", require_compute=False).n_models == 75


def test_bundled_flop_is_six_n_d():
    t = load_bbh("direct")
    assert t.flop == pytest.approx(6 * t.params * t.tokens, rel=0.02)


def test_equal_weight_aggregate_equals_the_published_bbh_average():
    t = load_bbh("cot")
    path = Path(str(resources.files("scaling_forecast") / "data" / "aggregate_scores.csv"))
    with path.open() as fh:
        ref = {r["model"]: float(r["bbh_cot_3shot"]) for r in csv.DictReader(fh) if r["bbh_cot_3shot"]}
    agg = t.aggregate()
    assert agg.scores[:, 0] == pytest.approx([ref[m] for m in t.models], abs=1e-9)
    assert agg.chance[0] == pytest.approx(t.chance.mean())


def test_user_csv_round_trips_through_write_and_load(tmp_path):
    table, _ = make_synthetic(12, 3, seed=1)
    back = load_table(write_table(table, tmp_path / "t.csv"))
    assert back.models == table.models and back.tasks == table.tasks
    assert back.scores == pytest.approx(table.scores)
    assert back.x("scaled") == pytest.approx(table.x("scaled"))


def _write(path, header, rows):
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_loader_accepts_compute_column_and_percent_option(tmp_path):
    p = _write(
        tmp_path / "a.csv",
        ["model", "task", "score", "compute", "chance"],
        [["a", "t", "30", "1e21", "25"], ["b", "t", "60", "1e22", "25"], ["c", "t", "90", "1e23", "25"]],
    )
    t = load_table(p, percent=True)
    assert t.scores[:, 0] == pytest.approx([0.3, 0.6, 0.9])
    assert t.chance[0] == pytest.approx(0.25)
    with pytest.raises(InputError, match="scaled compute needs params and tokens"):
        t.x("scaled")


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (
            ["b", "t", "45", "7e9", "1e12", "0.25"],
            r"row 3, field 'score' = 45.0 is outside \[0, 1\] \(percentages",
        ),
        (["b", "t", "", "7e9", "1e12", "0.25"], "row 3, field 'score' is missing or NaN"),
        (["b", "t", "nan", "7e9", "1e12", "0.25"], "row 3, field 'score' is missing or NaN"),
        (["b", "t", "0.5", "0", "1e12", "0.25"], "row 3, field 'params' must be positive"),
        (["b", "t", "0.5", "7e9", "-5", "0.25"], "row 3, field 'tokens' must be positive"),
        (["b", "t", "0.5", "7e9", "", "0.25"], "row 3: needs 'compute' or both"),
        (["b", "t", "0.5", "7e9", "1e12", "1.0"], "row 3, field 'chance'"),
        (["b", "t", "0.5", "seven", "1e12", "0.25"], "row 3, field 'params': 'seven' is not a number"),
    ],
)
def test_loader_names_the_bad_row_and_field(tmp_path, row, match):
    p = _write(
        tmp_path / "bad.csv",
        ["model", "task", "score", "params", "tokens", "chance"],
        [["a", "t", "0.3", "1e9", "2e10", "0.25"], row],
    )
    with pytest.raises(InputError, match=match):
        load_table(p)


def test_loader_rejects_missing_columns_files_and_incomplete_models(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_table(tmp_path / "nope.csv")
    p = _write(tmp_path / "c.csv", ["model", "score"], [["a", "0.1"]])
    with pytest.raises(InputError, match="columns must include"):
        load_table(p)
    p = _write(
        tmp_path / "d.csv",
        ["model", "task", "score", "compute"],
        [["a", "t1", "0.1", "1e21"], ["a", "t2", "0.2", "1e21"], ["b", "t1", "0.3", "1e22"]],
    )
    with pytest.raises(InputError, match="model 'b' has no score for task 't2'"):
        load_table(p)


def test_unknown_task_and_bad_prompting_are_named():
    t = load_bbh("cot")
    with pytest.raises(InputError, match="unknown task 'sudoku'"):
        t.select_tasks(["navigate", "sudoku"])
    with pytest.raises(InputError, match="prompting"):
        load_bbh("few-shot")
