"""Run records and atomic writes: an interrupted write never corrupts the file."""

import json
import os

import pytest

from core_utils import atomic_write_text, write_result
from core_utils.records import read_result


def test_result_json_has_all_fields(tmp_path):
    path = write_result(
        tmp_path,
        command=["pkg", "demo"],
        config={"a": 1},
        seed=3,
        metrics={"score": 0.5},
        wall_time_s=1.25,
        peak_memory_mb=10.0,
        headline="score 0.5",
    )
    rec = json.loads(path.read_text())
    assert rec["command"] == "pkg demo"
    assert rec["config"] == {"a": 1}
    assert rec["seed"] == 3
    assert rec["metrics"] == {"score": 0.5}
    assert rec["wall_time_s"] == 1.25
    import numpy

    assert rec["versions"]["numpy"] == numpy.__version__
    assert "core-utils" in rec["versions"]
    assert rec["python"].startswith("3.")
    assert read_result(tmp_path) == rec


def test_numpy_values_are_serialised(tmp_path):
    np = pytest.importorskip("numpy")
    write_result(
        tmp_path, command="x", metrics={"arr": np.arange(3), "f": np.float32(0.5), "nan": float("nan")}
    )
    rec = read_result(tmp_path)
    assert rec["metrics"] == {"arr": [0, 1, 2], "f": 0.5, "nan": "nan"}


def test_interrupted_write_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "result.json"
    atomic_write_text(target, '{"old": true}')

    def boom(fd):
        raise KeyboardInterrupt  # simulates a kill between write and rename

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, '{"new": tru')  # half-written content never lands
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no stray temp file


def test_write_creates_missing_folder(tmp_path):
    path = atomic_write_text(tmp_path / "a" / "b" / "f.txt", "hi")
    assert path.read_text() == "hi"
