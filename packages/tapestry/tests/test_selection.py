"""Variable selection keeps a true driver and drops pure noise."""

import numpy as np
import pandas as pd
import pytest

from core_utils import InputError
from tapestry.datasets import logistic_map
from tapestry.selection import held_out_loglik, select_variables


def _driven(n=500, seed=0):
    rng = np.random.default_rng(seed)
    drv = logistic_map(n + 1, r=3.9, x0=0.4)  # chaotic driver
    y = np.empty(n)
    y[0] = 0.0
    for t in range(1, n):
        y[t] = 0.3 * y[t - 1] + 2.0 * drv[t - 1] + 0.05 * rng.normal()
    return pd.DataFrame({"y": y, "driver": drv[:n], "noise": rng.normal(size=n)})


PARAMS = dict(lags=2, horizons=1, nsel=2, n_maps=12, k=10, random_state=0)


def test_forward_selection_keeps_the_driver_and_drops_the_noise():
    df = _driven()
    res = select_variables(df, "y", direction="forward", **PARAMS)
    assert "driver" in res.selected
    assert "noise" not in res.selected
    scores = [s for _, s in res.path]
    assert all(b > a for a, b in zip(scores, scores[1:], strict=False))


def test_noise_column_lowers_the_held_out_likelihood():
    df = _driven()
    with_driver = held_out_loglik(df, "y", ["driver"], 100, **PARAMS)
    with_noise = held_out_loglik(df, "y", ["driver", "noise"], 100, **{**PARAMS, "nsel": 3})
    alone = held_out_loglik(df, "y", [], 100, **PARAMS)
    assert with_driver > alone
    assert with_driver > with_noise


def test_backward_selection_removes_the_noise_first():
    df = _driven()
    res = select_variables(df, "y", direction="backward", **{**PARAMS, "nsel": 3})
    assert "noise" not in res.selected and "driver" in res.selected


def test_unknown_target_or_direction_is_rejected():
    df = _driven(100)
    with pytest.raises(InputError, match="unknown target"):
        select_variables(df, "rain")
    with pytest.raises(InputError, match="direction"):
        select_variables(df, "y", direction="sideways")
