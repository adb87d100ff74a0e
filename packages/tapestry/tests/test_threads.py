"""Thread containers: quantiles, conditional scenarios, persistence on disk."""

import numpy as np
import pytest

from core_utils import InputError
from tapestry.threads import Threads, parse_condition


def _threads(seed=0, n_o=3, n_t=4000, H=3):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n_o, n_t))
    # horizon 2 correlated with horizon 1: joint paths
    b = 0.8 * a + 0.6 * rng.normal(size=(n_o, n_t))
    c = rng.normal(size=(n_o, n_t))
    v = np.stack([a, b, c], axis=2)[..., None].astype(np.float32)
    return Threads(
        values=v,
        distances=rng.uniform(size=(n_o, n_t)).astype(np.float32),
        map_id=np.arange(n_t) // 10,
        origins=np.arange(n_o),
        truth=np.zeros((n_o, H, 1)),
        columns=("prcp",),
    )


def test_quantiles_are_ordered_and_match_numpy_without_conditioning():
    th = _threads()
    q = th.quantiles([0.1, 0.5, 0.9], "prcp")
    assert np.all(np.diff(q, axis=-1) >= 0)
    ref = np.quantile(th.values[0, :, 0, 0], 0.5)
    assert q[0, 0, 1] == pytest.approx(ref, abs=2e-3)


def test_conditional_probability_equals_joint_over_marginal_frequency():
    th = _threads()
    a = th.condition("prcp", 1, lambda x: x > 0.5)
    ab = a.condition("prcp", 2, lambda x: x > 0.0)
    v = th.values[..., 0]
    pa = np.mean(v[:, :, 0] > 0.5, axis=1)
    pab = np.mean((v[:, :, 0] > 0.5) & (v[:, :, 1] > 0.0), axis=1)
    assert a.probability() == pytest.approx(pa)
    assert ab.probability() / a.probability() == pytest.approx(pab / pa)
    # reading later along the path: a wet first step shifts the second step up
    assert np.all(a.mean("prcp")[:, 1] > th.mean("prcp")[:, 1] + 0.5)
    # an independent later step is unchanged (within Monte Carlo error)
    assert a.mean("prcp")[:, 2] == pytest.approx(th.mean("prcp")[:, 2], abs=0.1)


def test_parse_condition_with_quantile_threshold_keeps_the_top_fifth():
    th = _threads()
    c = parse_condition("prcp@h1>q0.8", th)
    assert c.probability() == pytest.approx(0.2, abs=0.01)
    c2 = parse_condition("prcp@h2<=0", th)
    assert c2.probability() == pytest.approx(0.5, abs=0.05)
    with pytest.raises(InputError, match="must look like"):
        parse_condition("prcp > 3", th)
    with pytest.raises(InputError, match="unknown variable"):
        parse_condition("rain@h1>0", th)
    with pytest.raises(InputError, match="horizon 9"):
        parse_condition("prcp@h9>0", th)


def test_save_and_load_round_trip(tmp_path):
    th = _threads(n_t=50).condition("prcp", 1, lambda x: x > 0)
    back = Threads.load(th.save(tmp_path / "t.npz"))
    assert np.array_equal(back.values, th.values) and np.array_equal(back.weights, th.weights)
    assert back.columns == th.columns
    with pytest.raises(InputError, match="does not exist"):
        Threads.load(tmp_path / "missing.npz")


def test_density_is_a_normalised_kde_close_to_the_sampling_law():
    from scipy.stats import norm

    th = _threads()
    grid = np.linspace(-6, 6, 601)
    dens = th.density(grid, "prcp", h=1)
    assert dens.shape == (3, 601)
    assert np.trapezoid(dens, grid, axis=1) == pytest.approx(1.0, abs=1e-3)
    assert np.abs(dens - norm.pdf(grid)).max() < 0.05  # 4000 N(0, 1) threads: KDE sd ~0.012 at the mode
    # conditioning on a positive first step removes the left half of the h=1 density
    cond = th.condition("prcp", 1, lambda v: v > 0)
    dc = cond.density([-2.0, 1.0], "prcp", h=1)
    assert np.all(dc[:, 0] < 0.01) and np.all(dc[:, 1] > 0.4)
