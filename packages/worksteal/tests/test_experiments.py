"""Experiment drivers: simulated sweeps, the benchmark table, and (slow) the full quick benchmark."""

import pytest

from core_utils import InputError
from worksteal.experiments import MPIConfig, SimConfig, benchmark, markdown_table, paired_table, run_sim


def test_run_sim_gives_one_result_per_policy_and_static_is_worst():
    res = run_sim(SimConfig(ranks=16, tasks_per_rank=10))
    ratios = {s.policy: s.ratio for s, _ in res}
    assert list(ratios) == ["static", "random", "ctws", "a2ws"]
    assert max(ratios, key=ratios.get) == "static"


def test_markdown_table_has_one_row_per_run():
    row = {
        "mode": "mpi",
        "n_ranks": 4,
        "policy": "a2ws",
        "makespan_over_c_star": 1.1,
        "count_makespan_over_c_star": 1.02,
        "steals_per_task": 0.1,
        "failed_steals_per_task": 0.05,
        "overhead_per_task_s": 2e-4,
    }
    table = markdown_table([row, {**row, "policy": "master", "count_makespan_over_c_star": None}])
    lines = table.splitlines()
    assert len(lines) == 4
    assert "| mpi | 4 | a2ws | 1.100 | 1.020 | 0.100 | 0.050 | 200 us |" in lines
    assert lines[-1].endswith("| n/a |")


def test_paired_table_shows_mean_and_range_and_the_ratio():
    p = {
        "n_ranks": 4,
        "n_tasks": 200,
        "pairs": 2,
        "random_over_a2ws_wall": 1.0,
        "random_over_a2ws_count": 1.01,
    }
    p |= {f"{pol}_{m}": [1.04, 1.02, 1.06] for pol in ("a2ws", "random") for m in ("wall", "count")}
    lines = paired_table([p]).splitlines()
    assert len(lines) == 3
    assert lines[2].startswith("| 4 | 200 | 2 | 1.040 [1.020, 1.060] |") and lines[2].endswith(
        "| 1.000 | 1.010 |"
    )


def test_mpi_config_validation_names_the_problem():
    with pytest.raises(InputError, match="more ranks"):
        MPIConfig(np=8, tasks=4).validate()
    with pytest.raises(InputError, match="--np >= 2"):
        MPIConfig(np=1, policies=["master"]).validate()
    with pytest.raises(InputError, match="--slowdown rank"):
        MPIConfig(np=4, slowdown=["7@0.1*2"]).validate()


@pytest.mark.slow
def test_quick_benchmark_covers_mpi_and_simulated_rows():
    res = benchmark(quick=True)
    rows = res["rows"]
    assert [p["n_tasks"] for p in res["paired"]] == [200, 400]
    modes = {(r["mode"], r["n_ranks"]) for r in rows}
    assert ("mpi", 4) in modes and ("sim", 256) in modes
    a2 = [r for r in rows if r["policy"] == "a2ws" and r["mode"] == "sim"]
    assert all(r["makespan_over_c_star"] < 1.05 for r in a2)
