"""Driver diagnostics: large LARS coefficients in good threads name the true drivers, and
pyEDM's convergent cross mapping finds the direction of coupling."""

import numpy as np
import pandas as pd
import pytest

from core_utils import InputError
from tapestry.core import Tapestry
from tapestry.datasets import coupled_logistic, logistic_map
from tapestry.drivers import ccm_driver_check, large_coefficient_counts


def _driven(n=500, seed=0):
    """y_{t+1} = 0.3 y_t + 2 driver_t + noise; ``noise`` is an unrelated white-noise column."""
    rng = np.random.default_rng(seed)
    drv = logistic_map(n + 1, r=3.9, x0=0.4)
    y = np.empty(n)
    y[0] = 0.0
    for t in range(1, n):
        y[t] = 0.3 * y[t - 1] + 2.0 * drv[t - 1] + 0.05 * rng.normal()
    return pd.DataFrame({"y": y, "driver": drv[:n], "noise": rng.normal(size=n)})


@pytest.fixture(scope="module")
def lars_threads():
    df = _driven()
    Y = df.to_numpy()
    tp = Tapestry(lags=2, horizons=1, nsel=3, n_maps=12, k=25, mode="lars", targets=["y"], random_state=0)
    tp.fit(Y[:440], columns=list(df.columns))
    return tp.weave(np.arange(439, 499), Y=Y)


def test_large_coefficients_in_good_threads_rank_the_true_drivers_above_noise(lars_threads):
    cc = large_coefficient_counts(lars_threads, "y", threshold=0.1, band=0.5)
    rate = dict(zip(cc.by_variable["variable"], cc.by_variable["rate"], strict=True))
    assert cc.by_variable["variable"].iloc[-1] == "noise"  # the pure-noise column ranks last
    assert rate["driver"] > 2 * rate["noise"] and rate["y"] > 2 * rate["noise"]
    assert rate["driver"] > 0.6
    # most local fits forecast within +-0.5 sd: the system is linear in (y_t, driver_t)
    assert cc.n_good > 0.6 * cc.n_fits


def test_coefficient_counts_are_consistent_with_the_maps(lars_threads):
    cc = large_coefficient_counts(lars_threads, "y", threshold=0.1, band=0.5)
    nsel = lars_threads.map_cols.shape[1]
    assert cc.by_coordinate["n_available"].sum() == cc.n_good * nsel  # every good fit counts its map
    assert np.all(cc.by_coordinate["n_large"] <= cc.by_coordinate["n_available"])
    # a threshold above every coefficient counts nothing; a wider band admits more fits
    none = large_coefficient_counts(lars_threads, "y", threshold=1e6)
    assert none.by_coordinate["n_large"].sum() == 0
    wide = large_coefficient_counts(lars_threads, "y", band=5.0)
    assert wide.n_good >= cc.n_good and wide.n_fits == cc.n_fits


def test_coefficient_counts_need_lars_threads():
    y = _driven(200).to_numpy()
    th = Tapestry(lags=2, horizons=1, nsel=2, n_maps=2, k=5).fit(y[:150]).weave(np.arange(149, 160), Y=y)
    with pytest.raises(InputError, match="mode='lars'"):
        large_coefficient_counts(th)


def test_ccm_finds_that_x_drives_y_and_not_the_reverse():
    pytest.importorskip("pyEDM")
    df = coupled_logistic(1000)  # x drives y (beta_yx = 0.1), y does not act on x
    res = ccm_driver_check(df, "x", "y", E=2, sample=20)
    assert res.x_drives_y and not res.y_drives_x
    assert res.rho_x_from_y[-1] > 0.9  # Sugihara et al. (2012) Fig. 1: converges near 1
    assert res.rho_x_from_y[-1] > res.rho_x_from_y[0] + 0.3
    assert res.rho_y_from_x[-1] < 0.3


def test_ccm_finds_no_coupling_between_independent_systems():
    pytest.importorskip("pyEDM")
    a = coupled_logistic(800, beta_yx=0.0)["x"]
    b = logistic_map(800, r=3.7, x0=0.21)
    res = ccm_driver_check(pd.DataFrame({"a": a, "b": b}), "a", "b", E=2, sample=20)
    assert not res.x_drives_y and not res.y_drives_x


def test_a_shared_seasonal_cycle_gives_skill_without_convergence_and_deseasonalising_removes_it():
    pytest.importorskip("pyEDM")
    n = 800
    cycle = np.tile([0.0, 1.0, 0.3, -0.8], n // 4)
    a = coupled_logistic(n, beta_yx=0.0)["x"].to_numpy() + cycle  # independent systems ...
    b = logistic_map(n, r=3.7, x0=0.21) + cycle  # ... sharing only the seasonal cycle
    df = pd.DataFrame({"a": a, "b": b})
    raw = ccm_driver_check(df, "a", "b", E=2, sample=20)
    assert raw.rho_x_from_y[-1] > 0.8  # the season alone cross-maps ...
    assert not raw.x_drives_y and not raw.y_drives_x  # ... but skill does not grow with the library
    clean = ccm_driver_check(df, "a", "b", E=2, sample=20, seasonal_period=4)
    assert max(clean.rho_x_from_y[-1], clean.rho_y_from_x[-1]) < 0.2


def test_ccm_skips_nan_rows_and_still_finds_the_driver():
    pytest.importorskip("pyEDM")
    df = coupled_logistic(1000)
    df.loc[500, "y"] = np.nan
    res = ccm_driver_check(df, "x", "y", E=2, sample=20)
    assert res.n_nan_rows == 1 and res.x_drives_y and not res.y_drives_x


def test_ccm_rejects_bad_input():
    pytest.importorskip("pyEDM")
    df = coupled_logistic(100)
    with pytest.raises(InputError, match="unknown variable"):
        ccm_driver_check(df, "x", "rain")
    with pytest.raises(InputError, match="different"):
        ccm_driver_check(df, "x", "x")
    with pytest.raises(InputError, match="non-constant"):
        ccm_driver_check(df.assign(y=1.0), "x", "y")
    with pytest.raises(InputError, match="too short"):
        ccm_driver_check(df.iloc[:12], "x", "y")
