"""Heterogeneity emulation: parsing, factors over time and the task bodies."""

import pytest

from core_utils import InputError
from worksteal.emulate import EmulatedWorkload, Perturbation, factor_at, parse_perturbation, parse_speeds


def test_parse_speeds_repeats_cyclically():
    assert parse_speeds("1,1,2,4", 6) == [1, 1, 2, 4, 1, 1]


@pytest.mark.parametrize(
    ("text", "match"),
    [("1,0", "> 0"), ("1,-2", "> 0"), ("a,b", "numbers"), ("", "at least"), ("1,nan", "> 0")],
)
def test_parse_speeds_rejects_bad_factors(text, match):
    with pytest.raises(InputError, match=match):
        parse_speeds(text)


def test_perturbation_changes_the_factor_from_its_time_on():
    p = parse_perturbation("2@0.5*3")
    assert p == Perturbation(2, 0.5, 3.0)
    assert factor_at([1, 1, 2], [p], 2, 0.49) == 2.0
    assert factor_at([1, 1, 2], [p], 2, 0.5) == 6.0
    assert factor_at([1, 1, 2], [p], 1, 9.0) == 1.0
    with pytest.raises(InputError, match="RANK@SECONDS"):
        parse_perturbation("2-0.5")


def test_workload_nominal_times_and_bodies():
    w = EmulatedWorkload(speeds=(1.0, 3.0), task_s=0.001)
    assert w.task_time(1) == pytest.approx(0.003)
    bound = w.for_rank(1, 0.0)
    assert bound(7) == 7  # sleep body returns the task index
    c = EmulatedWorkload(speeds=(1.0,), task_s=0.001, kind="compute").for_rank(0, 0.0)
    assert c(0) > 0
    with pytest.raises(RuntimeError, match="task 3"):
        EmulatedWorkload(speeds=(1.0,), task_s=0.001, fail_on=3).for_rank(0, 0.0)(3)


def test_workload_rejects_bad_parameters():
    with pytest.raises(InputError, match="kind"):
        EmulatedWorkload(speeds=(1.0,), kind="gpu")
    with pytest.raises(InputError, match="> 0"):
        EmulatedWorkload(speeds=(1.0,), task_s=0)


def test_sleep_body_pays_back_wake_up_lateness(monkeypatch):
    # a fake clock on which every sleep returns 30 % late (a loaded host): without
    # compensation 20 tasks of 10 ms would take 260 ms, with it the rank keeps its nominal
    # rate: 20 x 10 ms plus at most one task of outstanding lateness
    import worksteal.emulate as em

    clock = [0.0]

    def late_sleep(s):
        clock[0] += 1.3 * s

    monkeypatch.setattr(em.time, "sleep", late_sleep)
    monkeypatch.setattr(em.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(em.time, "monotonic", lambda: clock[0])
    body = EmulatedWorkload(speeds=(1.0,), task_s=0.01).for_rank(0, 0.0)
    for i in range(20):
        assert body(i) == i
    assert 0.200 <= clock[0] <= 0.210
    # a copy bound again starts without debt; an unbound body sleeps plainly
    clock[0] = 0.0
    body.for_rank(0, 0.0)(0)
    assert clock[0] == pytest.approx(0.013)
