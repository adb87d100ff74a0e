"""Invariants of the weight update (accuracy term, MMD term, log-space rules)."""

import numpy as np
import pytest

from core_utils import InputError
from meta_forests.weights import (
    RULES,
    accuracy_term,
    log_factor,
    mmd_term,
    normalize_log_weights,
    regression_term,
)


def test_accuracy_term_is_zero_at_chance_and_increasing():
    assert accuracy_term(0.1, 10) == pytest.approx(0.0)
    a = accuracy_term(np.linspace(0, 1, 11), 10)
    assert np.all(np.diff(a) > 0)


def test_normalized_weights_sum_to_one_and_survive_huge_logs():
    w = normalize_log_weights(np.array([1e4, 1e4 - 1.0, -1e4]))
    assert w.sum() == pytest.approx(1.0)
    assert np.all(np.isfinite(w))
    assert w[0] / w[1] == pytest.approx(np.e)


@pytest.mark.parametrize("rule", RULES)
def test_higher_accuracy_never_lowers_the_weight(rule):
    w_acc = accuracy_term(np.linspace(0, 1, 21), 5)
    f = log_factor(w_acc, beta=1.0, rule=rule)
    assert np.all(np.diff(f) >= 0)


def test_higher_mmd_lowers_the_weight_when_alpha_negative():
    history = [0.1, 0.2, 0.3]
    alpha = -1.0
    near = alpha * mmd_term(0.1, [*history, 0.1])
    far = alpha * mmd_term(0.5, [*history, 0.5])
    assert far < near


def test_chance_accuracy_gives_weight_eps():
    eps = 1e-10
    assert np.exp(log_factor(accuracy_term(0.25, 4), beta=1.0, rule="safe", eps=eps)) == pytest.approx(eps)


@pytest.mark.parametrize("rule", RULES)
def test_beta_zero_makes_the_accuracy_factor_constant(rule):
    f = log_factor(accuracy_term(np.array([0.3, 0.6, 0.99]), 3), beta=0.0, rule=rule)
    assert np.ptp(f) == 0.0


def test_log_power_rule_is_log_of_w_acc_to_the_beta():
    w_acc = 2.0
    assert np.exp(log_factor(w_acc, beta=2.0, rule="log-power")) == pytest.approx(np.log(2.0) ** 2)
    assert np.exp(log_factor(w_acc, beta=2.0, rule="log-scaled")) == pytest.approx(np.log(4.0))


def test_regression_term_is_zero_for_the_mean_predictor_and_max_for_perfect():
    y = np.arange(10.0)
    assert regression_term(y, np.full(10, y.mean())) == pytest.approx(0.0)
    assert regression_term(y, y) == pytest.approx(np.e - 1)


def test_unknown_rule_is_named():
    with pytest.raises(InputError, match="rule"):
        log_factor(1.0, beta=1.0, rule="nope")
