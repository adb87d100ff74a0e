"""MetaForestClassifier / MetaForestRegressor behaviour: weights, routing, leakage, bad input."""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_friedman1
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import LeaveOneGroupOut, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core_utils import InputError
from meta_forests import MetaForestClassifier, MetaForestRegressor, NoDomainsWarning
from meta_forests.datasets import make_multidomain_blobs
from meta_forests.estimator import pseudo_domains


@pytest.fixture(scope="module")
def blobs():
    return make_multidomain_blobs(n_domains=4, n_per_domain=80, covariate_shift=1.0, seed=0)


def _fit(blobs, **kw):
    kw.setdefault("n_meta_tasks", 4)
    kw.setdefault("n_estimators", 5)
    kw.setdefault("random_state", 0)
    return MetaForestClassifier(**kw).fit(blobs.X, blobs.y, domains=blobs.domains)


@pytest.mark.parametrize("mode", ["pooled", "per_domain"])
def test_weights_are_normalized_and_logged(blobs, mode):
    est = _fit(blobs, forest_mode=mode)
    assert est.weights_.sum() == pytest.approx(1.0)
    assert len(est.forests_) == len(est.weights_) == len(est.meta_log_)
    per_task = 1 if mode == "pooled" else 3
    assert len(est.forests_) == 4 * per_task
    for entry in est.meta_log_:
        assert entry["meta_test_domain"] not in entry["meta_train_domains"]
    if mode == "per_domain":  # each task's weights sum to 1 / n_meta_tasks
        tasks = np.array([e["task"] for e in est.meta_log_])
        for t in range(4):
            assert est.weights_[tasks == t].sum() == pytest.approx(0.25)


@pytest.mark.parametrize("mode", ["pooled", "per_domain"])
def test_alpha_beta_zero_is_a_plain_average_of_the_forests(blobs, mode):
    est = _fit(blobs, forest_mode=mode, alpha=0.0, beta=0.0, carry_weights=True)
    np.testing.assert_allclose(est.weights_, 1.0 / len(est.forests_))
    hand = np.mean([f.predict_proba(blobs.X) for f in est.forests_], axis=0)
    np.testing.assert_allclose(est.predict_proba(blobs.X), hand)
    np.testing.assert_array_equal(est.predict(blobs.X), est.classes_[hand.argmax(1)])


@pytest.mark.parametrize("mode", ["pooled", "per_domain"])
def test_extra_trees_base_forests_are_extra_trees_and_average_like_the_random_ones(blobs, mode):
    est = _fit(blobs, forest_mode=mode, forest_type="extra", alpha=0.0, beta=0.0)
    assert all(isinstance(f, ExtraTreesClassifier) for f in est.forests_)
    assert all(not f.bootstrap for f in est.forests_)
    hand = np.mean([f.predict_proba(blobs.X) for f in est.forests_], axis=0)
    np.testing.assert_allclose(est.predict_proba(blobs.X), hand)
    rf = _fit(blobs, forest_mode=mode, alpha=0.0, beta=0.0)
    assert all(type(f) is RandomForestClassifier for f in rf.forests_)
    # same meta-task splits and seeds, different base learner
    assert [e["meta_test_domain"] for e in est.meta_log_] == [e["meta_test_domain"] for e in rf.meta_log_]


def test_extra_trees_tree_selection_ranks_by_accuracy_alone(blobs):
    # without bootstrap every tree sees the same rows, so the per-tree MMD is a constant and only the
    # meta-test accuracy orders the trees
    est = _fit(blobs, forest_type="extra", tree_selection=0.4, n_estimators=10, alpha=-1.0)
    for entry, forest in zip(est.meta_log_, est.forests_, strict=True):
        assert len(forest.estimators_) == 4
        scores, kept = np.array(entry["tree_scores"]), entry["kept_trees"]
        assert scores[kept].min() >= np.delete(scores, kept).max()
        rows = blobs.domains == entry["meta_test_domain"]
        for t, i in zip(forest.estimators_, kept, strict=True):
            acc = np.mean(forest.classes_[t.predict(blobs.X[rows]).astype(int)] == blobs.y[rows])
            assert scores[i] == pytest.approx(np.log(max(np.exp(acc) - np.exp(1 / 3), 1e-10)))
    assert est.weights_.sum() == pytest.approx(1.0)


