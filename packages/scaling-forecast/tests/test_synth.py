"""Synthetic generator: reproducible, noiseless scores lie on the generating sigmoids."""

import numpy as np
import pytest

from core_utils import InputError
from scaling_forecast.curves import SigmoidCurve
from scaling_forecast.synth import make_synthetic


def test_same_seed_same_table_and_different_seed_different_table():
    a, _ = make_synthetic(20, 3, seed=7)
    b, _ = make_synthetic(20, 3, seed=7)
    c, _ = make_synthetic(20, 3, seed=8)
    assert np.array_equal(a.scores, b.scores)
    assert not np.array_equal(a.scores, c.scores)


def test_noiseless_scores_equal_the_true_curves_at_the_offset_compute():
    t, truth = make_synthetic(30, 4, seed=2, n_items=None)
    x = t.x("flop") + truth.offset
    for j in range(4):
        expect = SigmoidCurve.curve(x, truth.k[j], truth.x0[j], truth.floor[j], 1.0)
        assert t.scores[:, j] == pytest.approx(expect)
    assert t.flop == pytest.approx(6 * t.params * t.tokens)


def test_binomial_noise_has_the_bbh_task_size_spread():
    t, truth = make_synthetic(2000, 1, seed=0, family_sd=0.0)
    expect = SigmoidCurve.curve(t.x("flop"), truth.k[0], truth.x0[0], truth.floor[0], 1.0)
    z = (t.scores[:, 0] - expect) / np.sqrt(np.clip(expect * (1 - expect), 1e-9, None) / 250)
    assert abs(z[(expect > 0.1) & (expect < 0.9)].std() - 1) < 0.1


def test_bad_sizes_are_rejected():
    with pytest.raises(InputError):
        make_synthetic(2, 1)
