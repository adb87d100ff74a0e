"""Ideal shares, offload sizes and victim choice against hand computations and invariants."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_utils import InputError
from worksteal.policy import (
    A2WSPolicy,
    CTWSPolicy,
    RandomPolicy,
    StaticPolicy,
    canonical_policy,
    ideal_distribution,
    ideal_steal_size,
    make_policy,
    offload_size,
    ring_neighbours,
    select_victim,
)


def test_ideal_distribution_hand_values():
    # taus 1, 1, 2, 4 -> speeds 1, 1, .5, .25 (sum 2.75); N = 110 -> 40, 40, 20, 10
    assert ideal_distribution(110, [1, 1, 2, 4]) == pytest.approx([40, 40, 20, 10])


@given(n=st.integers(0, 10_000), taus=st.lists(st.floats(0.1, 10), min_size=1, max_size=20))
def test_ideal_distribution_sums_to_n_and_equalises_finish_times(n, taus):
    share = ideal_distribution(n, taus)
    assert share.sum() == pytest.approx(n, abs=1e-6)
    finish = share * np.asarray(taus)
    assert np.allclose(finish, finish[0])


def test_offload_size_hand_values():
    # victim 10 tasks x 4, idle thief x 1: k* = 40 / 5 = 8 -> both finish at 8
    assert offload_size(10, 4.0, 0, 1.0) == 8
    # victim 7 x 2, thief 1 x 1: k* = 13 / 3 = 4.33; k=4 -> max(6, 5) = 6, k=5 -> max(4, 6) = 6: tie -> 4
    assert offload_size(7, 2.0, 1, 1.0) == 4
    # thief slower and already loaded: nothing to gain
    assert offload_size(3, 1.0, 2, 4.0) == 0
    # unknown speeds: an idle thief takes half
    assert offload_size(9, 0.0, 0, 1.0) == 4


@given(
    nv=st.integers(0, 500),
    tv=st.floats(0.05, 20),
    nt=st.integers(0, 500),
    tt=st.floats(0.05, 20),
)
def test_offload_size_is_never_negative_and_balances_within_one_task(nv, tv, nt, tt):
    k = offload_size(nv, tv, nt, tt)
    assert 0 <= k <= nv
    before = max(nv * tv, nt * tt)
    after = max((nv - k) * tv, (nt + k) * tt)
    assert after <= before + 1e-9
    if k > 0:  # the pair's finish times differ by at most one task of the slower side
        assert abs((nv - k) * tv - (nt + k) * tt) <= max(tv, tt) + 1e-9


def test_ideal_steal_size_hand_value():
    # thief 0 (idle, tau 1) and victim 1 (9 tasks, tau 2): N = 9, shares 6 and 3
    # -> thief deficit 6, victim surplus 6 -> k = 6
    assert ideal_steal_size({0: (0, 1.0), 1: (9, 2.0)}, victim=1, thief=0) == 6
    # a third rank (tau 1, 3 tasks) joins: N = 12, shares 4.8, 2.4, 4.8 -> min(6.6, 4.8) = 5
    assert ideal_steal_size({0: (0, 1.0), 1: (9, 2.0), 2: (3, 1.0)}, victim=1, thief=0) == 5


def test_ring_neighbours_and_radius_clipping():
    assert ring_neighbours(0, 8, 2) == [1, 7, 2, 6]
    assert sorted(ring_neighbours(0, 4, 10)) == [1, 2, 3]  # radius clipped to P // 2
    with pytest.raises(InputError, match="radius"):
        ring_neighbours(0, 4, 0)


@settings(max_examples=50)
@given(
    loads=st.lists(st.tuples(st.integers(0, 50), st.sampled_from([1.0, 2.0, 4.0])), min_size=2, max_size=12),
    me=st.integers(0, 11),
)
def test_victim_with_full_radius_is_global_argmax(loads, me):
    p = len(loads)
    me %= p
    view = {j: v for j, v in enumerate(loads) if j != me}
    got = select_victim(view, me, p, radius=p)
    finish = {j: n * t for j, (n, t) in view.items() if n >= 1}
    if not finish:
        assert got is None
    else:
        assert finish[got] == max(finish.values())


def test_victim_outside_radius_is_ignored():
    view = {1: (1, 1.0), 4: (100, 4.0)}
    assert select_victim(view, 0, 10, radius=1) == 1
    assert select_victim(view, 0, 10, radius=4) == 4


def test_a2ws_falls_back_to_random_only_when_idle():
    pol = A2WSPolicy()
    rng = random.Random(0)
    assert pol.choose_victim(0, 8, {}, 0, 1.0, rng) in range(1, 8)
    assert pol.choose_victim(0, 8, {}, 1, 1.0, rng) is None


def test_ctws_walks_the_ring_after_failures():
    pol = CTWSPolicy()
    rng = random.Random(0)
    seen = []
    for _ in range(4):
        v = pol.choose_victim(1, 4, {}, 0, 1.0, rng)
        seen.append(v)
        pol.on_steal(v, ok=False)
    assert seen == [2, 3, 0, 2]


def test_baselines_steal_half_and_static_never_steals():
    assert RandomPolicy().steal_size(9, 1, 0, 1) == 5
    assert StaticPolicy().steals is False
    assert StaticPolicy().choose_victim(0, 4, {}, 0, 1.0, random.Random(0)) is None


def test_policy_names():
    assert canonical_policy("adaptive") == "a2ws"
    assert make_policy("a2ws", radius=3).radius == 3
    with pytest.raises(InputError, match="unknown policy 'greedy'"):
        canonical_policy("greedy")
    with pytest.raises(InputError, match="radius"):
        make_policy("a2ws", radius=0)


@given(
    nv=st.integers(1, 500),
    tv=st.floats(0.05, 20),
    nt=st.integers(0, 500),
    tt=st.floats(0.05, 20),
)
def test_pairwise_offload_is_the_ideal_share_of_the_victim_thief_pair(nv, tv, nt, tt):
    # the default steal size is the ideal-share model restricted to the pair: the thief
    # ends with its ideal share of the pair's tasks, up to the rounding to whole tasks
    share_t = ideal_distribution(nv + nt, [tv, tt])[1]
    k = offload_size(nv, tv, nt, tt)
    if share_t - nt <= 0:
        assert k == 0
    else:
        assert abs((nt + k) - min(share_t, nt + nv)) < 1.0 + 1e-9


def test_a2ws_default_sizing_is_pairwise_and_unknown_sizing_is_rejected():
    assert make_policy("a2ws").sizing == "pairwise"
    with pytest.raises(InputError, match="sizing"):
        make_policy("a2ws", sizing="greedy")
