"""Local LARS blocks: exact linear laws are recovered; residual draws depend only on the seed."""

import numpy as np
import pytest

from tapestry.local_models import lars_block


def _linear_block(noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    n_rows, nsel, H = 200, 4, 2
    X = rng.normal(size=(n_rows, nsel))
    beta = np.array([[1.5, 0.0, -0.7, 0.0], [0.0, 0.8, 0.0, 0.0]])  # one law per horizon
    fut = (X @ beta.T + noise * rng.normal(size=(n_rows, H)))[..., None]  # (rows, H, 1 target)
    q = rng.normal(size=(5, nsel))
    nb = np.argsort(((X[None] - q[:, None]) ** 2).sum(-1), axis=1)[:, :40]  # 40 nearest rows
    return q, nb, X, fut, beta


def test_lars_block_recovers_an_exact_linear_law_and_its_prediction():
    q, nb, X, fut, beta = _linear_block()
    blk = lars_block(q, nb, X, fut, k_resid=5, criterion="aic", seed=(0, 0, 0))
    assert blk.coef[:, :, 0, :] == pytest.approx(np.broadcast_to(beta, (5, 2, 4)), abs=0.05)
    assert blk.pred[..., 0] == pytest.approx(q @ beta.T, abs=0.05)
    # threads = prediction + a neighbour's residual path: they scatter at the noise level
    assert np.abs(blk.values[..., 0] - blk.pred[:, None, :, 0]).max() < 0.05


def test_lars_block_residual_draws_depend_only_on_the_seed():
    q, nb, X, fut, _ = _linear_block(noise=0.5)
    a = lars_block(q, nb, X, fut, k_resid=5, criterion="aic", seed=(3, 1, 0))
    b = lars_block(q, nb, X, fut, k_resid=5, criterion="aic", seed=(3, 1, 0))
    c = lars_block(q, nb, X, fut, k_resid=5, criterion="aic", seed=(3, 2, 0))
    assert np.array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)
    assert np.array_equal(a.pred, c.pred)  # the fits themselves are deterministic
