"""The CLI, in-process: every sub-command on tiny settings, and bad input as one line with exit 2."""

import json

import pytest

from core_utils.records import read_result
from quantnas import __version__
from quantnas.bitops import bitops
from quantnas.cli import main
from quantnas.space import DiscreteNet, Genotype

TINY_SEARCH = """
[search]
channels = 6
cells = 1
epochs = 2
warm_up = 1
steps_per_epoch = 2
batch_size = 2
lr_crop = 8
images = "synthetic"

[train]
epochs = 1
steps_per_epoch = 2
batch_size = 2
lr_crop = 8
images = "synthetic"
"""


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "quantnas " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    assert "usage: quantnas" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    cfg = root / "tiny.toml"
    cfg.write_text(TINY_SEARCH)
    out = root / "search"
    assert main(["search", "--config", str(cfg), "--out", str(out), "--quiet", "--penalty", "1e-3"]) == 0
    return root, cfg, out


def test_search_writes_genotype_and_record_and_resumes(searched, capsys):
    root, cfg, out = searched
    geno = Genotype.from_json(out / "genotype.json")
    rec = read_result(out)
    assert rec["config"]["penalty"] == 1e-3 and len(rec["metrics"]["history"]) == 2
    # a second run in the same folder resumes from the finished checkpoint and gives the same genotype
    assert main(["search", "--config", str(cfg), "--out", str(out), "--quiet", "--penalty", "1e-3"]) == 0
    assert Genotype.from_json(out / "genotype.json").blocks == geno.blocks


def test_bitops_command_matches_library(searched, capsys):
    _, _, out = searched
    capsys.readouterr()
    assert main(["bitops", "--genotype", str(out / "genotype.json"), "--input", "16x16"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["bitops"] == bitops(DiscreteNet(Genotype.from_json(out / "genotype.json")), (16, 16))


def test_train_eval_pareto_round_trip(searched, capsys):
    root, cfg, out = searched
    tdir, bdir, pdir = root / "train", root / "bicubic", root / "pareto"
    common = ["--eval-images", "synthetic", "--eval-crop", "64", "--quiet"]
    assert (
        main(
            [
                "train",
                "--genotype",
                str(out / "genotype.json"),
                "--config",
                str(cfg),
                "--out",
                str(tdir),
                *common,
            ]
        )
        == 0
    )
    met = read_result(tdir)["metrics"]
    assert met["psnr_exported"] == pytest.approx(met["psnr"], abs=0.01)
    capsys.readouterr()
    assert (
        main(["eval", "--model", str(tdir / "model_int.pt"), "--images", "synthetic", "--eval-crop", "64"])
        == 0
    )
    int_psnr = json.loads(capsys.readouterr().out)["psnr"]
    assert int_psnr == pytest.approx(met["psnr_exported"], abs=1e-3)
    assert main(["baseline", "--kind", "bicubic", "--config", str(cfg), "--out", str(bdir), *common]) == 0
    assert main(["pareto", str(tdir), str(bdir), "--out", str(pdir)]) == 0
    assert (pdir / "pareto.png").stat().st_size > 1000


def test_bench_writes_ratio(tmp_path):
    args = [
        "bench",
        "--channels",
        "6",
        "--batch-size",
        "2",
        "--lr-crop",
        "8",
        "--steps",
        "1",
        "--repeats",
        "1",
        "--no-memory",  # the memory probe (a fresh process per mode) is tested in test_benchmark
    ]
    assert main([*args, "--out", str(tmp_path)]) == 0
    met = read_result(tmp_path)["metrics"]
    assert met["speedup_noise_vs_direct"] > 0 and met["speedup_noise_vs_direct_cpu"] > 0
    assert "step_peak_mb" not in met


@pytest.mark.slow
def test_demo_writes_record_and_figure(tmp_path):
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    assert "GBitOps" in read_result(tmp_path)["headline"]
    assert (tmp_path / "pareto.png").exists()


@pytest.mark.parametrize(
    ("argv", "msg"),
    [
        (["search", "--bits", "4", "9"], "bits must be one of"),
        (["search", "--scale", "5"], "scale must be one of"),
        (["search", "--epochs", "5", "--warm-up", "5"], "warm_up must be in"),
        (["search", "--penalty", "-1"], "penalty must be >= 0"),
        (["search", "--space", "missing.toml"], "neither a preset"),
        (["search", "--set", "no_such_key=1"], "unknown config key"),
        (["bitops", "--genotype", "missing.json"], "does not exist"),
        (["bitops", "--genotype", "{}"], "malformed genotype"),
        (["bitops", "--genotype", "{}", "--input", "axb"], "--input must look like"),
        (["eval", "--model", "missing.pt"], "does not exist"),
        (["bench", "--repeats", "0"], "--repeats must be >= 1"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, msg, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and msg in err


def test_images_smaller_than_crop_and_grey_folder(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(folder / "grey.png")
    argv = [
        "search",
        "--images",
        str(folder),
        "--out",
        str(tmp_path / "o"),
        "--set",
        "channels=6",
        "--set",
        "cells=1",
    ]
    assert main(argv) == 2
    assert "smaller than the crop" in capsys.readouterr().err


def test_genotype_not_matching_space_is_refused(searched, capsys):
    _, _, out = searched
    assert main(["bitops", "--genotype", str(out / "genotype.json"), "--space", "rfdn"]) == 2
    assert "does not match the search space" in capsys.readouterr().err
