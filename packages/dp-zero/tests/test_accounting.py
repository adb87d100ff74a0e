"""The RDP accountant agrees with Opacus (reference library) and with the spec's oracle numbers;
calibration inverts the account."""

import math
import warnings

import pytest

from core_utils import InputError
from dp_zero.accounting import (
    PrivacyAccountant,
    get_epsilon,
    get_noise_multiplier,
    rdp_sampled_gaussian,
)

GRID = [
    (256 / 60000, 1.1, 14100, 1e-5),
    (0.01, 4.0, 10000, 1e-5),
    (1024 / 50000, 1.0, 147, 1e-5),
    (0.05, 0.8, 300, 1e-6),
    (0.001, 2.0, 50000, 1e-5),
    (0.2, 1.5, 40, 1e-3),
]


@pytest.mark.parametrize(("q", "sigma", "steps", "delta", "want"), [
    (256 / 60000, 1.1, 14100, 1e-5, 2.6003),
    (0.01, 4.0, 10000, 1e-5, 1.0355),
    (1024 / 50000, 1.0, 147, 1e-5, 2.074),
])  # fmt: skip
def test_rdp_matches_spec_oracle_numbers(q, sigma, steps, delta, want):
    assert get_epsilon(q, sigma, steps, delta) == pytest.approx(want, rel=1e-3)


def test_rdp_full_batch_is_the_gaussian_closed_form():
    # q = 1: RDP(alpha) = alpha / (2 sigma^2) exactly
    for alpha in (1.5, 2.0, 7.0, 32.0):
        assert rdp_sampled_gaussian(1.0, 1.3, alpha) == pytest.approx(alpha / (2 * 1.3**2))


def test_subsampling_amplifies_privacy():
    # integer and fractional orders agree in the limit of continuity and shrink with q
    a = rdp_sampled_gaussian(0.01, 1.0, 8.0)
    b = rdp_sampled_gaussian(0.01, 1.0, 8.0 + 1e-9)
    assert a == pytest.approx(b, rel=1e-5)
    assert rdp_sampled_gaussian(0.001, 1.0, 8.0) < a < rdp_sampled_gaussian(0.1, 1.0, 8.0)


