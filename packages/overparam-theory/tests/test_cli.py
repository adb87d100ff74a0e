"""CLI: list, formula, run (record + figure), bad input is one line with exit 2."""

import json

from overparam import __version__
from overparam.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "overparam " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: overparam" in capsys.readouterr().out


def test_list_names_seven(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == [f"E{i}" for i in range(1, 8)]


def test_formula_rf_regression_value(capsys):
    assert main(["formula", "rf", "--psi1", "2.7", "--psi2", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["V"] - 9.0) < 1e-6


def test_formula_hmrt(capsys):
    assert main(["formula", "hmrt", "--gamma", "2", "--r2", "1", "--sigma2", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["risk"] == 1.5


def test_run_writes_record_and_png(tmp_path, capsys):
    out = tmp_path / "e1"
    assert main(["run", "E1", "--out", str(out), "--set", "steps=2000", "--quiet"]) == 0
    rec = json.loads((out / "result.json").read_text())
    assert rec["metrics"]["passed"] is True
    assert rec["config"]["steps"] == 2000
    assert (out / "E1.png").read_bytes()[:4] == b"\x89PNG"


def _one_line_error(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err


def test_bad_inputs_are_one_line(capsys, tmp_path):
    _one_line_error(capsys, ["run", "E9", "--out", str(tmp_path)], "unknown experiment")
    _one_line_error(capsys, ["run", "E1", "--set", "nn=3", "--out", str(tmp_path)], "'nn'")
    _one_line_error(capsys, ["formula", "finite", "--n", "200", "--p", "200"], "p < n-1")
    _one_line_error(capsys, ["formula", "hmrt", "--lam", "-1"], "lambda")
    _one_line_error(
        capsys, ["formula", "ranks", "--spectrum", "nope", "--n", "5", "--p", "10"], "unknown spectrum"
    )
