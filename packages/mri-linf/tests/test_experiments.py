"""Experiment configs and runners: defaults, validation, the exact-recovery curve."""

import pytest
import torch

from core_utils import InputError
from mri_linf.experiments import ExperimentConfig, RecoveryConfig, make_decoder, make_problem, recovery_curve


def test_default_disk_centre_matches_the_spec_reproduction():
    assert ExperimentConfig().centre == (64, 44)
    assert ExperimentConfig(mu=(10.0, 12.0)).centre == (10.0, 12.0)


@pytest.mark.parametrize(
    "bad",
    [{"eta": 0.0}, {"lam": -1.0}, {"rho": 0.0}, {"sigma": 0.0}, {"mask": "spiral"}, {"etas": [0.01, -1.0]}],
)
def test_bad_experiment_config_is_refused(bad):
    with pytest.raises(InputError):
        ExperimentConfig(**bad)


def test_problem_noise_has_the_requested_relative_level():
    cfg = ExperimentConfig(n=32, spokes=8, noise=0.05, double=True)
    prob = make_problem(cfg)
    clean = prob.op.A(prob.x)
    rel = torch.linalg.vector_norm(prob.y - clean) / torch.linalg.vector_norm(clean)
    assert abs(float(rel) - 0.05) < 1e-9


def test_long_unrolls_switch_checkpointing_on():
    cfg = ExperimentConfig(n=16, spokes=5, unroll=250, clean_iter=5)
    dec = make_decoder(cfg, make_problem(cfg))
    assert dec.solver.checkpoint_every == 20


def test_recovery_curve_improves_with_spokes():
    rows = recovery_curve(RecoveryConfig(n=32, spokes=[3, 12], n_iter=300))
    assert rows[0]["m_over_n2"] < rows[1]["m_over_n2"]
    assert rows[1]["rel_l2"] < 0.1 * rows[0]["rel_l2"]
    with pytest.raises(InputError):
        RecoveryConfig(spokes=[])
