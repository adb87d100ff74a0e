"""Figures are written as PNG files."""

import torch

from mri_linf.figures import save_curves, save_error_map, save_image, save_mask
from mri_linf.operators import radial_mask


def test_figures_are_png_files(tmp_path):
    img = torch.rand(16, 16, dtype=torch.float64)
    paths = [
        save_image(tmp_path / "a.png", img, "a"),
        save_error_map(tmp_path / "b.png", img, "b", mu=(8, 8), sigma=2),
        save_mask(tmp_path / "c.png", radial_mask(16, 3), "c"),
        save_curves(
            tmp_path / "d.png", [1, 2], {"x": [1.0, 0.1]}, xlabel="s", ylabel="e", title="t", logy=True
        ),
    ]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
