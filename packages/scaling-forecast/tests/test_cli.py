"""The CLI: every sub-command runs in-process; bad input exits 2 with one line on stderr."""

import json

import pytest

from scaling_forecast import __version__
from scaling_forecast.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "scaling-forecast " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: scaling-forecast" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_demo_writes_result_with_headline_and_figures(tmp_path):
    out = tmp_path / "demo"
    assert (
        main(["demo", "--out", str(out), "--quiet", "--set", "engine='batched'", "--set", "n_boot=10"]) == 0
    )
    rec = json.loads((out / "result.json").read_text())
    assert "aggregate 6.5 pp" in rec["headline"]
    assert rec["metrics"]["cot_flop_aggregate_sigmoid_1oom_pp"] == pytest.approx(6.47, abs=0.01)
    assert len(list(out.glob("*.png"))) >= 3


def test_fit_prints_slope_and_midpoint(capsys):
    assert main(["fit", "--prompting", "direct"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("aggregate (sigmoid") and "k=" in out and "x0=" in out


def test_predict_from_params_and_tokens_gives_a_band(capsys, tmp_path):
    assert (
        main(
            ["predict", "--params-b", "70", "--tokens-t", "15", "--set", "n_boot=20", "--out", str(tmp_path)]
        )
        == 0
    )
    rec = json.loads((tmp_path / "result.json").read_text())
    m = rec["metrics"]
    assert m["lower"] <= m["center"] <= m["upper"]
    assert m["compute"] == pytest.approx(6 * 70e9 * 15e12)


def test_backtest_json_gives_the_aggregate_table(capsys):
    assert main(["backtest", "--horizon", "1", "--json", "--baselines", "chance,train-mean"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["average"] == "pair"
    assert d["mae_pp"]["sigmoid"]["1.0"] == pytest.approx(6.47, abs=0.01)
    assert set(d["mae_pp"]) == {"sigmoid", "chance", "train-mean"}


def test_synth_then_fit_and_backtest_on_the_users_csv(tmp_path, capsys):
    csv = tmp_path / "s.csv"
    assert main(["synth", "--out", str(csv), "--n-models", "30", "--n-tasks", "2", "--seed", "1"]) == 0
    assert main(["fit", "--data", str(csv), "--task", "task-01", "--axis", "scaled"]) == 0
    assert (
        main(
            [
                "backtest",
                "--data",
                str(csv),
                "--per-task",
                "--horizon",
                "1",
                "--engine",
                "batched",
                "--average",
                "cutoff",
            ]
        )
        == 0
    )
    assert "average=cutoff" in capsys.readouterr().out


def test_report_writes_report_and_record(tmp_path):
    assert (
        main(
            [
                "report",
                "--out",
                str(tmp_path),
                "--quiet",
                "--engine",
                "batched",
                "--set",
                "horizons=[1.0]",
                "--set",
                "n_boot=10",
            ]
        )
        == 0
    )
    assert (tmp_path / "report.md").is_file()
    assert "BBH-CoT aggregate" in json.loads((tmp_path / "result.json").read_text())["headline"]


def test_bench_quick_reports_speed_ratios(tmp_path):
    assert (
        main(["bench", "--quiet", "--out", str(tmp_path), "--set", "horizons=[1.0]", "--set", "n_tasks=1"])
        == 0
    )
    m = json.loads((tmp_path / "result.json").read_text())["metrics"]
    assert m["speedup_scipy_vs_naive"] > 0 and m["speedup_batched_vs_naive"] > 0
    assert m["scipy_aggregate_mae_diff_pp"] < 0.05


@pytest.mark.parametrize(
    "argv",
    [
        ["backtest", "--horizon", "-1"],
        ["backtest", "--horizon", "0"],
        ["fit", "--task", "sudoku"],
        ["predict"],
        ["predict", "--compute", "-5"],
        ["predict", "--params-b", "0", "--tokens-t", "1"],
        ["fit", "--set", "horizon=1"],
        ["backtest", "--baselines", "prophet"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0]


def test_percentages_in_a_users_csv_exit_2_naming_the_row(tmp_path, capsys):
    p = tmp_path / "pct.csv"
    p.write_text("model,task,score,compute\na,t,30,1e21\nb,t,60,1e22\nc,t,90,1e23\n")
    assert main(["fit", "--data", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert "row 2, field 'score'" in err and "percentages" in err
    assert main(["fit", "--data", str(p), "--percent"]) == 0
