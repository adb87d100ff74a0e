"""CLI: every sub-command runs in-process, writes result.json and PNGs; bad input exits 2."""

import json

import numpy as np
import pytest

from mri_linf import __version__
from mri_linf.cli import main

FAST = ["--set", "clean_iter=60", "--set", "unroll=5", "--quiet"]


def _record(out):
    return json.loads((out / "result.json").read_text())


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "mri-linf " + __version__


def test_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: mri-linf" in out
    for cmd in ("mask", "recon", "attack", "sweep", "recovery", "train-dnn", "bench", "demo"):
        assert cmd in out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_demo_writes_record_headline_and_figures(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--steps", "2", *FAST]) == 0
    rec = _record(out)
    assert "l-inf error in disk" in rec["headline"] and "U-Net" in rec["headline"]
    m = rec["metrics"]
    assert m["e_norm"] <= m["budget"] * (1 + 1e-6)
    assert "transfer_to_unet_linf_in" in m and "transfer_to_tv_linf_in" in m
    for name in (
        "image",
        "tv_recon",
        "tv_perturbed",
        "tv_error",
        "unet_recon",
        "unet_perturbed",
        "unet_error",
    ):
        assert (out / f"{name}.png").is_file()


def test_mask_recon_and_attack_commands(tmp_path):
    assert (
        main(["mask", "--kind", "cartesian", "--n", "32", "--accel", "4", "--out", str(tmp_path / "m"), "-q"])
        == 0
    )
    assert np.load(tmp_path / "m" / "mask.npy").shape == (32, 32)
    assert (tmp_path / "m" / "mask.png").is_file()
    img = np.zeros((32, 32))
    img[8:20, 10:24] = 1
    np.save(tmp_path / "img.npy", img)
    out = tmp_path / "r"
    args = [
        "recon",
        "--image",
        str(tmp_path / "img.npy"),
        "--n",
        "32",
        "--spokes",
        "12",
        "--out",
        str(out),
        "-q",
    ]
    assert main([*args, "--set", "clean_iter=300"]) == 0
    assert _record(out)["metrics"]["rel_l2"] < _record(out)["metrics"]["zero_filled_rel_l2"]
    assert (out / "recon.png").is_file()
    out = tmp_path / "a"
    args = [
        "attack",
        "--decoder",
        "wavelet",
        "--n",
        "32",
        "--spokes",
        "10",
        "--mu",
        "16",
        "11",
        "--steps",
        "2",
    ]
    assert main([*args, "--no-dnn", "--out", str(out), *FAST]) == 0
    assert _record(out)["config"]["decoder"] == "wavelet"
    assert (out / "wavelet_error.png").is_file()


def test_sweep_and_recovery_write_csv_and_plot(tmp_path):
    out = tmp_path / "s"
    args = ["sweep", "--n", "32", "--spokes", "10", "--mu", "16", "11", "--steps", "2", "--no-dnn"]
    assert main([*args, "--radii", "1", "2", "--out", str(out), *FAST]) == 0
    assert len(_record(out)["metrics"]["rows"]) == 2
    assert (out / "sweep.csv").is_file() and (out / "sweep.png").is_file()
    out = tmp_path / "rc"
    assert (
        main(["recovery", "--n", "32", "--spokes", "3", "12", "--set", "n_iter=300", "--out", str(out), "-q"])
        == 0
    )
    rows = _record(out)["metrics"]["rows"]
    assert rows[1]["rel_l2"] < rows[0]["rel_l2"]
    assert (out / "recovery.png").is_file()


def test_train_dnn_writes_weights_usable_by_attack(tmp_path):
    out = tmp_path / "t"
    sets = ["--set", "base_channels=4", "--set", "depth=2", "--set", "batch_size=2", "--set", "spokes=8"]
    assert main(["train-dnn", "--n", "32", "--steps", "3", *sets, "--out", str(out), "-q"]) == 0
    assert (out / "unet.npz").is_file() and (out / "loss.png").is_file()
    w = str(out / "unet.npz")
    args = ["attack", "--decoder", "unet", "--weights", w, "--n", "32", "--spokes", "8", "--mu", "16", "11"]
    assert main([*args, "--steps", "2", "--out", str(tmp_path / "a"), "-q"]) == 0
    assert (tmp_path / "a" / "unet_error.png").is_file()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["attack", "--eta", "0"], "eta"),
        (["attack", "--eta", "-0.01"], "eta"),
        (["attack", "--mu", "1", "1"], "outside"),
        (["attack", "--sigma", "0"], "sigma"),
        (["recon", "--lam", "0"], "lam"),
        (["recon", "--rho", "-1"], "rho"),
        (["recon", "--image", "missing.npy"], "does not exist"),
        (["recon", "--set", "bogus=1"], "unknown config key"),
        (["recon", "--decoder", "magic"], "decoder"),
        (["mask", "--n", "1"], "shape"),
        (["attack", "--decoder", "unet", "--n", "64"], "trained at n = 128"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, needle, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "o"), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_bench_quick_records_timings_and_checkpointing_keeps_gradients(tmp_path):
    out = tmp_path / "b"
    assert main(["bench", "--quick", "--no-peer", "--out", str(out), "-q"]) == 0
    m = _record(out)["metrics"]
    assert m["tv_64"]["ours_admm_ms"] > 0 and "sigpy_ms" not in m["tv_64"]
    assert m["memory"]["grad_rel_diff"] < 1e-9
    assert m["attack"]["attack_over_clean_solve"] > 0


@pytest.mark.slow
def test_bench_quick_with_sigpy_peer(tmp_path):
    pytest.importorskip("sigpy")
    out = tmp_path / "b"
    assert main(["bench", "--quick", "--out", str(out), "-q"]) == 0
    m = _record(out)["metrics"]
    assert m["tv_64"]["speedup_admm_vs_sigpy"] > 0


def test_public_names_resolve_lazily():
    import mri_linf

    for name in mri_linf.__all__:
        assert getattr(mri_linf, name) is not None
    with pytest.raises(AttributeError):
        _ = mri_linf.no_such_name