def test_extra_trees_regressor():
    X, y = make_friedman1(n_samples=200, noise=0.5, random_state=0)
    d = np.repeat(["a", "b", "c", "d"], 50)
    est = MetaForestRegressor(n_meta_tasks=4, n_estimators=5, forest_type="extra", random_state=0)
    est.fit(X, y, domains=d)
    assert all(isinstance(f, ExtraTreesRegressor) for f in est.forests_)
    assert np.sqrt(np.mean((est.predict(X) - y) ** 2)) < np.std(y)


def test_identical_domains_get_equal_weights():
    rng = np.random.default_rng(0)
    X0 = np.vstack([rng.normal(-5, 0.5, size=(20, 2)), rng.normal(5, 0.5, size=(20, 2))])
    y0 = np.repeat([0, 1], 20)
    X, y = np.vstack([X0] * 3), np.tile(y0, 3)
    d = np.repeat(["a", "b", "c"], 40)
    est = MetaForestClassifier(
        n_meta_tasks=5, n_estimators=3, forest_mode="per_domain", carry_weights=True, random_state=0
    )
    est.fit(X, y, domains=d)
    assert all(e["mmd"] == pytest.approx(0.0, abs=1e-6) for e in est.meta_log_)
    np.testing.assert_allclose(est.weights_, 1.0 / len(est.forests_))


def test_farther_domain_gets_lower_weight_than_nearer_domain_at_equal_accuracy():
    """Separable classes (every forest is perfect), domains at shifts 0, 1 and 6: scored on domain 0,
    the forest of the near domain (1) must outweigh the forest of the far domain (6)."""
    rng = np.random.default_rng(1)
    Xs, ys, ds = [], [], []
    for name, shift in (("near0", 0.0), ("near1", 1.0), ("far", 6.0)):
        y = np.repeat([0, 1], 30)
        X = np.where(y[:, None] == 0, -20.0, 20.0) + rng.normal(size=(60, 2)) + shift
        Xs.append(X), ys.append(y), ds.append(np.full(60, name))
    est = MetaForestClassifier(n_meta_tasks=6, n_estimators=3, forest_mode="per_domain", random_state=0)
    est.fit(np.vstack(Xs), np.concatenate(ys), domains=np.concatenate(ds))
    for e in est.meta_log_:
        if e["meta_test_domain"] == "near0":
            assert e["score"] == 1.0
    tested_on_0 = {
        e["meta_train_domains"][0]: e["weight"] for e in est.meta_log_ if e["meta_test_domain"] == "near0"
    }
    assert tested_on_0["near1"] > tested_on_0["far"]


def test_tree_selection_keeps_the_trees_with_the_best_meta_test_accuracy(blobs):
    """alpha = 0: the per-tree score is log max(exp(acc_t) - exp(1/C), eps), so the kept half are the
    trees with the highest meta-test accuracy; recompute the kept trees' accuracies independently."""
    est = _fit(blobs, n_estimators=8, tree_selection=0.5, alpha=0.0)
    for entry, forest in zip(est.meta_log_, est.forests_, strict=True):
        assert len(forest.estimators_) == forest.n_estimators == 4
        scores, kept = np.array(entry["tree_scores"]), entry["kept_trees"]
        assert scores.size == 8 and len(kept) == 4
        assert scores[kept].min() >= np.delete(scores, kept).max()
        rows = blobs.domains == entry["meta_test_domain"]
        for t, i in zip(forest.estimators_, kept, strict=True):
            acc = np.mean(forest.classes_[t.predict(blobs.X[rows]).astype(int)] == blobs.y[rows])
            expected = np.log(max(np.exp(acc) - np.exp(1 / 3), 1e-10))
            assert scores[i] == pytest.approx(expected)
    assert est.weights_.sum() == pytest.approx(1.0)


