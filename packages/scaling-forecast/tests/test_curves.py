"""Curve fitting: synthetic recovery (spec §3.1), equivalence (§3.3), batched == scipy."""

import numpy as np
import pytest

from core_utils import InputError
from scaling_forecast.curves import (
    ClippedLinearCurve,
    LinearCurve,
    SigmoidCurve,
    bootstrap_band,
    fit_sigmoid_batch,
)

K, X0, FLOOR = 1.7, 23.4, 0.25
X = np.linspace(20, 25, 40)
Y = SigmoidCurve.curve(X, K, X0, FLOOR, 1.0)


def test_noiseless_sigmoid_is_recovered_exactly():
    c = SigmoidCurve(floor=FLOOR).fit(X, Y)
    assert c.params_["k"] == pytest.approx(K, abs=1e-6)
    assert c.params_["x0"] == pytest.approx(X0, abs=1e-6)
    p, cost = fit_sigmoid_batch(X[None], Y[None], np.ones((1, 40), bool), np.array([FLOOR]))
    assert p[0] == pytest.approx([K, X0], abs=1e-6)
    assert cost[0] < 1e-20


def test_noisy_sigmoid_recovery_within_documented_tolerance():
    # spec §3.1: noise sd 0.02, 200 draws -> mean k 1.706 (sd 0.049), mean x0 23.400 (sd 0.019)
    rng = np.random.default_rng(1)
    ys = Y + rng.normal(0, 0.02, (200, X.size))
    p, _ = fit_sigmoid_batch(np.broadcast_to(X, ys.shape), ys, np.ones(ys.shape, bool), np.full(200, FLOOR))
    assert abs(p[:, 0].mean() - K) < 0.15
    assert abs(p[:, 1].mean() - X0) < 0.06
    assert p[:, 0].std() == pytest.approx(0.049, rel=0.3)
    # the scipy fit agrees draw by draw on these well-posed problems
    for i in range(10):
        c = SigmoidCurve(floor=FLOOR).fit(X, ys[i])
        assert [c.params_["k"], c.params_["x0"]] == pytest.approx(p[i], abs=1e-4)


def test_batched_fit_matches_scipy_on_padded_problems_of_different_sizes():
    rng = np.random.default_rng(2)
    B, M = 30, 50
    xs, ys, mask, floors, sizes = np.zeros((B, M)), np.zeros((B, M)), np.zeros((B, M), bool), [], []
    for b in range(B):
        n = int(rng.integers(15, M + 1))
        x = np.sort(rng.uniform(20, 25, n))
        f = float(rng.choice([0.0, 0.25, 0.5]))
        y = np.clip(
            SigmoidCurve.curve(x, rng.uniform(1, 3), rng.uniform(21.5, 23.5), f, 1) + rng.normal(0, 0.02, n),
            0,
            1,
        )
        xs[b, :n], ys[b, :n], mask[b, :n] = x, y, True
        floors.append(f)
        sizes.append(n)
    p, cost = fit_sigmoid_batch(xs, ys, mask, np.array(floors))
    for b in range(B):
        n = sizes[b]
        c = SigmoidCurve(floor=floors[b]).fit(xs[b, :n], ys[b, :n])
        assert cost[b] == pytest.approx(c.cost_, rel=1e-6, abs=1e-12)
        assert p[b] == pytest.approx([c.params_["k"], c.params_["x0"]], abs=1e-3)


def test_sigmoid_in_log_reducible_loss_equals_sigmoid_in_log_scaled_compute():
    # log10 C* = log10 6 - log10((L - E)/K) / gamma is affine in v = -log10(L - E), so the two
    # fits must give identical predictions (spec §3.3)
    from scaling_forecast.compute import HOFFMANN_2022 as law

    rng = np.random.default_rng(3)
    n = 10 ** rng.uniform(8, 11, 30)
    d = 10 ** rng.uniform(10, 13, 30)
    x = np.log10(law.scaled_compute(n, d))
    v = -np.log10(law.reducible_loss(n, d))
    y = np.clip(SigmoidCurve.curve(x, 1.5, 22.0, 0.2, 1.0) + rng.normal(0, 0.02, 30), 0, 1)
    a = SigmoidCurve(floor=0.2).fit(x, y).predict(x)
    b = SigmoidCurve(floor=0.2, k_bounds=(0, 200), x0_bounds=(-10, 10)).fit(v, y).predict(v)
    assert np.max(np.abs(a - b)) < 1e-5


def test_free_floor_fits_below_chance_data_and_stays_within_zero_and_chance():
    y = SigmoidCurve.curve(X, K, X0, 0.1, 1.0)  # true floor below the chance level 0.25
    fixed = SigmoidCurve(floor=0.25).fit(X, y)
    free = SigmoidCurve(floor=0.25, fit_floor=True).fit(X, y)
    assert 0 <= free.params_["floor"] <= 0.25
    assert free.params_["floor"] == pytest.approx(0.1, abs=1e-5)
    assert free.cost_ < fixed.cost_


def test_free_ceiling_recovers_a_lower_ceiling():
    y = SigmoidCurve.curve(X, K, X0, 0.25, 0.8)
    c = SigmoidCurve(floor=0.25, fit_ceiling=True).fit(X, y)
    assert c.params_["ceiling"] == pytest.approx(0.8, abs=1e-4)


def test_clipped_and_plain_linear_recover_their_generating_lines():
    y = np.clip(-4.6 + 0.22 * X, 0.2, 1.0)
    c = ClippedLinearCurve(floor=0.2).fit(X, y)
    assert c.predict(X) == pytest.approx(y, abs=1e-6)
    lin = LinearCurve().fit(X, 0.1 + 0.03 * X)
    assert lin.params_["b"] == pytest.approx(0.03)


def test_bootstrap_band_brackets_the_fit_and_the_truth():
    rng = np.random.default_rng(4)
    y = np.clip(Y + rng.normal(0, 0.02, X.size), 0, 1)
    grid = np.linspace(20, 25, 11)
    center, lo, hi = bootstrap_band(lambda: SigmoidCurve(floor=FLOOR), X, y, grid, n_boot=60, seed=0)
    assert np.all(lo <= center + 1e-9) and np.all(center <= hi + 1e-9)
    truth = SigmoidCurve.curve(grid, K, X0, FLOOR, 1)
    assert np.mean((lo - 0.01 <= truth) & (truth <= hi + 0.01)) >= 0.8


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        ([20, 21], [0.3, 0.4], "at least 3"),
        ([22, 22, 22], [0.3, 0.4, 0.5], "one compute value"),
        ([20, 21, 22], [0.3, np.nan, 0.5], "NaN"),
        ([20, 21, 22], [30, 40, 50], r"\[0, 1\]"),
    ],
)
def test_bad_training_data_is_rejected_with_a_named_problem(x, y, match):
    with pytest.raises(InputError, match=match):
        SigmoidCurve(floor=0.2).fit(x, y)


def test_chance_at_or_above_ceiling_is_rejected():
    with pytest.raises(InputError, match="floor"):
        SigmoidCurve(floor=1.0)


def test_predict_before_fit_is_an_error():
    with pytest.raises(InputError, match="fit"):
        SigmoidCurve().predict([22.0])
