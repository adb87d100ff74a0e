"""Training oracles (spec section 3.4): planar patch, Swiss roll with and without warm start."""

import numpy as np
import pytest
import torch

from core_utils import InputError
from flat_embed.encoders import MLPEncoder
from flat_embed.manifolds import make_manifold
from flat_embed.metrics import interpolation_error, procrustes_error
from flat_embed.pairs import PairSampler
from flat_embed.train import TrainConfig, eps_schedule, fit_encoder


def _phi(enc):
    def phi(X):
        with torch.no_grad():
            return enc(torch.as_tensor(X, dtype=torch.float32)).double().numpy()

    return phi


def _procrustes(enc, m, n=2000):
    p = m.sample_params(n, np.random.default_rng(123))
    return procrustes_error(_phi(enc)(m.embed(p)), m.coordinates(p))


@pytest.fixture(scope="module")
def swiss():
    return make_manifold("swiss-roll", ambient_dim=100)


def test_planar_patch_in_r100_from_random_init_is_recovered():
    m = make_manifold("plane", ambient_dim=100)
    torch.manual_seed(0)
    enc = MLPEncoder(100, 2)
    res = fit_encoder(enc, PairSampler(m), TrainConfig(steps=600), seed=0)
    err = _procrustes(enc, m)
    print(f"plane: Procrustes {err:.2e}, final loss {res.history[-1]['total']:.2e}")
    assert err < 1e-2
    assert res.history[-1]["total"] < 1e-3


def test_swiss_roll_with_isomap_warm_start_is_unrolled_and_flat(swiss):
    torch.manual_seed(0)
    enc = MLPEncoder(100, 2)
    cfg = TrainConfig(steps=1500, warm_start="isomap", warm_steps=800, warm_points=1000)
    fit_encoder(enc, PairSampler(swiss), cfg, seed=0)
    err = _procrustes(enc, swiss)
    interp = interpolation_error(_phi(enc), swiss, relative_to="distance")
    print(f"swiss roll, warm start: Procrustes {err:.2e}, interpolation error {interp['mean']:.2e}")
    assert err < 2e-2
    assert interp["mean"] < 1e-2


def test_swiss_roll_from_random_init_stays_folded(swiss):
    """Documents why the warm start exists: the local loss alone does not unroll the roll."""
    torch.manual_seed(0)
    enc = MLPEncoder(100, 2)
    fit_encoder(enc, PairSampler(swiss), TrainConfig(steps=500), seed=0)
    err = _procrustes(enc, swiss)
    print(f"swiss roll, random init: Procrustes {err:.2e}")
    assert err > 0.2


def test_training_is_reproducible_from_the_seed():
    m = make_manifold("plane", ambient_dim=10)

    def run():
        torch.manual_seed(0)
        enc = MLPEncoder(10, 2, hidden=(8,))
        fit_encoder(enc, PairSampler(m), TrainConfig(steps=40, log_every=10), seed=5)
        return enc

    x = torch.rand(4, 10)
    torch.testing.assert_close(run()(x), run()(x), rtol=0, atol=0)


def test_resume_midway_matches_uninterrupted_run(tmp_path):
    m = make_manifold("plane", ambient_dim=10)
    base = dict(checkpoint_every=30, log_every=10)

    def fresh():
        torch.manual_seed(0)
        return MLPEncoder(10, 2, hidden=(8,))

    full = fresh()
    fit_encoder(full, PairSampler(m), TrainConfig(steps=60, **base), seed=5)
    ck = tmp_path / "ck.pt"

    class Stop(Exception):
        pass

    interrupted = fresh()
    sampler = PairSampler(m)
    calls = {"n": 0}
    orig = sampler.sample

    def sample(*a, **k):  # simulate a crash after the step-30 checkpoint
        calls["n"] += 1
        if calls["n"] > 31:
            raise Stop
        return orig(*a, **k)

    sampler.sample = sample
    with pytest.raises(Stop):
        fit_encoder(interrupted, sampler, TrainConfig(steps=60, **base), seed=5, checkpoint=ck)
    resumed = fresh()
    res = fit_encoder(resumed, PairSampler(m), TrainConfig(steps=60, **base), seed=5, checkpoint=ck)
    assert res.resumed_from == 30
    x = torch.rand(4, 10)
    torch.testing.assert_close(resumed(x), full(x))


