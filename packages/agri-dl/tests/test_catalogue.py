"""Catalogue integrity: fields, ranges, derived counts, round trip, honest provenance."""

import numpy as np
import pytest

from agri_dl.catalogue import (
    EXPECTED_WORKS,
    STATUSES,
    compare,
    coverage,
    dump_csv,
    load_works,
    query,
    summary,
)
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


def test_survey_size_is_the_40_works_stated_in_its_abstract(works):
    # abstract: "we perform a survey of 40 research efforts"
    cov = coverage(works)
    assert EXPECTED_WORKS == 40 and cov["expected"] == 40
    assert cov["catalogued"] == len(works) <= 40


def test_every_row_states_its_provenance(works):
    for w in works:
        assert w.status in STATUSES
        if w.status == "unconfirmed":
            assert w.checked == () and w.source == "none"
        else:
            assert w.checked and w.source.startswith(("https://doi.org/", "arXiv:")), w.ref
            for name in w.checked:
                assert str(getattr(w, name)) != "unconfirmed", (w.ref, name)


def test_coverage_counts_are_derived_from_the_rows(works):
    cov = coverage(works)
    assert cov["checked_rows"] == sum(w.status == "checked-abstract" for w in works)
    assert cov["checked_cells"] == sum(len(w.checked) for w in works)
    assert cov["checked_cells"] < cov["cells"]


# numbers stated in each work's own abstract (the source named in the row)
ABSTRACT_NUMBERS = {
    "Mohanty et al.": {"n_samples": "54306", "value": 0.9935},  # 54,306 images; accuracy 99.35%
    "Sladojevic et al.": {"value": 0.963},  # "on average 96.3%"
    "Sa et al. (DeepFruits)": {"value": 0.838, "other_value": "0.807"},  # "from 0.807 to 0.838"
    "Bargoti & Underwood": {"value": 0.9},  # "F1-score of >0.9"
    "Rahnemoonfar & Sheppard": {"value": 0.91},  # "91% average test accuracy on real images"
    "Lee et al.": {"n_classes": "44"},  # "44 different plant species"
}


def test_checked_cells_equal_the_numbers_in_the_sources_abstracts(works):
    by_ref = {w.ref: w for w in works}
    for ref, cells in ABSTRACT_NUMBERS.items():
        w = by_ref[ref]
        for name, expected in cells.items():
            assert name in w.checked, (ref, name)
            assert getattr(w, name) == expected, (ref, name)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (",checked-abstract,", ",checked-by-eye,", "status"),
        (",checked-abstract,problem;n_samples;", ",checked-abstract,problem;n_sample;", "unknown field"),
        (",checked-abstract,problem;n_samples;", ",checked-abstract,problem;preprocessing;", "hold"),
        (",https://doi.org/10.3389/fpls.2016.01419,", ",none,", "disagree"),
    ],
)
def test_inconsistent_provenance_is_rejected_by_name(works, old, new, message):
    text = dump_csv(works)
    assert old in text
    with pytest.raises(InputError, match=message):
        load_works(text.replace(old, new, 1))


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
