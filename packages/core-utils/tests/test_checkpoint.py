"""Checkpoints round-trip and an interrupted save leaves the previous one intact."""

import os

import numpy as np
import pytest

from core_utils import InputError, load_checkpoint, save_checkpoint


def test_npz_roundtrip(tmp_path):
    state = {"w": np.arange(6.0).reshape(2, 3), "step": np.int64(4)}
    save_checkpoint(tmp_path / "c.npz", state)
    back = load_checkpoint(tmp_path / "c.npz")
    np.testing.assert_array_equal(back["w"], state["w"])
    assert int(back["step"]) == 4


def test_torch_roundtrip(tmp_path):
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(3, 2)
    save_checkpoint(tmp_path / "m.pt", {"model": model.state_dict(), "epoch": 2})
    back = load_checkpoint(tmp_path / "m.pt")
    assert back["epoch"] == 2
    assert torch.equal(back["model"]["weight"], model.weight.detach())


def test_interrupted_save_keeps_previous(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    save_checkpoint(path, {"step": np.array(1)})

    def boom(fd):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        save_checkpoint(path, {"step": np.array(2)})
    monkeypatch.undo()
    assert int(load_checkpoint(path)["step"]) == 1


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="must end in"):
        save_checkpoint(tmp_path / "c.txt", {})
    with pytest.raises(InputError, match="does not exist"):
        load_checkpoint(tmp_path / "none.npz")
    with pytest.raises(InputError, match="not a numeric array"):
        save_checkpoint(tmp_path / "c.npz", {"x": {"a": 1}})
