"""Permutation equivariance of every propagation configuration and invariance of readouts (oracle 1)."""

import pytest
import torch

from mmgraph.checks import blueprint_configs, check_equivariance, equivariance_error

RESULTS = None


def _results():
    global RESULTS
    if RESULTS is None:
        RESULTS = {r.name: r for r in check_equivariance(seed=0)}
    return RESULTS


@pytest.mark.parametrize("name", list(blueprint_configs()))
def test_blueprint_is_permutation_equivariant(name):
    assert _results()[name].error <= 1e-5


def test_check_detects_a_non_equivariant_model(toy):
    """The checker can fail: a model that adds the node index to its output is caught."""
    from mmgraph.blueprint import MGLBlueprint

    class Leaky(MGLBlueprint):
        def forward(self, data):
            return super().forward(data) + torch.arange(data.num_nodes, dtype=torch.float32)[:, None]

    torch.manual_seed(0)
    base = MGLBlueprint.from_config(
        {
            "entities": {"dim": 4},
            "topology": {"kind": "knn", "k": 3},
            "propagation": {"kind": "gcn", "hidden": 4},
            "mixing": {"kind": "sum"},
        },
        in_dims={"a": 5, "b": 3},
        out_dim=2,
    )
    leaky = Leaky(base.entities, base.topology, base.propagation, base.mixing, base.head)
    assert equivariance_error(leaky, toy) > 1.0