def test_tree_selection_one_keeps_every_tree(blobs):
    a = _fit(blobs, tree_selection=1.0)
    b = _fit(blobs)
    np.testing.assert_array_equal(a.predict_proba(blobs.X), b.predict_proba(blobs.X))


def test_tree_selection_by_mmd_alone_keeps_trees_whose_bootstrap_is_closest_to_the_meta_test_domain(blobs):
    est = _fit(blobs, n_estimators=10, tree_selection=0.3, alpha=-1.0, beta=0.0)
    for entry in est.meta_log_:
        scores = np.array(entry["tree_scores"])  # = -(MMD_t - mean MMD_t) when beta = 0
        assert np.allclose(scores.mean(), 0.0, atol=1e-12)
        assert scores[entry["kept_trees"]].min() >= np.delete(scores, entry["kept_trees"]).max()


def test_huge_alpha_does_not_overflow(blobs):
    est = _fit(blobs, alpha=-1e6)
    assert np.all(np.isfinite(est.weights_)) and est.weights_.sum() == pytest.approx(1.0)


def test_string_labels_and_domain_missing_a_class_align_probabilities():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(90, 3))
    y = np.array(["cat", "dog", "eel"] * 30)
    d = np.repeat(["A", "B", "C"], 30)
    keep = ~((d == "A") & (y == "eel"))  # domain A has no "eel"
    X[y == "eel"] += 4.0
    est = MetaForestClassifier(n_meta_tasks=4, n_estimators=5, forest_mode="per_domain", random_state=0)
    est.fit(X[keep], y[keep], domains=d[keep])
    assert est.classes_.tolist() == ["cat", "dog", "eel"]
    proba = est.predict_proba(X)
    assert proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert np.mean(est.predict(X[y == "eel"]) == "eel") > 0.8


def test_domains_route_through_pipeline_and_cross_validate(blobs):
    with sklearn.config_context(enable_metadata_routing=True):
        est = MetaForestClassifier(n_meta_tasks=3, n_estimators=5, random_state=0).set_fit_request(
            domains=True
        )
        pipe = make_pipeline(StandardScaler(), est)
        res = cross_validate(
            pipe,
            blobs.X,
            blobs.y,
            cv=LeaveOneGroupOut(),
            params={"domains": blobs.domains, "groups": blobs.domains},
            return_estimator=True,
        )
    assert len(res["test_score"]) == 4
    for fold, fitted in enumerate(res["estimator"]):
        # every fold was fitted on exactly the 3 source domains, never on its held-out domain
        assert len(fitted[-1].domains_) == 3
        assert sorted(blobs.domain_names)[fold] not in fitted[-1].domains_


def test_fit_never_sees_the_held_out_domain(monkeypatch):
    """A held-out domain carrying a unique marker value must never reach any forest or the MMD."""
    from meta_forests import estimator as est_mod

    data = make_multidomain_blobs(n_domains=4, n_per_domain=50, seed=3)
    X = data.X.copy()
    target = data.domains == "d3"
    X[target, 0] = 1e6  # detectable
    seen = []
    orig = RandomForestClassifier.fit

    def spy(self, Xf, yf, sample_weight=None):
        seen.append(np.max(Xf))
        return orig(self, Xf, yf, sample_weight=sample_weight)

    monkeypatch.setattr(RandomForestClassifier, "fit", spy)
    orig_gram = est_mod._domain_gram

    def gram_spy(Xs, **kw):
        seen.append(max(np.max(x) for x in Xs))
        return orig_gram(Xs, **kw)

    monkeypatch.setattr(est_mod, "_domain_gram", gram_spy)
    MetaForestClassifier(n_meta_tasks=4, n_estimators=3, random_state=0).fit(
        X[~target], data.y[~target], domains=data.domains[~target]
    )
    assert len(seen) == 5 and max(seen) < 1e3


