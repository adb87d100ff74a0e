"""Built-in multi-domain datasets and the user-file loader."""

import numpy as np
import pytest
from scipy import ndimage
from sklearn.datasets import load_digits

from core_utils import InputError
from meta_forests.datasets import (
    DATASETS,
    load_dataset,
    load_domains_file,
    make_feature_shifted,
    make_rotated_digits,
)


def test_rotated_digits_are_disjoint_rotations_of_the_bundled_digits():
    ds = make_rotated_digits()
    assert ds.X.shape == (1797, 64)
    assert ds.domain_names == ["0", "15", "30", "45", "60", "75"]
    counts = [np.sum(ds.domains == d) for d in ds.domain_names]
    assert min(counts) >= 299 and sum(counts) == 1797
    # the 0-degree domain holds untouched images; together the domains use every digit once
    digits = load_digits()
    zero = ds.X[ds.domains == "0"]
    flat = digits.images.reshape(len(digits.images), -1)
    assert all((flat == row).all(1).any() for row in zero[:20])
    img = digits.images[0]
    rot = ndimage.rotate(img, 45, reshape=False, order=1).ravel()
    assert not np.allclose(rot, img.ravel())


def test_rotated_digits_are_reproducible_from_the_seed():
    a, b, c = make_rotated_digits(seed=1), make_rotated_digits(seed=1), make_rotated_digits(seed=2)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.y, c.y)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_builtin_dataset_has_several_domains_and_finite_features(name):
    ds = load_dataset(name)
    assert len(ds.domain_names) >= 4
    assert np.all(np.isfinite(ds.X)) and len(ds.y) == len(ds.X) == len(ds.domains)


def test_feature_shift_grows_with_the_domain_index():
    ds = make_feature_shifted("wine", n_domains=4)
    means = [np.linalg.norm(ds.X[ds.domains == f"wine-{k}"].mean(0)) for k in range(4)]
    assert means[3] > means[1] > means[0]


def test_npz_and_csv_files_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X, y, d = rng.normal(size=(12, 3)), np.arange(12) % 2, np.repeat(["p", "q", "r"], 4)
    np.savez(tmp_path / "data.npz", X=X, y=y, domains=d)
    ds = load_domains_file(tmp_path / "data.npz")
    np.testing.assert_allclose(ds.X, X)
    assert ds.domains.tolist() == d.tolist()
    lines = ["f1,site,f2,label,f3"] + [
        f"{a},{s},{b},{c},{e}" for (a, b, e), s, c in zip(X, d, y, strict=True)
    ]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    ds2 = load_domains_file(tmp_path / "data.csv", domain_column="site", label_column="label")
    np.testing.assert_allclose(ds2.X, X)
    assert ds2.y.tolist() == y.tolist() and ds2.domains.tolist() == d.tolist()


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("x.txt", "a", "must be .npz or .csv"),
        ("x.csv", "f1,y\n1,0\n", "no column 'domain'"),
        ("x.csv", "f1,y,domain\nabc,0,a\n", "non-numeric"),
    ],
)
def test_bad_user_files_are_named(tmp_path, name, content, match):
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError, match=match):
        load_domains_file(tmp_path / name)


def test_npz_missing_arrays_and_unknown_dataset_are_named(tmp_path):
    np.savez(tmp_path / "bad.npz", X=np.ones((2, 2)))
    with pytest.raises(InputError, match="lacks"):
        load_domains_file(tmp_path / "bad.npz")
    with pytest.raises(InputError, match="unknown dataset"):
        load_dataset("imagenet")
