"""Pareto dominance and the plot."""

from quantnas.pareto import ModelPoint, dominated_by_group, dominates, pareto_front, plot_pareto


def test_dominance_and_front():
    a = ModelPoint("a", "searched", 1e9, 28.0)
    b = ModelPoint("b", "uniform", 2e9, 27.5)
    c = ModelPoint("c", "uniform", 0.5e9, 27.0)
    assert dominates(a, b) and not dominates(b, a) and not dominates(a, c) and not dominates(a, a)
    assert [p.label for p in pareto_front([a, b, c])] == ["c", "a"]
    assert dominated_by_group([a, b, c], "searched", "uniform") == {"b": True, "c": False}


def test_plot_writes_png(tmp_path):
    pts = [ModelPoint("a", "searched", 1e9, 28.0), ModelPoint("bicubic", "bicubic", 0.0, 26.0)]
    path = plot_pareto(pts, tmp_path / "p.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