def test_missing_domains_run_meta_forests_on_kmeans_pseudo_domains_with_a_warning(blobs):
    with pytest.warns(NoDomainsWarning, match="no `domains`; using 4 kmeans pseudo-domains"):
        est = MetaForestClassifier(n_meta_tasks=3, n_estimators=7, random_state=0).fit(blobs.X, blobs.y)
    assert est.domain_source_ == "kmeans"
    assert sorted(est.domains_.tolist()) == [0, 1, 2, 3]
    assert len(est.forests_) == 3 and len(est.meta_log_) == 3
    assert est.weights_.sum() == pytest.approx(1.0)
    for entry in est.meta_log_:
        assert entry["meta_test_domain"] not in entry["meta_train_domains"]


def test_kmeans_pseudo_domains_recover_planted_domains_not_classes():
    """Oracle: 3 domains shifted along one direction, classes independent of domain. Clustering the
    class-centred features recovers the domains (adjusted Rand index ~ 1) and not the classes."""
    data = make_multidomain_blobs(n_domains=3, n_per_domain=150, n_features=4, covariate_shift=8.0, seed=3)
    labels = pseudo_domains(data.X, data.y, 3, seed=0)
    assert adjusted_rand_score(data.domains, labels) > 0.95
    assert abs(adjusted_rand_score(data.y, labels)) < 0.05
    # without class centring, k-means on these well-separated classes would mix classes into clusters
    raw = pseudo_domains(data.X, None, 3, seed=0)
    assert adjusted_rand_score(data.domains, raw) < adjusted_rand_score(data.domains, labels)


def test_random_pseudo_domains_are_balanced_within_each_class():
    y = np.repeat([0, 1, 2], [40, 41, 19])
    X = np.random.default_rng(0).normal(size=(100, 3))
    labels = pseudo_domains(X, y, 4, method="random", seed=1)
    for c in (0, 1, 2):
        counts = np.bincount(labels[y == c], minlength=4)
        assert counts.max() - counts.min() <= 1


def test_forest_fallback_is_one_random_forest_and_error_fallback_raises(blobs):
    with pytest.warns(NoDomainsWarning, match="single random forest"):
        est = MetaForestClassifier(n_estimators=7, domain_fallback="forest", random_state=0).fit(
            blobs.X, blobs.y
        )
    assert est.domain_source_ == "forest"
    assert len(est.forests_) == 1 and len(est.forests_[0].estimators_) == 7
    np.testing.assert_allclose(est.predict_proba(blobs.X), est.forests_[0].predict_proba(blobs.X))
    with pytest.raises(InputError, match="no `domains` and domain_fallback='error'"):
        MetaForestClassifier(domain_fallback="error").fit(blobs.X, blobs.y)


def test_too_few_distinct_rows_for_pseudo_domains_fall_back_to_one_forest():
    X, y = np.ones((6, 2)), np.arange(6) % 2
    with pytest.warns(NoDomainsWarning, match="too few distinct rows"):
        est = MetaForestRegressor(n_estimators=3, random_state=0).fit(X, y.astype(float))
    assert est.domain_source_ == "forest" and len(est.forests_) == 1


def test_regressor_without_domains_uses_pseudo_domains():
    X, y = make_friedman1(n_samples=200, random_state=0)
    with pytest.warns(NoDomainsWarning, match="random pseudo-domains"):
        est = MetaForestRegressor(
            n_meta_tasks=3, n_estimators=5, domain_fallback="random", n_pseudo_domains=3, random_state=0
        ).fit(X, y)
    assert est.domain_source_ == "random" and len(est.forests_) == 3
    assert np.isfinite(est.predict(X)).all()


