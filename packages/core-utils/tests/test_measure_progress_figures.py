"""measure() times and sizes a block; progress() is silent off a TTY; figures save as PNG."""

import time

import numpy as np

from core_utils import measure, new_figure, progress, save_figure


def test_measure_wall_time_and_traced_peak():
    with measure(trace=True) as m:
        time.sleep(0.05)
        big = np.ones(4 * 2**20 // 8)  # 4 MiB
        del big
    assert m.wall_s >= 0.05
    assert m.peak_traced_mb >= 3.9
    assert m.peak_rss_mb > 0


def test_progress_is_silent_off_tty(capsys):
    out = list(progress(range(5), desc="x"))
    assert out == [0, 1, 2, 3, 4]
    bar = progress(total=3, quiet=True)
    bar.update(2)
    bar.close()
    assert bar.n == 2
    assert capsys.readouterr().err == ""


def test_progress_accepts_numpy_arrays():
    assert [int(v) for v in progress(np.arange(3))] == [0, 1, 2]


def test_progress_forced_draws(capsys):
    list(progress(range(3), desc="work", force=True))
    assert "work" in capsys.readouterr().err


def test_save_figure_png(tmp_path):
    fig, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, tmp_path / "sub" / "fig")
    assert path.suffix == ".png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
