"""The scikit-learn style estimator: fit on a manifold, on pairs, on raw samples; decoder; save/load."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from core_utils import InputError
from flat_embed.estimator import FlatEmbedding
from flat_embed.manifolds import make_manifold
from flat_embed.metrics import procrustes_error
from flat_embed.pairs import PairSampler

FAST = dict(steps=300, init="none", hidden=(16, 16))


@pytest.fixture(scope="module")
def plane():
    return make_manifold("plane", ambient_dim=6)


@pytest.fixture(scope="module")
def fitted(plane):
    return FlatEmbedding(2, **FAST, decoder=True, decoder_steps=300).fit(plane)


def test_fit_returns_self_and_transform_gives_latent_rows(fitted, plane):
    X = plane.embed(plane.sample_params(50, np.random.default_rng(0)))
    Z = fitted.transform(X)
    assert Z.shape == (50, 2)
    assert len(fitted.history_) > 0
    assert fitted.n_features_in_ == 6


def test_constructor_only_stores_parameters():
    est = FlatEmbedding(3, lam=0.5)
    assert est.get_params()["lam"] == 0.5
    assert not hasattr(est, "encoder_")
    assert clone(est).get_params() == est.get_params()


def test_fit_on_user_pairs_learns_the_plane(plane):
    batch = PairSampler(plane).sample(4000, 0.1, np.random.default_rng(0))
    est = FlatEmbedding(2, **{**FAST, "steps": 600}).fit(batch)
    p = plane.sample_params(500, np.random.default_rng(1))
    assert procrustes_error(est.transform(plane.embed(p)), plane.coordinates(p)) < 0.05


def test_fit_on_raw_samples_uses_knn_pairs(plane):
    X = plane.embed(plane.sample_params(600, np.random.default_rng(0)))
    est = FlatEmbedding(2, **{**FAST, "steps": 600}, knn_pairs=3000).fit(X)
    p = plane.sample_params(500, np.random.default_rng(1))
    # kNN distances are approximate (graph paths): a looser bound than exact pairs
    assert procrustes_error(est.transform(plane.embed(p)), plane.coordinates(p), scale=True) < 0.1


def test_decoder_reconstructs_the_manifold(fitted, plane):
    X = plane.embed(plane.sample_params(200, np.random.default_rng(2)))
    rel = np.linalg.norm(fitted.inverse_transform(fitted.transform(X)) - X) / np.linalg.norm(X - X.mean(0))
    assert rel < 0.2


def test_save_and_load_give_the_same_map(fitted, plane, tmp_path):
    path = fitted.save(tmp_path / "m.pt")
    twin = FlatEmbedding.load(path)
    X = plane.embed(plane.sample_params(20, np.random.default_rng(3)))
    np.testing.assert_array_equal(twin.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(
        twin.inverse_transform(twin.transform(X)), fitted.inverse_transform(fitted.transform(X))
    )


def test_inverse_transform_without_decoder_is_an_input_error(plane):
    est = FlatEmbedding(2, **{**FAST, "steps": 5}).fit(plane)
    with pytest.raises(InputError, match="needs a decoder"):
        est.inverse_transform(np.zeros((1, 2)))


def test_wrong_feature_count_is_rejected(fitted):
    with pytest.raises(InputError, match="expecting 6 features"):
        fitted.transform(np.zeros((2, 5)))


def test_latent_dimension_below_intrinsic_is_rejected(plane):
    with pytest.raises(InputError, match="below the intrinsic dimension"):
        FlatEmbedding(1, **FAST).fit(plane)


def test_cnn_encoder_trains_on_images():
    m = make_manifold("image-translation")
    est = FlatEmbedding(2, encoder="cnn", steps=20, init="none", batch_size=32).fit(m)
    assert est.transform(m.embed(m.sample_params(4, np.random.default_rng(0)))).shape == (4, 2)


def test_load_rejects_other_files(tmp_path):
    from core_utils import save_checkpoint

    save_checkpoint(tmp_path / "x.pt", {"a": 1})
    with pytest.raises(InputError, match="not a flat-embed model"):
        FlatEmbedding.load(tmp_path / "x.pt")


def test_public_names_are_exported_lazily():
    import flat_embed

    assert flat_embed.FlatEmbedding is FlatEmbedding
    with pytest.raises(AttributeError):
        _ = flat_embed.nope


# -- scikit-learn's estimator check suite ------------------------------------------------
# The checks fit on tiny generic arrays, i.e. the raw-sample path (approximate kNN pairs).
# SKLEARN_FAST sizes the kNN graph for their 30-sample two-blob data sets (15 points per
# blob: a 15-neighbour graph is connected; smaller ones are disconnected, an InputError by
# design). Pairs of 2-4 hops exist in graphs that small.
SKLEARN_FAST = dict(steps=5, init="none", hidden=(8,), batch_size=32, knn_pairs=200, knn_hops=(2, 4))

# Each expected failure is a check whose data does not suit SKLEARN_FAST's 15 neighbours;
# every one is re-run below with a neighbourhood size that fits its data, so none is skipped.
SKLEARN_EXPECTED_FAILED = {
    # 15 and 10 samples: 15 neighbours need at least 16 samples (InputError)
    "check_n_features_in_after_fitting": "15 samples, fewer than n_neighbors + 1",
    "check_estimators_nan_inf": "fits on 10 samples, fewer than n_neighbors + 1",
    "check_fit2d_1feature": "10 samples: the n_neighbors error precedes the 1-feature message",
    # iris: the 15-NN graph separates setosa from the other species (disconnected: InputError)
    "check_positive_only_tag_during_fit": "iris has a disconnected 15-nearest-neighbour graph",
}


@parametrize_with_checks(
    [FlatEmbedding(2, n_neighbors=15, **SKLEARN_FAST)],
    expected_failed_checks=lambda est: SKLEARN_EXPECTED_FAILED,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    ("check_name", "n_neighbors"),
    [
        ("check_n_features_in_after_fitting", 3),
        ("check_estimators_nan_inf", 3),
        ("check_fit2d_1feature", 3),
        ("check_positive_only_tag_during_fit", 50),
    ],
)
def test_expected_failed_sklearn_checks_pass_with_a_fitting_neighbourhood(check_name, n_neighbors):
    from sklearn.utils import estimator_checks

    check = getattr(estimator_checks, check_name)
    check("FlatEmbedding", FlatEmbedding(2, n_neighbors=n_neighbors, **SKLEARN_FAST))


def test_iris_with_15_neighbours_is_rejected_as_a_disconnected_graph():
    from sklearn.datasets import load_iris

    X = load_iris().data
    with pytest.raises(InputError, match="2 connected components"):
        FlatEmbedding(2, n_neighbors=15, **SKLEARN_FAST).fit(X)


def test_refitting_with_the_same_random_state_gives_the_same_map(plane):
    X = plane.embed(plane.sample_params(40, np.random.default_rng(4)))
    a = FlatEmbedding(2, **{**FAST, "steps": 30}).fit(plane).transform(X)
    b = FlatEmbedding(2, **{**FAST, "steps": 30}).fit(plane).transform(X)
    np.testing.assert_array_equal(a, b)


def test_model_files_with_the_old_warm_start_parameter_still_load(fitted, tmp_path):
    from core_utils import load_checkpoint, save_checkpoint

    state = load_checkpoint(fitted.save(tmp_path / "m.pt"))
    params = dict(state["params"])
    params["warm_start"] = params.pop("init")
    del params["knn_hops"]
    save_checkpoint(tmp_path / "old.pt", {**state, "params": params})
    twin = FlatEmbedding.load(tmp_path / "old.pt")
    assert twin.get_params()["init"] == fitted.init