def test_rff_and_multi_bandwidth_mmd_options_fit(blobs):
    a = _fit(blobs, mmd_method="rff")
    b = _fit(blobs, mmd_bandwidth="multi")
    c = _fit(blobs)
    for est in (a, b):
        assert est.weights_.sum() == pytest.approx(1.0)
    # RFF approximates the exact MMDs of the same domain pairs
    np.testing.assert_allclose([e["mmd"] for e in a.meta_log_], [e["mmd"] for e in c.meta_log_], atol=0.08)


def test_constant_features_use_the_bandwidth_fallback():
    X = np.zeros((60, 4))
    X[:, 0] = np.repeat([0.0, 1.0], 30)
    y = X[:, 0].astype(int)
    d = np.tile(["a", "b", "c"], 20)
    est = MetaForestClassifier(n_meta_tasks=3, n_estimators=3, random_state=0).fit(X, y, domains=d)
    assert np.all(np.isfinite([e["mmd"] for e in est.meta_log_]))


@pytest.mark.parametrize(
    ("X", "y", "domains", "error", "match"),
    [
        (
            np.ones((6, 2)),
            np.arange(6) % 2,
            np.zeros(6),
            InputError,
            "at least 2 source domains.*domains=None",
        ),
        (
            np.ones((4, 2)),
            [0, 1, 0, 1],
            np.array(["a", None, "b", "a"], dtype=object),
            InputError,
            "1 missing",
        ),
        (np.ones((4, 2)), [0, 1, 0, 1], np.array([0.0, np.nan, 1.0, 1.0]), InputError, "1 NaN or infinite"),
        (np.ones((6, 2)), np.arange(6) % 2, np.zeros(5), InputError, "one entry per sample"),
        (np.full((6, 2), np.nan), np.arange(6) % 2, np.arange(6) % 3, ValueError, "NaN"),
        (np.full((6, 2), np.inf), np.arange(6) % 2, np.arange(6) % 3, ValueError, "infinity"),
        (np.ones((6, 2)), np.arange(5) % 2, np.arange(6) % 3, ValueError, "inconsistent numbers of samples"),
    ],
)
def test_bad_input_is_rejected_with_a_named_error(X, y, domains, error, match):
    with pytest.raises(error, match=match):
        MetaForestClassifier(n_meta_tasks=2, n_estimators=2).fit(X, y, domains=domains)


def test_bad_parameter_is_named():
    with pytest.raises(ValueError, match="forest_mode"):
        MetaForestClassifier(forest_mode="nope").fit(np.ones((4, 2)), [0, 1, 0, 1], domains=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="forest_type"):
        MetaForestClassifier(forest_type="gbm").fit(np.ones((4, 2)), [0, 1, 0, 1], domains=[0, 0, 1, 1])


def test_regressor_on_shifted_friedman_is_finite_and_weights_follow_domain_distance():
    Xs, ys, ds = [], [], []
    for k, shift in enumerate([0.0, 0.1, 0.2, 1.5]):
        X, y = make_friedman1(n_samples=150, noise=0.5, random_state=k)
        Xs.append(X + shift), ys.append(y), ds.append(np.full(150, f"s{k}"))
    X, y, d = np.vstack(Xs), np.concatenate(ys), np.concatenate(ds)
    est = MetaForestRegressor(n_meta_tasks=8, n_estimators=10, forest_mode="per_domain", random_state=0)
    est.fit(X, y, domains=d)
    rmse = np.sqrt(np.mean((est.predict(X) - y) ** 2))
    assert np.isfinite(rmse) and rmse < np.std(y)
    assert est.weights_.sum() == pytest.approx(1.0)
    # the far domain s3 is, in MMD, the farthest from every other domain
    mmd_with_far = [
        e["mmd"] for e in est.meta_log_ if "s3" in (e["meta_test_domain"], e["meta_train_domains"][0])
    ]
    mmd_without = [
        e["mmd"] for e in est.meta_log_ if "s3" not in (e["meta_test_domain"], e["meta_train_domains"][0])
    ]
    assert min(mmd_with_far) > max(mmd_without)
