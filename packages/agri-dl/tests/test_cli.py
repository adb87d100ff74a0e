"""The CLI in-process: works, data, bench, demo, train/predict; bad input exits 2 with one line."""

import json

import numpy as np
import pytest
from PIL import Image

from agri_dl import __version__
from agri_dl.catalogue import compare, load_works
from agri_dl.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "agri-dl " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: agri-dl" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_works_list_show_summary_compare(capsys):
    assert main(["works", "list", "--area", "disease"]) == 0
    out = capsys.readouterr().out
    assert "Mohanty et al." in out and "Lee et al." not in out
    assert main(["works", "show", "5"]) == 0
    assert "Faster R-CNN" in capsys.readouterr().out
    assert main(["works", "summary", "--by", "framework"]) == 0
    assert "Caffe" in capsys.readouterr().out
    assert main(["works", "compare"]) == 0
    res = compare(load_works())
    assert f"DL better in {res['k']} of {res['n_numeric']}" in capsys.readouterr().out


def test_data_list(capsys):
    assert main(["data", "list"]) == 0
    assert "ibean" in capsys.readouterr().out


def test_bench_on_synthetic_leaves_writes_table_json_and_png(tmp_path, capsys):
    out = tmp_path / "b"
    argv = [
        "bench",
        "--task",
        "synth-leaves",
        "--methods",
        "color-rf,cnn",
        "--seeds",
        "1",
        "--out",
        str(out),
        "--quiet",
    ]
    argv += ["--set", "epochs=1", "--set", "width=8", "--set", "fractions=[0.5, 1.0]"]
    assert main(argv) == 0
    assert "| cnn | deep |" in capsys.readouterr().out
    rec = json.loads((out / "result.json").read_text())
    assert rec["headline"].startswith("bench: synth-leaves")
    assert len(rec["metrics"]["summary"]) == 4
    assert (out / "confusion.png").exists() and (out / "learning_curve.png").exists()


def test_demo_runs_on_ibean(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet", "--set", "epochs=1", "--set", "width=8"]) == 0
    rec = json.loads((out / "result.json").read_text())
    assert rec["headline"].startswith("demo: ibean")
    assert (out / "confusion.png").stat().st_size > 1000


def test_train_then_predict_a_folder(tmp_path, capsys):
    model = tmp_path / "m.pt"
    argv = [
        "train",
        "--task",
        "synth-leaves",
        "--arch",
        "cnn",
        "--epochs",
        "1",
        "--model",
        str(model),
        "--quiet",
    ]
    assert main(argv) == 0
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    for k in range(3):
        Image.fromarray(np.full((40, 40, 3), 60 * k, np.uint8)).save(imgs / f"{k}.png")
    assert main(["predict", "--model", str(model), "--images", str(imgs), "--out", str(tmp_path)]) == 0
    lines = (tmp_path / "predictions.csv").read_text().splitlines()
    assert lines[0] == "file,prediction" and len(lines) == 4
    assert all(line.split(",")[1] in ("scattered", "edge", "vein") for line in lines[1:])


@pytest.mark.parametrize(
    "argv",
    [
        ["works", "list", "--area", "diseese detection"],
        ["works", "list", "--model", "transformer"],
        ["works", "show", "999"],
        ["works", "summary", "--by", "colour"],
        ["bench", "--methods", "colour-svm"],
        ["bench", "--task", "plantvillage"],
        ["bench", "--set", "nope=1"],
        ["predict", "--model", "missing.pt", "--images", "."],
        ["train", "--task", "synth-leaves", "--arch", "cnn", "--weights", "missing.pt", "--model", "m.pt"],
        ["demo"],
    ],
)
def test_bad_input_is_one_line_exit_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("agri-dl: error:")
