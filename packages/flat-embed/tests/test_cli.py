"""The CLI: every sub-command in-process, records written, bad input -> exit 2 with one line."""

import json

import numpy as np
import pytest

from flat_embed import __version__
from flat_embed.cli import main
from flat_embed.manifolds import make_manifold
from flat_embed.pairs import PairSampler


def _one_line_error(capsys, needle):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert needle in err[0]


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "flat-embed " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: flat-embed" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_gamma_check_writes_limit_and_figure(tmp_path):
    out = tmp_path / "g"
    assert (
        main(
            [
                "gamma-check",
                "--manifold",
                "sphere",
                "--eps",
                "0.1,0.025",
                "--n-pairs",
                "2000",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    rec = json.loads((out / "result.json").read_text())
    assert rec["metrics"]["limit"]["bending"] == pytest.approx(1 / 64)
    assert min(r["rel_error"] for r in rec["metrics"]["rows"]) < 1e-3
    assert (out / "gamma.png").is_file()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("train")
    code = main(
        [
            "train",
            "--manifold",
            "plane",
            "--steps",
            "200",
            "--out",
            str(out),
            "--quiet",
            "--set",
            "ambient_dim=10",
            "--set",
            "warm_start='none'",
            "--set",
            "n_eval=300",
            "--set",
            "hidden=[16, 16]",
        ]
    )
    assert code == 0
    return out


def test_train_writes_model_record_and_figure(trained):
    rec = json.loads((trained / "result.json").read_text())
    assert rec["metrics"]["procrustes"] < 0.1
    assert {"distortion", "bending"} <= set(rec["metrics"]["final"])
    assert (trained / "model.pt").is_file() and (trained / "training.png").is_file()


def test_eval_reads_a_trained_model(trained, tmp_path):
    assert (
        main(
            [
                "eval",
                "--model",
                str(trained / "model.pt"),
                "--manifold",
                "plane",
                "--set",
                "ambient_dim=10",
                "--set",
                "n_eval=300",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    rec = json.loads((tmp_path / "result.json").read_text())
    assert "interpolation" in rec["metrics"] and rec["metrics"]["procrustes"] < 0.1


def test_eval_with_mismatched_manifold_is_exit_2(trained, tmp_path, capsys):
    assert (
        main(["eval", "--model", str(trained / "model.pt"), "--manifold", "plane", "--out", str(tmp_path)])
        == 2
    )
    _one_line_error(capsys, "model expects 10 input features")


def test_train_on_user_pairs_file(tmp_path):
    m = make_manifold("plane", ambient_dim=4)
    b = PairSampler(m).sample(500, 0.1, np.random.default_rng(0))
    np.savez(tmp_path / "pairs.npz", x=b.x, y=b.y, mid=b.mid, d=b.d)
    assert (
        main(
            [
                "train",
                "--pairs",
                str(tmp_path / "pairs.npz"),
                "--steps",
                "20",
                "--out",
                str(tmp_path / "o"),
                "--quiet",
                "--set",
                "warm_start='none'",
            ]
        )
        == 0
    )
    assert (tmp_path / "o" / "model.pt").is_file()


def test_train_on_raw_samples_csv(tmp_path):
    m = make_manifold("plane", ambient_dim=3)
    np.savetxt(tmp_path / "X.csv", m.embed(m.sample_params(300, np.random.default_rng(0))), delimiter=",")
    assert (
        main(
            [
                "train",
                "--samples",
                str(tmp_path / "X.csv"),
                "--steps",
                "20",
                "--out",
                str(tmp_path / "o"),
                "--quiet",
                "--set",
                "warm_start='none'",
            ]
        )
        == 0
    )


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["train", "--manifold", "klein"], "unknown manifold 'klein'"),
        (["train", "--manifold", "plane", "--latent", "1", "--steps", "2"], "below the intrinsic dimension"),
        (["train", "--pairs", "missing.npz"], "does not exist"),
        (["train", "--set", "lam=-1", "--steps", "2"], "lam must be >= 0"),
        (["train", "--set", "bogus=1"], "unknown config key 'bogus'"),
        (["gamma-check", "--manifold", "s-curve"], "no closed-form"),
        (["gamma-check", "--eps", "0.1,abc"], "comma-separated list"),
        (["compare", "--baselines", "tsne"], "unknown methods"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, needle, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, needle)


@pytest.mark.parametrize(
    ("arrays", "needle"),
    [
        ({"x": [[0.0, 0.0]], "y": [[0.0, 0.0]], "mid": [[0.0, 0.0]], "d": [0.1]}, "x == y"),
        ({"x": [[0.0, 0.0]], "y": [[1.0, 0.0]], "mid": [[0.5, 0.0]], "d": [0.0]}, "d must be > 0"),
        ({"x": [[0.0, 0.0]], "y": [[1.0, 0.0]], "mid": [[0.5]], "d": [1.0]}, "same shape"),
        ({"x": [[0.0, 0.0]], "y": [[1.0, 0.0]], "d": [1.0]}, "lacks arrays ['mid']"),
        ({"x": [[0.0, np.nan]], "y": [[1.0, 0.0]], "mid": [[0.5, 0.0]], "d": [1.0]}, "non-finite"),
    ],
)
def test_bad_pairs_file_is_one_line_exit_2(arrays, needle, tmp_path, capsys):
    np.savez(tmp_path / "p.npz", **{k: np.asarray(v) for k, v in arrays.items()})
    assert main(["train", "--pairs", str(tmp_path / "p.npz"), "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, needle)


def test_pairs_beyond_eps_max_are_one_line_exit_2(tmp_path, capsys):
    np.savez(tmp_path / "p.npz", x=[[0.0, 0.0]], y=[[1.0, 0.0]], mid=[[0.5, 0.0]], d=[1.0])
    assert (
        main(["train", "--pairs", str(tmp_path / "p.npz"), "--set", "eps_max=0.5", "--out", str(tmp_path)])
        == 2
    )
    _one_line_error(capsys, "farther than eps_max")


def test_disconnected_samples_are_one_line_exit_2(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "X.npy", np.r_[rng.standard_normal((40, 2)), rng.standard_normal((40, 2)) + 50])
    assert main(["train", "--samples", str(tmp_path / "X.npy"), "--out", str(tmp_path)]) == 2
    _one_line_error(capsys, "connected components")


def test_compare_writes_table_and_figures(tmp_path):
    out = tmp_path / "c"
    assert (
        main(
            [
                "compare",
                "--manifold",
                "plane",
                "--baselines",
                "isomap,spectral",
                "--steps",
                "50",
                "--n-samples",
                "200",
                "--out",
                str(out),
                "--quiet",
                "--set",
                "warm_steps=20",
                "--set",
                "hidden=[8]",
            ]
        )
        == 0
    )
    assert "| isomap |" in (out / "compare.md").read_text()
    assert (out / "latents.png").is_file() and (out / "interpolation.png").is_file()


def test_bench_quick_records_loss_scaling(tmp_path, monkeypatch):
    import flat_embed.benchmark as b

    orig = b.bench_loss_scaling
    monkeypatch.setattr(b, "bench_loss_scaling", lambda: orig(pair_counts=(100, 1000), repeats=1))
    assert main(["bench", "--quick", "--out", str(tmp_path), "--quiet"]) == 0
    rec = json.loads((tmp_path / "result.json").read_text())
    assert rec["metrics"]["loss_scaling"]["pairs"] == [100, 1000]


@pytest.mark.slow
def test_demo_writes_headline_and_figures(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    rec = json.loads((tmp_path / "result.json").read_text())
    assert "Procrustes" in rec["headline"]
    assert (tmp_path / "latents.png").is_file()


def test_demo_runs_with_short_overrides(tmp_path):
    assert (
        main(
            [
                "demo",
                "--out",
                str(tmp_path),
                "--quiet",
                "--set",
                "steps=30",
                "--set",
                "warm_steps=10",
                "--set",
                "ae_steps=10",
                "--set",
                "n_samples=300",
                "--set",
                "hidden=[8]",
            ]
        )
        == 0
    )
    rec = json.loads((tmp_path / "result.json").read_text())
    assert rec["headline"].startswith("swiss-roll")
    assert (tmp_path / "latents.png").is_file() and (tmp_path / "interpolation.png").is_file()


def test_image_manifold_is_not_lifted_and_trains_with_the_cnn(tmp_path):
    assert (
        main(
            [
                "train",
                "--manifold",
                "image-translation",
                "--steps",
                "3",
                "--out",
                str(tmp_path),
                "--quiet",
                "--set",
                "warm_start='none'",
                "--set",
                "n_eval=60",
                "--set",
                "encoder='cnn'",
                "--set",
                "batch_size=16",
            ]
        )
        == 0
    )
    rec = json.loads((tmp_path / "result.json").read_text())
    assert rec["config"]["encoder"] == "cnn"


def test_training_on_image_rotation_records_the_topological_bound(tmp_path):
    argv = ["train", "--manifold", "image-rotation", "--steps", "3", "--out", str(tmp_path), "--quiet"]
    sets = ["warm_start='none'", "n_eval=60", "batch_size=16", "hidden=[8]"]
    assert main(argv + [a for v in sets for a in ("--set", v)]) == 0
    rec = json.loads((tmp_path / "result.json").read_text())
    tb = rec["metrics"]["topological_bound"]
    assert tb["bound"] == pytest.approx(1 / 64 - 1 / 16384)
    assert tb["total"] > tb["bound"] - 3 * tb["total_stderr"]
