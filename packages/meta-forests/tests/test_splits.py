"""Training-domain validation split (DomainBed's IID selection)."""

import numpy as np
import pytest

from core_utils import InputError
from meta_forests.splits import training_domain_split


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
