"""Backtest invariants (spec §3.4): no leakage, ties on one side, ~0 error on noiseless data."""

import numpy as np
import pytest

from core_utils import InputError
from scaling_forecast.backtest import METHODS, BacktestResult, backtest, cutoffs, register_method, split
from scaling_forecast.data import BenchmarkTable, load_bbh
from scaling_forecast.synth import make_synthetic


def _table(x, y, chance=0.0):
    n = len(x)
    return BenchmarkTable(
        models=tuple(f"m{i}" for i in range(n)),
        tasks=("t",),
        scores=np.asarray(y, float)[:, None],
        chance=np.array([chance]),
        params=np.full(n, np.nan),
        tokens=np.full(n, np.nan),
        flop=10.0 ** np.asarray(x, float),
    )


def test_no_training_model_has_more_compute_than_any_test_model():
    x = load_bbh("cot").x("flop")
    for h in (0.33, 1.0, 2.0):
        cuts = cutoffs(x, h)
        assert cuts.size > 20
        for c in cuts:
            train, test = split(x, c, h)
            assert train.size >= 8 and test.size >= 1
            assert x[train].max() < x[test].min()
            assert x[test].max() <= c + h


def test_models_tied_at_the_cutoff_are_never_split():
    x = np.array([20, 20.5, 21, 21, 21, 21.5, 22, 22, 22.7, 23.0])
    y = np.linspace(0.1, 0.9, x.size)
    res = backtest(_table(x, y), ("train-mean",), (1.0,), min_train=3)
    r = res.records
    for c in np.unique(r["cutoff"]):
        test_x = x[r["model"][r["cutoff"] == c]]
        train_x = x[x <= c]
        assert not set(test_x) & set(train_x)
    # cutoffs are distinct compute values, and all models tied at 21 are in training at cutoff 21
    assert 21.0 in r["cutoff"]
    assert set(r["model"][r["cutoff"] == 21.0]) == {5, 6, 7}


def test_noiseless_synthetic_data_gives_near_zero_sigmoid_error_below_every_baseline():
    table, _ = make_synthetic(50, 4, seed=3, n_items=None, family_sd=0.0, x0_range=(21.0, 22.5))
    for engine in ("scipy", "batched"):
        res = backtest(table, ("sigmoid", "linear", "chance", "train-mean", "last-3"), (1.0,), engine=engine)
        sig = res.mae("sigmoid", 1.0)
        assert sig < 0.05
        for m in ("linear", "chance", "train-mean", "last-3"):
            assert sig < res.mae(m, 1.0)


def test_pair_and_cutoff_averaging_follow_their_definitions():
    # hand-built records: cutoff A has errors 10, 10, 10 (pp), cutoff B has error 40
    rec = {
        "method": np.zeros(4, int),
        "horizon": np.zeros(4, int),
        "cutoff": np.array([1.0, 1.0, 1.0, 2.0]),
        "model": np.arange(4),
        "task": np.zeros(4, int),
        "y": np.zeros(4),
        "yhat": np.array([0.1, 0.1, 0.1, 0.4]),
    }
    res = BacktestResult(("a", "b", "c", "d"), ("t",), ("chance",), (1.0,), rec)
    assert res.mae("chance", 1.0, "pair") == pytest.approx(17.5)
    assert res.mae("chance", 1.0, "cutoff") == pytest.approx(25.0)


def test_per_task_mae_is_the_mean_of_task_maes():
    table, _ = make_synthetic(40, 3, seed=5)
    res = backtest(table, ("chance",), (1.0,))
    assert res.mae("chance", 1.0) == pytest.approx(np.mean(list(res.by_task("chance", 1.0).values())))


def test_batched_engine_matches_scipy_within_0_1pp_on_the_bbh_aggregate():
    agg = load_bbh("cot").aggregate()
    a = backtest(agg, ("sigmoid",), (1.0,), engine="scipy")
    b = backtest(agg, ("sigmoid",), (1.0,), engine="batched")
    ka = np.lexsort((a.records["model"], a.records["cutoff"]))
    kb = np.lexsort((b.records["model"], b.records["cutoff"]))
    assert np.max(np.abs(a.records["yhat"][ka] - b.records["yhat"][kb])) < 1e-3


def test_naive_reference_engine_matches_the_reusing_engine():
    table = load_bbh("direct").select_tasks(["navigate", "date_understanding"])
    a = backtest(table, ("sigmoid",), (0.33, 1.0), engine="naive")
    b = backtest(table, ("sigmoid",), (0.33, 1.0), engine="scipy")
    assert a.n_fits > b.n_fits
    for h in (0.33, 1.0):
        assert a.mae("sigmoid", h) == pytest.approx(b.mae("sigmoid", h), abs=0.05)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"horizons": (0.0,)}, "horizon"),
        ({"horizons": (-1.0,)}, "horizon"),
        ({"methods": ("sigmoid", "prophet")}, "unknown method"),
        ({"min_train": 2}, "min_train"),
        ({"engine": "gpu"}, "engine"),
        ({"min_train": 100}, "no cutoff"),
    ],
)
def test_bad_backtest_settings_are_rejected(kwargs, match):
    table, _ = make_synthetic(30, 2, seed=0)
    with pytest.raises(InputError, match=match):
        backtest(table, **kwargs)


def test_registry_refuses_duplicate_names():
    assert "sigmoid" in METHODS
    with pytest.raises(ValueError, match="already registered"):
        register_method("sigmoid")(lambda floor: None)
