"""The CLI: account / calibrate numbers, train on a user's file, demo and verify records, and bad
input as one line with exit code 2."""

import json

import numpy as np
import pytest

from dp_zero import __version__
from dp_zero.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "dp-zero " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: dp-zero" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_account_prints_the_rdp_epsilon(capsys, tmp_path):
    assert (
        main(
            ["account", "--q", str(256 / 60000), "--sigma", "1.1", "--steps", "14100", "--out", str(tmp_path)]
        )
        == 0
    )
    assert "epsilon = 2.6003" in capsys.readouterr().out
    assert json.loads((tmp_path / "result.json").read_text())["metrics"]["epsilon"] == pytest.approx(
        2.6003, rel=1e-4
    )


def test_calibrate_prints_the_noise_multiplier(capsys):
    assert main(["calibrate", "--target-eps", "8", "--q", str(1024 / 50000), "--epochs", "3"]) == 0
    assert "sigma = 0.599" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["account", "--q", "0.01", "--sigma", "1", "--steps", "10", "--delta", "1.5"],
    ["calibrate", "--target-eps", "1", "--q", "0.01"],
    ["train", "--backend", "mpi"],
    ["train", "--noise-multiplier", "1.0", "--target-epsilon", "2.0"],
    ["train", "--delta", "0.01"],
    ["train", "--epochs", "0"],
    ["train", "--batch-size", "100000"],
    ["train", "--clipping-style", "all-layer", "--backend", "deepspeed", "--epochs", "0.01"],
    ["train", "--dataset", "missing.npz"],
    ["verify", "--stages", "4"],
])  # fmt: skip
def test_bad_input_is_one_line_exit_2(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dp-zero: error:")


def test_train_on_a_user_npz_writes_a_record(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 5))
    np.savez(tmp_path / "mine.npz", X=x, y=(x[:, 0] > 0).astype(int))
    out = tmp_path / "run"
    argv = ["train", "--dataset", str(tmp_path / "mine.npz"), "--epochs", "3", "--batch-size", "48",
            "--target-epsilon", "4", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    rec = json.loads((out / "result.json").read_text())
    assert rec["metrics"]["epsilon"] <= 4.0 and rec["metrics"]["test_accuracy"] > 0.6
    assert (out / "checkpoint.pt").is_file()


def test_demo_writes_record_and_figure(tmp_path):
    assert main(["demo", "--epochs", "2", "--out", str(tmp_path), "--quiet"]) == 0
    rec = json.loads((tmp_path / "result.json").read_text())
    assert "epsilon" in rec["headline"] and (tmp_path / "loss_curves.png").is_file()


def test_verify_without_distributed_backend_passes(tmp_path, capsys):
    assert main(["verify", "--backend", "none", "--out", str(tmp_path)]) == 0
    assert "0 failed" in capsys.readouterr().out


def test_bench_single_process_records_ratios(tmp_path, capsys):
    assert main(["bench", "--stages", "", "--steps", "1", "--out", str(tmp_path)]) == 0
    single = json.loads((tmp_path / "result.json").read_text())["metrics"]["single_process"]
    assert single["dp_zero_over_non_dp"] > 0 and single["opacus_over_dp_zero"] > 0
    assert "Opacus/dp-zero" in capsys.readouterr().out
