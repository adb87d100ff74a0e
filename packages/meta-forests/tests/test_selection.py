"""Source-only selection of the meta-forests variant (DomainBed's leave-one-out and IID selection)."""

import numpy as np
import pytest

from core_utils import InputError
from meta_forests.benchmark import DEFAULT_VARIANT, make_method
from meta_forests.datasets import make_multidomain_blobs
from meta_forests.selection import format_selection, select_variant


@pytest.fixture(scope="module")
def blobs():
    return make_multidomain_blobs(n_domains=4, n_per_domain=50, covariate_shift=1.5, seed=4)


def test_leave_one_domain_out_score_is_the_mean_held_out_domain_accuracy(blobs, monkeypatch):
    """Oracle: recompute every candidate's score by hand, one fit per held-out training domain."""
    seeds_used = {}
    import meta_forests.selection as selection

    real = selection.derive_seed

    def record(*args):
        seed = real(*args)
        seeds_used[args[-1]] = seed
        return seed

    monkeypatch.setattr(selection, "derive_seed", record)
    cands = ["meta-pooled", "meta-per-domain"]
    res = select_variant(
        blobs.X, blobs.y, blobs.domains, candidates=cands, n_trees=12, n_meta_tasks=3, name="blobs"
    )
    for c in cands:
        accs = []
        for d in ["d0", "d1", "d2", "d3"]:
            tr, va = blobs.domains != d, blobs.domains == d
            est = make_method(c, n_trees=12, n_sources=3, n_meta_tasks=3, seed=seeds_used[c], n_jobs=None)
            est.fit(blobs.X[tr], blobs.y[tr], domains=blobs.domains[tr])
            accs.append(est.score(blobs.X[va], blobs.y[va]))
        assert res.scores[c] == pytest.approx(np.mean(accs))
    assert res.best == max(cands, key=lambda c: res.scores[c])
    assert res.agrees_with_default == (res.best == DEFAULT_VARIANT)
    table = format_selection(res)
    assert f"selected: {res.best}" in table and "| meta-per-domain" in table


def test_training_domain_protocol_and_seeds_average(blobs):
    res = select_variant(
        blobs.X,
        blobs.y,
        blobs.domains,
        candidates=["meta-pooled", "random-forest"],
        protocol="training-domain",
        seeds=[0, 1],
        n_trees=6,
        n_meta_tasks=2,
    )
    assert all(len(v) == 2 for v in res.per_seed.values())
    for c, v in res.per_seed.items():
        assert res.scores[c] == pytest.approx(np.mean(v)) and 0 <= res.scores[c] <= 1


def test_bad_selection_input_is_named(blobs):
    with pytest.raises(InputError, match="unknown selection protocol"):
        select_variant(blobs.X, blobs.y, blobs.domains, protocol="oracle")
    with pytest.raises(InputError, match="unknown method"):
        select_variant(blobs.X, blobs.y, blobs.domains, candidates=["nope"])
    two = np.isin(blobs.domains, ["d0", "d1"])
    with pytest.raises(InputError, match="at least 3 source domains"):
        select_variant(blobs.X[two], blobs.y[two], blobs.domains[two], n_trees=4, n_meta_tasks=1)
