"""Tapestry oracles: Lorenz-63 consistency, AR(1) law, logistic collapse, pyEDM equality,
leakage guards, updating, determinism and input validation."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kstest

from core_utils import InputError
from tapestry.core import Tapestry
from tapestry.datasets import ar1, logistic_map, lorenz96_forced
from tapestry.experiment import lorenz_convergence


def test_lorenz63_crps_decreases_with_library_size_towards_the_noise_floor():
    res = lorenz_convergence((500, 2000, 8000), n_maps=100, k=5, n_origins=120)
    crps = np.array(res["crps"])  # rows: sizes; cols: h = 1, 5, 10
    floor = res["noise_floor"]  # sigma / sqrt(pi) = 0.28
    assert np.all(crps > floor)
    for col in range(3):
        assert crps[2, col] < crps[0, col]
        assert np.all(np.diff(crps[:, col]) < 0.03)  # monotone within tolerance
    assert crps[2, 0] < 0.45  # spec: 0.34 at n = 8000
    for cov in res["coverage90"]:
        assert 0.83 <= cov <= 0.98  # spec band 0.83-0.97 (120 origins: +-0.03 sampling error)


def test_ar1_threads_converge_to_the_exact_gaussian_predictive_law():
    phi, sigma = 0.7, 1.0
    ks = []
    for n, k in ((400, 20), (20000, 400)):
        y = ar1(n + 60, phi=phi, sigma=sigma, seed=3)
        tp = Tapestry(lags=1, horizons=2, nsel=1, n_maps=1, k=k).fit(y[:n, None])
        origins = n + np.arange(0, 40)
        th = tp.weave(origins, Y=y[:, None])
        d = []
        for i, t in enumerate(origins):
            for h in (1, 2):
                mu = phi**h * y[t]
                sd = sigma * np.sqrt((1 - phi ** (2 * h)) / (1 - phi**2))
                d.append(kstest(th.values[i, :, h - 1, 0], "norm", args=(mu, sd)).statistic)
        ks.append(np.mean(d))
    assert ks[1] < ks[0]
    assert ks[1] < 0.08


def test_ar1_interval_matches_statsmodels_arima():
    from statsmodels.tsa.arima.model import ARIMA
    from threadpoolctl import threadpool_limits

    y = ar1(20040, phi=0.7, seed=4)
    n = 20000
    tp = Tapestry(lags=1, horizons=1, nsel=1, n_maps=1, k=400).fit(y[:n, None])
    th = tp.weave([n - 1])
    lo, hi = np.quantile(th.values[0, :, 0, 0], [0.05, 0.95])
    with threadpool_limits(1):  # tiny state-space matrices: threaded BLAS only adds contention
        res = ARIMA(y[:n], order=(1, 0, 0)).fit()
        ci = res.get_forecast(1).conf_int(alpha=0.1)[0]
    assert lo == pytest.approx(ci[0], abs=0.15)
    assert hi == pytest.approx(ci[1], abs=0.15)


def test_noise_free_logistic_map_one_step_threads_collapse_to_the_true_value():
    spreads = []
    for n in (200, 20000):
        x = logistic_map(n + 30)
        tp = Tapestry(lags=1, horizons=1, nsel=1, n_maps=1, k=5).fit(x[:n, None])
        origins = n + np.arange(20)
        th = tp.weave(origins, Y=x[:, None])
        spreads.append(np.mean(np.abs(th.values[:, :, 0, 0] - th.truth[:, 0, 0][:, None])))
    assert spreads[1] < spreads[0] / 5
    assert spreads[1] < 2e-3


@pytest.mark.parametrize(("name", "col"), [("Lorenz5D", "V1"), ("TentMap", "TentMap")])
@pytest.mark.parametrize(("E", "Tp"), [(3, 1), (4, 2)])
def test_one_map_analog_simplex_mean_equals_pyedm_simplex(name, col, E, Tp):
    pytest.importorskip("pyEDM")
    from pyEDM import sampleData

    from tapestry.baselines import simplex

    y = sampleData[name][col].to_numpy(dtype=float)
    tp = Tapestry(lags=E, horizons=Tp, nsel=E, n_maps=1, k=E + 1).fit(y[:500, None])
    origins = np.arange(500, 590)
    mine = tp.weave(origins, Y=y[:, None]).simplex_mean(0)[:, Tp - 1]
    ref = simplex(y, E, 500, origins, Tp)
    assert mine == pytest.approx(ref, rel=1e-4, abs=1e-4)  # threads are float32


def _seasonal_table(n=240, seed=0):
    return lorenz96_forced(n, seed=seed)


def test_no_neighbour_future_overlaps_the_test_period_and_scaling_uses_training_only():
    df = _seasonal_table()
    cols = ["prcp1", "temp1", "sun"]
    Y = df[cols].to_numpy()
    n_train = 200
    tp = Tapestry(lags=4, horizons=4, nsel=4, n_maps=20, k=8, seasonal_period=4, targets=["prcp1"])
    tp.fit(Y[:n_train], columns=cols)
    assert tp.scaler_.mean == pytest.approx(Y[:n_train].mean(0))
    origins = np.arange(n_train - 1, len(df) - 1)
    th = tp.weave(origins, Y=Y)
    assert np.all(th.neighbors + 4 <= n_train - 1)  # every continuation inside the training rows
    # the future after each origin cannot change its threads
    Y2 = Y.copy()
    Y2[n_train:] = 1e6
    th_last = tp.weave([n_train - 1], Y=Y)
    assert np.array_equal(th_last.values, tp.weave([n_train - 1], Y=Y2).values)
    # neighbours are in the origin's season
    assert np.all(th.neighbors % 4 == (origins % 4)[:, None])


def test_in_sample_origins_exclude_neighbours_within_the_theiler_window():
    y = ar1(300, seed=1)
    tp = Tapestry(lags=2, horizons=3, nsel=2, n_maps=1, k=10).fit(y[:, None])
    origins = np.arange(50, 250, 7)
    th = tp.weave(origins)
    assert np.all(np.abs(th.neighbors - origins[:, None]) > 3)


def test_update_equals_fitting_on_the_longer_series():
    df = _seasonal_table()
    Y = df[["prcp1", "temp1", "sun"]].to_numpy()
    kw = dict(lags=4, horizons=3, nsel=4, n_maps=15, k=6, seasonal_period=4, random_state=5)
    a = Tapestry(**kw).fit(Y[:180]).update(Y[180:220])
    b = Tapestry(**kw).fit(Y[:220], scaler=a.scaler_)
    ta, tb = a.weave(), b.weave()
    assert np.array_equal(ta.values, tb.values)
    assert np.array_equal(ta.neighbors, tb.neighbors)


def test_fixed_seed_gives_identical_threads_and_map_order_does_not_change_the_pool():
    y = ar1(400, seed=2)
    kw = dict(lags=4, horizons=2, nsel=2, n_maps=10, k=5, random_state=9)
    a = Tapestry(**kw).fit(y[:, None])
    b = Tapestry(**kw).fit(y[:, None])
    assert np.array_equal(a.weave().values, b.weave().values)
    b.maps_ = b.maps_[::-1]
    b._build()
    pa = np.sort(a.weave().values.ravel())
    pb = np.sort(b.weave().values.ravel())
    assert np.array_equal(pa, pb)


def test_analog_threads_stay_inside_the_observed_range_and_rainfall_stays_non_negative():
    df = _seasonal_table()
    Y = df[["prcp1", "temp1"]].to_numpy()
    tp = Tapestry(lags=3, horizons=4, nsel=3, n_maps=10, k=5, seasonal_period=4).fit(Y[:200])
    th = tp.weave(np.arange(199, 235), Y=Y)
    assert th.values[..., 0].min() >= 0.0
    assert th.values.min() >= Y[:200].min() - 1e-5 and th.values.max() <= Y[:200].max() + 1e-5


def test_lars_mode_recovers_a_linear_one_step_law():
    y = ar1(1500, phi=0.8, seed=6)
    # k_resid = k: residual donors from the whole neighbourhood, whose OLS residuals average to 0
    tp = Tapestry(lags=3, horizons=1, nsel=3, n_maps=3, k=40, k_resid=40, mode="lars", random_state=0)
    tp.fit(y[:1400, None])
    origins = np.arange(1400, 1440)
    th = tp.weave(origins, Y=y[:, None])
    mean = th.mean(0)[:, 0]
    assert np.mean(np.abs(mean - 0.8 * y[origins])) < 0.25
    assert np.std(th.values[:, :, 0, 0]) > 0.5  # residual resampling keeps the noise


def test_nan_gaps_are_dropped_and_reported():
    y = ar1(300, seed=0)
    y[100] = np.nan
    tp = Tapestry(lags=3, horizons=2, nsel=2, n_maps=2, k=5).fit(y[:, None])
    assert tp.n_dropped_ == 5  # 3 states containing row 100 + 2 whose continuation does
    assert not np.any(np.isin(tp.library_, [99, 98, 100, 101, 102]))


@pytest.mark.parametrize(
    ("data", "kw", "match"),
    [
        (np.zeros((50, 2)) + [[0, 1]], {}, "constant"),
        (np.random.default_rng(0).normal(size=(20, 1)), {"k": 30}, "k=30 is larger than the library"),
        (np.random.default_rng(0).normal(size=(100, 2)), {"nsel": 20, "lags": 3}, "nsel=20 exceeds the 6"),
        (np.random.default_rng(0).normal(size=(100, 2)), {"mode": "nn"}, "mode"),
        (np.random.default_rng(0).normal(size=(100, 2)), {"horizons": 0}, "horizons"),
    ],
)
def test_bad_settings_and_data_raise_input_errors(data, kw, match):
    params = dict(lags=2, horizons=2, nsel=2, n_maps=2, k=5)
    params.update(kw)
    with pytest.raises(InputError, match=match):
        Tapestry(**params).fit(data)


def test_misaligned_seasons_and_non_numeric_columns_are_rejected():
    y = np.random.default_rng(0).normal(size=(40, 1))
    season = np.arange(40) % 4
    season[10] = 3
    with pytest.raises(InputError, match="misaligned seasons"):
        Tapestry(lags=2, nsel=1, n_maps=1, k=2, seasonal_period=4).fit(y, season=season)
    df = pd.DataFrame({"a": np.arange(40.0), "b": ["x"] * 40})
    with pytest.raises(InputError, match="column 'b' is not numeric"):
        Tapestry(lags=2, nsel=1, n_maps=1, k=2).fit(df)


def test_lars_threads_are_identical_for_one_and_two_jobs():
    df = _seasonal_table(160)
    Y = df[["prcp1", "temp1", "sun"]].to_numpy()
    kw = dict(lags=3, horizons=2, nsel=4, n_maps=6, k=12, mode="lars", seasonal_period=4, random_state=7)
    kw["targets"] = ["prcp1", "temp1"]
    one = Tapestry(**kw, n_jobs=1).fit(Y[:140], columns=["prcp1", "temp1", "sun"])
    two = Tapestry(**kw, n_jobs=2).fit(Y[:140], columns=["prcp1", "temp1", "sun"])
    one, two = one.weave(np.arange(139, 150), Y=Y), two.weave(np.arange(139, 150), Y=Y)
    assert np.array_equal(one.values, two.values)
    assert np.array_equal(one.coef, two.coef)
    assert np.array_equal(one.pred, two.pred)
    assert one.coef.shape == (11, 6, 2, 2, 4) and np.any(one.coef != 0)
    # the pooled threads are each map's LARS prediction plus a residual path
    assert np.isfinite(one.values).all()


def test_bad_n_jobs_and_seed_are_rejected():
    y = ar1(100, seed=0)
    with pytest.raises(InputError, match="n_jobs"):
        Tapestry(lags=2, nsel=1, n_maps=1, k=3, n_jobs=0).fit(y)
    with pytest.raises(InputError, match="random_state"):
        Tapestry(lags=2, nsel=1, n_maps=1, k=3, random_state=-1).fit(y)


@pytest.mark.parametrize("mode", ["analog", "lars"])
def test_streamed_batches_of_origins_equal_one_weave(mode):
    df = _seasonal_table(160)
    Y = df[["prcp1", "temp1"]].to_numpy()
    tp = Tapestry(lags=3, horizons=2, nsel=3, n_maps=4, k=10, mode=mode, seasonal_period=4, targets=["prcp1"])
    tp.fit(Y[:140], columns=["prcp1", "temp1"])
    origins = np.arange(139, 150)
    whole = tp.weave(origins, Y=Y)
    parts = list(tp.weave_batches(origins, Y=Y, batch_size=3))
    assert [p.values.shape[0] for p in parts] == [3, 3, 3, 2]
    assert np.array_equal(np.concatenate([p.values for p in parts]), whole.values)
    assert np.array_equal(np.concatenate([p.neighbors for p in parts]), whole.neighbors)
