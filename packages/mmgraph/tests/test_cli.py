"""The CLI: every sub-command runs in-process and writes its record; bad input exits 2 with one line."""

import json

import pytest

from mmgraph import __version__
from mmgraph.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "mmgraph " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: mmgraph" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_components_prints_the_instance_table(capsys):
    assert main(["components"]) == 0
    out = capsys.readouterr().out
    assert (
        sum(
            line.startswith("| image") or line.startswith("| language") or line.startswith("| science")
            for line in out.splitlines()
        )
        == 12
    )
    assert "propagation  gat, gcn, gin, gn, mlp, rgcn, sage" in out.replace("branches, ", "")
    assert main(["components", "--domain", "language"]) == 0
    assert "FuNet" not in capsys.readouterr().out


def test_build_graph_reports_statistics(tmp_path, capsys):
    assert (
        main(["build-graph", "--data", "karate", "--topology", "explicit", "--out", str(tmp_path), "--quiet"])
        == 0
    )
    rec = json.loads((tmp_path / "result.json").read_text())
    assert rec["metrics"]["edges"] == 156 and rec["metrics"]["symmetric"] is True
    assert (tmp_path / "degrees.png").is_file()


def test_train_writes_record_model_and_figure(tmp_path, capsys):
    assert (
        main(
            ["train", "--preset", "textgcn", "--epochs", "5", "--baseline", "--out", str(tmp_path), "--quiet"]
        )
        == 0
    )
    rec = json.loads((tmp_path / "result.json").read_text())
    assert 0 <= rec["metrics"]["accuracy"] <= 1 and "baseline_accuracy" in rec["metrics"]
    assert (tmp_path / "model" / "blueprint.toml").is_file() and (tmp_path / "loss.png").is_file()
    from mmgraph.blueprint import MGLBlueprint

    assert MGLBlueprint.load(tmp_path / "model").to_config() == rec["config"]["blueprint"]


def test_train_from_a_blueprint_file(tmp_path, capsys):
    bp = tmp_path / "bp.toml"
    bp.write_text(
        '[entities]\ndim = 8\n[topology]\nkind = "explicit"\n[propagation]\nkind = "sage"\nhidden = 8\n[mixing]\nkind = "none"\n'
    )
    assert (
        main(
            [
                "train",
                "--preset",
                "funet",
                "--data",
                "karate",
                "--blueprint",
                str(bp),
                "--epochs",
                "3",
                "--quiet",
            ]
        )
        == 0
    )
    assert "blueprint on karate" in capsys.readouterr().out


def test_ablate_and_demo_write_table_plot_and_headline(tmp_path, capsys):
    assert (
        main(
            [
                "ablate",
                "--data",
                "sbm",
                "--seeds",
                "1",
                "--epochs",
                "3",
                "--set",
                "swaps=false",
                "--out",
                str(tmp_path / "a"),
                "--quiet",
            ]
        )
        == 0
    )
    assert "| A only (MLP) | A |" in capsys.readouterr().out
    assert (tmp_path / "a" / "ablation.png").is_file()
    assert main(["demo", "--set", "epochs=3", "--out", str(tmp_path / "d"), "--quiet"]) == 0
    rec = json.loads((tmp_path / "d" / "result.json").read_text())
    assert (
        rec["headline"].startswith("digits-sum: best fused")
        and (tmp_path / "d" / "demo_ablation.png").is_file()
    )


def test_check_passes_and_bench_writes_ratios(tmp_path, capsys):
    assert main(["check", "--equivariance", "--quiet"]) == 0
    assert "configurations equivariant/invariant within 1e-05" in capsys.readouterr().out
    assert (
        main(
            [
                "bench",
                "--nodes",
                "200",
                "--epochs",
                "2",
                "--repeats",
                "1",
                "--sizes",
                "100",
                "200",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    rec = json.loads((tmp_path / "result.json").read_text())
    assert rec["metrics"]["overhead"]["overhead_ratio"] > 0 and (tmp_path / "construction.png").is_file()


@pytest.mark.parametrize(
    "argv, match",
    [
        (["train", "--preset", "nope"], "unknown preset 'nope'"),
        (["train", "--data", "mnist"], "unknown data 'mnist'"),
        (["ablate", "--data", "digits-sum", "--modalities", "image,audio"], "no modality ['audio']"),
        (
            ["build-graph", "--data", "karate", "--topology", "knn", "--on", "id", "--k", "40"],
            "k=40 is too large",
        ),
        (["train", "--set", "colour=1"], "unknown config key 'colour'"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err


def test_user_tables_with_nan_exit_2(tmp_path, capsys):
    nodes = tmp_path / "n.csv"
    nodes.write_text("id,label,img:0\nn1,0,nan\nn2,1,0.2\n")
    assert main(["train", "--preset", "funet", "--data", str(nodes), "--quiet"]) == 2
    assert "NaN" in capsys.readouterr().err


def test_train_with_sampled_neighbourhoods_and_a_bad_fan_out(tmp_path, capsys):
    args = ["train", "--preset", "funet", "--epochs", "3", "--neighbors", "5,5", "--quiet"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    rec = json.loads((tmp_path / "result.json").read_text())
    assert 0 <= rec["metrics"]["accuracy"] <= 1
    capsys.readouterr()
    assert main(["train", "--preset", "funet", "--neighbors", "5,x", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--neighbors" in err[0]
