"""The packed head-tail queue: any interleaving of owner takes and thief steals hands out each task once."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worksteal.queue import TaskQueue, owner_take, pack, remaining, thief_take, unpack


@given(h=st.integers(0, 2**31 - 1), t=st.integers(0, 2**31 - 1))
def test_pack_roundtrip(h, t):
    assert unpack(pack(h, t)) == (h, t)
    assert pack(h, t) < 2**63  # fits a signed int64 window slot


def test_pack_rejects_out_of_range():
    with pytest.raises(ValueError, match="2\\*\\*31"):
        pack(2**31, 0)


@given(
    start=st.integers(0, 1000),
    size=st.integers(0, 200),
    ops=st.lists(st.tuples(st.booleans(), st.integers(-3, 50)), max_size=300),
)
def test_interleaved_take_and_steal_hand_out_every_task_exactly_once(start, size, ops):
    q = TaskQueue.of(start, start + size)
    got = []
    for is_owner, k in ops:
        if is_owner:
            t = q.take()
            if t is not None:
                got.append(t)
        else:
            rng = q.steal(k)
            if rng is not None:
                a, b = rng
                assert b - a >= 1  # never a negative or empty steal
                got.extend(range(a, b))
        h, t = unpack(q.word)
        assert h <= t
    while (t := q.take()) is not None:
        got.append(t)
    assert sorted(got) == list(range(start, start + size))


def test_transitions_from_a_stale_word_do_not_apply():
    # CAS semantics: a thief computing from an old word must not succeed after the owner moved
    w0 = pack(0, 4)
    w1, task = owner_take(w0)
    assert task == 0 and remaining(w1) == 3
    new, (a, b) = thief_take(w0, 2)
    assert (a, b) == (2, 4) and new != w1  # the CAS (compare=w0) fails against w1


def test_install_only_on_empty_queue():
    q = TaskQueue.of(0, 1)
    with pytest.raises(RuntimeError, match="lose tasks"):
        q.install(5, 9)
    assert q.take() == 0
    q.install(5, 9)
    assert len(q) == 4
