"""Test systems and the seasonal CSV loader."""

import numpy as np
import pytest

from core_utils import InputError
from tapestry.datasets import ar1, load_seasonal_csv, logistic_map, lorenz96_forced


def test_forced_lorenz96_has_non_negative_rainfall_and_a_slow_driver():
    df = lorenz96_forced(200, seed=1)
    assert list(df.columns) == ["season", "temp1", "prcp1", "temp2", "prcp2", "sun"]
    assert df["prcp1"].min() >= 0 and (df["prcp1"] == 0).any()
    # the driver has an 11-"year" (44-season) cycle
    spec = np.abs(np.fft.rfft(df["sun"] - df["sun"].mean()))
    assert abs(200 / np.argmax(spec) - 44) < 6


def test_logistic_map_and_ar1_have_their_invariant_statistics():
    x = logistic_map(20000)
    assert 0 <= x.min() and x.max() <= 1 and x.mean() == pytest.approx(0.5, abs=0.02)
    y = ar1(50000, phi=0.7, seed=0)
    assert np.corrcoef(y[:-1], y[1:])[0, 1] == pytest.approx(0.7, abs=0.02)
    with pytest.raises(InputError):
        ar1(10, phi=1.0)


def test_seasonal_csv_loader_names_bad_columns_and_misaligned_rows(tmp_path):
    good = tmp_path / "g.csv"
    good.write_text("season,rain\n0,1.0\n1,2.0\n2,3.0\n3,4.0\n0,5.0\n")
    assert len(load_seasonal_csv(good)) == 5
    bad = tmp_path / "b.csv"
    bad.write_text("season,rain,site\n0,1.0,a\n1,2.0,b\n")
    with pytest.raises(InputError, match="column 'site' is not numeric"):
        load_seasonal_csv(bad)
    mis = tmp_path / "m.csv"
    mis.write_text("season,rain\n0,1.0\n1,2.0\n3,3.0\n")
    with pytest.raises(InputError, match="misaligned seasons at data row 3"):
        load_seasonal_csv(mis)
    with pytest.raises(InputError, match="does not exist"):
        load_seasonal_csv(tmp_path / "none.csv")
