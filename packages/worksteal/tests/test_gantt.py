"""Figures are written as non-empty PNG files."""

from worksteal.gantt import plot_gantt, plot_ratios
from worksteal.sim import simulate


def test_gantt_and_ratio_figures_are_written(tmp_path):
    s = simulate([1, 2, 4], 30, "a2ws", trace=True)
    g = plot_gantt(s, tmp_path / "g.png")
    r = plot_ratios(["a", "b"], [1.0, 1.2], tmp_path / "r", title="t")
    assert g.stat().st_size > 1000 and r.suffix == ".png" and r.stat().st_size > 1000