def test_latent_dimension_below_intrinsic_dimension_is_rejected():
    m = make_manifold("plane", ambient_dim=10)
    with pytest.raises(InputError, match="below the intrinsic dimension 2"):
        fit_encoder(MLPEncoder(10, 1), PairSampler(m), TrainConfig(steps=1))


def test_encoder_input_size_must_match_the_data():
    with pytest.raises(InputError, match="encoder expects inputs of dimension 5"):
        fit_encoder(
            MLPEncoder(5, 2), PairSampler(make_manifold("plane", ambient_dim=10)), TrainConfig(steps=1)
        )


def test_eps_curriculum_is_geometric_then_constant():
    assert eps_schedule(0, 100, 1.0, 0.01, 0.5) == pytest.approx(1.0)
    assert eps_schedule(25, 100, 1.0, 0.01, 0.5) == pytest.approx(0.1)
    assert eps_schedule(80, 100, 1.0, 0.01, 0.5) == pytest.approx(0.01)


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"steps": 0}, "steps must be >= 1"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"eps_start": -1.0}, "eps_start"),
        ({"eps_start": 0.1, "eps_end": 1.0}, "must not exceed"),
        ({"w": "nope"}, "unknown W"),
    ],
)
def test_bad_training_config_is_rejected(kw, msg):
    with pytest.raises(InputError, match=msg):
        TrainConfig(**kw)


@pytest.mark.parametrize("method", ["isomap", "spectral"])
def test_warm_start_targets_have_the_metric_scale_of_the_data(method):
    """Isomap preserves geodesic distances; spectral coordinates are rescaled to kNN edge lengths."""
    from flat_embed.train import warm_start_targets

    m = make_manifold("plane", width=2.0, height=1.0)
    p = m.sample_params(500, np.random.default_rng(0))
    Y = warm_start_targets(m.embed(p), 2, method, n_neighbors=10)
    assert np.allclose(Y.mean(0), 0, atol=1e-9)
    if method == "isomap":
        assert procrustes_error(Y, p) < 0.1  # kNN-graph paths overestimate distances by a few %
    else:  # Laplacian eigenmaps bend the rectangle, but local lengths match after rescaling
        from sklearn.neighbors import NearestNeighbors

        _, idx = NearestNeighbors(n_neighbors=2).fit(p).kneighbors(p)
        ratio = np.linalg.norm(Y[idx[:, 1]] - Y, axis=1) / np.linalg.norm(p[idx[:, 1]] - p, axis=1)
        assert 0.5 < np.median(ratio) < 2.0


def test_warm_start_on_a_disconnected_sample_is_rejected():
    from flat_embed.train import warm_start_targets

    rng = np.random.default_rng(0)
    X = np.r_[rng.standard_normal((40, 3)), rng.standard_normal((40, 3)) + 100]
    with pytest.raises(InputError, match="2 components"):
        warm_start_targets(X, 2, "isomap", n_neighbors=5)


def test_warm_start_scale_is_calibrated_to_the_manifold_metric():
    """Isomap coordinates of images carry the pixel metric; calibration restores d's scale."""
    from flat_embed.train import _calibrate_scale

    m = make_manifold("image-rotation", size=16)
    src = PairSampler(m)
    enc = MLPEncoder(256, 2, hidden=(16,))
    rng = np.random.default_rng(0)
    cfg = TrainConfig(steps=1, batch_size=256)
    with torch.no_grad():
        enc.net[-1].weight.mul_(50.0)
    med = _calibrate_scale(enc, src, 0.2, cfg, rng, "cpu", torch.float32)
    batch = src.sample(512, 0.2, rng)
    with torch.no_grad():
        zx, zy = enc(torch.as_tensor(batch.x).float()), enc(torch.as_tensor(batch.y).float())
    stretch = (zx - zy).norm(dim=1).numpy() / batch.d
    assert med > 1
    assert np.median(stretch) == pytest.approx(1.0, rel=0.1)
