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


@pytest.mark.slow
def test_budget_experiment_rows_bitops_scaling_and_resume(tmp_path, tiny_search_cfg):
    import dataclasses

    from quantnas.benchmark import budget_experiment
    from quantnas.pareto import dominates
    from quantnas.train import TrainConfig

    scfg = dataclasses.replace(tiny_search_cfg, images="builtin")
    tcfg = TrainConfig(epochs=1, steps_per_epoch=2, batch_size=2, lr_crop=8)
    res = budget_experiment(scfg, tcfg, penalties=(0.0,), eval_crop=48, work_dir=tmp_path)
    rows = {r["label"]: r for r in res["table"]}
    assert list(rows) == ["quantnas-eta0", "uniform4", "uniform8", "bicubic"]
    # BitOps = MACs * b_w * b_a: the same architecture at 8 bits costs 64/16 = 4x its 4-bit version
    # (up to ADQ's tiny float 1x1 scale convs, counted at 32 bits whatever the blocks' bits)
    assert rows["uniform8"]["gbitops"] == pytest.approx(4 * rows["uniform4"]["gbitops"], rel=1e-4)
    searched = [p for p in res["points"] if p.group == "searched"]
    for p in res["points"]:
        if p.group == "uniform":
            expect = any(dominates(s, p) for s in searched)
            assert res["uniform_dominated_by_searched"][p.label] == expect
    again = budget_experiment(scfg, tcfg, penalties=(0.0,), eval_crop=48, work_dir=tmp_path)
    assert [r["psnr"] for r in again["table"]] == [r["psnr"] for r in res["table"]]
