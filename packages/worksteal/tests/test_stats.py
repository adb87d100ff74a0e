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


def test_count_makespan_is_the_slowest_ranks_share_at_nominal_speed():
    from worksteal.stats import RankStats

    def stats(counts):
        ranks = [RankStats(rank=i, tasks=c) for i, c in enumerate(counts)]
        return RunStats("x", sum(counts), [1.0, 4.0], ranks, makespan=9.0)

    # 4 tasks on tau = 1, 4: C* = 4 (three on the fast rank, one on the slow one)
    assert stats([3, 1]).count_makespan == 4.0
    assert stats([3, 1]).summary()["count_makespan_over_c_star"] == 1.0
    assert stats([2, 2]).summary()["count_makespan_over_c_star"] == 2.0  # 2 x 4 on the slow rank
