"""Training-domain validation split (DomainBed's IID selection)."""

import numpy as np
import pytest

from core_utils import InputError
from meta_forests.splits import selection_splits, training_domain_split


def test_split_holds_out_a_fraction_of_every_domain_class_cell():
    y = np.tile(np.arange(2), 50)
    d = np.repeat(["a", "b"], 50)
    tr, va = training_domain_split(y, d, holdout=0.2, seed=0)
    assert np.intersect1d(tr, va).size == 0 and tr.size + va.size == 100
    for dom in "ab":
        for c in (0, 1):
            cell = np.flatnonzero((d == dom) & (y == c))
            assert np.isin(cell, va).sum() == 5


def test_singleton_cells_stay_in_training():
    tr, va = training_domain_split(np.array([0, 1, 1]), np.array(["a", "a", "a"]), holdout=0.5)
    assert 0 in tr


def test_bad_holdout_is_named():
    with pytest.raises(InputError, match="holdout"):
        training_domain_split(np.zeros(3), np.zeros(3), holdout=1.5)


def test_leave_one_domain_out_selection_holds_out_each_training_domain_once():
    y = np.arange(30) % 2
    d = np.repeat(["a", "b", "c"], 10)
    splits = selection_splits(y, d, protocol="leave-one-domain-out")
    assert len(splits) == 3
    for (tr, va), dom in zip(splits, "abc", strict=True):
        assert set(d[va]) == {dom} and dom not in set(d[tr])
        assert tr.size + va.size == 30
    with pytest.raises(InputError, match="at least 3 source domains"):
        selection_splits(y[:20], d[:20], protocol="leave-one-domain-out")
    with pytest.raises(InputError, match="unknown selection protocol"):
        selection_splits(y, d, protocol="target")
