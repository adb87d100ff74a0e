"""Benchmark helpers: the timing record has both clocks, the memory probe sees step memory."""

import pytest

from quantnas.benchmark import _memory_child, search_step_memory, search_step_times
from quantnas.space import preset

SPACE = preset("basic", channels=6, cells=1)


def test_step_times_report_wall_and_cpu_ratios_consistent_with_the_medians():
    res = search_step_times(SPACE, batch_size=2, lr_crop=8, steps=1, repeats=1)
    for clock, key in (("step_s", ""), ("step_cpu_s", "_cpu")):
        med = res[clock]
        assert set(med) == {"noise", "shared", "fp"} and all(v > 0 for v in med.values())
        assert res[f"speedup_noise_vs_direct{key}"] == pytest.approx(med["shared"] / med["noise"])


def test_step_memory_grows_with_the_batch():
    # activations scale with the batch: at 32 x 3 x 64^2 HR pixels a step holds tens of MiB
    small = _memory_child(SPACE, "fp", 1, 16, 1, 0)
    big = _memory_child(SPACE, "fp", 32, 16, 1, 0)
    assert big["step_peak_mb"] > small["step_peak_mb"] + 5


def test_step_memory_runs_each_mode_in_a_fresh_process_and_excludes_the_setup():
    res = search_step_memory(SPACE, modes=("fp",), batch_size=8, lr_crop=16, steps=1)
    step, total = res["step_peak_mb"]["fp"], res["peak_rss_mb"]["fp"]
    assert step > 0
    if res["peak_rss_reset"]:  # Linux: measured above the resident memory of torch and the setup
        assert step < total
