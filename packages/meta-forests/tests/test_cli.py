"""The CLI: every sub-command in-process, and bad input as one line with exit code 2."""

import json

import numpy as np
import pytest

from meta_forests import __version__
from meta_forests.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "meta-forests " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: meta-forests" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_demo_writes_result_with_headline_and_figure(tmp_path):
    out = tmp_path / "demo"
    # the demo's own settings, shrunk so the test stays fast
    assert main(["demo", "--out", str(out), "--quiet", "--set", "n_trees=12", "--set", "n_meta_tasks=3"]) == 0
    rec = json.loads((out / "result.json").read_text())
    assert rec["headline"].startswith("demo: rotated-digits")
    methods = [r["method"] for r in rec["metrics"]["summary"]]
    assert methods == ["random-forest", "meta-pooled", "meta-paper-log-power"]
    assert (out / "lodo_accuracy.png").stat().st_size > 1000


def test_benchmark_prints_and_saves_a_table(tmp_path, capsys):
    out = tmp_path / "bench"
    argv = [
        "benchmark",
        "--dataset",
        "blobs",
        "--protocol",
        "lodo",
        "--seeds",
        "1",
        "--out",
        str(out),
        "--quiet",
    ]
    argv += [
        "--set",
        "n_trees=8",
        "--set",
        "n_meta_tasks=2",
        "--set",
        'methods=["random-forest","meta-pooled"]',
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| random-forest |" in printed and "| selected-meta |" in printed
    assert (out / "table.md").read_text().strip() == printed.strip()
    assert (out / "lodo_accuracy.png").exists()
    rec = json.loads((out / "result.json").read_text())
    assert len(rec["metrics"]["selected_meta_variant"]["training-domain"]) == 1
    n_folds = len(rec["metrics"]["targets"])
    assert sum(rec["metrics"]["selection_counts"]["training-domain"].values()) == n_folds
    assert (out / "lodo_checkpoint.npz").exists()


def test_select_prints_the_validation_choice_and_records_agreement(tmp_path, capsys):
    out = tmp_path / "sel"
    argv = [
        "select",
        "--dataset",
        "blobs",
        "--protocol",
        "leave-one-domain-out",
        "--out",
        str(out),
        "--quiet",
    ]
    argv += [
        "--set",
        "n_trees=8",
        "--set",
        "n_meta_tasks=2",
        "--set",
        'candidates=["meta-pooled","meta-per-domain"]',
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    rec = json.loads((out / "result.json").read_text())
    best = rec["metrics"]["selected"]
    assert best in ("meta-pooled", "meta-per-domain") and f"selected: {best}" in printed
    assert rec["metrics"]["agrees_with_default"] == (best == "meta-pooled")
    assert (out / "selection.md").read_text().strip() == printed.strip()


def test_select_bad_protocol_is_one_line_exit_2(capsys):
    assert main(["select", "--dataset", "blobs", "--protocol", "oracle", "--quiet"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def _write_train_npz(tmp_path):
    """Two well-separated classes over three domains, saved as ``train.npz``; returns ``(X, y)``."""
    rng = np.random.default_rng(0)
    y = np.arange(90) % 2
    X = rng.normal(size=(90, 3)) + 3 * y[:, None]
    np.savez(tmp_path / "train.npz", X=X, y=y, domains=np.repeat(["a", "b", "c"], 30))
    return X, y


def test_fit_then_predict_round_trip(tmp_path, capsys):
    X, y = _write_train_npz(tmp_path)
    model = tmp_path / "m.joblib"
    argv = [
        "fit",
        "--data",
        str(tmp_path / "train.npz"),
        "--model",
        str(model),
        "--quiet",
        "--set",
        "n_meta_tasks=3",
    ]
    assert main([*argv, "--out", str(tmp_path / "fit")]) == 0
    assert json.loads((tmp_path / "fit" / "result.json").read_text())["metrics"]["n_forests"] == 3
    assert (
        main(
            ["predict", "--data", str(tmp_path / "train.npz"), "--model", str(model), "--out", str(tmp_path)]
        )
        == 0
    )
    import joblib

    est = joblib.load(model)
    assert f"accuracy {est.score(X, y):.4f}" in capsys.readouterr().out
    assert est.score(X, y) > 0.95
    rows = (tmp_path / "predictions.csv").read_text().splitlines()
    assert rows[0] == "domain,y,prediction" and len(rows) == 91
    assert [int(r.split(",")[2]) for r in rows[1:]] == est.predict(X).tolist()


def test_fit_with_extra_trees_base_forests(tmp_path):
    _write_train_npz(tmp_path)
    model = tmp_path / "m.joblib"
    argv = ["fit", "--data", str(tmp_path / "train.npz"), "--model", str(model), "--quiet"]
    assert main([*argv, "--set", "forest_type=extra", "--set", "n_meta_tasks=3"]) == 0
    import joblib
    from sklearn.ensemble import ExtraTreesClassifier

    est = joblib.load(model)
    assert est.forest_type == "extra"
    assert all(isinstance(f, ExtraTreesClassifier) for f in est.forests_)


def test_mmd_command_matches_library(tmp_path, capsys):
    from meta_forests import mmd2

    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(40, 2)), rng.normal(1.0, size=(30, 2))
    np.save(tmp_path / "a.npy", A)
    np.savetxt(tmp_path / "b.csv", B, delimiter=",")
    assert (
        main(["mmd", "--a", str(tmp_path / "a.npy"), "--b", str(tmp_path / "b.csv"), "--bandwidth", "1.0"])
        == 0
    )
    value = float(capsys.readouterr().out.split("=")[1])
    assert value == pytest.approx(mmd2(A, B, bandwidth=1.0), rel=1e-5)


@pytest.mark.parametrize(
    "argv",
    [
        ["fit", "--data", "missing.npz", "--model", "m.joblib"],
        ["benchmark", "--dataset", "imagenet"],
        ["benchmark", "--protocol", "kfold"],
        ["benchmark", "--set", "no_such_key=1"],
        ["demo"],
        ["predict", "--data", "x.npz", "--model", "missing.joblib"],
    ],
)
def test_bad_input_is_one_line_exit_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("meta-forests: error:")


def test_mmd_feature_mismatch_is_one_line_exit_2(tmp_path, capsys):
    np.save(tmp_path / "a.npy", np.ones((3, 2)))
    np.save(tmp_path / "b.npy", np.ones((3, 3)))
    assert main(["mmd", "--a", str(tmp_path / "a.npy"), "--b", str(tmp_path / "b.npy")]) == 2
    assert "same number of features" in capsys.readouterr().err


def test_fit_with_bad_parameter_is_one_line_exit_2(tmp_path, capsys):
    np.savez(tmp_path / "t.npz", X=np.ones((6, 2)), y=np.arange(6) % 2, domains=np.arange(6) % 3)
    argv = [
        "fit",
        "--data",
        str(tmp_path / "t.npz"),
        "--model",
        str(tmp_path / "m"),
        "--set",
        "forest_mode=nope",
    ]
    assert main(argv) == 2
    assert "forest_mode" in capsys.readouterr().err