@pytest.mark.parametrize(("q", "sigma", "steps", "delta"), GRID)
def test_rdp_agrees_with_opacus(q, sigma, steps, delta):
    from opacus.accountants import RDPAccountant

    acc = RDPAccountant()
    acc.history = [(sigma, q, steps)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # opacus warns when the best order is the largest
        want = acc.get_epsilon(delta)
    assert get_epsilon(q, sigma, steps, delta, "rdp") == pytest.approx(want, rel=1e-3)


@pytest.mark.parametrize(("q", "sigma", "steps", "delta"), GRID[:3])
def test_prv_option_agrees_with_opacus_and_is_tighter_than_rdp(q, sigma, steps, delta):
    from opacus.accountants import PRVAccountant

    acc = PRVAccountant()
    acc.history = [(sigma, q, steps)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # its internal RDP bound warns at the grid edge
        want = acc.get_epsilon(delta)
    got = get_epsilon(q, sigma, steps, delta, "prv")
    assert got == pytest.approx(want, rel=1e-3)
    assert got < get_epsilon(q, sigma, steps, delta, "rdp")


def test_spec_prv_oracle():
    assert get_epsilon(256 / 60000, 1.1, 14100, 1e-5, "prv") == pytest.approx(2.3953, rel=1e-3)


@pytest.mark.parametrize(("eps", "want"), [(2.0, 1.0156), (8.0, 0.5991)])
def test_calibration_matches_opacus_and_inverts_the_account(eps, want):
    q = 1024 / 50000
    sigma = get_noise_multiplier(eps, 1e-5, q, epochs=3)
    assert sigma == pytest.approx(want, abs=1e-3)
    steps = int(3 / q)
    assert get_epsilon(q, sigma, steps, 1e-5) <= eps
    assert get_epsilon(q, sigma * 0.98, steps, 1e-5) > eps - 0.01


def test_accountant_history_composes_and_round_trips():
    acc = PrivacyAccountant()
    for _ in range(100):
        acc.step(noise_multiplier=1.0, sample_rate=0.02)
    assert acc.steps == 100 and len(acc.history) == 1
    assert acc.get_epsilon(1e-5) == pytest.approx(get_epsilon(0.02, 1.0, 100, 1e-5))
    acc.step(noise_multiplier=2.0, sample_rate=0.02, n=50)
    more = acc.get_epsilon(1e-5)
    assert more > get_epsilon(0.02, 1.0, 100, 1e-5)
    clone = PrivacyAccountant()
    clone.load_state_dict(acc.state_dict())
    assert clone.get_epsilon(1e-5) == more


@pytest.mark.parametrize("bad", [dict(q=0.0), dict(q=1.5), dict(delta=0.0), dict(delta=1.0), dict(steps=-1),
                                 dict(sigma=-1.0)])  # fmt: skip
def test_bad_account_inputs_are_refused(bad):
    args = dict(q=0.01, sigma=1.0, steps=10, delta=1e-5) | bad
    with pytest.raises(InputError):
        get_epsilon(**args)


def test_calibration_needs_exactly_one_horizon():
    with pytest.raises(InputError, match="exactly one"):
        get_noise_multiplier(1.0, 1e-5, 0.01)
    with pytest.raises(InputError, match="epochs"):
        get_noise_multiplier(1.0, 1e-5, 0.01, epochs=0)
    assert math.isfinite(get_noise_multiplier(1.0, 1e-5, 0.01, steps=100))


@pytest.mark.parametrize(
    ("q", "sigma", "steps", "want"),
    [pytest.param(0.01, 4.0, 10000, 0.9569, marks=pytest.mark.slow), (1024 / 50000, 1.0, 147, 1.6912)],
)
def test_glw_numerical_composition_matches_spec_and_opacus_prv(q, sigma, steps, want):
    from opacus.accountants import PRVAccountant

    got = get_epsilon(q, sigma, steps, 1e-5, "glw")
    assert got == pytest.approx(want, rel=1e-3)  # spec section 3, PRV column
    acc = PRVAccountant()  # an independent implementation of the same method
    acc.history = [(sigma, q, steps)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert got == pytest.approx(acc.get_epsilon(1e-5), rel=1e-3)
    assert got < get_epsilon(q, sigma, steps, 1e-5, "rdp")


def test_glw_composes_heterogeneous_segments():
    acc = PrivacyAccountant("glw")
    acc.history = [(1.0, 0.02, 60), (1.0, 0.02, 40)]  # two segments of one mechanism = one of 100
    assert acc.get_epsilon(1e-5) == pytest.approx(get_epsilon(0.02, 1.0, 100, 1e-5, "glw"), rel=2e-3)
    acc.history = [(1.0, 0.02, 100), (2.0, 0.05, 50)]
    mixed = acc.get_epsilon(1e-5)
    rdp = PrivacyAccountant("rdp", list(acc.history)).get_epsilon(1e-5)
    assert get_epsilon(0.02, 1.0, 100, 1e-5, "glw") < mixed < rdp


@pytest.mark.slow  # about 20 numerical compositions (bisection)
def test_glw_calibration_inverts_the_account():
    q, eps = 1024 / 50000, 2.0
    sigma = get_noise_multiplier(eps, 1e-5, q, epochs=1, accounting="glw")
    steps = int(1 / q)
    assert get_epsilon(q, sigma, steps, 1e-5, "glw") <= eps
    assert get_epsilon(q, sigma * 0.98, steps, 1e-5, "glw") > eps
    assert sigma < get_noise_multiplier(eps, 1e-5, q, epochs=1)  # tighter account, less noise
