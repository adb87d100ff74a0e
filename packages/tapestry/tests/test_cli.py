"""The CLI: every sub-command in-process; bad input exits 2 with one line on stderr."""

import json

import pytest

from tapestry import __version__
from tapestry.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "tapestry " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: tapestry" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def woven(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    csv = d / "l96.csv"
    assert main(["simulate", "--system", "lorenz96-forced", "--n", "240", "--out", str(csv)]) == 0
    out = d / "weave"
    assert (
        main(
            [
                "weave",
                "--data",
                str(csv),
                "--target",
                "prcp1",
                "--variables",
                "prcp1,temp1,sun",
                "--origins",
                "last:20",
                "--n-maps",
                "20",
                "--k",
                "10",
                "--set",
                "nsel=4",
                "--set",
                "lags=4",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    return d, csv, out


def test_weave_writes_threads_record_and_fan_chart(woven):
    _, _, out = woven
    rec = json.loads((out / "result.json").read_text())
    assert rec["metrics"]["n_threads"] == 200 and rec["metrics"]["n_origins"] == 20
    assert (out / "threads.npz").is_file() and (out / "fan_chart.png").is_file()


def test_evaluate_scores_against_baselines(woven, capsys, tmp_path):
    _, csv, out = woven
    assert (
        main(
            [
                "evaluate",
                "--threads",
                str(out / "threads.npz"),
                "--data",
                str(csv),
                "--baselines",
                "climatology,persistence",
                "--json",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    m = json.loads(capsys.readouterr().out)
    assert {"crps_tapestry_h1", "crps_climatology_h1", "crps_persistence_h4", "coverage90_h1"} <= set(m)
    assert (tmp_path / "pit.png").is_file()


def test_scenario_prints_conditional_distribution(woven, capsys):
    _, _, out = woven
    assert main(["scenario", "--threads", str(out / "threads.npz"), "--condition", "prcp1@h2>q0.8"]) == 0
    text = capsys.readouterr().out
    p = float(text.split("=")[1].split()[0])
    assert 0.1 <= p <= 0.2  # top 20 % of threads; repeated analog values tie at the quantile
    assert "given condition" in text


def test_update_appends_rows_and_weaves_from_the_new_end(woven, tmp_path, capsys):
    _, csv, _ = woven
    import pandas as pd

    df = pd.read_csv(csv)
    head, tail = tmp_path / "head.csv", tmp_path / "tail.csv"
    df.iloc[:200].to_csv(head, index=False)
    df.iloc[200:].to_csv(tail, index=False)
    assert (
        main(
            [
                "update",
                "--data",
                str(head),
                "--new",
                str(tail),
                "--target",
                "prcp1",
                "--variables",
                "prcp1,temp1",
                "--set",
                "n_maps=5",
                "--set",
                "k=5",
                "--set",
                "nsel=3",
                "--set",
                "lags=3",
                "--out",
                str(tmp_path / "u"),
                "--quiet",
            ]
        )
        == 0
    )
    assert "library grew from" in capsys.readouterr().out


def test_select_reports_a_path(woven, tmp_path, capsys):
    _, csv, _ = woven
    assert (
        main(
            [
                "select",
                "--data",
                str(csv),
                "--target",
                "prcp1",
                "--variables",
                "prcp1,temp1,sun",
                "--n-maps",
                "8",
                "--k",
                "8",
                "--horizons",
                "2",
                "--set",
                "lags=3",
                "--set",
                "nsel=3",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    assert "selected: prcp1" in capsys.readouterr().out
    assert (tmp_path / "selection_path.png").is_file()


def test_demo_writes_headline_and_figures(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--quiet", "--set", "n_maps=20"]) == 0
    rec = json.loads((tmp_path / "result.json").read_text())
    assert rec["headline"].startswith("El Nino SST, 36 held-out seasons")
    assert len(list(tmp_path.glob("*.png"))) >= 4


def test_bench_quick_reports_ratios(tmp_path):
    assert (
        main(
            [
                "bench",
                "--quick",
                "--quiet",
                "--out",
                str(tmp_path),
                "--set",
                "memory_maps=20",
                "--set",
                "naive_origins=1",
                "--set",
                "lars_maps=1",
                "--set",
                "lars_paper_scale=true",
            ]
        )
        == 0
    )
    m = json.loads((tmp_path / "result.json").read_text())["metrics"]
    assert m["speedup_vs_naive_refit"] > 1
    assert m["lars_paper_scale_fits"] == 20 * 36 * 4 and m["lars_paper_scale_n_jobs2_s"] > 0
    assert m["lars_parallel_identical_threads"] is True and m["lars_parallel_speedup"] > 0
    assert m["threads_mb_at_1200_maps"] > 0


@pytest.mark.parametrize(
    "argv",
    [
        ["weave", "--data", "missing.csv"],
        ["weave", "--data", "{csv}", "--origins", "first:3"],
        ["weave", "--data", "{csv}", "--target", "snow"],
        ["weave", "--data", "{csv}", "--k", "500", "--set", "nsel=3"],
        ["weave", "--data", "{csv}", "--set", "nsel=99", "--set", "lags=2"],
        ["scenario", "--threads", "{threads}", "--condition", "prcp1 > 3"],
        ["simulate", "--system", "ar1", "--n", "3", "--out", "{tmp}/x.csv"],
    ],
)
def test_bad_input_exits_2_with_one_line(woven, capsys, tmp_path, argv):
    d, csv, out = woven
    argv = [a.format(csv=csv, threads=out / "threads.npz", tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0]


def _driven_csv(path, n=400, seed=0):
    """y_{t+1} = 0.3 y_t + 2 driver_t + noise, plus an unrelated white-noise column."""
    import numpy as np
    import pandas as pd

    from tapestry.datasets import logistic_map

    rng = np.random.default_rng(seed)
    drv = logistic_map(n + 1, r=3.9, x0=0.4)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.3 * y[t - 1] + 2.0 * drv[t - 1] + 0.05 * rng.normal()
    pd.DataFrame({"y": y, "driver": drv[:n], "noise": rng.normal(size=n)}).to_csv(path, index=False)
    return path


def test_lars_weave_then_coefficients_ranks_the_noise_column_last(tmp_path, capsys):
    csv = _driven_csv(tmp_path / "driven.csv")
    run = tmp_path / "lars"
    argv = ["weave", "--data", str(csv), "--target", "y", "--origins", "last:40", "--mode", "lars"]
    argv += ["--n-maps", "8", "--k", "25", "--n-jobs", "1", "--out", str(run), "--quiet"]
    for kv in ("nsel=3", "lags=2", "horizons=1", "seasonal_period=0"):
        argv += ["--set", kv]
    assert main(argv) == 0
    capsys.readouterr()
    assert (
        main(["coefficients", "--threads", str(run / "threads.npz"), "--json", "--out", str(tmp_path)]) == 0
    )
    m = json.loads(capsys.readouterr().out)
    rate = m["rate_by_variable"]
    assert list(rate)[-1] == "noise" and rate["driver"] > 2 * rate["noise"]
    assert (tmp_path / "coefficients.png").is_file()
    assert json.loads((tmp_path / "result.json").read_text())["headline"].endswith("good y fits")


def test_ccm_command_detects_the_driver_of_coupled_logistic_maps(tmp_path, capsys):
    pytest.importorskip("pyEDM")
    csv = tmp_path / "cl.csv"
    assert main(["simulate", "--system", "coupled-logistic", "--n", "600", "--out", str(csv)]) == 0
    capsys.readouterr()
    argv = ["ccm", "--data", str(csv), "--x", "x", "--y", "y", "--E", "2", "--sample", "10"]
    assert main([*argv, "--json", "--out", str(tmp_path)]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["x_drives_y"] is True and m["y_drives_x"] is False
    assert (tmp_path / "ccm.png").is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["coefficients", "--threads", "{threads}"],  # analog threads carry no coefficients
        ["coefficients", "--threads", "{threads}", "--horizons", "1,x"],
        ["ccm", "--data", "{csv}", "--x", "sun", "--y", "snow"],
        ["ccm", "--data", "{csv}", "--x", "sun", "--y", "prcp1", "--lib-sizes", "5,9999"],
        ["weave", "--data", "{csv}", "--n-jobs", "0"],
    ],
)
def test_driver_commands_reject_bad_input_with_one_line(woven, capsys, argv):
    _, csv, out = woven
    argv = [a.format(csv=csv, threads=out / "threads.npz") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0]
