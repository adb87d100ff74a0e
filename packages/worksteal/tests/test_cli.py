"""The CLI, called in-process: run / simulate / oracle / doctor / demo, and bad input (exit 2, one line)."""

import json

import pytest

import worksteal.mpi.launch as launch_mod
from worksteal import __version__
from worksteal.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "worksteal " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: worksteal" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_run_launches_mpiexec_and_writes_record_and_gantt(tmp_path):
    out = tmp_path / "run"
    argv = ["run", "--np", "4", "--policy", "adaptive,static", "--tasks", "40", "--task-ms", "5"]
    assert main([*argv, "--speeds", "1,1,2,4", "--out", str(out), "--quiet"]) == 0
    rec = json.loads((out / "result.json").read_text())
    runs = rec["metrics"]["runs"]
    assert [r["policy"] for r in runs] == ["a2ws", "static"]
    assert rec["metrics"]["n_ranks"] == 4
    assert all(sum(r["tasks_per_rank"]) == 40 for r in runs)
    assert runs[0]["makespan"] < runs[1]["makespan"]  # stealing beats the static split
    assert (out / "gantt_a2ws.png").stat().st_size > 0
    assert rec["headline"].startswith("static")


def test_missing_mpiexec_falls_back_to_one_process_with_a_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(launch_mod, "find_mpiexec", lambda: None)
    out = tmp_path / "fb"
    assert main(["run", "--np", "4", "--tasks", "8", "--task-ms", "1", "--out", str(out), "--quiet"]) == 0
    assert "mpiexec not found: running 1 process" in capsys.readouterr().err
    rec = json.loads((out / "result.json").read_text())
    assert rec["metrics"]["fell_back"] and rec["metrics"]["n_ranks"] == 1
    assert rec["metrics"]["runs"][0]["tasks_per_rank"] == [8]


def test_simulate_writes_ratios(tmp_path):
    out = tmp_path / "sim"
    assert main(["simulate", "--ranks", "32", "--tasks-per-rank", "20", "--out", str(out), "--quiet"]) == 0
    rec = json.loads((out / "result.json").read_text())
    ratios = {r["policy"]: r["makespan_over_c_star"] for r in rec["metrics"]["runs"]}
    assert set(ratios) == {"static", "random", "ctws", "a2ws"}
    assert ratios["static"] >= ratios["a2ws"] >= 1.0
    assert (out / "ratios.png").exists()


def test_oracle_prints_c_star(capsys):
    assert main(["oracle", "--speeds", "1,1,2,4", "--np", "64", "--tasks", "6400"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["c_star"] == 146.0 and res["static_makespan"] == 400.0


def test_doctor_reports_rma_progress_on_a_busy_rank(tmp_path, capsys):
    assert main(["doctor", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "result.json").read_text())["metrics"]
    assert report["ok"] and report["lock_all_flush_max_latency_s"] < 0.05
    assert report["mpi_library"] and report["mpi4py"]


def test_demo_without_mpiexec_runs_the_simulator(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(launch_mod, "find_mpiexec", lambda: None)
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    rec = json.loads((tmp_path / "result.json").read_text())
    assert "256 simulated ranks: A2WS" in rec["headline"]
    assert (tmp_path / "ratios_sim256.png").exists()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "--tasks", "0"], "--tasks must be a positive integer"),
        (["run", "--tasks", "-3"], "--tasks must be a positive integer"),
        (["run", "--speeds", "1,0,2"], "speed factors must be finite and > 0"),
        (["run", "--speeds", "1,-1"], "speed factors must be finite and > 0"),
        (["run", "--radius", "0"], "--radius must be >= 1"),
        (["run", "--np", "8", "--tasks", "4"], "more ranks (8) than tasks (4)"),
        (["run", "--policy", "greedy"], "unknown policy 'greedy'"),
        (["run", "--slowdown", "x"], "RANK@SECONDS*FACTOR"),
        (["run", "--np", "0"], "--np must be >= 1"),
        (["simulate", "--radius", "0"], "--radius must be >= 1"),
        (["simulate", "--tasks-per-rank", "0"], "--tasks-per-rank must be >= 1"),
        (["simulate", "--policy", "master"], "not master"),
        (["oracle", "--tasks", "0"], "--tasks must be a positive integer"),
        (["oracle", "--tasks", "5", "--speeds", "0"], "> 0"),
        (["run", "--set", "bogus=1"], "unknown config key 'bogus'"),
        (["simulate", "--set", "sizing=greedy"], "--sizing must be pairwise or ideal"),
        (["run", "--sizing", "greedy"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err


def test_failing_task_exits_1_with_one_line_naming_the_task(capsys):
    argv = ["run", "--np", "2", "--tasks", "20", "--task-ms", "1", "--policy", "random", "--set", "fail_on=5"]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "task 5 failed on rank" in err and "emulated failure" in err


def test_run_checkpoint_and_resume_from_the_cli(tmp_path):
    ck = tmp_path / "ck"
    argv = ["run", "--np", "2", "--tasks", "20", "--task-ms", "1", "--policy", "random", "--quiet"]
    assert main([*argv, "--checkpoint", str(ck), "--out", str(tmp_path / "a")]) == 0
    first = json.loads((tmp_path / "a" / "result.json").read_text())["metrics"]["runs"][0]
    assert first["restored"] == 0 and first["results_ok"]
    assert main([*argv, "--checkpoint", str(ck), "--resume", "--out", str(tmp_path / "b")]) == 0
    again = json.loads((tmp_path / "b" / "result.json").read_text())["metrics"]["runs"][0]
    assert again["restored"] == 20 and again["n_tasks"] == 0 and again["results_ok"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--resume"], "--resume needs --checkpoint DIR"),
        (["--checkpoint", "CK", "--policy", "a2ws,random"], "one policy per run"),
        (["--checkpoint", "CK", "--checkpoint-every", "-1"], "--checkpoint-every must be >= 0"),
        (["--checkpoint", "FULL"], "already holds 1 part(s)"),
        (["--checkpoint", "FULL", "--resume", "--tasks", "30"], "written for 20 tasks, this run has 30"),
    ],
)
def test_bad_checkpoint_options_exit_2_with_one_line(extra, needle, tmp_path, capsys):
    from worksteal.checkpoint import part_path, save_part

    (tmp_path / "FULL").mkdir()
    save_part(part_path(tmp_path / "FULL", 0, 0), 20, {0: 0})
    argv = ["run", "--tasks", "20", *[str(tmp_path / x) if x in ("CK", "FULL") else x for x in extra]]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err
