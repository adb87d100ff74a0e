"""Run statistics: summaries against the oracle and a lossless JSON round trip."""

import json

import pytest

from worksteal.sim import simulate
from worksteal.stats import RunStats


def test_summary_ratio_is_makespan_over_c_star_and_roundtrips_through_json():
    s = simulate([1, 1, 2, 4], 40, "a2ws", trace=True)
    summ = s.summary()
    assert summ["makespan_over_c_star"] == pytest.approx(s.makespan / s.c_star)
    assert summ["fluid_bound"] <= summ["c_star"] <= summ["makespan"]
    assert sum(summ["tasks_per_rank"]) == 40
    back = RunStats.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back.executed() == s.executed() == list(range(40))
    assert back.summary() == summ
