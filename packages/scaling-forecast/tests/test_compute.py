"""Chinchilla scaled compute: closed form, invariants and the root-finding cross-check (spec §3.2)."""

import numpy as np
import pytest
from scipy.optimize import brentq

from core_utils import InputError
from scaling_forecast.compute import (
    HOFFMANN_2022,
    TOKENS_PER_PARAM_20,
    ChinchillaLaw,
    compute_axis,
    train_flop,
)

LAW = HOFFMANN_2022


def test_closed_form_constants_match_spec():
    assert LAW.G == pytest.approx(1.3447, abs=1e-4)
    assert LAW.K == pytest.approx(813.68, abs=0.01)
    assert LAW.gamma == pytest.approx(0.15355, abs=1e-5)


@pytest.mark.parametrize("c", [1e20, 3.3e22, 5.88e23, 1e26])
def test_scaled_compute_of_optimal_allocation_returns_c(c):
    n, d = LAW.optimal_allocation(c)
    assert 6 * n * d == pytest.approx(c, rel=1e-12)
    assert LAW.scaled_compute(n, d) == pytest.approx(c, rel=1e-9)


def test_scaled_compute_never_exceeds_6nd_and_equals_it_only_at_optimum():
    rng = np.random.default_rng(0)
    n = 10 ** rng.uniform(7, 12, 500)
    d = 10 ** rng.uniform(9, 14, 500)
    cstar = LAW.scaled_compute(n, d)
    flop = train_flop(n, d)
    assert np.all(cstar <= flop * (1 + 1e-12))
    n_opt, _ = LAW.optimal_allocation(flop)
    off = np.abs(np.log(n / n_opt)) > 0.1
    assert np.all(cstar[off] < flop[off] * (1 - 1e-6))


def test_closed_form_inverse_matches_brentq_root_finding():
    n, d = 70e9, 1.4e12
    target = LAW.loss(n, d)
    root = 10 ** brentq(lambda lc: LAW.optimal_loss(10**lc) - target, 15, 30, xtol=1e-14)
    assert LAW.scaled_compute(n, d) == pytest.approx(root, rel=1e-9)
    assert LAW.scaled_compute(n, d) == pytest.approx(4.92e23, rel=2e-3)


def test_log_reducible_optimal_loss_has_slope_minus_gamma():
    c = np.logspace(20, 26, 7)
    slope = np.polyfit(np.log(c), np.log(LAW.optimal_loss(c) - LAW.E), 1)[0]
    assert slope == pytest.approx(-0.15355, abs=1e-5)


def test_twenty_tokens_per_param_rule_solves_its_defining_equation():
    n, d = 7e9, 2e12
    cstar = TOKENS_PER_PARAM_20.scaled_compute(n, d)
    n_prime = np.sqrt(cstar / 120.0)
    assert TOKENS_PER_PARAM_20.loss(n_prime, 20 * n_prime) == pytest.approx(LAW.loss(n, d), rel=1e-10)
    # a model trained exactly at D = 20 N is "optimal" under this rule: C* = 6ND
    assert TOKENS_PER_PARAM_20.scaled_compute(1e9, 20e9) == pytest.approx(6 * 1e9 * 20e9, rel=1e-9)


def test_loss_at_or_below_irreducible_is_rejected():
    with pytest.raises(InputError, match="irreducible loss E"):
        LAW.compute_for_loss([2.0, 1.69])


@pytest.mark.parametrize(
    ("n", "d", "field"), [(0, 1e12, "params"), (7e9, -1, "tokens"), (np.nan, 1e9, "params")]
)
def test_non_positive_params_or_tokens_are_rejected(n, d, field):
    with pytest.raises(InputError, match=field):
        LAW.scaled_compute(n, d)
    with pytest.raises(InputError, match=field):
        train_flop(n, d)


def test_bad_law_constants_and_axis_name_are_rejected():
    with pytest.raises(InputError, match="alpha"):
        ChinchillaLaw(alpha=0)
    with pytest.raises(InputError, match="axis"):
        compute_axis(1e9, 1e10, axis="tokens")
