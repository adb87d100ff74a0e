"""scikit-learn's estimator contract (``parametrize_with_checks``)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from meta_forests import MetaForestClassifier, MetaForestRegressor

# Forests with bootstrap are not equivalent under integer sample weights vs repetition
# (scikit-learn marks the same checks as expected failures for RandomForest*).
_RANDOM_FOREST_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": "sample_weight is not equivalent to repeating samples",
}


@parametrize_with_checks(
    [
        MetaForestClassifier(n_meta_tasks=2, n_estimators=5, random_state=0),
        MetaForestRegressor(n_meta_tasks=2, n_estimators=5, random_state=0),
    ],
    expected_failed_checks=lambda est: _RANDOM_FOREST_XFAIL,
)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)
