"""The benchmark harness: subsets, reproducibility, the designed gap, the iBean claim (slow)."""

import json

import numpy as np
import pytest

from agri_dl.data import load_ibean, synth_leaves
from agri_dl.harness import parse_methods, run, stratified_subset, summarize
from agri_dl.training import NetClassifier, TrainConfig
from core_utils import InputError

QUICK = TrainConfig(epochs=3, batch_size=32, width=8)


def test_stratified_subset_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [100, 50, 10])
    sub = stratified_subset(y, 0.2, seed=0)
    assert np.bincount(y[sub]).tolist() == [20, 10, 2]
    assert len(np.unique(sub)) == len(sub)


def test_same_seed_reproduces_results_exactly():
    data = synth_leaves(n=90, seed=1)
    a = run(data, methods=["color-svm", "cnn"], seeds=[3], train_config=QUICK)
    b = run(data, methods=["color-svm", "cnn"], seeds=[3], train_config=QUICK)
    for ra, rb in zip(a, b, strict=True):
        assert ra["confusion"] == rb["confusion"] and ra["accuracy"] == rb["accuracy"]


def test_checkpoint_resumes_finished_records_and_only_under_the_same_recipe(tmp_path):
    data = synth_leaves(n=60, seed=4)
    ck = tmp_path / "ck.json"
    first = run(data, methods=["color-rf", "cnn"], seeds=[0], train_config=QUICK, checkpoint=ck)
    saved = json.loads(ck.read_text())
    assert [(r["method"], r["seed"]) for r in saved["records"]] == [("color-rf", 0), ("cnn", 0)]
    # mark the saved records: a resumed run must return them instead of recomputing
    for r in saved["records"]:
        r["accuracy"] = -1.0
    ck.write_text(json.dumps(saved))
    resumed = run(
        data, methods=["color-rf", "cnn", "color-svm"], seeds=[0], train_config=QUICK, checkpoint=ck
    )
    assert [r["accuracy"] for r in resumed[:2]] == [-1.0, -1.0]
    assert 0.0 <= resumed[2]["accuracy"] <= 1.0
    assert len(json.loads(ck.read_text())["records"]) == 3
    # another training recipe does not reuse them
    other = TrainConfig(epochs=2, batch_size=32, width=8)
    fresh = run(data, methods=["color-rf", "cnn"], seeds=[0], train_config=other, checkpoint=ck)
    assert fresh[0]["accuracy"] == first[0]["accuracy"]
    assert fresh[1]["accuracy"] >= 0.0


def test_a_corrupt_checkpoint_is_named(tmp_path):
    ck = tmp_path / "ck.json"
    ck.write_text("{not json")
    with pytest.raises(InputError, match="ck.json is not valid JSON"):
        run(synth_leaves(n=30, seed=0), methods=["color-rf"], checkpoint=ck)


def test_colour_histograms_sit_near_chance_on_the_designed_leaves_while_shape_features_do_not():
    """Designed gap (spec Sec. 3): the classes differ only in lesion arrangement, colour is matched."""
    data = synth_leaves(n=450, seed=0)
    rows = {r["method"]: r for r in summarize(run(data, methods=["color-svm", "hog-svm"], seeds=[0]))}
    assert rows["color-svm"]["accuracy"] < 0.55
    assert rows["hog-svm"]["accuracy"] > rows["color-svm"]["accuracy"] + 0.1


def test_summary_has_one_row_per_method_and_fraction():
    data = synth_leaves(n=60, seed=2)
    rows = summarize(run(data, methods=["color-rf"], seeds=[0, 1], fractions=[0.5, 1.0]))
    assert [(r["method"], r["fraction"], r["seeds"]) for r in rows] == [
        ("color-rf", 1.0, 2),
        ("color-rf", 0.5, 2),
    ]
    assert np.sum(rows[0]["confusion"]) == 2 * int(data.is_test.sum())


def test_unknown_method_suggests_a_close_name():
    with pytest.raises(InputError, match="did you mean color-svm"):
        parse_methods("colour-svm")


def test_fewer_training_images_than_classes_is_refused():
    data = synth_leaves(n=30, seed=0)
    with pytest.raises(InputError, match="fewer than the 3 classes"):
        NetClassifier("cnn", QUICK).fit(data.images[:2], data.labels[:2], n_classes=3)


def test_a_class_without_training_images_is_refused():
    data = synth_leaves(n=30, seed=0)
    keep = ~((data.labels == 2) & ~data.is_test)
    thin = type(data)(data.images[keep], data.labels[keep], data.class_names, data.is_test[keep], "thin")
    with pytest.raises(InputError, match="no training images"):
        run(thin, methods=["color-svm"])


@pytest.fixture(scope="module")
def ibean_rows():
    """iBean with the fixed recipe (30 epochs): colour-SVM, colour-RF, the small CNN and the VGG-style
    network, seeds 0 and 1 (several CPU minutes)."""
    records = run(load_ibean(), methods=["color-svm", "color-rf", "cnn", "vgg"], seeds=[0, 1])
    return {r["method"]: r for r in summarize(records)}


def _best_colour(rows):
    return max(rows["color-svm"]["accuracy"], rows["color-rf"]["accuracy"])


@pytest.mark.slow
def test_on_ibean_colour_histograms_and_the_cnns_all_beat_chance_by_a_wide_margin(ibean_rows):
    # chance = 1/3 (balanced test split: 43/43/42); documented margin 0.25 (README)
    for method in ("color-svm", "color-rf", "cnn", "vgg"):
        assert ibean_rows[method]["accuracy"] > 1 / 3 + 0.25, method


@pytest.mark.slow
def test_on_ibean_the_vgg_style_network_beats_the_best_colour_histogram_baseline(ibean_rows):
    # measured (README, 3 seeds): VGG-style 0.865 vs colour-SVM 0.789; documented margin 0.03
    assert ibean_rows["vgg"]["accuracy"] > _best_colour(ibean_rows) + 0.03


@pytest.mark.slow
@pytest.mark.xfail(
    reason="measured on iBean 32x32 (README, 3 seeds): the small 2-block CNN, 0.766, stays below "
    "colour-SVM, 0.789; only the deeper VGG/ResNet-style networks beat colour histograms",
    strict=True,
)
def test_on_ibean_the_small_cnn_beats_the_best_colour_histogram_baseline(ibean_rows):
    assert ibean_rows["cnn"]["accuracy"] > _best_colour(ibean_rows)
