"""Forecasts with bootstrap bands and per-family residuals."""

import numpy as np
import pytest

from core_utils import InputError
from scaling_forecast.data import load_bbh
from scaling_forecast.forecast import family_residuals, fit_task, forecast
from scaling_forecast.synth import make_synthetic


def test_forecast_band_covers_the_true_score_on_synthetic_data():
    table, truth = make_synthetic(60, 1, seed=11, family_sd=0.0, x0_range=(22.0, 23.0))
    fc = forecast(table, [1e23, 1e24], "task-00", n_boot=80, seed=0)
    from scaling_forecast.curves import SigmoidCurve

    true = SigmoidCurve.curve(fc.log10_compute, truth.k[0], truth.x0[0], truth.floor[0], 1.0)
    assert np.all(fc.lower <= fc.center) and np.all(fc.center <= fc.upper)
    assert np.all((fc.lower - 0.02 <= true) & (true <= fc.upper + 0.02))


def test_forecast_is_reproducible_from_the_seed():
    table = load_bbh("cot")
    a = forecast(table, 1e25, n_boot=20, seed=3)
    b = forecast(table, 1e25, n_boot=20, seed=3)
    assert a.lower == pytest.approx(b.lower) and a.upper == pytest.approx(b.upper)


def test_family_residuals_average_back_to_the_overall_residual():
    table = load_bbh("direct")
    res = family_residuals(table)
    curve = fit_task(table)
    overall = 100 * np.mean(table.aggregate().scores[:, 0] - curve.predict(table.x("flop")))
    weighted = sum(r.n_models * r.mean_pp for r in res) / sum(r.n_models for r in res)
    assert weighted == pytest.approx(overall)
    assert [r.mean_pp for r in res] == sorted(r.mean_pp for r in res)


def test_bad_forecast_inputs_are_rejected():
    table = load_bbh("cot")
    with pytest.raises(InputError, match="compute must be positive"):
        forecast(table, -1e24)
    with pytest.raises(InputError, match="unknown task"):
        forecast(table, 1e24, "sudoku")
    with pytest.raises(InputError, match="unknown method"):
        fit_task(table, method="spline")
