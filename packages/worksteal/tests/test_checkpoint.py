"""Checkpoint parts: atomic save/load round trip, merging across runs, and refusals."""

import pytest

from core_utils import InputError
from worksteal.checkpoint import (
    PartWriter,
    check_directory,
    list_parts,
    load_parts,
    part_path,
    prepare,
    remaining,
    save_part,
)


def test_parts_round_trip_arbitrary_picklable_results(tmp_path):
    results = {3: {"a": [1, 2]}, 0: "zero", 7: None, 5: (1.5, b"x")}
    save_part(part_path(tmp_path, 0, 2), 10, results)
    done, generation = load_parts(tmp_path, 10)
    assert done == results
    assert generation == 1  # the next run writes generation 1 and keeps generation 0


def test_parts_of_several_runs_and_ranks_are_merged(tmp_path):
    save_part(part_path(tmp_path, 0, 0), 8, {0: 0, 1: 1})
    save_part(part_path(tmp_path, 0, 1), 8, {4: 16})
    save_part(part_path(tmp_path, 1, 0), 8, {2: 4, 3: 9})
    save_part(part_path(tmp_path, 1, 3), 8, {})  # a rank that finished nothing
    done, generation = load_parts(tmp_path, 8)
    assert done == {0: 0, 1: 1, 2: 4, 3: 9, 4: 16}
    assert generation == 2
    assert remaining(8, done) == [5, 6, 7]
    assert [(g, r) for g, r, _ in list_parts(tmp_path)] == [(0, 0), (0, 1), (1, 0), (1, 3)]


def test_writer_saves_every_interval_and_on_flush(tmp_path):
    path = part_path(tmp_path, 0, 0)
    eager = PartWriter(path, 5, every_s=0.0)
    eager.add(0, "a")
    eager.add(1, "b")
    assert eager.saves == 2 and load_parts(tmp_path, 5)[0] == {0: "a", 1: "b"}
    lazy = PartWriter(part_path(tmp_path, 0, 1), 5, every_s=3600.0)
    lazy.add(2, "c")
    assert lazy.saves == 0 and load_parts(tmp_path, 5)[0] == {0: "a", 1: "b"}
    lazy.flush()
    lazy.flush()  # nothing new: no second write
    assert lazy.saves == 1 and load_parts(tmp_path, 5)[0] == {0: "a", 1: "b", 2: "c"}


def test_a_directory_with_parts_needs_resume(tmp_path):
    save_part(part_path(tmp_path, 0, 0), 4, {1: 1})
    with pytest.raises(InputError, match="already holds 1 part"):
        prepare(tmp_path, 4, resume=False)
    assert check_directory(tmp_path, 4, resume=True) == 1
    assert prepare(tmp_path, 4, resume=True) == ({1: 1}, 1)


def test_a_checkpoint_of_another_task_count_is_rejected(tmp_path):
    save_part(part_path(tmp_path, 0, 0), 4, {1: 1})
    with pytest.raises(InputError, match="written for 4 tasks, this run has 6"):
        prepare(tmp_path, 6, resume=True)


def test_a_file_in_place_of_the_directory_is_rejected(tmp_path):
    f = tmp_path / "ck"
    f.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        check_directory(f, 4, resume=False)


def test_an_empty_or_new_directory_starts_generation_zero(tmp_path):
    assert prepare(tmp_path / "new", 4, resume=True) == ({}, 0)
    assert (tmp_path / "new").is_dir()
