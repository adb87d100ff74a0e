"""Catalogue integrity: fields, ranges, derived counts, round trip, honest status."""

import numpy as np
import pytest

from agri_dl.catalogue import EXPECTED_WORKS, compare, dump_csv, load_works, query, summary
from core_utils import InputError


@pytest.fixture(scope="module")
def works():
    return load_works()


def test_catalogue_has_unique_works_with_every_field_present(works):
    assert 0 < len(works) <= EXPECTED_WORKS
    assert len({w.id for w in works}) == len(works)
    assert len({(w.ref, w.year) for w in works}) == len(works)
    for w in works:
        for name, value in vars(w).items():
            assert value != "" and value is not None, (w.id, name)


def test_metric_values_are_fractions(works):
    for w in works:
        assert 0.0 <= w.value <= 1.0, w.ref


def test_every_row_declares_itself_unconfirmed_until_checked_against_the_appendix(works):
    assert all(w.status.startswith("unconfirmed") for w in works)


@pytest.mark.parametrize("by", ["area", "model", "framework", "metric"])
def test_summary_counts_sum_to_the_number_of_works(works, by):
    assert sum(summary(works, by).values()) == len(works)


def test_compare_counts_are_derived_from_the_rows(works):
    res = compare(works)
    rows = [w for w in works if w.compared_with not in ("n/a", "unconfirmed")]
    deltas = []
    for w in rows:
        try:
            deltas.append(w.value - float(w.other_value))
        except ValueError:
            pass
    assert res["n"] == len(rows)
    assert res["n_numeric"] == len(deltas)
    assert res["k"] == int(np.sum(np.array(deltas) > 0))
    sa = next(p for p in res["pairs"] if p["ref"].startswith("Sa et al."))
    assert sa["delta"] == pytest.approx(0.838 - 0.807)


def test_compare_follows_a_changed_row(works):
    text = dump_csv(works).replace(",CRF,0.807,", ",CRF,0.9,")
    res = compare(load_works(text))
    assert next(p for p in res["pairs"] if p["ref"].startswith("Sa et al."))["delta"] < 0


def test_csv_round_trip_is_the_identity(works):
    assert load_works(dump_csv(works)) == works


def test_query_filters_case_insensitively(works):
    sel = query(works, area="Disease")
    assert sel and all("disease" in w.area for w in sel)
    assert all(w.framework == "Caffe" for w in query(works, framework="caffe"))


def test_unknown_area_suggests_close_matches(works):
    with pytest.raises(InputError, match="did you mean"):
        query(works, area="diseese detection")


def test_unknown_summary_key_is_named(works):
    with pytest.raises(InputError, match="--by"):
        summary(works, "colour")
