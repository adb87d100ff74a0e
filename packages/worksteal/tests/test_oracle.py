"""The exact optimum C*, the fluid bound and the imbalance metric against hand values and a greedy reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_utils import InputError
from worksteal.oracle import (
    block_counts,
    block_range,
    capacity,
    fluid_bound,
    greedy_schedule,
    imbalance,
    optimal_makespan,
    static_makespan,
)

SPEEDS_64 = [(1, 1, 2, 4)[i % 4] for i in range(64)]


def test_c_star_matches_hand_computation_64_ranks():
    # 32 ranks tau=1, 16 tau=2, 16 tau=4: capacity(146) = 32*146 + 16*73 + 16*36 = 6416 >= 6400,
    # capacity(145) = 4640 + 1152 + 576 = 6368 < 6400  ->  C* = 146; fluid = 6400 / 44.
    assert optimal_makespan(SPEEDS_64, 6400) == 146.0
    assert fluid_bound(SPEEDS_64, 6400) == pytest.approx(6400 / 44)
    assert capacity(SPEEDS_64, 146) == 6416 and capacity(SPEEDS_64, 145.999) == 6368


def test_c_star_small_case_by_hand():
    # taus 1 and 3, 5 tasks: by t=4 capacity 4+1=5 -> C* = 4 (t=3.999 gives 3+1=4)
    assert optimal_makespan([1, 3], 5) == 4.0
    assert static_makespan([1, 3], 5) == 6.0  # blocks 3 and 2 -> max(3*1, 2*3)


@settings(max_examples=60, deadline=None)
@given(
    taus=st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 7.0]), min_size=1, max_size=7),
    n=st.integers(0, 120),
)
def test_c_star_equals_greedy_earliest_finish_schedule(taus, n):
    c = optimal_makespan(taus, n)
    g, counts = greedy_schedule(taus, n)
    assert c == pytest.approx(g)
    assert counts.sum() == n
    assert fluid_bound(taus, n) - 1e-9 <= c <= fluid_bound(taus, n) + max(taus) + 1e-9


def test_block_partition_covers_all_tasks_once():
    ranges = [block_range(10, 4, r) for r in range(4)]
    assert ranges == [(0, 3), (3, 6), (6, 8), (8, 10)]
    assert block_counts(10, 4).tolist() == [3, 3, 2, 2]


def test_imbalance_metric_values():
    assert imbalance([2, 2, 2]) == 0.0
    assert imbalance([1, 1, 4]) == pytest.approx(4 / 2 - 1)
    assert imbalance([]) == 0.0


@pytest.mark.parametrize(
    ("taus", "n", "match"),
    [
        ([], 3, "at least one"),
        ([1, 0], 3, "> 0"),
        ([1, -2], 3, "> 0"),
        ([1, np.inf], 3, "finite"),
        ([1], -1, ">= 0"),
    ],
)
def test_bad_input_is_named(taus, n, match):
    with pytest.raises(InputError, match=match):
        optimal_makespan(taus, n)
